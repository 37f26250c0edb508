#!/usr/bin/env python3
"""A PyTorch port of openai/glow's model (shared/glow-spec.md), for side-by-side speed comparisons
with `flowrt bench-one` under the same protocol: random 8-bit images dequantized as the spec says,
a fresh batch every step, Adamax with a constant learning rate, untimed warm-up steps, the median of
timed passes; prints one JSON line like bench-one's. Not part of the project's build or tests:
it needs PyTorch (Debian: python3-torch; scripts/peers/install-torch.sh).

Under torchrun or mpirun (WORLD_SIZE or OMPI_COMM_WORLD_SIZE > 1; Debian's torchrun 1.13 fails to
start under Python 3.11, so compare-torch-ddp.sh launches both systems with mpirun) it trains
data-parallel as PyTorch users do: gloo process group (rendezvous at MASTER_ADDR:MASTER_PORT),
DistributedDataParallel (bucketed gradient all-reduce overlapped with the backward pass), each rank
its own random batch of --batch images; rank 0 prints the job's images/s (all ranks' images).

Model: squeeze; per level K steps of actnorm (logscale factor 3, data-dependent init) → invconv
(LU or plain) → affine coupling (shift = h[:, 0::2], scale = sigmoid(h[:, 1::2] + 2)) whose NN is
conv3x3 → actnorm → ReLU → conv1x1 → actnorm → ReLU → zeroconv3x3, with the edge-bias channel on
every 3×3 convolution; split priors by zeroconv of z1 (mean = h[:, 0::2], logs = h[:, 1::2]); a
learned top prior (zeroconv of zeros; mean, logs = halves). Autograd keeps every activation (the
stored mode): PyTorch has no reversible backward.

On a GPU (--device cuda; scripts/peers/compare-torch-gpu.sh): cuDNN benchmark mode, PyTorch's default
TF32 convolutions, optionally torch.compile (--compile) of the training forward and of the sampler;
the sampler is warmed up (and compiled) untimed, and peak_device_bytes is torch.cuda.max_memory_allocated.
"""
import argparse
import json
import math
import resource
import statistics
import time

import numpy as np
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

LOGSCALE = 3.0


def edge_pad(x):
    """Zero padding of 1, plus a channel that is 1 in the padding border and 0 inside (edge bias)."""
    n, _, h, w = x.shape
    ones = torch.zeros(n, 1, h, w, dtype=x.dtype, device=x.device)
    return torch.cat([F.pad(x, (1, 1, 1, 1)), F.pad(ones, (1, 1, 1, 1), value=1.0)], dim=1)


class ActNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.logs = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.initialized = False

    def forward(self, x, logdet=None):
        if not self.initialized:
            with torch.no_grad():
                b = -x.mean(dim=(0, 2, 3), keepdim=True)
                v = ((x + b) ** 2).mean(dim=(0, 2, 3), keepdim=True)
                self.bias.copy_(b)
                self.logs.copy_(torch.log(1.0 / (v.sqrt() + 1e-6)) / LOGSCALE)
            self.initialized = True
        logs = self.logs * LOGSCALE
        y = (x + self.bias) * torch.exp(logs)
        if logdet is not None:
            logdet = logdet + x.shape[2] * x.shape[3] * logs.sum()
        return y, logdet


class Conv(nn.Module):
    """conv3x3 (edge bias) or conv1x1, no bias, weights ~ N(0, 0.05), then actnorm and ReLU."""

    def __init__(self, cin, cout, k):
        super().__init__()
        self.k = k
        self.weight = nn.Parameter(torch.randn(cout, cin + (1 if k == 3 else 0), k, k) * 0.05)
        self.norm = ActNorm(cout)

    def forward(self, x):
        y = F.conv2d(edge_pad(x) if self.k == 3 else x, self.weight)
        y, _ = self.norm(y)
        return F.relu(y)


class ZeroConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(cout, cin + 1, 3, 3))
        self.bias = nn.Parameter(torch.zeros(1, cout, 1, 1))
        self.logs = nn.Parameter(torch.zeros(1, cout, 1, 1))

    def forward(self, x):
        return (F.conv2d(edge_pad(x), self.weight) + self.bias) * torch.exp(self.logs * LOGSCALE)


class InvConv(nn.Module):
    def __init__(self, c, lu):
        super().__init__()
        w = np.linalg.qr(np.random.randn(c, c))[0].astype(np.float64)
        self.lu = lu
        if lu:
            p, l, u = lu_decompose(w)
            s = np.diag(u)
            self.register_buffer("p", torch.tensor(p, dtype=torch.float32))
            self.register_buffer("sign_s", torch.tensor(np.sign(s), dtype=torch.float32))
            self.register_buffer("l_mask", torch.tril(torch.ones(c, c), -1))
            self.register_buffer("eye", torch.eye(c))
            self.l = nn.Parameter(torch.tensor(l, dtype=torch.float32))
            self.u = nn.Parameter(torch.tensor(np.triu(u, 1), dtype=torch.float32))
            self.log_s = nn.Parameter(torch.tensor(np.log(np.abs(s)), dtype=torch.float32))
        else:
            self.weight = nn.Parameter(torch.tensor(w, dtype=torch.float32))

    def forward(self, x, logdet):
        hw = x.shape[2] * x.shape[3]
        if self.lu:
            l = self.l * self.l_mask + self.eye
            u = self.u * self.l_mask.T + torch.diag(self.sign_s * torch.exp(self.log_s))
            w = self.p @ l @ u
            logdet = logdet + hw * self.log_s.sum()
        else:
            w = self.weight
            logdet = logdet + hw * torch.slogdet(w.double())[1].float()
        return F.conv2d(x, w.view(*w.shape, 1, 1)), logdet


