"Headless tests of `learnmax.play`: a dream driven by `step` on tiny untrained models, both token layouts, and the app's buttons."
import numpy as np
import pytest
import torch

from learnmax.dvq import DVQConfig
from learnmax.gpt import GPT, GPTConfig
from learnmax.play import Dream, app, draw_tree, plot_dream
from learnmax.random_env import RandomTransitionsConfig
from learnmax.replay import ReplayBuffer, ReplayConfig
from learnmax.search import SearchConfig
from learnmax.tokenizer import DVQTokenizer, make_tokenizer, world_model_config

N, A = 80, 6

@pytest.fixture(autouse=True)
def one_thread():
    "Tiny models: one thread is fastest (conftest restores the default afterwards)."
    torch.set_num_threads(1)

def frames_and_rows():
    "Two episodes whose rows interleave, as a vectorised collector writes them: even rows episode 0, odd rows episode 1."
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (N, 28, 28, 3), dtype=np.uint8)
    return frames, rng.integers(0, A, N), np.arange(N) % 2

@pytest.fixture(scope='module')
def world(tmp_path_factory):
    frames, actions, eps = frames_and_rows()
    buf = ReplayBuffer(tmp_path_factory.mktemp('play')/'replay', frame_shape=(28, 28, 3), n_actions=A, cfg=ReplayConfig(chunk_size=32))
    buf.append(frames, actions, eps, np.zeros(N, bool)); buf.flush()
    tok = DVQTokenizer(DVQConfig(size=28, strides=(2, 7), vocab=16)).fit(buf)     # a random DVQ: 2x2 patch tokens
    torch.manual_seed(0)
    model = GPT(world_model_config(tok, ('NOOP', 'FIRE', 'UP', 'RIGHT', 'LEFT', 'DOWN'), GPTConfig(window=4)))
    yield tok, model, buf, (frames, actions, eps)
    buf.close()

@torch.no_grad()
def frame_entropy(model, frames, actions) -> np.ndarray:
    "Entropy of each token of the last of `frames` given all before it, from one forward pass without a cache."
    s = torch.as_tensor(np.stack(frames))[None].long()
    a = torch.tensor([list(actions) + [0] * (len(frames) - len(actions))])
    toks, st, _ = model.inputs_targets(s, a)
    logits = model(toks)[st >= 0][:, :model.cfg.vocab][-s.shape[-1]:]
    return torch.distributions.Categorical(logits=logits).entropy().numpy()

def test_step_reset_undo(world):
    tok, model, buf, _ = world
    d = Dream(tok, model, buf)
    s0 = d.reset(11)
    np.testing.assert_array_equal(s0.tokens, tok.encode(buf.frames([11]))[0])
    toks, between = d.context
    assert len(toks) == 3 and between == buf.column('actions')[[7, 9]].tolist()   # episode 1's rows before 11
    for k, a in enumerate(['RIGHT', 4, 'noop', np.int32(2), 'DOWN', 'FIRE', 0], 1):   # past the window: the context slides
        before, between = d.context
        s = d.step(a)
        assert s.step == k and s.frame.shape == s0.frame.shape and s.entropy.shape == tok.grid
        # the map is the entropy of each patch's distribution, in the grid's order, for this context and action
        keep = model.cfg.window - 1
        np.testing.assert_allclose(s.entropy.ravel(), frame_entropy(model, before[-keep:] + [s.tokens],
                                   between[len(between) - keep + 1:] + [d.action_index(a)]), rtol=1e-4, atol=1e-5)
    assert [h.action for h in d.history] == [None, 3, 4, 0, 2, 5, 1, 0]
    assert d.undo().step == 6 and len(d.context[0]) == len(d.context[1]) + 1
    assert len(d.branches()) == A and d.state.step == 6

