"The hard-exploration games beyond Montezuma's Revenge: the corpus, the patch tokenizer and the sighted agent run on each at a tiny budget, and the Montezuma-only parts (RAM labels, rooms, the key) stay out of their way."
import numpy as np
import pytest

from learnmax.agent import Agent
from learnmax.agent_config import AgentConfig
from learnmax.config import read_metrics
from learnmax.corpus import CorpusConfig, corpus, corpus_summary
from learnmax.envs import EnvConfig
from learnmax.gpt import GPTConfig
from learnmax.patches import PatchConfig
from learnmax.tokenizer import pretrained_patches

GAMES = ('MontezumaRevenge', 'Pitfall', 'Venture', 'PrivateEye', 'Gravitar', 'Solaris')


@pytest.mark.parametrize('game', GAMES)
def test_corpus_tokenizer_and_agent_run(game, tmp_path):
    env = EnvConfig(env_id=f'ALE/{game}-v5')
    cc = CorpusConfig(n_frames=150, excursion=30)
    buf = corpus(cc, env, cache=tmp_path/'cache')
    s = corpus_summary(buf)
    assert s['frames'] == 150 and s['cells'] >= 1
    assert (s['rooms'] is not None) == (game == 'MontezumaRevenge')        # rooms are read from Montezuma's RAM only
    tok = pretrained_patches(env, PatchConfig(vocab=256, frames=150), cc, cache=tmp_path/'cache')
    frames = buf.frames(np.arange(20))
    ids = tok.encode(frames)
    assert ids.shape == (20, 49) and ids.max() < tok.vocab
    assert (tok.decode(ids) == frames).mean() > 0.9                       # frames it was built from come back (nearly) exactly
    cfg = AgentConfig(n_envs=2, n_ticks=10, warmup_ticks=4, train_every=2, round_steps=2, batch_size=4, log_every=5, ckpt_every=10)
    agent = Agent(env, cfg, tmp_path/'run', gpt=GPTConfig(n_embd=32, window=3, decode='parallel'), tokenizer=tok, progress=False)
    agent.run()
    recs = read_metrics(tmp_path/'run'/'metrics.jsonl')
    assert recs[-1]['env_steps'] == 20 and recs[-1]['cells'] >= 1 and 'train_loss' in recs[-1]
    assert ('rooms' in recs[-1]) and recs[-1]['key'] == 0                  # no key outside Montezuma (its RAM is not read)
    agent.replay.close(); agent.tokens.close()
