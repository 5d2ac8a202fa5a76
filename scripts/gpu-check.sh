#!/usr/bin/env bash
# GPU checks from prebuilt binaries, for a machine with an NVIDIA GPU and no Rust toolchain.
#
# Here (with the toolchain):   scripts/gpu-check.sh --prepare   # copies the binaries to .gpu/
# There (from the repo root):  scripts/gpu-check.sh [OUT_DIR]    # runs them, logs to OUT_DIR
#
# It runs the CUDA backend against the CPU backend bit for bit, once per GEMM kernel the device
# runs (the worker's unit test gpu_cuda_backend_equals_the_cpu_backend with KILN_REQUIRE_GPU=1:
# a missing GPU fails; mma from compute capability 8.0, dp4a from 6.1), then `kiln-worker
# bench` with each kernel forced (--cuda-kernel) at the challenge shape 4096×4096×8192 and at
# 8192³, printing TOPS and the share of the device's dense int8 peak, and the CPU at the
# challenge shape; the Merkle roots of C must agree between the kernels and the CPU. Then Cuda
# jobs: the unit test gpu_cuda_jobs_run_and_device_failures_are_results, and the example job
# (examples/cuda-jobs/histogram.cu) through `kiln-worker cuda-job`, the child process the
# daemon starts, checked against the histogram Python computes. About a minute on an H200.
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} == --prepare ]]; then
	set -e
	export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln-target}"
	cargo build --release --locked -p kiln-worker
	test_bin=$(cargo test --release --locked -p kiln-worker --lib --no-run --message-format=json 2>/dev/null |
		python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["lib"]:
        print(m["executable"])')
	mkdir -p .gpu
	grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >>.git/info/exclude
	cp "$CARGO_TARGET_DIR/release/kiln-worker" .gpu/kiln-worker
	cp "$test_bin" .gpu/kiln-worker-tests
	strip .gpu/kiln-worker .gpu/kiln-worker-tests
	du -sh .gpu/*
	exit 0
fi

out="${1:-${OUT:-/tmp/gpu-check}}"
mkdir -p "$out"
log="$out/gpu-check.log"
exec > >(tee "$log") 2>&1

echo "== $(date -u +%FT%TZ) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || true
nproc

# NVRTC: the worker looks for libnvrtc.so.12 or libnvrtc.so; a CUDA 13 machine has
# libnvrtc.so.13, which loads the same API. Link it under the plain name in a private directory.
lib=$(find / -xdev \( -name 'libnvrtc.so.1[2-9]' -o -name 'libnvrtc.so' \) -print 2>/dev/null | sort | head -1)
echo "nvrtc: ${lib:-none found}"
if [[ -n $lib ]]; then
	mkdir -p /tmp/kiln-nvrtc
	ln -sf "$lib" /tmp/kiln-nvrtc/libnvrtc.so
	export LD_LIBRARY_PATH="/tmp/kiln-nvrtc:$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

status=0
step() {
	echo "== $*"
	local start=$SECONDS
	"$@" || { echo "FAILED ($?): $*"; status=1; }
	echo "   ($((SECONDS - start)) s)"
}
KILN_REQUIRE_GPU=1 step .gpu/kiln-worker-tests --exact backend::cuda::tests::gpu_cuda_backend_equals_the_cpu_backend --nocapture
# bench SHAPE_NAME ARGS...: one `kiln-worker bench`, its root kept in $out/roots.
bench() {
	local name=$1
	shift
	.gpu/kiln-worker bench "$@" | tee "$out/bench.txt" || return 1
	echo "$name $(sed -n 's/^root: *//p' "$out/bench.txt")" >>"$out/roots"
}
: >"$out/roots"
for kernel in mma dp4a; do
	for shape in "4096 4096 8192" "8192 8192 8192"; do
		read -r m n k <<<"$shape"
		step bench "${m}x${n}x${k}" --backend cuda --cuda-kernel $kernel --m "$m" --n "$n" --k "$k"
	done
done
step bench 4096x4096x8192 --backend cpu --m 4096 --n 4096 --k 8192
# Every run of a shape must give the same root (the kernels and the CPU agree on all of C).
same_roots() {
	cat "$out/roots"
	local mismatched
	mismatched=$(sort -u "$out/roots" | awk '{print $1}' | uniq -d)
	[[ -z $mismatched ]] || { echo "roots differ for $mismatched"; return 1; }
	[[ $(sort -u "$out/roots" | wc -l) -eq 2 ]] || { echo "expected 2 shapes with a root each"; return 1; }
	echo "roots: every kernel and the CPU agree"
}
step same_roots
KILN_REQUIRE_GPU=1 step .gpu/kiln-worker-tests --exact backend::cuda::job::tests::gpu_cuda_jobs_run_and_device_failures_are_results --nocapture
cuda_job() {
	local dir="$out/cuda-job"
	mkdir -p "$dir"
	cp examples/cuda-jobs/histogram.cu "$dir/source.cu"
	head -c 50000000 /dev/urandom >"$dir/input"
	echo '{"entry":"histogram","grid":[256,1,1],"block":[256,1,1],"output_len":1024}' >"$dir/launch.json"
	local start=$(date +%s.%N)
	.gpu/kiln-worker cuda-job "$dir" || return 1
	echo "cuda-job: $(python3 -c "print(round($(date +%s.%N) - $start, 3))") s for 50 MB (compile, launch, copies)"
	python3 - "$dir" <<'PY'
import sys, struct, collections
d = sys.argv[1]
data = open(f"{d}/input", "rb").read()
counts = collections.Counter(data)
expected = b"".join(struct.pack("<I", counts.get(b, 0)) for b in range(256))
got = open(f"{d}/output", "rb").read()
assert got == expected, "the GPU histogram differs from Python's"
print("cuda-job: the histogram of 50 MB equals Python's")
PY
}
step cuda_job
echo "== done: status $status"
exit $status
