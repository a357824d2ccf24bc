"""nn.functional: convolutions and im2col/col2im (``unfold``/``fold``).

The ops and their gradients live in ``eagertorch.ops.conv``.
"""

from ...ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d, fold, unfold

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "fold", "unfold"]
