"""Planning speed: decisions/s of `learnmax.search.plan` at a given beam and depth, for token-by-token (one model call
per token, or Jacobi passes) and parallel next-frame decoding (`GPTConfig.decode`) in the same run, with the KV cache,
beside the uncached search (every prediction recomputes its whole sequence: the reference); and the fraction of each
search's wall time spent inside the world model.

    python bench/plan.py [--layout patch] [--n-tokens 36] [--decode both|sequential|parallel] [--beam 4] [--depth 2]
                         [--window 4] [--n-layer 2] [--n-embd 32] [--train-steps 300] [--repeats 3] [--profile]

(`--n-patches` is an alias of `--n-tokens`, `--n-state` of `--vocab`.) The defaults are the agent's quick Montezuma
model (`AgentConfig` with its default `DVQConfig` strides (4, 7): a 3x3 grid of patch tokens, vocabulary 64, a 2-layer
32-wide GPT with a 4-frame window) and its quick search (beam 4, depth 2, all 6 actions); `--n-tokens 36` is a 6x6
grid (strides (4, 4)), `--n-tokens 121` the notes' 11x11 grid. Each configuration is timed `--repeats` times, one
after the other, and the median and range are printed: the machine may be shared. The target is real-time play: 15
decisions/s at frame skip 4 (60 frames/s). `--profile` prints where a parallel search spends its time (cProfile).

What Jacobi passes cost depends on what the model predicts (one pass, plus one per chain of dependent changes in the
predicted frame), so the models are first trained `--train-steps` AdamW steps on a toy world shaped like an Atari
screen: a fixed random background of patch tokens and one sprite token that the actions move on the grid (UP, DOWN,
LEFT, RIGHT), so a frame differs from the one before in 0 or 2 patches (1.3 on average; the random-policy Montezuma
frames of the experiment `gpt_decode` differ in about 0.9 of 36: copying the last frame gets 97.6%). `--train-steps 0`
keeps random weights, under which nearly every patch changes: the worst case of Jacobi passes. The other decodings
cost the same whatever the model predicts.
"""
import argparse
import statistics
import time

import torch

from learnmax.gpt import GPT, GPTConfig
import learnmax.gpt_loss   # adds GPT.loss
from learnmax.search import SearchConfig, plan


def run(model, states, actions, sc, seconds):
    "decisions/s, fraction of the wall time in the model, nodes per search."
    plan(model, states, actions, sc)                      # warm up
    n, t_model, t0 = 0, 0.0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        p = plan(model, states, actions, sc.replace(seed=n))
        n, t_model = n + 1, t_model + p.model_seconds
    wall = time.perf_counter() - t0
    return n / wall, t_model / wall, p.tree.n_nodes


def sprite_world(n_rows, T, grid, vocab, n_actions, g):
    "Windows (n_rows, T, rows*cols) of a fixed random background with one sprite (token vocab-1) moved by the actions."
    r, c = grid
    bg = torch.randint(0, vocab - 1, (n_rows, 1, r * c), generator=g).expand(n_rows, T, r * c).clone()
    a = torch.randint(0, n_actions, (n_rows, T), generator=g)
    y, x = torch.randint(0, r, (n_rows,), generator=g), torch.randint(0, c, (n_rows,), generator=g)
    for t in range(T):
        bg[torch.arange(n_rows), t, y * c + x] = vocab - 1
        y = (y - (a[:, t] == 2).long() + (a[:, t] == 5).long()).clamp(0, r - 1)   # UP, DOWN (the reduced actions)
        x = (x + (a[:, t] == 3).long() - (a[:, t] == 4).long()).clamp(0, c - 1)   # RIGHT, LEFT
    return bg, a


def train(model, steps, grid, g, batch=16):
    "AdamW steps on `sprite_world` windows; the last batch's state accuracy."
    c = model.cfg
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        out = model.loss(*sprite_world(batch, c.window, grid, c.vocab, c.n_actions, g))
        opt.zero_grad(); out.loss.backward(); opt.step()
    model.eval()
    s = out.stats['state'] if steps else None
    return float(s['top1'] / s['n']) if steps else float('nan')


