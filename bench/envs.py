"""Steps per second of the environment layer, against a raw ale-py loop (the limit on this machine).

    python bench/envs.py [--seconds 3] [--warmup 3] [--rollout 128] [--n-envs 8] [--repeats 3] [--workers 1,2]

One step = one agent action = 4 emulator frames, with the observation fetched (and, from (b) on, resized to 84x84).
Montezuma's Revenge, uniform random reduced actions. (a) ALEInterface directly, and (a2) in P processes at once (what
the machine itself loses when P cores work; P is the most workers asked for, at least 2, at most the cores); (b) one
`make_env` env, and (b2) one in each of P processes at once (the most P workers can reach: each steps such envs, and
copies their rows besides, while this process hands them out); (c) `VecCollector` with n envs in this process; (d)
with 1 worker process, (e) with 2, (e4) with 4 and so on, as `--workers` asks; (f) ale-py's `AtariVectorEnv` (C++
threads, 84x84 natively, but no RAM info or snapshots), for reference.
Each row is the median of `--repeats` measurements (their spread is printed) and is given per core against (a):
rows using k cores are divided by k x (a). Targets: >= 0.9 per core, and 2 workers faster than 1.
Every measurement first runs `--warmup` seconds, so each process's memory of shrunk screen bands is as warm as in a
long collection; collectors are asked for `--rollout` steps at a time (128, as the corpus experiment does).
Where a collector's time goes (Linux): the CPU time per env step of this process and of the workers during each
timed measurement, beside one env alone (b) and the raw loop (a), and the share of their wall time the workers were
busy (the rest they waited for this process, or the machine gave their core to another process).
"""
import argparse
import multiprocessing as mp
import os
import time

import numpy as np
from ale_py import ALEInterface, LoggerMode, roms
from ale_py.vector_env import AtariVectorEnv

from learnmax.actions import REDUCED_ACTIONS
from learnmax.collect import VecCollector
from learnmax.envs import EnvConfig, make_env


WARMUP = 3.0


def timed(step, seconds, on_start=None):
    "Call `step()` (which returns how many env steps it made) for `WARMUP` seconds, then for about `seconds`; steps per second."
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < WARMUP: step()
    if on_start: on_start()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds: n += step()
    return n / (time.perf_counter() - t0)


def raw_ale(seconds):
    ALEInterface.setLoggerMode(LoggerMode.Error)
    ale = ALEInterface()
    ale.setInt('frame_skip', 4); ale.setFloat('repeat_action_probability', 0.0); ale.setInt('random_seed', 0)
    ale.loadROM(roms.get_rom_path('montezuma_revenge'))
    actions, rng = ale.getLegalActionSet()[:len(REDUCED_ACTIONS)], np.random.default_rng(0)
    def step():
        for a in rng.integers(len(actions), size=100):
            ale.act(actions[a]); ale.getScreenRGB()
            if ale.game_over(): ale.reset_game()
        return 100
    return timed(step, seconds)


def _in_process(q, f, seconds, warmup):
    global WARMUP
    WARMUP = warmup
    q.put(f(seconds))


def parallel(f, seconds, n_procs):
    "`f(seconds)` in `n_procs` processes at once: their summed steps per second."
    ctx = mp.get_context('spawn')
    q = ctx.Queue()
    procs = [ctx.Process(target=_in_process, args=(q, f, seconds, WARMUP)) for _ in range(n_procs)]
    for p in procs: p.start()
    out = sum(q.get() for _ in procs)
    for p in procs: p.join()
    return out


def one_env(seconds):
    env, rng = make_env(EnvConfig()), np.random.default_rng(0)
    env.reset()
    def step():
        for a in rng.integers(env.action_space.n, size=100):
            _, _, term, trunc, _ = env.step(a)
            if term or trunc: env.reset()
        return 100
    return timed(step, seconds)


CPU = {}   # row -> per measurement: (CPU us per env step in this process, in the workers, workers' busy share of their wall time)


