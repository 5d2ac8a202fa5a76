#!/usr/bin/env bash
# Regenerates chain-specs/local-testnet.json (raw, validators Alice, Bob, Charlie, Dave) from
# the node's built-in `local` spec. With --check, fails if the committed file differs from
# what the current node exports (run scripts/chain-spec.sh to update it).
#
# The check compares every field and every genesis storage entry except the runtime code
# (`:code`): rustc derives symbol hashes from where the checkout lives, so two clones build
# Wasm runtimes that behave the same but differ in bytes. That the committed `:code` is the
# current runtime is checked by tests/e2e/local-testnet.sh, which runs it and compares its
# metadata with worker/artifacts/kiln-metadata.scale (itself checked against the runtime by
# the runtime test `worker_metadata_is_current`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

committed="$KILN_ROOT/chain-specs/local-testnet.json"
fresh=$(mktemp)
trap 'rm -f "$fresh"' EXIT
"$KILN_BIN/kiln-node" export-chain-spec --chain local --raw 2>/dev/null >"$fresh"

if [[ ${1:-} != --check ]]; then
	cat "$fresh" >"$committed"
	echo "wrote $committed ($(wc -c <"$committed") bytes)"
	exit 0
fi

python3 - "$committed" "$fresh" <<'PY'
import json, sys

CODE = "0x3a636f6465"  # twox-free well-known key ":code"
committed, fresh = (json.load(open(path)) for path in sys.argv[1:3])

def without_code(spec):
    top = spec["genesis"]["raw"]["top"]
    code = top.pop(CODE, None)
    if not code or len(code) < 1000:
        sys.exit(f"{sys.argv[1]}: no runtime code in the raw genesis")
    return spec

a, b = without_code(committed), without_code(fresh)
if a != b:
    top_a, top_b = a["genesis"]["raw"]["top"], b["genesis"]["raw"]["top"]
    changed = sorted(k for k in top_a.keys() | top_b.keys() if top_a.get(k) != top_b.get(k))
    other = sorted(k for k in a.keys() | b.keys() if k != "genesis" and a.get(k) != b.get(k))
    print("chain-specs/local-testnet.json is stale: the node exports a different spec.", file=sys.stderr)
    if other:
        print(f"  fields that differ: {', '.join(other)}", file=sys.stderr)
    if changed:
        print(f"  {len(changed)} genesis storage entries differ, e.g. {', '.join(changed[:5])}", file=sys.stderr)
    print("Regenerate it with scripts/chain-spec.sh and commit the result.", file=sys.stderr)
    sys.exit(1)
print("chain-specs/local-testnet.json matches the node's export (all fields and genesis entries; :code checked by the local testnet test)")
PY
