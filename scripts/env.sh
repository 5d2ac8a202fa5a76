# Sourced by every script: one target directory outside the checkout (so a fresh clone, CI
# included, reuses the compiled dependencies) and a path-independent runtime Wasm.
KILN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export KILN_ROOT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln-target}"
# The Wasm runtime must not depend on where the checkout lives, or the committed raw chain
# spec (which embeds it) would differ between clones.
# Added once: a changed value (sourcing this twice) would make cargo rebuild the runtime.
kiln_remap="--remap-path-prefix=${KILN_ROOT}=/kiln"
case " ${WASM_BUILD_RUSTFLAGS:-} " in
*" $kiln_remap "*) ;;
*) export WASM_BUILD_RUSTFLAGS="$kiln_remap${WASM_BUILD_RUSTFLAGS:+ $WASM_BUILD_RUSTFLAGS}" ;;
esac
export KILN_BIN="$CARGO_TARGET_DIR/release"
export PATH="$HOME/.cargo/bin:$PATH"

# Prints a step header with the time since the script started.
step() { printf '\n==> [%4ss] %s\n' "$SECONDS" "$*"; }
