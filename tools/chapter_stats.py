"""How the chapters read, per library notebook: exported cells (not the import cell), those over 30 lines, those
followed by a demo or test (the next code cell is not an export), and code lines over 120 characters; and the long
lines of the experiment notebooks.

    python tools/chapter_stats.py
"""
import glob

import nbformat

WIDTH, LONG = 120, 30


def stats(path: str) -> tuple:
    cells = nbformat.read(path, as_version=4).cells
    code = lambda c: c.cell_type == 'code'
    exports = [i for i, c in enumerate(cells) if code(c) and c.source.startswith('#| export')
               and not c.source.split('\n')[1].startswith(('from __future__', 'import'))]
    def followed(i):
        nxt = next((c for c in cells[i + 1:] if code(c)), None)
        return nxt is not None and not nxt.source.startswith('#| export')
    lines = [len(cells[i].source.split('\n')) - 1 for i in exports]
    wide = sum(len(l) > WIDTH for c in cells if code(c) for l in c.source.split('\n'))
    return len(exports), sum(n > LONG for n in lines), sum(map(followed, exports)), wide


if __name__ == '__main__':
    tot = [0, 0, 0, 0]
    for f in sorted(glob.glob('nbs/[0-9]*.ipynb')):
        s = stats(f); tot = [a + b for a, b in zip(tot, s)]
        print(f'{f[4:]:28s} exports {s[0]:3d}  over {LONG} lines {s[1]:2d}  followed by a demo/test {s[2]:3d}  '
              f'lines over {WIDTH} {s[3]:3d}')
    print(f'chapters: {tot[0]} exports, {tot[1]} over {LONG} lines, {tot[2]} followed by a demo or test, '
          f'{tot[3]} lines over {WIDTH}')
    print(f'experiment notebooks: {sum(stats(f)[3] for f in glob.glob("nbs/experiments/*.ipynb"))} lines over {WIDTH}')
