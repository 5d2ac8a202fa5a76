// The worker tests' stand-in for the GPU: runs the launch plan that cuda/mod.rs would send to
// the device (read from stdin) through the kernels of gemm.cu and gemm_mma.cu compiled for
// the host on top of emu.h, then writes every buffer to stdout.
//
// stdin, one item per line:
//   buffers <words of buffer 0> <words of buffer 1> ...
//   launch <kernel> <grid x y z> <block x y z> <arg>...   arg: buf:<i> | u32:<v> | u64:<v>
// argv[1]: forward | reverse (the order warps and lanes run in; see emu.h).
// stdout: the buffers one after another, each as its words of int32 little-endian.
//
// Every buffer sits just before an inaccessible page (and just after one), so a kernel that
// reads or writes past the end of a buffer crashes instead of passing by luck.

#include "emu.h"
// The kernels, with cuda/mod.rs's #defines in front (written by the test).
#include "kernels.cu"

#include <iostream>
#include <sstream>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace {

[[noreturn]] void fail(const std::string& message) {
	std::cerr << "emu: " << message << std::endl;
	exit(2);
}

struct Buffer {
	int* data = nullptr;
	size_t words = 0;
};

Buffer allocate_guarded(size_t words) {
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const size_t bytes = words * sizeof(int);
	const size_t body = (bytes + page - 1) / page * page;
	char* base = (char*)mmap(nullptr, body + 2 * page, PROT_READ | PROT_WRITE,
	                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		fail("mmap failed");
	}
	if (mprotect(base, page, PROT_NONE) != 0 || mprotect(base + page + body, page, PROT_NONE) != 0) {
		fail("mprotect failed");
	}
	// The buffer ends exactly at the trailing guard page. Garbage first: a kernel must write
	// every word it is responsible for.
	char* start = base + page + body - bytes;
	memset(start, 0xA5, bytes);
	return Buffer{(int*)start, words};
}

struct Arg {
	char kind; // 'b' buffer, 'u' u32, 'U' u64
	unsigned long long value;
};

std::vector<Buffer> buffers;

int* buffer_arg(const Arg& a) {
	if (a.kind != 'b' || a.value >= buffers.size()) {
		fail("expected a buffer argument");
	}
	return buffers[a.value].data;
}
unsigned int u32_arg(const Arg& a) {
	if (a.kind != 'u') {
		fail("expected a u32 argument");
	}
	return (unsigned int)a.value;
}
unsigned long long u64_arg(const Arg& a) {
	if (a.kind != 'U') {
		fail("expected a u64 argument");
	}
	return a.value;
}

// The launch's arguments, bound to the kernel's parameter types the way cuLaunchKernel
// would see them (checked one by one against what cuda/mod.rs pushed).
struct Launch {
	std::string kernel;
	std::vector<Arg> args;
};

void run_gen_packed(void* p) {
	const auto& a = ((Launch*)p)->args;
	kiln_gen_packed(buffer_arg(a[0]), u64_arg(a[1]), u64_arg(a[2]), u64_arg(a[3]), u64_arg(a[4]),
	                u64_arg(a[5]), u32_arg(a[6]), u32_arg(a[7]), u32_arg(a[8]), u32_arg(a[9]),
	                u32_arg(a[10]));
}

void run_gemm_i8(void* p) {
	const auto& a = ((Launch*)p)->args;
	kiln_gemm_i8(buffer_arg(a[0]), buffer_arg(a[1]), buffer_arg(a[2]), u32_arg(a[3]),
	             u32_arg(a[4]), u32_arg(a[5]));
}

void run_gemm_i8_mma(void* p) {
	const auto& a = ((Launch*)p)->args;
	kiln_gemm_i8_mma(buffer_arg(a[0]), buffer_arg(a[1]), buffer_arg(a[2]), u32_arg(a[3]),
	                 u32_arg(a[4]), u32_arg(a[5]));
}

} // namespace

int main(int argc, char** argv) {
	if (argc != 2) {
		fail("usage: emu forward|reverse < plan > buffers");
	}
	const std::string order = argv[1];
	if (order == "forward") {
		emu::order = emu::Order::Forward;
	} else if (order == "reverse") {
		emu::order = emu::Order::Reverse;
	} else {
		fail("order must be forward or reverse");
	}
	std::string line;
	size_t launches = 0;
	while (std::getline(std::cin, line)) {
		std::istringstream in(line);
		std::string what;
		if (!(in >> what)) {
			continue;
		}
		if (what == "buffers") {
			size_t words;
			while (in >> words) {
				buffers.push_back(allocate_guarded(words));
			}
		} else if (what == "launch") {
			Launch launch;
			dim3 grid, block;
			if (!(in >> launch.kernel >> grid.x >> grid.y >> grid.z >> block.x >> block.y >> block.z)) {
				fail("bad launch line: " + line);
			}
			std::string arg;
			while (in >> arg) {
				const size_t colon = arg.find(':');
				if (colon == std::string::npos) {
					fail("bad argument " + arg);
				}
				const std::string kind = arg.substr(0, colon);
				const unsigned long long value = std::stoull(arg.substr(colon + 1));
				if (kind == "buf") {
					launch.args.push_back(Arg{'b', value});
				} else if (kind == "u32") {
					if (value > 0xFFFFFFFFULL) {
						fail("u32 argument out of range");
					}
					launch.args.push_back(Arg{'u', value});
				} else if (kind == "u64") {
					launch.args.push_back(Arg{'U', value});
				} else {
					fail("bad argument " + arg);
				}
			}
			void (*run)(void*) = nullptr;
			size_t arity = 0;
			if (launch.kernel == "kiln_gen_packed") {
				run = run_gen_packed;
				arity = 11;
			} else if (launch.kernel == "kiln_gemm_i8") {
				run = run_gemm_i8;
				arity = 6;
			} else if (launch.kernel == "kiln_gemm_i8_mma") {
				run = run_gemm_i8_mma;
				arity = 6;
			} else {
				fail("unknown kernel " + launch.kernel);
			}
			if (launch.args.size() != arity) {
				fail(launch.kernel + " takes " + std::to_string(arity) + " arguments");
			}
			emu::launch(grid, block, run, &launch);
			++launches;
		} else {
			fail("bad line: " + line);
		}
	}
	for (const Buffer& b : buffers) {
		if (b.words && fwrite(b.data, sizeof(int), b.words, stdout) != b.words) {
			fail("write failed");
		}
	}
	if (fflush(stdout) != 0) {
		fail("write failed");
	}
	std::cerr << "emu: " << launches << " launches, " << emu::barriers << " barrier waits, "
	          << emu::warp_mmas << " warp mma.sync (" << order << ")" << std::endl;
	return 0;
}
