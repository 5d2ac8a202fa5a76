#!/usr/bin/env bash
# Installs what building and testing Kiln needs. Idempotent: only missing pieces are fetched.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"

missing=()
command -v protoc >/dev/null || missing+=(protobuf-compiler)
command -v clang >/dev/null || missing+=(clang)
[[ -e /usr/lib/llvm-14/lib/libclang.so || -n $(ls /usr/lib/llvm-*/lib/libclang*.so* 2>/dev/null | head -1) ]] || missing+=(libclang-dev)
command -v curl >/dev/null || missing+=(curl)
# The worker's CUDA tests: a C++ compiler for the kernels' CPU twin, a Python venv for NVRTC.
command -v "${CXX:-c++}" >/dev/null || missing+=(g++)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
	echo "setup: installing ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

installed_targets=$(rustup target list --installed)
# wasm32-wasip1: the example Wasm job (examples/wasm-jobs) the end-to-end tests post.
for target in wasm32-unknown-unknown wasm32v1-none wasm32-wasip1; do
	grep -qx "$target" <<<"$installed_targets" || rustup target add "$target"
done
rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src

# The end-to-end tests drive the node with @polkadot/api, as a client would.
if ! command -v node >/dev/null; then
	echo "setup: Node.js (>= 20) is required for the end-to-end tests" >&2
	exit 1
fi
e2e="$KILN_ROOT/tests/e2e"
stamp="$e2e/node_modules/.kiln-lock-hash"
want=$(sha256sum "$e2e/package-lock.json" | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
	echo "setup: installing the e2e test's npm packages"
	(cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
	echo "$want" >"$stamp"
fi
echo "setup: ok"
