"""Rewrite kept run records (`kept_json` files whose key holds a `run` config) with today's field names.

    python tools/migrate_kept.py figures/paper/explore_vs_random_runs/*.json

A record's key must equal the key a rerun computes, or `kept_json` refuses it. When a config field is renamed (its
class lists the old name in `_renamed`), the records made before keep the old name; this reads each key's run config
with `RunConfig.from_dict` (which accepts old names) and writes it back with `to_dict`, atomically, leaving the values
(the results) untouched. A record whose key is already current is left as it is.
"""
import json
import sys
from pathlib import Path

from learnmax.config import atomic_write
from learnmax.run import RunConfig


def migrate(path: Path) -> bool:
    "Rewrite `path`'s key with today's names; whether it changed."
    rec = json.loads(path.read_text(encoding='utf-8'))
    run = rec.get('key', {}).get('run')
    if run is None: raise SystemExit(f'{path}: no key.run to migrate')
    new = RunConfig.from_dict(run).to_dict()
    if new == run: return False
    rec['key']['run'] = new
    atomic_write(path, json.dumps(rec))
    return True


if __name__ == '__main__':
    if len(sys.argv) < 2: raise SystemExit(__doc__)
    for p in map(Path, sys.argv[1:]): print(p, 'migrated' if migrate(p) else 'already current')
