#!/usr/bin/env bash
# The one test command: builds the workspace, runs every Rust test, checks the committed
# artifacts (chain spec, worker metadata), then the end-to-end tests against real nodes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KILN_ROOT"

step "setup (toolchain targets, apt and npm packages)"
scripts/setup.sh

# NVRTC from PyPI (no GPU or driver needed): the worker's tests compile its CUDA kernels.
step "NVRTC for the worker's CUDA kernel tests (scripts/nvrtc.sh)"
KILN_NVRTC_LIB="$(scripts/nvrtc.sh)"
export KILN_NVRTC_LIB

step "format: cargo fmt --all --check"
cargo fmt --all --check

# One profile (release) for building and testing, so dependencies compile once.
step "build: cargo build --release --workspace (target dir $CARGO_TARGET_DIR)"
cargo build --release --locked --workspace

# The example Wasm job (a WASI command): the worker's tests run it, the end-to-end test posts it.
step "example Wasm job: examples/wasm-jobs for wasm32-wasip1"
cargo build --release --locked --target wasm32-wasip1 --manifest-path examples/wasm-jobs/Cargo.toml
export KILN_WASM_EXAMPLE="$CARGO_TARGET_DIR/wasm32-wasip1/release/line-stats.wasm"

step "rust tests: cargo test --release --workspace"
cargo test --release --locked --workspace

# The benchmarks of every Kiln pallet, run once each as tests against the pallet's mock; with
# try-runtime too, so the pallets' try_state hooks are compiled (the tests call the checks).
step "benchmark tests: cargo test --features runtime-benchmarks,try-runtime (Kiln pallets)"
cargo test --release --locked -p pallet-collateral -p pallet-providers -p pallet-escrow -p pallet-market \
	-p pallet-proof-of-compute -p pallet-governance \
	--features runtime-benchmarks,try-runtime

# The upgrade path as try-runtime checks it: every migration with its pre/post checks, then
# every pallet's try_state, on a preset's state with work in flight. Native only (no Wasm).
step "runtime upgrade checks: try-runtime on the migrations (kiln-runtime tests_upgrade)"
SKIP_WASM_BUILD=1 cargo test --release --locked -p kiln-runtime --features try-runtime tests_upgrade

# The performance suite at small sizes (the full run is by hand): its anchors install and
# every section still runs and reports, so the suite cannot rot.
step "performance suite, quick: scripts/bench.sh --quick"
scripts/bench.sh --quick

step "chain spec: chain-specs/local-testnet.json matches the node's export"
scripts/chain-spec.sh --check

step "end-to-end: dev chain"
tests/e2e/dev-chain.sh

step "end-to-end: the provider daemon (kiln-worker run)"
tests/e2e/worker-run.sh

step "end-to-end: local testnet"
timeout 600 tests/e2e/local-testnet.sh

step "end-to-end: the validator set by Council motion on the local testnet (1-minute sessions)"
timeout 900 tests/e2e/testnet-governance.sh

step "all tests passed in ${SECONDS}s"
