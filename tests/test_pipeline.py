"""The figure pipeline and the paper build, end to end through the `learnmax` command, on tiny fixture notebooks.

Each notebook execution starts a Jupyter kernel (a second or two), so the notebooks are executed only in the
module-scoped `ran` fixture (two pipeline runs, three executions) and in one test of the report.
"""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from learnmax.jobs import stamp, write_experiment
from learnmax.paper import build_paper, paper_status, paper_text
from learnmax.pipeline import main

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ("profile = 'quick'\nseed = 0\nout_dir = '../figures'\nn = 4\nscale = 1.0\nlabel = 'fixture'\n"
          "steps: int | None = None  # None: the profile's value")
GOOD = ("import json, random, pathlib\nrandom.seed(seed)\nxs = [scale * random.random() for _ in range(n)]\n"
        "pathlib.Path(out_dir).mkdir(parents=True, exist_ok=True)\n"
        "pathlib.Path(out_dir, 'good.json').write_text(json.dumps({'name': 'good', 'metrics': {'mean': sum(xs) / n, 'n': n}}))")


@pytest.fixture(scope='module')
def nbs(tmp_path_factory):
    d = tmp_path_factory.mktemp('experiments')
    write_experiment(d/'a_broken.ipynb', PARAMS, 'y = 2', "raise RuntimeError('fixture failure ' + label)")
    write_experiment(d/'good.ipynb', PARAMS, GOOD)
    return d


def figures(nbs, tmp, *args):
    "Run `learnmax figures` on the fixtures, with figures and runs kept in `tmp`; return the exit status."
    return main(['figures', '--nbs', str(nbs), '--out', str(tmp/'figures'), '--runs', str(tmp/'runs'), '--no-progress', *args])


@pytest.mark.parametrize('args, message', [
    (['--only', 'good', 'nope'], "unknown notebook 'nope'"),
    (['-p', 'epochs=10'], "unknown parameter 'epochs'"),
    (['-p', 'steps=1.5'], 'parameter steps expects int | None'),
    (['-p', 'n=2.5'], 'parameter n expects int'),
    (['-p', 'scale=big'], 'parameter scale expects float'),
    (['-p', 'seed=3'], 'with --profile, --seed or --out'),
])
def test_refused_before_anything_runs(nbs, tmp_path, capsys, args, message):
    assert figures(nbs, tmp_path, *args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path/'runs').exists() and not (tmp_path/'figures').exists()   # no kernel was started


def test_unknown_profile_is_refused(nbs, tmp_path, capsys):
    assert figures(nbs, tmp_path, '--profile', 'huge', '--only', 'good') == 2
    assert "unknown profile 'huge'" in capsys.readouterr().err
    assert not (tmp_path/'runs').exists()


def test_dry_run_lists_jobs(nbs, tmp_path, capsys):
    assert figures(nbs, tmp_path, '--dry-run', '-p', 'n=7', '-p', 'scale=2', '-p', 'steps=9', '-p', 'label=3') == 0
    out = capsys.readouterr().out
    assert "'n': 7" in out and "'scale': 2.0" in out and "'steps': 9" in out and "'label': '3'" in out and 'a_broken' in out
    assert not (tmp_path/'runs').exists()


@pytest.fixture(scope='module')
def ran(nbs, tmp_path_factory):
    "Run both fixtures (one fails), then the good one again with the same seed."
    tmp = tmp_path_factory.mktemp('ran')
    rc1 = figures(nbs, tmp, '--seed', '5', '-p', 'n=6')
    first = json.loads((tmp/'figures'/'good.json').read_text())
    rc2 = figures(nbs, tmp, '--seed', '5', '-p', 'n=6', '--only', 'good')
    second = json.loads((tmp/'figures'/'good.json').read_text())
    return dict(tmp=tmp, rc1=rc1, rc2=rc2, first=first, second=second)


def test_failing_notebook_does_not_stop_others(ran):
    assert ran['rc1'] == 1 and ran['rc2'] == 0
    assert ran['first']['metrics']['n'] == 6                  # `good` ran after `a_broken` failed
    runs = sorted((ran['tmp']/'runs').iterdir())
    assert len(runs) == 2 and all(r.name.startswith('quick-') for r in runs)
    summary = json.loads((runs[0]/'summary.json').read_text())
    status = {r['name']: r for r in summary['results']}
    assert status['good']['ok'] and not status['a_broken']['ok']
    err = status['a_broken']['error']
    assert 'cell In[' in err and "raise RuntimeError('fixture failure ' + label)" in err and 'fixture failure fixture' in err
    assert (runs[0]/'a_broken.ipynb').exists() and (runs[0]/'good.ipynb').exists()


def test_failure_is_named_at_the_end(nbs, tmp_path, capsys):
    assert figures(nbs, tmp_path, '--only', 'a_broken') == 1
    out = capsys.readouterr().out
    assert 'FAILED a_broken: cell In[' in out and 'RuntimeError: fixture failure' in out


