import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import pytest  # noqa: E402

import tapeflow as tf  # noqa: E402

# Where a GPU is visible every test runs there (ops and models go to GPU:0 by default, as in TensorFlow); hide it
# with CUDA_VISIBLE_DEVICES="" to run the suite on the CPU. TF32 is off so that float32 results match the CPU's
# (test_gpu.py checks TF32 itself).
if tf.config.list_physical_devices("GPU"):
    tf.config.experimental.enable_tensor_float32_execution(False)


@pytest.fixture
def on_cpu():
    """For tests of CPU features (memory planning and fusion of captured steps, zero-copy NumPy views): they run on
    the CPU wherever the suite runs."""
    with tf.device("/CPU:0"):
        yield


def pytest_terminal_summary(terminalreporter):
    """Says what a green run covered on this machine: the GEMM kernels' ISAs that ran (an ISA the CPU lacks is
    not collected, so a pass on an AVX2-only machine is no AVX-512 check) and the op fuzzer's counts."""
    gemm = sys.modules.get("test_gemm")
    if gemm is not None:
        missing = [isa for isa in ("avx512", "avx2", "generic") if isa not in gemm.ISAS]
        terminalreporter.write_line("GEMM kernels tested: %s%s" % (", ".join(gemm.ISAS), "; not on this CPU: " +
                                                                   ", ".join(missing) if missing else ""))
    gpus = tf.config.list_physical_devices("GPU")
    terminalreporter.write_line("device: %s" % ("GPU:0 (%s)" % tf._core.cuda_device_name(0) if gpus else "CPU"))
    fuzz = sys.modules.get("test_fuzz")
    if fuzz is not None and fuzz.FUZZ_COUNTS:
        terminalreporter.write_line("op fuzzer: %s" % dict(sorted(fuzz.FUZZ_COUNTS.items())))
