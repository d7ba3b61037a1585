# Bangban: one small image; the database lives on a volume (/data).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/data/bangban.db \
    BACKUP_DIR=/data/backups \
    WEB_PORT=8080 \
    WEB_LISTEN=0.0.0.0 \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install --no-compile . \
    && useradd --system --uid 10001 --home-dir /data bangban \
    && mkdir -p /data \
    && chown bangban /data

USER bangban
VOLUME ["/data"]
# 8080: the one web server (webhook, board /app/, /healthz, /metrics).
EXPOSE 8080
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=8).status == 200 else 1)"]
# Settings come from the environment (see .env.example); never bake the token into the image.
CMD ["python", "-m", "bot"]
