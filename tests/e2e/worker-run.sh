#!/usr/bin/env bash
# End-to-end test of the provider daemon: a dev node, two `kiln-worker run` processes with
# different price floors (Dave cheap, Eve dear), and a client (worker-run.test.mjs, with
# @polkadot/api) that posts a Wasm job (examples/wasm-jobs, its module and input served over
# local HTTP): the cheaper worker wins, runs it, commits, reveals and is paid; its output is
# fetched from its gateway and checked; /metrics moved.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
source "$KILN_ROOT/tests/e2e/lib.sh"

wasm="$CARGO_TARGET_DIR/wasm32-wasip1/release/line-stats.wasm"
[[ -f $wasm ]] || fail "no $wasm: build examples/wasm-jobs first (scripts/test.sh does)"

rpc_port=$(free_port)
step "worker run: starting kiln-node --dev --tmp (rpc $rpc_port)"
start_node worker-dev --dev --tmp --rpc-port "$rpc_port" --port "$(free_port)" --no-prometheus --no-mdns
wait_until 60 "the RPC server to answer" rpc "$rpc_port" system_health
wait_until 60 "block #1" best_at_least "$rpc_port" 1
url="ws://127.0.0.1:$rpc_port"

# worker_config NAME GATEWAY_PORT FLOOR: a worker.toml for a CPU worker.
worker_config() {
	local name=$1 port=$2 floor=$3 dir="$KILN_LOG_DIR/$1"
	mkdir -p "$dir"
	cat >"$dir/worker.toml" <<-TOML
		[chain]
		url = "$url"

		[provider]
		endpoint = "http://127.0.0.1:$port"
		region = "DE"
		cpu_cores = 2
		ram_mib = 4096
		backends = ["cpu"]

		[[provider.gpus]]
		model = "none (CPU worker)"
		vram_mib = 1
		compute_capability = "6.1"
		count = 1

		[worker]
		data_dir = "$dir/data"
		listen = "127.0.0.1:$port"
		max_concurrent_jobs = 2

		[limits]
		allow_private_addresses = true
		fetch_timeout_secs = 10

		[pricing]
		wasm_per_gigafuel = "$floor"
		min_job_price = "$floor"
		markup_percent = 0
	TOML
	echo "$dir/worker.toml"
}

dave_port=$(free_port)
eve_port=$(free_port)
dave_config=$(worker_config dave "$dave_port" 0.05)
eve_config=$(worker_config eve "$eve_port" 0.2)
for who in dave eve; do
	config="$KILN_LOG_DIR/$who/worker.toml"
	suri="//${who^}"
	step "worker run: $who bonds and registers"
	"$KILN_BIN/kiln-worker" bond 200 --config "$config" --suri "$suri" || fail "$who: bond"
	"$KILN_BIN/kiln-worker" register --config "$config" --suri "$suri" || fail "$who: register"
	KILN_SURI="$suri" "$KILN_BIN/kiln-worker" run --config "$config" --backend cpu \
		>"$KILN_LOG_DIR/worker-$who.log" 2>&1 &
	KILN_PIDS+=("$!")
done
wait_until 30 "Dave's gateway" curl -sf "http://127.0.0.1:$dave_port/health"
wait_until 30 "Eve's gateway" curl -sf "http://127.0.0.1:$eve_port/health"

step "worker run: a client posts a Wasm job (@polkadot/api)"
KILN_WS="$url" KILN_WASM="$wasm" KILN_DAVE="http://127.0.0.1:$dave_port" \
	KILN_EVE="http://127.0.0.1:$eve_port" \
	node --test --test-timeout=300000 "$KILN_ROOT/tests/e2e/worker-run.test.mjs" \
	>"$KILN_LOG_DIR/worker-run-test.log" 2>&1 || {
	cat "$KILN_LOG_DIR/worker-run-test.log"
	fail "worker-run.test.mjs"
}
cat "$KILN_LOG_DIR/worker-run-test.log"
grep -q "not bidding\|bid " "$KILN_LOG_DIR/worker-eve.log" || fail "Eve logged no bid decision"

step "worker run: SIGTERM stops a worker cleanly"
kill -TERM "${KILN_PIDS[-1]}"
for _ in $(seq 1 50); do kill -0 "${KILN_PIDS[-1]}" 2>/dev/null || break; sleep 0.1; done
kill -0 "${KILN_PIDS[-1]}" 2>/dev/null && fail "Eve's worker did not stop on SIGTERM"
grep -q "SIGTERM: stopping" "$KILN_LOG_DIR/worker-eve.log" || fail "no clean stop in Eve's log"
echo "worker run: ok"
