// PoC-GEMM v1 on tensor cores (sm_80 and later): the same C = A·B as kiln_gemm_i8 in gemm.cu,
// from the same packed operands, with mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32.
// Int32 accumulation of int8 products is exact (|c| ≤ 2^30 for k ≤ 65 536), so the order of
// the additions does not matter and the result equals the CPU's bit for bit.
//
// cuda/mod.rs appends this file to gemm.cu and prepends the geometry as #defines
// (KILN_MMA_TILE_M, KILN_MMA_TILE_N, KILN_MMA_WARPS_M, KILN_MMA_WARPS_N, KILN_MMA_KQ,
// KILN_MMA_STAGES). Like gemm.cu it is also compiled as host C++ on top of kernels/emu.h,
// which emulates the three device-only operations used here: cp.async (16 bytes, zero-filled
// out of bounds), its commit/wait, and a warp's mma.sync in the PTX ISA's fragment layout.
// Everything else is the code the GPU runs.
//
// Design. A block (KILN_MMA_WARPS_M × KILN_MMA_WARPS_N warps) computes a KILN_MMA_TILE_M ×
// KILN_MMA_TILE_N tile of C; each warp a (TILE_M / WARPS_M) × (TILE_N / WARPS_N) piece of it
// as FRAGS_M × FRAGS_N mma tiles of 16 × 8, accumulated in registers. k advances KILN_MMA_KQ
// words (4 · KQ int8) per step through a ring of KILN_MMA_STAGES shared-memory stages filled
// by cp.async, so the copies of the next steps overlap the products of this one; one
// __syncthreads per step.
//
// Fragments without ldmatrix. Only the pairing of A's and B's k matters to an exact dot
// product, not which k sits in which mma slot. So lane (group g, quad t) reads one 16-byte
// chunk per row, words 4t .. 4t+3 of each 16-word (64-int8) slice: rows g and g+8 of an A
// tile, row g of a Bᵀ tile. Word 4t+2s goes to a[0]/a[1] and b[0] of the s-th mma (slots
// 4t .. 4t+3), word 4t+2s+1 to a[2]/a[3] and b[1] (slots 16+4t ..), for s = 0, 1: both
// operands put the same k in the same slot, and the two mma of a slice cover its 64 k once.
// One 128-bit shared load per row and slice, and 8 lanes read 128 contiguous bytes, so with
// KILN_MMA_KQ = 16 (unpadded 64-byte rows) the loads are free of bank conflicts.

#ifndef KILN_MMA_TILE_M
#error "cuda/mod.rs defines the tile sizes"
#endif

#if defined(KILN_EMULATOR) || __CUDA_ARCH__ >= 800

#define KILN_MMA_THREADS (32 * KILN_MMA_WARPS_M * KILN_MMA_WARPS_N)
// Rows and columns of C per warp, and its mma tiles (16 rows × 8 columns each).
#define KILN_MMA_WARP_M (KILN_MMA_TILE_M / KILN_MMA_WARPS_M)
#define KILN_MMA_WARP_N (KILN_MMA_TILE_N / KILN_MMA_WARPS_N)
#define KILN_MMA_FRAGS_M (KILN_MMA_WARP_M / 16)
#define KILN_MMA_FRAGS_N (KILN_MMA_WARP_N / 8)
// 16-byte chunks per row of a stage.
#define KILN_MMA_CHUNKS (KILN_MMA_KQ / 4)

#if KILN_MMA_WARP_M % 16 != 0 || KILN_MMA_WARP_N % 8 != 0 || KILN_MMA_KQ % 16 != 0
#error "a warp's piece must be whole mma tiles and a k step whole 64-int8 slices"
#endif
#if KILN_MMA_THREADS % KILN_MMA_CHUNKS != 0 || KILN_MMA_TILE_M % (KILN_MMA_THREADS / KILN_MMA_CHUNKS) != 0 || \
	KILN_MMA_TILE_N % (KILN_MMA_THREADS / KILN_MMA_CHUNKS) != 0 || KILN_MMA_STAGES < 2
#error "every thread copies the same number of chunks, through at least two stages"
#endif

#ifdef KILN_EMULATOR
#define KILN_UNROLL
#else
#define KILN_UNROLL _Pragma("unroll")

// Copies 16 bytes from global to shared memory asynchronously; zeros where !in_bounds (no
// byte is read then). Both addresses are 16-byte aligned.
__device__ __forceinline__ void kiln_cp_async16(void* shared_dst, const void* global_src, bool in_bounds) {
	const unsigned int dst = (unsigned int)__cvta_generic_to_shared(shared_dst);
	const int src_bytes = in_bounds ? 16 : 0;
	asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(global_src), "r"(src_bytes)
	             : "memory");
}

// Closes the group of this thread's cp.async issued since the last commit.
__device__ __forceinline__ void kiln_cp_async_commit() {
	asm volatile("cp.async.commit_group;\n" ::: "memory");
}

