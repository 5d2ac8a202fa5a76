#!/usr/bin/env bash
# Kiln's performance suite: every figure as a ratio against an anchor measured in the same run
# on the same machine (absolute numbers on shared machines move from run to run).
#
#   scripts/bench.sh            the full run (by hand; about 10 minutes), tables on stdout and
#                               in $CARGO_TARGET_DIR/bench/results.md
#   scripts/bench.sh --quick    small sizes (under 5 minutes): scripts/test.sh runs it, so the
#                               suite cannot rot
#   --only gemm|wasm|chain      one section (with either size), e.g. after a weight change
#
# Sections:
#   GEMM   `kiln-worker bench --backend cpu` against onnxruntime's MatMulInteger (exact int8)
#          and numpy's float32 matmul (OpenBLAS sgemm), same shapes and thread counts
#          (scripts/bench/anchors.py), then every CPU kernel this machine runs, forced.
#   Wasm   `kiln-worker bench --wasm` on examples/wasm-jobs' crunch module: the worker's
#          sandbox against plain wasmtime.
#   Chain  `kiln-loadgen` against a fresh `kiln-node --dev`: pre-signed transfers, then new
#          bids, replaced bids, job creations, and commits and reveals of awarded jobs' results,
#          from 32 accounts, counted from the blocks that include them; each full block's
#          charged weight against the author's time to build and commit it (its log).
# Chain scale (state and weight with 10 to 100 000 providers) is a runtime test, not a load:
# `cargo test --release -p kiln-runtime tests_scale -- --nocapture` prints its table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KILN_ROOT"

quick=0
only=""
while [[ $# -gt 0 ]]; do
	case $1 in
	--quick) quick=1 ;;
	--only)
		only=${2:-}
		[[ $only == gemm || $only == wasm || $only == chain ]] || {
			echo "--only takes gemm, wasm or chain" >&2
			exit 2
		}
		shift
		;;
	*)
		echo "usage: scripts/bench.sh [--quick] [--only gemm|wasm|chain]" >&2
		exit 2
		;;
	esac
	shift
done
# Whether a section runs.
runs() { [[ -z $only || $only == "$1" ]]; }

out="$CARGO_TARGET_DIR/bench"
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"

step "build: kiln-worker and the example Wasm jobs"
cargo build --release --locked --workspace
cargo build --release --locked --target wasm32-wasip1 --manifest-path examples/wasm-jobs/Cargo.toml
worker="$KILN_BIN/kiln-worker"

step "anchors: onnxruntime and numpy from PyPI (scripts/bench/anchors.py)"
venv="${KILN_CACHE:-$HOME/.cache/kiln}/bench-venv"
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
	onnxruntime==1.32.0 numpy==2.4.6 onnx==1.23.2
python="$venv/bin/python"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)
versions=$("$python" -c 'import onnxruntime, numpy; print(onnxruntime.__version__, numpy.__version__)')
read -r ort_version numpy_version <<<"$versions"
printf '{"section":"machine","cpu":"%s","cores":%s,"date":"%s","commit":"%s","quick":%s,"onnxruntime":"%s","numpy":"%s"}\n' \
	"$cpu" "$(nproc)" "$(date -u +%Y-%m-%d)" "$(git describe --always --dirty)" \
	"$([[ $quick == 1 ]] && echo true || echo false)" "$ort_version" "$numpy_version" >>"$results"

if [[ $quick == 1 ]]; then
	shapes=("256 256 1024")
	path_shape="128 128 512"
	repeats=2
	wasm_input="200000 200000"
	wasm_runs=2
	load_transfers=3200
	load_bids=3200
	load_rebids=1600
	load_jobs=800
	load_results=64
else
	shapes=("1024 1024 4096" "4096 4096 8192")
	path_shape="1024 1024 4096"
	repeats=3
	wasm_input="2000000 1000000"
	wasm_runs=5
	load_transfers=12800
	load_bids=9600
	load_rebids=9600
	load_jobs=6400
	# Awarded jobs come 32 to a block (the agenda's closes): 640 take 20 blocks to award.
	load_results=640
fi

