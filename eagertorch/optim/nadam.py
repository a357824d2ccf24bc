"""NAdam (Dozat, 2016): Adam with Nesterov momentum and a momentum-decay schedule."""

from __future__ import annotations

from .._backend.device import array_module
from .._tensor import Tensor
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

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, PyTorch's update rule.

    ``mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay))``; the running product of the
    ``mu_t`` is kept in ``state['mu_product']`` (a 0-d tensor, as in PyTorch).

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 2e-3).
        betas: decay rates of the moment averages (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: weight decay (default 0): L2 on the gradient, or on the parameter
            with ``decoupled_weight_decay=True`` (NAdamW).
        momentum_decay: momentum decay psi (default 4e-3).
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
        momentum_decay: float = 4e-3,
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
        _check_nonnegative(momentum_decay, "momentum_decay value")
        _check_differentiable(differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, state: dict, group: dict) -> None:
        state["step"] = _scalar_state(0.0)
        state["mu_product"] = _scalar_state(1.0)
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
            momentum_decay = group["momentum_decay"]
            decoupled = group["decoupled_weight_decay"]
            maximize = group["maximize"]
            for p, g, state in self._params_with_grad(group):
                step = _increment_step(state)
                param = p._data
                xp = array_module(param)
                bias_correction2 = 1 - beta2**step
                grad = _adam_grad(param, g._data, lr, weight_decay, decoupled, maximize)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                # The product is rounded to its tensor's dtype each step, as in PyTorch.
                mu_product = state["mu_product"]
                if isinstance(mu_product, Tensor):
                    mu_product._data *= mu
                    mu_product = float(mu_product._data)
                else:
                    mu_product = state["mu_product"] = mu_product * mu
                exp_avg = state["exp_avg"]._data
                exp_avg_sq = state["exp_avg_sq"]._data
                tmp = xp.empty_like(param)
                _update_adam_moments_(xp, exp_avg, exp_avg_sq, grad, beta1, beta2, tmp)
                denom = xp.divide(exp_avg_sq, bias_correction2, out=tmp)
                xp.sqrt(denom, out=denom)
                denom += eps
                mu_product_next = mu_product * mu_next
                update = xp.divide(grad, denom)
                update *= -lr * (1.0 - mu) / (1.0 - mu_product)
                param += update
                xp.divide(exp_avg, denom, out=update)
                update *= (-lr * mu_next) / (1.0 - mu_product_next)
                param += update
                _bump_version(p)
        return loss
