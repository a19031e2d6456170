"Crash/resume, wrong-shape checkpoint and wrong-frame tests of `learnmax.dvq` and `learnmax.dvq_train`."
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from learnmax.config import read_metrics
from learnmax.dvq import DVQ, DVQConfig, load_dvq, load_state, random_dvq, save_dvq
from learnmax.dvq_train import DVQTrainConfig, train_dvq

CFG = DVQConfig(hidden=8, emb_dim=8, vocab=16)
TC = DVQTrainConfig(steps=24, batch_size=8, ckpt_every=5, eval_every=10, eval_frames=16, init_frames=32, warmup=4,
                    restart_every=3)


def frames(n, seed):
    "Synthetic 84x84x3 frames: a grey background with a bright square at a random place (a 'player')."
    rng = np.random.default_rng(seed)
    f = np.full((n, 84, 84, 3), 60, np.uint8)
    for i, (y, x) in enumerate(rng.integers(0, 72, (n, 2))): f[i, y:y + 12, x:x + 8] = (200, 120, 40)
    return f


DATA = (frames(64, 0), frames(16, 1))

CHILD = textwrap.dedent('''
    import sys, time
    import torch; torch.set_num_threads({threads})   # as in the parent: float sums agree bit for bit
    sys.path.insert(0, {tests!r})
    import learnmax.dvq_train as T
    from test_dvq import CFG, TC, DATA
    log = T.RunDir.log
    def slow_log(self, **rec):          # slow the run down (not its numbers) so the parent can kill it mid-way
        time.sleep(0.05); return log(self, **rec)
    T.RunDir.log = slow_log
    T.train_dvq(CFG, TC, DATA, sys.argv[1], progress=False)
''')


