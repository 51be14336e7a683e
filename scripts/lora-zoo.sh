#!/usr/bin/env bash
# Collects the LoRA zoo of issue #8 (COND P-DIFF) on CPU (wasm backend) into zoos/lora-rotated-chain:
# LoRA adapters (PEFT folders, rank 4, alpha 8, on the attention's qkv and proj) of the tiny MNIST
# ViT for MNIST rotated by 0°, 15°, …, 345° (24 tasks), 800 steps each, keeping the last 100.
# The tasks train as a chain (each from the previous seen angle's last adapter) that never starts
# from the held-out angles of configs/cond-pdiff-heldout.txt. The earlier zoo, every task from one
# shared init (reports/cond-pdiff-rotated-mnist-shared-init.md), is the same command without
# --chain/--chain-skip and with --out zoos/lora-rotated.
# The base is the last checkpoint of the ViT rpg zoo (zoos/vit-rpg, ~97% upright), collected
# first if it is absent or unfinished (~15 min). Both steps resume when rerun.
# About 30 min for the LoRA zoo on a 2-core CPU (~84 ms a step with the other core busy).
set -euo pipefail
cd "$(dirname "$0")/.."
pgen() { node packages/pipelines/bin/pgen.mjs "$@"; }
[ -f packages/pipelines/dist/cli/main.js ] || [ -d packages/pipelines/dist ] ||
  npx turbo run build --filter=@pgen/pipelines
if [ ! -f zoos/vit-rpg/zoo.json ] || [ ! -f zoos/vit-rpg/vit-rpg-0049.safetensors ] ||
  grep -q '"resume"' zoos/vit-rpg/zoo.json; then
  pgen zoo collect --arch vit --strategy rpg --out zoos/vit-rpg
fi
pgen zoo lora --out zoos/lora-rotated-chain --base zoos/vit-rpg/vit-rpg-0049.safetensors \
  --chain --chain-skip configs/cond-pdiff-heldout.txt "$@"
