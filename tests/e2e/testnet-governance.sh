#!/usr/bin/env bash
# The validator set under governance on a real network: the four-validator local testnet, its
# runtime swapped for the 1-minute-epoch build (runtime/test-variants/fast) so that sessions
# change every minute, plus Eve's node. Eve registers her session keys; a Council motion adds
# her and she authors blocks from the session after next; a motion removes Dave and he stops
# authoring; finality advances throughout (testnet-governance.mjs).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
source "$KILN_ROOT/tests/e2e/lib.sh"

base=$(mktemp -d -t kiln-testnet-gov.XXXXXX)
trap 'kiln_cleanup; rm -rf "$base"' EXIT

fast_runtime="$KILN_BIN/wbuild/kiln-runtime-fast/kiln_runtime_fast.compact.compressed.wasm"
[[ -f $fast_runtime ]] || fail "no $fast_runtime: build the workspace first"

step "testnet governance: the local testnet's spec with the 1-minute-epoch runtime"
TESTNET_SPEC="$base/spec.json"
"$KILN_BIN/kiln-node" export-chain-spec --chain local --raw 2>/dev/null >"$base/local.json" ||
	fail "export-chain-spec --chain local --raw"
python3 - "$base/local.json" "$fast_runtime" "$TESTNET_SPEC" <<'PY' || fail "cannot swap the runtime"
import json, sys
spec = json.load(open(sys.argv[1]))
top = spec["genesis"]["raw"]["top"]
assert "0x3a636f6465" in top, "no :code in the raw genesis"
top["0x3a636f6465"] = "0x" + open(sys.argv[2], "rb").read().hex()
spec["id"] = "kiln_local_testnet_fast"
json.dump(spec, open(sys.argv[3], "w"))
PY

# Eve runs a validator node from the start, but is not in the set until the Council adds her.
TESTNET_NAMES=(alice bob charlie dave eve)
step "testnet governance: starting alice, bob, charlie, dave (validators) and eve (not yet)"
start_testnet "$base"
alice=${TESTNET_RPC[alice]}
wait_until 60 "alice's RPC" rpc "$alice" system_health
wait_until 60 "alice to see 4 peers" peers_at_least "$alice" 4
wait_until 120 "finality to reach #3" finalized_at_least "$alice" 3
echo "testnet governance: finalized #$(finalized_number "$alice")"

step "testnet governance: Eve joins by motion, Dave leaves by motion (testnet-governance.mjs)"
KILN_WS="ws://127.0.0.1:$alice" KILN_EVE_WS="ws://127.0.0.1:${TESTNET_RPC[eve]}" \
	node "$KILN_ROOT/tests/e2e/testnet-governance.mjs" || fail "testnet-governance.mjs failed"
rm -rf "$KILN_LOG_DIR" # kept only when a test fails
echo "testnet governance: ok"