// Waits until at most `n` (a constant) of this thread's committed groups are in flight.
#define KILN_CP_ASYNC_WAIT(n) asm volatile("cp.async.wait_group %0;\n" ::"n"(n) : "memory")

// d += a·b for one 16×8×32 tile (the whole warp executes it with its fragments).
__device__ __forceinline__ void kiln_mma_m16n8k32(int d[4], const unsigned int a[4], const unsigned int b[2]) {
	asm volatile(
		"mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
		"{%0,%1,%2,%3};\n"
		: "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
		: "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
#endif

// One A fragment against the warp's FRAGS_N B fragments: FRAGS_N mma.
__device__ __forceinline__ void kiln_mma_row(
	int d[KILN_MMA_FRAGS_N][4],
	const unsigned int a[4],
	const unsigned int b[KILN_MMA_FRAGS_N][2]
) {
#ifdef KILN_EMULATOR
	// One exchange between the warp's fibers for the FRAGS_N mma.
	emu::warp_mma_m16n8k32_s8(KILN_MMA_FRAGS_N, &d[0][0], a, &b[0][0]);
#else
	KILN_UNROLL
	for (int j = 0; j < KILN_MMA_FRAGS_N; ++j) {
		kiln_mma_m16n8k32(d[j], a, b[j]);
	}
#endif
}

// Chunks each thread copies per operand and stage, and the rows between two of them: thread
// t copies chunk t % CHUNKS of rows t / CHUNKS + KILN_MMA_PASS_ROWS · i (consecutive threads
// copy consecutive chunks: a row's 64 bytes come from 4 threads).
#define KILN_MMA_PASS_ROWS (KILN_MMA_THREADS / KILN_MMA_CHUNKS)
#define KILN_MMA_PASSES_M (KILN_MMA_TILE_M / KILN_MMA_PASS_ROWS)
#define KILN_MMA_PASSES_N (KILN_MMA_TILE_N / KILN_MMA_PASS_ROWS)

// One operand's rows as this thread copies them during a row tile.
struct KilnMmaRows {
	// Word offset of this thread's first chunk at k = 0 in the packed operand.
	unsigned long long offset;
	// Words between two of its chunks (KILN_MMA_PASS_ROWS rows).
	unsigned long long stride;
	// Its chunks whose row exists (the others are zero-filled).
	unsigned int valid;
};

__device__ __forceinline__ KilnMmaRows kiln_mma_rows(unsigned long long row0, unsigned int rows, unsigned int kq) {
	const unsigned long long first = row0 + threadIdx.x / KILN_MMA_CHUNKS;
	KilnMmaRows r;
	r.offset = first * kq + 4 * (threadIdx.x % KILN_MMA_CHUNKS);
	r.stride = (unsigned long long)KILN_MMA_PASS_ROWS * kq;
	r.valid = first < rows ? (unsigned int)((rows - first + KILN_MMA_PASS_ROWS - 1) / KILN_MMA_PASS_ROWS) : 0;
	return r;
}

// Starts copying the k step at word k0 of one operand's tile into a stage.
template <int PASSES>
__device__ __forceinline__ void kiln_mma_load(uint4 (*stage)[KILN_MMA_CHUNKS], const int* src, KilnMmaRows rows, unsigned int k0) {
	const unsigned int first = threadIdx.x / KILN_MMA_CHUNKS;
	const unsigned int part = threadIdx.x % KILN_MMA_CHUNKS;
	KILN_UNROLL
	for (unsigned int i = 0; i < PASSES; ++i) {
		const bool in_bounds = i < rows.valid;
		const int* from = in_bounds ? src + (rows.offset + i * rows.stride + k0) : src;
		kiln_cp_async16(&stage[first + KILN_MMA_PASS_ROWS * i][part], from, in_bounds);
	}
}

// C = A·B on tensor cores. Same parameters and result as kiln_gemm_i8; kq must be a multiple
// of KILN_MMA_KQ (the plan pads k to it). grid.x covers the column tiles, row tiles are
// visited with a stride of grid.y (any grid.y ≥ 1 is correct). Blocks of KILN_MMA_THREADS.
extern "C" __global__ void __launch_bounds__(KILN_MMA_THREADS, 2) kiln_gemm_i8_mma(
	const int* a,
	const int* bt,
	int* c,
	unsigned int m,
	unsigned int n,
	unsigned int kq
) {
	__shared__ uint4 a_tile[KILN_MMA_STAGES][KILN_MMA_TILE_M][KILN_MMA_CHUNKS];
	__shared__ uint4 b_tile[KILN_MMA_STAGES][KILN_MMA_TILE_N][KILN_MMA_CHUNKS];

	const unsigned int warp = threadIdx.x / 32;
	const unsigned int lane = threadIdx.x % 32;
	// The PTX ISA's groupID and threadID_in_group.
	const unsigned int group = lane / 4;
	const unsigned int quad = lane % 4;
	const unsigned int warp_row = (warp / KILN_MMA_WARPS_N) * KILN_MMA_WARP_M;
	const unsigned int warp_col = (warp % KILN_MMA_WARPS_N) * KILN_MMA_WARP_N;
	const unsigned int tiles_m = (m + KILN_MMA_TILE_M - 1) / KILN_MMA_TILE_M;
	const unsigned int steps = kq / KILN_MMA_KQ;
	const unsigned long long col0 = (unsigned long long)blockIdx.x * KILN_MMA_TILE_N;

	for (unsigned int tile = blockIdx.y; tile < tiles_m; tile += gridDim.y) {
		const unsigned long long row0 = (unsigned long long)tile * KILN_MMA_TILE_M;
		const KilnMmaRows a_rows = kiln_mma_rows(row0, m, kq);
		const KilnMmaRows b_rows = kiln_mma_rows(col0, n, kq);
		int acc[KILN_MMA_FRAGS_M][KILN_MMA_FRAGS_N][4];
		KILN_UNROLL
		for (int i = 0; i < KILN_MMA_FRAGS_M; ++i) {
			KILN_UNROLL
			for (int j = 0; j < KILN_MMA_FRAGS_N; ++j) {
				KILN_UNROLL
				for (int r = 0; r < 4; ++r) {
					acc[i][j][r] = 0;
				}
			}
		}

		// The first STAGES - 1 steps in flight. A group is committed for every step, empty or
		// not, so "all but the newest STAGES - 2 groups" is always the step about to be used.
		for (unsigned int s = 0; s + 1 < KILN_MMA_STAGES; ++s) {
			if (s < steps) {
				kiln_mma_load<KILN_MMA_PASSES_M>(a_tile[s], a, a_rows, s * KILN_MMA_KQ);
				kiln_mma_load<KILN_MMA_PASSES_N>(b_tile[s], bt, b_rows, s * KILN_MMA_KQ);
			}
			kiln_cp_async_commit();
		}

		for (unsigned int step = 0; step < steps; ++step) {
			KILN_CP_ASYNC_WAIT(KILN_MMA_STAGES - 2);
			// This step's stage is complete for every thread, and every warp is done with the
			// stage the next copy overwrites (the one of step - 1).
			__syncthreads();
			const unsigned int next = step + KILN_MMA_STAGES - 1;
			if (next < steps) {
				const unsigned int stage = next % KILN_MMA_STAGES;
				kiln_mma_load<KILN_MMA_PASSES_M>(a_tile[stage], a, a_rows, next * KILN_MMA_KQ);
				kiln_mma_load<KILN_MMA_PASSES_N>(b_tile[stage], bt, b_rows, next * KILN_MMA_KQ);
			}
			kiln_cp_async_commit();

			const unsigned int stage = step % KILN_MMA_STAGES;
			KILN_UNROLL
			for (unsigned int slice = 0; slice < KILN_MMA_CHUNKS / 4; ++slice) {
				const unsigned int chunk = 4 * slice + quad;
				unsigned int b_frag[2][KILN_MMA_FRAGS_N][2];
				KILN_UNROLL
				for (int j = 0; j < KILN_MMA_FRAGS_N; ++j) {
					const uint4 b = b_tile[stage][warp_col + 8 * j + group][chunk];
					b_frag[0][j][0] = b.x;
					b_frag[0][j][1] = b.y;
					b_frag[1][j][0] = b.z;
					b_frag[1][j][1] = b.w;
				}
				KILN_UNROLL
				for (int i = 0; i < KILN_MMA_FRAGS_M; ++i) {
					const uint4 lo = a_tile[stage][warp_row + 16 * i + group][chunk];
					const uint4 hi = a_tile[stage][warp_row + 16 * i + group + 8][chunk];
					const unsigned int a_frag0[4] = {lo.x, hi.x, lo.y, hi.y};
					const unsigned int a_frag1[4] = {lo.z, hi.z, lo.w, hi.w};
					kiln_mma_row(acc[i], a_frag0, b_frag[0]);
					kiln_mma_row(acc[i], a_frag1, b_frag[1]);
				}
			}
		}
		// Only empty groups can still be open; the next row tile's first copies must wait
		// until every warp is done with the last stages.
		KILN_CP_ASYNC_WAIT(0);
		__syncthreads();

		// acc[i][j][r] is C[row, col] with row = 16i + group (+ 8 for r ≥ 2) and col = 8j +
		// 2·quad (+ 1 for odd r) of the warp's piece.
		KILN_UNROLL
		for (int i = 0; i < KILN_MMA_FRAGS_M; ++i) {
			KILN_UNROLL
			for (int half = 0; half < 2; ++half) {
				const unsigned long long row = row0 + warp_row + 16 * i + group + 8 * half;
				if (row >= m) {
					continue;
				}
				KILN_UNROLL
				for (int j = 0; j < KILN_MMA_FRAGS_N; ++j) {
					const unsigned long long col = col0 + warp_col + 8 * j + 2 * quad;
					if (col < n) {
						c[row * n + col] = acc[i][j][2 * half];
					}
					if (col + 1 < n) {
						c[row * n + col + 1] = acc[i][j][2 * half + 1];
					}
				}
			}
		}
	}
}

#endif
