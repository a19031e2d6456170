"`predicted_vs_real` returns token ids beside the pictures, and counts changed tokens as `wm_eval.token_counts` does."
import numpy as np
import torch

from learnmax.agent import Agent
from learnmax.agent_config import AgentConfig
from learnmax.trajectories import predicted_vs_real
from learnmax.random_env import RandomTransitionsConfig
from learnmax.search import SearchConfig
from learnmax.wm_eval import token_counts


def test_token_ids_and_changed_counts(tmp_path):
    torch.set_num_threads(1)
    agent = Agent(RandomTransitionsConfig(n_states=16, n_actions=4, episode_len=8), AgentConfig(n_ticks=24, warmup_ticks=8),
                  tmp_path/'run', progress=False)
    agent.run()
    sc = SearchConfig(depth=3)
    state = agent.env.clone_state()
    paths = predicted_vs_real(agent, k=3, search=sc)
    assert agent.env.clone_state() == state                      # the env is back where it was
    for p in paths:
        d = len(p['actions'])
        assert d == 3 and p['predicted_tokens'].shape == p['real_tokens'].shape == (d, 1)
        np.testing.assert_array_equal(p['start_tokens'], agent.cur[0])
        np.testing.assert_array_equal(p['real_tokens'], agent.tok.encode(np.asarray(p['real_tokens']).ravel()))
        assert p['token_acc'] == (p['predicted_tokens'] == p['real_tokens']).mean(1).tolist()
        prev = np.concatenate([p['start_tokens'][None], p['real_tokens'][:-1]])
        for j in range(d):
            c = token_counts(*(torch.as_tensor(x) for x in (p['predicted_tokens'][j], p['real_tokens'][j], prev[j])))
            assert (c['changed'], c['changed_hit']) == (p['changed'][j], p['changed_hit'][j])
        assert p['start'].shape == p['real'][0].shape and p['start'].dtype == np.uint8
