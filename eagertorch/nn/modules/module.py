"""``Module``: the base class of every layer and model, with PyTorch's registration rules.

Parameters, buffers and submodules live in three ordered dicts filled by attribute
assignment; names, iteration order and ``state_dict`` keys follow PyTorch exactly so that
checkpoints and code move between the two libraries unchanged.
"""

from __future__ import annotations

import html
import itertools
from collections import OrderedDict, namedtuple

from ..._backend import dtype as _dt
from ..._tensor import Tensor, _RemovableHandle
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ...ops.conversion import _parse_to_args
from ..parameter import Parameter

__all__ = ["Module"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(text: str, spaces: int) -> str:
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line for line in rest])


def _registered(module: Module, name: str):
    """The parameter, buffer or submodule ``name`` of ``module`` (its ``__getattr__``)."""
    d = module.__dict__
    for store in ("_parameters", "_buffers", "_modules"):
        entries = d.get(store)
        if entries is not None and name in entries:
            return entries[name]
    raise AttributeError(f"'{type(module).__name__}' object has no attribute '{name}'")


class _Registered:
    """Class-level reader of a registered name, so ``self.weight`` skips ``__getattr__``.

    Python calls ``__getattr__`` only after a failed lookup, ~4x the cost of a descriptor,
    and every layer's forward reads its weights. It is a non-data descriptor: an instance
    attribute of the same name (a plain tensor assigned after ``del m.weight``) still wins.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, module, owner=None):
        if module is None:
            return self
        params = module.__dict__.get("_parameters")  # parameters first: layers read weights
        name = self.name
        if params is not None and name in params:
            return params[name]
        return _registered(module, name)


def _expose(cls: type, name: str) -> None:
    if name.isidentifier() and not hasattr(cls, name):
        setattr(cls, name, _Registered(name))


class Module:
    """Base class for all neural network modules; subclasses define ``forward``."""

    training: bool
    _version = 1

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments {args!r} {kwargs!r}"
            )
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", {})
        setattr_(self, "_buffers", {})
        setattr_(self, "_non_persistent_buffers_set", set())
        setattr_(self, "_modules", {})
        setattr_(self, "_forward_hooks", OrderedDict())
        setattr_(self, "_forward_pre_hooks", OrderedDict())
        setattr_(self, "_backward_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    # ----- calling -------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks):
            # without keywords, a plain call: passing an empty **kwargs costs a dict copy
            return self.forward(*args, **kwargs) if kwargs else self.forward(*args)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook in tuple(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        capture = _BackwardHookCapture(self) if self._backward_hooks else None
        if capture is not None:
            args = capture.wrap_inputs(args)
        output = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        if capture is not None:
            output = capture.wrap_outputs(output)
        return output

    def register_forward_pre_hook(self, hook) -> _RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; a non-None result replaces args."""
        return _RemovableHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook) -> _RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward``; non-None replaces output."""
        return _RemovableHandle(self._forward_hooks, hook)

    def register_full_backward_hook(self, hook) -> _RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs once the inputs' grads are known.

        A non-None result replaces ``grad_input``, as in PyTorch.
        """
        return _RemovableHandle(self._backward_hooks, hook)

    # ----- registration --------------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as parameter '{name}' "
                    "(torch.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name)
            self._modules[name] = value
            _expose(type(self), name)
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as child module '{name}' "
                    "(torch.nn.Module or None expected)"
                )
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as buffer '{name}' "
                    "(torch.Tensor or None expected)"
                )
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        self.__dict__.pop(name, None)
        for store in (self._parameters, self._buffers, self._modules):
            store.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    __getattr__ = _registered

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = itertools.chain(super().__dir__(), self._parameters, self._buffers, self._modules)
        return sorted(k for k in set(keys) if not k[0].isdigit())

    def _check_name(self, name, kind: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if name in self.__dict__ and not (
            name in self._parameters or name in self._buffers or name in self._modules
        ):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter")
        if name in self._buffers or name in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_type_name(param)}' object to parameter '{name}' "
                "(torch.nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must "
                "be created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method."
            )
        self._parameters[name] = param
        _expose(type(self), name)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that is part of the module's state but not a parameter (running stats)."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer")
        if name in self._parameters or name in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{_type_name(tensor)}' object to buffer '{name}' "
                "(torch Tensor or None required)"
            )
        self._buffers[name] = tensor
        _expose(type(self), name)
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_type_name(module)} is not a Module subclass")
        self._check_name(name, "module")
        if name in self._parameters or name in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module
        _expose(type(self), name)

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        module = self
        for item in target.split(".") if target else ():
            if item not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = module._modules[item]
        return module

    def get_parameter(self, target: str) -> Parameter:
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter `{name}`")
        return module._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._buffers:
            raise AttributeError(f"{type(module).__name__} has no buffer `{name}`")
        return module._buffers[name]

    # ----- traversal -----------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, store: str, prefix: str, recurse: bool, remove_duplicate: bool):
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        seen = set()
        for module_prefix, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        """(name, parameter) pairs in registration order; a shared parameter appears once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    # ----- modes and gradients -------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.detach_().zero_()

    # ----- conversion ----------------------------------------------------------------------
    def _apply(self, fn) -> Module:
        """Apply ``fn`` to every parameter, gradient and buffer, keeping Parameter identity.

        Parameters are updated in place (``param.data = ...``) so optimizers holding them
        stay valid, as in PyTorch.
        """
        with no_grad():
            for module in self.modules():
                for p in module._parameters.values():
                    if p is None:
                        continue
                    p.data = fn(p)
                    if p.grad is not None:
                        p.grad = fn(p.grad)
                for name, buf in module._buffers.items():
                    if buf is not None:
                        module._buffers[name] = fn(buf)
        return self

    def apply(self, fn) -> Module:
        """Call ``fn`` on every submodule (children first) and on self, e.g. for init."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Move and/or cast parameters and buffers; only floating-point ones change dtype."""
        dtype, device, _ = _parse_to_args(args, dict(kwargs))
        if dtype is not None and _dt.to_numpy_dtype(dtype).kind != "f":
            raise TypeError(
                f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
            )

        def convert(t: Tensor) -> Tensor:
            return t.to(device, dtype if t.is_floating_point() else None)

        return self._apply(convert)

    def cuda(self, device=None) -> Module:
        return self._apply(lambda t: t.cuda(device))

    def cpu(self) -> Module:
        return self._apply(lambda t: t.cpu())

    def type(self, dst_type) -> Module:
        return self._apply(lambda t: t.type(dst_type))

    def _cast_floating(self, dtype) -> Module:
        return self._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def float(self) -> Module:
        return self._cast_floating(_dt.float32)

    def double(self) -> Module:
        return self._cast_floating(_dt.float64)

    def half(self) -> Module:
        return self._cast_floating(_dt.float16)

    # ----- state_dict ----------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Every parameter and persistent buffer by dotted name, detached unless keep_vars."""
        if args:  # the positional form of old PyTorch code: (destination, prefix, keep_vars)
            destination, prefix, keep_vars = (*args, prefix, keep_vars)[:3]
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        return destination

    def _local_state(self):
        """This module's own entries that ``load_state_dict`` fills: name -> tensor."""
        state = {k: v for k, v in self._parameters.items() if v is not None}
        state.update(
            (k, v)
            for k, v in self._buffers.items()
            if v is not None and k not in self._non_persistent_buffers_set
        )
        return state

    def _check_state_dict(self, state_dict, prefix, missing, unexpected, errors) -> None:
        """Validate (never modify) this module's entries, with PyTorch's messages."""
        local = self._local_state()
        for name, target in local.items():
            key = prefix + name
            if key not in state_dict:
                missing.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                errors.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(value)}"
                )
            elif tuple(value.shape) != tuple(target.shape):
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {value.shape} from "
                    f"checkpoint, the shape in current model is {target.shape}."
                )
        for key in state_dict:
            if key.startswith(prefix):
                first, *rest = key[len(prefix) :].split(".", 1)
                if (rest and first not in self._modules) or (not rest and first not in local):
                    unexpected.append(key)

    def _load_from_state_dict(self, state_dict, prefix: str, assign: bool) -> None:
        """Copy this module's entries from an already validated state_dict."""
        for name, target in self._local_state().items():
            key = prefix + name
            if key not in state_dict:
                continue
            value = state_dict[key]
            if assign:
                if name in self._parameters:
                    self._parameters[name] = Parameter(value, target.requires_grad)
                else:
                    self._buffers[name] = value
            else:
                with no_grad():
                    target.copy_(value)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy matching entries into this module; returns (missing_keys, unexpected_keys).

        Every entry is validated before any is copied, so a failed call changes nothing.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        modules = list(self.named_modules(remove_duplicate=False))
        for prefix, module in modules:
            prefix = prefix + "." if prefix else ""
            module._check_state_dict(state_dict, prefix, missing, unexpected, errors)
        if strict:
            if unexpected:
                errors.insert(
                    0,
                    "Unexpected key(s) in state_dict: "
                    + ", ".join(f'"{k}"' for k in unexpected)
                    + ". ",
                )
            if missing:
                errors.insert(
                    0,
                    "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ",
                )
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        for prefix, module in modules:
            module._load_from_state_dict(state_dict, prefix + "." if prefix else "", assign)
        return _IncompatibleKeys(missing, unexpected)

    # ----- repr ----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, module in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(module), 2))
        head = self._get_name() + "("
        if not lines:
            return head + ")"
        if len(lines) == 1 and not self._modules:
            return head + lines[0] + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def _repr_html_(self) -> str:
        """Jupyter's rich view: the parameter tree with shapes, counts and frozen flags."""
        rows = []
        total = trainable = 0
        for prefix, module in self.named_modules():
            depth = prefix.count(".") + (1 if prefix else 0)
            indent = "&nbsp;" * 4 * depth
            title = html.escape(prefix.rpartition(".")[2] or type(self).__name__)
            rows.append(
                f"<tr><td>{indent}<b>{title}</b> <i>{html.escape(type(module).__name__)}</i>"
                "</td><td></td><td></td><td></td></tr>"
            )
            for name, p in module.named_parameters(recurse=False):
                n = p.numel()
                total += n
                trainable += n if p.requires_grad else 0
                frozen = "" if p.requires_grad else "frozen"
                rows.append(
                    f"<tr><td>{indent}&nbsp;&nbsp;&nbsp;&nbsp;{html.escape(name)}</td>"
                    f"<td>{tuple(p.shape)}</td><td style='text-align:right'>{n:,}</td>"
                    f"<td>{frozen}</td></tr>"
                )
        head = (
            "<tr><th style='text-align:left'>module / parameter</th><th>shape</th>"
            "<th>count</th><th></th></tr>"
        )
        foot = (
            f"<tr><th style='text-align:left'>total</th><td></td>"
            f"<td style='text-align:right'>{total:,}</td>"
            f"<td>{total - trainable:,} frozen</td></tr>"
        )
        return f"<table>{head}{''.join(rows)}{foot}</table>"

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)


