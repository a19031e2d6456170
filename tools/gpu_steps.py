"""How many optimizer steps of the world model of a profile (default `large`, the GPU's) fit a training budget on this
machine; prints one integer.

    python tools/gpu_steps.py SECONDS [--arms 3] [--profile large] [seeds=[0,1,2]] [KEY=VALUE ...]

Times `train_step` (bf16 autocast on CUDA, as `train_gpt` runs it) on random windows of the shape the profile trains
on: the DVQ's patch tokens (`default_dvq`, 121 per frame), all 18 actions, the `GPTConfig` and `TrainConfig` of the
profile. SECONDS is shared by every run of the notebook (`--arms`, the models it trains per seed, 3 in
`gpt_montezuma`, times its seeds); the steps are rounded down to a multiple of 50 and capped at the `TrainConfig`
profile's. Other KEY=VALUE pairs (the notebook's overrides) are ignored here. Used by `tools/gpu_figures.sh`.
"""
import ast
import contextlib
import sys
import time

import torch

from learnmax.actions import ACTION_NAMES
from learnmax.dvq import DVQ
from learnmax.envs import EnvConfig
from learnmax.gpt import GPT, GPTConfig
from learnmax.tokenizer import DVQTokenizer, default_dvq, world_model_config
from learnmax.train import TrainConfig, make_optimizer, train_step


def main(argv):
    if not argv: sys.exit(__doc__)
    budget, arms, profile, rest = float(argv[0]), 3, 'large', list(argv[1:])
    while rest[:1] in (['--arms'], ['--profile']):
        if rest[0] == '--arms': arms = int(rest[1])
        else: profile = rest[1]
        rest = rest[2:]
    over = dict(a.split('=', 1) for a in rest)
    runs = len(ast.literal_eval(over.get('seeds', '[0, 1, 2, 3, 4]'))) * arms
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    tc = TrainConfig.profile(profile)
    tok = DVQTokenizer(dvq=DVQ(default_dvq(EnvConfig.profile(profile), profile)))
    cfg = world_model_config(tok, ACTION_NAMES, GPTConfig.profile(profile))
    torch.manual_seed(0)
    model = GPT(cfg).to(device).train()
    opt = make_optimizer(model, tc)
    amp = torch.autocast('cuda', dtype=torch.bfloat16) if device == 'cuda' else contextlib.nullcontext()
    states = torch.randint(cfg.vocab, (tc.batch_size, cfg.window, cfg.n_tokens), device=device)
    actions = torch.randint(cfg.n_actions, (tc.batch_size, cfg.window), device=device)
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    for _ in range(5): train_step(model, opt, states, actions, tc.grad_clip, tc.topk, amp=amp)   # warm-up
    sync(); n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 10 or n < 10:
        train_step(model, opt, states, actions, tc.grad_clip, tc.topk, amp=amp); n += 1
        if device == 'cpu' and n >= 3: break
    sync(); per_step = (time.perf_counter() - t0) / n
    steps = min(tc.steps, int(budget / runs / per_step) // 50 * 50)
    print(f'{n} steps of {tc.batch_size} windows x {cfg.block_size} positions on {device}: {per_step * 1e3:.1f} ms/step; '
          f'{runs} runs in {budget:.0f} s: {steps} steps each', file=sys.stderr)
    if steps < 50: sys.exit(f'a budget of {budget:.0f} s fits fewer than 50 steps per run ({per_step * 1e3:.1f} ms/step)')
    print(steps)


if __name__ == '__main__':
    main(sys.argv[1:])
