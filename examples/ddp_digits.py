"""Train a small CNN on scikit-learn's 8x8 digits with DistributedDataParallel.

    python -m eagertorch.distributed.run -n 2 examples/ddp_digits.py --epochs 5
    mpiexec -n 2 python examples/ddp_digits.py --epochs 5     # the same, by hand
    python examples/ddp_digits.py                             # one process also works

Each process trains on its own share of every epoch (DistributedSampler) and DDP averages
the gradients, so 2 processes with --batch-size 32 take the steps one process would take
with batch 64. Rank 0 prints the loss and the test accuracy, counted over the whole test set
with all_reduce. Needs scikit-learn (the digits ship with it).
"""

from __future__ import annotations

import argparse
import time

import eagertorch as torch
import eagertorch.distributed as dist
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.datasets import Digits
from eagertorch.nn.parallel import DistributedDataParallel as DDP
from eagertorch.utils.data import DataLoader, DistributedSampler, Subset


def make_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),  # 16 x 8 x 8
        nn.ReLU(),
        nn.MaxPool2d(2),  # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1),  # 32 x 4 x 4
        nn.ReLU(),
        nn.MaxPool2d(2),  # 32 x 2 x 2
        nn.Flatten(),
        nn.Linear(128, 10),
    )


def evaluate(model: nn.Module, test_set, device) -> float:
    """Accuracy over the whole test set: each rank counts its own slice (no padding, so no
    sample is counted twice), then the counts are summed with all_reduce."""
    rank, world = dist.get_rank(), dist.get_world_size()
    mine = Subset(test_set, range(rank, len(test_set), world))
    counts = torch.zeros(2, dtype=torch.int64)
    model.eval()
    with torch.no_grad():
        for x, y in DataLoader(mine, batch_size=256):
            pred = model(x.to(device)).argmax(1).cpu()
            counts += torch.tensor([int((pred == y).sum()), len(y)])
    model.train()
    dist.all_reduce(counts)
    return counts[0].item() / counts[1].item()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32, help="per process")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--device", default="cpu", help="cpu or cuda (gradients go through host)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device(args.device)
    torch.manual_seed(args.seed + rank)  # different on purpose: DDP copies rank 0's weights
    model = DDP(make_model().to(device))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)

    train_set, test_set = Digits(train=True), Digits(train=False)
    sampler = DistributedSampler(train_set, seed=args.seed)
    loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)
    if rank == 0:
        print(
            f"{world} process(es), {len(train_set)} training images ({len(sampler)} per "
            f"process), batch {args.batch_size} per process"
        )
    start = time.perf_counter()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        total = torch.zeros(2, dtype=torch.float64)
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()  # gradients are averaged over the processes here
            optimizer.step()
            total += torch.tensor([loss.item() * len(y), len(y)], dtype=torch.float64)
        dist.all_reduce(total)
        accuracy = evaluate(model, test_set, device)
        if rank == 0:
            print(
                f"epoch {epoch + 1}: train loss {total[0].item() / total[1].item():.4f}, "
                f"test accuracy {accuracy:.4f} ({time.perf_counter() - start:.1f} s)",
                flush=True,
            )
    if rank == 0:
        print(f"final test accuracy: {accuracy:.4f}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
