#!/usr/bin/env bash
# Regenerates the runtime's weights from benchmark runs on this machine: builds kiln-node with
# `runtime-benchmarks`, then
#   - each Kiln pallet: `benchmark pallet` with scripts/weight-template.hbs into the pallet's
#     own src/weights.rs (its WeightInfo trait and SubstrateWeight);
#   - each Polkadot SDK pallet the runtime uses: `benchmark pallet` with the CLI's default
#     template into runtime/src/weights/<pallet>.rs (an impl of that pallet's WeightInfo);
#   - `overhead`: `benchmark overhead` into runtime/src/weights/{block,extrinsic}_weights.rs
#     (the cost of an empty block and of one no-op extrinsic with every extension);
#   - `storage`: `benchmark storage` into runtime/src/weights/paritydb_weights.rs (the
#     runtime's `DbWeight`: twice the average read and write, writes batched 1 000 to a
#     storage root, on the dev chain plus STATE_ACCOUNTS (200 000) endowed accounts, about
#     as many as a JSON genesis takes: 500 000 exhaust the runtime's allocator). The average,
#     because a block's database time is a sum over thousands of accesses; twice it, as
#     public ParityDB chains set theirs, for the state to grow into before the next run.
# The command line lands in each file's header.
#   scripts/benchmark.sh                          # everything
#   scripts/benchmark.sh kiln | sdk | overhead | storage    # one group
#   scripts/benchmark.sh pallet_market pallet_balances
# STEPS and REPEAT override the defaults (50 and 20); NO_BUILD=1 reuses the last benchmark
# build (kiln-node-benchmarks). Run it on a quiet machine: anything else using the CPU
# inflates the weights.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KILN_ROOT"

kiln=(pallet_collateral pallet_providers pallet_market pallet_proof_of_compute pallet_governance)
sdk=(frame_system frame_system_extensions pallet_balances pallet_transaction_payment pallet_timestamp
	pallet_sudo pallet_collective pallet_membership pallet_treasury)
targets=()
for arg in "${@:-storage kiln sdk overhead}"; do
	for name in $arg; do
		case $name in
		kiln) targets+=("${kiln[@]}") ;;
		sdk) targets+=("${sdk[@]}") ;;
		*) targets+=("$name") ;;
		esac
	done
done
steps=${STEPS:-50}
repeat=${REPEAT:-20}

# Both kept apart: the next plain build overwrites the node and the runtime's Wasm.
bench_node="$CARGO_TARGET_DIR/release/kiln-node-benchmarks"
runtime="$CARGO_TARGET_DIR/release/kiln-runtime-benchmarks.wasm"
if [[ ${NO_BUILD:-0} != 1 ]]; then
	step "building kiln-node with runtime-benchmarks"
	cargo build --release --locked -p kiln-node --features runtime-benchmarks
	cp "$CARGO_TARGET_DIR/release/kiln-node" "$bench_node"
	# The runtime this node embeds (the one in wbuild/ is whichever build ran last).
	"$bench_node" build-spec --chain dev --raw 2>/dev/null | python3 -c '
import json, sys
code = json.load(sys.stdin)["genesis"]["raw"]["top"]["0x3a636f6465"]
open(sys.argv[1], "wb").write(bytes.fromhex(code[2:]))' "$runtime"
fi

for target in "${targets[@]}"; do
	if [[ $target == storage ]]; then
		accounts=${STATE_ACCOUNTS:-200000}
		step "benchmarking the database on the dev chain plus $accounts accounts"
		spec="$CARGO_TARGET_DIR/bench/big-state.json"
		db="$CARGO_TARGET_DIR/bench/big-state-db"
		mkdir -p "$(dirname "$spec")"
		rm -rf "$db"
		"$bench_node" build-spec --chain dev 2>/dev/null |
			scripts/bench/big-state-spec.py "$accounts" >"$spec"
		"$bench_node" benchmark storage \
			--chain "$spec" --base-path "$db" --database paritydb --state-version 1 \
			--disable-pov-recorder --keys-limit 50000 --batch-size 1000 --mul 2 \
			--header scripts/weights-header.txt \
			--weight-path runtime/src/weights
		rm -rf "$db" "$spec"
		continue
	fi
	if [[ $target == overhead ]]; then
		step "benchmarking the block and extrinsic overhead"
		"$bench_node" benchmark overhead \
			--runtime "$runtime" \
			--genesis-builder-preset development \
			--genesis-builder runtime \
			--header scripts/weights-header.txt \
			--weight-path runtime/src/weights
		continue
	fi
	args=()
	if [[ " ${kiln[*]} " == *" $target "* ]]; then
		dir="pallets/${target#pallet_}"
		dir=${dir//_/-} # pallet_proof_of_compute lives in pallets/proof-of-compute
		[[ -d $dir ]] || { echo "no directory $dir for $target" >&2; exit 1; }
		args=(--template scripts/weight-template.hbs --output "$dir/src/weights.rs")
	elif [[ " ${sdk[*]} " == *" $target "* ]]; then
		args=(--output "runtime/src/weights/$target.rs")
	else
		echo "unknown benchmark target $target (kiln, sdk, overhead, storage or a pallet of kiln or sdk)" >&2
		exit 1
	fi
	step "benchmarking $target ($steps steps, $repeat repeats)"
	"$bench_node" benchmark pallet \
		--runtime "$runtime" \
		--genesis-builder-preset development \
		--pallet "$target" --extrinsic '*' \
		--steps "$steps" --repeat "$repeat" \
		--genesis-builder runtime \
		--wasm-execution compiled \
		--header scripts/weights-header.txt \
		"${args[@]}"
done
echo "weights written; review with: git diff pallets/*/src/weights.rs runtime/src/weights"
