"""A custom ``autograd.Function``: the Legendre polynomial P3(x) = (5x^3 - 3x) / 2.

The forward computes P3 and saves its input; the backward returns the derivative
1.5 (5x^2 - 1) times the incoming gradient. Because the backward is written with tensor
operations, the function is differentiable twice: ``gradcheck`` and ``gradgradcheck``
verify both orders against finite differences. The function is then used as a layer:
``y = a + b * P3(c + d x)`` is fitted to ``sin(x)`` on [-pi, pi] by plain gradient descent.

    python examples/custom_function.py              # 2000 steps
    python examples/custom_function.py --epochs 50 --limit 200
"""

import argparse
import math
import time

import eagertorch as torch


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input**3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input**2 - 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--epochs", type=int, default=2000, help="gradient-descent steps")
    parser.add_argument("--limit", type=int, default=2000, help="number of sample points")
    parser.add_argument("--lr", type=float, default=5e-6)
    args = parser.parse_args(argv)

    # 1. Check the hand-written derivative (and its derivative) numerically, in float64.
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    first = torch.autograd.gradcheck(LegendrePolynomial3.apply, (x,))
    second = torch.autograd.gradgradcheck(LegendrePolynomial3.apply, (x,))
    print(f"gradcheck: {first}, gradgradcheck: {second}")

    # 2. Use it as a layer.
    device = torch.device(args.device)
    x = torch.linspace(-math.pi, math.pi, args.limit, device=device)
    y = torch.sin(x)
    # Start near the solution, as the tutorial does: P3 is steep outside [-1, 1].
    a = torch.full((), 0.0, device=device, requires_grad=True)
    b = torch.full((), -1.0, device=device, requires_grad=True)
    c = torch.full((), 0.0, device=device, requires_grad=True)
    d = torch.full((), 0.3, device=device, requires_grad=True)

    start = time.perf_counter()
    for step in range(1, args.epochs + 1):
        y_pred = a + b * LegendrePolynomial3.apply(c + d * x)
        loss = ((y_pred - y) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= args.lr * p.grad
                p.grad = None
        if step % max(1, args.epochs // 5) == 0:
            print(f"step {step:5d}  loss {loss.item():.4f}")
    elapsed = time.perf_counter() - start
    with torch.no_grad():
        y_pred = a + b * LegendrePolynomial3.apply(c + d * x)
        rmse = ((y_pred - y) ** 2).mean().sqrt().item()
    print(f"fit: y = {a.item():.4f} + {b.item():.4f} * P3({c.item():.4f} + {d.item():.4f} x)")
    print(f"rmse vs sin(x) {rmse:.4f} after {args.epochs} steps in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
