"""Try a variant of the agent's paper tokenizer: train it (cached like the default) and print its moving-pixel recovery.

    python tools/tokenizer_trial.py '{"vocab": 1024}' ['{"steps": 10000}'] [--threads 2]

The first JSON changes fields of the paper `default_dvq`, the second of `pretrain_config('paper')`. The variant is
trained by `pretrained_dvq` on the paper corpus (so it lands in the tokenizer cache under its own hash, and an
experiment or the agent given the same configs reuses it) and judged as `nbs/experiments/tokenizer.ipynb` judges the
default: the fraction of the change on moving pixels recovered, on the same 2,048 held-out frames (the split of
seed 0). The training time printed is read from the run's metrics log, so it is only a measurement of the 2-core
budget when nothing else ran.
"""
import argparse
import json

import numpy as np
import torch

from learnmax.config import read_metrics
from learnmax.corpus import CorpusConfig, corpus
from learnmax.dvq_train import data_variance, evaluate_dvq
from learnmax.envs import EnvConfig
from learnmax.split import split_episodes
from learnmax.tokenizer import default_dvq, pretrain_config, pretrained_dvq, pretrained_folder


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('dvq', help='JSON of DVQConfig fields to change, e.g. \'{"vocab": 1024}\'')
    p.add_argument('train', nargs='?', default='{}', help='JSON of DVQTrainConfig fields to change')
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    env, cc = EnvConfig.profile('paper'), CorpusConfig.profile('paper')
    dcfg = default_dvq(env, 'paper').replace(**json.loads(a.dvq))
    tc = pretrain_config('paper').replace(**json.loads(a.train))
    buf = corpus(cc, env)
    ep = buf.column('episode_ids')
    _, te_eps = split_episodes(ep, tc.test_frac, 0)
    te = np.flatnonzero(np.isin(ep, te_eps)); te = te[1:][ep[te[1:]] == ep[te[1:] - 1]]   # rows with a previous frame
    te = te[np.linspace(0, len(te) - 1, min(len(te), 2048)).astype(int)]
    test, prev = buf.frames(te), buf.frames(te - 1)
    dvq = pretrained_dvq(env, dcfg, tc, cc, 0)
    folder = pretrained_folder(env, dcfg, tc, cc, 0)[0]
    recs = read_metrics(folder/'metrics.jsonl')
    ev = evaluate_dvq(dvq, test, data_variance(test), prev=prev)
    print(json.dumps(dict(dvq=json.loads(a.dvq), train=json.loads(a.train), moving_recovered=round(ev['moving_recovered'], 4),
                          nmse=round(ev['nmse'], 5), codes_used=ev['codes_used'], steps=recs[-1]['step'],
                          train_seconds=round(recs[-1]['time'] - recs[0]['time'], 1), folder=str(folder))))


if __name__ == '__main__':
    main()
