#!/usr/bin/env bash
# The GPU runner on a GPU, in one go (issue 14): everything as JSON under $OUT.
#   OUT=/tmp/out bash gpu-runner/scripts/gpu-proof.sh                # on the GPU machine, after the training script
#   OUT=/tmp/out bash gpu-runner/scripts/gpu-proof.sh --dry-run      # anywhere: the CPU halves, the CUDA parts marked skipped
#
# Steps (each capped so the whole stays inside --budget seconds, 230 by default):
#   env.json      what the machine offers (probe_env.py: GPU, driver, Python onnxruntime and its
#                 provider files, torch, CUDA/cuDNN/Vulkan libraries); local files only
#   provider      the CUDA provider from local files: --cuda-provider-dir / RUNNER_CUDA_PROVIDER_DIR,
#                 else Python onnxruntime's capi/ folder, else .ort-cuda/ in the repository; pip's
#                 nvidia-*/lib folders go on LD_LIBRARY_PATH; preflight by runtime/ort.ts
#   cascade.json  the cascade on CUDA vs the CPU engine at each size, same seed: max abs pixel
#                 difference, PSNR, ms per step per stage, s per image, the fingerprint
#   torch.json    base stage step, ORT (cuda, and webgpu when a Vulkan loader is there) vs
#                 PyTorch eager and torch.compile, batch 2 and 16, same weights and inputs
#   runner-bench.json  the runner at concurrency 1/4/8/16 on CUDA (images/s, p50/p95, batch)
#   summary.json  each part measured or skipped (with why), the ratios, seconds per step
# Nothing is downloaded and no GPU time goes to setup.
set -u
cd "$(dirname "$0")/../.."
ROOT="$PWD"

DRY=0 MODEL=models/embedded SIZES=64,256,1024 BATCHES=2,16 CONC=1,4,8,16 JOBS=0 BUDGET=230
PROVIDER_DIR="${RUNNER_CUDA_PROVIDER_DIR:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1 ;;
    --model) MODEL=$2; shift ;;
    --sizes) SIZES=$2; shift ;;
    --batches) BATCHES=$2; shift ;;
    --concurrency) CONC=$2; shift ;;
    --jobs) JOBS=$2; shift ;;
    --budget) BUDGET=$2; shift ;;
    --cuda-provider-dir) PROVIDER_DIR=$2; shift ;;
    *) echo "gpu-proof: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done
OUT="${OUT:-/tmp/gpu-proof-out}"
mkdir -p "$OUT"
WORK=$(mktemp -d) # intermediate files (torch dumps, raw outputs): not among the results
trap 'rm -rf "$WORK"' EXIT
LOG="$OUT/log.txt"
: > "$LOG"
log() { echo "[$(date -u +%T) +${SECONDS}s] $*" | tee -a "$LOG" >&2; }
# seconds a step may take: its cap, or what is left of the budget less a 10 s reserve for the summary
cap() { local left=$((BUDGET - SECONDS - 10)); [ "$1" -lt "$left" ] && echo "$1" || echo $((left > 5 ? left : 5)); }
declare -A STEP_S STATUS
step() { # name cap command...
  local name=$1 limit t0=$SECONDS rc
  limit=$(cap "$2")
  shift 2
  log "$name (at most ${limit}s)"
  timeout -k 5 "$limit" "$@" >> "$LOG" 2>&1
  rc=$?
  STEP_S[$name]=$((SECONDS - t0))
  STATUS[$name]=$([ $rc -eq 0 ] && echo ok || ([ $rc -eq 124 ] && echo "timed out after ${limit}s" || echo "exit $rc"))
  log "$name: ${STATUS[$name]} in ${STEP_S[$name]}s"
  return $rc
}

