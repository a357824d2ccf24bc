"""Adagrad (Duchi et al., 2011): per-coordinate steps scaled by accumulated squared gradients."""

from __future__ import annotations

from .._backend.device import array_module, on_device_of
from .._tensor import _make
from .optimizer import (
    Optimizer,
    _add_scaled_square_,
    _as_float,
    _bump_version,
    _check_differentiable,
    _check_lr,
    _check_nonnegative,
    _grad_with_decay,
    _increment_step,
    _on_param_devices,
    _scalar_state,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, PyTorch's update rule.

    ``s += g * g``; ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)``. As in
    PyTorch, the state of every parameter is created by the constructor.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-2).
        lr_decay: learning rate decay (default 0).
        weight_decay: L2 penalty added to the gradient (default 0).
        initial_accumulator_value: starting value of the sums of squares (default 0).
        eps: added to the denominator for numerical stability (default 1e-10).
        maximize: maximize the objective instead of minimizing (default False).
        foreach, fused: accepted for compatibility; they do not change the update.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_lr(lr)
        _check_nonnegative(lr_decay, "lr_decay value")
        _check_nonnegative(weight_decay, "weight_decay value")
        _check_nonnegative(initial_accumulator_value, "initial_accumulator_value value")
        _check_nonnegative(eps, "epsilon value")
        _check_differentiable(differentiable)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        # PyTorch creates Adagrad's state up front (groups added later get it lazily).
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p], group)

    def _init_state(self, p, state: dict, group: dict) -> None:
        state["step"] = _scalar_state(0.0)
        value = group["initial_accumulator_value"]
        d = p._data  # also called from __init__, outside step: on the parameter's device
        state["sum"] = _make(on_device_of(d, array_module(d).full_like, d, value))

    @_on_param_devices
    def step(self, closure=None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = _as_float(group["lr"])
            lr_decay = group["lr_decay"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            for p, g, state in self._params_with_grad(group):
                step = _increment_step(state)
                param = p._data
                xp = array_module(param)
                grad = _grad_with_decay(param, g._data, weight_decay, maximize)
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]._data
                tmp = xp.empty_like(param)
                _add_scaled_square_(xp, state_sum, grad, 1.0, tmp)
                std = xp.sqrt(state_sum, out=tmp)
                std += eps
                update = xp.divide(grad, std, out=tmp)
                update *= -clr
                param += update
                _bump_version(p)
        return loss
