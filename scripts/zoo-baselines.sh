#!/usr/bin/env bash
# Reproduces reports/zoo-baselines.md: collects the default rpg zoo of each architecture
# (resumable: rerun after an interruption) and evaluates each against noise baselines.
# About an hour on a 2-core CPU with the wasm backend (ResNet ~30 min, ViT ~15 min).
set -euo pipefail
cd "$(dirname "$0")/.."
for arch in mlp resnet vit; do
  pnpm exec pgen zoo collect --arch "$arch" --strategy rpg --out "zoos/$arch-rpg"
done
pnpm exec pgen eval --zoo zoos/mlp-rpg zoos/resnet-rpg zoos/vit-rpg \
  --out reports/zoo-baselines --summary reports/zoo-baselines.md --noise-count 10
