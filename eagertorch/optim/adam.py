"""Adam (Kingma & Ba, 2014), with optional AMSGrad and decoupled (AdamW) weight decay."""

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

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam, PyTorch's update rule and operation order.

    ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 * v + (1 - beta2) * g * g``, then
    ``p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-3).
        betas: decay rates of the first and second moment averages (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty added to the gradient (default 0), or, with
            ``decoupled_weight_decay=True``, applied to the parameter as in AdamW.
        amsgrad: use the maximum of past second moments (default False).
        maximize: maximize the objective instead of minimizing (default False).
        foreach, capturable, fused: accepted for compatibility; they do not change the update.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
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
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, state: dict, group: dict) -> None:
        state["step"] = _scalar_state(0.0)
        state["exp_avg"] = _zeros_state(p)
        state["exp_avg_sq"] = _zeros_state(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _zeros_state(p)

    @_on_param_devices
    def step(self, closure=None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = _as_float(group["lr"])
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p, g, state in self._params_with_grad(group):
                step = _increment_step(state)
                param = p._data
                xp = array_module(param)
                grad = _adam_grad(param, g._data, lr, weight_decay, decoupled, maximize)
                exp_avg = state["exp_avg"]._data
                exp_avg_sq = state["exp_avg_sq"]._data
                tmp = xp.empty_like(param)
                _update_adam_moments_(xp, exp_avg, exp_avg_sq, grad, beta1, beta2, tmp)

                step_size = lr / (1 - beta1**step)
                bias_correction2_sqrt = (1 - beta2**step) ** 0.5
                if amsgrad:
                    second = state["max_exp_avg_sq"]._data
                    xp.maximum(second, exp_avg_sq, out=second)
                else:
                    second = exp_avg_sq
                denom = xp.sqrt(second, out=tmp)
                denom /= bias_correction2_sqrt
                denom += eps
                update = xp.divide(exp_avg, denom, out=tmp)
                update *= -step_size
                param += update
                _bump_version(p)
        return loss
