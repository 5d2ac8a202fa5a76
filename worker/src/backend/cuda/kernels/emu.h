// Host emulation of the small part of CUDA C that kernels/gemm.cu and gemm_mma.cu use, so the
// worker's tests can run the kernels' own source code on a machine without a GPU.
//
// Each launch runs its blocks one after another; inside a block every CUDA thread is a
// fiber (ucontext) with its own stack. A fiber runs until it reaches __syncthreads(), a
// warp-wide mma.sync, or returns. The warps of a block run one after another (in the order
// emu_order says: forward or reverse warp and lane index, and the tests run both), each until
// all its threads wait at __syncthreads() or have returned; then the barrier opens and the
// next phase starts. So shared memory is only consistent where the kernel really has a
// barrier: a missing barrier shows up as a wrong result. A barrier that some threads of a
// block skip (undefined behaviour in CUDA) aborts the emulation.
//
// mma.sync (m16n8k32, s8 × s8 + s32) is executed when all 32 threads of the warp have reached
// it: every lane's d is computed from the fragments of all 32 lanes, laid out as the PTX ISA
// specifies ("Matrix Fragments for mma.m16n8k32"), so a kernel that puts an element in the
// wrong register or lane computes a wrong C here as on the GPU.
//
// cp.async lands at once in forward order and only at the cp.async.wait_group that covers it
// in reverse order: a kernel that overwrites a stage other warps still read (a missing
// barrier after the products) fails the first way, one that reads a stage before waiting for
// it fails the second.

#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <ucontext.h>
#include <vector>

// The kernels test this to pick the emulated cp.async and mma.sync over inline PTX.
#define KILN_EMULATOR 1

struct dim3 {
	unsigned int x = 1, y = 1, z = 1;
};

// CUDA's 16-byte vector (16-byte aligned, as on the device).
struct alignas(16) uint4 {
	unsigned int x, y, z, w;
};

// What the running fiber sees; the scheduler sets them before every switch into a fiber.
static dim3 threadIdx, blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
// One block runs at a time, so one static array per __shared__ declaration is exact.
#define __shared__ static

[[noreturn]] static void emu_fail(const char* message) {
	fprintf(stderr, "emu: %s\n", message);
	abort();
}

// __dp4a(a, b, c): c + the sum of the four products of the signed bytes of a and b.
// Overflowing int32 (which the device would wrap silently) aborts: the PoC never does.
static inline int __dp4a(int a, int b, int c) {
	int64_t sum = c;
	for (int i = 0; i < 4; ++i) {
		const int8_t x = (int8_t)(uint8_t)((uint32_t)a >> (8 * i));
		const int8_t y = (int8_t)(uint8_t)((uint32_t)b >> (8 * i));
		sum += (int64_t)x * (int64_t)y;
	}
	if (sum < INT32_MIN || sum > INT32_MAX) {
		emu_fail("__dp4a overflowed int32");
	}
	return (int)sum;
}

