#!/usr/bin/env bash
# Reproduces the RPG experiments of issue #7 on CPU (wasm backend), from the zoos that
# scripts/zoo-baselines.sh collects (zoos/mlp-rpg, zoos/resnet-rpg, zoos/vit-rpg):
#   reports/rpg-mnist-resnet.{json,md}, reports/rpg-mnist-vit.{json,md}: 20 generated models each;
#   reports/rpg-ablation.{json,md}: prior mamba / lstm / none and teacher forcing, same budget, mlp zoo.
# Each step resumes: fits checkpoint every 200 steps, and a fitted pipeline with the same config is reused.
# Hours on 2 cores (resnet/vit fits ~45 min each when run two at a time).
set -euo pipefail
cd "$(dirname "$0")/.."
pgen() { node packages/pipelines/bin/pgen.mjs "$@"; }
for arch in resnet vit; do
  pgen rpg experiment --zoo "zoos/$arch-rpg" --work "runs/$arch" --report "reports/rpg-mnist-$arch" \
    --config configs/rpg-mnist.json --count 20
done
reports=()
for variant in mamba lstm none mamba-tf; do
  case $variant in
    mamba-tf) flags=(--prior mamba --teacher-forcing) ;;
    *) flags=(--prior "$variant") ;;
  esac
  pgen rpg experiment --zoo zoos/mlp-rpg --work "runs/mlp-$variant" --report "reports/rpg-ablation/mlp-$variant" \
    --config configs/rpg-demo.json "${flags[@]}" --count 10
  reports+=("reports/rpg-ablation/mlp-$variant.json")
done
pgen rpg compare --reports "${reports[@]}" --out reports/rpg-ablation --title "RPG ablation: prior and teacher forcing (MNIST MLP zoo)"
