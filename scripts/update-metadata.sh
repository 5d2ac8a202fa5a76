#!/usr/bin/env bash
# Regenerates worker/artifacts/kiln-metadata.scale (the metadata kiln-worker's typed API is
# generated from) from the current runtime. The runtime test `worker_metadata_is_current`
# fails until this is run after a runtime change.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KILN_ROOT"
KILN_BLESS_METADATA=1 cargo test --release -p kiln-runtime --lib worker_metadata_is_current
echo "wrote worker/artifacts/kiln-metadata.scale"
