"""Stochastic gradient descent, with optional momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from .._tensor import _make
from .optimizer import (
    Optimizer,
    _as_float,
    _bump_version,
    _check_differentiable,
    _check_lr,
    _check_nonnegative,
    _grad_with_decay,
    _on_param_devices,
)

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), PyTorch's update rule.

    With momentum ``mu`` the buffer is ``b = mu * b + (1 - dampening) * g`` (``b = g`` on the
    first step) and the step uses ``b``, or ``g + mu * b`` with ``nesterov=True``.

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening for momentum (default 0).
        weight_decay: L2 penalty added to the gradient (default 0).
        nesterov: use Nesterov momentum (default False).
        maximize: maximize the objective instead of minimizing (default False).
        foreach, fused: accepted for compatibility; the update is the same either way.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_lr(lr)
        _check_nonnegative(momentum, "momentum value")
        _check_nonnegative(weight_decay, "weight_decay value")
        _check_differentiable(differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    @_on_param_devices
    def step(self, closure=None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = _as_float(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = group["weight_decay"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                param = p._data
                grad = g._data
                if weight_decay != 0 or maximize:
                    grad = _grad_with_decay(param, grad, weight_decay, maximize)
                owned = grad is not g._data  # a temporary we may overwrite
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = _make(grad if owned else grad.copy())
                        state["momentum_buffer"] = buf
                        buf = buf._data
                    else:
                        buf = buf._data
                        buf *= momentum
                        if dampening == 0:
                            buf += grad
                        else:
                            buf += grad * (1 - dampening)
                    if nesterov:
                        update = buf * momentum
                        update += grad
                        owned = True
                        grad = update
                    else:
                        grad = buf
                        owned = False
                if owned:
                    grad *= lr
                    param -= grad
                else:
                    param -= grad * lr
                _bump_version(p)
        return loss
