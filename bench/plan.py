"""Planning speed: decisions/s of `learnmax.search.plan` at a given beam and depth, with the KV cache and without it
(every prediction recomputes its whole sequence: the baseline, run in the same process), and the fraction of each
search's wall time spent inside the world model.

    python bench/plan.py [--layout patch] [--n-patches 9] [--beam 4] [--depth 2] [--window 4] [--n-layer 2] [--n-embd 32]

The defaults are the agent's quick Montezuma model (`AgentConfig` with its default `DVQConfig` strides (4, 7): a 3x3
grid of patch tokens, vocabulary 64, a 2-layer 32-wide GPT with a 4-frame window) and its quick search (beam 4,
depth 2, all 6 actions). The target is real-time play: 15 decisions/s at frame skip 4 (60 frames/s).
The model is untrained (random weights): the search's cost does not depend on what the model predicts.
"""
import argparse
import time

import torch

from learnmax.gpt import GPT, GPTConfig
from learnmax.search import SearchConfig, plan


def run(model, states, actions, sc, seconds):
    plan(model, states, actions, sc)                      # warm up
    n, t_model, t0 = 0, 0.0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        p = plan(model, states, actions, sc.replace(seed=n))
        n, t_model = n + 1, t_model + p.model_seconds
    wall = time.perf_counter() - t0
    return n / wall, t_model / wall, p.tree.n_nodes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--layout', default='patch', choices=('patch', 'frame'))
    ap.add_argument('--n-patches', type=int, default=9)
    ap.add_argument('--n-state', type=int, default=64)
    ap.add_argument('--n-actions', type=int, default=6)
    ap.add_argument('--window', type=int, default=4)
    ap.add_argument('--n-layer', type=int, default=2)
    ap.add_argument('--n-head', type=int, default=2)
    ap.add_argument('--n-embd', type=int, default=32)
    ap.add_argument('--beam', type=int, default=4)
    ap.add_argument('--depth', type=int, default=2)
    ap.add_argument('--branching', type=int, default=0)
    ap.add_argument('--seconds', type=float, default=5.0)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    n = a.n_tokens if a.layout == 'patch' else 1
    cfg = GPTConfig(layout=a.layout, vocab=a.vocab, n_actions=a.n_actions, n_tokens=n, window=a.window,
                    n_layer=a.n_layer, n_head=a.n_head, n_embd=a.n_embd, action_emb='plain')
    model = GPT(cfg).to(a.device).eval()
    T = a.window - a.depth                                  # the history the planner keeps
    states = torch.randint(0, a.vocab, (T, n))
    actions = torch.randint(0, a.n_actions, (T - 1,))
    sc = SearchConfig(beam=a.beam, depth=a.depth, branching=a.branching)
    print(f'{a.layout} layout, {n} token(s)/frame, {a.n_layer}x{a.n_embd} GPT, window {a.window}; '
          f'beam {a.beam}, depth {a.depth}, branching {a.branching or a.n_actions}; {a.device}, {a.threads} thread(s)')
    rows = []
    for name, use_cache in (('without cache (baseline)', False), ('with KV cache', True)):
        dps, frac, nodes = run(model, states, actions, sc.replace(use_cache=use_cache), a.seconds)
        rows.append(dps)
        print(f'{name:26s} {dps:8.1f} decisions/s  {nodes} nodes/search  {frac:5.1%} of the time in the model')
    print(f'KV cache speed-up: {rows[1] / rows[0]:.2f}x; real time (15 decisions/s): '
          f"{'met' if rows[1] >= 15 else 'NOT met'} ({rows[1] / 15:.2f}x of the target)")


if __name__ == '__main__':
    main()
