"""Higher-order gradients: Hessian-vector products and a gradient penalty.

1. Hessian-vector products by double backward: ``g = grad(loss, w, create_graph=True)``
   then ``grad(g @ v, w)`` is ``H v`` without ever forming ``H``. It is checked against
   the closed-form Hessian of L2-regularised logistic regression and against
   ``torch.autograd.functional.hessian``, then used for Newton's method (conjugate
   gradient on Hessian-vector products), which reaches a tiny gradient in a few steps.
2. A gradient penalty (WGAN-GP): a small critic separates two point clouds while the norm
   of its input gradient at random interpolates is pushed towards 1. The penalty is a
   function of a gradient, so training it backpropagates through a backward pass.

    python examples/higher_order_gradients.py              # 400 critic steps
    python examples/higher_order_gradients.py --epochs 20 --limit 128
"""

import argparse
import time

import eagertorch as torch
import eagertorch.nn.functional as F
from eagertorch import nn


def logistic_loss(w, x, y, lam):
    """Mean logistic loss of labels ``y`` in {-1, +1}, plus ``lam / 2 * |w|^2``."""
    return F.softplus(-y * (x @ w)).mean() + 0.5 * lam * (w * w).sum()


def hvp(loss_fn, w, v):
    """``H v`` where ``H`` is the Hessian of ``loss_fn`` at ``w``, by double backward."""
    (g,) = torch.autograd.grad(loss_fn(w), w, create_graph=True)
    (hv,) = torch.autograd.grad(g @ v, w)
    return hv


def conjugate_gradient(matvec, b, iters):
    """Solve ``A x = b`` for symmetric positive definite ``A`` given only ``x -> A x``."""
    x = torch.zeros_like(b)
    r = b.clone()
    p = r.clone()
    rr = r @ r
    for _ in range(iters):
        ap = matvec(p)
        alpha = rr / (p @ ap)
        x = x + alpha * p
        r = r - alpha * ap
        rr_new = r @ r
        if rr_new.item() < 1e-20:
            break
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


def hessian_vector_products(device, n, dim=10, lam=1e-2):
    x = torch.randn(n, dim, dtype=torch.float64, device=device)
    w_true = torch.randn(dim, dtype=torch.float64, device=device)
    y = torch.where(
        x @ w_true + 0.5 * torch.randn(n, dtype=torch.float64, device=device) > 0, 1.0, -1.0
    )

    def loss_fn(w):
        return logistic_loss(w, x, y, lam)

    w = torch.randn(dim, dtype=torch.float64, device=device, requires_grad=True)
    v = torch.randn(dim, dtype=torch.float64, device=device)
    hv = hvp(loss_fn, w, v)
    with torch.no_grad():  # closed form: X^T diag(s (1 - s)) X / n + lam I, s = sigmoid(y Xw)
        s = torch.sigmoid(y * (x @ w))
        h = (x.T * (s * (1 - s))) @ x / n + lam * torch.eye(dim, dtype=torch.float64, device=device)
    h_autograd = torch.autograd.functional.hessian(loss_fn, w.detach())
    err_closed = (hv - h @ v).abs().max().item()
    err_hessian = (hv - h_autograd @ v).abs().max().item()
    print(
        f"Hessian-vector product: max |Hv - H_closed v| = {err_closed:.2e}, "
        f"vs autograd.functional.hessian {err_hessian:.2e}"
    )

    # Newton's method: solve H d = -g with conjugate gradient, using only Hv products.
    w = torch.zeros(dim, dtype=torch.float64, device=device, requires_grad=True)
    for step in range(1, 8):
        (g,) = torch.autograd.grad(loss_fn(w), w)
        grad_norm = g.norm().item()
        print(f"newton step {step}: loss {loss_fn(w).item():.6f}  |grad| {grad_norm:.2e}")
        if grad_norm < 1e-10:
            break
        d = conjugate_gradient(lambda p, w=w: hvp(loss_fn, w, p), -g, iters=2 * dim)
        w = (w + d).detach().requires_grad_()
    return err_closed, grad_norm


def gradient_penalty(critic, real, fake):
    """``((|d critic / d x| - 1)^2).mean()`` at random points between real and fake."""
    t = torch.rand(real.shape[0], 1, device=real.device)
    x_hat = (t * real + (1 - t) * fake).requires_grad_()
    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norms = g.norm(dim=1)
    return ((norms - 1) ** 2).mean(), norms.mean()


def train_critic(device, n, steps, lam=10.0):
    critic = nn.Sequential(
        nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)
    ).to(device)
    optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    shift = torch.tensor([2.0, 0.0], device=device)
    for step in range(1, steps + 1):
        real = torch.randn(n, 2, device=device) * 0.3 + shift
        fake = torch.randn(n, 2, device=device) * 0.3 - shift
        penalty, mean_norm = gradient_penalty(critic, real, fake)
        distance = critic(real).mean() - critic(fake).mean()
        loss = -distance + lam * penalty
        optimizer.zero_grad()
        loss.backward()  # differentiates through the gradient inside the penalty
        optimizer.step()
        if step % max(1, steps // 4) == 0 or step == steps:
            print(
                f"critic step {step:4d}: W-distance estimate {distance.item():.3f}  "
                f"mean |grad| {mean_norm.item():.3f}  penalty {penalty.item():.4f}"
            )
    # The true Wasserstein-1 distance between the two clouds is |2 shift| = 4.
    return distance.item(), mean_norm.item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--epochs", type=int, default=400, help="critic training steps")
    parser.add_argument("--limit", type=int, default=256, help="samples per batch / data set")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)

    start = time.perf_counter()
    hvp_err, grad_norm = hessian_vector_products(device, args.limit)
    distance, mean_norm = train_critic(device, args.limit, args.epochs)
    elapsed = time.perf_counter() - start
    print(
        f"summary: hvp error {hvp_err:.2e}, newton |grad| {grad_norm:.2e}, "
        f"critic distance {distance:.3f} (true 4), mean |grad| {mean_norm:.3f} (target 1), "
        f"{elapsed:.2f} s"
    )


if __name__ == "__main__":
    main()
