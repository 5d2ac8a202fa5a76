#!/usr/bin/env bash
# Regenerates chain-specs/local-testnet.json (raw, validators Alice, Bob, Charlie, Dave) from
# the node's built-in `local` spec. With --check, fails if the committed file differs from
# what the current node exports (run scripts/chain-spec.sh to update it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

committed="$KILN_ROOT/chain-specs/local-testnet.json"
fresh=$(mktemp)
trap 'rm -f "$fresh"' EXIT
"$KILN_BIN/kiln-node" export-chain-spec --chain local --raw >"$fresh"

if [[ ${1:-} == --check ]]; then
	if ! cmp -s "$fresh" "$committed"; then
		echo "chain-specs/local-testnet.json is stale: the node exports a different raw spec." >&2
		echo "Regenerate it with scripts/chain-spec.sh and commit the result." >&2
		diff <(python3 -m json.tool "$committed" 2>/dev/null | cut -c1-160) \
			<(python3 -m json.tool "$fresh" | cut -c1-160) | head -20 >&2 || true
		exit 1
	fi
	echo "chain-specs/local-testnet.json matches the node's export"
else
	cat "$fresh" >"$committed"
	echo "wrote $committed ($(wc -c <"$committed") bytes)"
fi
