# nemobot in a container: the same locked install as the README (`uv sync --frozen`), without the
# dev tools, run as a non-root user. Build: `docker build -t nemobot .`; run with compose.yaml.

# --- build: resolve nothing, install exactly uv.lock into /app/.venv ---------------------------
FROM python:3.11-slim AS build
# The uv the Makefile pins (UV_VERSION); never download an interpreter, use the image's Python.
RUN pip install --no-cache-dir uv==0.13.9
ENV UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON_PREFERENCE=only-system \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
WORKDIR /app
# Dependencies first (a layer that only changes with the lock file), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project --python python3
COPY bots ./bots
COPY core ./core
COPY simulator ./simulator
COPY storage ./storage
RUN uv sync --frozen --no-dev --no-editable --python python3

# --- run: the virtual environment and nothing else --------------------------------------------
FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data --no-create-home nemobot \
    && mkdir -p /data \
    && chown nemobot /data \
    && chmod 0700 /data
COPY --from=build /app/.venv /app/.venv
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    NEMOBOT_DATA_DIR=/data
# The data dir holds secret.key (the key of the stored tokens) and, with SQLite, nemobot.db.
VOLUME ["/data"]
WORKDIR /data
USER nemobot
# The ops port (/healthz, /metrics) when NEMOBOT_OPS_PORT=9090 and NEMOBOT_OPS_HOST=0.0.0.0.
EXPOSE 9090
ENTRYPOINT ["nemobot"]
CMD ["run"]
