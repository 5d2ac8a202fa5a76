//! `Cuda` jobs: the client's CUDA C source, compiled with NVRTC for the device and launched
//! once as `entry<<<grid, block>>>`.
//!
//! **Kernel ABI.** The entry point is an `extern "C" __global__` function taking
//!
//! ```c
//! extern "C" __global__ void entry(const unsigned char *input, unsigned long long input_len,
//!                                  unsigned char *output, unsigned long long output_len);
//! ```
//!
//! `input` holds the job's input bytes; `output` is `output_len` bytes, zeroed before the
//! launch. The job's output is those bytes after the kernel finished, its hash their
//! blake2-256. Device-side `malloc` has [`DEVICE_HEAP_BYTES`]. The result must not depend on
//! timing (integer atomics are fine, floating-point sums in atomic order are not): an honest
//! verifier must produce the same bytes.
//!
//! A launch that fails on the device (an illegal address, a trap) is a result too, with the
//! defined bytes `kiln/cuda/failed <CUDA error name>`; so is running past the time limit
//! (`kiln/cuda/failed time limit`). Source that does not compile, or has no such entry point,
//! is refused before the worker bids ([`check`]).
//!
//! The launch runs in a child process (`kiln-worker cuda-job DIR`, [`run_in_child`]): a kernel
//! that hangs or corrupts its context is killed at the time limit without taking the daemon
//! with it. The child caps its host memory ([`HOST_MEMORY_BYTES`] beyond the job's data);
//! on the GPU the input, the output and the device heap must fit in the free memory.

use super::{compile_source_cubin, cu, no_panic};
use anyhow::{anyhow, bail, ensure, Context, Result};
use cudarc::driver::{sys::CUlimit, CudaContext, LaunchConfig, PushKernelArg};
use serde::{Deserialize, Serialize};
use std::{path::Path, time::Duration};

/// Bytes of the device heap a kernel may `malloc`.
pub const DEVICE_HEAP_BYTES: usize = 64 << 20;

/// The source's name in NVRTC's messages.
const SOURCE_NAME: &str = "job.cu";

/// The launch of a job, as the child process reads it (`launch.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Launch {
	pub entry: String,
	pub grid: [u32; 3],
	pub block: [u32; 3],
	pub output_len: u64,
}

/// The defined output of a job that failed on the device.
pub fn failed(reason: &str) -> Vec<u8> {
	format!("kiln/cuda/failed {reason}").into_bytes()
}

/// The device's real architecture for NVRTC ("sm_90" for compute capability 9.0).
pub fn arch(compute_capability: u16) -> String {
	format!("sm_{compute_capability}")
}

/// Compiles `source` for `arch` and checks that the CUBIN defines `entry`; returns the CUBIN.
pub fn check(source: &[u8], entry: &str, arch: &str) -> Result<Vec<u8>> {
	let text = std::str::from_utf8(source).map_err(|_| anyhow!("the source is not UTF-8"))?;
	ensure!(
		!entry.is_empty() && entry.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
		"the entry point {entry:?} is not a C identifier"
	);
	let cubin = compile_source_cubin(text, SOURCE_NAME, arch)?;
	// The symbol table names every global function; an `extern "C"` one unmangled.
	let mut symbol = entry.as_bytes().to_vec();
	symbol.push(0);
	ensure!(
		cubin.windows(symbol.len()).any(|w| w == symbol.as_slice()),
		"the source defines no kernel `{entry}` (it must be `extern \"C\" __global__`)"
	);
	Ok(cubin)
}

/// Compiles and launches the job on device `ordinal` in this process; the output bytes, or
/// the defined failure bytes for a launch that failed on the device. An `Err` is a failure
/// of this machine (no device, no NVRTC, too little memory), not of the job.
pub fn run_here(ordinal: usize, source: &[u8], input: &[u8], launch: &Launch) -> Result<Vec<u8>> {
	// SAFETY: only tries to dlopen the candidate names.
	if !unsafe { cudarc::driver::sys::is_culib_present() } {
		bail!("no CUDA driver (libcuda.so.1) found");
	}
	no_panic("CUDA", || {
		let ctx = CudaContext::new(ordinal)
			.map_err(|e| anyhow!("cannot open CUDA device {ordinal}: {}", cu(e)))?;
		let (major, minor) = ctx
			.compute_capability()
			.map_err(|e| anyhow!("cannot read the compute capability: {}", cu(e)))?;
		let cubin = check(source, &launch.entry, &arch((major * 10 + minor) as u16))?;
		ctx.set_limit(CUlimit::CU_LIMIT_MALLOC_HEAP_SIZE, DEVICE_HEAP_BYTES)
			.map_err(|e| anyhow!("cannot set the device heap: {}", cu(e)))?;
		let (free, _) =
			ctx.mem_get_info().map_err(|e| anyhow!("cannot query GPU memory: {}", cu(e)))?;
		let need = input.len() as u64 + launch.output_len + DEVICE_HEAP_BYTES as u64;
		ensure!(need <= free as u64, "the job needs {need} bytes of GPU memory, {free} are free");
		let module = ctx
			.load_module(cudarc::nvrtc::Ptx::from_binary(cubin))
			.map_err(|e| anyhow!("the driver rejected the compiled job: {}", cu(e)))?;
		let function = module
			.load_function(&launch.entry)
			.map_err(|e| anyhow!("kernel {} not found: {}", launch.entry, cu(e)))?;
		let stream = ctx.default_stream();
		// At least one byte each: a zero-sized allocation is an error.
		let mut padded = input.to_vec();
		padded.resize(input.len().max(1), 0);
		let input_buf = stream
			.clone_htod(&padded)
			.map_err(|e| anyhow!("cannot copy the input to the GPU: {}", cu(e)))?;
		let out_len = usize::try_from(launch.output_len)?;
		let mut output_buf = stream
			.alloc_zeros::<u8>(out_len.max(1))
			.map_err(|e| anyhow!("cannot allocate the output: {}", cu(e)))?;
		let (input_len, output_len) = (input.len() as u64, launch.output_len);
		let mut builder = stream.launch_builder(&function);
		builder.arg(&input_buf).arg(&input_len).arg(&mut output_buf).arg(&output_len);
		let config = LaunchConfig {
			grid_dim: (launch.grid[0], launch.grid[1], launch.grid[2]),
			block_dim: (launch.block[0], launch.block[1], launch.block[2]),
			shared_mem_bytes: 0,
		};
		// SAFETY: the arguments are the ABI above; the kernel is the client's code, run on the
		// device in a child process that is killed if it misbehaves.
		if let Err(e) = unsafe { builder.launch(config) } {
			return Ok(failed(&cu(e)));
		}
		if let Err(e) = stream.synchronize() {
			return Ok(failed(&cu(e)));
		}
		match stream.clone_dtoh(&output_buf) {
			Ok(mut bytes) => {
				bytes.truncate(out_len);
				Ok(bytes)
			},
			Err(e) => Ok(failed(&cu(e))),
		}
	})
}