namespace emu {

enum class Order { Forward, Reverse };
static Order order = Order::Forward;

// Why a fiber is not running.
enum class Wait { None, Block, Warp, Done };

// One cp.async of 16 bytes that has not landed yet.
struct Copy {
	uint4* dst;
	const uint4* src;
	bool in_bounds;
};

// The operands of a lane's warp-wide mma.sync: `count` mma, the i-th being
// d[4i .. 4i+4) += a · b[2i .. 2i+2).
struct Mma {
	int count = 0;
	int* d = nullptr;
	const unsigned int* a = nullptr;
	const unsigned int* b = nullptr;
};

struct Fiber {
	ucontext_t context;
	std::vector<char> stack;
	dim3 index;
	Wait wait = Wait::None;
	Mma mma;
	// cp.async issued since the last commit, and the committed groups still in flight.
	std::vector<Copy> open;
	std::deque<std::vector<Copy>> groups;
};

static ucontext_t scheduler;
static Fiber* current = nullptr;
static void (*body)(void*) = nullptr;
static void* body_arg = nullptr;
static unsigned long long barriers = 0;
static unsigned long long warp_mmas = 0;

static void land(const Copy& copy) {
	*copy.dst = copy.in_bounds ? *copy.src : uint4{0, 0, 0, 0};
}

// Copies in flight when a thread returns land then (the device would finish them too).
static void land_all(Fiber& f) {
	for (const auto& group : f.groups) {
		for (const Copy& copy : group) {
			land(copy);
		}
	}
	for (const Copy& copy : f.open) {
		land(copy);
	}
	f.groups.clear();
	f.open.clear();
}

static void trampoline() {
	body(body_arg);
	land_all(*current);
	current->wait = Wait::Done;
	// uc_link returns to the scheduler.
}

__attribute__((noinline)) static void yield(Wait why) {
	Fiber* self = current;
	self->wait = why;
	if (swapcontext(&self->context, &scheduler) != 0) {
		perror("emu: swapcontext");
		abort();
	}
}

__attribute__((noinline)) static void sync_threads() {
	++barriers;
	yield(Wait::Block);
}

// mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32, `count` of them with the same A fragment:
// d[i] += A · B_i, where the calling lane holds a (4 registers), b[2i .. 2i+2) and
// d[4i .. 4i+4). Returns once the whole warp has executed it.
static void warp_mma_m16n8k32_s8(int count, int* d, const unsigned int* a, const unsigned int* b) {
	current->mma = Mma{count, d, a, b};
	yield(Wait::Warp);
}

// The byte `byte` of register `reg` of a lane, as a signed element.
static inline int element(const unsigned int* regs, int reg, int byte) {
	return (int8_t)(uint8_t)(regs[reg] >> (8 * byte));
}

// Executes the mma.sync all 32 lanes of a warp wait at, with the PTX ISA's layout for
// m16n8k32 with .s8 (groupID = lane / 4, threadID_in_group = lane % 4):
//   A (16 × 32, row): a[r] byte j of lane is A[groupID + 8·(r % 2)][4·threadID_in_group + j + 16·(r / 2)]
//   B (32 × 8, col):  b[r] byte j of lane is B[4·threadID_in_group + j + 16·r][groupID]
//   C/D (16 × 8):     d[r] of lane is D[groupID + 8·(r / 2)][2·threadID_in_group + r % 2]
static void execute_warp_mma(Fiber* const* lanes) {
	const int count = lanes[0]->mma.count;
	for (int l = 0; l < 32; ++l) {
		if (lanes[l]->mma.count != count) {
			emu_fail("the lanes of a warp reached different mma.sync");
		}
	}
	for (int i = 0; i < count; ++i) {
		int A[16][32], B[32][8];
		for (int l = 0; l < 32; ++l) {
			const int group = l / 4, quad = l % 4;
			const unsigned int* a = lanes[l]->mma.a;
			const unsigned int* b = lanes[l]->mma.b + 2 * i;
			for (int r = 0; r < 4; ++r) {
				for (int j = 0; j < 4; ++j) {
					A[group + 8 * (r % 2)][4 * quad + j + 16 * (r / 2)] = element(a, r, j);
				}
			}
			for (int r = 0; r < 2; ++r) {
				for (int j = 0; j < 4; ++j) {
					B[4 * quad + j + 16 * r][group] = element(b, r, j);
				}
			}
		}
		for (int l = 0; l < 32; ++l) {
			const int group = l / 4, quad = l % 4;
			int* d = lanes[l]->mma.d + 4 * i;
			for (int r = 0; r < 4; ++r) {
				const int row = group + 8 * (r / 2), col = 2 * quad + r % 2;
				int64_t sum = d[r];
				for (int k = 0; k < 32; ++k) {
					sum += (int64_t)A[row][k] * B[k][col];
				}
				if (sum < INT32_MIN || sum > INT32_MAX) {
					emu_fail("mma.sync overflowed int32");
				}
				d[r] = (int)sum;
			}
		}
	}
	++warp_mmas;
}

// The ucontext calls return twice, so they live in functions of their own (no local of the
// scheduler can be clobbered).
__attribute__((noinline)) static void prepare(Fiber& f) {
	f.wait = Wait::None;
	f.open.clear();
	f.groups.clear();
	if (getcontext(&f.context) != 0) {
		perror("emu: getcontext");
		abort();
	}
	f.context.uc_stack.ss_sp = f.stack.data();
	f.context.uc_stack.ss_size = f.stack.size();
	f.context.uc_link = &scheduler;
	makecontext(&f.context, trampoline, 0);
}

__attribute__((noinline)) static void resume(Fiber& f) {
	current = &f;
	threadIdx = f.index;
	f.wait = Wait::None;
	if (swapcontext(&scheduler, &f.context) != 0) {
		perror("emu: swapcontext");
		abort();
	}
	current = nullptr;
}

// Runs the threads first .. first + count - 1 (one warp) until each waits at __syncthreads()
// or has returned, executing the warp's mma.sync on the way.
static void run_warp(std::vector<Fiber>& fibers, size_t first, size_t count) {
	for (;;) {
		for (size_t n = 0; n < count; ++n) {
			Fiber& f = fibers[first + (order == Order::Forward ? n : count - 1 - n)];
			if (f.wait == Wait::None) {
				resume(f);
			}
		}
		size_t at_mma = 0;
		for (size_t n = 0; n < count; ++n) {
			at_mma += fibers[first + n].wait == Wait::Warp ? 1 : 0;
		}
		if (at_mma == 0) {
			return;
		}
		if (at_mma != 32) {
			emu_fail("mma.sync reached by only part of a warp");
		}
		Fiber* lanes[32];
		for (size_t n = 0; n < 32; ++n) {
			lanes[n] = &fibers[first + n];
		}
		execute_warp_mma(lanes);
		for (Fiber* lane : lanes) {
			lane->wait = Wait::None;
		}
	}
}

// Runs `kernel(arg)` over grid × block. Threads are numbered x fastest, then y, then z, and
// warps are 32 consecutive threads.
static void launch(dim3 grid, dim3 block, void (*kernel)(void*), void* arg) {
	const size_t threads = (size_t)block.x * block.y * block.z;
	if (threads == 0 || threads > 1024 || grid.x == 0 || grid.y == 0 || grid.z == 0) {
		emu_fail("invalid launch geometry");
	}
	gridDim = grid;
	blockDim = block;
	body = kernel;
	body_arg = arg;
	std::vector<Fiber> fibers(threads);
	for (auto& f : fibers) {
		f.stack.resize(64 * 1024);
	}
	const size_t warps = (threads + 31) / 32;
	for (unsigned int bz = 0; bz < grid.z; ++bz)
	for (unsigned int by = 0; by < grid.y; ++by)
	for (unsigned int bx = 0; bx < grid.x; ++bx) {
		blockIdx = dim3{bx, by, bz};
		for (size_t t = 0; t < threads; ++t) {
			Fiber& f = fibers[t];
			f.index = dim3{
				(unsigned int)(t % block.x),
				(unsigned int)(t / block.x % block.y),
				(unsigned int)(t / ((size_t)block.x * block.y)),
			};
			prepare(f);
		}
		for (;;) {
			for (size_t n = 0; n < warps; ++n) {
				const size_t w = order == Order::Forward ? n : warps - 1 - n;
				const size_t first = 32 * w;
				run_warp(fibers, first, threads - first < 32 ? threads - first : 32);
			}
			size_t finished = 0;
			for (const Fiber& f : fibers) {
				finished += f.wait == Wait::Done ? 1 : 0;
			}
			if (finished == threads) {
				break;
			}
			if (finished != 0) {
				fprintf(stderr, "emu: %zu of %zu threads of a block returned while the others "
				                "wait at __syncthreads()\n", finished, threads);
				abort();
			}
			for (Fiber& f : fibers) {
				f.wait = Wait::None;
			}
		}
	}
}

static void check_aligned(const void* p, const char* what) {
	if ((uintptr_t)p % 16 != 0) {
		emu_fail(what);
	}
}

} // namespace emu

static inline void __syncthreads() {
	emu::sync_threads();
}

// cp.async.cg.shared.global [dst], [src], 16, in_bounds ? 16 : 0.
static inline void kiln_cp_async16(void* shared_dst, const void* global_src, bool in_bounds) {
	emu::check_aligned(shared_dst, "cp.async to a shared address that is not 16-byte aligned");
	emu::check_aligned(global_src, "cp.async from a global address that is not 16-byte aligned");
	const emu::Copy copy{(uint4*)shared_dst, (const uint4*)global_src, in_bounds};
	if (emu::order == emu::Order::Forward) {
		emu::land(copy);
	} else {
		emu::current->open.push_back(copy);
	}
}

// cp.async.commit_group.
static inline void kiln_cp_async_commit() {
	emu::current->groups.push_back(std::move(emu::current->open));
	emu::current->open.clear();
}

// cp.async.wait_group n: all but the newest n committed groups have landed.
static inline void kiln_cp_async_wait(size_t n) {
	auto& groups = emu::current->groups;
	while (groups.size() > n) {
		for (const emu::Copy& copy : groups.front()) {
			emu::land(copy);
		}
		groups.pop_front();
	}
}
#define KILN_CP_ASYNC_WAIT(n) kiln_cp_async_wait(n)
