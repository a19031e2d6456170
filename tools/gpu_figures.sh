#!/usr/bin/env bash
# Experiment notebooks at the `large` profile (what a GPU adds: the 4 x 256 world model over 8 frames, 20,000 steps of
# 64 windows) on a GPU machine that has Python and torch but no network and no Jupyter. PROFILE=paper runs the paper
# profile there instead.
#
#   bash tools/gpu_figures.sh SECONDS NAME [KEY=VALUE ...]
#
# What travels with the working tree (prepare it with `bash tools/gpu_prepare.sh`):
#   .whl/      wheels of the packages the machine lacks (ale-py, gymnasium, fastcore), for its Python
#   .devcache/ the cached tokenizers (~/.cache/learnmax/tokenizer), so the corpus is recorded there but the
#              tokenizer is not retrained
#   .devgit/   a shallow clone's git folder, so the result is stamped with the commit and checked clean
# SECONDS is the training budget of the whole notebook: a probe times one optimizer step of the profile's world model
# on the data's shape, and every world model of the notebook gets the same number of steps, chosen to fit.
# ARMS: the models the notebook trains per seed (3 in gpt_montezuma). Results (figure, JSON, the code that ran) go to $OUT.
set -euo pipefail
budget=$1; name=$2; shift 2
out=${OUT:-/tmp/gpu_figures}; mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
# the copy of the tree may carry a .git of another commit (or none): the shallow clone of HEAD stands for it
if [ -d .devgit ]; then rm -rf .git; cp -r .devgit .git; fi
printf '/.whl/\n/.devgit/\n/.devcache/\n' >> .git/info/exclude
mkdir -p ~/.cache/learnmax && cp -r .devcache/. ~/.cache/learnmax/
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
echo "commit $(git rev-parse HEAD); uncommitted: $(git status --porcelain -- . ':(exclude)figures' ':(exclude)paper' ':(exclude)runs' | wc -l)"
profile=${PROFILE:-large}
steps=${STEPS:-$(python3 tools/gpu_steps.py "$budget" --arms "${ARMS:-3}" --profile "$profile" "$@")}   # STEPS: skip the probe (a dry run on a CPU)
echo "world-model steps per run: $steps"
python3 -m learnmax.pipeline figures --engine inprocess --profile "$profile" --only "$name" --out "$out" --runs "$out/runs" \
  --no-progress $(for kv in "$@"; do printf -- '-p %s ' "$kv"; done) -p steps="$steps" -p lr_warmup=$((steps / 10))
