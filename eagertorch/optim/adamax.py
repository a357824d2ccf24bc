"""Adamax (Kingma & Ba, 2014, section 7.1): Adam with an infinity-norm second moment."""

from __future__ import annotations

from .._backend.device import array_module
from .optimizer import (
    Optimizer,
    _as_float,
    _bump_version,
    _check_betas,
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

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, PyTorch's update rule.

    ``m = lerp(m, g, 1 - beta1)``, ``u = max(beta2 * u, |g| + eps)``,
    ``p -= lr / (1 - beta1**t) * m / u``.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 2e-3).
        betas: decay rates of the first moment and the infinity norm (default (0.9, 0.999)).
        eps: added to ``|g|`` for numerical stability (default 1e-8).
        weight_decay: L2 penalty added to the gradient (default 0).
        maximize: maximize the objective instead of minimizing (default False).
        foreach, capturable: accepted for compatibility; they do not change the update.
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_nonnegative(eps, "epsilon value")
        betas = _check_betas(betas)
        _check_nonnegative(weight_decay, "weight_decay value")
        _check_differentiable(differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, state: dict, group: dict) -> None:
        state["step"] = _scalar_state(0.0)
        state["exp_avg"] = _zeros_state(p)
        state["exp_inf"] = _zeros_state(p)

    @_on_param_devices
    def step(self, closure=None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = _as_float(group["lr"])
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            for p, g, state in self._params_with_grad(group):
                step = _increment_step(state)
                param = p._data
                xp = array_module(param)
                grad = _grad_with_decay(param, g._data, weight_decay, maximize)
                exp_avg = state["exp_avg"]._data
                exp_inf = state["exp_inf"]._data
                tmp = xp.empty_like(param)
                _lerp_(xp, exp_avg, grad, 1 - beta1, tmp)
                exp_inf *= beta2
                norm = xp.abs(grad, out=tmp)
                norm += eps
                xp.maximum(exp_inf, norm, out=exp_inf)
                clr = lr / (1 - beta1**step)
                update = xp.divide(exp_avg, exp_inf, out=tmp)
                update *= -clr
                param += update
                _bump_version(p)
        return loss
