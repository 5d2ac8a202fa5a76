// PoC-GEMM v1 kernels (SPEC §4), compiled at run time with NVRTC by cuda/mod.rs: the
// generator and the __dp4a GEMM (any device from sm_61); gemm_mma.cu, appended to this file,
// has the tensor-core GEMM.
//
// The same text is also compiled as host C++ by the worker's tests, on top of
// kernels/emu.h (one fiber per CUDA thread, switched at __syncthreads), so it must stay
// within plain C++: fixed-width types spelled as C types, no CUDA headers, no templates
// that need the CUDA toolkit. cuda/mod.rs prepends the tile sizes as #defines (KILN_TILE_M,
// KILN_TILE_N, KILN_TILE_KQ, KILN_THREADS_X, KILN_THREADS_Y, and KILN_MMA_* for
// gemm_mma.cu), so Rust owns the launch geometry.
//
// Operand layout ("packed"): a matrix of `rows` × k int8 is stored as rows × kq 32-bit
// words, kq = k rounded up to a multiple of 64, divided by 4 (a multiple of KILN_TILE_KQ and
// of KILN_MMA_KQ). Word w of a row holds elements t = 4w .. 4w+3, element 4w in the low
// byte; elements t >= k are 0, so the padding adds nothing to any dot product. A is packed as m rows (row i = A[i, ·]) and B as
// n rows of Bᵀ (row j = B[·, j]), so both are consumed along k, four elements per __dp4a.

#ifndef KILN_TILE_M
#error "cuda/mod.rs defines the tile sizes"
#endif

#define KILN_THREADS (KILN_THREADS_X * KILN_THREADS_Y)
// Outputs per thread along each axis.
#define KILN_PER_THREAD_M (KILN_TILE_M / KILN_THREADS_Y)
#define KILN_PER_THREAD_N (KILN_TILE_N / KILN_THREADS_X)

