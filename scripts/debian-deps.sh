#!/usr/bin/env bash
# The Debian packages the tests need, in one place (.ci/run and scripts/test.sh
# both run this). Debian's PyTorch/ONNX/SentencePiece/NumPy/Pillow produce the
# golden fixtures and the torch-vs-ONNX checks; chromium runs the end-to-end
# tests (Playwright downloads no browser). Installs the missing ones with apt as
# root or through passwordless sudo; where it cannot, it names them in one line
# and fails, since the suite cannot pass without them.
#   scripts/debian-deps.sh          install what is missing
#   scripts/debian-deps.sh --list   print the list
set -euo pipefail
pkgs=(python3-torch python3-onnx python3-sentencepiece python3-numpy python3-pil chromium)
if [ "${1:-}" = "--list" ]; then echo "${pkgs[*]}"; exit 0; fi

if ! command -v dpkg >/dev/null; then
  echo "debian-deps: not a Debian system (no dpkg); the tests need the equivalents of: ${pkgs[*]}" >&2
  exit 0
fi
missing=()
for p in "${pkgs[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n)
else
  echo "debian-deps: missing Debian packages; install them as root and rerun: apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "debian-deps: installing ${missing[*]} with apt" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
