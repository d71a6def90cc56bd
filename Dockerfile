# wirewatch: multi-stage build. The builder makes wheels (lxml, psycopg and pyahocorasick
# ship manylinux wheels, so no compiler is needed); the runtime image installs only them.
# BASE: any Debian bookworm image with Python 3.11 and its venv module; the official
# python image by default, or one made locally where no registry is reachable (see
# tests/docker/make-base.sh). No BuildKit features are used (Debian's engine has none).
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python3 -m venv /opt/build
COPY pyproject.toml README.md ./
COPY wirecore ./wirecore
COPY wirewatch ./wirewatch
COPY scrapers ./scrapers
COPY pipelines ./pipelines
COPY storage ./storage
COPY scheduler ./scheduler
COPY reports ./reports
COPY web ./web
RUN /opt/build/bin/pip wheel --wheel-dir /wheels ".[postgres,cluster]"

FROM ${BASE}
ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/wirewatch/bin:$PATH \
    WIREWATCH_DATA_DIR=/data \
    WIREWATCH_HEALTH_PORT=8080
RUN groupadd --system --gid 10001 wirewatch \
 && useradd --system --uid 10001 --gid wirewatch --home-dir /data --shell /usr/sbin/nologin wirewatch \
 && mkdir -p /data && chown wirewatch:wirewatch /data
COPY --from=builder /wheels /wheels
# Only the wheels built above are installable here (--no-index): they are the pinned set.
# hadolint ignore=DL3013
RUN python3 -m venv /opt/wirewatch \
 && /opt/wirewatch/bin/pip install --no-index --find-links=/wheels "wirewatch[postgres,cluster]" \
 && rm -rf /wheels
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# /healthz answers 503 when the scheduler or the database is down; urlopen raises on it.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WIREWATCH_HEALTH_PORT', '8080'), timeout=8)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["run"]
