"""Speed of the whole agent loop on Montezuma's Revenge with 36 tokens per frame: env steps/s of acting, planning and
training at the agent's default schedule, for the rebuilt loop against the old behaviour, in the same run.

    python bench/agent.py [--ticks 64] [--n-envs 8] [--commit 2] [--decode parallel] [--threads 2] [--repeats 2]

Both arms use the same tokenizer (a random DVQ with strides (4, 4): a 6x6 grid of 36 tokens, 64 codes; fitted at the
end of the warm-up, which is not timed), the same 2x32 world model with a 4-frame window, the same search (beam 4,
depth 2, all 6 actions) and the same amount of training per env step (`AgentConfig`'s `gpt_steps` AdamW steps of
`batch_size` windows every `train_every` ticks of `n_envs` envs, the quick profile's, kept per env step):

  old  one env, a search before every action, the next frame decoded token by token (36 model calls per depth);
  new  `--n-envs` envs stepped together, one batched search (`plan_batch`) for all envs that need a plan, each env
       committing to the first `--commit` actions of its path, next frames decoded as `--decode` says: parallel (all
       patches in one pass) or token by token (in Jacobi passes, the same tokens in a few model calls;
       `SearchConfig.jacobi`; the agent's default, `GPTConfig().decode`).

Timed: the ticks after the warm-up (acting, tokenizing, planning, replay writes, training rounds, one checkpoint at the
end). Printed: env steps/s of each arm, the ratio, the share of the time spent planning and training, and the new
arm with each decoding. Target: the new loop >= 100 env steps/s on 2 cores.
"""
import argparse
import statistics
import tempfile
import time

import torch

from learnmax.agent import Agent, AgentConfig
from learnmax.config import read_metrics
from learnmax.dvq import DVQConfig
from learnmax.envs import EnvConfig
from learnmax.gpt import GPTConfig
from learnmax.search import SearchConfig


def speed(n_envs, commit, decode, jacobi, ticks, a):
    "Env steps/s over `ticks` ticks after the warm-up, and the fractions of that time spent planning and training."
    base = AgentConfig()                                       # the default schedule: a round every this many env steps
    per_round = base.train_every * base.n_envs
    if per_round % n_envs: raise SystemExit(f'--n-envs must divide {per_round}, the env steps between training rounds')
    cfg = AgentConfig(n_envs=n_envs, commit=commit, dvq='random', warmup=a.warmup, n_steps=a.warmup + ticks,
                      train_every=per_round // n_envs, gpt_steps=base.gpt_steps, batch_size=base.batch_size,
                      log_every=ticks, ckpt_every=a.warmup + ticks, seed=0)
    with tempfile.TemporaryDirectory(prefix='bench_agent_', ignore_cleanup_errors=True) as run_dir:   # the run's replay and checkpoint go with it
        agent = Agent(EnvConfig(), cfg, run_dir, gpt=GPTConfig(decode=decode),
                      search=SearchConfig(jacobi=jacobi), dvq=DVQConfig(strides=(4, 4)), progress=False)
        assert agent.tok.n_tokens == 36, agent.tok.n_tokens
        agent.run(stop_at=a.warmup)                            # warm-up and tokenizer fit: not timed
        t0 = time.perf_counter()
        agent.run()
        wall = time.perf_counter() - t0
        rec = read_metrics(agent.run_dir.metrics_path)[-1]
        agent.replay.close(); agent.tokens.close()            # the buffers, before their folder goes
    return ticks * n_envs / wall, rec['plan_seconds_frac'], rec['train_seconds_frac']


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--ticks', type=int, default=64, help='timed ticks of the new arm (the old arm runs as many env steps)')
    ap.add_argument('--warmup', type=int, default=8)
    ap.add_argument('--n-envs', type=int, default=8)
    ap.add_argument('--commit', type=int, default=2)
    ap.add_argument('--decode', default='both', choices=('both', 'sequential', 'parallel'))
    ap.add_argument('--old-steps', type=int, default=64, help='timed env steps of the old arm (it is slow)')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--repeats', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"Montezuma's Revenge, 36 tokens/frame, 2x32 world model, beam 4, depth 2; {a.threads} thread(s); "
          f"default schedule: {AgentConfig().gpt_steps} AdamW steps of {AgentConfig().batch_size} windows every "
          f"{AgentConfig().train_every * AgentConfig().n_envs} env steps (AgentConfig's quick profile)")
    arms = [('old: 1 env, plan every step, token by token', 1, 1, 'sequential', False, a.old_steps)]
    for d in (('sequential', 'parallel') if a.decode == 'both' else (a.decode,)):
        arms.append((f'new: {a.n_envs} envs, commit {a.commit}, {d}' + (" (default)" if d == GPTConfig().decode else ""), a.n_envs, a.commit, d, True, a.ticks))
    res = {}
    for r in range(a.repeats):
        for name, n, c, d, j, t in arms:
            res.setdefault(name, []).append(speed(n, c, d, j, t, a))
    old = statistics.median(x[0] for x in res[arms[0][0]])
    for name, runs in res.items():
        sps = statistics.median(x[0] for x in runs)
        print(f'{name:44s} {sps:7.1f} env steps/s ({min(x[0] for x in runs):.1f}-{max(x[0] for x in runs):.1f})  '
              f'planning {statistics.median(x[1] for x in runs):5.1%}  training {statistics.median(x[2] for x in runs):5.1%}'
              f'  {sps / old:6.2f}x the old loop')
    new = [statistics.median(x[0] for x in runs) for name, runs in res.items() if name.startswith('new')]
    default = [statistics.median(x[0] for x in runs) for name, runs in res.items() if name.endswith('(default)')]
    sps = default[0] if default else max(new)
    print(f"target 100 env steps/s ({'the default decoding' if default else 'the best arm run'}): "
          f"{'met' if sps >= 100 else 'NOT met'} ({sps / 100:.2f}x)")


if __name__ == '__main__':
    main()