def cpu_seconds(pid):
    "User + system CPU seconds of process `pid` so far (Linux's /proc; None elsewhere)."
    try: f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    except OSError: return None
    return (int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK')


def collector(seconds, n_envs, n_workers, rollout, row=None):
    "Steps/s of a `VecCollector`; with `row`, also where its CPU time went (`CPU[row]`)."
    with VecCollector(EnvConfig(), n_envs=n_envs, n_workers=n_workers, keep_segments=False) as col:
        pids, mark, steps = [os.getpid()] + [p.pid for p in col.workers], {}, []
        def start(): mark.update(cpu=[cpu_seconds(p) for p in pids], t=time.perf_counter()); steps.clear()
        def step(): steps.append(col.rollout(rollout)['dones'].size); return steps[-1]
        rate = timed(step, seconds, start)
        end, wall, n = [cpu_seconds(p) for p in pids], time.perf_counter() - mark['t'], sum(steps)
        if row and None not in end + mark['cpu']:
            used = np.subtract(end, mark['cpu'])
            CPU.setdefault(row, []).append((1e6 * used[0] / n, 1e6 * used[1:].sum() / n, used[1:].sum() / (wall * max(n_workers, 1))))
        return rate


def vector_env(seconds, n_envs):
    env = AtariVectorEnv('montezuma_revenge', n_envs, grayscale=False, stack_num=1, full_action_space=True, noop_max=0,
                         use_fire_reset=False, maxpool=False, reward_clipping=False, num_threads=min(n_envs, os.cpu_count()))
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    def step():
        for _ in range(25): env.step(rng.integers(len(REDUCED_ACTIONS), size=n_envs))
        return 25 * n_envs
    try: return timed(step, seconds)
    finally: env.close()


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seconds', type=float, default=3.0, help='time per measurement')
    p.add_argument('--warmup', type=float, default=WARMUP, help='seconds run before each measurement')
    p.add_argument('--rollout', type=int, default=128, help='steps per collector rollout')
    p.add_argument('--n-envs', type=int, default=8, help='envs in the collector and the vector env')
    p.add_argument('--repeats', type=int, default=3, help='measurements per row (median and spread are printed)')
    p.add_argument('--workers', default='1,2', help='worker processes of the collector rows, comma-separated (up to --n-envs);'
                   ' the largest also sets the processes of (a2) and (b2)')
    args = p.parse_args()
    s, n, r, cores, WARMUP = args.seconds, args.n_envs, args.rollout, os.cpu_count(), args.warmup
    workers = sorted({int(w) for w in args.workers.split(',')})
    if not 1 <= workers[0] <= workers[-1] <= n: raise SystemExit(f'--workers must lie in 1..--n-envs={n}, got {args.workers}')
    P = min(max(workers[-1], 2), cores)             # processes of (a2) and (b2)
    col = lambda w, row: (lambda: collector(s, n, w, r, row))
    label = lambda w: 'de'[w - 1] if w <= 2 else f'e{w}'   # the row of w workers: (d), (e), (e4), ...
    rows = [('(a) raw ALEInterface loop, frame_skip=4', 1, lambda: raw_ale(s)),
            (f'(a2) raw ALEInterface loop, {P} processes at once', P, lambda: parallel(raw_ale, s, P)),
            ('(b) one make_env env (84x84x3, RAM info)', 1, lambda: one_env(s)),
            (f'(b2) one make_env env in each of {P} processes at once', P, lambda: parallel(one_env, s, P)),
            (f'(c) VecCollector, {n} envs, rollout({r}), in this process', 1, col(0, 'c'))]
    rows += [(f'({label(w)}) VecCollector, {n} envs, rollout({r}), {w} worker{"s" * (w > 1)}', min(w, cores), col(w, label(w)))
             for w in workers]
    rows += [(f'(f) ale_py AtariVectorEnv, {n} envs (no RAM info)', min(n, cores), lambda: vector_env(s, n))]
    results = {}
    for _ in range(args.repeats):                   # interleaved, so a burst of load elsewhere hits every row alike
        for name, k, f in rows: results.setdefault(name, []).append(f())
    raw = float(np.median(results[rows[0][0]]))
    print(f'Montezuma, random reduced actions, {cores} CPU cores; steps/s (1 step = 4 frames), median of {args.repeats}')
    print(f'{"":<56} {"steps/s":>8} {"spread":>13} {"cores":>5} {"per core / (a)":>15}')
    for name, k, _ in rows:
        v = results[name]; med = float(np.median(v))
        print(f'{name:<56} {med:8.0f} {min(v):6.0f}-{max(v):<6.0f} {k:5d} {med / (k * raw):15.2f}')
    if CPU:   # where a collector's time goes: CPU per env step against one env alone (b) and the raw loop (a)
        b = float(np.median(results[rows[2][0]]))
        print(f'CPU time per env step (medians): raw loop (a) {1e6 / raw:.0f} us, one env (b) {1e6 / b:.0f} us; collectors:')
        for row, v in CPU.items():
            main_us, work_us, busy = (float(np.median(x)) for x in zip(*v))
            print(f'  ({row}) this process {main_us:5.1f} us' + (f', workers {work_us:5.0f} us, busy {busy:.0%} of their wall time'
                                                                   if row != 'c' else ' (it steps the envs itself)'))
