"""The ``Optimizer`` base class: parameter groups, per-parameter state, state dicts.

Optimizers update parameters in place on their arrays (numpy or cupy): no graph nodes,
no per-element Python loops. State buffers are Tensors wrapping arrays on the parameter's
device; ``state['step']`` is a 0-d CPU tensor of the default float dtype, as in PyTorch.
"""

from __future__ import annotations

import functools
import warnings
from collections import defaultdict
from collections.abc import Callable
from itertools import chain
from typing import Any

import numpy as np

from .._backend import dtype as _dt
from .._backend.device import array_module, device_ctx, device_of, on_device_of
from .._tensor import Tensor, _make
from ..autograd.grad_mode import enable_grad

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a default that every parameter group must give (e.g. an ``lr`` with no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj) -> str:
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", "") else f"{module}.{cls.__qualname__}"


def _check_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not lr >= 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_nonnegative(value, what: str) -> None:
    """PyTorch's ``Invalid <what>: <value>`` error for a negative hyper-parameter."""
    if not value >= 0.0:
        raise ValueError(f"Invalid {what}: {value}")


def _check_betas(betas) -> tuple[float, float]:
    """Both betas in [0, 1), as Python floats (1-element Tensors are accepted)."""
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
    return tuple(b if isinstance(b, (int, float)) else float(b) for b in betas)


def _check_differentiable(differentiable: bool) -> None:
    if differentiable:
        raise NotImplementedError(
            "differentiable=True is not supported: eagertorch optimizers update parameter "
            "arrays in place without recording the update on the autograd tape"
        )


def _bump_version(p: Tensor) -> None:
    """Count one in-place update of ``p``, as an in-place op would."""
    (p._view[0] if p._view is not None else p)._version += 1


def _zeros_state(p: Tensor) -> Tensor:
    """A zero buffer shaped, typed and placed like parameter ``p``."""
    d = p._data
    return _make(on_device_of(d, array_module(d).zeros_like, d))


def _on_param_devices(step):
    """Decorate an optimizer's ``step`` to run with its parameters' device current: it
    updates arrays outside any op, and cupy computes on the current device. Parameters on
    several devices take one step per device, each over that device's parameters (the
    closure runs in the first)."""

    @functools.wraps(step)
    def run(self, *args, **kwargs):
        if not device_ctx[0]:  # no device backend loaded: the cpu path
            return step(self, *args, **kwargs)
        groups = self.param_groups
        arrays = {}  # device -> a parameter array on it
        for group in groups:
            for p in group["params"]:
                arrays.setdefault(device_of(p._data), p._data)
        if len(arrays) <= 1:
            arr = next(iter(arrays.values()), None)
            return on_device_of(arr, step, self, *args, **kwargs)
        params = [group["params"] for group in groups]
        loss = None
        try:
            for i, (dev, arr) in enumerate(arrays.items()):
                for group, ps in zip(groups, params):
                    group["params"] = [p for p in ps if device_of(p._data) == dev]
                if i == 0:
                    loss = on_device_of(arr, step, self, *args, **kwargs)
                else:
                    on_device_of(arr, step, self)
        finally:
            for group, ps in zip(groups, params):
                group["params"] = ps
        return loss

    return run


def _scalar_state(value: float) -> Tensor:
    """A 0-d CPU tensor of the default float dtype: how PyTorch keeps ``step`` and friends."""
    return _make(np.array(value, dtype=_dt.get_default_dtype().np))


def _increment_step(state: dict) -> float:
    """Add one to ``state['step']`` (a 0-d tensor or a number) and return the new count."""
    step = state["step"]
    if isinstance(step, Tensor):
        step._data += 1
        return float(step._data)
    state["step"] = step = step + 1
    return float(step)


def _as_float(x) -> float:
    """A Python float from a float, a 1-element Tensor or a numpy scalar (lr may be a Tensor)."""
    return x if type(x) is float else float(x)


def _grad_with_decay(param, grad, weight_decay: float, maximize: bool):
    """``-grad`` when maximizing, plus ``weight_decay * param``; ``grad`` itself when neither.

    The result is a new array whenever it differs from ``grad``: ``p.grad`` is never changed.
    """
    if weight_decay != 0:
        out = param * weight_decay
        if maximize:
            array_module(out).subtract(out, grad, out=out)
        else:
            out += grad
        return out
    return -grad if maximize else grad


