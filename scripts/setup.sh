#!/usr/bin/env bash
# `npm run setup`: installs everything the tests need on a fresh Debian machine with Node 20:
# the npm packages; Debian's python3-torch, numpy, Pillow, onnx and OpenBLAS (the training smoke
# test, weights read back out of a bundle), Chromium and the fonts the data generator renders with (browser, end-to-end and
# training suites); code-server under Node 24 for the
# end-to-end suite (scripts/setup-e2e.sh). Safe to run again; quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
for pkg in python3-torch python3-numpy python3-pil python3-onnx libopenblas0-openmp chromium fonts-dejavu-core fonts-liberation fonts-noto-core fonts-noto-mono; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  echo "setup: apt-get install ${need_apt[*]}"
  bash scripts/retry.sh $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive bash scripts/retry.sh $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
[ -d node_modules/onnxruntime-web ] || bash scripts/retry.sh npm ci --no-audit --no-fund
bash scripts/setup-e2e.sh
