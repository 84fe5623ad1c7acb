#!/usr/bin/env bash
# Fetch into .whl/ the wheels bench/gpu_check.sh installs on a GPU machine that cannot reach a registry.
#
# That machine's image has Python 3.12 with torch (CUDA), numpy, safetensors, PyYAML, hf-xet and the like; this
# fetches what the inference service and its bench need beyond them, at the versions this checkout's .venv
# runs (so transformers is the one pyproject.toml installs, not the image's), for CPython 3.12 on x86-64.
set -euo pipefail
PY=${PY:-.venv/bin/python}
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
"$PY" -m pip freeze --exclude-editable | grep -v ' @ ' > "$constraints"
rm -rf .whl && mkdir .whl
"$PY" -m pip download --quiet --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -c "$constraints" -d .whl \
  transformers grpcio grpcio-health-checking opentelemetry-sdk opentelemetry-instrumentation-grpc structlog \
  pydantic-settings pytest pytest-asyncio pytest-timeout
# Already in the image, and large: the image's own copies serve (the travelling tree is limited to 64 MiB).
rm -f .whl/numpy-* .whl/hf_xet-* .whl/pygments-* .whl/rich-* .whl/markdown_it_py-* .whl/mdurl-* \
  .whl/safetensors-* .whl/pyyaml-* .whl/PyYAML-* .whl/torch-* .whl/nvidia_* .whl/triton-*
du -sh .whl
