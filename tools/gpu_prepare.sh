#!/usr/bin/env bash
# Prepare what `tools/gpu_figures.sh` needs on a GPU machine without network, in ignored folders of this checkout:
#   .whl/      wheels of ale-py, gymnasium, farama-notifications and fastcore for the machine's Python (PYVER, 3.12)
#   .devcache/ the cached tokenizers named (default: every one in ~/.cache/learnmax/tokenizer), dvq.pt and config only
#   .devgit/   the git folder of a shallow clone of HEAD, so that the run there is stamped with this commit
#
#   bash tools/gpu_prepare.sh [TOKENIZER_KEY ...]
#
# Commit first: the run there checks that its tree is HEAD, unchanged.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
pyver=${PYVER:-3.12}
for d in .whl .devcache .devgit; do grep -qx "/$d/" .git/info/exclude 2>/dev/null || echo "/$d/" >> .git/info/exclude; done
rm -rf .whl .devcache .devgit
pip=$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )
version() { $pip -c "import importlib.metadata as m; print(m.version('$1'))"; }
$pip -m pip download -q --no-deps --only-binary=:all: --python-version "$pyver" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 -d .whl ale-py=="$(version ale-py)" gymnasium=="$(version gymnasium)" \
  farama-notifications=="$(version farama-notifications)" fastcore=="$(version fastcore)"
cache=~/.cache/learnmax/tokenizer
keys=("$@"); [ ${#keys[@]} -gt 0 ] || keys=($(ls "$cache" | grep -v '\.lock$'))
for k in "${keys[@]}"; do
  [ -f "$cache/$k/dvq.pt" ] || { echo "no trained tokenizer $cache/$k" >&2; exit 1; }
  mkdir -p ".devcache/tokenizer/$k"; cp "$cache/$k/dvq.pt" "$cache/$k/config.json" ".devcache/tokenizer/$k/"
done
tmp=$(mktemp -d); git clone -q --depth 1 "file://$PWD" "$tmp/clone"; mv "$tmp/clone/.git" .devgit; rm -rf "$tmp"
du -sh .whl .devcache .devgit
echo "tree that travels: $(git ls-files -z | du -ch --files0-from=- | tail -1)"
