# Helpers for the end-to-end scripts: start nodes on free loopback ports, query them over
# JSON-RPC, wait with deadlines, and stop every process on exit (also on failure).
# Sourced after scripts/env.sh.

KILN_PIDS=()
KILN_LOG_DIR="${KILN_LOG_DIR:-$(mktemp -d -t kiln-e2e.XXXXXX)}"

kiln_cleanup() {
	local pid
	for pid in "${KILN_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${KILN_PIDS[@]}"; do
		# Give each process 10 s to stop cleanly, then kill it.
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	KILN_PIDS=()
}
trap kiln_cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAIL: $*" >&2
	for log in "$KILN_LOG_DIR"/*.log; do
		[[ -f $log ]] || continue
		echo "---- last lines of $log" >&2
		tail -n 30 "$log" >&2
	done
	exit 1
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# rpc PORT METHOD [PARAMS_JSON]: prints the JSON `result`, fails on an RPC error.
rpc() {
	local port=$1 method=$2 params=${3:-[]}
	curl -sf -m 5 -H 'Content-Type: application/json' \
		-d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$method\",\"params\":$params}" \
		"http://127.0.0.1:$port" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps(r["result"]) if "result" in r else sys.exit(r.get("error")))'
}

best_number() { rpc "$1" chain_getHeader | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["number"],16))'; }
finalized_number() {
	local head
	head=$(rpc "$1" chain_getFinalizedHead) || return 1
	rpc "$1" chain_getHeader "[$head]" | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["number"],16))'
}
peer_count() { rpc "$1" system_health | python3 -c 'import json,sys; print(json.load(sys.stdin)["peers"])'; }

# start_node NAME ARGS...: starts kiln-node in the background, logs to $KILN_LOG_DIR/NAME.log.
# Sets NODE_PID.
start_node() {
	local name=$1
	shift
	"$KILN_BIN/kiln-node" "$@" >"$KILN_LOG_DIR/$name.log" 2>&1 &
	NODE_PID=$!
	KILN_PIDS+=("$NODE_PID")
}

# stop_pid PID: stops one process and waits for it.
stop_pid() {
	kill "$1" 2>/dev/null || true
	for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$1" 2>/dev/null || true
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every second until it succeeds.
wait_until() {
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || fail "timed out after ${deadline}s waiting for: $what"
		sleep 1
	done
}

# True once PORT's finalized block is at least N.
finalized_at_least() { local f; f=$(finalized_number "$1") && ((f >= $2)); }
best_at_least() { local b; b=$(best_number "$1") && ((b >= $2)); }

# Local testnet validators (chain-specs/local-testnet.json, or TESTNET_SPEC). Each gets a fixed
# node key so its peer id is known, listens on loopback only, and keeps its state under
# BASE/NAME.
TESTNET_NAMES=(alice bob charlie dave)
declare -A TESTNET_P2P TESTNET_RPC TESTNET_PID

# node_key_of INDEX: a fixed 32-byte ed25519 node key (hex) for validator INDEX.
node_key_of() { printf '%064x' $(($1 + 1)); }

# start_validator NAME BASE: starts one validator; ports come from TESTNET_P2P/TESTNET_RPC.
start_validator() {
	local name=$1 base=$2 index boot=()
	for index in "${!TESTNET_NAMES[@]}"; do [[ ${TESTNET_NAMES[$index]} == "$name" ]] && break; done
	if [[ $name != alice ]]; then
		boot=(--bootnodes "/ip4/127.0.0.1/tcp/${TESTNET_P2P[alice]}/p2p/$ALICE_PEER_ID")
	fi
	start_node "$name" --chain "${TESTNET_SPEC:-$KILN_ROOT/chain-specs/local-testnet.json}" "--$name" \
		--base-path "$base/$name" --node-key "$(node_key_of "$index")" \
		--listen-addr "/ip4/127.0.0.1/tcp/${TESTNET_P2P[$name]}" --rpc-port "${TESTNET_RPC[$name]}" \
		--no-prometheus --no-mdns --no-telemetry --allow-private-ip "${boot[@]}"
	TESTNET_PID[$name]=$NODE_PID
}

# start_testnet BASE: picks free ports and starts the four validators.
start_testnet() {
	local base=$1 name key_file
	key_file=$(mktemp)
	node_key_of 0 >"$key_file"
	ALICE_PEER_ID=$("$KILN_BIN/kiln-node" key inspect-node-key --file "$key_file")
	rm -f "$key_file"
	for name in "${TESTNET_NAMES[@]}"; do
		TESTNET_P2P[$name]=$(free_port)
		TESTNET_RPC[$name]=$(free_port)
	done
	for name in "${TESTNET_NAMES[@]}"; do
		start_validator "$name" "$base"
	done
}
peers_at_least() { local p; p=$(peer_count "$1") && ((p >= $2)); }