case "$(basename "$MODEL")" in tiny) TORCH_MODEL=tiny ;; *) TORCH_MODEL=embedded ;; esac
[ "$JOBS" -gt 0 ] || JOBS=$([ $DRY -eq 1 ] && echo 4 || echo 0) # 0: 2 x concurrency per level, at least 8
PYTHON="${PYTHON:-python3}"
# the Python that has torch: python3 on the GPU image, Debian's on the dev machines
if ! "$PYTHON" -c 'import torch' 2>/dev/null && /usr/bin/python3 -c 'import torch' 2>/dev/null; then PYTHON=/usr/bin/python3; fi
log "gpu-proof: dry run $DRY, model $MODEL, sizes $SIZES, batches $BATCHES, concurrency $CONC, budget ${BUDGET}s, python $PYTHON"

step env 30 sh -c "\"$PYTHON\" gpu-runner/scripts/gpu-proof/probe_env.py > \"$OUT/env.json\""

# ---- the CUDA provider, from local files ----------------------------------
CUDA=0 CUDA_WHY="dry run: CUDA parts skipped" WEBGPU=0 WEBGPU_WHY="dry run: GPU parts skipped"
if [ $DRY -eq 0 ]; then
  # pip's CUDA libraries (nvidia-*/lib) for the provider's dependencies; the driver's own folder too
  NV_DIRS=$("$PYTHON" -c 'import json,sys; print(":".join(json.load(open(sys.argv[1])).get("pipNvidiaLibDirs", [])))' "$OUT/env.json" 2>/dev/null)
  export LD_LIBRARY_PATH="${NV_DIRS:+$NV_DIRS:}${LD_LIBRARY_PATH:-}"
  if [ -z "$PROVIDER_DIR" ]; then
    CAPI=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("onnxruntime", {}).get("capi", ""))' "$OUT/env.json" 2>/dev/null)
    for d in "$CAPI" "$ROOT/.ort-cuda"; do
      if [ -n "$d" ] && [ -f "$d/libonnxruntime_providers_cuda.so" ]; then PROVIDER_DIR=$d; break; fi
    done
  fi
  if [ -z "$PROVIDER_DIR" ]; then
    CUDA_WHY="no libonnxruntime_providers_cuda.so on this machine: not in Python onnxruntime's capi/ (${CAPI:-no onnxruntime}; see env.json: the CPU wheel ships only providers_shared), not in .ort-cuda/, none given"
  else
    PREFLIGHT=$(node -e '
      const { configureCuda, diagnoseCuda } = await import("./gpu-runner/src/runtime/ort.ts");
      configureCuda({ providerDir: process.argv[1] });
      const p = diagnoseCuda();
      console.log(p ? `${p.code}: ${p.message}` : "ok");' --input-type=module "$PROVIDER_DIR" 2>&1 | tail -n 1)
    log "CUDA provider from $PROVIDER_DIR: $PREFLIGHT"
    if [ "$PREFLIGHT" = ok ]; then CUDA=1 CUDA_WHY=""; else CUDA_WHY="$PREFLIGHT"; fi
  fi
  # WebGPU (bundled in onnxruntime-node, Dawn on Vulkan): the next best GPU path when CUDA cannot be had
  for f in "$ROOT"/.gl/*.deb; do [ -f "$f" ] && dpkg -x "$f" / && ldconfig; done 2>/dev/null
  if ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
    WEBGPU=1 WEBGPU_WHY=""
    icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    [ -f "$icd" ] && export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
  else
    WEBGPU_WHY="no Vulkan loader (libvulkan.so.1): carry libvulkan1 as .gl/*.deb (see gpu-runner/README.md)"
  fi
fi
log "cuda: $([ $CUDA -eq 1 ] && echo yes || echo "no ($CUDA_WHY)"); webgpu: $([ $WEBGPU -eq 1 ] && echo yes || echo "no ($WEBGPU_WHY)")"
PDIR_ARGS=()
[ $CUDA -eq 1 ] && PDIR_ARGS=(--cuda-provider-dir "$PROVIDER_DIR")

# ---- 1. the cascade on CUDA vs the CPU engine -------------------------------
step cascade 110 node gpu-runner/scripts/gpu-proof/cascade-check.ts --model "$MODEL" --sizes "$SIZES" \
  --device "$([ $CUDA -eq 1 ] && echo cuda || echo none)" "${PDIR_ARGS[@]}" --out "$OUT/cascade.json"

# ---- 2. the runner's bench on the GPU (batching; before the PyTorch part, whose torch.compile may eat the rest)
if [ $CUDA -eq 1 ] || [ $DRY -eq 1 ]; then
  [ "$JOBS" -gt 0 ] && JOB_ARGS=(--jobs "$JOBS") || JOB_ARGS=(--jobs 32)
  [ $CUDA -eq 1 ] && export RUNNER_CUDA_PROVIDER_DIR="$PROVIDER_DIR"
  step runner-bench 70 node gpu-runner/bench-runner/bench.ts --model "$MODEL" --size 64 "${JOB_ARGS[@]}" --concurrency "$CONC" \
    --device "$([ $CUDA -eq 1 ] && echo cuda || echo cpu)" --max-batch 16 --burst 0 --json "$OUT/runner-bench.json"
else
  STATUS[runner-bench]="skipped: the runner serves CUDA or CPU only, and CUDA is not available ($CUDA_WHY)"
fi

# ---- 3. ORT vs PyTorch, base stage -------------------------------------------
TORCH_DEVICE=$([ $DRY -eq 1 ] && echo cpu || echo cuda)
step torch-eager 45 sh -c "\"$PYTHON\" gpu-runner/scripts/gpu-proof/torch_step.py --model $TORCH_MODEL --device $TORCH_DEVICE --mode eager --batches $BATCHES --dump \"$WORK\" $([ $DRY -eq 1 ] && echo '--warmup 1 --iters 3') > \"$WORK/torch-eager.json\""
PROVIDERS=$([ $DRY -eq 1 ] && echo cpu || echo "$([ $CUDA -eq 1 ] && echo cuda,)$([ $WEBGPU -eq 1 ] && echo webgpu)")
if [ -n "$PROVIDERS" ]; then
  step step-vs-torch 45 node gpu-runner/scripts/gpu-proof/step-vs-torch.ts --eager "$WORK/torch-eager.json" \
    --providers "$PROVIDERS" "${PDIR_ARGS[@]}" $([ $DRY -eq 1 ] && echo '--warmup 1 --iters 3') --out "$OUT/torch.json"
else
  STATUS[step-vs-torch]="skipped: neither CUDA ($CUDA_WHY) nor WebGPU ($WEBGPU_WHY)"
fi

# torch.compile last: a slow compile can only cost its own numbers (summarize.py merges them into torch.json)
step torch-compile 60 sh -c "\"$PYTHON\" gpu-runner/scripts/gpu-proof/torch_step.py --model $TORCH_MODEL --device $TORCH_DEVICE --mode compile --batches $BATCHES --dump \"$WORK\" > \"$WORK/torch-compile.json\""

# ---- summary ------------------------------------------------------------------
STATUS_JSON=$(for k in "${!STATUS[@]}"; do printf '%s\t%s\t%s\n' "$k" "${STATUS[$k]}" "${STEP_S[$k]:-0}"; done)
"$PYTHON" gpu-runner/scripts/gpu-proof/summarize.py --out "$OUT" --work "$WORK" --dry-run "$DRY" --cuda "$CUDA" --cuda-why "$CUDA_WHY" \
  --webgpu "$WEBGPU" --webgpu-why "$WEBGPU_WHY" --provider-dir "$PROVIDER_DIR" --seconds "$SECONDS" --budget "$BUDGET" <<< "$STATUS_JSON" >> "$LOG" 2>&1
log "done in ${SECONDS}s: $(ls "$OUT" | tr '\n' ' ')"
[ -f "$OUT/summary.json" ]
