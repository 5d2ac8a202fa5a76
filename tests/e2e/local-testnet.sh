#!/usr/bin/env bash
# Local testnet: four validators from chain-specs/local-testnet.json on loopback. Finality
# advances; with Dave stopped it still advances (3 of 4 GRANDPA voters); Dave restarted on
# the same base path catches up. Bounded: each wait has a deadline.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
source "$KILN_ROOT/tests/e2e/lib.sh"

base=$(mktemp -d -t kiln-testnet.XXXXXX)
trap 'kiln_cleanup; rm -rf "$base"' EXIT

step "local testnet: starting alice, bob, charlie, dave"
start_testnet "$base"
alice=${TESTNET_RPC[alice]}
dave=${TESTNET_RPC[dave]}
wait_until 60 "alice's RPC" rpc "$alice" system_health
wait_until 60 "alice to see 3 peers" peers_at_least "$alice" 3
wait_until 120 "finality to reach #3" finalized_at_least "$alice" 3
echo "local testnet: four validators, finalized #$(finalized_number "$alice")"

# The committed spec's runtime is the current one: its metadata equals the metadata that the
# runtime test `worker_metadata_is_current` checks against the source.
rpc "$alice" state_call '["Metadata_metadata_at_version", "0x0f000000"]' >"$base/metadata.json" ||
	fail "cannot read the testnet's metadata"
python3 - "$base/metadata.json" "$KILN_ROOT/worker/artifacts/kiln-metadata.scale" <<'PY' ||
import json, sys
raw = bytes.fromhex(json.load(open(sys.argv[1]))[2:])
want = open(sys.argv[2], "rb").read()
# Option<OpaqueMetadata>: 0x01, then the SCALE compact length, then the bytes.
assert raw[0] == 1, "the runtime has no metadata v15"
mode = raw[1] & 3
offset = {0: 2, 1: 3, 2: 5}.get(mode) or sys.exit("metadata too large")
sys.exit(0 if raw[offset:] == want else f"metadata differs: {len(raw) - offset} vs {len(want)} bytes")
PY
	fail "chain-specs/local-testnet.json runs a different runtime: regenerate it with scripts/chain-spec.sh"
echo "local testnet: the committed chain spec runs the current runtime (metadata matches)"

step "local testnet: stopping dave"
stop_pid "${TESTNET_PID[dave]}"
before=$(finalized_number "$alice")
wait_until 120 "finality to advance 3 blocks without dave (from #$before)" finalized_at_least "$alice" $((before + 3))
echo "local testnet: without dave, finalized #$before -> #$(finalized_number "$alice")"

step "local testnet: restarting dave on the same base path"
start_validator dave "$base"
wait_until 60 "dave's RPC" rpc "$dave" system_health
target=$(best_number "$alice")
wait_until 120 "dave to import up to #$target" best_at_least "$dave" "$target"
wait_until 120 "dave to finalize #$target" finalized_at_least "$dave" "$target"
echo "local testnet: dave caught up to #$(best_number "$dave"), finalized #$(finalized_number "$dave")"
rm -rf "$KILN_LOG_DIR" # kept only when a test fails
echo "local testnet: ok"
