#!/usr/bin/env bash
# The demo. Builds kiln-node, kiln-worker and the example Wasm job (examples/wasm-jobs), then:
#   1. starts a single-validator dev chain (Alice validates and is sudo);
#   2. bonds and registers one CPU-only worker (Charlie) and starts `kiln-worker run`;
#   3. as a client (Alice), posts the example Wasm job, its module and input served over local
#      HTTP, then a Gemm job; prints each one's life on chain (bids, award, commitment, reveal,
#      sampling, settlement, payment), then fetches its output from the worker and checks it
#      against the revealed hash (blake2-256, or for the Gemm job the Merkle root of C).
# The node, the worker and the content server keep running; the end says how to stop them.
#   scripts/dev.sh --node-only [kiln-node args…]   just the dev chain, in the foreground
# Ports: RPC_PORT (9944), PROMETHEUS_PORT (9615), GATEWAY_PORT (8080), CONTENT_PORT (8081).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KILN_ROOT"

RPC_PORT=${RPC_PORT:-9944}
PROMETHEUS_PORT=${PROMETHEUS_PORT:-9615}
GATEWAY_PORT=${GATEWAY_PORT:-8080}
CONTENT_PORT=${CONTENT_PORT:-8081}

step "setup"
scripts/setup.sh
step "build: kiln-node, kiln-worker, the example Wasm job"
cargo build --release --locked -p kiln-node -p kiln-worker
cargo build --release --locked --target wasm32-wasip1 --manifest-path examples/wasm-jobs/Cargo.toml

if [[ ${1:-} == --node-only ]]; then
	shift
	echo "==> Kiln dev chain: ws://127.0.0.1:$RPC_PORT (Ctrl-C stops it; the database is temporary)"
	exec "$KILN_BIN/kiln-node" --dev --tmp --rpc-port "$RPC_PORT" \
		--prometheus-port "$PROMETHEUS_PORT" --rpc-cors all "$@"
fi

source "$KILN_ROOT/tests/e2e/lib.sh" # rpc, wait_until, fail (nothing here is stopped on exit)
for port in "$RPC_PORT" "$PROMETHEUS_PORT" "$GATEWAY_PORT" "$CONTENT_PORT"; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		fail "port $port is in use (another demo still running? set RPC_PORT, GATEWAY_PORT…)"
	fi
done
dir=$(mktemp -d -t kiln-dev.XXXXXX)
KILN_LOG_DIR="$dir"
pids=()

step "dev chain: kiln-node --dev (database, logs and the worker's data in $dir)"
nohup "$KILN_BIN/kiln-node" --dev --base-path "$dir/node" --rpc-port "$RPC_PORT" \
	--prometheus-port "$PROMETHEUS_PORT" --rpc-cors all >"$dir/node.log" 2>&1 &
pids+=("$!")
wait_until 60 "the node's RPC server" rpc "$RPC_PORT" system_health
wait_until 60 "block #1" best_at_least "$RPC_PORT" 1

step "worker: Charlie bonds 200 KILN, registers a CPU-only machine and starts kiln-worker run"
cat >"$dir/worker.toml" <<TOML
[chain]
url = "ws://127.0.0.1:$RPC_PORT"

# A CPU-only machine: no GPU tables; cores and memory are detected.
[provider]
endpoint = "http://127.0.0.1:$GATEWAY_PORT"
region = "DE"
backends = ["cpu"]

[worker]
data_dir = "$dir/worker"
listen = "127.0.0.1:$GATEWAY_PORT"

[limits]
# The demo's content is on this machine.
allow_private_addresses = true

[pricing]
wasm_per_gigafuel = "0.05"
min_job_price = "0.05"
markup_percent = 20
TOML
export KILN_SURI=//Charlie
"$KILN_BIN/kiln-worker" bond 200 --config "$dir/worker.toml"
"$KILN_BIN/kiln-worker" register --config "$dir/worker.toml"
nohup "$KILN_BIN/kiln-worker" run --config "$dir/worker.toml" >"$dir/worker.log" 2>&1 &
pids+=("$!")
wait_until 30 "the worker's gateway" curl -sf "http://127.0.0.1:$GATEWAY_PORT/health"

step "client: Alice posts the example Wasm job (its module and input on http://127.0.0.1:$CONTENT_PORT), then a Gemm job"
mkdir -p "$dir/job"
cp "$CARGO_TARGET_DIR/wasm32-wasip1/release/line-stats.wasm" "$dir/job/job.wasm"
printf 'Kiln is an open market for GPU compute\nanyone with a GPU sells its time\nanyone with a job buys it\n' \
	>"$dir/job/input.txt"
(cd "$dir/job" && exec nohup python3 -m http.server "$CONTENT_PORT" --bind 127.0.0.1) \
	>"$dir/content.log" 2>&1 &
pids+=("$!")
wait_until 20 "the content server" curl -sf "http://127.0.0.1:$CONTENT_PORT/input.txt"
node "$KILN_ROOT/tests/e2e/demo-client.mjs" "ws://127.0.0.1:$RPC_PORT" "$dir/job" \
	"http://127.0.0.1:$CONTENT_PORT" || fail "the demo job did not go through (logs above)"

echo "${pids[*]}" >"$dir/pids"
cat <<INFO

==> Running on
    JSON-RPC / WebSocket : ws://127.0.0.1:$RPC_PORT
    polkadot.js Apps     : https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A$RPC_PORT#/explorer
    worker (Charlie)     : http://127.0.0.1:$GATEWAY_PORT/metrics, /health; log $dir/worker.log
    node                 : log $dir/node.log, Prometheus http://127.0.0.1:$PROMETHEUS_PORT/metrics
    funded dev accounts  : Alice, Bob, Charlie, Dave, Eve, Ferdie
    post another job     : $KILN_BIN/kiln-worker job submit examples/jobs/gemm.toml --suri //Bob --url ws://127.0.0.1:$RPC_PORT
                           (docs/client.md: specs, quotes, watch, fetch), or
                           node tests/e2e/demo-client.mjs ws://127.0.0.1:$RPC_PORT $dir/job http://127.0.0.1:$CONTENT_PORT
    stop everything      : kill \$(cat $dir/pids)

INFO
