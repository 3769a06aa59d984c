#!/usr/bin/env bash
# Installs everything the project and its tests need on a fresh Debian machine with Node 20:
# npm dependencies, and (for the training smoke test and the end-to-end suites) Debian's
# python3-torch and Chromium. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
for pkg in python3-torch python3-numpy python3-pil libopenblas0-openmp chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
npm ci --no-audit --no-fund
