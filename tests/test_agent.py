"The online agent survives `kill -9` and resumes to the same run; bad setups are refused."
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from learnmax.agent import Agent, AgentConfig
from learnmax.config import read_metrics
from learnmax.envs import RandomTransitionsConfig

RT = RandomTransitionsConfig(n_states=32, n_actions=4, episode_len=8)
WALL = ('time', 'steps_per_s', 'plan_seconds_frac')   # wall-clock fields differ between runs

def cfg(n_steps=240): return AgentConfig(n_steps=n_steps, warmup=32, log_every=8, ckpt_every=24)

def results(run_dir):
    return [{k: v for k, v in r.items() if k not in WALL} for r in read_metrics(run_dir/'metrics.jsonl')]

def test_kill_9_then_resume_is_the_straight_run(tmp_path):
    straight = tmp_path/'straight'
    Agent(RT, cfg(), straight, progress=False).run()
    killed = tmp_path/'killed'
    code = (f'import torch; torch.set_num_threads({torch.get_num_threads()})\n'   # as here: float sums agree bit for bit
            'from learnmax.agent import Agent, AgentConfig\nfrom learnmax.envs import RandomTransitionsConfig\n'
            f'Agent(RandomTransitionsConfig(n_states=32, n_actions=4, episode_len=8), '
            f'AgentConfig(n_steps=100000, warmup=32, log_every=8, ckpt_every=24), {str(killed)!r}, progress=False).run()')
    p = subprocess.Popen([sys.executable, '-c', code], stderr=subprocess.PIPE)
    t0 = time.time()
    while time.time() - t0 < 120:   # kill it somewhere after step 80, between two checkpoints or while writing one
        recs = read_metrics(killed/'metrics.jsonl') if (killed/'metrics.jsonl').exists() else []
        if recs and recs[-1]['step'] >= 80: break
        assert p.poll() is None, p.stderr.read().decode()[-2000:]
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    assert max(r['step'] for r in read_metrics(killed/'metrics.jsonl')) < 240
    Agent(RT, cfg(), killed, progress=False).run()
    assert results(killed) == results(straight)

def test_replay_rows_written_after_the_checkpoint_are_dropped(tmp_path):
    "A crash after the replay flushed more rows but before the checkpoint: resume drops those rows and replays them."
    Agent(RT, cfg(), tmp_path/'straight', progress=False).run()
    d = tmp_path/'crashed'
    Agent(RT, cfg(), d, progress=False).run(stop_at=48)
    shutil.copy(d/'ckpt.pt', tmp_path/'ckpt_48.pt')
    Agent(RT, cfg(), d, progress=False).run(stop_at=96)        # the replay now holds 96 rows in more chunks
    shutil.copy(tmp_path/'ckpt_48.pt', d/'ckpt.pt')            # ... but the last checkpoint that landed is step 48
    a = Agent(RT, cfg(), d, progress=False)
    assert len(a.replay) == 48 and a.t == 48
    a.run()
    assert results(d) == results(tmp_path/'straight')

def test_refusals(tmp_path):
    Agent(RT, cfg(64), tmp_path/'a', progress=False).run(stop_at=24)
    with pytest.raises(ValueError, match='different agent config: lr'):
        Agent(RT, cfg(64).replace(lr=1e-3), tmp_path/'a', progress=False)
    with pytest.raises(ValueError, match='different env config: n_states'):
        Agent(RT.replace(n_states=16), cfg(64), tmp_path/'a', progress=False)
    with pytest.raises(ValueError, match='resume=True continues it'):
        Agent(RT, cfg(64), tmp_path/'a', resume=False, progress=False)
    assert (tmp_path/'a'/'ckpt.pt').exists()                    # refused without deleting anything
    (tmp_path/'a'/'ckpt.pt').unlink()
    with pytest.raises(ValueError, match='replay but no checkpoint'):
        Agent(RT, cfg(64), tmp_path/'a', progress=False)
    with pytest.raises(ValueError, match="obs='token'"):
        Agent(RT.replace(obs='image'), cfg(64), tmp_path/'b', progress=False)
    with pytest.raises(ValueError, match='policy must be one of'):
        Agent(RT, cfg(64).replace(policy='greedy'), tmp_path/'c', progress=False)
    with pytest.raises(ValueError, match='warmup must lie'):
        Agent(RT, cfg(16), tmp_path/'d', progress=False)

def test_band_policy_and_short_resets(tmp_path):
    "The band planner runs online, and `reset_after` cuts every episode after that many actions."
    a = Agent(RT.replace(episode_len=100), cfg(64).replace(policy='band', reset_after=5), tmp_path/'band', progress=False)
    a.run()
    eps = a.replay.column('episode_ids')
    assert len(eps) == 64 and a.ep == 64 // 5
    assert all((eps == e).sum() == 5 for e in range(64 // 5))
    assert a.replay.column('dones').sum() == 64 // 5
    assert 'plan_score' in read_metrics(tmp_path/'band'/'metrics.jsonl')[-1]
