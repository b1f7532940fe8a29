#!/usr/bin/env bash
# Run a command on the pinned Node.js (NODE_VERSION in tools/versions.env), whatever Node the
# machine has: its bin goes first on PATH, so `#!/usr/bin/env node` tools (tap, tsx) and every
# child process they start use it. Installs it first when it is missing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../tools/versions.env
source "$here/tools/versions.env"
bin=${DRIFTGATE_TOOLS_DIR:-$HOME/.cache/driftgate/tools}/node-$NODE_VERSION/bin
[ -x "$bin/node" ] || bash "$here/scripts/tools.sh" node >&2
export PATH="$bin:$PATH"
exec "$@"