if runs gemm; then
step "GEMM: Kiln's CPU backend against onnxruntime and OpenBLAS"
for shape in "${shapes[@]}"; do
	read -r m n k <<<"$shape"
	for threads in 1 2; do
		# The best of `repeats` runs, as the anchors report theirs.
		best=""
		for _ in $(seq "$repeats"); do
			run=$("$worker" bench --backend cpu --threads "$threads" --m "$m" --n "$n" --k "$k" --json)
			best=$("$python" -c 'import json,sys
a, b = (json.loads(x) if x else None for x in sys.argv[1:3])
print(json.dumps(b if a is None or b["gops"] > a["gops"] else a))' "$best" "$run")
		done
		anchors=$("$python" scripts/bench/anchors.py "$m" "$n" "$k" "$threads" "$repeats")
		echo "{\"section\":\"gemm\",\"kiln\":$best,\"anchors\":$anchors}" >>"$results"
		echo "  ${m}×${n}×${k}, $threads threads: $best"
	done
done

step "GEMM: every CPU kernel this machine runs, forced"
read -r m n k <<<"$path_shape"
for path in avx512-vnni avx-vnni avx2 portable; do
	if run=$("$worker" bench --backend cpu --cpu-kernel "$path" --threads 2 --m "$m" --n "$n" --k "$k" --json 2>"$out/path.err"); then
		echo "{\"section\":\"gemm-path\",\"path\":\"$path\",\"threads\":2,\"kiln\":$run}" >>"$results"
		echo "  $path: $run"
	elif grep -q "cannot run" "$out/path.err"; then
		echo "  $path: not on this CPU"
	else
		cat "$out/path.err" >&2
		exit 1
	fi
done
fi

if runs wasm; then
step "Wasm: the worker's sandbox against plain wasmtime (crunch: $wasm_input)"
echo "$wasm_input" >"$out/crunch-input.txt"
wasm=$("$worker" bench --wasm "$CARGO_TARGET_DIR/wasm32-wasip1/release/crunch.wasm" \
	--input "$out/crunch-input.txt" --runs "$wasm_runs" --json)
echo "{\"section\":\"wasm\",\"job\":\"crunch $wasm_input\",\"report\":$wasm}" >>"$results"
echo "  $wasm"
fi

# Starts a fresh `kiln-node --dev`, runs the loads named in "$@" against it, stops it, and
# reads each block's build and commit times from its log into a `prepared` record for those
# loads. One node per group: the `results` load, whose jobs take the agendas' room 32 closes
# a block and whose reveals open proof-of-compute challenges nobody answers, gets its own.
# The first two arguments are the node's RPC and p2p ports; its records go to
# "$out/chain-<first load>.jsonl".
chain_loads() {
	local rpc_port=$1 p2p_port=$2 scenario txs loads load node_pid
	shift 2
	local records="$out/chain-$1.jsonl"
	: >"$records"
	# A pool larger than the default 8 192, so that a window of transactions outside finalized
	# blocks larger than one full block of transfers fits in it; detailed logs for their
	# millisecond timestamps (the block's commit time below).
	# No mDNS: two dev nodes on one machine would find each other and sync one chain.
	"$KILN_BIN/kiln-node" --dev --tmp --rpc-port "$rpc_port" --port "$p2p_port" --no-mdns \
		--no-prometheus --no-telemetry --pool-limit 20000 --pool-kbytes 81920 \
		--detailed-log-output >"$out/node-$1.log" 2>&1 &
	node_pid=$!
	echo "$node_pid" >>"$out/node-pids"
	for _ in $(seq 60); do
		curl -sf -H 'Content-Type: application/json' \
			-d '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":[]}' \
			"http://127.0.0.1:$rpc_port" >/dev/null && break
		sleep 1
	done
	for scenario in "$@"; do
		case $scenario in
		transfers) txs=$load_transfers ;;
		bids) txs=$load_bids ;;
		rebids) txs=$load_rebids ;;
		jobs) txs=$load_jobs ;;
		results) txs=$load_results ;;
		esac
		loads=$("$KILN_BIN/kiln-loadgen" --url "ws://127.0.0.1:$rpc_port" --scenario "$scenario" \
			--accounts 32 --txs "$txs" --window 12000 --json)
		# One summary line per measured load (`results` has two: commits, then reveals).
		while read -r load; do
			echo "{\"section\":\"chain\",\"report\":$load}" >>"$records"
			echo "  $(echo "$load" | "$python" -c 'import json,sys; r=json.load(sys.stdin); s=r["summary"]; print(r["scenario"] + ":", s["included"], "included, per block", s["per_block"], "weight %", [round(w) for w in s["weight_percent"]])')"
		done <<<"$loads"
	done
	kill "$node_pid"
	wait "$node_pid" 2>/dev/null || true
	# The author's own time to build each block (executing every extrinsic in it, and the
	# state root) and then to import it (its changes committed to the database), from its log:
	# set against the weight the block is charged, it says whether the weights are right.
	"$python" - "$out/node-$1.log" "$*" >>"$records" <<'PY'
import json, re, sys
from datetime import datetime
prepared, committed, built_at = {}, {}, {}
for line in open(sys.argv[1], errors="replace"):
    stamp = line[:23]
    m = re.search(r"Prepared block for proposing at (\d+) \((\d+) ms\)", line)
    if m:
        prepared[int(m.group(1))] = int(m.group(2))
        built_at[int(m.group(1))] = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f")
        continue
    m = re.search(r"Imported #(\d+) ", line)
    if m and int(m.group(1)) in built_at:
        n = int(m.group(1))
        done = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f")
        committed[n] = prepared[n] + round((done - built_at.pop(n)).total_seconds() * 1e3)
# `results` stands for its two loads.
loads = [l for s in sys.argv[2].split() for l in (["commits", "reveals"] if s == "results" else [s])]
print(json.dumps({"section": "prepared", "loads": loads, "ms": prepared, "committed_ms": committed}))
PY
}

if runs chain; then
: >"$out/node-pids"
trap 'xargs -r kill <"$out/node-pids" 2>/dev/null || true' EXIT
if [[ $quick == 1 ]]; then
	# Both nodes at once, to stay under 5 minutes: the quick run checks that every load still
	# runs, and its figures (two nodes sharing the CPU) are not the ones the README reports.
	step "chain: kiln-loadgen against two fresh kiln-node --dev at once (transfers, bids, rebids, jobs; results)"
	chain_loads 9967 30367 results &
	second=$!
	chain_loads 9966 30366 transfers bids rebids jobs
	wait "$second"
else
	step "chain: kiln-loadgen against a fresh kiln-node --dev (transfers, bids, rebids, jobs)"
	chain_loads 9966 30366 transfers bids rebids jobs
	step "chain: kiln-loadgen against another fresh kiln-node --dev (commits and reveals of results)"
	chain_loads 9967 30367 results
fi
trap - EXIT
cat "$out/chain-transfers.jsonl" "$out/chain-results.jsonl" >>"$results"
fi

step "results ($results)"
"$python" scripts/bench/report.py "$results" | tee "$out/results.md"
step "bench done in ${SECONDS}s"
