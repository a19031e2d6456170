"""The paper build: which run each experiment is shown from, what its caption says, what older records lack, and the
generated tables; on fixture records in temporary folders, and once on the repository's own figures."""
import json
import shutil
from pathlib import Path

import pytest

from learnmax.paper import (build_paper, check_numbers, derive_statistics, experiments, figure_manifest, flat_parameters,
                            paper_status, paper_text)
from learnmax.stats import compare

ROOT = Path(__file__).resolve().parents[1]
OLD_EXPLORE = {'n_seeds': 4, 'frames': 8000, 'learnmax_more_cells_than_random': True, 'any_left_first_room': False,
               'cells': {'learnmax': {'mean': 46.75, 'std': 3.77, 'per_seed': [53.0, 45.0, 43.0, 46.0]},
                         'random': {'mean': 45.0, 'std': 3.24, 'per_seed': [41.0, 44.0, 45.0, 50.0]}}}


def write(folder, name, metrics, **top):
    folder.mkdir(parents=True, exist_ok=True)
    (folder/f'{name}.json').write_text(json.dumps({'name': name, 'metrics': metrics, **top}))


@pytest.fixture
def site(tmp_path):
    "A copy of paper/ beside an empty figures/ (with figures/paper/)."
    shutil.copytree(ROOT/'paper', tmp_path/'paper', ignore=shutil.ignore_patterns('*.pdf', 'pages'))
    (tmp_path/'figures'/'paper').mkdir(parents=True)
    return tmp_path


def shown(site):
    return {e['name']: e for e in experiments(site/'paper'/'main.typ', site/'figures')}


def test_paper_result_preferred_and_captions_say_which(site):
    figs = site/'figures'
    write(figs, 'gpt_overfit', {'min_final_state_acc': 0.5}, profile='quick', seed=0, git_commit='a' * 40, dirty=False,
          duration_s=3.0, parameters={'n_steps': 300})
    write(figs/'paper', 'gpt_overfit', {'min_final_state_acc': 1.0}, profile='paper', seeds=[0], git_commit='b' * 40,
          dirty=False, duration_s=800.0, parameters={'n_steps': 500})
    write(figs, 'montezuma_random', {'steps': 100, 'rooms': 1}, profile='quick', seed=0, git_commit='c' * 40, dirty=False,
          duration_s=1.0, parameters={'n_steps': 25})
    e = shown(site)
    assert e['gpt_overfit']['source'] == 'paper' and e['montezuma_random']['source'] == 'quick'
    p = e['gpt_overfit']['provenance']
    assert p.startswith('Paper result (figures/paper/)') and 'profile paper' in p and 'n_steps 500' in p
    assert 'commit bbbbbbb' in p and '13.3 min' in p
    q = e['montezuma_random']['provenance']
    assert q.startswith('Smoke test, not a result') and 'profile quick' in q and 'commit ccccccc' in q and 'n_steps 25' in q
    assert not e['replay_overlap']['present'] and e['replay_overlap']['source'] == 'none'


def test_old_record_builds_and_says_what_it_lacks(site):
    "A paper record without commit, duration, seeds or parameters, and without the metrics the text needs, still builds."
    write(site/'figures'/'paper', 'gpt_montezuma', {'summary': {'trained DVQ': {'test_state_acc': 0.91, 'test_copy_acc': 0.72}}},
          profile='paper')
    build_paper(site/'paper'/'main.typ', site/'figures')
    text = paper_text('par', site/'paper'/'main.typ', site/'figures')
    # its numbers reach the text, the margin over copying computed from them when the paper is built
    assert ("predicted 91% of held-out tokens where copying the last frame got 72%, a margin of 0.19" in text), text
    p = shown(site)['gpt_montezuma']['provenance']
    for text in ('commit unknown', 'duration unknown', 'seeds unknown', 'budget not recorded', 'margins over copying',
                 'Not in this record', 'changed-token accuracy'):
        assert text in p, (text, p)


def test_unreadable_paper_record_falls_back_to_the_smoke_test(site):
    (site/'figures'/'paper'/'gpt_overfit.json').write_text('{not json')
    write(site/'figures', 'gpt_overfit', {'min_final_state_acc': 0.5}, profile='quick', seed=0)
    e = shown(site)['gpt_overfit']
    assert e['present'] and e['source'] == 'quick'


