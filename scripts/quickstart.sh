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
# The main job. Until the pipelines land it is the backend report: which tfjs backends this
# machine has, each checked against a float64 reference.
pnpm exec pgen backends
