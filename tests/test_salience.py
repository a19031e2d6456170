"Salience: the matcher against a brute-force count, histograms, step outputs against the GPT's own loss, frozen vs joint training."
import numpy as np
import torch

from learnmax.gpt import GPT, GPTConfig
from learnmax.salience import (SalienceConfig, SalienceHead, dilate, evaluate_salience, future_histogram, match_events,
                               salience_scores, step_outputs, train_salience)


def _brute(pred, true, ep, k):
    near = lambda i, xs: any(xs[j] and ep[j] == ep[i] for j in range(max(0, i - k), min(len(xs), i + k + 1)))
    right = sum(near(i, true) for i in np.flatnonzero(pred)); found = sum(near(i, pred) for i in np.flatnonzero(true))
    return right, found


def test_match_events_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n, k = int(rng.integers(5, 40)), int(rng.integers(0, 4))
        ep = np.sort(rng.integers(0, 4, n)); pred, true = rng.random(n) < 0.2, rng.random(n) < 0.15
        m = match_events(pred, true, ep, k)
        assert (m['right'], m['found']) == _brute(pred, true, ep, k)
        if pred.any(): assert m['precision'] == m['right'] / pred.sum()
        if true.any(): assert m['recall'] == m['found'] / true.sum()


def test_dilate_stays_in_excursion():
    x = np.zeros(6, bool); x[2] = True
    assert dilate(x, np.array([0, 0, 0, 1, 1, 1]), 2).tolist() == [True, True, True, False, False, False]


def test_future_histogram_brute_force():
    s = torch.randint(0, 5, (3, 7, 4), generator=torch.Generator().manual_seed(0))
    h = future_histogram(s, 3, 5)
    for b in range(3):
        for t in range(4):
            want = np.bincount(s[b, t + 1:t + 4].reshape(-1).numpy(), minlength=5) / 12
            assert np.allclose(h[b, t].numpy(), want)


def _model(layout='patch'):
    torch.manual_seed(0)
    kw = dict(layout='patch', n_tokens=4) if layout == 'patch' else dict(layout='frame', heads='separate')
    return GPT(GPTConfig(vocab=8, n_actions=6, window=4, **kw)).eval()


def test_step_outputs_nll_is_the_gpt_loss():
    "The NLL of a frame given the rows before it, summed over the patches, is what GPT.loss counts for that frame."
    for layout in ('patch', 'frame'):
        m = _model(layout); n = m.cfg.n_tokens
        g = torch.Generator().manual_seed(1)
        states, actions = torch.randint(0, 8, (10, n), generator=g), torch.randint(0, 6, (10,), generator=g)
        ep = np.array([0] * 6 + [1] * 4)
        head = SalienceHead(m.cfg.n_embd, 8)
        out = step_outputs(m, head, states.numpy(), actions.numpy(), ep, batch=3)
        assert out['future'].shape == (10, 8) and np.allclose(out['future'].sum(1), 1, atol=1e-5)
        assert np.isnan(out['nll'][[0, 6]]).all() and np.isfinite(np.delete(out['nll'], [0, 6])).all()
        for u, lo in ((5, 2), (3, 0), (9, 6)):      # windows of 4 (rows 2..5), 4 (0..3), 4 (6..9)
            s, a = states[None, lo:u + 1], actions[None, lo:u + 1]
            lw = m.loss(s if n > 1 else s[..., 0], a).stats['state']['nll'].item()
            s2, a2 = states[None, lo:u], actions[None, lo:u]
            lw2 = m.loss(s2 if n > 1 else s2[..., 0], a2).stats['state']['nll'].item()
            assert abs(out['nll'][u] - (lw - lw2)) < 1e-4, (layout, u)
        sc = salience_scores(out, states.numpy(), ep)
        assert np.isnan(sc['salient'][[5, 9]]).all() and np.isfinite(sc['salient'][[0, 4, 6, 8]]).all()
        assert sc['nll'][4] == out['nll'][5]


def test_frozen_training_keeps_the_gpt_and_joint_changes_it():
    class DS:
        def __init__(self, s, a): self.s, self.a = s, a
        def __len__(self): return len(self.s)
        def __getitem__(self, i): return dict(frames=self.s[i], actions=self.a[i])
    g = torch.Generator().manual_seed(0)
    ds = DS(torch.randint(0, 8, (16, 6, 4), generator=g), torch.randint(0, 6, (16, 6), generator=g))
    for joint in (False, True):
        m = _model(); before = [p.detach().clone() for p in m.parameters()]
        head = SalienceHead(m.cfg.n_embd, 8, 16)
        recs = train_salience(m, head, ds, SalienceConfig(horizon=2, steps=5, batch_size=4, joint=joint), log_every=1)
        same = all(torch.equal(a, b) for a, b in zip(before, m.parameters()))
        assert same != joint and len(recs) == 5 and (recs[0]['gpt_loss'] is None) != joint


def test_evaluate_salience_perfect_score():
    "A score that is the event itself: precision and recall 1 on held-out excursions, with any tolerance."
    ep = np.repeat(np.arange(20), 10); ev = np.zeros(200, bool); ev[5::10] = True
    score = ev.astype(float) + 0.01 * np.random.default_rng(0).random(200)
    r = evaluate_salience({'oracle': score}, {'x': ev}, ep, np.arange(10), np.arange(10, 20), k=0, percentiles=(50, 90, 95))
    d = r['oracle']['x']
    assert d['precision'] == 1 and d['recall'] == 1 and d['percentile'] == 90 and len(d['curve']['recall']) == 3
