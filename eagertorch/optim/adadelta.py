"""Adadelta (Zeiler, 2012): steps scaled by the ratio of running RMS of updates and gradients."""

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
    _on_param_devices,
    _scalar_state,
    _zeros_state,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, PyTorch's update rule.

    ``v = rho * v + (1 - rho) * g * g``; ``d = sqrt(u + eps) / sqrt(v + eps) * g``;
    ``u = rho * u + (1 - rho) * d * d``; ``p -= lr * d``.

    Args:
        params: parameters or parameter groups to optimize.
        lr: coefficient that scales the update (default 1.0).
        rho: decay rate of the running averages (default 0.9).
        eps: added inside the square roots for numerical stability (default 1e-6).
        weight_decay: L2 penalty added to the gradient (default 0).
        maximize: maximize the objective instead of minimizing (default False).
        foreach, capturable: accepted for compatibility; they do not change the update.
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonnegative(eps, "epsilon value")
        _check_nonnegative(weight_decay, "weight_decay value")
        _check_differentiable(differentiable)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, state: dict, group: dict) -> None:
        state["step"] = _scalar_state(0.0)
        state["square_avg"] = _zeros_state(p)
        state["acc_delta"] = _zeros_state(p)

    @_on_param_devices
    def step(self, closure=None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = _as_float(group["lr"])
            rho = group["rho"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            for p, g, state in self._params_with_grad(group):
                _increment_step(state)
                param = p._data
                xp = array_module(param)
                grad = _grad_with_decay(param, g._data, weight_decay, maximize)
                square_avg = state["square_avg"]._data
                acc_delta = state["acc_delta"]._data
                tmp = xp.empty_like(param)
                square_avg *= rho
                _add_scaled_square_(xp, square_avg, grad, 1 - rho, tmp)
                std = xp.add(square_avg, eps, out=tmp)
                xp.sqrt(std, out=std)
                delta = xp.add(acc_delta, eps)
                xp.sqrt(delta, out=delta)
                delta /= std
                delta *= grad
                acc_delta *= rho
                _add_scaled_square_(xp, acc_delta, delta, 1 - rho, tmp)
                delta *= lr
                param -= delta
                _bump_version(p)
        return loss
