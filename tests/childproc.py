"""Runs Python code in a child process, so that a crash or a hang in it is a result the test can count, not the
end of the test run."""
import os
import subprocess
import sys

_ROOT = os.path.dirname(os.path.abspath(__file__))


def run_child(code, timeout=60, env=None):
    """Runs ``code`` with a fresh interpreter (the tests' sys.path); returns (returncode or "timeout", stdout,
    stderr). A negative return code is the signal that killed the child (-11: segmentation fault)."""
    child_env = dict(os.environ)
    child_env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p] + [_ROOT])
    child_env.update(env or {})
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                              env=child_env)
    except subprocess.TimeoutExpired as e:
        return "timeout", e.stdout or "", e.stderr or ""
    return done.returncode, done.stdout, done.stderr