def test_arrays_match_the_replay(world):
    tok, model, buf, (frames, actions, eps) = world
    a, b = Dream(tok, model, buf), Dream(tok, model, frames, actions, eps)
    for row in (0, 1, 11, N - 1):
        a.reset(row); b.reset(row)
        assert a.context[1] == b.context[1] and all((x == y).all() for x, y in zip(a.context[0], b.context[0]))
        np.testing.assert_array_equal(a.step('LEFT').tokens, b.step('LEFT').tokens)
    c = Dream(tok, model, frames, actions)          # one episode: the context is the rows just before
    c.reset(11); assert c.context[1] == actions[[9, 10]].tolist()

def test_seeded_sampling(world):
    tok, model, buf, _ = world
    def run(seed):
        d = Dream(tok, model, buf, sample=True, seed=seed); d.reset(20)
        return np.stack([d.step(3).tokens for _ in range(5)])
    np.testing.assert_array_equal(run(0), run(0))
    assert (run(0) != run(1)).any()

def test_refusals(world):
    tok, model, buf, (frames, actions, eps) = world
    with pytest.raises(ValueError, match='not fitted'): Dream(DVQTokenizer(DVQConfig(size=28, strides=(2, 7), vocab=16)), model, buf)
    with pytest.raises(ValueError, match='vocab=8'): Dream(tok, GPT(model.cfg.replace(vocab=8)), buf)
    with pytest.raises(ValueError, match='own actions'): Dream(tok, model, buf, actions=actions)
    d = Dream(tok, model, buf)
    with pytest.raises(ValueError, match='reset'): d.step(0)
    with pytest.raises(ValueError, match='reset'): d.plan()
    with pytest.raises(ValueError, match='out of range'): d.reset(N)
    d.reset(5)
    with pytest.raises(ValueError, match="unknown action 'JUMP'.*0=NOOP"): d.step('JUMP')
    with pytest.raises(ValueError, match='out of range'): d.step(A)
    with pytest.raises(ValueError, match='out of range'): d.step(-1)
    with pytest.raises(ValueError, match='nothing to undo'): d.undo()

def test_plan_and_pictures(world):
    tok, model, buf, _ = world
    d = Dream(tok, model, buf, search=SearchConfig(beam=2, depth=2)); d.reset(30); d.step(3)
    tree = d.plan()
    assert [len(lv.parent) for lv in tree.levels] == [A, 2 * A] and 0 <= d.last_plan.action < A
    assert d.state.step == 1
    draw_tree(tree, d.names); plot_dream(d.history, d.names)

def test_frame_layout():
    "One token per frame (a random-transitions table): the entropy map is 1x1."
    rt = RandomTransitionsConfig(n_states=16, obs='token')
    tok = make_tokenizer(rt)
    model = GPT(world_model_config(tok, tuple(f'A{i}' for i in range(6)), GPTConfig(window=4)))
    rng = np.random.default_rng(0)
    d = Dream(tok, model, rng.integers(0, 16, 40), rng.integers(0, 6, 40))
    d.reset(10); s = d.step('A2')
    assert s.entropy.shape == (1, 1) and s.tokens.shape == (1,) and s.frame.ndim == 3
    assert len(d.plan(SearchConfig(depth=2, beam=3)).levels) == 2

def test_app_buttons(world):
    tok, model, buf, _ = world
    d = Dream(tok, model, buf, search=SearchConfig(beam=2, depth=2))
    ui = app(d, index=9)
    actions, (row, reset, undo, plan), status, (frame, tree) = ui.children[0].children, ui.children[1].children, ui.children[2], ui.children[3].children
    assert [b.description for b in actions] == list(d.names) and frame.value[:4] == b'\x89PNG'
    actions[4].click(); actions[4].click(); assert d.state.step == 2 and 'after LEFT' in status.value
    undo.click(); assert d.state.step == 1
    plan.click(); assert tree.value[:4] == b'\x89PNG'
    row.value = 40; reset.click(); assert d.state.step == 0
    np.testing.assert_array_equal(d.state.tokens, tok.encode(buf.frames([40]))[0])
    undo.click(); assert 'nothing to undo' in status.value
