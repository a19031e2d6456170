"""Rewrite kept run records (`kept_json` files whose key is, or holds as `run`, a run config) in today's form.

    python tools/migrate_kept.py figures/paper/explore_vs_random_runs/*.json figures/paper/sighted_agent_runs/*.json

A record's key must equal the key a rerun computes, or `kept_json` refuses it. Two changes made keys of records made
before them differ from today's:
- a config field renamed (its class lists the old name in `_renamed`): the record keeps the old name;
- `RunConfig.key()`: a run is keyed by the parts its policy reads, so a flat agent's record no longer holds the
  explorers' and the hierarchy's settings.
This reads each key's run config with `RunConfig.from_dict` (which accepts old names) and writes back its `key()`,
atomically, leaving the values (the results) untouched. A record whose key is already current is left as it is.
"""
import json
import sys
from pathlib import Path

from learnmax.config import atomic_write
from learnmax.run import RunConfig


def migrate(path: Path) -> bool:
    "Rewrite `path`'s key in today's form; whether it changed."
    rec = json.loads(path.read_text(encoding='utf-8'))
    key = rec.get('key') or {}
    nested = 'run' in key
    run = key['run'] if nested else key if {'env', 'agent'} <= set(key) else None
    if run is None: raise SystemExit(f'{path}: its key holds no run config to migrate')
    new = RunConfig.from_dict(run).key()
    if new == run: return False
    if nested: rec['key']['run'] = new
    else: rec['key'] = new
    atomic_write(path, json.dumps(rec))
    return True


if __name__ == '__main__':
    if len(sys.argv) < 2: raise SystemExit(__doc__)
    for p in map(Path, sys.argv[1:]): print(p, 'migrated' if migrate(p) else 'already current')
