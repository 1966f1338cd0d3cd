"""keras.optimizers.Adagrad and Adadelta."""
from tapeflow import _core
from tapeflow.keras.optimizers.base import Optimizer


class Adagrad(Optimizer):
    """``a += g**2``; ``w -= lr * g / sqrt(a + epsilon)``, ``a`` starting at ``initial_accumulator_value``."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name="adagrad", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _build_slots(self, variable):
        return [self.add_variable_from_reference(variable, "accumulator", self.initial_accumulator_value)]

    _sparse_updates = True

    def _fused_only(self):
        return True

    def update_step(self, gradient, variable, learning_rate):
        self._apply_fused("adagrad", variable, gradient, self._slots[id(variable)], learning_rate, eps=self.epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon})
        return config


class Adadelta(Optimizer):
    """``a = rho a + (1 - rho) g**2``; ``d = -sqrt(ad + eps) / sqrt(a + eps) * g``;
    ``ad = rho ad + (1 - rho) d**2``; ``w += lr * d``."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="adadelta", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def _build_slots(self, variable):
        return [self.add_variable_from_reference(variable, "accumulated_grad"),
                self.add_variable_from_reference(variable, "accumulated_delta_var")]

    def update_step(self, gradient, variable, learning_rate):
        acc_g, acc_d = self._slots[id(variable)]
        rho, eps = self.rho, self.epsilon
        acc_g.assign(_core.add(_core.multiply(acc_g, rho), _core.multiply(_core.square(gradient), 1 - rho)))
        delta = _core.negative(_core.multiply(_core.divide(_core.sqrt(_core.add(acc_d, eps)),
                                                           _core.sqrt(_core.add(acc_g, eps))), gradient))
        acc_d.assign(_core.add(_core.multiply(acc_d, rho), _core.multiply(_core.square(delta), 1 - rho)))
        variable.assign_add(_core.multiply(delta, learning_rate))

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
