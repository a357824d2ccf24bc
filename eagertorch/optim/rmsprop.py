"""RMSprop (Hinton's lecture 6e), with optional momentum and centering."""

from __future__ import annotations

from .._backend.device import array_module
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
    _lerp_,
    _on_param_devices,
    _scalar_state,
    _zeros_state,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, PyTorch's update rule.

    ``v = alpha * v + (1 - alpha) * g * g``; the step divides ``g`` by ``sqrt(v) + eps``
    (``sqrt(v - avg(g)**2) + eps`` when centered), through a momentum buffer if one is set.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant (default 0.99).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty added to the gradient (default 0).
        momentum: momentum factor (default 0).
        centered: normalize by an estimate of the gradient's variance (default False).
        maximize: maximize the objective instead of minimizing (default False).
        capturable, foreach: accepted for compatibility; they do not change the update.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_nonnegative(eps, "epsilon value")
        _check_nonnegative(momentum, "momentum value")
        _check_nonnegative(weight_decay, "weight_decay value")
        _check_nonnegative(alpha, "alpha value")
        _check_differentiable(differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, state: dict, group: dict) -> None:
        state["step"] = _scalar_state(0.0)
        state["square_avg"] = _zeros_state(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = _zeros_state(p)
        if group["centered"]:
            state["grad_avg"] = _zeros_state(p)

    @_on_param_devices
    def step(self, closure=None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = _as_float(group["lr"])
            alpha = group["alpha"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            momentum = group["momentum"]
            centered = group["centered"]
            maximize = group["maximize"]
            for p, g, state in self._params_with_grad(group):
                _increment_step(state)
                param = p._data
                xp = array_module(param)
                grad = _grad_with_decay(param, g._data, weight_decay, maximize)
                square_avg = state["square_avg"]._data
                tmp = xp.empty_like(param)
                square_avg *= alpha
                _add_scaled_square_(xp, square_avg, grad, 1 - alpha, tmp)
                if centered:
                    grad_avg = state["grad_avg"]._data
                    _lerp_(xp, grad_avg, grad, 1 - alpha, tmp)
                    avg = xp.multiply(grad_avg, grad_avg, out=tmp)
                    xp.subtract(square_avg, avg, out=avg)
                    xp.sqrt(avg, out=avg)
                else:
                    avg = xp.sqrt(square_avg, out=tmp)
                avg += eps
                update = xp.divide(grad, avg, out=tmp)
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += update
                    update = xp.multiply(buf, lr, out=tmp)
                else:
                    update *= lr
                param -= update
                _bump_version(p)
        return loss
