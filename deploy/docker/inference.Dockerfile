# The inference server: DialoGPT over gRPC on a GPU. Build from the repository root:
#   docker build -f deploy/docker/inference.Dockerfile -t clinic-assistant/inference:0.1.0 .
# Model weights are not in the image: they are downloaded once into HF_HOME, a volume
# (docker-compose.yml `model-cache`, a PersistentVolumeClaim on Kubernetes), or read from a
# directory there with MODEL_NAME=/models/<dir> HF_HUB_OFFLINE=1 where the hub is unreachable.

FROM nvidia/cuda:12.8.1-runtime-ubuntu24.04

ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# Ubuntu 24.04's own Python (3.12; the project needs >= 3.11).
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app

# torch is pinned and installed alone, as the Makefile does: a looser spec drags in other builds.
# Its wheel carries its own CUDA libraries; the node's driver must support their CUDA version.
RUN pip install torch==2.13.0

COPY pyproject.toml ./
COPY protos/inference.proto protos/__init__.py protos/
COPY inference inference
# The gRPC code is generated (never committed) by a grpcio-tools matching the grpcio installed with it.
RUN pip install ".[inference]" "grpcio-tools>=1.66" \
    && python -m grpc_tools.protoc -I. --python_out=. --grpc_python_out=. protos/inference.proto \
    && pip uninstall -y grpcio-tools

RUN groupadd --system --gid 10001 clinic \
    && useradd --system --uid 10001 --gid clinic --home-dir /models --shell /usr/sbin/nologin clinic \
    && mkdir -p /models/huggingface \
    && chown -R 10001:10001 /models

ENV PYTHONPATH=/app \
    HF_HOME=/models/huggingface \
    MODEL_NAME=microsoft/DialoGPT-medium \
    DEVICE=cuda \
    INFERENCE_HOST=0.0.0.0 \
    INFERENCE_PORT=50051 \
    INFERENCE_METRICS_PORT=9464 \
    INFERENCE_SHUTDOWN_GRACE_S=20

VOLUME ["/models"]
USER 10001:10001
EXPOSE 50051 9464

# SERVING only once the model is loaded and warmed up: the first start downloads it, so allow time.
HEALTHCHECK --interval=15s --timeout=5s --start-period=600s --retries=3 \
    CMD ["python", "-c", "import sys, grpc; from grpc_health.v1 import health_pb2 as h, health_pb2_grpc as g; r = g.HealthStub(grpc.insecure_channel('127.0.0.1:50051')).Check(h.HealthCheckRequest(service=''), timeout=3); sys.exit(r.status != h.HealthCheckResponse.SERVING)"]

# SIGTERM drains: NOT_SERVING, calls in flight finish within INFERENCE_SHUTDOWN_GRACE_S.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "inference"]
