"Crash, corruption and bad-input tests of `learnmax.replay` (what does not read well in a notebook)."
import hashlib
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from learnmax.chunks import CorruptChunkError, ForeignChunkError, ReplayError
from learnmax.replay import ReplayBuffer, ReplayConfig, ReplayWarning
from learnmax.split import WindowDataset, make_loader, overlap, split_episodes

SHAPE, N_ACTIONS, EP_LEN = (84, 84, 3), 6, 37
_TABLE = ((np.arange(251)[:, None] + np.arange(int(np.prod(SHAPE)))[None]) % 251).astype(np.uint8).reshape(251, *SHAPE)

def content(rows):
    "What row `r` holds, for every r: a writer and a reader agree on it without talking."
    rows = np.asarray(rows, np.int64)
    frames = _TABLE[(rows * 7 + rows // 251) % 251]
    return dict(frames=frames, actions=rows % N_ACTIONS, episode_ids=rows // EP_LEN, dones=rows % EP_LEN == EP_LEN - 1,
                room=rows % 5)

def check_exact(buf):
    "Every row of `buf` is exactly what the writer wrote at that row."
    n = len(buf); want = content(np.arange(n))
    got = buf.rows(np.arange(n))
    for k in want:
        bad = np.flatnonzero((got[k] != want[k]).reshape(n, -1).any(1))
        assert not len(bad), f'column {k}: {len(bad)} rows differ from what was written, the first is row {bad[:1]}'
    assert (buf.column('steps') == np.arange(n) % EP_LEN).all()

def new_buffer(path, chunk_size=16):
    return ReplayBuffer(path, frame_shape=SHAPE, n_actions=N_ACTIONS, extras=('room',), cfg=ReplayConfig(chunk_size=chunk_size))

CHILD = textwrap.dedent('''
    import os, sys, time, numpy as np
    sys.path.insert(0, {tests!r})
    from test_replay import content, new_buffer
    path, seed, hang = sys.argv[1], int(sys.argv[2]), sys.argv[3] == 'hang'
    if hang:   # stop inside the fsync of the 3rd chunk file (meta.json and each chunk cost 2 fsyncs): killed mid-write, for sure
        real, calls = os.fsync, [0]
        def fsync(fd):
            calls[0] += 1
            if calls[0] == 7: print('in-fsync', flush=True); time.sleep(600)
            real(fd)
        os.fsync = fsync
    rng = np.random.default_rng(seed)
    buf = new_buffer(path)
    r = len(buf)
    print('ready', r, flush=True)
    while True:
        n = int(rng.integers(1, 40))
        buf.append(**content(np.arange(r, r + n))); r += n
        if rng.random() < 0.1: buf.flush()
''')

def run_child(path, seed, hang=False, delay=0.2):
    "Start a writer; SIGKILL it `delay` seconds after it is ready (or once it hangs inside a chunk's fsync)."
    p = subprocess.Popen([sys.executable, '-c', CHILD.format(tests=str(Path(__file__).parent)), str(path), str(seed),
                          'hang' if hang else 'run'], stdout=subprocess.PIPE, text=True)
    try:
        ready = p.stdout.readline().split()
        assert ready[0] == 'ready', ready
        if hang: assert p.stdout.readline().strip() == 'in-fsync'
        else: time.sleep(delay)
        p.send_signal(signal.SIGKILL); p.wait(10)
    finally:
        if p.poll() is None: p.kill(); p.wait()
    assert p.returncode == -signal.SIGKILL
    return int(ready[1])

def reopen(path):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        buf = new_buffer(path)
    return buf, [x for x in w if issubclass(x.category, ReplayWarning)]

def test_sigkill_mid_write_is_reported_and_complete_chunks_read_back(tmp_path):
    "A writer killed inside a chunk write leaves a temporary file: reopening drops it, says so, and keeps the rest."
    path = tmp_path/'buf'
    run_child(path, seed=0, hang=True)
    temps = list(path.glob('.chunk_*.tmp'))
    assert len(temps) == 1 and temps[0].stat().st_size > 0
    with pytest.warns(ReplayWarning, match='interrupted write'):
        ro = ReplayBuffer(path, readonly=True)         # a reader reports but never deletes
    assert [d['file'] for d in ro.dropped] == [temps[0].name] and temps[0].exists()
    buf, w = reopen(path)
    assert [d['file'] for d in buf.dropped] == [temps[0].name] and 'interrupted write' in buf.dropped[0]['reason']
    assert len(w) == 1 and temps[0].name in str(w[0].message)
    assert not temps[0].exists()
    assert len(buf) == 32 and buf.n_chunks == 2   # the 2 chunks written before the hang
    check_exact(buf)
    buf.close()

def test_sigkill_at_random_points_then_resume(tmp_path):
    "Kill a writer at random moments, four times; each reopen reads back exactly a prefix of what was written, and resumes."
    path, rng, total_dropped = tmp_path/'buf', np.random.default_rng(1), 0
    for i in range(4):
        start = run_child(path, seed=i, delay=float(rng.uniform(0.05, 0.3)))
        buf, _ = reopen(path)
        assert len(buf) >= start                      # nothing that was complete before is lost
        total_dropped += len(buf.dropped)
        assert all(d['file'].endswith('.tmp') for d in buf.dropped)   # atomic renames: never a partial chunk file
        check_exact(buf)
        buf.close()
    assert len(ReplayBuffer(path, readonly=True)) > 0
    ds = WindowDataset(ReplayBuffer(path, readonly=True), T=8)
    x = ds[len(ds) // 2]
    np.testing.assert_array_equal(x['frames'].numpy(), content(ds.rows[len(ds) // 2])['frames'])

def files_digest(path):
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(Path(path).rglob('*')) if p.is_file()}

def test_bad_inputs_leave_buffer_unchanged(tmp_path):
    buf = new_buffer(tmp_path/'b', chunk_size=4)
    buf.append(**content(np.arange(40)))              # episode 0 (37 rows, done) and 3 rows of episode 1
    state = lambda: (len(buf), buf.n_chunks, buf.frames(np.arange(len(buf))), *[buf.column(k).copy() for k in buf.columns[1:]],
                     files_digest(buf.path))   # everything a reader sees, and the files
    before = state()
    ok = content(np.arange(40, 45))
    bad = {'frame shape': (dict(ok, frames=ok['frames'][:, :80]), 'shape (80, 84, 3) per row'),
           'frame dtype': (dict(ok, frames=ok['frames'].astype(np.float32)), 'dtype float32'),
           'frame dtype too wide': (dict(ok, frames=ok['frames'].astype(np.int16) + 300), 'dtype int16'),
           'action range': (dict(ok, actions=ok['actions'] + 3), 'out of range(n_actions=6)'),
           'negative action': (dict(ok, actions=-ok['actions'] - 1), 'out of range'),
           'after done': (dict(ok, episode_ids=np.zeros(5, np.int64)), 'episode 0 has already ended'),
           'done mid-batch': (dict(ok, dones=np.array([1, 0, 0, 0, 0], bool)), 'done=True is followed'),
           'missing extra': ({k: v for k, v in ok.items() if k != 'room'}, "this buffer has ['room']"),
           'unknown extra': (dict(ok, x=ok['room']), 'extras given'),
           'length mismatch': (dict(ok, actions=ok['actions'][:3]), 'actions has shape (3,)'),
           'float actions': (dict(ok, actions=ok['actions'] + 0.5), 'actions must be integers')}
    for name, (kw, msg) in bad.items():
        with pytest.raises(ReplayError, match=msg.replace('(', r'\(').replace(')', r'\)').replace('[', r'\[').replace(']', r'\]')):
            buf.append(**kw)
        after = state()
        for a, b in zip(before, after):
            if isinstance(a, np.ndarray): np.testing.assert_array_equal(a, b, err_msg=name)
            else: assert a == b, name
    buf.append(**ok)                                   # the valid batch still goes in
    check_exact(buf)
    buf.close()
    with pytest.raises(ReplayError, match='different frame_shape'):
        ReplayBuffer(tmp_path/'b', frame_shape=(84, 84, 1), n_actions=6, extras=('room',))
    with pytest.raises(ReplayError, match='read-only'):
        ReplayBuffer(tmp_path/'b', readonly=True).append(**content(np.arange(45, 46)))

def test_foreign_chunk_refused_and_folder_untouched(tmp_path):
    a, b = new_buffer(tmp_path/'a'), new_buffer(tmp_path/'b')
    for x in (a, b): x.append(**content(np.arange(20))); x.close()
    shutil.copy(tmp_path/'b'/'chunk_000000.bin', tmp_path/'a'/'chunk_000007.bin')
    (tmp_path/'a'/'.chunk_000009.bin.abc.tmp').write_bytes(b'x')
    before = files_digest(tmp_path/'a')
    with pytest.raises(ForeignChunkError, match=f"chunk_000007.bin belongs to buffer {b.buffer_id}"):
        new_buffer(tmp_path/'a')
    assert files_digest(tmp_path/'a') == before        # nothing deleted or moved, not even the temporary file
    new_buffer(tmp_path/'b').close()                   # the lock was released by the failed open: b is fine

def test_truncated_and_corrupt_chunks_never_read(tmp_path):
    buf = new_buffer(tmp_path/'b'); buf.append(**content(np.arange(64))); buf.close()   # 4 chunks of 16
    c = sorted((tmp_path/'b').glob('chunk_*.bin'))
    c[3].write_bytes(c[3].read_bytes()[:-100])                     # truncated last chunk
    raw = bytearray(c[1].read_bytes()); raw[len(raw) // 2] ^= 0xFF; c[1].write_bytes(bytes(raw))   # a flipped frame byte
    with pytest.warns(ReplayWarning, match='truncated'):
        ro = ReplayBuffer(tmp_path/'b', readonly=True)
    assert len(ro) == 48 and [d['file'] for d in ro.dropped] == [c[3].name]
    with pytest.raises(CorruptChunkError, match=f"{c[1].name}: column 'frames' fails its checksum"):
        ro.frames(np.arange(16, 20))
    np.testing.assert_array_equal(ro.frames(np.arange(16)), content(np.arange(16))['frames'])
    with pytest.warns(ReplayWarning, match='dropped 2 partial'):
        buf = ReplayBuffer(tmp_path/'b', verify=True)               # full check at open: drops the corrupt chunk too
    assert sorted(d['file'] for d in buf.dropped) == sorted([c[1].name, c[3].name])
    assert sorted(p.name for p in (tmp_path/'b'/'dropped').iterdir()) == sorted([c[1].name, c[3].name])
    assert len(buf) == 32 and (buf.column('steps') == np.r_[0:16, 32:48] % EP_LEN).all()
    assert len(buf.windows(6, episodes=[0])) == 11    # the hole splits episode 0 into segments of 16 and 5 steps
    buf.close()

def test_split_overlap_and_loader_workers(tmp_path):
    buf = new_buffer(tmp_path/'b', chunk_size=64)
    buf.append(**content(np.arange(37 * 10)))
    tr, te = split_episodes(buf.column('episode_ids'), 0.3, seed=0)
    assert len(te) == 3 and not set(tr) & set(te)
    assert overlap(buf, tr, te, k=4).frac == 0.0       # every row is distinct here
    dup = content(np.arange(37))                       # replay episode 0 as a new episode 10: identical frames and actions
    dup['episode_ids'][:] = 10
    buf.append(**dup)
    ov = overlap(buf, [0], [10], k=5)
    assert ov.frac == 1.0 and len(ov.clean_starts) == 0
    ds = WindowDataset(buf, T=5, episodes=te)
    got = [b['steps'][:, 0].tolist() for b in make_loader(ds, batch_size=16, seed=3, num_workers=2)]
    again = [b['steps'][:, 0].tolist() for b in make_loader(ds, batch_size=16, seed=3, num_workers=0)]
    assert got == again and sorted(sum(got, [])) == sorted((ds.rows[:, 0] % EP_LEN).tolist())
    assert make_loader(ds).pin_memory == torch.cuda.is_available()
    buf.close()
