#!/usr/bin/env bash
# Installs NVRTC (the CUDA runtime compiler, no driver and no GPU needed) from PyPI into a venv
# under ${KILN_CACHE:-$HOME/.cache/kiln}/nvrtc-venv, and prints the directory holding
# libnvrtc.so.12. Idempotent: a venv that already has the library is reused.
# The worker's tests compile every CUDA kernel to PTX with it:
#   KILN_NVRTC_LIB="$(scripts/nvrtc.sh)" cargo test --release --locked -p kiln-worker
# Progress goes to stderr, so stdout is only the directory.
set -euo pipefail

cache="${KILN_CACHE:-$HOME/.cache/kiln}"
venv="$cache/nvrtc-venv"
# 12.x: the driver API version the worker is built against (cudarc feature cuda-12080).
package="nvidia-cuda-nvrtc-cu12"

find_lib() {
	local lib
	lib=$(find "$venv" -path '*/nvidia/cuda_nvrtc/lib/libnvrtc.so.12' -print -quit 2>/dev/null || true)
	[[ -n $lib ]] && dirname "$lib"
}

if ! dir=$(find_lib) || [[ -z $dir ]]; then
	echo "nvrtc: installing $package into $venv" >&2
	mkdir -p "$cache"
	[[ -x $venv/bin/python ]] || python3 -m venv "$venv" >&2
	"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$package" >&2
	dir=$(find_lib) || true
	if [[ -z ${dir:-} ]]; then
		echo "nvrtc: $package installed but libnvrtc.so.12 is not in $venv" >&2
		exit 1
	fi
fi
echo "$dir"
