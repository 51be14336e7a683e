#!/usr/bin/env bash
# Installs everything pgen needs and runs the main job. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1; then
  echo "quickstart: installing pnpm 10 with npm"
  npm install --global pnpm@10
fi
pnpm install --frozen-lockfile
pnpm build
# The main job: collect (or reuse) a zoo of 50 MNIST MLPs, fit RPG on it, generate 10 new MLPs,
# evaluate them against the zoo and write demo/report/rpg-mnist-mlp.md with plots.
pnpm exec pgen demo
