"Data-parallel training of the world model: `torchrun` with two processes (gloo, CPU) against one process."
import json
import subprocess
import sys

import pytest
import torch.distributed as dist

ARGS = ['-m', 'learnmax.pipeline', 'train',
        '--steps', '20', '--log-every', '1', '--batch-size', '16', '--episodes', '60']

def losses(run):
    recs = [json.loads(line) for line in (run/'metrics.jsonl').read_text().splitlines()]
    return [r['train_loss'] for r in recs], recs[-1]

@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason='torch.distributed with gloo is needed')
def test_two_processes_match_one(tmp_path):
    "Two processes on the same global batch follow the loss curve of one, step by step, to float rounding."
    one = subprocess.run([sys.executable, *ARGS, '--out', str(tmp_path/'one')], capture_output=True, text=True, timeout=240)
    assert one.returncode == 0, one.stderr[-3000:]
    two = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2',
                          *ARGS, '--out', str(tmp_path/'two')], capture_output=True, text=True, timeout=240)
    assert two.returncode == 0, two.stderr[-3000:]
    (l1, last1), (l2, last2) = losses(tmp_path/'one'), losses(tmp_path/'two')
    assert len(l1) == len(l2) == 20
    assert l1[-1] < l1[0]
    assert max(abs(a - b) for a, b in zip(l1, l2)) < 1e-4, (l1, l2)
    assert abs(last1['test_state_acc'] - last2['test_state_acc']) < 1e-6
    assert json.loads((tmp_path/'two'/'config.json').read_text())['configs']['world_size'] == 2
