#!/usr/bin/env bash
# Sets up and runs the whole system on the embedded model, all on 127.0.0.1:
#   runner (gpu-runner, :8790) → edge (wrangler dev / workerd, :8787) → notebook (Next.js, :3000)
# Installs Node 24 (if the system's is older) and npm dependencies on first use.
# Ctrl+C stops all three. Local state (keys, wrangler state, logs) lives in .local/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/bootstrap.sh
scripts/ensure-deps.sh
export NEXT_TELEMETRY_DISABLED=1 WRANGLER_SEND_METRICS=false ONNXRUNTIME_NODE_INSTALL=skip
export RUNNER_MODEL_DIR="${RUNNER_MODEL_DIR:-$root/models/embedded}"
logs="$root/.local/logs"
mkdir -p "$logs"

# The services and everything they spawn (npm → next-server, wrangler → workerd)
# share this script's process group, so one signal to the group stops them all,
# and a SIGKILL of the group (as test runners do) leaves nothing behind.
pids=()
stop() {
  trap - INT EXIT
  trap '' TERM
  kill -TERM 0 2>/dev/null || true
  wait 2>/dev/null || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

wait_for() { # name url seconds
  local name=$1 url=$2 limit=$3 start=$SECONDS
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "start: the $name exited; see $logs/" >&2; exit 1; }
    done
    if (( SECONDS - start > limit )); then echo "start: the $name is not up after ${limit}s; see $logs/" >&2; exit 1; fi
    sleep 1
  done
}

echo "runner: loading $RUNNER_MODEL_DIR (log: .local/logs/runner.log)"
RUNNER_KEYS_FILE="${RUNNER_KEYS_FILE:-$(node gpu-runner/src/service/dev-keys.ts)}" \
  node gpu-runner/src/server.ts >"$logs/runner.log" 2>&1 &
pids+=($!)
wait_for runner http://127.0.0.1:8790/v2/health/ready 600

echo "edge: wrangler dev (log: .local/logs/edge.log)"
node workers/edge/scripts/start.ts >"$logs/edge.log" 2>&1 &
pids+=($!)
wait_for edge http://127.0.0.1:8787/health 300

echo "notebook: building (first run only) and starting (log: .local/logs/notebook.log)"
npm run --silent build -w apps/notebook >"$logs/notebook-build.log" 2>&1 || { echo "start: notebook build failed; see $logs/notebook-build.log" >&2; exit 1; }
npm run --silent start -w apps/notebook >"$logs/notebook.log" 2>&1 &
pids+=($!)
wait_for notebook http://127.0.0.1:3000/ 300

echo
echo "imagen-ts is up. Open the notebook: http://127.0.0.1:3000"
echo "  edge API:  http://127.0.0.1:8787/v1/openapi.json  (dev key in .local/dev-api-key)"
echo "  runner:    http://127.0.0.1:8790/v2/health/ready"
echo "Ctrl+C stops all three."
wait -n "${pids[@]}"
echo "start: a service exited; stopping the others (logs in $logs/)" >&2
exit 1
