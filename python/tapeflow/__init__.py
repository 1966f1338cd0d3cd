"""tapeflow: a deep-learning engine with C++ kernels and a tape autograd that speaks
the TensorFlow API. ``import tapeflow as tf`` and use it as you would TensorFlow."""
import contextlib as _contextlib

from tapeflow import _core
from tapeflow import _cuda_libs

if _core.cuda_device_count():  # only where a GPU can use cuBLAS: no folder search at import elsewhere
    _cuda_libs.configure()
from tapeflow import errors
from tapeflow import dtypes
from tapeflow.dtypes import (DType, as_dtype, bool, double, float16, float32, float64, half,  # noqa: A004
                             int32, int64, string, uint8)
from tapeflow.framework import IndexedSlices, Tensor, TensorShape, constant, convert_to_tensor, is_tensor
from tapeflow.variables import Variable
from tapeflow.string_tensor import StringTensor  # noqa: F401 - the type of tf.string tensors
from tapeflow.ragged import RaggedTensor
from tapeflow.strings import fingerprint
from tapeflow.autodiff import GradientTape, UnconnectedGradients
from tapeflow._ops import *  # noqa: F401,F403
from tapeflow._ops import add_n, bias_add, tensordot  # noqa: F401
from tapeflow import config, linalg, math, nest, nn, random, ragged, strings
from tapeflow.polymorphic_function import TensorSpec, function  # noqa: F401
from tapeflow import data, image, saved_model, train, version
from tapeflow.module import Module
from tapeflow.host_print import print  # noqa: A004
from tapeflow import keras
from tapeflow.keras import initializers, losses, metrics, optimizers  # tf.metrics and friends, as TensorFlow 2 has

__version__ = version.VERSION
newaxis = None


def executing_eagerly():
    return True


@_contextlib.contextmanager
def device(device_name):
    """Places ops on a device. As in TensorFlow, soft placement (on by default) runs ops on the CPU when the
    device asked for is not there; with ``tf.config.set_soft_device_placement(False)`` that raises
    RuntimeError."""
    name = (device_name or "").upper()
    kind = "GPU" if "GPU" in name or "CUDA" in name else "CPU"
    index = int(name.rsplit(":", 1)[1]) if ":" in name and name.rsplit(":", 1)[1].isdigit() else 0
    if kind == "GPU" and index >= _core.cuda_device_count():
        if not config.get_soft_device_placement():
            if not _core.built_with_cuda():
                raise RuntimeError("%s requested, but tapeflow was built without CUDA (TAPEFLOW_CUDA=OFF or no "
                                   "toolkit); tf.config.list_physical_devices('GPU') is empty" % device_name)
            raise RuntimeError("%s requested, but %d GPU(s) are visible" % (device_name, _core.cuda_device_count()))
        kind, index = "CPU", 0
    if kind == "CPU":
        index = 0
    previous = _core._set_device(kind, index)
    try:
        yield
    finally:
        _core._restore_device(*previous)
