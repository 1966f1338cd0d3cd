"""keras.optimizers.SGD."""
from tapeflow.keras.optimizers.base import Optimizer


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum.

    ``m = momentum * m - lr * g``; ``w += m`` (or ``w += momentum * m - lr * g`` with nesterov);
    without momentum ``w -= lr * g``.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError("`momentum` must be a float between [0, 1]. Received: momentum=%r" % (momentum,))
        self.momentum = float(momentum)
        self.nesterov = nesterov

    def _build_slots(self, variable):
        return [self.add_variable_from_reference(variable, "momentum")] if self.momentum else []

    _sparse_updates = True

    def _fused_only(self):
        return True

    def update_step(self, gradient, variable, learning_rate):
        if not self.momentum:
            self._apply_fused("sgd", variable, gradient, [], learning_rate)
            return
        self._apply_fused("nesterov" if self.nesterov else "momentum", variable, gradient, self._slots[id(variable)],
                          learning_rate, self.momentum)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
