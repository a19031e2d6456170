#!/usr/bin/env bash
# Set up learnmax: a Python environment with torch, the package (editable) and its dev tools.
#
# - Inside an active virtualenv or conda env, installs there; otherwise creates ./.venv.
# - torch: an importable torch is kept as it is (your CUDA build, say). Otherwise, with an NVIDIA GPU
#   (nvidia-smi answers) the normal torch is installed; without one, the CPU build (no multi-GB CUDA download).
set -euo pipefail
cd "$(dirname "$0")/.."
# pip and the kernel registration put their temporary files in a folder of their own, removed at the end
scratch=$(mktemp -d -t learnmax-install.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch

if [ -n "${VIRTUAL_ENV:-}" ] || [ -n "${CONDA_PREFIX:-}" ]; then
  PY=python
else
  [ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
  PY=.venv/bin/python
fi
PIP="$PY -m pip"

if $PY -c "import torch" 2>/dev/null; then
  echo "install: keeping torch $($PY -c 'import torch; print(torch.__version__)')"
elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "install: GPU found, installing torch"
  $PIP install "torch>=2.1"
else
  echo "install: no GPU, installing the CPU build of torch"
  $PIP install "torch==2.13.0" --extra-index-url https://download.pytorch.org/whl/cpu --retries 1 --timeout 30
fi

$PIP install -e ".[dev]"
# the kernel under the name and display name the chapters record, so that JupyterLab has no kernel to rename
$PY -m ipykernel install --sys-prefix --name python3 --display-name python3 >/dev/null
# JupyterLab saves a chapter cleaned (nbdev's pre-save hook, on while settings.ini has jupyter_hooks = True): opening,
# running and saving one leaves nbdev_clean nothing to do. It goes in this environment's Jupyter config, not ~/.jupyter.
$PY - <<'EOF'
import json, pathlib, sys
p = pathlib.Path(sys.prefix, 'etc', 'jupyter', 'jupyter_server_config.json')
cfg = json.loads(p.read_text()) if p.exists() else {}
cfg.setdefault('ContentsManager', {})['pre_save_hook'] = 'nbdev.clean.clean_jupyter'
p.parent.mkdir(parents=True, exist_ok=True); p.write_text(json.dumps(cfg, indent=2) + '\n')
EOF
# Chromium, for the docs test that opens pages headless (Debian's package, where this user can install it)
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  { apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; }; } ||
    echo "install: chromium could not be installed (tests/test_docs.py will skip its browser checks)"
fi
echo "install: done ($PY)"
