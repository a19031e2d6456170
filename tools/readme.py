"""Write README.md from nbs/index.ipynb: markdown cells as they are, visible code cells as Python blocks.

nbdev's own `nbdev_readme` needs Quarto; this does the same job with the standard library alone.
"""
import json
from pathlib import Path

root = Path(__file__).resolve().parents[1]
nb = json.loads((root / 'nbs' / 'index.ipynb').read_text(encoding='utf-8'))
parts = ['<!-- Generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file. -->']
for cell in nb['cells']:
    src = ''.join(cell['source']).strip()
    if not src:
        continue
    if cell['cell_type'] == 'markdown':
        parts.append(src)
    elif cell['cell_type'] == 'code':
        lines = src.splitlines()
        if any(l.strip().startswith('#|') and ('hide' in l or 'default_exp' in l) for l in lines):
            continue
        code = '\n'.join(l for l in lines if not l.strip().startswith('#|')).strip()
        if code:
            parts.append(f'```python\n{code}\n```')
(root / 'README.md').write_text('\n\n'.join(parts) + '\n', encoding='utf-8')
