"The world-model metrics refuse bad input clearly and score the oracle and the copy baseline as defined."
import numpy as np
import pytest
import torch

from learnmax.gpt import GPT, GPTConfig
from learnmax.wm_eval import (moving_pixel_error, open_loop_eval, pick_windows, rates, rollout, seed_summary,
                              teacher_forced_eval, token_counts)

class Windows:
    def __init__(self, s, a): self.s, self.a = s, a
    def __len__(self): return len(self.s)
    def __getitem__(self, i): return dict(frames=self.s[i], actions=self.a[i])

def windows(T, n=12, vocab=8, n_tok=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Windows(torch.randint(0, vocab, (n, T, n_tok), generator=g), torch.randint(0, 6, (n, T), generator=g))

def model(**kw):
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab=8, n_actions=6, window=4, layout='patch', n_tokens=4, **kw)).eval()

def test_oracle_and_copy():
    prev, true = torch.tensor([[1, 2, 3, 4]]), torch.tensor([[1, 2, 3, 9]])
    assert rates(token_counts(true, true, prev)) == dict(acc=1.0, changed_acc=1.0, unchanged_acc=1.0)
    assert rates(token_counts(prev, true, prev))['changed_acc'] == 0.0

def test_horizon_and_context_are_checked():
    m, ds = model(), windows(6)
    with pytest.raises(ValueError, match='need windows of 11 frames'): open_loop_eval(m, ds, k=8)
    with pytest.raises(ValueError, match='context must lie in 1..3'): rollout(m, ds.s, ds.a, 2, context=4)
    with pytest.raises(ValueError, match='k must be >= 1'): rollout(m, ds.s, ds.a, 0)
    with pytest.raises(ValueError, match='give `decode` too'): open_loop_eval(m, ds, k=3, frames=object())
    with pytest.raises(ValueError, match='no windows'): pick_windows(0, 5)

@pytest.mark.parametrize('decode', ['sequential', 'parallel'])
def test_open_loop_scores_the_rollout_against_the_right_frames(decode):
    """Per k, the model's and copying's accuracies are those of `rollout`'s predictions (and of the last context frame)
    against the window's true frame, "changed" meaning changed since the true frame before it (`ctx_`: since the last
    context frame); the same seed picks the same windows."""
    m, ds = model(decode=decode), windows(11, n=20)
    a = open_loop_eval(m, ds, k=8, n_windows=10, seed=1)
    assert a == open_loop_eval(m, ds, k=8, n_windows=10, seed=1)
    idx = pick_windows(len(ds), 10, seed=1)
    s, ctx = ds.s[idx], m.cfg.window - 1
    pred, last = rollout(m, s, ds.a[idx], 8, ctx), s[:, ctx - 1]
    for j in range(8):
        true, before = s[:, ctx + j], s[:, ctx + j - 1]
        model_, copy = rates(token_counts(pred[:, j], true, before)), rates(token_counts(last, true, before))
        assert (a['acc'][j], a['changed_acc'][j]) == (model_['acc'], model_['changed_acc']), j
        assert (a['copy_acc'][j], a['copy_changed_acc'][j]) == (copy['acc'], copy['changed_acc']), j
        assert a['ctx_changed_acc'][j] == rates(token_counts(pred[:, j], true, last))['changed_acc'], j
    assert len(set(a['changed_acc'])) > 1             # the k differ: a mistake in the frames compared would show

def test_teacher_forced_is_open_loop_at_one_step_for_a_parallel_model():
    "A whole-frame model sees only the true frames before the one it predicts, in both evaluations: one step, they agree."
    m, ds = model(decode='parallel'), windows(2, n=30)
    tf, ol = teacher_forced_eval(m, ds), open_loop_eval(m, ds, k=1, context=1)
    assert tf['n_windows'] == ol['n_windows'] == 30 and 0 < tf['changed_acc'] < 1
    assert (tf['acc'], tf['changed_acc']) == (ol['acc'][0], ol['changed_acc'][0])

def test_pixels_and_seeds():
    prev = np.zeros((1, 2, 2, 3), np.uint8); real = prev.copy(); real[0, 1, 1] = 255
    assert moving_pixel_error(prev, real, prev) == (1.0, 1)
    s = seed_summary([dict(x=v, copy_x=0.5) for v in (0.6, 0.7, 0.8)])
    assert abs(s['x_margin']['mean'] - 0.2) < 1e-12 and s['x_margin']['p_value'] == pytest.approx(0.1)
