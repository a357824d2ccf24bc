"""The layers in DESIGN.md import one way only; this scans every import in the package."""

from __future__ import annotations

import ast
import pathlib

import pytest

PKG = pathlib.Path(__file__).resolve().parents[1] / "eagertorch"

# layer -> layers it may import (besides itself)
ALLOWED = {
    "backend": set(),
    "core": {"backend"},
    "ops": {"backend", "core"},
    # DistributedDataParallel lives in nn.parallel (PyTorch's name) and uses the collectives.
    "nn": {"backend", "core", "ops", "distributed"},
    "optim": {"backend", "core"},
    "data": {"backend", "core"},
    "distributed": {"backend", "core"},
}


def _layer(module: str) -> str:
    parts = module.split(".")[1:]  # drop 'eagertorch'
    head = parts[0] if parts else ""
    if parts in (["autograd"], ["autograd", "functional"], ["autograd", "gradcheck"]):
        # The package's re-exports and user-facing utilities built on the ops, as in PyTorch.
        return "tooling"
    if head == "_backend":
        return "backend"
    if head in ("_tensor", "autograd", "_printing"):
        return "core"
    if head == "ops":
        return "ops"
    if head == "nn":
        return "nn"
    if head == "optim":
        return "optim"
    if head == "distributed":
        return "distributed"
    if parts[:2] == ["utils", "data"]:
        return "data"
    return "tooling"


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: pathlib.Path, module: str):
    is_pkg = path.name == "__init__.py"
    package = module if is_pkg else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module is None:
                for alias in node.names:
                    yield f"{target}.{alias.name}", node.lineno
            else:
                yield target, node.lineno


FILES = sorted(PKG.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PKG)))
def test_module_imports_only_lower_layers(path):
    module = _module_name(path)
    layer = _layer(module)
    if layer == "tooling":
        return
    for target, line in _imports(path, module):
        if not target.startswith("eagertorch"):
            continue
        other = _layer(target)
        assert other == layer or other in ALLOWED[layer], (
            f"{path.relative_to(PKG.parent)}:{line} ({layer}) imports {target} ({other})"
        )


def test_layer_map_recognises_every_layer():
    assert _layer("eagertorch._backend.dtype") == "backend"
    assert _layer("eagertorch.autograd.engine") == "core"
    assert _layer("eagertorch.autograd.functional") == "tooling"
    assert _layer("eagertorch.ops.shape") == "ops"
    assert _layer("eagertorch.utils.data.dataloader") == "data"
