# The front proxy of docker-compose.yml: Debian's nginx with deploy/nginx.conf
# (the file tests/test_front_proxy.py runs), its logs to the container's
# stdout and stderr. The site's certificate goes in /etc/nginx/tls/ (a mount:
# fullchain.pem, privkey.pem).
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx=1.22.* \
    && rm -rf /var/lib/apt/lists/* \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log

COPY nginx.conf /etc/nginx/nginx.conf
EXPOSE 80 443
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
