# Sourced by the tools/ scripts: picks the Python environment that tools/install.sh set up.
if [ -n "${VIRTUAL_ENV:-}" ] || [ -n "${CONDA_PREFIX:-}" ]; then
  PY=python
  BIN=""
else
  PY=.venv/bin/python
  BIN=.venv/bin/
  [ -x "$PY" ] || { echo "no .venv here: run 'make setup' (tools/install.sh) first" >&2; exit 1; }
fi
