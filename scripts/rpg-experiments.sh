#!/usr/bin/env bash
# Reproduces the RPG experiments of issue #7 on CPU (wasm backend), from the zoos that
# scripts/zoo-baselines.sh collects (zoos/mlp-rpg, zoos/resnet-rpg, zoos/vit-rpg):
#   reports/rpg-mnist-resnet.{json,md}, reports/rpg-mnist-vit.{json,md}: 20 generated models each;
#   reports/rpg-ablation.{json,md}: prior mamba / lstm / none and teacher forcing, same budget, the demo's MLP zoo.
# Each step resumes: fits checkpoint every 200 steps, and a fitted pipeline with the same config is reused.
# About 1.5 h on 2 cores (the resnet and vit fits take ~30 min each when run two at a time).
set -euo pipefail
cd "$(dirname "$0")/.."
pgen() { node packages/pipelines/bin/pgen.mjs "$@"; }
# The ResNet's BatchNorm running means are z-scored per element (configs/rpg-mnist-resnet-bn.json);
# the ViT has no BatchNorm.
pgen rpg experiment --zoo zoos/resnet-rpg --work runs/resnet-bn --report reports/rpg-mnist-resnet \
  --config configs/rpg-mnist-resnet-bn.json --count 20
pgen rpg experiment --zoo zoos/vit-rpg --work runs/vit --report reports/rpg-mnist-vit \
  --config configs/rpg-mnist.json --count 20
# The ablation runs on the demo's MLP zoo with the demo's config as it was measured: the element-
# wise loss mean (the default is now per-token), so every arm has the same budget and loss.
[ -f demo/zoo/zoo.json ] || pgen demo
reports=()
for variant in mamba lstm none mamba-tf; do
  work="runs/abl-$variant"
  case $variant in
    mamba) flags=(--prior mamba --count 10) ;;
    mamba-tf) flags=(--prior mamba --teacher-forcing --count 10) ;;
    lstm) flags=(--prior lstm --count 5) ;;
    *) flags=(--prior "$variant" --count 10) ;;
  esac
  pgen rpg experiment --zoo demo/zoo --work "$work" --report "reports/rpg-ablation/mlp-$variant" \
    --config configs/rpg-demo.json --loss-reduction element "${flags[@]}"
  reports+=("reports/rpg-ablation/mlp-$variant.json")
done
pgen rpg compare --reports "${reports[@]}" --out reports/rpg-ablation --title "RPG ablation: prior and teacher forcing (MNIST MLP zoo)"
