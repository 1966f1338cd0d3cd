"""keras.optimizers.RMSprop."""
from tapeflow import _core
from tapeflow.framework import convert_to_tensor
from tapeflow.keras.optimizers.base import Optimizer


class RMSprop(Optimizer):
    """Divides the gradient by a running root mean square of recent gradients.

    ``v = rho * v + (1 - rho) * g**2``; (centered: ``a = rho * a + (1 - rho) * g`` and ``v - a**2``);
    ``step = lr * g / sqrt(v + epsilon)``; with momentum ``m = momentum * m + step; w -= m``.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="rmsprop",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def _build_slots(self, variable):
        slots = [self.add_variable_from_reference(variable, "velocity")]
        if self.momentum > 0:
            slots.append(self.add_variable_from_reference(variable, "momentum"))
        if self.centered:
            slots.append(self.add_variable_from_reference(variable, "average_gradient"))
        return slots

    _sparse_updates = True

    def _fused_only(self):
        return not self.centered and self.momentum <= 0

    def update_step(self, gradient, variable, learning_rate):
        slots = self._slots[id(variable)]
        if not self.centered and self.momentum <= 0:
            self._apply_fused("rmsprop", variable, gradient, slots, learning_rate, self.rho, 1 - self.rho, self.epsilon)
            return
        gradient = convert_to_tensor(gradient)
        velocity = slots[0]
        rho = self.rho
        velocity.assign(_core.add(_core.multiply(velocity, rho), _core.multiply(_core.square(gradient), 1 - rho)))
        if self.centered:
            avg = slots[-1]
            avg.assign(_core.add(_core.multiply(avg, rho), _core.multiply(gradient, 1 - rho)))
            denom = _core.add(_core.subtract(velocity, _core.square(avg)), self.epsilon)
        else:
            denom = _core.add(velocity, self.epsilon)
        increment = _core.divide(_core.multiply(gradient, learning_rate), _core.sqrt(denom))
        if self.momentum > 0:
            m = slots[1]
            m.assign(_core.add(_core.multiply(m, self.momentum), increment))
            variable.assign_sub(m)
        else:
            variable.assign_sub(increment)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered})
        return config
