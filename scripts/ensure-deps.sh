#!/bin/sh
# Make the tree runnable: node_modules matching package-lock.json, and (unless
# --no-chromium) a Chromium whose bundled Vulkan loader + SwiftShader ICD give
# WebGPU to both headless Chromium (e2e) and Dawn in Node (scripts/gpu-env.sh).
# Silent when there is nothing to do.
#
#   sh scripts/ensure-deps.sh                 # npm deps + Chromium (npm test)
#   sh scripts/ensure-deps.sh --no-chromium   # npm deps only (npm start)
set -eu

cd "$(dirname "$0")/.."

want_chromium=1
for arg in "$@"; do
  case "$arg" in
    --no-chromium) want_chromium=0 ;;
    *) echo "ensure-deps: unknown option '$arg' (expected --no-chromium)" >&2; exit 2 ;;
  esac
done

# node_modules is current when its stamp (ours, written after a successful
# `npm ci`) or npm's own hidden lockfile (written by `npm install`) is at least
# as new as package-lock.json.
stamp=node_modules/.installed-stamp
needs_install() {
  [ -d node_modules ] || return 0
  for ref in "$stamp" node_modules/.package-lock.json; do
    if [ -e "$ref" ] && ! [ package-lock.json -nt "$ref" ]; then
      return 1
    fi
  done
  return 0
}

if needs_install; then
  echo "ensure-deps: node_modules is missing or older than package-lock.json; running npm ci" >&2
  npm ci --no-audit --no-fund
  touch "$stamp"
fi

[ "$want_chromium" = 1 ] || exit 0

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi

if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "ensure-deps: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file." >&2
  echo "  Point it at a Chromium or Chrome binary, or unset it to use /usr/bin/chromium." >&2
  exit 1
fi

if [ "$(id -u)" = 0 ]; then
  echo "ensure-deps: /usr/bin/chromium not found; installing Debian's chromium (headless WebGPU + SwiftShader)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
  exit 0
fi

cat >&2 <<'MSG'
ensure-deps: Chromium is needed for the tests but /usr/bin/chromium is missing.
  The e2e tests drive it headless, and the Node GPU tests load the Vulkan
  loader and SwiftShader that Debian's package ships in /usr/lib/chromium.
  Either install it:
      sudo apt-get install chromium
  or point CHROMIUM_PATH at another Chromium/Chrome binary:
      CHROMIUM_PATH=/opt/google/chrome/chrome npm test
MSG
exit 1
