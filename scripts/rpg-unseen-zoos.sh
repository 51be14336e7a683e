#!/usr/bin/env bash
# Collects the zoos of the conditional-RPG study (issue #9): 300 binary MNIST tasks for training
# (random 10-bit codes, none of the held-out ones) and the 20 held-out tasks, 5 checkpoints each
# (the last 5 of 8 epochs), a 784-32-2 MLP per task, every task from the same initial weights.
# Resumable: rerun after an interruption. About 40 min on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
pgen() { node packages/pipelines/bin/pgen.mjs "$@"; }
common=(--arch mlp --strategy tasks --per-run 5 --epochs 8 --mlp-hidden 32 --shared-seed)
pgen zoo collect "${common[@]}" --tasks-file configs/rpg-unseen-heldout.txt --count 20 --out zoos/mlp-tasks-heldout
pgen zoo collect "${common[@]}" --exclude-tasks configs/rpg-unseen-heldout.txt --count 300 --out zoos/mlp-tasks
