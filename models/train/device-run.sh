#!/usr/bin/env bash
# One prepared GPU run: trains the three diffusion stages of the embedded cascade at
# once on one CUDA device, each resuming from models/checkpoints/<stage>/ema.pt, and
# leaves the new fp16 EMA checkpoints (each < 16 MiB) and logs in $OUT.
#
#   OUT=/tmp/out MINUTES=8 bash models/train/device-run.sh
#
# The CPU cores render the procedural world (`--workers`), the GPU trains; the
# split below was sized for a 16-core host (base 64 px renders ~1.3k images/s per
# worker, 256 px ~220 SR crops/s, 1024 px ~50 crops/s). A stage that dies within
# its first two minutes (e.g. bf16 autocast trouble on an untried torch) is
# retried once in fp32 for the time left. Each log line says how much of the time
# went to waiting for data ("waiting for data N%"): near 0% means the GPU side
# (or the trainer process) is the limit, not the render workers.
set -u
OUT="${OUT:-/tmp/imagen-train-out}"
MINUTES="${MINUTES:-8}"
DEVICE="${DEVICE:-cuda}" # DEVICE=cpu only to try the script itself
PYTHON="${PYTHON:-python3}"
cd "$(dirname "$0")/../.."
mkdir -p "$OUT"
{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  nproc
  "$PYTHON" -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__, "cuda", torch.cuda.is_available())'
} > "$OUT/env.txt" 2>&1

train() { # stage minutes args...
  local stage=$1 minutes=$2
  shift 2
  PYTHONUNBUFFERED=1 timeout -s TERM "$(python3 -c "print(int($minutes * 60 + 90))")" \
    "$PYTHON" -m models.train --stage "$stage" --minutes "$minutes" --device "$DEVICE" --threads 1 \
    --save-minutes 2 --anneal "$@" >> "$OUT/$stage.log" 2>&1
}

run_stage() { # stage args...
  local stage=$1 t0=$SECONDS rc
  train "$@"
  rc=$?
  echo "exit $rc after $((SECONDS - t0)) s" >> "$OUT/$stage.log"
  if [ "$rc" -ne 0 ] && [ $((SECONDS - t0)) -lt 120 ]; then
    local left
    left="$(python3 -c "print(round($MINUTES - ($SECONDS - $t0) / 60 - 0.3, 2))")"
    echo "retrying in fp32 for $left minutes" >> "$OUT/$stage.log"
    shift 2
    IMAGEN_TRAIN_AMP=0 train "$stage" "$left" "$@"
    echo "exit $? after $((SECONDS - t0)) s" >> "$OUT/$stage.log"
  fi
  cp "models/checkpoints/$stage/ema.pt" "$OUT/$stage-ema.pt"
  # JOINT_ENCODER=1: the base trained the text encoder too (the SR stages of the same run read it frozen, as it was)
  if [ "$stage" = base64 ] && [ -n "${JOINT_ENCODER:-}" ]; then cp models/checkpoints/encoder/ema.pt "$OUT/encoder-ema.pt"; fi
}

# STAGES picks the stages; WORKERS_<STAGE> re-splits the cores among them; BATCH_<STAGE> and LR_<STAGE>
# change a stage's batch and learning rate (the 2026-11-29 runs used the defaults below: at batch 128 the
# 5.4 M-parameter base made ~11 steps/s, i.e. it was bound by per-step launch work, not by FLOPs, so a larger
# base batch should raise images/s nearly in proportion; raise its lr with it, e.g. BATCH_BASE64=512 LR_BASE64=6e-4).
# MIX_BASE64 is the base's scene mix (models/world/sample.py): `bench` (objects per scene as ShapesBench asks; see
# the model card's Data section) unless set; MIX_BASE64=v1 keeps the stream the committed models trained on.
for stage in ${STAGES:-base64 sr256 sr1024}; do
  case "$stage" in
    base64) run_stage base64 "$MINUTES" --workers "${WORKERS_BASE64:-5}" --batch "${BATCH_BASE64:-128}" --lr "${LR_BASE64:-4e-4}" --mix "${MIX_BASE64:-bench}" ${JOINT_ENCODER:+--joint-encoder} ${ENCODER_LR:+--encoder-lr "$ENCODER_LR"} & ;;
    sr256) run_stage sr256 "$MINUTES" --workers "${WORKERS_SR256:-6}" --batch "${BATCH_SR256:-48}" --lr "${LR_SR256:-3e-4}" & ;;
    sr1024) run_stage sr1024 "$MINUTES" --workers "${WORKERS_SR1024:-3}" --batch "${BATCH_SR1024:-16}" --lr "${LR_SR1024:-4e-4}" & ;;
    *) echo "unknown stage $stage" >&2 ;;
  esac
done
wait
nvidia-smi --query-gpu=memory.used --format=csv,noheader >> "$OUT/env.txt" 2>&1 || true
ls -la "$OUT"
tail -n 4 "$OUT"/*.log
