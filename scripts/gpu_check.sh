#!/usr/bin/env bash
# The GPU check, one prepared command for a machine with an NVIDIA GPU (the device tool's H200 machines):
#   1. builds the extension from scratch with the CUDA backend, with all cores;
#   2. runs tests/test_gpu.py, then the whole suite with ops on the GPU (every opcheck row compares the GPU's
#      values and gradients with the CPU's);
#   3. runs the GPU benchmark against PyTorch on the same GPU (benchmarks/python/bench_gpu.py --quick);
#   4. runs compute-sanitizer --tool memcheck over a short subset of test_gpu.py.
# Logs go to $OUT (the device tool's folder) or ./gpu-logs; a summary prints last. Each stage has a time limit so
# that the whole stays under 8 minutes. Usage: scripts/gpu_check.sh [--no-suite] [--no-memcheck]
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${OUT:-$root/gpu-logs}
mkdir -p "$out"
py=${PYTHON:-python3}
suite=1 memcheck=1
for a in "$@"; do
  case $a in --no-suite) suite=0 ;; --no-memcheck) memcheck=0 ;; esac
done
export PYTHONUNBUFFERED=1
summary="$out/summary.txt"
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
start=$(date +%s)

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv >"$out/nvidia-smi.txt" 2>&1
note "GPU: $(tail -1 "$out/nvidia-smi.txt")"

pkg="$root/build-gpu/pkg"
rm -rf build-gpu
mkdir -p "$pkg/tapeflow"
(cd python && tar cf - --exclude='*.so' --exclude='__pycache__' tapeflow) | (cd "$pkg" && tar xf -)
if ! timeout 300 bash -c "cmake -S . -B build-gpu -G Ninja -DTAPEFLOW_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=${ARCH:-90} \
      -DTAPEFLOW_BENCHMARKS=OFF -Dpybind11_DIR=\$($py -m pybind11 --cmakedir) -DPython_EXECUTABLE=\$(command -v $py) \
      -DTAPEFLOW_PYTHON_OUT=$pkg/tapeflow && cmake --build build-gpu -j \$(nproc)" >"$out/build.log" 2>&1; then
  tail -40 "$out/build.log"
  note "build: FAILED after $(( $(date +%s) - start )) s"
  exit 1
fi
note "build: ok in $(( $(date +%s) - start )) s"
export PYTHONPATH="$pkg"

$py -c "
import tapeflow as tf
print(tf.config.list_physical_devices(), tf._core.cuda_compute_capability(0))
x = tf.constant([[1., 2.], [3., 4.]])
print(x.device, tf.matmul(x, x).numpy().tolist(), float(tf.reduce_sum(x)))
" >"$out/smoke.log" 2>&1
note "smoke: $(tr '\n' ' ' <"$out/smoke.log" | cut -c1-300)"

t=$(date +%s)
timeout 150 $py -m pytest tests/test_gpu.py -q -p no:cacheprovider -x --tb=short >"$out/test_gpu.log" 2>&1
note "test_gpu.py (rc $?, $(( $(date +%s) - t )) s): $(tail -1 "$out/test_gpu.log")"
grep -E "^(FAILED|ERROR)" "$out/test_gpu.log" | head -20 | tee -a "$summary"

t=$(date +%s)
timeout 100 $py benchmarks/python/bench_gpu.py --quick >"$out/bench.log" 2>&1
note "bench (rc $?, $(( $(date +%s) - t )) s):"
tail -8 "$out/bench.log" | tee -a "$summary"

if [ $suite = 1 ]; then
  t=$(date +%s)
  timeout 200 $py -m pytest tests -q -p no:cacheprovider --tb=line -o faulthandler_timeout=60 \
    --deselect tests/test_gpu.py >"$out/suite.log" 2>&1
  note "suite on the GPU (rc $?, $(( $(date +%s) - t )) s): $(tail -1 "$out/suite.log")"
  grep -E "^(FAILED|ERROR)" "$out/suite.log" | head -60 | tee -a "$summary"
fi

if [ $memcheck = 1 ]; then
  t=$(date +%s)
  timeout 120 compute-sanitizer --tool memcheck --error-exitcode 9 --print-limit 20 \
    $py -m pytest tests/test_gpu.py -q -p no:cacheprovider -x -k "matmul_parity or softmax or fit_evaluate or casts" \
    >"$out/memcheck.log" 2>&1
  note "memcheck (rc $?, $(( $(date +%s) - t )) s): $(grep -E 'ERROR SUMMARY|passed|failed' "$out/memcheck.log" | tail -2 | tr '\n' ' ')"
fi
note "total: $(( $(date +%s) - start )) s"
