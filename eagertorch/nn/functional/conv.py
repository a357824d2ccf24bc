"""nn.functional: convolutions (the ops and their gradients live in ``eagertorch.ops.conv``)."""

from ...ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]
