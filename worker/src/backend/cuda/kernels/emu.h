// Host emulation of the small part of CUDA C that kernels/gemm.cu uses, so the worker's
// tests can run the kernels' own source code on a machine without a GPU.
//
// Each launch runs its blocks one after another; inside a block every CUDA thread is a
// fiber (ucontext) with its own stack. A fiber runs until it reaches __syncthreads() or
// returns; when every fiber of the block has stopped, the next phase starts. So shared
// memory is only consistent where the kernel really has a barrier: a missing barrier shows
// up as a wrong result. The fibers of a phase run in the order emu_order says (forward or
// reverse thread index), and the tests run both. A barrier that some threads of a block skip
// (undefined behaviour in CUDA) aborts the emulation.

#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ucontext.h>
#include <vector>

struct dim3 {
	unsigned int x = 1, y = 1, z = 1;
};

// What the running fiber sees; the scheduler sets them before every switch into a fiber.
static dim3 threadIdx, blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __forceinline__ inline
// One block runs at a time, so one static array per __shared__ declaration is exact.
#define __shared__ static

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
		fprintf(stderr, "emu: __dp4a overflowed int32\n");
		abort();
	}
	return (int)sum;
}

namespace emu {

enum class Order { Forward, Reverse };
static Order order = Order::Forward;

struct Fiber {
	ucontext_t context;
	std::vector<char> stack;
	dim3 index;
	bool done = false;
};

static ucontext_t scheduler;
static Fiber* current = nullptr;
static void (*body)(void*) = nullptr;
static void* body_arg = nullptr;
static unsigned long long barriers = 0;

static void trampoline() {
	body(body_arg);
	current->done = true;
	// uc_link returns to the scheduler.
}

__attribute__((noinline)) static void sync_threads() {
	Fiber* self = current;
	++barriers;
	if (swapcontext(&self->context, &scheduler) != 0) {
		perror("emu: swapcontext");
		abort();
	}
}

// The ucontext calls return twice, so they live in functions of their own (no local of the
// scheduler can be clobbered).
__attribute__((noinline)) static void prepare(Fiber& f) {
	f.done = false;
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
	if (swapcontext(&scheduler, &f.context) != 0) {
		perror("emu: swapcontext");
		abort();
	}
	current = nullptr;
}

// Runs `kernel(arg)` over grid × block. Threads are numbered x fastest, then y, then z.
static void launch(dim3 grid, dim3 block, void (*kernel)(void*), void* arg) {
	const size_t threads = (size_t)block.x * block.y * block.z;
	if (threads == 0 || threads > 1024 || grid.x == 0 || grid.y == 0 || grid.z == 0) {
		fprintf(stderr, "emu: invalid launch geometry\n");
		abort();
	}
	gridDim = grid;
	blockDim = block;
	body = kernel;
	body_arg = arg;
	std::vector<Fiber> fibers(threads);
	for (auto& f : fibers) {
		f.stack.resize(64 * 1024);
	}
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
			size_t finished = 0;
			for (size_t n = 0; n < threads; ++n) {
				const size_t t = order == Order::Forward ? n : threads - 1 - n;
				Fiber& f = fibers[t];
				if (f.done) {
					++finished;
					continue;
				}
				resume(f);
				finished += f.done ? 1 : 0;
			}
			if (finished == threads) {
				break;
			}
			if (finished != 0) {
				fprintf(stderr, "emu: %zu of %zu threads of a block returned while the others "
				                "wait at __syncthreads()\n", finished, threads);
				abort();
			}
		}
	}
}

} // namespace emu

static inline void __syncthreads() {
	emu::sync_threads();
}
