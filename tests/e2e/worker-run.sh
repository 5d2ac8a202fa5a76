#!/usr/bin/env bash
# End-to-end test of the provider daemon: a dev node, two `kiln-worker run` processes with
# different price floors (Dave cheap, Eve dear), and a client (worker-run.test.mjs, with
# @polkadot/api) that posts a Wasm job (examples/wasm-jobs, its module and input served over
# local HTTP): the cheaper worker wins, runs it, commits, reveals and is paid; its output is
# fetched from its gateway and checked; /metrics moved. Then (worker-job.mjs as the client):
# Dave is killed with SIGKILL right after sending a commitment, restarted, and still reveals
# and is paid; the node is stopped and restarted on its base path under the running workers,
# which reconnect and finish the job; a Gemm job is run, sampled on chain and paid; with
# spot-checks on, Eve re-executes Dave's result, agrees and both are paid; a third worker
# started with a test-only fault flag (wrong Wasm outputs) wins a job, is outvoted by Dave and
# Eve in the dispute, slashed, and the client refunded; SIGTERM stops a worker cleanly.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
source "$KILN_ROOT/tests/e2e/lib.sh"

wasm="$CARGO_TARGET_DIR/wasm32-wasip1/release/line-stats.wasm"
[[ -f $wasm ]] || fail "no $wasm: build examples/wasm-jobs first (scripts/test.sh does)"

rpc_port=$(free_port)
p2p_port=$(free_port)
base_path="$KILN_LOG_DIR/node-db"
step "worker run: starting kiln-node --dev (rpc $rpc_port, base path $base_path)"
start_node worker-dev --dev --base-path "$base_path" --rpc-port "$rpc_port" --port "$p2p_port" \
	--no-prometheus --no-mdns
wait_until 60 "the RPC server to answer" rpc "$rpc_port" system_health
wait_until 60 "block #1" best_at_least "$rpc_port" 1
url="ws://127.0.0.1:$rpc_port"

