"""Replay buffer throughput against raw NumPy in the same run.

Write: append 84x84x3 uint8 frames in collector-sized batches (ReplayBuffer: chunk files written atomically with fsync and
CRC32) vs the same chunks written with `np.save` + fsync, and with plain `np.save` (no fsync, no rename, no checksum).
Read: random windows of T steps through `WindowDataset` (and batched through `make_loader`) vs slicing the same windows
out of `np.load(mmap_mode='r')` chunk files; sequential reads of every frame vs `np.load(mmap_mode='r')` of each chunk.
Writes report the best of 2 interleaved passes (fsync speed drifts a lot on shared disks). Reads come from the page
cache (the data was just written) and report the best of 3 passes: this measures the code path, not the disk.

    .venv/bin/python bench/replay.py [--frames 8192] [--chunk 1024] [--T 16] [--windows 2000]
"""
import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from learnmax.replay import ReplayBuffer, ReplayConfig
from learnmax.split import WindowDataset, make_loader

def timed(f, reps=1):
    "Best wall time of `reps` runs of `f` (reads: the first run also pays the page faults of mapping the files)."
    best = float('inf')
    for _ in range(reps):
        t = time.perf_counter(); f(); best = min(best, time.perf_counter() - t)
    return best

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--frames', type=int, default=8192); ap.add_argument('--chunk', type=int, default=1024)
    ap.add_argument('--T', type=int, default=16); ap.add_argument('--windows', type=int, default=2000)
    ap.add_argument('--batch', type=int, default=64, help='rows per append (a collector segment)')
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    shape, ep_len = (84, 84, 3), 500
    # distinct, incompressible-looking frames without holding all of them at once: a pool of 256 random frames, offset by row
    pool = rng.integers(0, 256, (256, *shape), dtype=np.uint8)
    def frames(r0, n): return pool[(np.arange(r0, r0 + n) * 37) % 256] + np.uint8(r0 % 7)
    mb = a.frames * np.prod(shape) / 1e6
    root = Path(tempfile.mkdtemp(prefix='bench_replay_'))
    res = {}
    try:
        # ---- write ----
        def write_buffer():
            shutil.rmtree(root/'buf', ignore_errors=True)
            with ReplayBuffer(root/'buf', frame_shape=shape, n_actions=6, cfg=ReplayConfig(chunk_size=a.chunk)) as buf:
                for r in range(0, a.frames, a.batch):
                    n = min(a.batch, a.frames - r); rows = np.arange(r, r + n)
                    buf.append(frames(r, n), rows % 6, rows // ep_len, rows % ep_len == ep_len - 1)
        def write_npy(fsync):
            d = root/('npy_fsync' if fsync else 'npy'); shutil.rmtree(d, ignore_errors=True); d.mkdir()
            for c, r in enumerate(range(0, a.frames, a.chunk)):
                n = min(a.chunk, a.frames - r)
                with open(d/f'{c:06d}.npy', 'wb') as f:
                    np.save(f, frames(r, n)); np.save(f, np.arange(r, r + n) % 6)
                    if fsync: f.flush(); os.fsync(f.fileno())
        for rep in range(2):                               # interleaved, best of 2: the disk's speed drifts
            for k, f in [('write ReplayBuffer', write_buffer), ('write np.save+fsync', lambda: write_npy(True)),
                         ('write np.save', lambda: write_npy(False))]:
                res[k] = min(res.get(k, float('inf')), timed(f))
        # ---- random windows ----
        buf = ReplayBuffer(root/'buf', readonly=True)
        ds = WindowDataset(buf, a.T)
        idx = rng.integers(0, len(ds), a.windows)
        ds[0]                                              # map a file and check its CRC outside the timing
        res['random windows WindowDataset'] = timed(lambda: [ds[i] for i in idx], reps=3)
        dl = make_loader(ds, batch_size=32, seed=a.seed)
        n_batches = a.windows // 32
        def loader():
            for j, b in enumerate(dl):
                if j + 1 == n_batches: break
        res['random windows make_loader(32)'] = timed(loader, reps=3)
        chunks = [np.load(p, mmap_mode='r') for p in sorted((root/'npy').glob('*.npy'))]
        starts = rng.integers(0, a.chunk - a.T, a.windows); cids = rng.integers(0, len(chunks), a.windows)
        res['random windows np.memmap'] = timed(lambda: [np.array(chunks[c][s:s + a.T]) for c, s in zip(cids, starts)], reps=3)
        # ---- sequential ----
        def seq_buffer():
            for r in range(0, len(buf), a.chunk): buf.frames(np.arange(r, min(r + a.chunk, len(buf)))).sum(dtype=np.uint64)
        res['sequential ReplayBuffer.frames'] = timed(seq_buffer, reps=3)
        res['sequential np.memmap'] = timed(lambda: [np.array(c).sum(dtype=np.uint64) for c in chunks], reps=3)
        # ---- report ----
        win_frames = a.windows * a.T
        print(f'{a.frames} frames of {shape} uint8 ({mb:.0f} MB), chunk {a.chunk} rows, append batches of {a.batch}; '
              f'{a.windows} random windows of T={a.T}')
        def line(name, t, n, base=None):
            ratio = f'   x{res[base] / t:.2f} vs {base.split(" ", 2)[-1]}' if base else ''
            print(f'  {name:34s} {n / t:10.0f} frames/s {n * np.prod(shape) / 1e6 / t:8.0f} MB/s{ratio}')
        print('write')
        line('ReplayBuffer.append', res['write ReplayBuffer'], a.frames, 'write np.save+fsync')
        line('  (ratio to np.save, no fsync)', res['write ReplayBuffer'], a.frames, 'write np.save')
        line('np.save + fsync', res['write np.save+fsync'], a.frames)
        line('np.save', res['write np.save'], a.frames)
        print('read, random windows')
        line('WindowDataset[i]', res['random windows WindowDataset'], win_frames, 'random windows np.memmap')
        line('make_loader(batch 32, 0 workers)', res['random windows make_loader(32)'], (n_batches - 1) * 32 * a.T,
             None)
        line('np.memmap slice', res['random windows np.memmap'], win_frames)
        print('read, sequential')
        line('ReplayBuffer.frames', res['sequential ReplayBuffer.frames'], a.frames, 'sequential np.memmap')
        line('np.memmap', res['sequential np.memmap'], a.frames)
    finally:
        shutil.rmtree(root, ignore_errors=True)

if __name__ == '__main__': main()
