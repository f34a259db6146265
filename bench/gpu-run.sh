#!/bin/bash
# The bench on the GPU machine (see bench/RESULTS.md, "H100"): webrnn's bundled bench at the
# issue's sizes and the PyTorch/cuDNN baseline, in the same run on the same card. From the
# repository root, after `bash ../shared/device/prepare.sh` and `npm run bench:bundle` here,
# with the device tool's carry [".gpu", "bench/dist"]:
#   bash bench/gpu-run.sh
# Writes into $OUT (the device's output folder; ./bench-out elsewhere):
#   torch.json  PyTorch + cuDNN (bench/dist/torch_probe.py)
#   bench.json  webrnn (node bench/dist/bench.mjs --json --full), PyTorch's figures beside its own
#   run.log     everything else: card, driver, versions, progress and webrnn's tables
set -uo pipefail
out=${OUT:-bench-out}
mkdir -p "$out"
for f in .gpu/activate.sh bench/dist/bench.mjs bench/dist/torch_probe.py; do
  [ -f "$f" ] || { echo "gpu-run: $f is missing; carry [\".gpu\", \"bench/dist\"] (see bench/RESULTS.md)" >&2; exit 2; }
done
{
  echo "gpu-run: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(cat bench/dist/COMMIT 2>/dev/null || echo unknown)"
  source .gpu/activate.sh
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
  # PyTorch first, so webrnn's tables carry its figures from this card side by side (--torch).
  # Both under time limits that fit one 600 s device command, with room for activate.sh.
  timeout 180 python3 bench/dist/torch_probe.py > "$out/torch.json"
  echo "gpu-run: torch_probe exit $?"
  cat "$out/torch.json"
  timeout 360 node bench/dist/bench.mjs --json --full --torch="$out/torch.json" > "$out/bench.json"
  echo "gpu-run: webrnn bench exit $?"
} 2>&1 | tee "$out/run.log"
