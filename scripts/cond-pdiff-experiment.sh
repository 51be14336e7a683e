#!/usr/bin/env bash
# The COND P-DIFF study of issue #8, reproducing reports/cond-pdiff-rotated-mnist.{json,md}.
# Collects the rotated-MNIST LoRA zoo first (scripts/lora-zoo.sh: 24 rotations × 100 adapters
# trained as a chain, ~40 min), then fits a pipeline per condition (angle descriptor, learned task embedding, 32
# labelled examples) and the no-latent-noise ablation without the held-out angles of
# configs/cond-pdiff-heldout.txt, generates 10 adapters per task and arm, and measures them
# with the trained adapters, the autoencoder's reconstructions and the no-LoRA base on each
# rotated test split. Both steps resume or reuse what a previous run finished.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lora-zoo.sh
node packages/pipelines/bin/pgen.mjs cond-pdiff experiment --zoo zoos/lora-rotated-chain \
  --held-out configs/cond-pdiff-heldout.txt --work runs/cond-pdiff-chain \
  --report reports/cond-pdiff-rotated-mnist --config configs/cond-pdiff-rotated.json "$@"