def profile(model, states, actions, sc, n=200):
    import cProfile, pstats
    pr = cProfile.Profile()
    pr.enable()
    for i in range(n): plan(model, states, actions, sc.replace(seed=i))
    pr.disable()
    pstats.Stats(pr).sort_stats('tottime').print_stats(18)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--layout', default='patch', choices=('patch', 'frame'))
    ap.add_argument('--n-tokens', '--n-patches', dest='n_tokens', type=int, default=9, help='state tokens per frame')
    ap.add_argument('--vocab', '--n-state', dest='vocab', type=int, default=64, help='state vocabulary')
    ap.add_argument('--decode', default='both', choices=('both', 'sequential', 'parallel'))
    ap.add_argument('--n-actions', type=int, default=6)
    ap.add_argument('--window', type=int, default=4)
    ap.add_argument('--n-layer', type=int, default=2)
    ap.add_argument('--n-head', type=int, default=2)
    ap.add_argument('--n-embd', type=int, default=32)
    ap.add_argument('--beam', type=int, default=4)
    ap.add_argument('--depth', type=int, default=2)
    ap.add_argument('--branching', type=int, default=0)
    ap.add_argument('--train-steps', type=int, default=300, help='AdamW steps on the sprite world before timing (0: random weights)')
    ap.add_argument('--seconds', type=float, default=3.0, help='per timing')
    ap.add_argument('--repeats', type=int, default=3, help='timings per configuration')
    ap.add_argument('--no-uncached', action='store_true', help='skip the uncached reference searches')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--profile', action='store_true', help='profile the parallel (else the sequential) cached search')
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    n = a.n_tokens if a.layout == 'patch' else 1
    decodes = ('sequential', 'parallel') if a.decode == 'both' else (a.decode,)
    if a.layout == 'frame': decodes = ('sequential',)
    grid = (int(n ** 0.5), n // int(n ** 0.5))
    if grid[0] * grid[1] != n and a.train_steps: raise SystemExit(f'--n-tokens {n} is not a grid rows x cols with rows = floor(sqrt(n))')
    models = {}
    for dec in decodes:
        torch.manual_seed(0)
        cfg = GPTConfig(layout=a.layout, vocab=a.vocab, n_actions=a.n_actions, n_tokens=n, window=a.window, decode=dec,
                        n_layer=a.n_layer, n_head=a.n_head, n_embd=a.n_embd, action_emb='plain')
        models[dec] = GPT(cfg)
        t0 = time.perf_counter()
        acc = train(models[dec], a.train_steps, grid, torch.Generator().manual_seed(0))
        models[dec] = models[dec].to(a.device).eval()
        if a.train_steps: print(f'{dec}: {a.train_steps} steps on the sprite world, state accuracy {acc:.1%} ({time.perf_counter() - t0:.0f} s)')
    T = a.window - a.depth                                  # the history the planner keeps
    s, act = sprite_world(1, T, grid, a.vocab, a.n_actions, torch.Generator().manual_seed(1))
    states, actions = s[0], act[0, :T - 1]
    sc = SearchConfig(beam=a.beam, depth=a.depth, branching=a.branching)
    print(f'{a.layout} layout, {n} token(s)/frame, {a.n_layer}x{a.n_embd} GPT, window {a.window}; beam {a.beam}, '
          f'depth {a.depth}, branching {a.branching or a.n_actions}; {a.device}, {a.threads} thread(s); '
          f'median [min-max] of {a.repeats} timings of {a.seconds:g} s')
    if a.profile:
        dec = 'parallel' if 'parallel' in models else decodes[0]
        print(f'profile of the {dec} cached search:'); profile(models[dec], states, actions, sc)
        return
    rows = {}
    for dec, model in models.items():
        ways = [('uncached', False, False)] * (not a.no_uncached) + [('KV cache', True, False)]
        if dec == 'sequential' and a.layout == 'patch': ways.append(('KV cache, Jacobi', True, True))
        for way, use_cache, jacobi in ways:
            runs = [run(model, states, actions, sc.replace(use_cache=use_cache, jacobi=jacobi), a.seconds) for _ in range(a.repeats)]
            dps = [r[0] for r in runs]
            rows[dec, way] = statistics.median(dps)
            name = f"{'token by token' if dec == 'sequential' else 'parallel'}, {way}"
            print(f'{name:32s} {statistics.median(dps):8.1f} [{min(dps):.1f}-{max(dps):.1f}] decisions/s  '
                  f'{runs[0][2]} nodes/search  {statistics.median(r[1] for r in runs):5.1%} of the time in the model')
    best = max(v for (d, way), v in rows.items() if way != 'uncached')
    if ('sequential', 'KV cache, Jacobi') in rows:
        print(f"Jacobi passes / one call per token (cached): {rows['sequential', 'KV cache, Jacobi'] / rows['sequential', 'KV cache']:.1f}x")
        if ('parallel', 'KV cache') in rows:
            print(f"parallel / token by token in Jacobi passes (cached): {rows['parallel', 'KV cache'] / rows['sequential', 'KV cache, Jacobi']:.1f}x")
    for dec in models:
        if (dec, 'uncached') in rows: print(f"KV cache speed-up ({dec}): {rows[dec, 'KV cache'] / rows[dec, 'uncached']:.2f}x")
    print(f"real time (15 decisions/s): {'met' if best >= 15 else 'NOT met'} ({best / 15:.2f}x of the target)")


if __name__ == '__main__':
    main()
