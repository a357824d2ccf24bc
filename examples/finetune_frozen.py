"""Freezing layers and fine-tuning a new head (transfer learning in miniature).

1. Pretrain a small network on the digits 0-4.
2. Transfer to the digits 5-9: freeze the feature extractor (``requires_grad_(False)``
   and ``eval()`` so BatchNorm's running statistics stay put too), swap in a fresh
   ``Linear`` head, and train only the head. The frozen weights are checked unchanged.
3. Unfreeze everything and fine-tune with two parameter groups: a small learning rate
   for the pretrained body, a larger one for the head.

    python examples/finetune_frozen.py                  # 8 epochs per stage
    python examples/finetune_frozen.py --epochs 1 --limit 200
"""

import argparse
import time

import eagertorch as torch
import eagertorch.nn.functional as F
from eagertorch import nn
from eagertorch.datasets import Digits
from eagertorch.utils.data import DataLoader, TensorDataset


def digits_subset(train, labels, limit=None):
    """Digits whose label is in ``labels``, relabelled 0..len(labels)-1."""
    ds = Digits(train=train)
    lo = min(labels)
    mask = (ds.targets >= lo) & (ds.targets <= max(labels))
    x, y = ds.data[mask].flatten(1), ds.targets[mask] - lo
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return TensorDataset(x, y)


class Classifier(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(64, 128),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Linear(128, 64),
            nn.BatchNorm1d(64),
            nn.ReLU(),
        )
        self.head = nn.Linear(64, num_classes)

    def forward(self, x):
        return self.head(self.body(x))


def train(model, loader, optimizer, epochs, device, frozen_body=False):
    for _ in range(epochs):
        model.train()
        if frozen_body:
            model.body.eval()  # frozen BatchNorm layers must not update running stats
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def accuracy(model, dataset, device):
    model.eval()
    x, y = dataset.tensors
    with torch.no_grad():
        return (model(x.to(device)).argmax(1) == y.to(device)).float().mean().item()


def count(params):
    return sum(p.numel() for p in params)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--epochs", type=int, default=8, help="epochs per stage")
    parser.add_argument("--limit", type=int, default=None, help="training images per task")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    start = time.perf_counter()

    # 1. Pretrain on 0-4.
    source_train = digits_subset(True, range(0, 5), args.limit)
    source_test = digits_subset(False, range(0, 5))
    model = Classifier(num_classes=5).to(device)
    loader = DataLoader(source_train, batch_size=32, shuffle=True)
    train(model, loader, torch.optim.Adam(model.parameters(), lr=1e-3), args.epochs, device)
    print(f"pretrained on digits 0-4: test accuracy {accuracy(model, source_test, device):.2%}")

    # 2. New task: 5-9. Freeze the body, replace the head, train the head only.
    target_train = digits_subset(True, range(5, 10), args.limit)
    target_test = digits_subset(False, range(5, 10))
    model.zero_grad()  # drop the pretraining gradients (set to None)
    model.body.requires_grad_(False)
    model.head = nn.Linear(64, 5).to(device)  # a fresh head: requires grad by default
    trainable = [p for p in model.parameters() if p.requires_grad]
    frozen = [p for p in model.parameters() if not p.requires_grad]
    print(f"trainable parameters: {count(trainable)}, frozen: {count(frozen)}")
    body_before = {k: v.clone() for k, v in model.body.state_dict().items()}
    print(f"digits 5-9 with the untrained head: {accuracy(model, target_test, device):.2%}")

    loader = DataLoader(target_train, batch_size=32, shuffle=True)
    optimizer = torch.optim.Adam(trainable, lr=1e-2)
    train(model, loader, optimizer, args.epochs, device, frozen_body=True)
    unchanged = all(torch.equal(body_before[k], v) for k, v in model.body.state_dict().items())
    no_grads = all(p.grad is None for p in frozen)
    head_only = accuracy(model, target_test, device)
    print(
        f"head only: test accuracy {head_only:.2%} "
        f"(body unchanged: {unchanged}, frozen grads all None: {no_grads})"
    )

    # 3. Unfreeze and fine-tune everything, gently for the pretrained part.
    model.body.requires_grad_(True)
    optimizer = torch.optim.Adam(
        [
            {"params": model.body.parameters(), "lr": 1e-4},
            {"params": model.head.parameters()},
        ],
        lr=1e-3,
    )
    train(model, loader, optimizer, args.epochs, device)
    full = accuracy(model, target_test, device)
    elapsed = time.perf_counter() - start
    print(f"full fine-tune: test accuracy {full:.2%}")
    print(
        f"summary: head-only {head_only:.2%}, fine-tuned {full:.2%}, "
        f"frozen body unchanged {unchanged}, {elapsed:.1f} s"
    )


if __name__ == "__main__":
    main()
