# syntax=docker/dockerfile:1
#
# passgate container image.
#
#   docker build -t passgate .
#   docker run -v /path/to/passgate.toml:/etc/passgate/passgate.toml:ro \
#              -v passgate-data:/var/lib/passgate -p 8443:8443 passgate
#
# The image holds no configuration: mount one at /etc/passgate/passgate.toml. The
# HEALTHCHECK expects a plain-HTTP listener on port 8080 (127.0.0.1:8080 is enough).
# CI builds the release binary with the same command (see .ci/run).

FROM rust:1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
    && install -D -m 0755 target/release/passgate /out/passgate

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --home-dir /var/lib/passgate --shell /usr/sbin/nologin passgate \
    && mkdir -p /etc/passgate /var/lib/passgate \
    && chown passgate:passgate /var/lib/passgate
COPY --from=build /out/passgate /usr/local/bin/passgate

USER passgate
VOLUME /var/lib/passgate
WORKDIR /var/lib/passgate
EXPOSE 8080 8443

# No curl in the slim image: bash's /dev/tcp sends the request and the status line is checked.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /.passgate/healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# SIGTERM drains in-flight requests (server.grace_period, then graceful_shutdown_timeout):
# give `docker stop` more than their sum (the defaults make 15s), e.g. `docker stop -t 30`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["passgate"]
CMD ["serve", "--config", "/etc/passgate/passgate.toml"]
