"""The classic two-layer network: 64 random inputs of 1000 features -> 100 hidden -> 10.

A fully connected ReLU network trained with ``nn.MSELoss(reduction="sum")`` and Adam to
fit random targets, as in PyTorch's "learning PyTorch with examples" tutorial.

    python examples/two_layer_net.py                 # 500 steps
    python examples/two_layer_net.py --epochs 20
"""

import argparse
import time

import eagertorch as torch
from eagertorch import nn


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--epochs", type=int, default=500, help="optimisation steps")
    parser.add_argument("--limit", type=int, default=64, help="batch size N")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    n, d_in, hidden, d_out = args.limit, 1000, 100, 10
    x = torch.randn(n, d_in, device=device)
    y = torch.randn(n, d_out, device=device)

    model = nn.Sequential(
        nn.Linear(d_in, hidden),
        nn.ReLU(),
        nn.Linear(hidden, d_out),
    ).to(device)
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    start = time.perf_counter()
    with torch.no_grad():
        initial = loss_fn(model(x), y).item()
    for step in range(1, args.epochs + 1):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % max(1, args.epochs // 5) == 0:
            print(f"step {step:4d}  loss {loss.item():.4f}")
    with torch.no_grad():
        final = loss_fn(model(x), y).item()
    elapsed = time.perf_counter() - start
    print(f"loss {initial:.4f} -> {final:.6f} after {args.epochs} steps in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