# worker_config NAME GATEWAY_PORT FLOOR: a worker.toml for a CPU-only worker.
worker_config() {
	local name=$1 port=$2 floor=$3 dir="$KILN_LOG_DIR/$1"
	mkdir -p "$dir"
	cat >"$dir/worker.toml" <<-TOML
		[chain]
		url = "$url"

		# A CPU-only machine: no GPU tables; cores and memory are detected.
		[provider]
		endpoint = "http://127.0.0.1:$port"
		region = "DE"
		backends = ["cpu"]

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
worker_config dave "$dave_port" 0.05 >/dev/null
worker_config eve "$eve_port" 0.2 >/dev/null
declare -A worker_pid
# start_worker NAME [ARGS…]: `kiln-worker run` in the background, its log appended to
# worker-NAME.log.
start_worker() {
	local who=$1
	shift
	KILN_SURI="//${who^}" "$KILN_BIN/kiln-worker" run --config "$KILN_LOG_DIR/$who/worker.toml" \
		--backend cpu "$@" >>"$KILN_LOG_DIR/worker-$who.log" 2>&1 &
	worker_pid[$who]=$!
	KILN_PIDS+=("$!")
}
for who in dave eve; do
	config="$KILN_LOG_DIR/$who/worker.toml"
	step "worker run: $who bonds and registers"
	# A CPU-only provider bonds like a one-GPU provider (min_bond_per_gpu, 100 KILN).
	"$KILN_BIN/kiln-worker" bond 200 --config "$config" --suri "//${who^}" || fail "$who: bond"
	"$KILN_BIN/kiln-worker" register --config "$config" --suri "//${who^}" || fail "$who: register"
	start_worker "$who"
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

# The next jobs' content, on a plain web server (the client's host): the example module and an
# input whose output is written here by hand.
job_dir="$KILN_LOG_DIR/job"
mkdir -p "$job_dir"
cp "$wasm" "$job_dir/job.wasm"
printf 'one two\nthree\n' >"$job_dir/input.txt"
printf '2 ONE TWO\n1 THREE\nlines=2 words=3 bytes=14\n' >"$job_dir/expected.txt"
content_port=$(free_port)
(cd "$job_dir" && exec python3 -m http.server "$content_port" --bind 127.0.0.1) \
	>"$KILN_LOG_DIR/content-server.log" 2>&1 &
KILN_PIDS+=("$!")
wait_until 20 "the content server" curl -sf "http://127.0.0.1:$content_port/input.txt"
dave_address=5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy   # //Dave
eve_address=5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw    # //Eve
ferdie_address=5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL # //Ferdie
client() { KILN_WS="$url" KILN_JOB_DIR="$job_dir" node "$KILN_ROOT/tests/e2e/worker-job.mjs" "$@"; }

step "worker run: Dave is killed (SIGKILL) right after committing, restarted, and is paid"
job=$(client post "http://127.0.0.1:$content_port") || fail "posting a job"
echo "job $job posted"
wait_until 120 "Dave to send job $job's commitment" grep -q "job $job: commitment sent" "$KILN_LOG_DIR/worker-dave.log"
kill -9 "${worker_pid[dave]}"
echo "Dave killed after: $(grep "job $job:" "$KILN_LOG_DIR/worker-dave.log" | tail -1)"
start_worker dave
client await "$job" "$dave_address" || fail "job $job after Dave's restart"
sends=$(grep -c "job $job: commitment sent" "$KILN_LOG_DIR/worker-dave.log")
((sends == 1)) || fail "job $job: $sends commitments sent (a restart must not commit again)"
grep -q "job $job: result revealed" "$KILN_LOG_DIR/worker-dave.log" || fail "job $job: no reveal after the restart"

step "worker run: the node restarts on its base path under the running workers"
job=$(client post "http://127.0.0.1:$content_port") || fail "posting a job"
echo "job $job posted"
# Stopped once Dave has sent his commitment: whatever was in the node's transaction pool is
# lost with it, and Dave must find out from the chain what still needs doing.
wait_until 120 "Dave to commit to job $job" grep -q "job $job: commitment sent" "$KILN_LOG_DIR/worker-dave.log"
stop_pid "$NODE_PID"
echo "node stopped at $(date +%T)"
sleep 5
start_node worker-dev-restarted --dev --base-path "$base_path" --rpc-port "$rpc_port" \
	--port "$p2p_port" --no-prometheus --no-mdns
wait_until 60 "the restarted node to answer" rpc "$rpc_port" system_health
client await "$job" "$dave_address" || fail "job $job across the node's restart"
grep -q "reconnecting" "$KILN_LOG_DIR/worker-dave.log" || fail "Dave did not notice the node go"
connects=$(grep -c "INFO.*connected to ws:" "$KILN_LOG_DIR/worker-dave.log")
((connects >= 3)) || fail "Dave connected $connects times (start, after SIGKILL, after the node's restart)"

step "worker run: a Gemm job through the market, sampled on chain and paid"
job=$(client post-gemm 64 64 256) || fail "posting a Gemm job"
echo "job $job posted"
client await "$job" "$dave_address" || fail "Gemm job $job"
grep -q "job $job: sampled; revealed" "$KILN_LOG_DIR/worker-dave.log" || fail "Dave did not answer job $job's sampling"
curl -sf "http://127.0.0.1:$dave_port/jobs/$job/output" -o "$job_dir/gemm.out" || fail "job $job's output"
(($(stat -c %s "$job_dir/gemm.out") == 4 * 64 * 64)) || fail "job $job: the output is not 4·m·n bytes"

step "worker run: jobs with a missing input, a wrong hash or a module that is not Wasm"
declare -A bad_job
for kind in missing wrong-hash not-wasm; do
	bad_job[$kind]=$(client post-bad "$kind" "http://127.0.0.1:$content_port") || fail "posting a $kind job"
	echo "job ${bad_job[$kind]} ($kind) posted"
done
for kind in missing wrong-hash not-wasm; do
	client await-unbid "${bad_job[$kind]}" || fail "the $kind job"
done
grep -q "job ${bad_job[missing]}: not bidding: input: the server answered HTTP 404" "$KILN_LOG_DIR/worker-dave.log" || fail "no 404 in Dave's log"
grep -q "job ${bad_job[wrong-hash]}: not bidding: input: the bytes do not have the job's blake2-256" "$KILN_LOG_DIR/worker-dave.log" || fail "no hash mismatch in Dave's log"
grep -q "job ${bad_job[not-wasm]}: not bidding: module: not a runnable WASI command" "$KILN_LOG_DIR/worker-dave.log" || fail "no invalid module in Dave's log"
grep -A3 "job ${bad_job[not-wasm]}: not bidding" "$KILN_LOG_DIR/worker-dave.log" | head -3

step "worker run: spot-checks on: Eve re-executes Dave's result, agrees, and both are paid"
client spot-checks 100 || fail "turning spot-checks on"
job=$(client post "http://127.0.0.1:$content_port") || fail "posting a job"
echo "job $job posted"
client await-checked "$job" "$dave_address" "$eve_address" || fail "spot-checked job $job"
grep -q "job $job: spot-check as a verifier: revealed" "$KILN_LOG_DIR/worker-eve.log" || fail "Eve's log shows no reveal for job $job"

step "worker run: a worker returning wrong outputs is outvoted, slashed, the client refunded"
worker_config ferdie "$(free_port)" 0.01 >/dev/null
config="$KILN_LOG_DIR/ferdie/worker.toml"
"$KILN_BIN/kiln-worker" bond 200 --config "$config" --suri "//Ferdie" || fail "ferdie: bond"
"$KILN_BIN/kiln-worker" register --config "$config" --suri "//Ferdie" || fail "ferdie: register"
start_worker ferdie --fault wrong-output
job=$(client post "http://127.0.0.1:$content_port") || fail "posting a job"
echo "job $job posted"
client await-overturned "$job" "$ferdie_address" || fail "job $job: the wrong result was not overturned"
grep -q "job $job: dispute as its provider: revealed" "$KILN_LOG_DIR/worker-ferdie.log" || fail "Ferdie did not answer the dispute"
for who in dave eve; do
	grep -q "job $job: dispute as a verifier: revealed" "$KILN_LOG_DIR/worker-$who.log" || fail "$who did not answer the dispute over job $job"
done
kill -TERM "${worker_pid[ferdie]}"

step "worker run: SIGTERM stops a worker cleanly"
kill -TERM "${worker_pid[eve]}"
for _ in $(seq 1 50); do kill -0 "${worker_pid[eve]}" 2>/dev/null || break; sleep 0.1; done
kill -0 "${worker_pid[eve]}" 2>/dev/null && fail "Eve's worker did not stop on SIGTERM"
grep -q "SIGTERM: stopping" "$KILN_LOG_DIR/worker-eve.log" || fail "no clean stop in Eve's log"
echo "worker run: ok"
