"""Reverse-mode automatic differentiation: the tape, the engine, and their public API."""

from . import functional
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .diagnostics import GradientAccumulationWarning, GraphRetentionWarning, graph_memory
from .engine import backward, grad
from .function import Function, FunctionCtx, Node, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .variable import Variable

__all__ = [
    "Function",
    "FunctionCtx",
    "GradcheckError",
    "GradientAccumulationWarning",
    "GraphRetentionWarning",
    "Node",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "functional",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "graph_memory",
    "inference_mode",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
]
