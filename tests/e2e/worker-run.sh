#!/usr/bin/env bash
# End-to-end test of the provider daemon: a dev node, two `kiln-worker run` processes with
# different price floors (Dave cheap, Eve dear), and a client (worker-run.test.mjs, with
# @polkadot/api) that posts a Wasm job (examples/wasm-jobs, its module and input served over
# local HTTP): the cheaper worker wins, runs it, commits, reveals and is paid; its output is
# fetched from its gateway and checked; /metrics moved. The client CLI (`kiln-worker job`)
# submits examples/jobs (Wasm served by --serve, Gemm priced from the quote), watches them,
# fetches the outputs checked against the revealed hashes (a tampered one refused), sees why
# a job nobody can run expired, cancels one. Then (worker-job.mjs as the client):
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

step "worker run: the client CLI submits the example jobs, watches them, fetches verified outputs"
cli() { "$KILN_BIN/kiln-worker" job "$@" --url "$url"; }
inputs="$KILN_LOG_DIR/inputs"
mkdir -p "$inputs"
cp "$wasm" "$inputs/line-stats.wasm"
cp "$job_dir/input.txt" "$inputs/input.txt"
# The Wasm example: its inputs served by the CLI itself, which follows the job to the end.
cli submit "$KILN_ROOT/examples/jobs/wasm.toml" --serve "$inputs" --suri //Charlie \
	>"$KILN_LOG_DIR/cli-wasm.log" 2>&1 || { cat "$KILN_LOG_DIR/cli-wasm.log"; fail "job submit examples/jobs/wasm.toml"; }
cat "$KILN_LOG_DIR/cli-wasm.log"
job=$(sed -n 's/^job \([0-9]*\) created.*/\1/p' "$KILN_LOG_DIR/cli-wasm.log")
[[ -n $job ]] || fail "job submit printed no job id"
grep -q "locks: .* in escrow" "$KILN_LOG_DIR/cli-wasm.log" || fail "job submit did not show the escrow"
grep -q "job $job completed at" "$KILN_LOG_DIR/cli-wasm.log" || fail "job submit --serve did not follow job $job to completion"
grep -q "served input.txt: [1-9]" "$KILN_LOG_DIR/cli-wasm.log" || fail "nobody fetched the served input"
cli fetch "$job" -o "$KILN_LOG_DIR/cli-wasm.out" --suri //Charlie || fail "job fetch $job"
cmp "$KILN_LOG_DIR/cli-wasm.out" "$job_dir/expected.txt" || fail "job fetch $job: not the expected output"
# The provider's stored output altered (same length, one byte changed): refused, nothing written.
stored="$KILN_LOG_DIR/dave/data/outputs/$job"
[[ -f $stored ]] || fail "no stored output at $stored"
python3 - "$stored" <<-'PY'
	import sys
	path = sys.argv[1]
	data = bytearray(open(path, "rb").read())
	data[0] ^= 1
	open(path, "wb").write(data)
	PY
if cli fetch "$job" -o "$KILN_LOG_DIR/tampered.out" --suri //Charlie 2>"$KILN_LOG_DIR/tampered.err"; then
	fail "a tampered output must be refused"
fi
cat "$KILN_LOG_DIR/tampered.err"
grep -q "do not have the job's blake2-256" "$KILN_LOG_DIR/tampered.err" || fail "the refusal does not name the hash"
[[ ! -e $KILN_LOG_DIR/tampered.out ]] || fail "a refused output was written"

# The Gemm example, priced from the quote (the Gemm job above settled), then watched.
cli submit "$KILN_ROOT/examples/jobs/gemm.toml" --max-price quote+20% --suri //Charlie \
	>"$KILN_LOG_DIR/cli-gemm.log" 2>&1 || { cat "$KILN_LOG_DIR/cli-gemm.log"; fail "job submit examples/jobs/gemm.toml"; }
cat "$KILN_LOG_DIR/cli-gemm.log"
grep -q "comparable (same backend and GPU count): [1-9]" "$KILN_LOG_DIR/cli-gemm.log" || fail "no comparable Gemm price quoted"
grep -q "max price: .* (.* comparable jobs.* +20%)" "$KILN_LOG_DIR/cli-gemm.log" || fail "the max price was not taken from the quote"
job=$(sed -n 's/^job \([0-9]*\) created.*/\1/p' "$KILN_LOG_DIR/cli-gemm.log")
cli watch "$job" | tee "$KILN_LOG_DIR/cli-gemm-watch.log" || fail "job watch $job"
grep -q "awarded to" "$KILN_LOG_DIR/cli-gemm-watch.log" || fail "job watch did not show the award"
cli status "$job" | grep -q "completed" || fail "job status $job"
cli fetch "$job" -o "$KILN_LOG_DIR/cli-gemm.out" --suri //Charlie || fail "job fetch $job"
(($(stat -c %s "$KILN_LOG_DIR/cli-gemm.out") == 4 * 64 * 64)) || fail "job $job: the output is not 4·m·n bytes"