def test_json_provenance(ran, nbs):
    rec = ran['first']
    assert rec['profile'] == 'quick' and rec['seed'] == 5
    assert rec['parameters'] == {'profile': 'quick', 'seed': 5, 'n': 6}   # out_dir is machine-specific: left out
    assert isinstance(rec['duration_s'], float) and rec['duration_s'] > 0
    assert rec['git_commit'] == 'unknown' or len(rec['git_commit'].split('-')[0]) == 40
    assert rec['seeds'] == [5] and rec['requested_parameters'] == {'profile': 'quick', 'seed': 5, 'n': 6}
    assert rec['dirty'] in (True, False, None) and rec['git_commit'].endswith('-dirty') == bool(rec['dirty'])
    assert bool(rec.get('dirty_files')) == bool(rec['dirty'])
    assert rec['notebook'].endswith('good.ipynb') and rec['executed'].endswith('good.ipynb')
    assert set(rec['metrics']) == {'mean', 'n'}                             # metrics untouched


def test_same_seed_same_metrics(ran):
    assert ran['first']['metrics'] == ran['second']['metrics']


def test_nothing_to_run(tmp_path, capsys):
    (tmp_path/'empty').mkdir()
    assert figures(tmp_path/'empty', tmp_path) == 0
    assert 'nothing to run' in capsys.readouterr().out


