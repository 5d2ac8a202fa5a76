#!/usr/bin/env bash
# Regenerates the Kiln pallets' weights.rs from a benchmark run on this machine:
# builds kiln-node with `runtime-benchmarks` and runs `kiln-node benchmark pallet` for each
# pallet with scripts/weight-template.hbs. The command line lands in each file's header.
#   scripts/benchmark.sh                 # all Kiln pallets
#   scripts/benchmark.sh pallet_collateral
# STEPS and REPEAT override the defaults (50 and 20).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KILN_ROOT"

pallets=("$@")
[[ ${#pallets[@]} -gt 0 ]] || pallets=(pallet_collateral pallet_providers pallet_market pallet_proof_of_compute pallet_governance)
steps=${STEPS:-50}
repeat=${REPEAT:-20}

step "building kiln-node with runtime-benchmarks"
cargo build --release --locked -p kiln-node --features runtime-benchmarks
# Kept apart: the next plain build overwrites target/release/kiln-node.
bench_node="$CARGO_TARGET_DIR/release/kiln-node-benchmarks"
cp "$CARGO_TARGET_DIR/release/kiln-node" "$bench_node"

for pallet in "${pallets[@]}"; do
	dir="pallets/${pallet#pallet_}"
	dir=${dir//_/-} # pallet_proof_of_compute lives in pallets/proof-of-compute
	[[ -d $dir ]] || { echo "no directory $dir for $pallet" >&2; exit 1; }
	step "benchmarking $pallet ($steps steps, $repeat repeats)"
	"$bench_node" benchmark pallet \
		--runtime "$CARGO_TARGET_DIR/release/wbuild/kiln-runtime/kiln_runtime.compact.compressed.wasm" \
		--genesis-builder-preset development \
		--pallet "$pallet" --extrinsic '*' \
		--steps "$steps" --repeat "$repeat" \
		--genesis-builder runtime \
		--wasm-execution compiled \
		--template scripts/weight-template.hbs \
		--header scripts/weights-header.txt \
		--output "$dir/src/weights.rs"
done
echo "weights written; review with: git diff pallets/*/src/weights.rs"
