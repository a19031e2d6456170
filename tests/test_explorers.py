"The explorers (Go-Explore, hierarchical learnmax) survive `kill -9` and resume to the run they would have made, by every way back; contradictory settings are refused by name."
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from learnmax.agent_config import AgentConfig
from learnmax.config import read_metrics
from learnmax.envs import EnvConfig
from learnmax.explorers import ExploreConfig, GoExploreAgent
from learnmax.hierarchical import HierarchicalAgent
from learnmax.frontier import FrontierConfig
from learnmax.run import RunConfig, make_agent

WALL = ('time', 'steps_per_s', 'plan_seconds_frac', 'train_seconds_frac', 'level_seconds')
SETUP = '''
from learnmax.agent_config import AgentConfig
from learnmax.explorers import ExploreConfig
from learnmax.frontier import FrontierConfig
from learnmax.random_env import RandomTransitionsConfig
from learnmax.run import RunConfig, make_agent
RT = RandomTransitionsConfig(n_states=48, n_actions=4, episode_len=16, passages=2, passage_len=4)
KW = dict(n_envs=2, warmup_ticks=6, log_every=3, ckpt_every=6, train_every=2, round_steps=4)
X = ExploreConfig(salience='novelty', salience_pct=80.0, level_every=8, decide_every=2, excursion=5, repeat=0.0)
def run(policy, way, run_dir, n_ticks, stop_at=None):
    run = RunConfig(env=RT, agent=AgentConfig(policy=policy, n_ticks=n_ticks, **KW), explore=X, frontier=FrontierConfig(way=way, plan_steps=4))
    return make_agent(run, run_dir, progress=False).run(stop_at=stop_at)
'''
ns = {}; exec(SETUP, ns)

def results(run_dir):
    return [{k: v for k, v in r.items() if k not in WALL} for r in read_metrics(run_dir/'metrics.jsonl')]

@pytest.mark.parametrize('policy,way', [('hierarchical', 'restore'), ('hierarchical', 'plan'), ('goexplore', 'replay')])
def test_kill_9_then_resume_is_the_straight_run(tmp_path, policy, way):
    straight, killed = tmp_path/'straight', tmp_path/'killed'
    ns['run'](policy, way, straight, 36)
    code = f'import torch; torch.set_num_threads({torch.get_num_threads()})\n' + SETUP + f'run({policy!r}, {way!r}, {str(killed)!r}, 100000)'
    p = subprocess.Popen([sys.executable, '-c', code], stderr=subprocess.PIPE)
    t0 = time.time()
    while time.time() - t0 < 120:   # kill it somewhere after tick 15, after level 1 exists
        recs = read_metrics(killed/'metrics.jsonl') if (killed/'metrics.jsonl').exists() else []
        if recs and recs[-1]['step'] >= 15: break
        assert p.poll() is None, p.stderr.read().decode()[-2000:]
        time.sleep(0.02)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    assert max(r['step'] for r in read_metrics(killed/'metrics.jsonl')) < 36
    ns['run'](policy, way, killed, 36)
    got, want = results(killed), results(straight)
    assert got == want
    if way != 'plan': assert want[-1]['returns'] > 0          # the run went back to remembered states
    if policy == 'hierarchical': assert want[-1]['level_tokens'] >= 2 and want[-1]['salient'] > 0 and want[-1]['decisions_new'] > 0

def test_frames_count_the_ways_back(tmp_path):
    ns['run']('goexplore', 'replay', tmp_path/'r', 24)
    last = read_metrics(tmp_path/'r'/'metrics.jsonl')[-1]
    assert last['frames'] == 24 * 2 + last['return_steps'] and last['return_steps'] > 0   # a table step is one frame

def test_refusals(tmp_path):
    with pytest.raises(ValueError, match='EnvConfig.sticky'):
        make_agent(RunConfig(EnvConfig(sticky=0.25), AgentConfig(policy='hierarchical'), frontier=FrontierConfig(way='replay')), tmp_path/'a')
    with pytest.raises(ValueError, match='ExploreConfig.salience'):
        make_agent(RunConfig(ns['RT'], AgentConfig(policy='hierarchical'), explore=ExploreConfig(salience='loud')), tmp_path/'b')
    with pytest.raises(ValueError, match='make_agent'):
        from learnmax.agent import Agent
        Agent(ns['RT'], AgentConfig(policy='hierarchical'), tmp_path/'c')
    with pytest.raises(ValueError, match='different'):   # resuming with another way back
        ns['run']('goexplore', 'restore', tmp_path/'d', 12, stop_at=6); ns['run']('goexplore', 'replay', tmp_path/'d', 12)
    assert isinstance(make_agent(RunConfig(ns['RT'], AgentConfig(policy='goexplore')), tmp_path/'e', progress=False), GoExploreAgent)
    assert isinstance(make_agent(RunConfig(ns['RT'], AgentConfig(policy='hierarchical')), tmp_path/'f', progress=False), HierarchicalAgent)
