"""Where the NVIDIA libraries that tapeflow loads at run time (cuBLAS) live when they come from pip wheels
(``pip install "tapeflow[cuda]"`` brings them, as TensorFlow's ``[and-cuda]`` does): their ``lib`` folders are
passed to the engine through ``TAPEFLOW_CUDA_LIBRARY_PATH``, which the loader reads after the system's paths."""
import glob
import os
import sys


def library_dirs():
    found = []
    for root in sys.path:
        for pattern in ("nvidia/cu13/lib", "nvidia/cublas/lib", "nvidia/*/lib"):
            for d in sorted(glob.glob(os.path.join(root or ".", pattern))):
                if d not in found and glob.glob(os.path.join(d, "libcublas.so*")):
                    found.append(d)
    return found


def configure():
    if "TAPEFLOW_CUDA_LIBRARY_PATH" not in os.environ:
        dirs = library_dirs()
        if dirs:
            os.environ["TAPEFLOW_CUDA_LIBRARY_PATH"] = os.pathsep.join(dirs)
