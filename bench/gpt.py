"""Speed of the world model: training tokens/s against a plain minimal GPT of the same size, and rollout frames/s
with and without the KV cache.

    python bench/gpt.py [--seconds 5] [--layout patch] [--decode sequential] [--n-tokens 121] [--window 3] [--n-layer 4] [--n-embd 256]
                        [--device cuda --amp] [--profile 10]

(a) Training: forward + backward + AdamW step on random token windows, for `learnmax.gpt.GPT` (layout embeddings,
    typed softmaxes, `F.scaled_dot_product_attention`; the loss without hit counts, as the agent trains), for
    `MinimalGPT` below: the textbook model of the same width, depth and sequence length (token + position embedding,
    attention written out as a masked softmax, one softmax over the whole vocabulary), and for
    `MinimalGPT(fused=True)` (`PlainBlock`): the same textbook model with PyTorch's fused causal attention, the
    strongest plain baseline. The ratios show what the layout costs and what the fused kernel saves. `--changed F` makes each frame repeat the one before but for a share
    F of its patches (Atari frames: about 0.1), which `--copy-keep` (GPTConfig.copy_keep) exploits.
    With `--decode parallel` (frame-block attention) the loss feeds every frame of the window but the last, which
    predicts nothing; tokens/s still counts the whole window, so the two decodings compare per window.
(b) Rollout: from `--histories` one-frame histories, predict the next frame under each of 6 candidate actions, then
    keep predicting along every branch until the window is full (what the planner does), with `predict_next`
    using the KV cache and recomputing the whole sequence at each token (`use_cache=False`).
(c) With `--profile N`: N training steps of the learnmax GPT under `torch.profiler`, and the operations that took the
    most time (on the GPU with `--device cuda`), to see where a training step goes.
"""
import argparse
import math
import contextlib
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from learnmax.gpt import GPT, GPTConfig
import learnmax.gpt_loss      # adds GPT.loss
import learnmax.gpt_predict   # adds GPT.prefill and GPT.predict_next


class MinimalBlock(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h, self.ln1, self.ln2 = h, nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        B, L, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, L, 3, self.h, D // self.h).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(D // self.h)
        att = att.masked_fill(torch.ones(L, L, dtype=torch.bool, device=x.device).triu(1), float('-inf')).softmax(-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(B, L, D))
        return x + self.mlp(self.ln2(x))


class PlainBlock(MinimalBlock):
    "The same block with PyTorch's fused causal attention."
    def forward(self, x):
        B, L, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, L, 3, self.h, D // self.h).permute(2, 0, 3, 1, 4)
        x = x + self.proj(F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, L, D))
        return x + self.mlp(self.ln2(x))


class MinimalGPT(nn.Module):
    "The plainest GPT: token + position embeddings, blocks, one softmax over the vocabulary."
    def __init__(self, vocab, block, d, h, n_layer, fused=False):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.zeros(block, d))
        self.blocks = nn.Sequential(*[(PlainBlock if fused else MinimalBlock)(d, h) for _ in range(n_layer)])
        self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab, bias=False)

    def loss(self, idx):
        x = self.tok(idx[:, :-1]) + self.pos[:idx.shape[1] - 1]
        logits = self.head(self.ln(self.blocks(x)))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), idx[:, 1:].reshape(-1))


