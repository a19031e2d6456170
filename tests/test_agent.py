"The online agent survives `kill -9` and a corrupt checkpoint, and resumes to the same run; bad setups are refused."
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from learnmax.agent import Agent
from learnmax.agent_config import AgentConfig
from learnmax.config import read_metrics
from learnmax.loop import CheckpointError
from learnmax.random_env import RandomTransitionsConfig

RT = RandomTransitionsConfig(n_states=32, n_actions=4, episode_len=8)
WALL = ('time', 'steps_per_s', 'plan_seconds_frac', 'train_seconds_frac')   # wall-clock fields differ between runs
KW = dict(n_envs=4, warmup_ticks=6, commit=2, log_every=3, ckpt_every=6, train_every=2, round_steps=4)   # 4 envs, plans of depth 2 played 2 at a time

def cfg(n_ticks=30): return AgentConfig(n_ticks=n_ticks, **KW)

def results(run_dir):
    return [{k: v for k, v in r.items() if k not in WALL} for r in read_metrics(run_dir/'metrics.jsonl')]

def test_kill_9_then_resume_is_the_straight_run(tmp_path):
    straight = tmp_path/'straight'
    Agent(RT, cfg(), straight, progress=False).run()
    killed = tmp_path/'killed'
    code = (f'import torch; torch.set_num_threads({torch.get_num_threads()})\n'   # as here: float sums agree bit for bit
            'from learnmax.agent import Agent\nfrom learnmax.agent_config import AgentConfig\n'
            'from learnmax.random_env import RandomTransitionsConfig\n'
            f'Agent(RandomTransitionsConfig(n_states=32, n_actions=4, episode_len=8), '
            f'AgentConfig(n_ticks=100000, **{KW!r}), {str(killed)!r}, progress=False).run()')
    p = subprocess.Popen([sys.executable, '-c', code], stderr=subprocess.PIPE)
    t0 = time.time()
    while time.time() - t0 < 120:   # kill it somewhere after tick 12, between two checkpoints or while writing one
        recs = read_metrics(killed/'metrics.jsonl') if (killed/'metrics.jsonl').exists() else []
        if recs and recs[-1]['step'] >= 12: break
        assert p.poll() is None, p.stderr.read().decode()[-2000:]
        time.sleep(0.02)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    assert max(r['step'] for r in read_metrics(killed/'metrics.jsonl')) < 30
    Agent(RT, cfg(), killed, progress=False).run()
    assert results(killed) == results(straight)

def test_replay_rows_written_after_the_checkpoint_are_dropped(tmp_path):
    "A crash after the replay flushed more rows but before the checkpoint: resume rolls the replay back and replays them."
    Agent(RT, cfg(), tmp_path/'straight', progress=False).run()
    d = tmp_path/'crashed'
    Agent(RT, cfg(), d, progress=False).run(stop_at=12)
    shutil.copy(d/'ckpt.pt', tmp_path/'ckpt_12.pt')
    Agent(RT, cfg(), d, progress=False).run(stop_at=24)        # the replay now holds 24 ticks of 4 envs
    shutil.copy(tmp_path/'ckpt_12.pt', d/'ckpt.pt')            # ... but the last checkpoint that landed is tick 12
    a = Agent(RT, cfg(), d, progress=False)
    assert len(a.replay) == 12 * 4 and a.t == 12
    a.run()
    assert results(d) == results(tmp_path/'straight')

def test_corrupt_checkpoint_names_the_file_and_the_previous_one_goes_on(tmp_path):
    Agent(RT, cfg(), tmp_path/'straight', progress=False).run()
    d = tmp_path/'cut'
    Agent(RT, cfg(), d, progress=False).run(stop_at=18)        # checkpoints at 12 (now ckpt.prev.pt) and 18
    (d/'ckpt.pt').write_bytes((d/'ckpt.pt').read_bytes()[:1000])   # a copy cut short
    with pytest.raises(CheckpointError, match=r'ckpt.pt cannot be read.*move ckpt.pt away \(or delete it\) and run again to resume from ckpt.prev.pt'):
        Agent(RT, cfg(), d, progress=False)
    (d/'ckpt.pt').unlink()
    a = Agent(RT, cfg(), d, progress=False)
    assert a.t == 12 and len(a.replay) == 12 * 4
    a.run()
    assert results(d) == results(tmp_path/'straight')

def test_same_seed_same_run_other_seed_other_run(tmp_path):
    runs = [Agent(RT, cfg(18).replace(seed=s), tmp_path/f'r{i}', progress=False).run() for i, s in enumerate((0, 0, 1))]
    a, b, c = (results(r.path) for r in runs)
    assert a == b and a != c

