"""How an endpoint plugin declares a read-only Cornice service."""
from __future__ import annotations

from typing import Callable

import colander
from cornice import Service
from cornice.validators import colander_validator

from .errors import validation_error_handler
from .jsonschema import Schema

READ = "read"


def read_service(
    name: str,
    path: str,
    description: str,
    view: Callable,
    schema: colander.MappingSchema,
    answer: Schema | None = None,
) -> Service:
    """A GET service: parameters checked by ``schema`` (colander; 400 in our
    error schema), permission ``read``, answers cached and ETagged
    (``restd_core.response_cache``), ``answer`` its 200 JSON Schema for the
    OpenAPI document."""
    service = Service(name=name, path=path, description=description, error_handler=validation_error_handler)
    options = {"response_schemas": {200: answer}} if answer is not None else {}
    service.add_view(
        "GET", view, schema=schema, validators=(colander_validator,), permission=READ, restd_cache=True, **options
    )
    return service
