"""What one tick and one training round of the agent cost at a profile's sizes (`RunConfig.profile`: at paper the sighted
agent, the patch tokenizer of 49 tokens of 2,048 codes; at large its GPU-sized world model), and the env steps/s they
bound a run to: how long a run of the exploration study would take on this machine.

    python bench/agent_profile.py [--profile paper|large|quick] [--policies learnmax,random] [--threads 1] [--ticks 4]

Each policy's agent plays its random warm-up (not timed), then: one training round (`round_steps` AdamW steps of
`batch_size` windows) and `--ticks` ticks of `n_envs` envs (acting, planning, stepping, tokenizing) are timed. Printed
per policy: seconds per tick, seconds per round, and the env steps/s of the schedule, `n_envs * train_every /
(train_every * tick + round)`, with the hours a run of `--frames` frames would take at that speed.
"""
import argparse
import tempfile
import time

import torch

from learnmax.run import RunConfig, make_agent

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--profile', default='paper'); ap.add_argument('--policies', default='learnmax,random')
    ap.add_argument('--threads', type=int, default=1); ap.add_argument('--ticks', type=int, default=4)
    ap.add_argument('--frames', type=int, default=500_000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for pol in a.policies.split(','):
        base = RunConfig.profile(a.profile, policy=pol, refit_at=())
        ac = base.agent.replace(n_ticks=base.agent.warmup_ticks + a.ticks + 2, log_every=1, ckpt_every=10**6)
        run, env = base.replace(agent=ac), base.env
        with tempfile.TemporaryDirectory(prefix='bench_profile_', ignore_cleanup_errors=True) as run_dir:   # removed with what the run wrote
            agent = make_agent(run, run_dir, progress=False)
            agent.run(stop_at=ac.warmup_ticks + 1)
            t0 = time.perf_counter(); agent.train_round(evaluate=False); rnd = time.perf_counter() - t0
            t0 = time.perf_counter()
            for _ in range(a.ticks): agent.tick()
            tick = (time.perf_counter() - t0) / a.ticks
            sps = ac.n_envs * ac.train_every / (ac.train_every * tick + rnd)
            print(f'{pol}: {agent.tok.n_tokens} tokens of {agent.tok.vocab} codes; a tick of {ac.n_envs} envs {tick:.3f} s, a round of '
                  f'{ac.round_steps} AdamW steps (batch {ac.batch_size}) {rnd:.2f} s every {ac.train_every} ticks: {sps:.1f} env steps/s, '
                  f'{a.frames / env.frame_skip / sps / 3600:.1f} h for {a.frames:,} frames', flush=True)
            agent.replay.close()
            if agent.tokens is not None: agent.tokens.close()
