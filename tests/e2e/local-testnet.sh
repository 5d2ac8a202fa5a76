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
echo "local testnet: ok"
