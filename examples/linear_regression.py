"""Linear regression with a hand-written gradient-descent loop.

Fits ``y = 3x - 2 + noise`` with two scalar parameters: the forward pass records a tape,
``loss.backward()`` fills ``w.grad`` and ``b.grad``, and the update runs under
``torch.no_grad()`` so that it is not itself recorded. No ``nn``, no ``optim``.

    python examples/linear_regression.py            # 200 epochs on 1000 points
    python examples/linear_regression.py --epochs 20 --limit 100
"""

import argparse
import time

import eagertorch as torch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--epochs", type=int, default=200, help="full-batch gradient steps")
    parser.add_argument("--limit", type=int, default=1000, help="number of data points")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    true_w, true_b = 3.0, -2.0
    x = torch.rand(args.limit, device=device) * 4 - 2  # uniform in [-2, 2)
    y = true_w * x + true_b + 0.1 * torch.randn(args.limit, device=device)

    w = torch.zeros((), device=device, requires_grad=True)
    b = torch.zeros((), device=device, requires_grad=True)

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        y_pred = w * x + b
        loss = ((y_pred - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():  # the update is not part of the model: record nothing
            w -= args.lr * w.grad
            b -= args.lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        if epoch % max(1, args.epochs // 5) == 0 or epoch == args.epochs:
            print(f"epoch {epoch:4d}  loss {loss.item():.5f}")

    elapsed = time.perf_counter() - start
    print(f"learned w = {w.item():.4f} (true {true_w}), b = {b.item():.4f} (true {true_b})")
    print(f"final loss {loss.item():.5f} in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
