#!/usr/bin/env bash
# End-to-end on a dev chain: start `kiln-node --dev --tmp` on free loopback ports, wait until
# blocks are produced and finalized, then drive it with @polkadot/api (dev-chain.test.mjs)
# and with `kiln-worker chain-info`. Every process started here is stopped on exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
source "$KILN_ROOT/tests/e2e/lib.sh"

step "node CLI: export-chain-spec, build-spec, key, purge-chain"
# (Output is captured before grepping: `grep -q` would close the pipe early under pipefail.)
out=$("$KILN_BIN/kiln-node" export-chain-spec --chain dev 2>/dev/null) || fail "export-chain-spec --chain dev"
grep -q '"name": "Kiln Development"' <<<"$out" || fail "export-chain-spec --chain dev: wrong name"
out=$("$KILN_BIN/kiln-node" build-spec --chain local 2>/dev/null) || fail "build-spec --chain local"
grep -q '"id": "kiln_local_testnet"' <<<"$out" || fail "build-spec --chain local: wrong id"
out=$("$KILN_BIN/kiln-node" key generate --scheme sr25519 --output-type json) || fail "key generate"
grep -q '"ss58Address"' <<<"$out" || fail "key generate: no address"
if "$KILN_BIN/kiln-node" export-chain-spec --chain /nonexistent.json >/dev/null 2>&1; then
	fail "an unknown chain spec path must be refused"
fi
purge_base=$(mktemp -d)
"$KILN_BIN/kiln-node" export-state --chain dev --base-path "$purge_base" >/dev/null 2>&1 || true
[[ -d $purge_base/chains/kiln_dev/paritydb ]] || fail "no ParityDB database under $purge_base"
"$KILN_BIN/kiln-node" purge-chain --chain dev --base-path "$purge_base" -y >/dev/null 2>&1 || fail "purge-chain"
[[ ! -d $purge_base/chains/kiln_dev/paritydb ]] || fail "purge-chain left the database"
rm -rf "$purge_base"
echo "node CLI: ok"

rpc_port=$(free_port)
p2p_port=$(free_port)
prom_port=$(free_port)
step "dev chain: starting kiln-node --dev --tmp (rpc $rpc_port, p2p $p2p_port, prometheus $prom_port)"
start_node dev --dev --tmp --rpc-port "$rpc_port" --port "$p2p_port" \
	--prometheus-port "$prom_port" --no-mdns
wait_until 60 "the RPC server to answer" rpc "$rpc_port" system_health
wait_until 60 "block #2 to be produced" best_at_least "$rpc_port" 2
wait_until 60 "block #2 to be finalized" finalized_at_least "$rpc_port" 2
echo "dev chain: best #$(best_number "$rpc_port"), finalized #$(finalized_number "$rpc_port")"
grep -q "Database: ParityDb" "$KILN_LOG_DIR/dev.log" || fail "the node did not open ParityDB"
metrics=$(curl -sf "http://127.0.0.1:$prom_port/metrics") || fail "no Prometheus endpoint on port $prom_port"
grep -q '^substrate_block_height' <<<"$metrics" || fail "no block height in the Prometheus metrics"

# The @polkadot/api tests and the kiln-worker onboarding below use different accounts, so
# they run side by side (each waits on blocks most of the time).
step "dev chain: @polkadot/api client tests (transfers, providers and collateral, market, market RPC, council motions, proof of compute with kiln-worker), in the background"
js_log="$KILN_LOG_DIR/polkadot-api-tests.log" # printed by fail() with the node logs
# One file at a time (node runs them in name order): proof-of-compute.test.mjs turns
# challenges on for every registered provider while it runs and off again before it ends,
# so no other file may run beside it.
KILN_WS="ws://127.0.0.1:$rpc_port" KILN_WORKER="$KILN_BIN/kiln-worker" \
	node --test --test-concurrency=1 --test-timeout=300000 \
	"$KILN_ROOT/tests/e2e/dev-chain.test.mjs" "$KILN_ROOT/tests/e2e/providers.test.mjs" \
	"$KILN_ROOT/tests/e2e/market.test.mjs" "$KILN_ROOT/tests/e2e/market-rpc.test.mjs" \
	"$KILN_ROOT/tests/e2e/governance.test.mjs" "$KILN_ROOT/tests/e2e/proof-of-compute.test.mjs" \
	>"$js_log" 2>&1 &
js_pid=$!
KILN_PIDS+=("$js_pid") # stopped on exit if a later step fails