def test_refusals(tmp_path):
    Agent(RT, cfg(18), tmp_path/'a', progress=False).run(stop_at=12)
    with pytest.raises(ValueError, match='different agent config: lr'):
        Agent(RT, cfg(18).replace(lr=1e-3), tmp_path/'a', progress=False)
    with pytest.raises(ValueError, match='different env config: n_states'):
        Agent(RT.replace(n_states=16), cfg(18), tmp_path/'a', progress=False)
    with pytest.raises(ValueError, match='resume=True continues it'):
        Agent(RT, cfg(18), tmp_path/'a', resume=False, progress=False)
    assert (tmp_path/'a'/'ckpt.pt').exists()                    # refused without deleting anything
    for f in ('ckpt.pt', 'ckpt.prev.pt'): (tmp_path/'a'/f).unlink()
    with pytest.raises(ValueError, match='replay but no checkpoint'):
        Agent(RT, cfg(18), tmp_path/'a', progress=False)
    with pytest.raises(ValueError, match="obs='token'"):
        Agent(RT.replace(obs='image'), cfg(18), tmp_path/'b', progress=False)
    with pytest.raises(ValueError, match='policy must be one of'):
        Agent(RT, cfg(18).replace(policy='greedy'), tmp_path/'c', progress=False)
    with pytest.raises(ValueError, match='warmup_ticks must lie'):
        Agent(RT, cfg(4), tmp_path/'d', progress=False)
    with pytest.raises(ValueError, match='commit=3 exceeds the search depth 2'):
        Agent(RT, cfg(18).replace(commit=3), tmp_path/'e', progress=False)

def test_band_policy_and_short_resets(tmp_path):
    "The band planner runs online, and `reset_after` cuts every episode of every env after that many actions."
    a = Agent(RT.replace(episode_len=100), cfg(30).replace(policy='band', reset_after=5, n_envs=2), tmp_path/'band', progress=False)
    a.run()
    eps = a.replay.column('episode_ids')
    assert len(eps) == 60 and len(np.unique(eps)) == 12
    assert all((eps == e).sum() == 5 for e in np.unique(eps))
    assert a.replay.column('dones').sum() == 12
    assert a.search.mode == 'band'                                  # the policy's planner, not the default 'learn'


def _found_anew(a):
    "Every window of the agent's token buffer found from scratch, ordered by the row it ends at."
    W = a.gpt_cfg.window
    rows = a.tokens.window_rows(a.tokens.windows(W), W)
    return rows[np.argsort(rows[:, -1])]

def test_windows_kept_tick_by_tick_are_those_found_anew(tmp_path):
    "Episodes of 8 and resets after 5 actions: the windows the ticks add are every window of the buffer, also after resume."
    a = Agent(RT, cfg(30).replace(reset_after=5), tmp_path/'w', progress=False)
    a.run(stop_at=17)
    kept = a.windows.rows.copy()
    assert len(kept) > 0 and (kept == _found_anew(a)).all()
    assert (np.diff(kept, axis=1) > 0).all() and len(np.unique(kept[:, -1])) == len(kept)
    ep = a.tokens.column('episode_ids')
    assert all(len(np.unique(ep[w])) == 1 for w in kept)                  # each window within one episode
    open_rows = [list(o) for o in a.windows.open_rows]; a.tokens.close(); a.replay.close()
    b = Agent(RT, cfg(30).replace(reset_after=5), tmp_path/'w', progress=False)   # resumed: listed from the buffer
    assert (b.windows.rows == kept).all() and b.windows.open_rows == open_rows
    b.run()
    assert (b.windows.rows == _found_anew(b)).all()

def test_only_rounds_whose_new_window_accuracy_is_recorded_predict_them(tmp_path):
    "Records every 5 ticks, rounds every 2: only the last round before each record predicts the newest windows, and the records are those of predicting them every round."
    c = cfg(30).replace(log_every=5)
    asked = []
    class Every(Agent):      # the reference: every round predicts them
        def train_round(self, evaluate=True): return super().train_round(True)
    class Asked(Agent):      # records whether each round was asked to predict them
        def train_round(self, evaluate=True): asked.append(evaluate); return super().train_round(evaluate)
    Every(RT, c, tmp_path/'every', progress=False).run()
    Asked(RT, c, tmp_path/'last', progress=False).run()
    recs = results(tmp_path/'last')
    assert recs == results(tmp_path/'every')
    assert asked == [s % 5 in (0, 4) for s in range(6, 31, 2)]   # rounds at 6, 8, ..., 30; records at 10, 15, ..., 30
    # episodes of 8 ticks, all envs in step: the round at 10 saw no window end (the episodes began at 9), so the record
    # at 10 has no value rather than the round at 8's
    assert [r['step'] for r in recs if 'new_state_acc' in r] == [15, 20, 25, 30]
