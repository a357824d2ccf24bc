"""``check_module``: property-test an ``nn.Module`` built by a factory.

Each example builds a fresh module (eagertorch's generator is seeded by hypothesis, so
random initialisation replays), draws an input and checks the contracts every module owes
its users: registration, gradients (present and right), eval determinism, ``state_dict``
and ``.to(dtype)`` round trips.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import numpy as np
from hypothesis import assume, given
from hypothesis import settings as Settings
from hypothesis import strategies as st

from .._backend import dtype as _dt
from .._backend.random import default_generator
from .._tensor import Tensor, _make
from ..autograd.gradcheck import GradcheckError, _gradcheck, _gradgradcheck
from ._comparison import assert_close
from ._source import value_source
from .strategies import _GeneratorAsRandom

__all__ = ["check_module"]

_REGISTRIES = ("_parameters", "_buffers", "_modules")
_GENERATOR = _GeneratorAsRandom(default_generator)


class _ModuleFailure(AssertionError):
    """A module contract failed; the message names it, the module and the input."""


def _args_of(drawn) -> tuple:
    return drawn if isinstance(drawn, tuple) else (drawn,)


def _floats(out) -> list:
    if isinstance(out, Tensor):
        return [out] if out._data.dtype.kind == "f" else []
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _floats(o)]
    if isinstance(out, dict):
        return [t for o in out.values() for t in _floats(o)]
    return []


def _hidden(value, path: str):
    """(path, object) for Parameters, tensors requiring grad and Modules inside plain
    containers (lists, tuples, dicts), where registration cannot see them."""
    from ..nn.modules.module import Module

    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _hidden(v, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _hidden(v, f"{path}[{k!r}]")
    elif (isinstance(value, Module) and "[" in path) or (
        isinstance(value, Tensor) and value.requires_grad
    ):
        yield path, value


def _check_registration(module) -> str | None:
    """Every Parameter or submodule stored on the module is registered with it."""
    from ..nn.modules.module import Module

    for prefix, sub in module.named_modules():
        registries = [sub.__dict__.get(r) for r in _REGISTRIES]
        for name, value in vars(sub).items():
            if any(value is r for r in registries) or isinstance(value, Module):
                continue
            for path, obj in _hidden(value, name):
                where = f"{prefix}.{path}" if prefix else path
                kind = "submodule" if isinstance(obj, Module) else "tensor requiring grad"
                return (
                    f"attribute '{where}' holds a {kind} that is not registered, so "
                    "parameters(), state_dict() and .to() do not see it (assign it directly, "
                    "or use nn.ModuleList / nn.ParameterList / register_buffer)"
                )
    return None


def _graph_leaves(outputs) -> list:
    """Leaf tensors requiring grad that the autograd graph of ``outputs`` reaches."""
    leaves, seen = [], set()
    stack = []
    for o in outputs:
        if o._grad_fn is not None:
            stack.append(o._grad_fn)
        elif o._requires_grad:
            leaves.append(o)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in node._edges or ():
            if edge is None:
                continue
            vertex = edge[0]
            if isinstance(vertex, Tensor):
                if not any(vertex is leaf for leaf in leaves):
                    leaves.append(vertex)
            else:
                stack.append(vertex)
    return leaves


def _same(a: Tensor, b: Tensor) -> bool:
    x, y = a.detach()._host(), b.detach()._host()
    return x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)


def _run_module(module, args):
    return _floats(module(*args))


class _Checker:
    """One example's checks; each returns an error message or None."""

    def __init__(self, factory, module, args, options) -> None:
        self.factory, self.args, self.options = factory, args, options
        # The dtype the factory builds in; the checks convert to another and back.
        self.dtype = next(
            (p.dtype for p in module.parameters() if p.is_floating_point()), _dt.float32
        )

    def registration(self, module) -> str | None:
        return _check_registration(module)

    def gradients_present(self, module) -> str | None:
        module.train()
        module.zero_grad()
        outs = [o for o in _run_module(module, self.args) if o.requires_grad]
        params = dict(module.named_parameters())
        if not outs:
            trainable = [n for n, p in params.items() if p.requires_grad]
            if trainable:
                return f"no output requires grad, so parameters {trainable} get no gradient"
            return None
        own = list(params.values()) + [a for a in self.args if isinstance(a, Tensor)]
        for leaf in _graph_leaves(outs):
            if not any(leaf is p for p in own):
                return (
                    f"forward uses a tensor requiring grad (shape {tuple(leaf.shape)}) that "
                    "is neither an input nor in parameters(): it is trained by nobody and "
                    "saved by nobody"
                )
        rng = np.random.default_rng(0)
        weights = [
            _make(o.xp.asarray(rng.standard_normal(o._data.shape), o._data.dtype)) for o in outs
        ]
        total = sum(
            ((o * w).sum() for o, w in zip(outs[1:], weights[1:])), (outs[0] * weights[0]).sum()
        )
        total.backward()
        for name, p in params.items():
            if not p.requires_grad or name in self.options["unused_parameters"]:
                continue
            if p.grad is None:
                return f"parameter '{name}' got no gradient from backward()"
            if tuple(p.grad.shape) != tuple(p.shape) or p.grad.dtype is not p.dtype:
                return (
                    f"parameter '{name}' of shape {tuple(p.shape)} and dtype {p.dtype} got a "
                    f"gradient of shape {tuple(p.grad.shape)} and dtype {p.grad.dtype}"
                )
            if not bool(np.isfinite(p.grad._host()).all()):
                return f"parameter '{name}' got a non-finite gradient"
        return None

    def gradients_correct(self, module) -> str | None:
        """Finite differences in float64 over the inputs and every trainable parameter."""
        order = self.options["order"]
        if order < 1:
            return None
        module.to(_dt.float64)
        seed = default_generator.initial_seed()
        n = len(self.args)
        args = [
            _make(a.detach()._host().astype(np.float64), requires_grad=self.options["inputs"])
            if isinstance(a, Tensor) and a.is_floating_point()
            else a
            for a in self.args
        ]
        named = [(k, p) for k, p in module.named_parameters() if p.requires_grad]

        def func(*xs):
            default_generator.manual_seed(seed)  # dropout & co. draw the same masks each call
            return tuple(_run_module(module, xs[:n]))

        names = [f"input {i}" for i in range(n)] + [f"parameter '{k}'" for k, _ in named]
        inputs = tuple(args) + tuple(p for _, p in named)
        if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
            return None
        gc = dict(
            eps=self.options["eps"],
            atol=self.options["grad_atol"],
            rtol=self.options["grad_rtol"],
            raise_exception=True,
            nondet_tol=0.0,
            check_undefined_grad=True,
            check_grad_dtypes=False,
            fast_mode=self.options["fast_mode"],
            in_names=names,
        )
        state = _GENERATOR.getstate()
        try:
            _gradcheck(func, inputs, **gc)
            if order >= 2:
                _gradgradcheck(func, inputs, None, gen_non_contig_grad_outputs=False, **gc)
        except GradcheckError as e:
            kind = "second" if "the gradient of" in str(e) else "first"
            return f"{kind}-order gradient check failed: {e}"
        finally:
            _GENERATOR.setstate(state)  # reseeding in func must not rewind later draws
            module.to(self.dtype)
        return None

    def eval_deterministic(self, module) -> str | None:
        if module.eval() is not module:
            return "eval() does not return the module itself"
        stuck = [k or "(root)" for k, m in module.named_modules() if m.training]
        if stuck:
            return f"eval() left submodules {stuck} in training mode"
        first, second = _run_module(module, self.args), _run_module(module, self.args)
        for m, (a, b) in enumerate(zip(first, second)):
            if not _same(a, b):
                return f"two forward passes in eval mode give different output {m}"
        return None

    def state_dict_round_trip(self, module) -> str | None:
        module.eval()
        state = module.state_dict()
        names = {k for k, _ in module.named_parameters()}
        buffers = {
            k
            for k, _ in module.named_buffers()
            if k.rpartition(".")[2]
            not in module.get_submodule(k.rpartition(".")[0])._non_persistent_buffers_set
        }
        if set(state) != names | buffers:
            return (
                f"state_dict() keys {sorted(state)} are not the parameters and persistent "
                f"buffers {sorted(names | buffers)}"
            )
        for key, value in state.items():
            if value.requires_grad:
                return f"state_dict()['{key}'] requires grad (it should be detached)"
        saved = {k: _make(v._data.copy()) for k, v in state.items()}
        other = self.factory()
        other.load_state_dict(state)
        other.eval()
        for key, value in other.state_dict().items():
            if not _same(value, saved[key]):
                return f"after load_state_dict, state_dict()['{key}'] differs from the one loaded"
        expected, got = _run_module(module, self.args), _run_module(other, self.args)
        for m, (a, b) in enumerate(zip(expected, got)):
            if not _same(a, b):
                return (
                    f"a fresh module loaded with state_dict() gives a different output {m} "
                    "in eval mode: some state that forward uses is not in state_dict()"
                )
        return None

    def to_dtype_round_trip(self, module) -> str | None:
        module.eval()
        before = {k: _make(v._data.copy()) for k, v in module.state_dict().items()}
        params = list(module.parameters())
        reference = _run_module(module, self.args)
        other = _dt.float64 if self.dtype is not _dt.float64 else _dt.float32
        if module.to(other) is not module:
            return ".to(dtype) does not return the module itself"
        for k, v in module.state_dict().items():
            if before[k].is_floating_point() and v.dtype is not other:
                return f".to({other}) left '{k}' as {v.dtype}"
        args = [
            a.to(other) if isinstance(a, Tensor) and a.is_floating_point() else a for a in self.args
        ]
        converted = _run_module(module, args)
        for m, (a, b) in enumerate(zip(converted, reference)):
            if a.dtype is not other:
                return (
                    f"after .to({other}) and with {other} inputs, output {m} is {a.dtype}: some "
                    "tensor that forward uses did not follow (a plain attribute instead of a "
                    "buffer?)"
                )
            try:
                assert_close(
                    a.to(b.dtype),
                    b,
                    rtol=self.options["rtol"],
                    atol=self.options["atol"],
                    equal_nan=True,
                )
            except AssertionError as e:
                return f"output {m} changes beyond float32 rounding after .to({other}): {e}"
        module.to(self.dtype)
        if any(a is not b for a, b in zip(params, module.parameters())):
            return ".to(dtype) replaced Parameter objects (optimizers holding them would break)"
        for k, v in module.state_dict().items():
            if not _same(v, before[k]):
                return f".to({other}) then back changed '{k}'"
        return None


