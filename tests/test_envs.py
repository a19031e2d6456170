"Edge cases of learnmax.envs that would clutter the chapter: error messages, stitching over uneven rollouts, replay."
import itertools

import gymnasium as gym
import numpy as np
import pytest

from learnmax.collect import VecCollector, random_policy
from learnmax.actions import ACTION_NAMES
from learnmax.envs import AtariEnv, EnvConfig, cell, make_env
from learnmax.random_env import RANDOM_TRANSITIONS_ID, RandomTransitionsConfig


@pytest.mark.parametrize('env_id, expect', [
    ('ALE/Montezuma-v5', 'did you mean ALE/MontezumaRevenge-v5'),
    ('ALE/NoSuchGame-v5', "unknown Atari env id 'ALE/NoSuchGame-v5'"),
    ('MontezumaRevenge', "k.startswith('ALE/')"),
])
def test_unknown_env_id(env_id, expect):
    with pytest.raises(ValueError, match=None) as e: make_env(EnvConfig(env_id=env_id))
    assert expect in str(e.value) and repr(env_id) in str(e.value)


def test_bad_actions_and_config():
    env = AtariEnv(actions=('NOOP', 'LEFT'))
    env.reset()
    for bad in (2, -1, 1.5, None, np.array([0, 1])):
        with pytest.raises(ValueError, match=r'out of range for ALE/MontezumaRevenge-v5: valid actions are 0..1 \(0=NOOP, 1=LEFT\)'):
            env.step(bad)
    env.step(np.int64(1))                     # numpy integers are fine
    with pytest.raises(ValueError, match='unknown action name'): AtariEnv(actions=('NOOP', 'JUMP'))
    with pytest.raises(ValueError, match='sticky'): AtariEnv(sticky=1.5)
    with pytest.raises(TypeError, match="no field 'n_sates'"): RandomTransitionsConfig.quick(n_sates=3)
    with pytest.raises(TypeError, match='make_env takes'): make_env('ALE/Pong-v5')


@pytest.mark.parametrize('seed', range(3))
def test_sticky_replay_is_exact(seed):
    env = AtariEnv(sticky=0.5, actions=ACTION_NAMES, seed=seed)
    env.reset()
    rng = np.random.default_rng(seed)
    for a in rng.integers(18, size=40): env.step(a)
    snap, acts = env.clone_state(), rng.integers(18, size=80)
    first = [env.step(a) for a in acts]
    env.restore_state(snap)
    for (o1, r1, t1, u1, i1), a in zip(first, acts):
        o2, r2, t2, u2, i2 = env.step(a)
        assert (o1 == o2).all() and (r1, t1, u1, i1) == (r2, t2, u2, i2)


def test_same_seed_same_frames():
    frames = []
    for _ in range(2):
        env, rng = AtariEnv(sticky=0.25, seed=7), np.random.default_rng(0)
        env.reset()
        frames.append(np.stack([env.step(a)[0] for a in rng.integers(6, size=50)]))
    assert (frames[0] == frames[1]).all()


def test_gym_make_random_transitions():
    env = gym.make(RANDOM_TRANSITIONS_ID, n_states=5, n_actions=2, episode_len=2)
    obs, info = env.reset(seed=0)
    assert obs == info['state'] == 0
    _, _, term, trunc, _ = env.step(1)
    assert not (term or trunc)
    assert env.step(0)[3]
    with pytest.raises(ValueError, match='action 2 is out of range'): env.step(2)


