# The same install as the README (pip install of this project), migrations at start.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/minyi.sqlite3

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY admin ./admin
COPY delivery ./delivery
COPY storage ./storage
COPY classifiers ./classifiers
COPY emulator ./emulator
COPY sandbox ./sandbox
COPY minyi ./minyi
RUN python -m pip install --upgrade pip && python -m pip install . \
    && useradd --create-home --uid 10001 minyi && mkdir -p /data && chown minyi /data

USER minyi
VOLUME ["/data"]
EXPOSE 8443
# `db init` migrates the schema and loads the departments (idempotent), then the bot starts.
CMD ["sh", "-c", "minyi db init && exec minyi run"]