step "dev chain: kiln-worker chain-info"
info=$("$KILN_BIN/kiln-worker" chain-info --url "ws://127.0.0.1:$rpc_port") || fail "kiln-worker chain-info failed"
echo "$info"
grep -q '^chain: Kiln Development$' <<<"$info" || fail "chain-info: wrong chain name"
grep -qE '^best: #[0-9]+ 0x[0-9a-f]{64}$' <<<"$info" || fail "chain-info: no best block"
grep -qE '^finalized: #[0-9]+ 0x[0-9a-f]{64}$' <<<"$info" || fail "chain-info: no finalized block"
grep -q '^existential deposit: 0.001 KILN$' <<<"$info" || fail "chain-info: typed constant not read"
if "$KILN_BIN/kiln-worker" chain-info --url "ws://127.0.0.1:$(free_port)" 2>"$KILN_LOG_DIR/worker-err.txt"; then
	fail "chain-info against a closed port must fail"
fi
grep -q "cannot connect to a node" "$KILN_LOG_DIR/worker-err.txt" || fail "chain-info: unclear error for a closed port"

step "dev chain: kiln-worker provider onboarding (bond, register, update, status, unbond, withdraw)"
worker() { "$KILN_BIN/kiln-worker" "$@" --url "ws://127.0.0.1:$rpc_port"; }
# Runs a worker command that must fail and checks its message.
worker_refuses() {
	local expected=$1 out
	shift
	if out=$(worker "$@" 2>&1); then fail "kiln-worker $*: should have failed"; fi
	grep -qF -- "$expected" <<<"$out" || fail "kiln-worker $*: expected \"$expected\", got: $out"
	echo "refused as expected: kiln-worker $* -> $(tail -n1 <<<"$out")"
}
config="$KILN_LOG_DIR/worker.toml"
sed 's|^# suri = "//Alice"|suri = "//Charlie"|' "$KILN_ROOT/worker/worker.example.toml" >"$config"
export KILN_SURI=//Charlie
worker_refuses "bond too small: registering 2 GPUs needs 200 KILN" register --config "$config"
worker_refuses "bond too small: a first bond must be at least 10 KILN" bond 1
worker_refuses "not enough balance" bond 5000000
worker_refuses "is not an amount of KILN" bond ten
worker bond 250
worker register --config "$config"
worker_refuses "already registered" register --config "$config"
# A new endpoint and a third GPU: 300 KILN needed, 250 bonded.
updated="$KILN_LOG_DIR/worker-updated.toml"
sed 's|^endpoint = .*|endpoint = "https://gpu2.example.org"|; s|^count = 2$|count = 3|' "$config" >"$updated"
worker_refuses "bond too small: a profile with 3 GPUs needs 300 KILN" update --config "$updated"
sed -i 's|^count = 3$|count = 2|' "$updated"
worker update --config "$updated"
status=$(worker status) || fail "kiln-worker status"
echo "$status"
grep -q "^bonded:    250 KILN" <<<"$status" || fail "status: wrong bond"
grep -q "^provider:  Active, 2 GPUs, endpoint https://gpu2.example.org" <<<"$status" ||
	fail "status: provider not shown"
worker_refuses "Collateral::BelowProviderMinimum" unbond 100
worker deregister
worker_refuses "not registered as a provider" update --config "$updated"
worker unbond 250
status=$(worker status) || fail "kiln-worker status"
unlock_at=$(sed -n 's/^unbonding: 250 KILN withdrawable from block \([0-9]*\)$/\1/p' <<<"$status")
[[ -n $unlock_at ]] || fail "status does not show the unbonding chunk: $status"
wait_until 120 "block #$unlock_at (end of the unbonding period)" best_at_least "$rpc_port" "$unlock_at"
worker withdraw
status=$(worker status) || fail "kiln-worker status"
grep -q "^bonded:    0 KILN" <<<"$status" || fail "status after withdraw: $status"
grep -q "^provider:  not registered" <<<"$status" || fail "status after withdraw: $status"
unset KILN_SURI

step "dev chain: waiting for the @polkadot/api client tests"
js_status=0
wait "$js_pid" || js_status=$?
cat "$js_log"
((js_status == 0)) || fail "@polkadot/api tests failed"

# Last: it changes the runtime. The same runtime with spec_version + 1, built by the
# workspace (runtime/test-variants/next), applied by Council motion with work in flight.
step "dev chain: runtime upgrade by Council motion (upgrade.test.mjs)"
next_runtime="$KILN_BIN/wbuild/kiln-runtime-next/kiln_runtime_next.compact.compressed.wasm"
[[ -f $next_runtime ]] || fail "no $next_runtime: build the workspace first"
upgrade_log="$KILN_LOG_DIR/upgrade-test.log"
KILN_WS="ws://127.0.0.1:$rpc_port" KILN_NEXT_RUNTIME="$next_runtime" \
	node --test --test-timeout=300000 "$KILN_ROOT/tests/e2e/upgrade.test.mjs" >"$upgrade_log" 2>&1 ||
	{ cat "$upgrade_log"; fail "runtime upgrade test failed"; }
cat "$upgrade_log"

rm -rf "$KILN_LOG_DIR" # kept only when a test fails
echo "dev chain: ok"
