#!/usr/bin/env bash
# Builds kiln-node and starts a single-validator development chain (Alice) with a temporary
# ParityDB database. Ctrl-C stops it. Extra arguments are passed to kiln-node.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KILN_ROOT"

step "setup"
scripts/setup.sh
step "build: cargo build --release -p kiln-node -p kiln-worker"
cargo build --release --locked -p kiln-node -p kiln-worker

RPC_PORT=${RPC_PORT:-9944}
PROMETHEUS_PORT=${PROMETHEUS_PORT:-9615}
cat <<INFO

==> Kiln dev chain
    JSON-RPC / WebSocket : ws://127.0.0.1:$RPC_PORT
    polkadot.js Apps     : https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A$RPC_PORT#/explorer
    chain info           : $KILN_BIN/kiln-worker chain-info --url ws://127.0.0.1:$RPC_PORT
    Prometheus metrics   : http://127.0.0.1:$PROMETHEUS_PORT/metrics
    Funded dev accounts  : Alice, Bob, Charlie, Dave, Eve, Ferdie (Alice is validator and sudo)
    Stop with Ctrl-C; the database is temporary (--tmp).

INFO
exec "$KILN_BIN/kiln-node" --dev --tmp --rpc-port "$RPC_PORT" --prometheus-port "$PROMETHEUS_PORT" \
	--rpc-cors all "$@"