def _adam_grad(param, grad, lr: float, weight_decay: float, decoupled: bool, maximize: bool):
    """The gradient the Adam family steps with: AdamW-style decay shrinks ``param`` in place
    first when ``decoupled``, otherwise the decay is added to the gradient (L2)."""
    if not decoupled:
        return _grad_with_decay(param, grad, weight_decay, maximize)
    if weight_decay != 0:
        param *= 1 - lr * weight_decay
    return _grad_with_decay(param, grad, 0, maximize)


def _update_adam_moments_(xp, exp_avg, exp_avg_sq, grad, beta1: float, beta2: float, tmp):
    """Adam's moments in place: ``exp_avg`` lerps to ``grad``, ``exp_avg_sq`` to its square."""
    _lerp_(xp, exp_avg, grad, 1 - beta1, tmp)
    exp_avg_sq *= beta2
    _add_scaled_square_(xp, exp_avg_sq, grad, 1 - beta2, tmp)


def _lerp_(xp, start, end, weight: float, tmp) -> None:
    """``start += weight * (end - start)`` in place, with PyTorch's lerp branches.

    PyTorch computes ``end - (end - start) * (1 - weight)`` for weights of 0.5 and above,
    which rounds differently; following it keeps float32 trajectories close to PyTorch's
    (they still differ in the last bits where PyTorch fuses a multiply-add).
    """
    xp.subtract(end, start, out=tmp)
    if weight < 0.5:
        tmp *= weight
        start += tmp
    else:
        tmp *= 1.0 - weight
        xp.subtract(end, tmp, out=start)


def _add_scaled_square_(xp, acc, grad, value: float, tmp) -> None:
    """``acc += value * grad * grad`` in place (PyTorch's ``addcmul_`` order), via ``tmp``."""
    xp.multiply(grad, value, out=tmp)
    tmp *= grad
    acc += tmp


def _cast_state_value(param: Tensor, key, value):
    """A loaded state entry made ready for ``param``: a private copy on its device.

    Buffers shaped like the parameter take its dtype; scalars such as ``step`` keep theirs,
    so a resumed float64 run repeats the straight run bit for bit. Numbers stored under
    ``step`` become 0-d tensors, as PyTorch does when loading older checkpoints.
    """
    if isinstance(value, Tensor):
        arr = value._data
        target = param._data
        if arr.shape == target.shape and arr.ndim > 0:
            xp = array_module(target)
            if type(arr) is not type(target):
                arr = xp.asarray(arr) if xp is not np else arr.get()
            dtype = target.dtype if target.dtype.kind == "f" else arr.dtype
            return _make(arr.astype(dtype, copy=True))
        return _make(arr.copy())
    if key == "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return _scalar_state(float(value))
    if isinstance(value, dict):
        return {k: _cast_state_value(param, k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state_value(param, None, v) for v in value)
    return value


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts that each
            define a parameter group (``{'params': [...], 'lr': ...}``).
        defaults: the default value of each option, used by groups that do not set it.
    """

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {params.type()}"
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. a layer unfrozen later)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            params = [p[1] for p in params]
            param_group["param_names"] = names
        param_group["params"] = params

        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is " + _typename(p)
                )
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)

        if len(params) != len({id(p) for p in params}):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                "more information",
                stacklevel=3,
            )
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add "
                    f"param group {which} to the optimizer"
                )
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: drop them (default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                    continue
                if g._grad_fn is not None:
                    g.detach_()
                else:
                    g._requires_grad = False
                g._data.fill(0)
                _bump_version(g)

    def step(self, closure: Callable[[], Any] | None = None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    def _params_with_grad(self, group: dict):
        """``(param, grad, state)`` for each parameter of ``group`` that has a gradient.

        Parameters without one are skipped; a parameter's state is filled by ``_init_state``
        on its first update.
        """
        for p in group["params"]:
            g = p._grad
            if g is not None:
                state = self.state[p]
                if not state:
                    self._init_state(p, state, group)
                yield p, g, state

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        """Fill a parameter's empty state; optimizers that keep state override this."""

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None):
        """The closure's loss, computed with grad mode on (``None`` without a closure)."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout.

        ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``, where
        parameters are numbered in order across groups. Tensors are shared, not copied.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict` onto this optimizer's parameters.

        Buffers are copied onto each parameter's device and dtype, so the saved dict and the
        optimizer it came from are left untouched by later steps.
        """
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast_state_value(param, None, v)
            else:
                state[k] = v
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            new_group = {k: v for k, v in saved.items() if k != "params"}
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                new_group.setdefault(name, default)
            new_groups.append(new_group)
        self.state = state
        self.param_groups = new_groups
