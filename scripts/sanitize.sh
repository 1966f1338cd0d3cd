#!/usr/bin/env bash
# Builds the extension with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/ and runs the test suite against it. Any sanitizer report fails the run.
# Usage: scripts/sanitize.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/build-asan/pkg"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAPEFLOW_SANITIZE=ON -DTAPEFLOW_CUDA=OFF \
  -DTAPEFLOW_BENCHMARKS=OFF -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" \
  -DTAPEFLOW_PYTHON_OUT="$out/tapeflow" >/dev/null
# the sanitized _core lands in build-asan/pkg/tapeflow next to a copy of the Python sources
mkdir -p "$out/tapeflow"
(cd python && tar cf - --exclude='*.so' --exclude='__pycache__' tapeflow) | (cd "$out" && tar xf -)
cmake --build build-asan >/dev/null
export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1"  # a huge allocation raises MemoryError, as without ASan
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export PYTHONPATH="$out"
export PYTHONMALLOC=malloc
python3 -m pytest -p no:cacheprovider "$@"  # no paths given: pyproject testpaths (tests/)
