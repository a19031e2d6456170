"""Speed of the whole agent loop on Montezuma's Revenge: env steps/s of acting, planning and training.

    python bench/agent.py [--ticks 96] [--warmup-ticks 250] [--threads 2] [--repeats 1] [--blind]

Two arms, timed in the same process, each after its random warm-up (not timed; the tokenizer is fitted or built
there), over `--ticks` ticks of 8 envs (acting, tokenizing, planning, replay writes, training rounds):

  sighted  the agent's default sighted configuration, `RunConfig.profile('paper')`: the patch codebook of the paper
           corpus (49 tokens of 2,048 codes), a 2x64 world model with a window of 4 frames predicting whole frames
           (`decode='parallel'`) and trained on changed targets and a tenth of the others (`copy_keep=0.1`),
           8 AdamW steps of 32 windows every 8 ticks, beam 4, depth 2, commit 2.
  before   the configuration the agent had before the sighted one, as measured when this target was set: the paper
           DVQ (121 tokens of 1,024 codes, pretrained once on the corpus and cached; about ten minutes the first time),
           the same 2x64 world model trained on every target (`copy_keep=1`), 16 AdamW steps of 32 windows every
           8 ticks, the same search. It runs today's code: the planner's own speed-ups help it too.

Printed: env steps/s of each arm, the shares of planning and training, `default sighted agent: X env steps/s` and its
ratio to the before arm. Target: >= 50 env steps/s on 2 cores.

`--blind` adds the earlier comparison of the batched loop against one env planning every step, on a random DVQ of 36
tokens (2x32 model): the loop's own overhead without the sighted model.
"""
import argparse
import statistics
import tempfile
import time

import torch

from learnmax.agent import Agent
from learnmax.agent_config import AgentConfig
from learnmax.config import read_metrics
from learnmax.dvq import DVQConfig
from learnmax.envs import EnvConfig
from learnmax.gpt import GPTConfig
from learnmax.run import RunConfig, make_agent
from learnmax.search import SearchConfig
from learnmax.tokenizer import default_dvq, pretrain_config


def speed(n_envs, commit, decode, jacobi, ticks, a):
    "Env steps/s over `ticks` ticks after the warm-up, and the fractions of that time spent planning and training."
    base = AgentConfig()                                       # the default schedule: a round every this many env steps
    per_round = base.train_every * base.n_envs
    if per_round % n_envs: raise SystemExit(f'--n-envs must divide {per_round}, the env steps between training rounds')
    cfg = AgentConfig(n_envs=n_envs, commit=commit, tokenizer_kind='random', warmup_ticks=a.warmup_ticks, n_ticks=a.warmup_ticks + ticks,
                      train_every=per_round // n_envs, round_steps=base.round_steps, batch_size=base.batch_size,
                      log_every=ticks, ckpt_every=a.warmup_ticks + ticks, seed=0)
    with tempfile.TemporaryDirectory(prefix='bench_agent_', ignore_cleanup_errors=True) as run_dir:   # the run's replay and checkpoint go with it
        agent = Agent(EnvConfig(), cfg, run_dir, gpt=GPTConfig(decode=decode),
                      search=SearchConfig(jacobi=jacobi), dvq=DVQConfig(strides=(4, 4)), progress=False)
        assert agent.tok.n_tokens == 36, agent.tok.n_tokens
        agent.run(stop_at=a.warmup_ticks)                            # warm-up and tokenizer fit: not timed
        t0 = time.perf_counter()
        agent.run()
        wall = time.perf_counter() - t0
        rec = read_metrics(agent.run_dir.metrics_path)[-1]
        agent.replay.close(); agent.tokens.close()            # the buffers, before their folder goes
    return ticks * n_envs / wall, rec['plan_seconds_frac'], rec['train_seconds_frac']


def sighted_speed(arm, a):
    "Env steps/s of `arm` ('sighted' or 'before') over `a.ticks` ticks after its warm-up, and the shares of planning and training."
    run = RunConfig.profile('paper', n_ticks=a.warmup_ticks + a.ticks, warmup_ticks=a.warmup_ticks, log_every=a.ticks, ckpt_every=a.warmup_ticks + a.ticks)
    if arm == 'before':
        run = run.replace(agent=run.agent.replace(tokenizer_kind='pretrained', round_steps=16), gpt=run.gpt.replace(copy_keep=1.0),
                          dvq=default_dvq(run.env, 'paper'), dvq_train=pretrain_config('paper'))
    with tempfile.TemporaryDirectory(prefix='bench_agent_', ignore_cleanup_errors=True) as run_dir:
        agent = make_agent(run, run_dir, progress=False)
        agent.run(stop_at=a.warmup_ticks)
        t0 = time.perf_counter(); agent.run(); wall = time.perf_counter() - t0
        rec = read_metrics(agent.run_dir.metrics_path)[-1]
        desc = f"{agent.tok.n_tokens} tokens of {agent.tok.vocab} codes ({type(agent.tok).__name__})"
        agent.replay.close(); agent.tokens.close()
    return a.ticks * run.agent.n_envs / wall, rec['plan_seconds_frac'], rec['train_seconds_frac'], desc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--ticks', type=int, default=96, help='timed ticks of 8 envs per sighted arm')
    ap.add_argument('--warmup-ticks', type=int, default=250, help='random warm-up ticks (not timed)')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--repeats', type=int, default=1)
    ap.add_argument('--blind', action='store_true', help='also the blind loop comparison (36 tokens, 2x32 model)')
    ap.add_argument('--n-envs', type=int, default=8); ap.add_argument('--commit', type=int, default=2)
    ap.add_argument('--decode', default='both', choices=('both', 'sequential', 'parallel'))
    ap.add_argument('--old-steps', type=int, default=64, help='--blind: timed env steps of the old arm (it is slow)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"Montezuma's Revenge, {a.threads} thread(s), {a.ticks} ticks of 8 envs timed after {a.warmup_ticks} warm-up ticks")
    res = {}
    for r in range(a.repeats):
        for arm in ('before', 'sighted'):
            res.setdefault(arm, []).append(sighted_speed(arm, a))
    for arm, runs in res.items():
        sps = statistics.median(x[0] for x in runs)
        print(f'{arm:8s} {runs[0][3]:42s} {sps:6.1f} env steps/s ({min(x[0] for x in runs):.1f}-{max(x[0] for x in runs):.1f})  '
              f'planning {statistics.median(x[1] for x in runs):5.1%}  training {statistics.median(x[2] for x in runs):5.1%}')
    sighted, before = (statistics.median(x[0] for x in res[k]) for k in ('sighted', 'before'))
    print(f'default sighted agent: {sighted:.1f} env steps/s, {sighted / before:.2f}x the configuration before it '
          f"({before:.1f}); target 50: {'met' if sighted >= 50 else 'NOT met'}")
    if a.blind: blind(a)


def blind(a):
    "The earlier comparison: the batched loop against one env planning every step, on 36 blind tokens."
    print(f"blind loop: 36 tokens/frame, 2x32 world model, beam 4, depth 2; default schedule: {AgentConfig().round_steps} AdamW "
          f"steps of {AgentConfig().batch_size} windows every {AgentConfig().train_every * AgentConfig().n_envs} env steps")
    a.ticks, a.warmup_ticks = 64, 8
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
    print(f"blind loop ({'the default decoding' if default else 'the best arm run'}): {sps:.1f} env steps/s")


if __name__ == '__main__':
    main()