def test_statistics_an_old_record_lacks_come_from_its_own_values():
    overlay, keys = derive_statistics(OLD_EXPLORE)
    c = compare(OLD_EXPLORE['cells']['learnmax']['per_seed'], OLD_EXPLORE['cells']['random']['per_seed'], ('learnmax', 'random'))
    assert overlay['learnmax_vs_random_cells']['p_value'] == c['p_value']
    assert overlay['learnmax_vs_random_cells']['learnmax_beats_random'] is False   # a larger mean is not significance
    assert len(overlay['cells']['learnmax']['ci95']) == 2 and 'cells.random.ci95' in keys
    assert derive_statistics({'learnmax_vs_random_cells': c, 'cells': {}}) == ({}, [])


def test_verdict_reads_the_test_not_the_old_boolean(site):
    "An old record whose mean is larger (its own verdict: yes) is reported as not significantly better."
    write(site/'figures'/'paper', 'explore_vs_random', OLD_EXPLORE, profile='quick', seeds=[0, 1, 2, 3])
    p = shown(site)['explore_vs_random']['provenance']
    assert 'permutation p-values' in p and '4 seeds (0–3)' in p
    text = paper_text('par', site/'paper'/'main.typ', site/'figures')
    assert 'learnmax did not visit significantly more cells than random.' in text
    assert 'learnmax visited significantly more cells' not in text


def test_hyperparameter_rows_and_variants(site):
    figs = site/'figures'
    write(figs/'paper', 'explore_vs_random', OLD_EXPLORE, parameters={'runs_dir': '/x', 'search': {'beam': 4}, 'n_steps': 2000})
    write(figs/'paper'/'dvq300', 'explore_vs_random', OLD_EXPLORE, parameters={'dvq_steps': 300})
    shutil.copy(ROOT/'figures'/'paper'/'corpus.png', figs/'paper'/'dvq300'/'explore_vs_random.png')   # a figure: a variant
    write(figs/'paper'/'explore_vs_random_runs', 'learnmax_s0', {'x': 1.0})  # a run's record beside a result is not
    m = figure_manifest(figs, site)
    assert not any(k.startswith('explore_vs_random_runs/') for k in m['figures'])
    assert m['figures']['explore_vs_random']['parameters'] == [['n_steps', '2000'], ['search.beam', '4']]
    assert m['figures']['dvq300/explore_vs_random']['file'] == '/figures/paper/dvq300/explore_vs_random'
    assert 'dvq300/explore_vs_random' not in paper_status(site/'paper'/'main.typ', figs)   # undeclared: under "Other figures"
    assert flat_parameters({'a': {'b': [1, 2.5]}, 'out_dir': 'x'}) == [['a.b', '[1, 2.5]']]


def test_repository_paper_builds(tmp_path):
    "The project's own paper builds from the repository's figures, showing every result it has from figures/paper/, then figures/large/."
    build_paper(ROOT/'paper'/'main.typ', ROOT/'figures', tmp_path/'paper.pdf')
    found = {e['name']: e for e in experiments(ROOT/'paper'/'main.typ', ROOT/'figures')}
    for name, e in found.items():
        if (ROOT/'figures'/'paper'/f'{name}.json').exists(): assert e['source'] == 'paper', name
        elif (ROOT/'figures'/'large'/f'{name}.json').exists():
            assert e['source'] == 'large' and e['provenance'].startswith('Large-profile result, made on a GPU'), name
        elif e['present']: assert e['provenance'].startswith('Smoke test'), name


def test_abstract_numbers_are_in_the_records():
    """Every number the built abstract prints is a value of a figures/ JSON (figures/paper/, figures/large/ or the smoke
    tests), rounded as printed (a percentage as a hundred times a fraction), at a key the abstract's helpers read. The
    values of all the JSONs together would accept nearly any number (among their tens of thousands, almost every
    percentage with one decimal occurs somewhere), so a number typed by hand, or a value the paper derived rather than
    found in a record, fails here."""
    r = check_numbers('<abstract>', ROOT/'paper'/'main.typ', ROOT/'figures')
    assert r['text'].startswith('Abstract.') and len(r['reads']) >= 10, r
    assert 'n/a' not in r['text'], r['text']                       # a key the records lack
    assert not [x for x in r['reads'] if x['derived']], [x for x in r['reads'] if x['derived']]
    assert r['unrecorded'] == [], (r['unrecorded'], r['text'])
