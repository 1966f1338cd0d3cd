"""tf.errors: the exception classes ops raise. InvalidArgumentError is also a
ValueError and UnimplementedError a NotImplementedError, so either catch works."""
from tapeflow import _core


class OpError(Exception):
    """Base of errors raised while running an op."""

    def __init__(self, node_def=None, op=None, message=None, *args):
        if message is None and node_def is not None and op is None:
            message, node_def = node_def, None
        super().__init__(message)
        self.message = message
        self.node_def = node_def
        self.op = op


class InvalidArgumentError(OpError, ValueError):
    """An op received an invalid argument (shapes, values, indices)."""


class UnimplementedError(OpError, NotImplementedError):
    """The operation is not implemented (for this device or these arguments)."""


class NotFoundError(OpError):
    pass


class ResourceExhaustedError(OpError, MemoryError):
    pass


class FailedPreconditionError(OpError):
    pass


_core._set_error_classes(InvalidArgumentError, UnimplementedError, ResourceExhaustedError)
