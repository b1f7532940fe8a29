#!/usr/bin/env bash
# npm run demo: install what is missing (npm packages, the pinned toolchain), then run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/tsx ]; then
  echo "installing npm packages (npm ci)…"
  npm ci --no-audit --no-fund
fi
bash scripts/tools.sh
exec bash scripts/node.sh node_modules/.bin/tsx scripts/demo/main.ts "$@"