class Coupling(nn.Module):
    def __init__(self, c, width):
        super().__init__()
        self.nn = nn.Sequential(Conv(c // 2, width, 3), Conv(width, width, 1), ZeroConv(width, 2 * (c - c // 2)))

    def forward(self, x, logdet):
        c = x.shape[1] // 2
        x1, x2 = x[:, :c], x[:, c:]
        h = self.nn(x1)
        shift, scale = h[:, 0::2], torch.sigmoid(h[:, 1::2] + 2.0)
        y2 = (x2 + shift) * scale
        return torch.cat([x1, y2], dim=1), logdet + torch.log(scale).flatten(1).sum(1)


def squeeze(x):
    n, c, h, w = x.shape
    x = x.view(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(n, c * 4, h // 2, w // 2)


def unsqueeze(z):
    n, c4, h, w = z.shape
    return z.view(n, c4 // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c4 // 4, h * 2, w * 2)


def lu_decompose(w):
    """W = P·L·U with partial pivoting (L unit lower, U upper), in float64."""
    n = w.shape[0]
    u, l, perm = w.copy(), np.eye(n), np.arange(n)
    for k in range(n - 1):
        i = k + int(np.argmax(np.abs(u[k:, k])))
        u[[k, i], :] = u[[i, k], :]
        l[[k, i], :k] = l[[i, k], :k]
        perm[[k, i]] = perm[[i, k]]
        for r in range(k + 1, n):
            l[r, k] = u[r, k] / u[k, k]
            u[r, k:] -= l[r, k] * u[k, k:]
    p = np.zeros((n, n))
    p[perm, np.arange(n)] = 1.0  # P·(L·U) = W: row perm[r] of W is row r of L·U
    return p, l, np.triu(u)


def gaussian_logp(z, mean, logs):
    return (-0.5 * (math.log(2 * math.pi) + 2 * logs + (z - mean) ** 2 * torch.exp(-2 * logs))).flatten(1).sum(1)


class Glow(nn.Module):
    def __init__(self, channels, size, levels, steps, width, lu):
        super().__init__()
        self.levels = nn.ModuleList()
        self.priors = nn.ModuleList()
        c = channels * 4
        for i in range(levels):
            self.levels.append(nn.ModuleList(
                nn.ModuleList([ActNorm(c), InvConv(c, lu), Coupling(c, width)]) for _ in range(steps)))
            if i < levels - 1:
                self.priors.append(ZeroConv(c // 2, 2 * (c - c // 2)))
                c = c // 2 * 4
        self.top_c, self.top_hw = c, size >> levels
        self.top = ZeroConv(2 * c, 2 * c)

    def forward(self, x):
        n = x.shape[0]
        logp = torch.full((n,), -x[0].numel() * math.log(256.0), device=x.device)
        z = squeeze(x)
        for i, level in enumerate(self.levels):
            for actnorm, invconv, coupling in level:
                z, logp = actnorm(z, logp)
                z, logp = invconv(z, logp)
                z, logp = coupling(z, logp)
            if i < len(self.levels) - 1:
                c = z.shape[1] // 2
                z1, z2 = z[:, :c], z[:, c:]
                h = self.priors[i](z1)
                logp = logp + gaussian_logp(z2, h[:, 0::2], h[:, 1::2])
                z = squeeze(z1)
        h = self.top(torch.zeros(n, 2 * self.top_c, self.top_hw, self.top_hw, device=x.device))
        logp = logp + gaussian_logp(z, h[:, :self.top_c], h[:, self.top_c:])
        return logp

    @torch.no_grad()
    def sample(self, n, temperature):
        h = self.top(torch.zeros(n, 2 * self.top_c, self.top_hw, self.top_hw, device=self.top.weight.device))
        z = h[:, :self.top_c] + torch.exp(h[:, self.top_c:]) * temperature * torch.randn_like(h[:, :self.top_c])
        for i in reversed(range(len(self.levels))):
            if i < len(self.levels) - 1:
                z1 = unsqueeze(z)
                hp = self.priors[i](z1)
                z2 = hp[:, 0::2] + torch.exp(hp[:, 1::2]) * temperature * torch.randn_like(hp[:, 0::2])
                z = torch.cat([z1, z2], dim=1)
            for actnorm, invconv, coupling in reversed(self.levels[i]):
                c = z.shape[1] // 2
                h2 = coupling.nn(z[:, :c])
                z = torch.cat([z[:, :c], z[:, c:] / torch.sigmoid(h2[:, 1::2] + 2.0) - h2[:, 0::2]], dim=1)
                weight = invconv_weight(invconv)
                z = F.conv2d(z, torch.inverse(weight).view(*weight.shape, 1, 1))
                z = z * torch.exp(-actnorm.logs * LOGSCALE) - actnorm.bias
        return unsqueeze(z)


def invconv_weight(invconv):
    if invconv.lu:
        l = invconv.l * invconv.l_mask + invconv.eye
        u = invconv.u * invconv.l_mask.T + torch.diag(invconv.sign_s * torch.exp(invconv.log_s))
        return invconv.p @ l @ u
    return invconv.weight


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--channels", type=int, default=1)
    a.add_argument("--image-size", type=int, default=32)
    a.add_argument("--levels", type=int, default=3)
    a.add_argument("--steps", type=int, default=8)
    a.add_argument("--width", type=int, default=128)
    a.add_argument("--permutation", choices=["invconv", "invconv-lu"], default="invconv-lu")
    a.add_argument("--batch", type=int, default=64)
    a.add_argument("--steps-per-pass", type=int, default=5)
    a.add_argument("--passes", type=int, default=3)
    a.add_argument("--warmup-steps", type=int, default=1)
    a.add_argument("--lr", type=float, default=1e-3)
    a.add_argument("--temperature", type=float, default=0.7)
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--device", default="cpu", help="cpu or cuda (cuDNN benchmark mode on)")
    a.add_argument("--compile", action="store_true", help="torch.compile the training forward and the sampler")
    a.add_argument("--no-tf32", action="store_true",
                   help="cuda: float32 multiply-adds in cuDNN convolutions (flowrt's default) instead of PyTorch's "
                        "default TF32 tensor cores")
    args = a.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    gpu = device.type == "cuda"
    if gpu:
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = not args.no_tf32
    torch.manual_seed(1)
    np.random.seed(1)
    world = int(os.environ.get("WORLD_SIZE", os.environ.get("OMPI_COMM_WORLD_SIZE", "1")))
    rank = int(os.environ.get("RANK", os.environ.get("OMPI_COMM_WORLD_RANK", "0")))
    if world > 1:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29533")
        dist.init_process_group("gloo", rank=rank, world_size=world)
    rng = np.random.default_rng(7 + rank)

    def batch():
        px = rng.integers(0, 256, size=(args.batch, args.channels, args.image_size, args.image_size))
        return torch.tensor((px + rng.random(px.shape)) / 256.0 - 0.5, dtype=torch.float32).to(device)

    d = args.channels * args.image_size ** 2
    model = Glow(args.channels, args.image_size, args.levels, args.steps, args.width, args.permutation == "invconv-lu")
    model.to(device)
    with torch.no_grad():
        model(batch())  # data-dependent actnorm init (each rank its own; DDP then copies rank 0's)
    parameters = sum(p.numel() for p in model.parameters())
    sample = model.sample
    if world > 1:
        model = nn.parallel.DistributedDataParallel(model)
    if args.compile:  # after the actnorm init, whose flag would otherwise be traced twice
        model, sample = torch.compile(model), torch.compile(sample)
    synchronize = torch.cuda.synchronize if gpu else (lambda: None)
    opt = torch.optim.Adamax(model.parameters(), lr=args.lr, betas=(0.9, 0.999))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = -model(batch()).mean() / (d * math.log(2))
        loss.backward()
        opt.step()
        return loss.item()

    first_loss = step() if args.warmup_steps > 0 else float("nan")
    for _ in range(args.warmup_steps - 1):
        step()
    if gpu:
        torch.cuda.reset_peak_memory_stats()
    sampler_warmup_s = time.perf_counter()
    sample(args.batch, args.temperature)  # warm-up (and compilation) of the sampler, untimed
    synchronize()
    sampler_warmup_s = time.perf_counter() - sampler_warmup_s
    train, samples, last_loss = [], [], float("nan")
    for p in range(args.passes):
        if world > 1:
            dist.barrier()
        t0 = time.perf_counter()
        for _ in range(args.steps_per_pass):
            last_loss = step()
        train.append(args.steps_per_pass * args.batch * world / (time.perf_counter() - t0))
        s0 = time.perf_counter()
        sample(args.batch, args.temperature)
        synchronize()
        samples.append(args.batch / (time.perf_counter() - s0))
    if rank != 0:
        return
    print(json.dumps({
        "system": "pytorch " + torch.__version__, "threads": torch.get_num_threads(), "ranks": world,
        "parameters": parameters, "first_train_bpd": first_loss, "last_train_bpd": last_loss,
        "train_images_per_s": statistics.median(train), "train_images_per_s_passes": train,
        "sample_images_per_s": statistics.median(samples),
        "device": torch.cuda.get_device_name() if gpu else "cpu", "compiled": args.compile, "sampler_warmup_s": sampler_warmup_s,
        "peak_device_bytes": torch.cuda.max_memory_allocated() if gpu else None,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


if __name__ == "__main__":
    main()
