#!/usr/bin/env bash
# Builds the Flex Consumption deployment package of the Function App:
#   dist/ (compiled by `npm run build`, benchmarks left out), the reference tables shipped in lib/
#   (CSV/JSON beside their compiled modules), host.json, package.json, and production dependencies
#   only (without Azurite), with onnxruntime-node's native binaries for linux-x64 alone (the other
#   platforms' binaries are most of its ~300 MB). About 210 MB unpacked instead of ~900 MB.
# Usage: infra/package-functionapp.sh [OUT.zip]     (default: artifacts/function-app.zip)
# Run `npm run build` first (`npm run infra:package` does both).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/artifacts/function-app.zip}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

cd "$root"
if [ ! -f dist/functions/index.js ]; then
  echo "package-functionapp: dist/functions/index.js is missing; run \`npm run build\` first." >&2
  exit 2
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage/dist"
cp -R dist/functions dist/lib "$stage/dist/"
# Reference tables read at run time (lib/standards/data-files.ts looks beside the compiled module).
(cd lib && find . -type f \( -name '*.csv' -o -name '*.json' \) ! -name '*.test.*' -print) | while IFS= read -r file; do
  mkdir -p "$stage/dist/lib/$(dirname "$file")"
  cp "lib/$file" "$stage/dist/lib/$file"
done
cp host.json package.json package-lock.json .npmrc "$stage/"

# Production dependencies exactly as locked; onnxruntime-node's install step (CUDA download) skipped.
# Azurite (and the ~250 MB of telemetry packages it pulls in) serves only the embedded default on a
# laptop; in Azure LAKE_STORAGE_ACCOUNT is set and it is never started, so it is left out.
(
  cd "$stage"
  export ONNXRUNTIME_NODE_INSTALL=skip
  npm ci --omit=dev --no-audit --no-fund --loglevel=error
  npm uninstall azurite --omit=dev --no-audit --no-fund --loglevel=error
)

# Keep only the linux-x64 native binaries of onnxruntime-node (Flex Consumption runs Linux x64).
ort="$stage/node_modules/onnxruntime-node/bin"
if [ -d "$ort" ]; then
  for napi in "$ort"/napi-v*; do
    for platform in "$napi"/*; do
      [ "$(basename "$platform")" = linux ] || rm -rf "$platform"
    done
    for arch in "$napi"/linux/*; do
      [ "$(basename "$arch")" = x64 ] || rm -rf "$arch"
    done
  done
  if ! ls "$ort"/napi-v*/linux/x64/onnxruntime_binding.node >/dev/null 2>&1; then
    echo "package-functionapp: onnxruntime-node linux-x64 binding not found under $ort" >&2
    exit 1
  fi
fi
# Source maps and TypeScript declarations are not needed at run time.
find "$stage/dist" -name '*.map' -delete

mkdir -p "$(dirname "$out")"
rm -f "$out"
(cd "$stage" && zip -q -r -X "$out" .)
echo "package-functionapp: wrote $out ($(du -h "$out" | cut -f1); unpacked $(du -sh "$stage" | cut -f1))"
