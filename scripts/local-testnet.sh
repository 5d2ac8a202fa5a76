#!/usr/bin/env bash
# Four validators (Alice, Bob, Charlie, Dave) from chain-specs/local-testnet.json on this
# machine, loopback only. Their state lives under ${KILN_TESTNET_DIR:-/tmp/kiln-testnet};
# Ctrl-C stops all four. Build first: cargo build --release -p kiln-node.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$KILN_ROOT/tests/e2e/lib.sh"

[[ -x $KILN_BIN/kiln-node ]] || { echo "build kiln-node first: cargo build --release -p kiln-node" >&2; exit 1; }
base=${KILN_TESTNET_DIR:-/tmp/kiln-testnet}
KILN_LOG_DIR=$base/logs
mkdir -p "$KILN_LOG_DIR"
start_testnet "$base"
echo "local testnet: four validators; logs in $KILN_LOG_DIR"
for name in "${TESTNET_NAMES[@]}"; do
	echo "  $name: ws://127.0.0.1:${TESTNET_RPC[$name]}  (p2p ${TESTNET_P2P[$name]}, pid ${TESTNET_PID[$name]})"
done
echo "Ctrl-C stops them."
wait
