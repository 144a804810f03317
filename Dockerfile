# Two stages: build the project's wheel (what tests/e2e/test_wheel.py builds from exactly the
# files copied here, installs outside the source tree and runs `minyi demo` from), then install
# that wheel alone into a clean image that runs as a non-root user with /data as its volume.
FROM python:3.11-slim AS wheel

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY admin ./admin
COPY delivery ./delivery
COPY storage ./storage
COPY classifiers ./classifiers
COPY emulator ./emulator
COPY sandbox ./sandbox
COPY minyi ./minyi
RUN python -m pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/minyi.sqlite3 \
    MPLCONFIGDIR=/tmp/matplotlib

COPY --from=wheel /wheels /wheels
RUN python -m pip install /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 --user-group minyi \
    && mkdir -p /data && chown minyi:minyi /data

USER minyi
# Everything the commands write by default (the database, `demo` and `sandbox` folders,
# exports, charts) lands in the volume, owned by the image's user.
WORKDIR /data
VOLUME ["/data"]
# No EXPOSE: the bot polls by default and needs no inbound port. For webhook mode publish one,
# e.g. `-p 8443:8443` with `minyi run --webhook-url https://…/telegram --port 8443`.
# `db init` migrates the schema and loads the departments (idempotent); `run` checks, then starts.
CMD ["sh", "-c", "minyi db init && exec minyi run"]