@pytest.mark.parametrize('chunks', [(1,) * 23, (7, 9, 7), (23,), (4, 0, 19)])
def test_segments_stitch_whole_episodes(chunks):
    cfg = RandomTransitionsConfig(n_states=30, n_actions=3, episode_len=6, start_state=None)
    col = VecCollector(cfg, n_envs=2, seed=3, first_episode_id=10)
    rows = [col.rollout(n) for n in chunks]
    segs = col.segments() + col.segments(flush=True)
    ids = [int(s['episode_id'][0]) for s in segs]
    assert len(set(ids)) == len(ids) and min(ids) == 10
    complete = [s for s in segs if s['complete']]
    assert len(complete) == 2 * (23 // 6)
    for s in complete: assert len(s['dones']) == 6 and s['dones'][-1] and not s['dones'][:-1].any()
    assert sum(len(s['dones']) for s in segs) == 2 * 23
    table = col.envs[0].table
    for s in segs: assert (s['state'][1:] == table[s['state'][:-1], s['actions'][:-1]]).all()
    allrows = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    assert allrows['dones'].sum() == len(complete)


def test_cell_is_coarse():
    a = np.zeros((84, 84, 3), np.uint8)
    small, big = a.copy(), a.copy()
    small[40:42, 40:42] = 255; big[30:50, 30:50] = 255
    assert cell(a) == cell(small)               # a 2x2 sprite averages away
    assert cell(a) != cell(big)
    assert cell(a) == cell(a + 5)               # a faint global change stays in the cell


def _rollouts(cfg, n_workers, n_envs=5, chunks=(6, 0, 9), **kw):
    with VecCollector(cfg, n_envs=n_envs, seed=2, first_episode_id=7, n_workers=n_workers, **kw) as col:
        return [col.rollout(n) for n in chunks], col.segments(flush=True), col.next_episode_id


@pytest.mark.parametrize('cfg', [RandomTransitionsConfig(n_states=30, n_actions=3, episode_len=4),
                                 RandomTransitionsConfig(n_states=30, n_actions=3, episode_len=5, obs='image', start_state=None),
                                 EnvConfig(sticky=0.25, max_actions=7, grayscale=True, actions=ACTION_NAMES)])
def test_workers_give_the_same_rows(cfg):
    rows0, segs0, next0 = _rollouts(cfg, 0)
    for n_workers in (1, 3):
        rows, segs, nxt = _rollouts(cfg, n_workers)
        assert nxt == next0
        for a, b in zip(rows0, rows):
            assert a.keys() == b.keys()
            for k in a: assert a[k].dtype == b[k].dtype and (a[k] == b[k]).all(), (n_workers, k)
        assert len(segs) == len(segs0)
        for s, t in zip(segs0, segs):
            assert s['complete'] == t['complete'] and all((s[k] == t[k]).all() for k in s if k != 'complete')


def test_threads_give_the_same_rows():
    cfg = RandomTransitionsConfig(n_states=30, n_actions=3, episode_len=4)
    (a,), _, _ = _rollouts(cfg, 0, chunks=(10,))
    (b,), _, _ = _rollouts(cfg, 0, chunks=(10,), n_threads=2)
    for k in a: assert (a[k] == b[k]).all()


def test_workers_shut_down():
    import gc
    cfg = RandomTransitionsConfig(n_states=10, n_actions=2)
    col = VecCollector(cfg, n_envs=4, n_workers=2)
    procs = col.workers
    assert len(procs) == 2 and all(p.is_alive() for p in procs)
    col.rollout(3); col.close(); col.close()
    assert not any(p.is_alive() for p in procs)
    with pytest.raises(RuntimeError, match='worker'):
        col.rollout(1)                                   # a closed collector says so rather than hanging
    col = VecCollector(cfg, n_envs=2, n_workers=2)       # garbage collection stops them too
    procs = col.workers; del col; gc.collect()
    assert not any(p.is_alive() for p in procs)
    with VecCollector(cfg, n_envs=2, n_workers=1) as col: procs = col.workers
    assert not any(p.is_alive() for p in procs)


def test_worker_errors_are_raised_here():
    col = VecCollector(RandomTransitionsConfig(n_states=10, n_actions=2), n_envs=3, n_workers=2,
                       policy=lambda f: np.array([0, 1, 5]))
    with pytest.raises(ValueError, match='action 5 is out of range'): col.rollout(1)
    col.policy = lambda f: np.array([0.5, 1, 1])
    with pytest.raises(ValueError, match='action 0.5 is out of range'): col.rollout(1)
    calls = itertools.count()                 # a bad action drawn while the first message is in flight (the 41st of 64 draws)
    col.policy = lambda f: np.array([0, 1, 5 if next(calls) == 40 else 1]); col.policy.uses_frames = False
    with pytest.raises(ValueError, match='action 5 is out of range'): col.rollout(64)
    col.policy = random_policy(2)
    assert col.rollout(64)['actions'].shape == (64, 3)
    assert col.unread_answers(0.5) == 0     # every answer was read: the pipes are in step
    col.close()


@pytest.mark.parametrize('cfg, kw, err, match', [
    (EnvConfig(env_id='ALE/Montezuma-v5'), {}, ValueError, 'did you mean ALE/MontezumaRevenge-v5'),
    (EnvConfig(sticky=2.0), {}, ValueError, 'sticky'),
    (RandomTransitionsConfig(obs='pixels'), {}, ValueError, "obs must be 'token' or 'image'"),
    ('ALE/Pong-v5', {}, TypeError, 'make_env takes'),
    (RandomTransitionsConfig(), dict(n_envs=2, n_workers=3), ValueError, '0 <= n_workers <= n_envs'),
    (RandomTransitionsConfig(), dict(n_workers=-1), ValueError, '0 <= n_workers <= n_envs'),
    (RandomTransitionsConfig(), dict(n_workers=2, n_threads=2), ValueError, 'not both'),
])
def test_bad_config_fails_before_any_worker(monkeypatch, cfg, kw, err, match):
    import multiprocessing.context as ctx
    started = []
    monkeypatch.setattr(ctx.SpawnProcess, 'start', lambda self: started.append(self))
    with pytest.raises(err, match=match): VecCollector(cfg, **{'n_workers': 2, **kw})
    assert started == []
