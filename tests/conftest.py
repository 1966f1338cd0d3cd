import os
import sys

sys.path.insert(0, os.path.dirname(__file__))


def pytest_terminal_summary(terminalreporter):
    """Says what a green run covered on this machine: the GEMM kernels' ISAs that ran (an ISA the CPU lacks is
    not collected, so a pass on an AVX2-only machine is no AVX-512 check) and the op fuzzer's counts."""
    gemm = sys.modules.get("test_gemm")
    if gemm is not None:
        missing = [isa for isa in ("avx512", "avx2", "generic") if isa not in gemm.ISAS]
        terminalreporter.write_line("GEMM kernels tested: %s%s" % (", ".join(gemm.ISAS), "; not on this CPU: " +
                                                                   ", ".join(missing) if missing else ""))
    fuzz = sys.modules.get("test_fuzz")
    if fuzz is not None and fuzz.FUZZ_COUNTS:
        terminalreporter.write_line("op fuzzer: %s" % dict(sorted(fuzz.FUZZ_COUNTS.items())))