def _type_name(value) -> str:
    if isinstance(value, Tensor):
        return value.type()
    return type(value).__qualname__


class _BackwardHookCapture:
    """Routes one module call's tensors through identity nodes to run its backward hooks.

    The outputs' identity node sees grad_output first; the inputs' identity node then sees
    grad_input, calls the hooks, and passes on what they return. When no input requires
    grad, the hooks run from the outputs' node with grad_input all None, as in PyTorch.
    """

    def __init__(self, module: Module) -> None:
        self.module = module
        self.grad_output = None
        self.n_inputs = 0
        self.inputs_tracked = False

    def wrap_inputs(self, args):
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(positions)
        tensors = [args[i] for i in positions]
        if not any(t.requires_grad for t in tensors):
            return args
        self.inputs_tracked = True
        args = list(args)
        for i, t in zip(positions, _identity(self, "input", tensors)):
            args[i] = t
        return tuple(args)

    def wrap_outputs(self, output):
        outs = (output,) if isinstance(output, Tensor) else output
        if not isinstance(outs, tuple) or not all(isinstance(o, Tensor) for o in outs):
            return output
        if not any(o.requires_grad for o in outs):
            return output
        wrapped = _identity(self, "output", outs)
        return wrapped[0] if isinstance(output, Tensor) else wrapped

    def run_hooks(self, grad_input):
        for hook in tuple(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                grad_input = tuple(result)
        return grad_input


def _identity(capture: _BackwardHookCapture, where: str, tensors) -> tuple:
    out = _HookIdentity.apply(capture, where, *tensors)
    return out if isinstance(out, tuple) else (out,)


class _HookIdentity(Function):
    @staticmethod
    def forward(ctx, capture, where, *tensors):
        ctx.capture = capture
        ctx.where = where
        out = tuple(t.detach() for t in tensors)
        return out if len(out) > 1 else out[0]

    @staticmethod
    def backward(ctx, *grads):
        capture = ctx.capture
        if ctx.where == "input":
            return (None, None, *capture.run_hooks(grads))
        capture.grad_output = grads
        if not capture.inputs_tracked:
            capture.run_hooks((None,) * capture.n_inputs)
        return (None, None, *grads)
