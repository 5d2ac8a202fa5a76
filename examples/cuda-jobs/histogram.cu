// An example Kiln `Cuda` job: the histogram of the input's bytes.
//
// Kernel ABI (docs/client.md, "Writing a Cuda job"): the entry point receives the input bytes and a zeroed output
// buffer of the job's `output_len` bytes; the output is that buffer when the kernel ends.
// Here `output_len` is 1024: 256 little-endian uint32 counts, count[b] = how many input bytes
// equal b. Integer atomics make the result independent of the order the threads run in, so
// every honest GPU produces the same bytes. Launch with any grid and block (grid-stride loop).
extern "C" __global__ void histogram(const unsigned char *input, unsigned long long input_len,
                                     unsigned char *output, unsigned long long output_len) {
	if (output_len < 1024) return;
	unsigned int *counts = reinterpret_cast<unsigned int *>(output);
	unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
	for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
	     i < input_len; i += stride) {
		atomicAdd(&counts[input[i]], 1u);
	}
}
