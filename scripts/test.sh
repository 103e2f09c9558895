#!/usr/bin/env bash
# Runs every test: typecheck, lint, vitest (unit + integration) and the
# Playwright e2e suite. First installs what the tests need: the Debian packages
# (scripts/debian-deps.sh, with apt as root or through sudo; otherwise it names
# them in one line), Node >= 22 (scripts/bootstrap.sh) and the npm dependencies
# from the lockfile when they are missing or stale (scripts/ensure-deps.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/debian-deps.sh
source scripts/bootstrap.sh
scripts/ensure-deps.sh
npm test
