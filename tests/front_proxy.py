"""nginx (Debian's package) with the project's ``deploy/nginx.conf`` in
front of a server under test: the file as it is, but for the replicas'
addresses, the ports it listens on, its log files and its TLS certificate
(a self-signed one, made here)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from .wsgi_servers import PROJECT, free_port, wait_until

NGINX_CONF = PROJECT / "deploy" / "nginx.conf"


@dataclass(frozen=True)
class FrontProxy:
    url: str  # https://127.0.0.1:PORT
    http_url: str  # its plain-HTTP port: a redirect
    certificate: Path  # for requests' verify=
    log: Path


def self_signed_certificate(directory: Path) -> Path:
    """``fullchain.pem`` and ``privkey.pem`` in ``directory``: a certificate for 127.0.0.1."""
    subprocess.run([
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        "-keyout", str(directory / "privkey.pem"), "-out", str(directory / "fullchain.pem"),
    ], check=True, capture_output=True)
    return directory / "fullchain.pem"


def nginx_conf(upstream: str, https_port: int, http_port: int, directory: Path, **changes: str) -> str:
    """deploy/nginx.conf for one server at ``upstream`` ("127.0.0.1:PORT"),
    listening on these ports of 127.0.0.1, its logs and TLS files in
    ``directory``; ``changes``: more of its text replaced (each must be there)."""
    text = NGINX_CONF.read_text()
    replacements = {
        "server restd-1:9680;": f"server {upstream};",
        "server restd-2:9680;": "",
        "listen 80 default_server;": f"listen 127.0.0.1:{http_port} default_server;",
        "listen 443 ssl http2 default_server;": f"listen 127.0.0.1:{https_port} ssl http2 default_server;",
        "/etc/nginx/tls/": f"{directory}/",
        "/var/log/nginx/": f"{directory}/",
        **changes,
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


@contextmanager
def front_proxy(upstream: str, directory: Path, **changes: str) -> Iterator[FrontProxy]:
    """nginx with deploy/nginx.conf in front of ``upstream``, answering; stopped at the end."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.path.exists(nginx), "nginx is missing (scripts/test.sh installs Debian's package nginx)"
    directory.mkdir(parents=True, exist_ok=True)
    certificate = self_signed_certificate(directory)
    https_port, http_port = free_port(), free_port()
    conf = directory / "nginx.conf"
    conf.write_text(nginx_conf(upstream, https_port, http_port, directory, **changes))
    proxy = FrontProxy(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", certificate,
                       directory / "nginx.log")
    with proxy.log.open("w") as log:
        process = subprocess.Popen([nginx, "-c", str(conf), "-g", f"daemon off; pid {directory / 'nginx.pid'};"],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        def answers() -> bool:
            assert process.poll() is None, f"nginx exited: {proxy.log.read_text()}"
            try:
                return requests.get(proxy.url + "/healthz", verify=certificate, timeout=5).status_code == 200
            except requests.RequestException:
                return False

        assert wait_until(answers), f"nginx did not answer /healthz: {proxy.log.read_text()}"
        yield proxy
    finally:
        process.send_signal(signal.SIGTERM)  # fast shutdown: open connections are closed
        process.wait(timeout=30)