def timed(steps, seconds, rounds=5):
    "Rates (units/s) of each `step()` (returns units of work), measured in alternating rounds; the median round of each."
    for f in steps: f()                                   # warm-up
    rates = [[] for _ in steps]
    for _ in range(rounds):                               # alternate, so that a noisy neighbour hurts both alike
        for f, r in zip(steps, rates):
            n, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < seconds / rounds: n += f()
            r.append(n / (time.perf_counter() - t0))
    return [sorted(r)[len(r) // 2] for r in rates]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--seconds', type=float, default=10.0, help='time per measurement (in 5 alternating rounds)')
    p.add_argument('--layout', default='patch', choices=['patch', 'frame'])
    p.add_argument('--heads', default='separate', choices=['separate', 'joint'])
    p.add_argument('--decode', default='sequential', choices=['sequential', 'parallel'], help="layout patch: the next frame token by token or all at once (frame-block attention)")
    p.add_argument('--n-tokens', type=int, default=121, help='patch tokens per frame'); p.add_argument('--window', type=int, default=3)
    p.add_argument('--vocab', type=int, default=512); p.add_argument('--n-layer', type=int, default=4)
    p.add_argument('--n-head', type=int, default=8); p.add_argument('--n-embd', type=int, default=256)
    p.add_argument('--batch', type=int, default=8, help='training windows per step')
    p.add_argument('--copy-keep', type=float, default=1.0, help="decode parallel: GPTConfig.copy_keep (the unchanged targets' share read)")
    p.add_argument('--changed', type=float, default=1.0, help='share of patches that change from one frame to the next (1: every token random)')
    p.add_argument('--histories', type=int, default=4, help='rollout: histories, each branched over 6 actions')
    p.add_argument('--threads', type=int, default=0, help='torch threads (0: torch default)')
    p.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    p.add_argument('--amp', action='store_true', help='bf16 autocast on CUDA, as `train_gpt` trains')
    p.add_argument('--profile', type=int, default=0, metavar='N', help='profile N training steps of the learnmax GPT')
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    n_tokens = a.n_tokens if a.layout == 'patch' else 1
    cfg = GPTConfig(layout=a.layout, heads=a.heads, decode=a.decode, n_tokens=n_tokens, vocab=a.vocab, window=a.window,
                    n_layer=a.n_layer, n_head=a.n_head, n_embd=a.n_embd, copy_keep=a.copy_keep)
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    amp = lambda: torch.autocast('cuda', dtype=torch.bfloat16) if a.amp and dev.type == 'cuda' else contextlib.nullcontext()
    model = GPT(cfg).to(dev)
    ref = MinimalGPT(cfg.vocab + cfg.n_actions + 1, cfg.block_size, a.n_embd, a.n_head, a.n_layer).to(dev)
    fused = MinimalGPT(cfg.vocab + cfg.n_actions + 1, cfg.block_size, a.n_embd, a.n_head, a.n_layer, fused=True).to(dev)
    print(f'{cfg.layout} layout ({cfg.decode}), {n_tokens} tokens/frame, window {cfg.window} frames = {cfg.block_size} positions; '
          f'{a.n_layer} layers x {a.n_embd} wide; {torch.get_num_threads()} threads on {dev}{" (bf16 autocast)" if a.amp else ""}; '
          f'learnmax GPT {model.n_params()/1e6:.2f}M parameters, minimal GPT {sum(q.numel() for q in ref.parameters())/1e6:.2f}M')

    # (a) training tokens/s
    states = torch.randint(cfg.vocab, (a.batch, cfg.window, n_tokens), device=dev)
    for t in range(1, cfg.window):   # each frame repeats the one before but for a share `--changed` of its patches
        keep = torch.rand(a.batch, n_tokens, device=dev) >= a.changed
        states[:, t] = torch.where(keep, states[:, t - 1], states[:, t])
    actions = torch.randint(cfg.n_actions, (a.batch, cfg.window), device=dev)
    seq = torch.randint(cfg.vocab, (a.batch, cfg.block_size + 1), device=dev)
    def trainer(m, loss):
        opt = torch.optim.AdamW(m.parameters(), lr=1e-4)
        def step():
            opt.zero_grad(set_to_none=True)
            with amp(): l = loss()
            l.backward(); opt.step(); sync()
            return a.batch * cfg.block_size
        return step
    ours, plain, fast = timed([trainer(model, lambda: model.loss(states, actions, count=False).loss), trainer(ref, lambda: ref.loss(seq)),
                               trainer(fused, lambda: fused.loss(seq))], a.seconds)
    print(f'training: learnmax GPT {ours:,.0f} tokens/s (copy_keep {cfg.copy_keep}, {a.changed:.0%} of patches changing), '
          f'minimal GPT {plain:,.0f} tokens/s: ratio {ours / plain:.2f}; plain GPT with fused attention {fast:,.0f} tokens/s: ratio {ours / fast:.2f}')

    if a.profile:   # (c) where a training step goes
        from torch.profiler import ProfilerActivity, profile
        step = trainer(model, lambda: model.loss(states, actions).loss); step()
        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev.type == 'cuda' else [])
        with profile(activities=acts) as prof:
            for _ in range(a.profile): step()
        key = 'self_cuda_time_total' if dev.type == 'cuda' else 'self_cpu_time_total'
        print(prof.key_averages().table(sort_by=key, row_limit=20))

    # (b) rollout frames/s
    model.eval()
    hist = torch.randint(cfg.vocab, (a.histories, 1, n_tokens), device=dev)
    cand = torch.arange(6, device=dev).expand(a.histories, 6)
    def rollout(use_cache):
        def step():
            pr = model.predict_next(model.prefill(hist, None, use_cache=use_cache), cand, use_cache=use_cache)
            n = pr.tokens.shape[0] * pr.tokens.shape[1]
            for _ in range(cfg.window - 2):
                pr = model.predict_next(pr.cache, torch.zeros(pr.cache.batch, 1, dtype=torch.long, device=dev), use_cache=use_cache)
                n += pr.tokens.shape[0]
            sync()
            return n
        return step
    with_cache, without = timed([rollout(True), rollout(False)], a.seconds)
    print(f'rollout ({a.histories} histories x 6 actions, {cfg.window - 1} frames deep): {with_cache:,.1f} frames/s with the '
          f'KV cache, {without:,.1f} without: ratio {with_cache / without:.1f}')


if __name__ == '__main__':
    main()
