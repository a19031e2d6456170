"""A chapter opened, run and saved in JupyterLab stays clean: the project's setup installs nbdev's pre-save hook
(`tools/install.sh`), so a save through a running Jupyter server's contents API leaves `nbdev_clean` nothing to do,
and a save of an unchanged chapter leaves its file as it was."""
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
TOKEN = 'learnmax-test'
CONF = Path(sys.prefix)/'etc'/'jupyter'/'jupyter_server_config.json'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def _call(url, method='GET', body=None):
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={'Authorization': f'token {TOKEN}', 'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=30) as r: return json.loads(r.read())


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    "A Jupyter server on a copy of the repository's settings and two chapters, started as a user would start Lab."
    if 'nbdev.clean.clean_jupyter' not in (CONF.read_text() if CONF.exists() else ''):
        pytest.fail(f'{CONF} lacks the pre-save hook: run `make setup` (tools/install.sh installs the pre-save hook)')
    d = tmp_path_factory.mktemp('lab')
    shutil.copy(ROOT/'settings.ini', d/'settings.ini'); (d/'nbs').mkdir()
    for name in ('00_config.ipynb', '07_agent.ipynb'): shutil.copy(ROOT/'nbs'/name, d/'nbs'/name)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, '-m', 'jupyter', 'server', '--no-browser', '--allow-root',
                             f'--port={port}', f'--IdentityProvider.token={TOKEN}', f'--ServerApp.root_dir={d}'],
                            cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f'http://127.0.0.1:{port}/api/contents/nbs'
    for _ in range(120):
        try: _call(url); break
        except OSError: time.sleep(0.25)
    else:
        proc.kill(); pytest.fail('the Jupyter server did not start: ' + proc.stderr.read().decode()[-2000:])
    yield d, url
    proc.terminate(); proc.wait(timeout=30)


def _clean(path: Path) -> bool:
    "Whether nbdev_clean changed the file."
    before = path.read_bytes()
    subprocess.run([str(Path(sys.executable).parent/'nbdev_clean'), '--fname', str(path)], cwd=path.parents[1],
                   check=True, capture_output=True)
    return path.read_bytes() != before


def test_saving_an_opened_chapter_changes_nothing(server):
    d, url = server
    before = (d/'nbs'/'00_config.ipynb').read_bytes()
    model = _call(f'{url}/00_config.ipynb')
    # what JupyterLab adds on opening: the kernel it started and the language it reports
    model['content']['metadata']['language_info'] = {'name': 'python', 'version': sys.version.split()[0],
                                                     'mimetype': 'text/x-python', 'file_extension': '.py'}
    model['content']['metadata']['kernelspec'] = {'display_name': 'python3', 'language': 'python', 'name': 'python3'}
    _call(f'{url}/00_config.ipynb', 'PUT', dict(type='notebook', format='json', content=model['content']))
    assert (d/'nbs'/'00_config.ipynb').read_bytes() == before
    assert not _clean(d/'nbs'/'00_config.ipynb')


def test_saving_a_run_chapter_leaves_nbdev_clean_nothing_to_do(server):
    d, url = server
    model = _call(f'{url}/07_agent.ipynb')
    nb = model['content']
    code = [c for c in nb['cells'] if c['cell_type'] == 'code']
    for i, c in enumerate(code[:3]):   # cells run: execution counts, outputs, the cell metadata Lab writes
        c['execution_count'] = i + 1
        c['outputs'] = [dict(output_type='stream', name='stdout', text='ran\n')]
        c['metadata'] = {'execution': {'iopub.status.busy': '2026-01-01T00:00:00Z'}, 'scrolled': True}
    nb['metadata']['language_info'] = {'name': 'python'}
    nb['metadata']['widgets'] = {'application/vnd.jupyter.widget-state+json': {'state': {}}}
    _call(f'{url}/07_agent.ipynb', 'PUT', dict(type='notebook', format='json', content=nb))
    saved = nbformat.read(d/'nbs'/'07_agent.ipynb', as_version=4)
    assert 'language_info' not in saved.metadata and 'widgets' in saved.metadata   # widget state is kept (docs)
    ran = [c for c in saved.cells if c.cell_type == 'code'][:3]
    assert all(c.execution_count is None and c.outputs for c in ran)   # outputs stay; counts and metadata go
    assert not _clean(d/'nbs'/'07_agent.ipynb')
