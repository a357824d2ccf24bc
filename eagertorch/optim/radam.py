"""RAdam (Liu et al., 2019): Adam with a rectified adaptive learning rate."""

from __future__ import annotations

from .._backend.device import array_module
from .optimizer import (
    Optimizer,
    _adam_grad,
    _as_float,
    _bump_version,
    _check_betas,
    _check_differentiable,
    _check_lr,
    _check_nonnegative,
    _increment_step,
    _on_param_devices,
    _scalar_state,
    _update_adam_moments_,
    _zeros_state,
)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam, PyTorch's update rule.

    While the variance estimate is untrustworthy (``rho_t <= 5``) the step is plain
    momentum SGD ``p -= lr * m_hat``; afterwards it is Adam's step times the rectification.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-3).
        betas: decay rates of the moment averages (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: weight decay (default 0): L2 on the gradient, or on the parameter
            with ``decoupled_weight_decay=True`` (RAdamW).
        maximize: maximize the objective instead of minimizing (default False).
        foreach, capturable: accepted for compatibility; they do not change the update.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
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
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, state: dict, group: dict) -> None:
        state["step"] = _scalar_state(0.0)
        state["exp_avg"] = _zeros_state(p)
        state["exp_avg_sq"] = _zeros_state(p)

    @_on_param_devices
    def step(self, closure=None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = _as_float(group["lr"])
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            decoupled = group["decoupled_weight_decay"]
            maximize = group["maximize"]
            rho_inf = 2 / (1 - beta2) - 1
            for p, g, state in self._params_with_grad(group):
                step = _increment_step(state)
                param = p._data
                xp = array_module(param)
                grad = _adam_grad(param, g._data, lr, weight_decay, decoupled, maximize)
                exp_avg = state["exp_avg"]._data
                exp_avg_sq = state["exp_avg_sq"]._data
                tmp = xp.empty_like(param)
                _update_adam_moments_(xp, exp_avg, exp_avg_sq, grad, beta1, beta2, tmp)

                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                update = xp.divide(exp_avg, bias_correction1)
                update *= lr
                rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
                if rho_t > 5.0:
                    rect = (
                        (rho_t - 4)
                        * (rho_t - 2)
                        * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                    ) ** 0.5
                    adaptive = xp.sqrt(exp_avg_sq, out=tmp)
                    adaptive += eps
                    xp.divide(bias_correction2**0.5, adaptive, out=adaptive)
                    update *= adaptive
                    update *= rect
                param -= update
                _bump_version(p)
        return loss
