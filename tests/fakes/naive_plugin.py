"""A test plugin whose view names the operation to call from the URL, as a
careless plugin might (``restd.includes = tests.fakes.naive_plugin``)."""
from __future__ import annotations

from cornice import Service

from restd_core.plugin_api.responses import json_response

naive = Service(name="naive", path="/naive/{operation}")


@naive.get(permission="read")
def call_what_the_url_names(request):
    return json_response(request.gateway.call(request.matchdict["operation"]))


def includeme(config) -> None:
    config.add_cornice_service(naive)