# A job no provider here can run (a GPU job): an account that is no provider bids and is
# refused; watch and status say why nobody was awarded.
sed -e 's/^bidding_blocks = .*/bidding_blocks = 8/' -e 's/^backend = "cpu".*/backend = "cuda"\ngpu_count = 1/' \
	"$KILN_ROOT/examples/jobs/wasm.toml" >"$KILN_LOG_DIR/gpu-job.toml"
cli submit "$KILN_LOG_DIR/gpu-job.toml" --serve "$inputs" --suri //Charlie >"$KILN_LOG_DIR/cli-gpu.log" 2>&1 &
gpu_submit=$!
wait_until 60 "the GPU job to be created" grep -q "^job [0-9]* created" "$KILN_LOG_DIR/cli-gpu.log"
job=$(sed -n 's/^job \([0-9]*\) created.*/\1/p' "$KILN_LOG_DIR/cli-gpu.log")
client bid "$job" //Ferdie 100000000000 || fail "Ferdie's bid on job $job"
if wait "$gpu_submit"; then fail "job submit of an unrunnable job must fail when it expires"; fi
cat "$KILN_LOG_DIR/cli-gpu.log"
grep -q "expired at .*bids were refused: 1 × not a registered provider" "$KILN_LOG_DIR/cli-gpu.log" || fail "submit did not say why job $job expired"
cli status "$job" | tee "$KILN_LOG_DIR/cli-gpu-status.log"
grep -q "refused bids: 1 × not a registered provider" "$KILN_LOG_DIR/cli-gpu-status.log" || fail "status does not show the refusal"
if cli watch "$job" >"$KILN_LOG_DIR/cli-gpu-watch.log" 2>&1; then fail "watch of an expired job must fail"; fi
grep -q "not a registered provider" "$KILN_LOG_DIR/cli-gpu-watch.log" || fail "watch does not say why"

# Cancel before the award; list; bad input.
sed -e 's/^bidding_blocks = .*/bidding_blocks = 20/' -e 's/^backend = "cpu".*/backend = "cuda"\ngpu_count = 1/' \
	"$KILN_ROOT/examples/jobs/gemm.toml" >"$KILN_LOG_DIR/cancel-job.toml"
cli submit "$KILN_LOG_DIR/cancel-job.toml" --suri //Charlie >"$KILN_LOG_DIR/cli-cancel.log" 2>&1 || fail "job submit (to cancel)"
job=$(sed -n 's/^job \([0-9]*\) created.*/\1/p' "$KILN_LOG_DIR/cli-cancel.log")
cli cancel "$job" --suri //Charlie || fail "job cancel $job"
cli status "$job" | grep -q "cancelled at" || fail "job $job is not cancelled"
cli list --suri //Charlie | tee "$KILN_LOG_DIR/cli-list.log"
grep -q "job $job: cancelled at" "$KILN_LOG_DIR/cli-list.log" || fail "job list does not show job $job"
if cli cancel "$job" --suri //Charlie 2>"$KILN_LOG_DIR/cli-bad.err"; then fail "a second cancel must fail"; fi
grep -q "Market::BiddingClosed" "$KILN_LOG_DIR/cli-bad.err" || { cat "$KILN_LOG_DIR/cli-bad.err"; fail "no clear error for a second cancel"; }
if cli list --account-id not-an-account 2>"$KILN_LOG_DIR/cli-bad.err"; then fail "list of a malformed account must fail"; fi
grep -q "is not an SS58 address" "$KILN_LOG_DIR/cli-bad.err" || fail "no clear error for a malformed account"
if cli status 999999 2>"$KILN_LOG_DIR/cli-bad.err"; then fail "status of an unknown job must fail"; fi
grep -q "no job 999999" "$KILN_LOG_DIR/cli-bad.err" || fail "no clear error for an unknown job"
sed 's/^bidding_blocks = .*/bidding_blocks = 1/' "$KILN_ROOT/examples/jobs/gemm.toml" >"$KILN_LOG_DIR/bad-window.toml"
if cli submit "$KILN_LOG_DIR/bad-window.toml" --suri //Charlie 2>"$KILN_LOG_DIR/cli-bad.err"; then fail "a window out of bounds must be refused"; fi
grep -q "bidding_blocks must be 2 to" "$KILN_LOG_DIR/cli-bad.err" || { cat "$KILN_LOG_DIR/cli-bad.err"; fail "no clear error for the window"; }

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
