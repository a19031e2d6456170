"""Sweeps on Ray: a local Ray runtime runs two tiny agent runs (and `learnmax agent --seeds ... --ray`), and their
records equal those of the local executor, run for run."""
from pathlib import Path

import pytest

ray = pytest.importorskip('ray', reason="Ray is an optional extra: pip install 'learnmax[cluster]'")

from learnmax.agent_config import AgentConfig
from learnmax.config import read_metrics
from learnmax.executors import LocalExecutor, RayExecutor
from learnmax.explore import compare_agents
from learnmax.pipeline import main
from learnmax.random_env import RandomTransitionsConfig
from learnmax.run import RunConfig

WALL = ('time', 'steps_per_s', 'plan_seconds_frac', 'train_seconds_frac')   # wall-clock fields differ run to run


def same(a: list, b: list) -> bool:
    return [{k: v for k, v in r.items() if k not in WALL} for r in a] == \
           [{k: v for k, v in r.items() if k not in WALL} for r in b]


@pytest.fixture(scope='module')
def runtime():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_runs_equal_local_runs(runtime, tmp_path):
    run = RunConfig(env=RandomTransitionsConfig(),
                    agent=AgentConfig(n_envs=2, n_ticks=32, warmup_ticks=8, log_every=8, ckpt_every=16))
    here = compare_agents(run, ('learnmax',), (0, 1), tmp_path/'local', executor=LocalExecutor(1), progress=False)
    there = compare_agents(run, ('learnmax',), (0, 1), tmp_path/'ray', executor=RayExecutor(), progress=False)
    assert list(there['learnmax']) == [0, 1]
    for s in (0, 1):
        assert len(there['learnmax'][s]) == 4 and same(there['learnmax'][s], here['learnmax'][s])
        assert (tmp_path/'ray'/f'learnmax_s{s}'/'ckpt.pt').exists()        # the same run folders, resumable
    assert not same(there['learnmax'][0], there['learnmax'][1])             # and two different runs


def test_learnmax_agent_seeds_on_ray(runtime, tmp_path, capsys):
    args = ['agent', '--policy', 'random', '--frames', '512', '--seeds', '0', '1', '--no-progress']
    assert main([*args, '--run-dir', str(tmp_path/'ray'), '--ray']) == 0
    assert main([*args, '--run-dir', str(tmp_path/'local')]) == 0
    out = capsys.readouterr().out
    assert out.count('"seed": 0') == 2 and out.count('"seed": 1') == 2
    for s in (0, 1):
        assert same(read_metrics(tmp_path/'ray'/f'random_s{s}'/'metrics.jsonl'),
                    read_metrics(tmp_path/'local'/f'random_s{s}'/'metrics.jsonl'))