def state_equal(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa: assert torch.equal(sa[k], sb[k]), f'{k} differs'


def strip(path):
    return [{k: v for k, v in r.items() if k != 'time'} for r in read_metrics(Path(path)/'metrics.jsonl')]


def test_sigkill_then_resume_is_exact(tmp_path):
    "A run killed with SIGKILL mid-way and resumed ends with the same weights and metrics as one run straight through."
    straight = train_dvq(CFG, TC, DATA, tmp_path/'straight', progress=False)
    script = tmp_path/'child.py'; script.write_text(CHILD.format(tests=str(Path(__file__).parent), threads=torch.get_num_threads()))
    run = tmp_path/'killed'
    p = subprocess.Popen([sys.executable, str(script), str(run)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            recs = read_metrics(run/'metrics.jsonl') if (run/'metrics.jsonl').exists() else []
            if recs and recs[-1].get('step', 0) >= 10: break
            assert p.poll() is None, p.stderr.read().decode()
            time.sleep(0.02)
        os.kill(p.pid, signal.SIGKILL)
    finally:
        p.wait()
    assert p.returncode == -signal.SIGKILL
    ck = torch.load(run/'ckpt.pt', weights_only=False)
    assert 5 <= ck["step"] < 24 and ck['step'] % 5 == 0
    resumed = train_dvq(CFG, TC, DATA, run, progress=False)
    state_equal(straight, resumed)
    assert strip(tmp_path/'straight') == strip(run)            # no record lost or repeated
    assert [r['step'] for r in strip(run)] == list(range(25))


def test_stop_and_resume_extends_steps(tmp_path):
    "A finished run can be continued to more steps, and equals a run made that long from the start."
    long = train_dvq(CFG, TC.replace(steps=12), DATA, tmp_path/'a', progress=False)
    train_dvq(CFG, TC.replace(steps=6), DATA, tmp_path/'b', progress=False)
    more = train_dvq(CFG, TC.replace(steps=12), DATA, tmp_path/'b', progress=False)
    state_equal(long, more)
    assert (tmp_path/'b'/'dvq.pt').exists()
    state_equal(more, load_dvq(tmp_path/'b'/'dvq.pt'))


def test_resume_with_other_config_is_refused(tmp_path):
    train_dvq(CFG, TC.replace(steps=5), DATA, tmp_path/'r', progress=False)
    with pytest.raises(ValueError, match='different DVQ config: vocab: checkpoint 16, now 32'):
        train_dvq(CFG.replace(vocab=32), TC.replace(steps=5), DATA, tmp_path/'r', progress=False)
    with pytest.raises(ValueError, match='different training config: batch_size'):
        train_dvq(CFG, TC.replace(steps=5, batch_size=4), DATA, tmp_path/'r', progress=False)
    train_dvq(CFG.replace(vocab=32), TC.replace(steps=5), DATA, tmp_path/'r', resume=False, progress=False)   # a fresh start is fine


@pytest.mark.parametrize('change, message', [
    (dict(vocab=32), r'vq.codebook: checkpoint \(16, 8\) vs model \(32, 8\)'),
    (dict(channels=1), r'enc.0.weight: checkpoint \(8, 3, 4, 4\) vs model \(8, 1, 4, 4\)'),
    (dict(strides=(2, 2)), r'checkpoint does not fit this DVQ'),
    (dict(layout='frame'), r'vq.codebook: checkpoint \(16, 8\) vs model \(16, 968\)'),
])
def test_wrong_shape_checkpoint(tmp_path, change, message):
    "A checkpoint that does not fit the model is refused with every mismatch named, and the model is left unchanged."
    save_dvq(DVQ(CFG), tmp_path/'m.pt')
    ck = torch.load(tmp_path/'m.pt', weights_only=False)
    other = DVQ(CFG.replace(**change))
    before = {k: v.clone() for k, v in other.state_dict().items()}
    with pytest.raises(ValueError, match=message): load_state(other, ck['model'])
    for k, v in other.state_dict().items(): assert torch.equal(v, before[k])
    ck['dvq_config'] = CFG.replace(**change).to_dict()               # a file whose config and weights disagree
    torch.save(ck, tmp_path/'bad.pt')
    with pytest.raises(ValueError, match='checkpoint does not fit this DVQ'): load_dvq(tmp_path/'bad.pt')


def test_not_a_dvq_file(tmp_path):
    torch.save({'weights': torch.zeros(3)}, tmp_path/'x.pt')
    with pytest.raises(ValueError, match='is not a DVQ file'): load_dvq(tmp_path/'x.pt')


@pytest.mark.parametrize('shape, dtype, message', [
    ((2, 64, 64, 3), np.uint8, r'takes frames of shape \(B, 84, 84, 3\) \(HWC\), got \(2, 64, 64, 3\)'),
    ((2, 84, 84, 1), np.uint8, r'got \(2, 84, 84, 1\).*grayscale=False'),
    ((2, 3, 84, 84), np.uint8, r'got \(2, 3, 84, 84\)'),                     # CHW instead of HWC
    ((84, 84), np.uint8, r'got \(84, 84\)'),
])
def test_wrong_frames(shape, dtype, message):
    m = DVQ(CFG)
    with pytest.raises(ValueError, match=message): m.encode(np.zeros(shape, dtype))
    with pytest.raises(ValueError, match=message): m(torch.zeros(shape, dtype=torch.uint8))


def test_training_data_of_wrong_size(tmp_path):
    with pytest.raises(ValueError, match=r'takes frames of shape \(B, 84, 84, 3\)'):
        train_dvq(CFG, TC.replace(steps=2), (DATA[0][:, :80, :80], DATA[1][:, :80, :80]), tmp_path/'w', progress=False)
    with pytest.raises(ValueError, match='fewer than one batch'):
        train_dvq(CFG, TC.replace(steps=2), (DATA[0][:4], DATA[1]), tmp_path/'w2', progress=False)


def test_ema_training_and_random_dvq(tmp_path):
    "EMA codebooks train without codebook gradients; the random DVQ has the trained one's interface."
    m = train_dvq(CFG.replace(ema=True), TC.replace(steps=10), DATA, tmp_path/'ema', progress=False)
    assert not m.vq.codebook.requires_grad and len(m.encode(DATA[1]).unique()) > 1
    rd = random_dvq(CFG, DATA[0], seed=1)
    ids = rd.encode(DATA[1])
    assert ids.shape == m.encode(DATA[1]).shape == (16, 121) and ids.dtype == torch.long
    assert rd.decode(ids).shape == (16, 84, 84, 3) and rd.codes(ids).shape == (16, 121, 8)
