#!/bin/bash
# The bench on the GPU machine (see bench/RESULTS.md, "H100"): the PyTorch/cuDNN baseline and
# webrnn's bundled bench at the sizes, in the same run on the same card. From the
# repository root, after `bash ../shared/device/prepare.sh` and `npm run bench:bundle` here,
# with the device tool's carry [".gpu", "bench/dist"]:
#   bash bench/gpu-run.sh [stage …]      (default: torch torch-fp32 auto gpu-per-step parity)
# Stages, each under its own time limit so that one slow stage cannot cost the others:
#   torch      PyTorch + cuDNN (bench/dist/torch_probe.py)             → torch.json
#   torch-fp32 the same with TensorFloat-32 off (bench/torch_fp32.py)  → torch-fp32.json
#   parity     every kernel family against the CPU reference here       → parity.json
#   auto       webrnn --full --profile, kernels chosen from the adapter → bench.json
#   gpu, gpu-per-step, cpu   the same with that kernel family forced    → bench-<family>.json
# Writes into $OUT (the device's output folder; ./bench-out elsewhere), with run.log holding the
# card, driver, versions, progress and every table.
set -uo pipefail
out=${OUT:-bench-out}
mkdir -p "$out"
for f in .gpu/activate.sh bench/dist/bench.mjs bench/dist/torch_probe.py bench/dist/torch_fp32.py; do
  [ -f "$f" ] || { echo "gpu-run: $f is missing; carry [\".gpu\", \"bench/dist\"] (see bench/RESULTS.md)" >&2; exit 2; }
done
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(torch torch-fp32 auto gpu-per-step parity)
# PyTorch's figures beside webrnn's, both runs (a missing file only loses its columns)
torch_flags=(--torch="$out/torch.json" --torch-fp32="$out/torch-fp32.json")
{
  echo "gpu-run: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(cat bench/dist/COMMIT 2>/dev/null || echo unknown), stages ${stages[*]}"
  source .gpu/activate.sh
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
  for s in "${stages[@]}"; do
    t0=$(date +%s)
    case $s in
      torch) timeout 150 python3 bench/dist/torch_probe.py > "$out/torch.json"; rc=$?; cat "$out/torch.json" ;;
      torch-fp32) timeout 150 python3 bench/dist/torch_fp32.py > "$out/torch-fp32.json"; rc=$?; cat "$out/torch-fp32.json" ;;
      parity) timeout 120 node bench/dist/bench.mjs --json --parity --configs=gen-rnn-h256 --reps=1 --warmup=0 > "$out/parity.json"; rc=$? ;;
      auto) timeout 150 node bench/dist/bench.mjs --json --full --profile "${torch_flags[@]}" > "$out/bench.json"; rc=$? ;;
      gpu|gpu-per-step|cpu) timeout 90 node bench/dist/bench.mjs --json --full --profile --reps=8 --warmup=2 --kernels="$s" "${torch_flags[@]}" > "$out/bench-$s.json"; rc=$? ;;
      *) echo "gpu-run: unknown stage $s"; rc=2 ;;
    esac
    echo "gpu-run: stage $s exit $rc after $(( $(date +%s) - t0 )) s"
  done
} 2>&1 | tee "$out/run.log"