// The SplitMix64 finaliser: kiln_primitives::poc::mix.
__device__ __forceinline__ unsigned long long kiln_mix(unsigned long long z) {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

// MatrixGen::new: the key of one matrix from the seed's four little-endian words and its tag.
__device__ __forceinline__ unsigned long long kiln_key(
	unsigned long long w0,
	unsigned long long w1,
	unsigned long long w2,
	unsigned long long w3,
	unsigned long long tag
) {
	return kiln_mix(w0 ^ kiln_mix(w1 ^ kiln_mix(w2 ^ kiln_mix(w3 ^ kiln_mix(tag)))));
}

// MatrixGen::block: the 64-bit block holding elements 8·counter .. 8·counter + 7.
__device__ __forceinline__ unsigned long long kiln_block(
	unsigned long long key,
	unsigned long long counter
) {
	return kiln_mix(key + (counter + 1ULL) * 0x9E3779B97F4A7C15ULL);
}

// Fills one packed operand: element (r, t) of the `rows` × k matrix is element
// r·row_stride + t·t_stride of the generator's row-major sequence. A: rows = m,
// row_stride = k, t_stride = 1. Bᵀ: rows = n, row_stride = 1, t_stride = n.
// One thread per 32-bit word, grid-stride loop (any grid size is correct).
extern "C" __global__ void kiln_gen_packed(
	int* out,
	unsigned long long w0,
	unsigned long long w1,
	unsigned long long w2,
	unsigned long long w3,
	unsigned long long tag,
	unsigned int rows,
	unsigned int k,
	unsigned int kq,
	unsigned int row_stride,
	unsigned int t_stride
) {
	const unsigned long long key = kiln_key(w0, w1, w2, w3, tag);
	const unsigned long long words = (unsigned long long)rows * kq;
	const unsigned long long step = (unsigned long long)gridDim.x * blockDim.x;
	for (unsigned long long q = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
	     q < words;
	     q += step) {
		const unsigned long long r = q / kq;
		const unsigned int t0 = (unsigned int)(q % kq) * 4u;
		unsigned int packed = 0;
		// Four consecutive elements of A share one block most of the time.
		unsigned long long cached_counter = ~0ULL;
		unsigned long long block = 0;
		for (unsigned int i = 0; i < 4; ++i) {
			const unsigned int t = t0 + i;
			if (t >= k) {
				break;
			}
			const unsigned long long index =
				r * row_stride + (unsigned long long)t * t_stride;
			const unsigned long long counter = index >> 3;
			if (counter != cached_counter) {
				block = kiln_block(key, counter);
				cached_counter = counter;
			}
			const unsigned int byte = (unsigned int)(block >> (8u * (unsigned int)(index & 7u))) & 0xFFu;
			packed |= byte << (8u * i);
		}
		out[q] = (int)packed;
	}
}

// C = A·B: C (m × n, row-major int32) from packed A (m × kq words) and packed Bᵀ
// (n × kq words). Block (KILN_THREADS_X × KILN_THREADS_Y threads, 1-D) computes a
// KILN_TILE_M × KILN_TILE_N tile of C; thread (tx, ty) owns rows ty + KILN_THREADS_Y·i and
// columns tx + KILN_THREADS_X·j of it. k advances KILN_TILE_KQ words (4·KILN_TILE_KQ
// elements) at a time through shared memory. grid.x covers the column tiles; row tiles are
// visited with a stride of grid.y, so any grid.y ≥ 1 is correct.
// Exact integer math: |c| ≤ 65 536 · 128 · 128 = 2^30, no overflow, any order gives the same C.
extern "C" __global__ void kiln_gemm_i8(
	const int* a,
	const int* bt,
	int* c,
	unsigned int m,
	unsigned int n,
	unsigned int kq
) {
	__shared__ int a_tile[KILN_TILE_KQ][KILN_TILE_M];
	__shared__ int b_tile[KILN_TILE_KQ][KILN_TILE_N];

	const unsigned int tid = threadIdx.x;
	const unsigned int tx = tid % KILN_THREADS_X;
	const unsigned int ty = tid / KILN_THREADS_X;
	const unsigned int tiles_m = (m + KILN_TILE_M - 1) / KILN_TILE_M;
	const unsigned long long col0 = (unsigned long long)blockIdx.x * KILN_TILE_N;

	for (unsigned int tile = blockIdx.y; tile < tiles_m; tile += gridDim.y) {
		const unsigned long long row0 = (unsigned long long)tile * KILN_TILE_M;
		int acc[KILN_PER_THREAD_M][KILN_PER_THREAD_N];
		for (int i = 0; i < KILN_PER_THREAD_M; ++i) {
			for (int j = 0; j < KILN_PER_THREAD_N; ++j) {
				acc[i][j] = 0;
			}
		}

		for (unsigned int k0 = 0; k0 < kq; k0 += KILN_TILE_KQ) {
			// Consecutive threads read consecutive words of a row: KILN_TILE_KQ words per row.
			for (unsigned int l = tid; l < KILN_TILE_M * KILN_TILE_KQ; l += KILN_THREADS) {
				const unsigned int r = l / KILN_TILE_KQ;
				const unsigned int w = l % KILN_TILE_KQ;
				const unsigned long long row = row0 + r;
				a_tile[w][r] = row < m ? a[row * kq + k0 + w] : 0;
			}
			for (unsigned int l = tid; l < KILN_TILE_N * KILN_TILE_KQ; l += KILN_THREADS) {
				const unsigned int r = l / KILN_TILE_KQ;
				const unsigned int w = l % KILN_TILE_KQ;
				const unsigned long long col = col0 + r;
				b_tile[w][r] = col < n ? bt[col * kq + k0 + w] : 0;
			}
			__syncthreads();
			for (int w = 0; w < KILN_TILE_KQ; ++w) {
				int a_frag[KILN_PER_THREAD_M];
				int b_frag[KILN_PER_THREAD_N];
				for (int i = 0; i < KILN_PER_THREAD_M; ++i) {
					a_frag[i] = a_tile[w][ty + KILN_THREADS_Y * i];
				}
				for (int j = 0; j < KILN_PER_THREAD_N; ++j) {
					b_frag[j] = b_tile[w][tx + KILN_THREADS_X * j];
				}
				for (int i = 0; i < KILN_PER_THREAD_M; ++i) {
					for (int j = 0; j < KILN_PER_THREAD_N; ++j) {
						acc[i][j] = __dp4a(a_frag[i], b_frag[j], acc[i][j]);
					}
				}
			}
			__syncthreads();
		}

		for (int i = 0; i < KILN_PER_THREAD_M; ++i) {
			const unsigned long long row = row0 + ty + KILN_THREADS_Y * i;
			for (int j = 0; j < KILN_PER_THREAD_N; ++j) {
				const unsigned long long col = col0 + tx + KILN_THREADS_X * j;
				if (row < m && col < n) {
					c[row * n + col] = acc[i][j];
				}
			}
		}
	}
}
