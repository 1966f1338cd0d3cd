"""The op fuzzer (tests/fuzz_ops.py) in the suite: a seeded run of TAPEFLOW_FUZZ_CASES cases (2000 by default,
a few seconds; `python tests/fuzz_ops.py --cases 20000` is the local run), each in a worker process so that a
crash or a hang is counted. None may crash, hang, raise an error outside the API's promises, differ from NumPy
or give different bits on a second call."""
import os

import fuzz_ops

CASES = int(os.environ.get("TAPEFLOW_FUZZ_CASES", "2000"))
FUZZ_COUNTS = {}  # shown in the test summary (conftest.py)


def test_fuzzed_public_ops_never_crash_hang_or_disagree_with_numpy():
    counts, bad = fuzz_ops.fuzz(seed=int(os.environ.get("TAPEFLOW_FUZZ_SEED", "0")), cases=CASES)
    FUZZ_COUNTS.update(counts, cases=CASES)
    assert sum(counts[k] for k in ("value", "error", "bad_error", "mismatch", "nondeterministic", "crash",
                                   "hang")) == CASES
    assert counts["compared_with_numpy"] > CASES // 4  # the values are checked, not only the absence of crashes
    assert not bad, "\n".join(str(b) for b in bad[:20])
