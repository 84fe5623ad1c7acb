# The gateway: FastAPI under uvicorn, WEB_CONCURRENCY worker processes per container (default 1), no torch.
# The same image runs the notification service (`python -m notifications`, port 9102) with another command.
# Build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t clinic-assistant/gateway:0.1.0 .
# Configuration and secrets come from the environment at run time (docker-compose.yml env_file,
# Kubernetes Secret); nothing secret is written into the image.

FROM python:3.11.14-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app

COPY pyproject.toml ./
COPY protos/inference.proto protos/__init__.py protos/
COPY gateway gateway
COPY appointments appointments
COPY notifications notifications
COPY devstack devstack
COPY migrations migrations
# The package without the inference extra (no transformers, no torch). The gRPC code is generated,
# never committed: grpcio-tools beside the grpcio it installs makes code that grpcio accepts, then goes.
RUN pip install . "grpcio-tools>=1.66" \
    && python -m grpc_tools.protoc -I. --python_out=. --grpc_python_out=. protos/inference.proto \
    && pip uninstall -y grpcio-tools


FROM python:3.11.14-slim-bookworm

# The code runs from /app, where migrations/ sits beside gateway/ as gateway/db.py expects.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app

RUN groupadd --system --gid 10001 clinic \
    && useradd --system --uid 10001 --gid clinic --no-create-home --shell /usr/sbin/nologin clinic

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app/protos /app/protos
COPY --from=build /app/gateway /app/gateway
COPY --from=build /app/appointments /app/appointments
COPY --from=build /app/notifications /app/notifications
COPY --from=build /app/devstack /app/devstack
COPY --from=build /app/migrations /app/migrations
WORKDIR /app

USER 10001:10001
EXPOSE 8000

# /health: the process is alive (readiness, with its dependencies, is /ready).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"]

# Worker processes: one per CPU core the container may use (docker-compose.yml, deploy/k8s/gateway.yaml).
# gateway.serve runs uvicorn with them; under several it gives /metrics a folder in /tmp to sum them in.
ENV WEB_CONCURRENCY=1

# uvicorn drains in-flight requests on SIGTERM for up to 20 s; give the container at least that.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "gateway.serve", "--host", "0.0.0.0", "--port", "8000", \
     "--proxy-headers", "--forwarded-allow-ips", "*", "--timeout-graceful-shutdown", "20", "--no-access-log"]