/// Host memory the child may use beyond the job's input and output (the CUDA driver's own
/// buffers, NVRTC): its data segment is capped at this plus twice the input and output.
pub const HOST_MEMORY_BYTES: u64 = 4 << 30;

/// Caps this process's data segment (`RLIMIT_DATA`: heap and private writable mappings) at
/// `bytes`, so a job cannot make the child take the machine's memory.
fn cap_host_memory(bytes: u64) -> Result<()> {
	let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
	// SAFETY: setrlimit reads the struct it is given, nothing else.
	let status = unsafe { libc::setrlimit(libc::RLIMIT_DATA, &limit) };
	ensure!(status == 0, "cannot cap the memory: {}", std::io::Error::last_os_error());
	Ok(())
}

/// `kiln-worker cuda-job DIR`: reads `DIR/source.cu`, `DIR/input` and `DIR/launch.json`,
/// caps its own host memory, runs the job on device 0 and writes `DIR/output`.
pub fn child_main(dir: &Path) -> Result<()> {
	let read =
		|name: &str| std::fs::read(dir.join(name)).with_context(|| format!("cannot read {name}"));
	let launch: Launch = serde_json::from_slice(&read("launch.json")?)?;
	let input_len = std::fs::metadata(dir.join("input")).map_or(0, |m| m.len());
	let cap = HOST_MEMORY_BYTES
		.saturating_add(input_len.saturating_mul(2))
		.saturating_add(launch.output_len.saturating_mul(2));
	cap_host_memory(cap)?;
	let output = run_here(0, &read("source.cu")?, &read("input")?, &launch)?;
	let tmp = dir.join("output.tmp");
	std::fs::write(&tmp, &output)?;
	std::fs::rename(&tmp, dir.join("output"))?;
	Ok(())
}

/// Runs the job in a child process (`exe cuda-job DIR`, DIR a fresh directory) with a time
/// limit: the output bytes, the defined failure bytes for a device failure or the time limit,
/// or an `Err` when this machine could not run it (the child's error).
pub async fn run_in_child(
	exe: &Path,
	dir: &Path,
	source: &[u8],
	input: &[u8],
	launch: &Launch,
	limit: Duration,
) -> Result<Vec<u8>> {
	std::fs::create_dir_all(dir)?;
	std::fs::write(dir.join("source.cu"), source)?;
	std::fs::write(dir.join("input"), input)?;
	std::fs::write(dir.join("launch.json"), serde_json::to_vec(launch)?)?;
	let _ = std::fs::remove_file(dir.join("output"));
	let stderr = std::fs::File::create(dir.join("stderr"))?;
	// std's process, polled: tokio's `process` feature would rebuild the node's dependencies.
	let mut child = std::process::Command::new(exe)
		.arg("cuda-job")
		.arg(dir)
		.stdin(std::process::Stdio::null())
		.stdout(std::process::Stdio::null())
		.stderr(stderr)
		.spawn()
		.with_context(|| format!("cannot start {}", exe.display()))?;
	let started = std::time::Instant::now();
	let status = loop {
		if let Some(status) = child.try_wait()? {
			break status;
		}
		if started.elapsed() >= limit {
			let _ = child.kill();
			let _ = child.wait();
			return Ok(failed("time limit"));
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	};
	if !status.success() {
		let stderr = std::fs::read_to_string(dir.join("stderr")).unwrap_or_default();
		bail!("the CUDA job process failed ({status}): {}", stderr.trim());
	}
	std::fs::read(dir.join("output")).context("the CUDA job process wrote no output")
}

#[cfg(test)]
mod tests;
