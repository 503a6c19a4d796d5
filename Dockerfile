# condor-restd: pserve production.ini on port 9680, as an unprivileged user.
#
# HTCondor's configuration: by default only _CONDOR_* environment variables
# (CONDOR_CONFIG=ONLY_ENV), e.g. -e _CONDOR_CONDOR_HOST=cm.example.org;
# or mount a config file and point CONDOR_CONFIG at it. The server's IDTOKEN
# goes in /home/restd/.condor/tokens.d/ (a mount); KBase auth reads AUTH_URL.
# One waitress process and its 3 gateway workers: the recommended server
# (README, "Deployment"; bench/README.md, servers.py).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CONDOR_CONFIG=ONLY_ENV \
    PATH=/opt/condor-restd/bin:$PATH

WORKDIR /src
COPY setup.py README.md requirements.lock ./
COPY scripts/install-image.sh scripts/
COPY restd_core restd_core
COPY restd_plugins restd_plugins
RUN scripts/install-image.sh /opt/condor-restd \
    && groupadd --system --gid 10001 restd \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/restd --shell /usr/sbin/nologin restd

WORKDIR /app
COPY production.ini .
USER 10001:10001
EXPOSE 9680
HEALTHCHECK --interval=30s --timeout=5s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9680/healthz', timeout=4)"]
CMD ["pserve", "production.ini"]
