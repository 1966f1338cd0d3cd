"""tf.config: devices and threading."""
import collections

from tapeflow import _core

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])
LogicalDevice = collections.namedtuple("LogicalDevice", ["name", "device_type"])


def list_physical_devices(device_type=None):
    """The CPU, plus one entry per GPU when tapeflow was built with CUDA and a GPU is present."""
    found = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    found += [PhysicalDevice("/physical_device:GPU:%d" % i, "GPU") for i in range(_core.cuda_device_count())]
    if device_type is None:
        return found
    return [d for d in found if d.device_type == device_type.upper()]


def list_logical_devices(device_type=None):
    return [LogicalDevice(d.name.replace("/physical_device:", "/device:"), d.device_type)
            for d in list_physical_devices(device_type)]


def get_visible_devices(device_type=None):
    return list_physical_devices(device_type)


class threading:  # noqa: N801 - tf.config.threading namespace
    _intra = 0
    _inter = 0

    @staticmethod
    def set_intra_op_parallelism_threads(num_threads):
        """Sets the size of the kernel thread pool; 0 means one thread per core."""
        threading._intra = int(num_threads)
        _core.set_num_threads(int(num_threads))

    @staticmethod
    def get_intra_op_parallelism_threads():
        return threading._intra

    @staticmethod
    def set_inter_op_parallelism_threads(num_threads):
        """Accepted for compatibility: tapeflow runs ops one after another."""
        threading._inter = int(num_threads)

    @staticmethod
    def get_inter_op_parallelism_threads():
        return threading._inter


class experimental:  # noqa: N801 - tf.config.experimental namespace
    @staticmethod
    def enable_op_determinism():
        """CPU kernels are already deterministic for any thread count; nothing to change."""

    @staticmethod
    def set_memory_growth(device, enable):
        """Accepted for compatibility: GPU memory is always taken as it is needed (a caching allocator)."""

    @staticmethod
    def get_memory_info(device):
        """``{"current": bytes, "peak": bytes}`` of the tensors on a GPU ("GPU:0"), as TensorFlow reports them."""
        return _core.cuda_memory_info(_gpu_index(device))

    @staticmethod
    def reset_memory_stats(device):
        """Starts the peak of get_memory_info over from the current use."""
        _core.cuda_reset_peak_memory(_gpu_index(device))

    @staticmethod
    def enable_tensor_float32_execution(enabled):
        """TensorFloat-32 for float32 matrix products on GPUs that have it (on by default, as in TensorFlow)."""
        _core.set_tf32(bool(enabled))

    @staticmethod
    def tensor_float_32_execution_enabled():
        return _core.tf32_enabled()


def _gpu_index(device):
    name = str(getattr(device, "name", device)).upper()
    if "GPU" not in name:
        raise ValueError("get_memory_info expects a GPU device such as 'GPU:0', got %r" % (device,))
    tail = name.rsplit(":", 1)[-1]
    index = int(tail) if tail.isdigit() else 0
    if index >= _core.cuda_device_count():
        raise ValueError("%r is not a visible GPU (%d visible)" % (device, _core.cuda_device_count()))
    return index


_run_functions_eagerly = False


def run_functions_eagerly(run_eagerly):
    """With True, Keras models run every fit / evaluate / predict step eagerly instead of replaying a captured
    step (as ``compile(run_eagerly=True)``)."""
    global _run_functions_eagerly
    _run_functions_eagerly = bool(run_eagerly)


def functions_run_eagerly():
    return _run_functions_eagerly


_soft_placement = True


def set_soft_device_placement(enabled):
    """Whether an op placed on a device that is not there runs on the CPU instead (default True)."""
    global _soft_placement
    _soft_placement = bool(enabled)


def get_soft_device_placement():
    return _soft_placement