def test_module_entry_point(nbs):
    r = subprocess.run([sys.executable, '-m', 'learnmax.pipeline', 'figures', '--nbs', str(nbs), '--only', 'nope'],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "unknown notebook 'nope'" in r.stderr


def test_paper_builds_from_fixture_figures(tmp_path):
    paper = tmp_path/'paper'
    shutil.copytree(ROOT/'paper', paper, ignore=shutil.ignore_patterns('*.pdf', 'pages'))
    figs = tmp_path/'figures'; figs.mkdir()
    rec = {'name': 'montezuma_random', 'profile': 'quick', 'seed': 0, 'parameters': {}, 'git_commit': 'unknown',
           'duration_s': 1.0, 'metrics': {'steps': 100, 'rooms': 1}}          # 'distinct_cells' missing: prints n/a
    (figs/'montezuma_random.json').write_text(json.dumps(rec))
    pdf = build_paper(paper/'main.typ', figs)
    assert pdf == paper/'learnmax.pdf'
    text = paper_text('par', paper/'main.typ', figs)
    assert 'A random agent ran for 100 steps and reached 1 room(s) and n/a distinct cells' in text
    status = paper_status(paper/'main.typ', figs)
    assert status['montezuma_random'] and not status['replay_overlap'] and not status['random_transitions']
    assert not any(paper_status(paper/'main.typ', tmp_path/'no-figures').values())
    assert main(['paper', '--src', str(paper/'main.typ'), '--figures', str(figs), '--output', str(tmp_path/'x.pdf')]) == 0
    assert undated((tmp_path/'x.pdf').read_bytes()) == undated(pdf.read_bytes())   # the same paper from the same
                                                                                   # source and figures


def undated(pdf:bytes) -> bytes:
    "A PDF without its creation and modification times and the document IDs typst derives from them."
    return re.sub(rb'D:\d{14}Z|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00|ID>[^<]*<|/ID ?\[[^\]]*\]', b'', pdf)


def test_paper_does_not_import_the_pipeline():
    "The paper builder needs only `learnmax.config`; the pipeline imports the paper, never the other way round."
    code = "import sys, learnmax.paper; assert 'learnmax.pipeline' not in sys.modules, 'learnmax.paper imports the pipeline'"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr


# --- provenance from a clean or dirty tree, in throwaway git checkouts -------------------------------------------------

def git(repo, *args):
    return subprocess.run(['git', '-c', 'user.name=test', '-c', 'user.email=test@example.com', *args], cwd=repo,
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path, monkeypatch):
    "A committed git checkout (settings.ini marks its root) with the `good` fixture in nbs/; the current folder."
    r = tmp_path/'repo'
    write_experiment(r/'nbs'/'good.ipynb', PARAMS, GOOD)
    (r/'settings.ini').write_text('[DEFAULT]\nlib_name = fixture\n')
    git(r, 'init', '-q'); git(r, 'add', '.'); git(r, 'commit', '-qm', 'fixture')
    monkeypatch.chdir(r)
    return r


def make_dirty(repo):
    (repo/'settings.ini').write_text('[DEFAULT]\nlib_name = changed\n')       # a tracked file changed
    (repo/'nbs'/'scratch.py').write_text('x = 1\n')                             # an untracked file
    return {'settings.ini', 'nbs/scratch.py'}


def run_in(repo, *args):
    return main(['figures', '--nbs', str(repo/'nbs'), '--runs', str(repo/'runs'), '--no-progress', *args])


@pytest.mark.parametrize('args', [['--profile', 'paper', '--out', 'elsewhere'],   # the paper profile, anywhere
                                  ['--out', 'figures/paper'],                       # any profile into figures/paper
                                  ['--profile', 'paper', '--dry-run']])             # a dry run says so too
def test_dirty_tree_refuses_a_paper_result(repo, capsys, args):
    changed = make_dirty(repo)
    assert run_in(repo, *args) == 2
    err = capsys.readouterr().err
    assert 'uncommitted changes' in err and '--allow-dirty' in err and all(f in err for f in changed), err
    assert not (repo/'runs').exists() and not (repo/'figures').exists() and not (repo/'elsewhere').exists()


def test_allow_dirty_stamps_dirty(repo):
    changed = make_dirty(repo)
    head = git(repo, 'rev-parse', 'HEAD')
    assert run_in(repo, '--profile', 'paper', '--out', 'figures/paper', '--allow-dirty', '--seed', '3') == 0
    rec = json.loads((repo/'figures'/'paper'/'good.json').read_text())
    assert rec['dirty'] is True and rec['git_commit'] == head + '-dirty' and set(rec['dirty_files']) == changed
    assert rec['profile'] == 'paper' and rec['seed'] == 3 and rec['seeds'] == [3]
    summary = json.loads(next((repo/'runs').glob('paper-*/summary.json')).read_text())
    assert summary['dirty'] is True and summary['git_commit'] == head + '-dirty'


def test_quick_run_from_a_dirty_tree_is_allowed_and_stamped(repo, tmp_path):
    make_dirty(repo)
    assert run_in(repo, '--out', str(tmp_path/'scratch')) == 0
    rec = json.loads((tmp_path/'scratch'/'good.json').read_text())
    assert rec['dirty'] is True and rec['git_commit'].endswith('-dirty') and rec['profile'] == 'quick'


def test_clean_tree_stamps_the_commit(repo):
    head = git(repo, 'rev-parse', 'HEAD')
    assert run_in(repo, '--profile', 'paper', '--out', 'figures/paper', '-p', 'n=3') == 0
    # what the pipeline wrote (figures/, runs/) does not make the tree dirty for the next paper run
    assert run_in(repo, '--profile', 'paper', '--out', 'figures/paper', '-p', 'n=5') == 0
    rec = json.loads((repo/'figures'/'paper'/'good.json').read_text())
    assert rec['git_commit'] == head and len(head) == 40 and rec['dirty'] is False and 'dirty_files' not in rec
    assert isinstance(rec['duration_s'], float) and rec['duration_s'] > 0 and rec['started_at']
    assert rec['profile'] == 'paper' and rec['seed'] == 0 and rec['seeds'] == [0]
    assert rec['parameters'] == {'profile': 'paper', 'seed': 0, 'n': 5} and rec['metrics']['n'] == 5


def test_stamp_keeps_what_the_notebook_ran(tmp_path):
    "A notebook that records its resolved parameters (steps actually run, its seeds) is stamped with those, not the request."
    js = tmp_path/'x.json'
    js.write_text(json.dumps({'name': 'x', 'metrics': {'steps': 862},
                              'parameters': {'profile': 'paper', 'seed': 0, 'steps': {'patch': 862, 'frame': 323},
                                             'seeds': [0, 1, 2, 3]}}))
    assert stamp(js, {'profile': 'paper', 'seed': 0, 'steps': 20000, 'out_dir': str(tmp_path)}, git_commit='abc', dirty=False)
    rec = json.loads(js.read_text())
    assert rec['parameters']['steps'] == {'patch': 862, 'frame': 323} and rec['requested_parameters']['steps'] == 20000
    assert rec['seeds'] == [0, 1, 2, 3] and 'out_dir' not in rec['parameters'] and rec['metrics'] == {'steps': 862}


@pytest.mark.parametrize('rec, expect, absent', [
    ({'profile': 'paper', 'seed': 0, 'git_commit': 'a' * 40, 'dirty': False, 'duration_s': 90.0},
     ['profile paper', 'seed 0', 'commit aaaaaaa', '90 s'], ['uncommitted', 'unknown']),
    ({'profile': 'paper', 'seeds': [0, 1, 2, 3], 'git_commit': 'b' * 40 + '-dirty', 'dirty': True, 'dirty_files': ['x'],
      'duration_s': 900}, ['commit bbbbbbb with uncommitted changes', '4 seeds (0–3)', '15 min'], ['-dirty']),
    ({'profile': 'quick', 'seed': 0, 'git_commit': 'c' * 40 + '-dirty', 'duration_s': 1.0},   # an older record
     ['commit ccccccc with uncommitted changes'], []),
    ({'profile': 'paper', 'seed': 0, 'git_commit': 'unknown', 'dirty': None, 'duration_s': None,
      'provenance_note': 'Predates provenance stamping.'},
     ['commit unknown', 'duration unknown', 'Predates provenance stamping.'], ['uncommitted']),
])
def test_paper_caption_states_provenance(tmp_path, rec, expect, absent):
    import typst
    shutil.copy(ROOT/'paper'/'lib.typ', tmp_path/'lib.typ')
    (tmp_path/'rec.json').write_text(json.dumps(rec))
    (tmp_path/'t.typ').write_text('#import "lib.typ": provenance-text\n#metadata(provenance-text(json("rec.json"))) <p>\n')
    text = typst.query(str(tmp_path/'t.typ'), '<p>', field='value', one=True, root=str(tmp_path))
    text = json.loads(text) if isinstance(text, str) else text
    assert all(e in text for e in expect) and not any(a in text for a in absent), text
