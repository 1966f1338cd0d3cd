"""keras.optimizers.Adam, AdamW, Adamax and Nadam: the Adam family."""
from tapeflow import _core
from tapeflow.keras.optimizers.base import Optimizer


class Adam(Optimizer):
    """Adam: ``m += (g - m) * (1 - beta_1)``, ``v += (g**2 - v) * (1 - beta_2)``,
    ``w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``;
    with amsgrad ``v`` is replaced by its running maximum."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="adam",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def _build_slots(self, variable):
        slots = [self.add_variable_from_reference(variable, "momentum"),
                 self.add_variable_from_reference(variable, "velocity")]
        if self.amsgrad:
            slots.append(self.add_variable_from_reference(variable, "velocity_hat"))
        return slots

    _sparse_updates = True

    def _fused_only(self):
        return True

    def update_step(self, gradient, variable, learning_rate):
        self._apply_fused("adam_amsgrad" if self.amsgrad else "adam", variable, gradient, self._slots[id(variable)],
                          learning_rate, 1 - self.beta_1, 1 - self.beta_2, self.epsilon, (self.beta_1, self.beta_2))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay: each step first does ``w -= w * weight_decay * lr``."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adamw", **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         name=name, weight_decay=weight_decay, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")


class Adamax(Optimizer):
    """Adam with the infinity norm: ``u = max(beta_2 * u, |g|)``, ``w -= lr * m / ((1 - beta_1**t) * (u + eps))``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="adamax", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _build_slots(self, variable):
        return [self.add_variable_from_reference(variable, "m"), self.add_variable_from_reference(variable, "u")]

    def update_step(self, gradient, variable, learning_rate):
        m, u = self._slots[id(variable)]
        t = self._t
        m.assign_add(_core.multiply(_core.subtract(gradient, m), 1 - self.beta_1))
        u.assign(_core.maximum(_core.multiply(u, self.beta_2), _core.abs(gradient)))
        scale = learning_rate / (1 - self.beta_1 ** t)
        variable.assign_sub(_core.divide(_core.multiply(m, scale), _core.add(u, self.epsilon)))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config


class Nadam(Optimizer):
    """Adam with Nesterov momentum and the momentum schedule ``u_t = beta_1 * (1 - 0.5 * 0.96 ** t)``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="nadam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._u_product, self._u_steps = 1.0, 0  # prod of u_1..u_{_u_steps}

    def _build_slots(self, variable):
        return [self.add_variable_from_reference(variable, "momentum"),
                self.add_variable_from_reference(variable, "velocity")]

    def _step_begin(self):
        t = self._t
        self._u_t = self.beta_1 * (1.0 - 0.5 * 0.96 ** t)
        self._u_t1 = self.beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        if self._u_steps != t - 1:  # the step counter was set (e.g. by loading a saved optimizer): recompute
            self._u_product = 1.0
            for i in range(1, t):
                self._u_product *= self.beta_1 * (1.0 - 0.5 * 0.96 ** i)
        self._u_product *= self._u_t
        self._u_steps = t
        self._beta_2_power = self.beta_2 ** t

    def update_step(self, gradient, variable, learning_rate):
        m, v = self._slots[id(variable)]
        u_t, u_t1, up = self._u_t, self._u_t1, self._u_product
        m.assign_add(_core.multiply(_core.subtract(gradient, m), 1 - self.beta_1))
        v.assign_add(_core.multiply(_core.subtract(_core.square(gradient), v), 1 - self.beta_2))
        m_hat = _core.add(_core.multiply(m, u_t1 / (1 - up * u_t1)), _core.multiply(gradient, (1 - u_t) / (1 - up)))
        v_hat = _core.multiply(v, 1.0 / (1 - self._beta_2_power))
        variable.assign_sub(_core.divide(_core.multiply(m_hat, learning_rate), _core.add(_core.sqrt(v_hat), self.epsilon)))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
