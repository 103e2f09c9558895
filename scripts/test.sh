#!/usr/bin/env bash
# Runs every test: typecheck, lint, unit + integration (vitest). Installs npm
# dependencies from the lockfile first when they are missing or stale.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/bootstrap.sh
scripts/ensure-deps.sh
npm test
