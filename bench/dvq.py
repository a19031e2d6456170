"""DVQ throughput against a plain reference loop in the same run.

Training: frames/s of one DVQ training step (uint8 frames -> device, normalise, encode, quantize with straight-through,
commitment and codebook losses, decode, backward, Adam) vs the same step of a plain convolutional autoencoder with the
identical conv layers written as a bare `nn.Sequential` (no quantizer): the ratio is the cost of the VQ machinery.
Encoding: frames/s of `DVQ.encode` (shape checks, normalisation, encoder, nearest code) vs the bare encoder followed by
`torch.cdist(...).argmin()` on the same weights. Each timing is the best of `--reps` passes of `--iters` batches.

    .venv/bin/python bench/dvq.py [--profile quick|paper] [--mode patch|frame] [--batch 64] [--iters 5] [--reps 3]
"""
import argparse
import time

import torch
import torch.nn.functional as F
from torch import nn

from learnmax.dvq import DVQ, DVQConfig


def best(f, iters, reps):
    "Best wall time of `reps` passes of `iters` calls of `f` (after one warm-up call)."
    f(); out = float('inf')
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(iters): f()
        out = min(out, time.perf_counter() - t)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--profile', default='paper', choices=('quick', 'paper'))
    ap.add_argument('--mode', default='patch', choices=('patch', 'frame'))
    ap.add_argument('--batch', type=int, default=64); ap.add_argument('--iters', type=int, default=5)
    ap.add_argument('--reps', type=int, default=3); ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    cfg = DVQConfig.profile(a.profile, mode=a.mode)
    dvq = DVQ(cfg)
    frames = torch.randint(0, 256, (a.batch, 84, 84, 3), dtype=torch.uint8)
    # the reference: the very same conv layers, as a bare autoencoder without quantizer, shape checks or heads
    ref_enc = nn.Sequential(*dvq.enc); ref_dec = nn.Sequential(*dvq.dec)
    ref_params = list(ref_enc.parameters()) + list(ref_dec.parameters())
    opt_d = torch.optim.Adam([p for p in dvq.parameters() if p.requires_grad], 1e-3)
    opt_r = torch.optim.Adam(ref_params, 1e-3)

    def dvq_step():
        x = dvq.prepare(frames); out = dvq(x)
        loss = F.mse_loss(out.recon, x) + out.vq_loss
        opt_d.zero_grad(); loss.backward(); opt_d.step()

    def ref_step():
        x = frames.permute(0, 3, 1, 2).float() / 255
        loss = F.mse_loss(ref_dec(ref_enc(x)), x)
        opt_r.zero_grad(); loss.backward(); opt_r.step()

    codebook = dvq.vq.codebook.detach()

    @torch.no_grad()
    def ref_encode():
        z = ref_enc(frames.permute(0, 3, 1, 2).float() / 255)
        z = z.flatten(1)[:, None] if cfg.layout == 'frame' else z.flatten(2).transpose(1, 2)
        return torch.cdist(z.reshape(-1, dvq.code_dim), codebook).argmin(1).view(len(z), -1)

    dvq.eval()
    agree = (dvq.encode(frames) == ref_encode()).float().mean().item()   # same tokens, up to float rounding at ties
    enc = {'DVQ.encode': best(lambda: dvq.encode(frames), a.iters, a.reps), 'bare encoder + cdist': best(ref_encode, a.iters, a.reps)}
    dvq.train()
    tr = {'DVQ train step': best(dvq_step, a.iters, a.reps), 'plain autoencoder step': best(ref_step, a.iters, a.reps)}
    n = a.batch * a.iters
    print(f'DVQ {a.profile} profile, {cfg.layout} mode ({dvq.n_tokens} tokens, vocab {cfg.vocab}, hidden {cfg.hidden}), '
          f'batch {a.batch}, {torch.get_num_threads()} threads, {"cuda" if torch.cuda.is_available() else "cpu"}')
    for title, res in (('training', tr), ('encoding', enc)):
        (k1, t1), (k2, t2) = res.items()
        print(f'  {title:9s} {k1:24s} {n / t1:9.1f} frames/s | {k2:24s} {n / t2:9.1f} frames/s | '
              f'DVQ/reference speed {t2 / t1:.2f}')
    print(f'  tokens agree with the reference on {agree:.1%} of positions')


if __name__ == '__main__':
    main()
