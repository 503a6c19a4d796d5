"""The app as a module-level WSGI callable, for servers that import one:

    RESTD_INI=/etc/condor-restd/production.ini gunicorn -w 2 restd_core.wsgi:app
    uwsgi --http-socket :9680 --master --processes 2 --module restd_core.wsgi
    # mod_wsgi: a WSGI script file holding `from restd_core.wsgi import application`

``RESTD_INI`` names the ini file (default: ``production.ini`` in the working
directory). Its ``[app:main]`` and its logging sections are read; its
``[server:main]`` is not, the server being the one that imports this.
"""
from __future__ import annotations

import os

from pyramid.paster import get_app, setup_logging
from pyramid.router import Router

#: The environment variable naming the ini file, and its default.
INI_VARIABLE = "RESTD_INI"
DEFAULT_INI = "production.ini"


def load(ini_file: str | None = None) -> Router:
    """The app of ``ini_file`` (else ``$RESTD_INI``, else ``production.ini``),
    its logging set up as the file says."""
    ini_file = ini_file or os.environ.get(INI_VARIABLE) or DEFAULT_INI
    if not os.path.isfile(ini_file):
        raise FileNotFoundError(
            f"{ini_file}: no such ini file ({INI_VARIABLE} names the ini file; default {DEFAULT_INI} "
            f"in the working directory, {os.getcwd()})"
        )
    setup_logging(ini_file)
    return get_app(ini_file, "main")


#: ``application`` is the name uWSGI and mod_wsgi look for; ``app`` the one
#: the old server's ``gunicorn condor_restd:app`` used.
app = application = load()
