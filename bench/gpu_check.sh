#!/usr/bin/env bash
# The inference service's checks on a GPU machine, in one run that fits a short lease.
#
# Run from the repository root on a machine with an NVIDIA GPU and its own python3 with torch (CUDA) in it:
# the packages the service needs beyond that travel as wheels in .whl/ (see bench/GPU.md for how they are
# fetched) and go into /tmp/site. The generated gRPC modules (protos/*_pb2*.py) must be there too.
# Writes everything under $OUT (default: .cache/gpu-check): versions, the CUDA tests, `make bench-inference`'s
# bench for the small and medium shapes, peak GPU memory, and the model-load comparison (bench/gpu_load.py).
set -uo pipefail
OUT=${OUT:-.cache/gpu-check}
mkdir -p "$OUT" .cache/bench/logs
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
started=$(date +%s)
stage() { echo "== $(( $(date +%s) - started ))s: $*"; }

stage "install"
if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || exit 1
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c 'import sys, torch, transformers; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "transformers", transformers.__version__, torch.cuda.get_device_name(0))' \
  || exit 1

stage "CUDA tests"
timeout 90 python3 -m pytest -q -p no:cacheprovider --confcutdir=tests/inference/cuda tests/inference/cuda 2>&1 \
  | tail -40

stage "checkpoints"
timeout 60 python3 -c '
from pathlib import Path
from bench.checkpoint import ARCHS, ensure_checkpoint
for arch in ("small", "medium"):
    ensure_checkpoint(Path(f".cache/bench/dialogpt-{arch}-random"), ARCHS[arch], seed=0)
' || echo "checkpoints failed"

# Peak memory the card reports (every process on it: this bench and the gRPC server it starts).
bench() {
  local arch=$1 limit=$2
  stage "bench $arch"
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > ".cache/gpu-memory-$arch.csv" &
  local monitor=$!
  timeout "$limit" python3 -m bench.inference_bench --device cuda --arch "$arch" --results "$OUT/RESULTS-$arch.md" \
    > ".cache/bench-$arch.log" 2>&1
  echo "rc=$?"
  kill "$monitor"
  sed -n '/^mode /,$p' ".cache/bench-$arch.log" | sed '/^phases:/q'
  tail -3 ".cache/bench-$arch.log"
  echo "peak GPU memory used, $arch: $(sort -n ".cache/gpu-memory-$arch.csv" | tail -1) MiB (nvidia-smi, every 200 ms)"
}
bench small 140

stage "model load: server's way against accelerate's device_map"
timeout 80 python3 -m bench.gpu_load --repeats 2 .cache/bench/dialogpt-small-random .cache/bench/dialogpt-medium-random \
  2>&1 | tail -12 | tee "$OUT/load.txt"

bench medium 150

stage "done"
tar czf "$OUT/logs.tgz" .cache/bench/logs .cache/bench-*.log .cache/gpu-memory-*.csv 2>/dev/null