_CHECKS = (
    ("registration", "registration"),
    ("every parameter gets a gradient", "gradients_present"),
    ("gradients match finite differences", "gradients_correct"),
    ("eval mode is deterministic", "eval_deterministic"),
    ("state_dict round trip", "state_dict_round_trip"),
    (".to(dtype) round trip", "to_dtype_round_trip"),
)


def check_module(
    factory: Callable,
    input_strategy,
    *,
    order: int = 1,
    inputs_require_grad: bool = True,
    unused_parameters: Collection[str] = (),
    valid: Callable | None = None,
    rtol: float = 1e-4,
    atol: float = 1e-5,
    grad_rtol: float = 1e-3,
    grad_atol: float = 1e-5,
    eps: float = 1e-6,
    fast_mode: bool = False,
    settings: Settings | None = None,
) -> None:
    """Property-test the modules ``factory()`` builds, on inputs from ``input_strategy``.

    ``input_strategy`` draws a Tensor or a tuple of forward arguments. For each example, on
    a fresh module (in the dtype ``factory`` builds it in):

    - registration: no Parameter, tensor requiring grad or submodule hides in a plain
      attribute or container, and every tensor requiring grad that forward uses (a graph
      leaf) is an input or in ``parameters()``;
    - after ``backward()`` every trainable parameter has a finite gradient of its shape and
      dtype (except the names in ``unused_parameters``);
    - gradients w.r.t. inputs (``inputs_require_grad``) and parameters match finite
      differences in float64 (``order`` 1; 2 adds second order; 0 skips; randomness in
      forward is replayed by reseeding the generator);
    - eval(): every submodule leaves training mode and two forward passes agree exactly;
    - ``state_dict()`` holds exactly the parameters and persistent buffers, detached, and a
      fresh ``factory()`` module loaded with it computes the same outputs in eval mode;
    - ``.to(float64)`` converts every floating-point entry and the outputs (within
      ``rtol``/``atol``), and ``.to(float32)`` restores the values exactly, keeping the
      Parameter objects.

    ``valid(*args) -> bool`` skips inputs (e.g. ReLU kinks) with ``assume``. Raises
    AssertionError naming the failed contract, the module and the shrunk input.
    """
    options = dict(
        order=order,
        inputs=inputs_require_grad,
        unused_parameters=set(unused_parameters),
        rtol=rtol,
        atol=atol,
        grad_rtol=grad_rtol,
        grad_atol=grad_atol,
        eps=eps,
        fast_mode=fast_mode,
    )

    def run(data):
        drawn = data.draw(input_strategy, label="input")
        args = _args_of(drawn)
        if valid is not None:
            assume(valid(*args))
        module = factory()
        checker = _Checker(factory, module, args, options)
        for what, method in _CHECKS:
            problem = getattr(checker, method)(module)
            if problem is not None:
                raise _ModuleFailure(
                    f"check_module: {what} failed for {module!r}\n"
                    f"  input = {value_source(drawn)}\n{problem}"
                )

    settings = Settings(
        settings if settings is not None else Settings(deadline=None), report_multiple_bugs=False
    )
    run.__name__ = run.__qualname__ = "check_module"
    run._hypothesis_internal_add_digest = repr(factory).encode()
    settings(given(data=st.data())(run))()
