//! The CUDA backend of PoC-GEMM: A and Bᵀ are generated on the device from the seed (the same
//! counter-based generator as `kiln_primitives::poc::MatrixGen`), then C = A·B is computed by
//! an int8 GEMM with int32 accumulation, exact, so equal to the CPU's bit for bit. Two GEMM
//! kernels ([`GemmKernel`]): `mma` on tensor cores (`mma.sync.aligned.m16n8k32` s8 → s32,
//! 128 × 128 tiles, four warps of 64 × 64, k in steps of 64 through a three-stage cp.async
//! ring; `kernels/gemm_mma.cu`) for compute capability 8.0 and later, and `dp4a` (`__dp4a`,
//! 64 × 64 tiles through shared memory; `kernels/gemm.cu`) from 6.1. `dp4a` is the default
//! everywhere until `mma` has matched the CPU on a real GPU ([`MMA_CHECKED_ON_A_GPU`]);
//! [`Cuda::new`] forces either (`kiln-worker bench --cuda-kernel`), and so does
//! `KILN_CUDA_KERNEL=mma|dp4a` for [`Cuda::probe`] (the daemon). The kernels are compiled at
//! run time with NVRTC for the device's architecture, and every CUDA library is loaded
//! dynamically (cudarc `dynamic-loading`), so the binary builds and runs on machines without
//! CUDA: [`Cuda::probe`] answers an error, never a panic, when the driver, a device or NVRTC
//! is missing.
//!
//! Where the backend is tested:
//! - Everywhere (`cargo test -p kiln-worker`, no GPU needed):
//!   - `nvrtc_compiles_every_kernel_to_ptx` / `…_to_machine_code`: NVRTC compiles the kernels
//!     (with the tile sizes this file prepends) to PTX for compute_61/80/90 and to CUBINs for
//!     sm_61/80/90 (NVRTC runs ptxas, so this also checks registers and shared memory against
//!     the real architectures; the backend loads the CUBIN first); the mma kernel is in the
//!     sm_80 and sm_90 code, with `mma.sync` and `cp.async`, and left out of sm_61's.
//!     `ptxas_fits_the_tensor_core_gemm_without_spills` reads ptxas's `-v` report for sm_80/86/
//!     89/90: no spills, 48 KiB of shared memory (at the time of writing 226 to 234
//!     registers). Needs libnvrtc: `export KILN_NVRTC_LIB="$(scripts/nvrtc.sh)"`; without it
//!     these tests FAIL, unless `KILN_SKIP_NVRTC_TESTS=1` opts out explicitly.
//!   - `kernels_on_the_host_emulator_equal_the_reference` and its siblings, for both kernels:
//!     the same `.cu` text is compiled as host C++ (`$CXX`, else c++, clang++ or g++) on top
//!     of `kernels/emu.h`, which runs every CUDA thread as a fiber switched at
//!     `__syncthreads()` and at `mma.sync` (warps in forward and in reverse order, so a missing
//!     barrier changes the result), executes a warp's `mma.sync` from the 32 lanes' fragments
//!     in the PTX ISA's m16n8k32 layout, and lands `cp.async` at once (forward) or only at its
//!     `cp.async.wait_group` (reverse), with UBSan (bounds of the shared tiles, alignment of
//!     the 16-byte copies, shifts) and guard pages around every buffer. It executes the very
//!     launch plan ([`Plan`]: grids, blocks, arguments) that the backend sends to the device;
//!     the tests compare the generated A and Bᵀ with `MatrixGen`, and C bit for bit with
//!     `poc::reference::gemm` and the CPU backend, over shapes that are not multiples of the
//!     tiles, m = 1, n = 1, k = 65 536, grids smaller than the problem (the grid-stride loops)
//!     and the published vectors. Swapping two registers of a fragment, dropping a barrier or
//!     a `cp.async.wait_group`, or waiting for one group too few each made them fail. What
//!     they cannot show: that the real instructions match the PTX ISA's description the
//!     emulator follows, the driver, the device's memory model, and speed.
//!   - `probe_without_a_driver_is_an_error_not_a_panic` here, and `tests/backend_cli.rs`:
//!     `kiln-worker bench --backend cuda|auto|cpu` without a driver, with a stub driver that
//!     has no device and with one that lacks symbols (cudarc panics; the backend turns the
//!     panic into an error): exit status 1 and a clear message, or the CPU fallback for auto.
//! - Only on a machine with an NVIDIA GPU: `gpu_cuda_backend_equals_the_cpu_backend` runs
//!   every kernel the device supports (real driver, NVRTC for the device's architecture)
//!   against the CPU backend and MatrixGen; `scripts/gpu-check.sh` runs it and benches both
//!   kernels. Without a device it prints that it was SKIPPED and passes; set
//!   `KILN_REQUIRE_GPU=1` on GPU machines to make a missing device a failure. The `dp4a`
//!   kernel passed it on an H200; the `mma` kernel HAS NOT RUN ON A GPU YET, so neither its
//!   bit-identity on a device nor its speed (goal: 60 % of the dense int8 peak on an H100 or
//!   H200) is measured.
//! - Speed: `kiln-worker bench --backend cuda [--cuda-kernel mma|dp4a]` times the GEMM kernel
//!   on the device (CUDA events, after a warm-up launch) and reports TOPS and the share of
//!   the device's dense int8 peak where [`int8_peak_tops`] knows it.

pub mod job;

use super::{check_shape, GemmBackend, GemmTimings};
use anyhow::{anyhow, bail, ensure, Context, Result};
use cudarc::{
	driver::{
		CudaContext, CudaEvent, CudaFunction, CudaSlice, CudaStream, DriverError, LaunchConfig,
		PushKernelArg,
	},
	nvrtc::{CompileError, CompileOptions, Ptx},
};
use kiln_primitives::poc::{self, Shape};
use std::{
	cell::Cell,
	panic::{catch_unwind, AssertUnwindSafe},
	path::{Path, PathBuf},
	sync::{Arc, Once, OnceLock},
	time::Duration,
};

/// The kernels' CUDA C source, without the tile sizes (see [`kernel_source`]).
pub const KERNELS: &str = include_str!("kernels/gemm.cu");
/// The tensor-core GEMM, appended to [`KERNELS`] (compiled for compute capability 8.0 and up).
pub const MMA_KERNELS: &str = include_str!("kernels/gemm_mma.cu");
/// Fills a packed operand (A or Bᵀ) from the seed.
pub const GEN_KERNEL: &str = "kiln_gen_packed";
/// C = A·B from the packed operands, `__dp4a` on the CUDA cores.
pub const GEMM_KERNEL: &str = "kiln_gemm_i8";
/// The same on tensor cores (`mma.sync` m16n8k32 s8).
pub const MMA_GEMM_KERNEL: &str = "kiln_gemm_i8_mma";

/// Rows of C per GEMM block.
pub const TILE_M: u32 = 64;
/// Columns of C per GEMM block.
pub const TILE_N: u32 = 64;
/// 32-bit words (4 int8 each) of k per shared-memory step.
pub const TILE_KQ: u32 = 8;
/// GEMM threads per block along the columns and the rows of a tile.
pub const THREADS_X: u32 = 16;
pub const THREADS_Y: u32 = 16;

/// Rows and columns of C per block of the tensor-core GEMM.
pub const MMA_TILE_M: u32 = 128;
pub const MMA_TILE_N: u32 = 128;
/// Its warps along the rows and the columns of a tile (each computes a 64 × 64 piece).
pub const MMA_WARPS_M: u32 = 2;
pub const MMA_WARPS_N: u32 = 2;
/// Words of k per step (64 int8: two m16n8k32 per mma tile).
pub const MMA_TILE_KQ: u32 = 16;
/// Shared-memory stages in flight (cp.async ring).
pub const MMA_STAGES: u32 = 3;
/// Threads per block of the tensor-core GEMM.
pub const MMA_THREADS: u32 = 32 * MMA_WARPS_M * MMA_WARPS_N;
/// Static shared memory of the tensor-core GEMM per block (CUDA's static limit is 48 KiB).
pub const MMA_SHARED_BYTES: u32 = MMA_STAGES * (MMA_TILE_M + MMA_TILE_N) * 4 * MMA_TILE_KQ;

/// Packed rows are padded to a multiple of this many words (64 int8), a whole number of k
/// steps of either GEMM.
pub const KQ_ALIGN: u32 = 16;

/// Threads per block of the generator.
pub const GEN_THREADS: u32 = 256;
/// The generator's grid at most (it loops over the rest).
pub const GEN_MAX_BLOCKS: u32 = 8192;
/// CUDA's limit on grid.y (the GEMM loops over further row tiles).
pub const MAX_GRID_Y: u32 = 65_535;

const _: () = assert!(TILE_M % THREADS_Y == 0 && TILE_N % THREADS_X == 0);
const _: () = assert!(THREADS_X * THREADS_Y <= 1024 && TILE_KQ > 0);
const _: () = assert!(KQ_ALIGN % TILE_KQ == 0 && KQ_ALIGN % MMA_TILE_KQ == 0);
const _: () = assert!(MMA_SHARED_BYTES <= 48 * 1024 && MMA_THREADS <= 1024);

/// The environment variable naming libnvrtc (the library or its directory).
pub const NVRTC_ENV: &str = "KILN_NVRTC_LIB";

/// The source NVRTC compiles: the tile sizes of this file as #defines, then `gemm.cu` and
/// `gemm_mma.cu`.
pub fn kernel_source() -> String {
	let defines = [
		("KILN_TILE_M", TILE_M),
		("KILN_TILE_N", TILE_N),
		("KILN_TILE_KQ", TILE_KQ),
		("KILN_THREADS_X", THREADS_X),
		("KILN_THREADS_Y", THREADS_Y),
		("KILN_MMA_TILE_M", MMA_TILE_M),
		("KILN_MMA_TILE_N", MMA_TILE_N),
		("KILN_MMA_WARPS_M", MMA_WARPS_M),
		("KILN_MMA_WARPS_N", MMA_WARPS_N),
		("KILN_MMA_KQ", MMA_TILE_KQ),
		("KILN_MMA_STAGES", MMA_STAGES),
	];
	let mut source: String =
		defines.iter().map(|(name, value)| format!("#define {name} {value}\n")).collect();
	source += &format!("#line 1 \"gemm.cu\"\n{KERNELS}#line 1 \"gemm_mma.cu\"\n{MMA_KERNELS}");
	source
}

/// Whether the `mma` kernel has matched the CPU bit for bit on a real GPU
/// (`scripts/gpu-check.sh`). Not yet: it has only run on the host emulator. Until then the
/// daemon runs `dp4a` unless `KILN_CUDA_KERNEL=mma` (or `bench --cuda-kernel mma`) asks for it.
pub const MMA_CHECKED_ON_A_GPU: bool = false;

/// The GEMM kernel a [`Cuda`] backend runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum GemmKernel {
	/// Tensor cores: `mma.sync` m16n8k32 s8 → s32, 128 × 128 tiles through a cp.async ring
	/// (compute capability 8.0 and later).
	Mma,
	/// `__dp4a` on the CUDA cores, 64 × 64 tiles (6.1 and later).
	Dp4a,
}

impl GemmKernel {
	pub const ALL: [GemmKernel; 2] = [GemmKernel::Mma, GemmKernel::Dp4a];

	pub fn name(self) -> &'static str {
		match self {
			Self::Mma => "mma",
			Self::Dp4a => "dp4a",
		}
	}

	/// Its entry point in the kernels' source.
	pub fn entry(self) -> &'static str {
		match self {
			Self::Mma => MMA_GEMM_KERNEL,
			Self::Dp4a => GEMM_KERNEL,
		}
	}

	/// The compute capability it needs, × 10.
	pub fn min_compute_capability(self) -> u16 {
		match self {
			Self::Mma => 80,
			Self::Dp4a => 61,
		}
	}

	/// The fastest kernel a device of compute capability `cc` (× 10) runs, if any.
	pub fn for_device(cc: u16) -> Option<Self> {
		Self::ALL.into_iter().find(|k| cc >= k.min_compute_capability())
	}

	/// The kernel a backend runs when none is forced: the fastest one that has matched the CPU
	/// on a real GPU. A kernel wrong on hardware would fail hardware challenges and get an
	/// honest provider slashed, so `mma` waits for [`MMA_CHECKED_ON_A_GPU`].
	pub fn default_for_device(cc: u16) -> Option<Self> {
		Self::ALL
			.into_iter()
			.filter(|k| MMA_CHECKED_ON_A_GPU || *k != Self::Mma)
			.find(|k| cc >= k.min_compute_capability())
	}

	/// Rows and columns of C per block, and threads per block.
	fn geometry(self) -> (u32, u32, u32) {
		match self {
			Self::Mma => (MMA_TILE_M, MMA_TILE_N, MMA_THREADS),
			Self::Dp4a => (TILE_M, TILE_N, THREADS_X * THREADS_Y),
		}
	}
}

/// The device buffers of one PoC-GEMM run, all of 32-bit words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Buf {
	/// A packed: m rows of `kq` words, 4 int8 per word (low byte first), zero padded.
	A = 0,
	/// Bᵀ packed the same way: n rows (row j is column j of B).
	Bt = 1,
	/// C, m × n int32 row-major.
	C = 2,
}

/// A kernel argument as `cuLaunchKernel` receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
	Buf(Buf),
	U32(u32),
	U64(u64),
}

/// One kernel launch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launch {
	pub kernel: &'static str,
	pub grid: (u32, u32, u32),
	pub block: (u32, u32, u32),
	pub args: Vec<Arg>,
}

/// Everything the backend sends to the device for one seed and shape: buffer sizes and
/// launches. The host emulation in the tests executes the same plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
	pub shape: Shape,
	/// The GEMM kernel of the last launch.
	pub kernel: GemmKernel,
	/// Words per packed row: k rounded up to a multiple of 4·[`KQ_ALIGN`], over 4.
	pub kq: u32,
	/// Words of each [`Buf`], indexed by `Buf as usize`.
	pub words: [u64; 3],
	pub launches: Vec<Launch>,
}

impl Plan {
	pub fn new(seed: &[u8; 32], shape: Shape, kernel: GemmKernel) -> Self {
		Self::with_limits(seed, shape, kernel, GEN_MAX_BLOCKS, MAX_GRID_Y)
	}

	/// A plan whose grids are capped at `gen_max_blocks` (generator) and `max_grid_y` (GEMM
	/// row tiles): the kernels must give the same result for any cap.
	pub fn with_limits(
		seed: &[u8; 32],
		shape: Shape,
		kernel: GemmKernel,
		gen_max_blocks: u32,
		max_grid_y: u32,
	) -> Self {
		let Shape { m, n, k } = shape;
		let kq = k.div_ceil(4 * KQ_ALIGN) * KQ_ALIGN;
		let words = [
			u64::from(m) * u64::from(kq),
			u64::from(n) * u64::from(kq),
			u64::from(m) * u64::from(n),
		];
		let seed_words = (0..4).map(|i| {
			let mut w = [0u8; 8];
			w.copy_from_slice(&seed[8 * i..8 * i + 8]);
			Arg::U64(u64::from_le_bytes(w))
		});
		let gen = |buf: Buf, tag: u64, rows: u32, row_stride: u32, t_stride: u32| {
			let blocks = words[buf as usize].div_ceil(u64::from(GEN_THREADS));
			let mut args = vec![Arg::Buf(buf)];
			args.extend(seed_words.clone());
			args.extend([
				Arg::U64(tag),
				Arg::U32(rows),
				Arg::U32(k),
				Arg::U32(kq),
				Arg::U32(row_stride),
				Arg::U32(t_stride),
			]);
			Launch {
				kernel: GEN_KERNEL,
				grid: (blocks.clamp(1, u64::from(gen_max_blocks.max(1))) as u32, 1, 1),
				block: (GEN_THREADS, 1, 1),
				args,
			}
		};
		let (tile_m, tile_n, threads) = kernel.geometry();
		let gemm = Launch {
			kernel: kernel.entry(),
			grid: (n.div_ceil(tile_n), m.div_ceil(tile_m).clamp(1, max_grid_y.max(1)), 1),
			block: (threads, 1, 1),
			args: vec![
				Arg::Buf(Buf::A),
				Arg::Buf(Buf::Bt),
				Arg::Buf(Buf::C),
				Arg::U32(m),
				Arg::U32(n),
				Arg::U32(kq),
			],
		};
		Self {
			shape,
			kernel,
			kq,
			words,
			launches: vec![
				// Element (i, t) of A is element i·k + t of A's sequence.
				gen(Buf::A, poc::TAG_A, m, k, 1),
				// Element (j, t) of Bᵀ is B's element (t, j): t·n + j of B's sequence.
				gen(Buf::Bt, poc::TAG_B, n, 1, n),
				gemm,
			],
		}
	}

	/// Device memory the plan needs.
	pub fn device_bytes(&self) -> u64 {
		4 * self.words.iter().sum::<u64>()
	}
}

/// The buffers a run leaves on the device, copied back (A and Bᵀ only when asked for).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Buffers {
	pub a: Vec<i32>,
	pub bt: Vec<i32>,
	pub c: Vec<i32>,
}

thread_local! {
	/// Set while [`no_panic`] runs on this thread: its panics become errors, not reports.
	static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic inside a CUDA library wrapper into an error (without the panic
/// report on stderr: the error carries the message). cudarc panics when a library or one of
/// its symbols cannot be loaded; [`Cuda::probe`] checks the libraries first, so this is only
/// the last line of defence, e.g. for a driver that lacks a symbol.
pub(crate) fn no_panic<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
	static HOOK: Once = Once::new();
	HOOK.call_once(|| {
		let report = std::panic::take_hook();
		std::panic::set_hook(Box::new(move |info| {
			if !QUIET.with(Cell::get) {
				report(info)
			}
		}));
	});
	let was_quiet = QUIET.with(|q| q.replace(true));
	let result = catch_unwind(AssertUnwindSafe(f));
	QUIET.with(|q| q.set(was_quiet));
	result.unwrap_or_else(|panic| {
		let message = panic
			.downcast_ref::<String>()
			.map(String::as_str)
			.or_else(|| panic.downcast_ref::<&str>().copied())
			.unwrap_or("unknown panic");
		Err(anyhow!("{what}: the CUDA library wrapper panicked: {message}"))
	})
}

/// Loads `path` (a libnvrtc file) and keeps it loaded for the life of the process. cudarc
/// then finds it: the dynamic loader answers a later `dlopen("libnvrtc.so.12")` with the
/// already loaded object of that SONAME. (Setting LD_LIBRARY_PATH inside the process does
/// not work: the loader reads it once, at start-up.)
fn preload(path: &Path) -> Result<()> {
	// SAFETY: libnvrtc's initialisers have no preconditions.
	let library = unsafe { libloading::Library::new(path) }
		.with_context(|| format!("cannot load {}", path.display()))?;
	std::mem::forget(library);
	Ok(())
}

fn nvrtc_files(dir: &Path) -> impl Iterator<Item = PathBuf> + '_ {
	["libnvrtc.so.12", "libnvrtc.so"].into_iter().map(|name| dir.join(name)).filter(|p| p.is_file())
}

/// Makes NVRTC loadable and says where it came from: `$KILN_NVRTC_LIB` (the library or its
/// directory) if set, else the loader's search path (LD_LIBRARY_PATH, ldconfig), else the
/// usual CUDA toolkit directories. Never panics.
pub fn load_nvrtc() -> Result<String> {
	static LOADED: OnceLock<std::result::Result<String, String>> = OnceLock::new();
	LOADED
		.get_or_init(|| find_nvrtc().map_err(|e| format!("{e:#}")))
		.clone()
		.map_err(|e| anyhow!(e))
}

fn find_nvrtc() -> Result<String> {
	// SAFETY: only tries to dlopen the candidate names.
	let present = || unsafe { cudarc::nvrtc::sys::is_culib_present() };
	if let Some(value) = std::env::var_os(NVRTC_ENV).filter(|v| !v.is_empty()) {
		let path = PathBuf::from(&value);
		let file = if path.is_dir() { nvrtc_files(&path).next() } else { Some(path.clone()) };
		let file = file
			.with_context(|| format!("{NVRTC_ENV}={}: no libnvrtc.so.12 there", path.display()))?;
		preload(&file).with_context(|| format!("{NVRTC_ENV}={}", path.display()))?;
		ensure!(present(), "{NVRTC_ENV}: loaded {} but NVRTC is still not found", file.display());
		return Ok(format!("{} ({NVRTC_ENV})", file.display()));
	}
	if present() {
		return Ok("the library search path".into());
	}
	let mut dirs: Vec<PathBuf> = ["CUDA_PATH", "CUDA_HOME", "CUDA_ROOT"]
		.iter()
		.filter_map(std::env::var_os)
		.map(|root| PathBuf::from(root).join("lib64"))
		.collect();
	dirs.extend(
		["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/opt/cuda/lib64"]
			.map(PathBuf::from),
	);
	for file in dirs.iter().flat_map(|d| nvrtc_files(d)) {
		if preload(&file).is_ok() && present() {
			return Ok(file.display().to_string());
		}
	}
	bail!(
		"no NVRTC (libnvrtc.so.12) found: install the CUDA toolkit's NVRTC, or set {NVRTC_ENV} to \
		 the library or its directory (scripts/nvrtc.sh installs one from PyPI)"
	)
}

/// A driver error by name (CUDA_ERROR_…). Not cudarc's Debug, which asks the driver for a
/// description and would panic on a driver without cuGetErrorString.
pub(crate) fn cu(error: DriverError) -> String {
	format!("{:?}", error.0)
}

fn compile_error(error: CompileError) -> String {
	match error {
		CompileError::CompileError { nvrtc, options, log } => {
			format!("{nvrtc:?} with options {options:?}:\n{}", log.to_string_lossy())
		},
		other => format!("{other:?}"),
	}
}

/// NVRTC's options for `arch` ("compute_XY": PTX; "sm_XY": PTX and machine code).
fn nvrtc_options(arch: &str) -> Vec<String> {
	vec![format!("--gpu-architecture={arch}"), "--std=c++17".into()]
}

/// Compiles the kernels to PTX for `arch` (e.g. "compute_90").
pub fn compile(arch: &str) -> Result<Ptx> {
	load_nvrtc()?;
	no_panic("NVRTC", || {
		let options = CompileOptions {
			options: nvrtc_options(arch),
			name: Some("gemm.cu".into()),
			..Default::default()
		};
		cudarc::nvrtc::compile_ptx_with_opts(kernel_source(), options).map_err(|e| {
			anyhow!("NVRTC could not compile the PoC-GEMM kernels for {arch}: {}", compile_error(e))
		})
	})
}

/// Compiles the kernels to machine code (a CUBIN) for a real architecture `arch` (e.g.
/// "sm_90"): NVRTC runs ptxas itself. The driver loads a CUBIN without the PTX JIT, so it also
/// works with a driver older than NVRTC (CUDA's minor-version compatibility), which PTX does
/// not.
pub fn compile_cubin(arch: &str) -> Result<Vec<u8>> {
	compile_source_cubin(&kernel_source(), "gemm.cu", arch)
		.map_err(|e| anyhow!("the PoC-GEMM kernels: {e:#}"))
}

/// Compiles CUDA C `source` (named `name` in messages) to a CUBIN for the real architecture
/// `arch`, or says why NVRTC could not (with its log).
pub fn compile_source_cubin(source: &str, name: &str, arch: &str) -> Result<Vec<u8>> {
	Ok(compile_with_log(source, name, arch, &[])?.0)
}

/// What ptxas reports for each kernel of `gemm.cu` and `gemm_mma.cu` compiled for `arch`
/// (e.g. "sm_90"): registers per thread, bytes of spill stores and loads, static shared
/// memory per block.
pub fn ptxas_report(arch: &str) -> Result<std::collections::HashMap<String, (u32, u32, u32)>> {
	let options = ["--ptxas-options=-v".to_string()];
	let (_, log) = compile_with_log(&kernel_source(), "gemm.cu", arch, &options)?;
	let number = |text: &str, before: &str| -> u32 {
		text.find(before)
			.and_then(|end| text[..end].trim_end().rsplit([' ', ',']).next())
			.and_then(|n| n.parse().ok())
			.unwrap_or(0)
	};
	let mut report = std::collections::HashMap::new();
	// "Compiling entry function 'NAME' for 'sm_90'", then lines up to the next one.
	for section in log.split("Compiling entry function '").skip(1) {
		let Some((kernel, rest)) = section.split_once('\'') else { continue };
		let regs = number(rest, " registers");
		let spills = number(rest, " bytes spill stores") + number(rest, " bytes spill loads");
		let shared = number(rest, " bytes smem");
		report.insert(kernel.to_string(), (regs, spills, shared));
	}
	Ok(report)
}

/// Compiles `source` to a CUBIN for `arch` with NVRTC's usual options and `extra`, and
/// returns it with NVRTC's log (where ptxas writes what `-v` asks for).
fn compile_with_log(
	source: &str,
	name: &str,
	arch: &str,
	extra: &[String],
) -> Result<(Vec<u8>, String)> {
	use cudarc::nvrtc::{result, sys};
	load_nvrtc()?;
	no_panic("NVRTC", || {
		let source =
			std::ffi::CString::new(source).map_err(|_| anyhow!("{name} contains a NUL byte"))?;
		let name_c = std::ffi::CString::new(name)?;
		let program = result::create_program(&source, Some(name_c.as_c_str()))
			.map_err(|e| anyhow!("NVRTC: cannot create a program: {e:?}"))?;
		let log = |program| {
			// SAFETY: `program` is alive (destroyed below).
			unsafe { result::get_program_log(program) }
				.map(|log| {
					let bytes: Vec<u8> =
						log.iter().map(|c| *c as u8).take_while(|c| *c != 0).collect();
					String::from_utf8_lossy(&bytes).into_owned()
				})
				.unwrap_or_default()
		};
		let mut options = nvrtc_options(arch);
		options.extend_from_slice(extra);
		// SAFETY: `program` was created above and is destroyed once, after its last use.
		let cubin = unsafe {
			result::compile_program(program, &options)
				.map_err(|e| {
					anyhow!("NVRTC could not compile {name} for {arch}: {e:?}:\n{}", log(program))
				})
				.and_then(|()| {
					let mut size = 0usize;
					sys::nvrtcGetCUBINSize(program, &mut size).result()?;
					let mut cubin = vec![0u8; size];
					sys::nvrtcGetCUBIN(program, cubin.as_mut_ptr().cast()).result()?;
					Ok((cubin, log(program)))
				})
		};
		// SAFETY: as above.
		let _ = unsafe { result::destroy_program(program) };
		let (cubin, log) = cubin?;
		ensure!(
			cubin.starts_with(b"\x7fELF"),
			"NVRTC gave no CUBIN for {arch} (a virtual architecture?)"
		);
		Ok((cubin, log))
	})
}

/// A CUDA device as the driver reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
	pub name: String,
	pub memory_mib: u32,
	/// Compute capability × 10 (8.9 → 89).
	pub compute_capability: u16,
}

/// The CUDA devices the driver sees, or why none can be listed (no driver, driver error).
/// Needs no NVRTC; never panics.
pub fn devices() -> Result<Vec<DeviceInfo>> {
	// SAFETY: only tries to dlopen the candidate names.
	if !unsafe { cudarc::driver::sys::is_culib_present() } {
		bail!("no CUDA driver (libcuda.so.1) found");
	}
	no_panic("CUDA", || {
		let count = CudaContext::device_count()
			.map_err(|e| anyhow!("the CUDA driver is installed but not usable: {}", cu(e)))?;
		(0..count.max(0) as usize)
			.map(|ordinal| {
				let ctx = CudaContext::new(ordinal)
					.map_err(|e| anyhow!("cannot open CUDA device {ordinal}: {}", cu(e)))?;
				let (major, minor) = ctx
					.compute_capability()
					.map_err(|e| anyhow!("cannot read the compute capability: {}", cu(e)))?;
				Ok(DeviceInfo {
					name: ctx.name().unwrap_or_else(|_| format!("device {ordinal}")),
					memory_mib: ctx.total_mem().map(|b| (b >> 20) as u32).unwrap_or(0),
					compute_capability: (major * 10 + minor) as u16,
				})
			})
			.collect()
	})
}

/// Dense int8 tensor throughput of NVIDIA devices, in TOPS (without the 2:4 sparsity that the
/// data sheets quote at twice these figures), from the vendor's data sheets: `(marker in the
/// device name, compute capability × 10, TOPS)`. The first marker that is a word of the name
/// (case-insensitive, split at spaces and dashes) counts, for its compute capability only.
const INT8_PEAKS: [(&[&str], u16, f64); 12] = [
	(&["h200", "nvl"], 90, 1671.0),
	(&["h200"], 90, 1979.0),
	(&["h100", "nvl"], 90, 1671.0),
	(&["h100", "pcie"], 90, 1513.0),
	// The SXM module ("NVIDIA H100 80GB HBM3").
	(&["h100"], 90, 1979.0),
	(&["a100"], 80, 624.0),
	(&["a30"], 80, 330.0),
	(&["a10"], 86, 250.0),
	(&["l40s"], 89, 733.0),
	(&["l40"], 89, 362.0),
	(&["l4"], 89, 242.5),
	(&["4090"], 89, 660.6),
];

/// The dense int8 tensor peak of a device (`name` as the driver reports it, `cc` × 10), in
/// TOPS, or None where the table has no figure for it.
pub fn int8_peak_tops(name: &str, cc: u16) -> Option<f64> {
	let lower = name.to_lowercase();
	let words: Vec<&str> = lower.split([' ', '-']).collect();
	INT8_PEAKS
		.iter()
		.find(|(markers, _, _)| markers.iter().all(|m| words.contains(m)))
		.filter(|(_, peak_cc, _)| *peak_cc == cc)
		.map(|(_, _, tops)| *tops)
}

/// The CUDA backend on one device, kernels loaded.
pub struct Cuda {
	ctx: Arc<CudaContext>,
	stream: Arc<CudaStream>,
	gen: CudaFunction,
	gemm: CudaFunction,
	kernel: GemmKernel,
	device: DeviceInfo,
	name: String,
}

/// The environment variable that forces the GEMM kernel of [`Cuda::probe`] (`mma` or `dp4a`),
/// so that an operator can fall back to `dp4a` without a new build.
pub const KERNEL_ENV: &str = "KILN_CUDA_KERNEL";

/// The kernel `value` of [`KERNEL_ENV`] names (None: unset or empty, the device decides).
pub fn kernel_from_env(value: Option<&str>) -> Result<Option<GemmKernel>> {
	use clap::ValueEnum;
	match value.map(str::trim).filter(|v| !v.is_empty()) {
		None => Ok(None),
		Some(value) => GemmKernel::from_str(value, true)
			.map(Some)
			.map_err(|_| anyhow!("{KERNEL_ENV}={value}: expected mma or dp4a")),
	}
}

impl Cuda {
	/// The backend on device 0 with its default kernel (or the one [`KERNEL_ENV`] names), or why there is none (no driver, no device, no NVRTC, a device too old for
	/// the kernel, a compile or load failure). Never panics.
	pub fn probe() -> Result<Self> {
		Self::new(0, kernel_from_env(std::env::var(KERNEL_ENV).ok().as_deref())?)
	}

	/// The backend on device `ordinal` running `kernel`, or by default
	/// [`GemmKernel::default_for_device`] (`__dp4a` until the tensor-core kernel has passed
	/// on a GPU).
	pub fn new(ordinal: usize, kernel: Option<GemmKernel>) -> Result<Self> {
		// SAFETY: only tries to dlopen the candidate names.
		if !unsafe { cudarc::driver::sys::is_culib_present() } {
			bail!("no CUDA driver (libcuda.so.1) found");
		}
		no_panic("CUDA", || {
			let count = CudaContext::device_count()
				.map_err(|e| anyhow!("the CUDA driver is installed but not usable: {}", cu(e)))?;
			ensure!(count > 0, "the CUDA driver found no device");
			ensure!(
				ordinal < count as usize,
				"no CUDA device {ordinal}: the driver found {count} device(s)"
			);
			let ctx = CudaContext::new(ordinal)
				.map_err(|e| anyhow!("cannot open CUDA device {ordinal}: {}", cu(e)))?;
			let (major, minor) = ctx
				.compute_capability()
				.map_err(|e| anyhow!("cannot read the compute capability: {}", cu(e)))?;
			let cc = (major * 10 + minor) as u16;
			let kernel = match kernel {
				Some(kernel) => {
					ensure!(
						cc >= kernel.min_compute_capability(),
						"CUDA device {ordinal} has compute capability {major}.{minor}; the {} kernel \
						 needs {}.{}",
						kernel.name(),
						kernel.min_compute_capability() / 10,
						kernel.min_compute_capability() % 10
					);
					kernel
				},
				None => GemmKernel::default_for_device(cc).with_context(|| {
					format!(
						"CUDA device {ordinal} has compute capability {major}.{minor}; PoC-GEMM needs \
						 6.1 (__dp4a)"
					)
				})?,
			};
			let nvrtc = load_nvrtc()?;
			// Machine code for the device first (no PTX JIT, so no constraint between the NVRTC
			// and driver versions); else PTX for the device's architecture, or compute_80 PTX
			// for an NVRTC that does not know the device yet (it runs on every later device).
			let mut errors = Vec::new();
			let mut attempts =
				vec![format!("sm_{major}{minor}"), format!("compute_{major}{minor}")];
			if major >= 8 {
				attempts.push("compute_80".into());
			}
			let mut loaded = None;
			for arch in &attempts {
				let image = if arch.starts_with("sm_") {
					compile_cubin(arch).map(Ptx::from_binary)
				} else {
					compile(arch)
				};
				match image.and_then(|image| {
					ctx.load_module(image).map_err(|e| {
						anyhow!(
							"the driver rejected the {arch} code from NVRTC ({nvrtc}): {}",
							cu(e)
						)
					})
				}) {
					Ok(module) => {
						loaded = Some((arch.clone(), module));
						break;
					},
					Err(e) => errors.push(format!("{e:#}")),
				}
			}
			let Some((arch, module)) = loaded else {
				bail!("cannot build the PoC-GEMM kernels for this device:\n{}", errors.join("\n"));
			};
			let function = |name: &str| {
				module
					.load_function(name)
					.map_err(|e| anyhow!("kernel {name} not found: {}", cu(e)))
			};
			let (gen, gemm) = (function(GEN_KERNEL)?, function(kernel.entry())?);
			let device = DeviceInfo {
				name: ctx.name().unwrap_or_else(|_| format!("device {ordinal}")),
				memory_mib: ctx.total_mem().map(|b| (b >> 20) as u32).unwrap_or(0),
				compute_capability: cc,
			};
			let name = format!(
				"cuda ({}, {:.0} GiB, {} kernel for {arch})",
				device.name,
				f64::from(device.memory_mib) / 1024.0,
				kernel.name()
			);
			let stream = ctx.default_stream();
			Ok(Self { ctx, stream, gen, gemm, kernel, device, name })
		})
	}

	/// The GEMM kernel this backend runs.
	pub fn kernel(&self) -> GemmKernel {
		self.kernel
	}

	pub fn device(&self) -> &DeviceInfo {
		&self.device
	}

	/// The plan this backend executes for `seed` and `shape`.
	pub fn plan(&self, seed: &[u8; 32], shape: Shape) -> Plan {
		Plan::new(seed, shape, self.kernel)
	}

	/// Registers per thread and static shared memory per block of the loaded GEMM kernel, as
	/// the driver reports them.
	pub fn gemm_resources(&self) -> Result<(u32, u32)> {
		no_panic("CUDA", || {
			let regs = self.gemm.num_regs().map_err(|e| anyhow!("{}", cu(e)))?;
			let shared = self.gemm.shared_size_bytes().map_err(|e| anyhow!("{}", cu(e)))?;
			Ok((regs as u32, shared as u32))
		})
	}

	/// Executes `plan`; copies A and Bᵀ back too when `operands` is set.
	pub fn run(&self, plan: &Plan, operands: bool) -> Result<Buffers> {
		Ok(self.execute(plan, operands, false)?.0)
	}

	/// Executes `plan` and times its kernels on the device (CUDA events): the generator
	/// launches, and the GEMM launch, run twice when `warm_up` (the second one timed, so that
	/// neither the clocks ramping up nor first-launch costs count).
	fn execute(
		&self,
		plan: &Plan,
		operands: bool,
		warm_up: bool,
	) -> Result<(Buffers, GemmTimings)> {
		ensure!(
			plan.kernel == self.kernel,
			"the plan is for the {} kernel, this backend runs {}",
			plan.kernel.name(),
			self.kernel.name()
		);
		no_panic("CUDA", || {
			let (free, _) = self
				.ctx
				.mem_get_info()
				.map_err(|e| anyhow!("cannot query GPU memory: {}", cu(e)))?;
			let need = plan.device_bytes();
			let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
			ensure!(
				need <= free as u64,
				"the shape needs {:.2} GiB of GPU memory, {:.2} GiB are free",
				gib(need),
				gib(free as u64)
			);
			let alloc = |words: u64| -> Result<CudaSlice<i32>> {
				self.stream
					.alloc_zeros::<i32>(words as usize)
					.map_err(|e| anyhow!("cannot allocate {:.2} GiB: {}", gib(4 * words), cu(e)))
			};
			let bufs = [alloc(plan.words[0])?, alloc(plan.words[1])?, alloc(plan.words[2])?];
			let failed = |e: DriverError| anyhow!("PoC-GEMM on the GPU failed: {}", cu(e));
			let event = || {
				self.stream
					.record_event(Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT))
					.map_err(failed)
			};
			let mut generate = (None, None);
			let mut product = (None, None);
			for launch in &plan.launches {
				let (function, times, runs) = match launch.kernel {
					GEN_KERNEL => (&self.gen, &mut generate, 1),
					kernel if kernel == self.kernel.entry() => {
						(&self.gemm, &mut product, if warm_up { 2 } else { 1 })
					},
					other => bail!("the plan names an unknown kernel {other}"),
				};
				let config = LaunchConfig {
					grid_dim: launch.grid,
					block_dim: launch.block,
					shared_mem_bytes: 0,
				};
				for run in 0..runs {
					if run + 1 == runs && times.0.is_none() {
						times.0 = Some(event()?);
					}
					let mut builder = self.stream.launch_builder(function);
					for arg in &launch.args {
						// Buffers are passed by shared reference: one stream orders every
						// access.
						match arg {
							Arg::Buf(buf) => builder.arg(&bufs[*buf as usize]),
							Arg::U32(v) => builder.arg(v),
							Arg::U64(v) => builder.arg(v),
						};
					}
					// SAFETY: the arguments match the kernel's parameters (checked by the host
					// emulation tests, which bind the same plan to the same C signatures) and
					// every buffer has the size the kernels index up to.
					unsafe { builder.launch(config) }
						.map_err(|e| anyhow!("launching {} failed: {}", launch.kernel, cu(e)))?;
				}
				times.1 = Some(event()?);
			}
			let elapsed = |(start, end): &(Option<CudaEvent>, Option<CudaEvent>)| match (start, end)
			{
				(Some(start), Some(end)) => start
					.elapsed_ms(end)
					.map(|ms| Duration::from_secs_f64(f64::from(ms) / 1e3))
					.map_err(failed),
				_ => Ok(Duration::ZERO),
			};
			let timings =
				GemmTimings { generate: Some(elapsed(&generate)?), product: elapsed(&product)? };
			let download = |buf: Buf| self.stream.clone_dtoh(&bufs[buf as usize]).map_err(failed);
			let c = download(Buf::C)?;
			let (a, bt) =
				if operands { (download(Buf::A)?, download(Buf::Bt)?) } else { Default::default() };
			self.stream.synchronize().map_err(failed)?;
			Ok((Buffers { a, bt, c }, timings))
		})
	}
}

impl GemmBackend for Cuda {
	fn name(&self) -> String {
		self.name.clone()
	}

	fn gemm(&self, seed: &[u8; 32], shape: Shape) -> Result<Vec<i32>> {
		check_shape(shape)?;
		Ok(self.run(&self.plan(seed, shape), false)?.c)
	}

	/// The device times of the generator kernels and of one GEMM kernel, measured with CUDA
	/// events after a warm-up launch of the GEMM (allocation and the copy of C back are not
	/// counted).
	fn gemm_timed(&self, seed: &[u8; 32], shape: Shape) -> Result<(Vec<i32>, GemmTimings)> {
		check_shape(shape)?;
		let (buffers, timings) = self.execute(&self.plan(seed, shape), false, true)?;
		Ok((buffers.c, timings))
	}

	fn int8_peak_tops(&self) -> Option<f64> {
		int8_peak_tops(&self.device.name, self.device.compute_capability)
	}
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use crate::backend::{bench::bench, cpu::Cpu};
	use poc::MatrixGen;
	use std::{
		io::Write,
		process::{Command, Stdio},
		time::Instant,
	};

	/// Byte `t` of packed row `r`.
	fn packed(words: &[i32], kq: u32, r: u64, t: u32) -> i8 {
		let word = words[(r * u64::from(kq) + u64::from(t / 4)) as usize] as u32;
		(word >> (8 * (t % 4))) as u8 as i8
	}

	/// Checks a run's buffers: A and Bᵀ against MatrixGen (padding zero), C against the
	/// reference GEMM and the CPU backend, bit for bit.
	fn check(seed: &[u8; 32], plan: &Plan, buffers: &Buffers, what: &str) {
		let Shape { m, n, k } = plan.shape;
		let (a_gen, b_gen) = (MatrixGen::new(seed, poc::TAG_A), MatrixGen::new(seed, poc::TAG_B));
		assert_eq!(buffers.a.len() as u64, plan.words[0], "{what}: A's size");
		assert_eq!(buffers.bt.len() as u64, plan.words[1], "{what}: Bᵀ's size");
		for i in 0..u64::from(m) {
			for t in 0..plan.kq * 4 {
				let want = if t < k { a_gen.element(i * u64::from(k) + u64::from(t)) } else { 0 };
				assert_eq!(packed(&buffers.a, plan.kq, i, t), want, "{what}: A[{i}, {t}]");
			}
		}
		for j in 0..u64::from(n) {
			for t in 0..plan.kq * 4 {
				let want = if t < k { b_gen.element(u64::from(t) * u64::from(n) + j) } else { 0 };
				assert_eq!(packed(&buffers.bt, plan.kq, j, t), want, "{what}: B[{t}, {j}]");
			}
		}
		let reference = poc::reference::gemm(seed, plan.shape);
		assert!(buffers.c == reference, "{what}: C differs from poc::reference::gemm");
		let cpu = Cpu::new(Some(2)).gemm(seed, plan.shape).unwrap();
		assert!(buffers.c == cpu, "{what}: C differs from the CPU backend");
	}

	/// Shapes the kernels must get right: single entries, tile edges ± 1, rows and columns
	/// that are not multiples of the tiles, k not a multiple of 4 or of the k step, and the
	/// largest k.
	fn shapes() -> Vec<Shape> {
		let s = |m, n, k| Shape { m, n, k };
		vec![
			s(1, 1, 1),
			s(1, 200, 33),
			s(200, 1, 3),
			s(63, 65, 31),
			s(64, 64, 64),
			s(65, 129, 100),
			s(130, 70, 257),
			s(3, 2, 65_536),
		]
	}

	// ---- the kernels on the host emulator --------------------------------------------------

	/// Compiles gemm.cu + emu.h + emu_main.cpp into an executable, once per version of the
	/// sources and compiler: cached under $TMPDIR/kiln-gemm-emu/<hash of the inputs>.
	fn emulator() -> &'static Path {
		static EMULATOR: OnceLock<PathBuf> = OnceLock::new();
		EMULATOR.get_or_init(|| {
			// $CXX, else the first C++ compiler on the PATH (setup.sh installs clang).
			let cxx = std::env::var("CXX").ok().filter(|c| !c.is_empty()).unwrap_or_else(|| {
				let on_path = |name: &&str| {
					Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success())
				};
				["c++", "clang++", "g++"].into_iter().find(on_path).unwrap_or("c++").into()
			});
			let flags =
				["-std=c++17", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"];
			let sanitize = ["-fsanitize=undefined", "-fno-sanitize-recover=all"];
			let sources = [
				("kernels.cu", kernel_source()),
				("emu.h", include_str!("kernels/emu.h").to_string()),
				("emu_main.cpp", include_str!("kernels/emu_main.cpp").to_string()),
			];
			let key = {
				use std::hash::{Hash, Hasher};
				let mut hasher = std::collections::hash_map::DefaultHasher::new();
				(&cxx, flags, sanitize, &sources).hash(&mut hasher);
				format!("{:016x}", hasher.finish())
			};
			let root = std::env::temp_dir().join("kiln-gemm-emu");
			let dir = root.join(&key);
			let exe = dir.join("emu");
			if exe.is_file() {
				return exe;
			}
			// Built next to it, then renamed into place: concurrent test runs never see half a
			// build.
			let build = root.join(format!("build-{key}-{}", std::process::id()));
			std::fs::create_dir_all(&build).unwrap();
			for (name, text) in &sources {
				std::fs::write(build.join(name), text).unwrap();
			}
			let compile = |with_sanitizer: bool| {
				let mut cmd = Command::new(&cxx);
				cmd.args(flags);
				if with_sanitizer {
					cmd.args(sanitize);
				}
				cmd.arg("-I").arg(&build).arg(build.join("emu_main.cpp")).arg("-o");
				cmd.arg(build.join("emu")).output().unwrap_or_else(|e| {
					panic!("cannot run the C++ compiler {cxx:?} ({e}); install g++ or clang, or set CXX")
				})
			};
			let start = Instant::now();
			let mut out = compile(true);
			if !out.status.success() {
				eprintln!(
					"note: compiling the emulator with UBSan failed, retrying without:\n{}",
					String::from_utf8_lossy(&out.stderr)
				);
				out = compile(false);
			}
			assert!(
				out.status.success(),
				"{cxx} could not compile the kernels for the host:\n{}",
				String::from_utf8_lossy(&out.stderr)
			);
			eprintln!("emulator built with {cxx} in {:.1?}", start.elapsed());
			if std::fs::rename(&build, &dir).is_err() {
				// Another test run got there first.
				assert!(exe.is_file(), "cannot move {} to {}", build.display(), dir.display());
				let _ = std::fs::remove_dir_all(&build);
			}
			exe
		})
	}

	fn plan_text(plan: &Plan) -> String {
		let mut text = format!("buffers {} {} {}\n", plan.words[0], plan.words[1], plan.words[2]);
		for l in &plan.launches {
			let (g, b) = (l.grid, l.block);
			text += &format!("launch {} {} {} {} {} {} {}", l.kernel, g.0, g.1, g.2, b.0, b.1, b.2);
			for arg in &l.args {
				text += &match arg {
					Arg::Buf(buf) => format!(" buf:{}", *buf as usize),
					Arg::U32(v) => format!(" u32:{v}"),
					Arg::U64(v) => format!(" u64:{v}"),
				};
			}
			text += "\n";
		}
		text
	}

	/// Runs `plan` on the host emulator, fibers in `order` ("forward" or "reverse").
	fn emulate(plan: &Plan, order: &str) -> Buffers {
		let mut child = Command::new(emulator())
			.arg(order)
			.stdin(Stdio::piped())
			.stdout(Stdio::piped())
			.stderr(Stdio::piped())
			.spawn()
			.unwrap();
		let text = plan_text(plan);
		let mut stdin = child.stdin.take().unwrap();
		// Written from another thread: the emulator's output fills the stdout pipe meanwhile.
		let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
		let result = child.wait_with_output().unwrap();
		writer.join().unwrap().unwrap();
		assert!(
			result.status.success(),
			"the emulator failed on {:?} ({order}): {}\n{}",
			plan.shape,
			result.status,
			String::from_utf8_lossy(&result.stderr)
		);
		let words: Vec<i32> = result
			.stdout
			.chunks_exact(4)
			.map(|w| i32::from_le_bytes(w.try_into().unwrap()))
			.collect();
		assert_eq!(words.len() as u64, plan.words.iter().sum::<u64>());
		let (a, rest) = words.split_at(plan.words[0] as usize);
		let (bt, c) = rest.split_at(plan.words[1] as usize);
		Buffers { a: a.to_vec(), bt: bt.to_vec(), c: c.to_vec() }
	}

	#[test]
	fn kernels_on_the_host_emulator_equal_the_reference() {
		for kernel in GemmKernel::ALL {
			for (index, shape) in shapes().into_iter().enumerate() {
				let seed = [index as u8 ^ 0x5c; 32];
				let plan = Plan::new(&seed, shape, kernel);
				for order in ["forward", "reverse"] {
					let start = Instant::now();
					let buffers = emulate(&plan, order);
					let what = format!("emulator, {} kernel, {shape:?} {order}", kernel.name());
					check(&seed, &plan, &buffers, &what);
					eprintln!("{what}: ok in {:.2?}", start.elapsed());
				}
			}
		}
	}

	#[test]
	fn kernels_on_the_host_emulator_loop_over_grids_smaller_than_the_problem() {
		// 3 generator blocks for thousands of words, one row of GEMM blocks for 3 (mma) or 5
		// (dp4a) row tiles.
		let seed = [0xa7; 32];
		let shape = Shape { m: 300, n: 150, k: 77 };
		for kernel in GemmKernel::ALL {
			let plan = Plan::with_limits(&seed, shape, kernel, 3, 1);
			assert_eq!((plan.launches[0].grid.0, plan.launches[2].grid.1), (3, 1));
			let what = format!("emulator, {} kernel, small grids", kernel.name());
			check(&seed, &plan, &emulate(&plan, "reverse"), &what);
			let plan = Plan::with_limits(&seed, shape, kernel, 1, 2);
			let what = format!("emulator, {} kernel, grid.y = 2", kernel.name());
			check(&seed, &plan, &emulate(&plan, "forward"), &what);
		}
	}

	#[test]
	fn the_published_vectors_come_out_of_the_host_emulator() {
		for kernel in GemmKernel::ALL {
			for v in poc::VECTORS {
				let plan = Plan::new(&v.seed, v.shape, kernel);
				let c = emulate(&plan, "forward").c;
				assert_eq!(hex::encode(poc::reference::Tree::build(&c).root()), v.root);
				for (sample, value, _) in v.openings {
					assert_eq!(c[*sample as usize], *value);
				}
			}
		}
	}

	#[test]
	fn plans_fit_the_cuda_limits() {
		let seed = [1; 32];
		for shape in shapes().into_iter().chain([
			Shape { m: 1 << 22, n: 1 << 10, k: 1 },
			Shape { m: 1, n: u32::MAX, k: 1 },
			Shape { m: 65_536, n: 65_536, k: 65_536 },
		]) {
			for kernel in GemmKernel::ALL {
				let plan = Plan::new(&seed, shape, kernel);
				assert_eq!(plan.kq % KQ_ALIGN, 0);
				assert!(4 * plan.kq >= shape.k && 4 * plan.kq < shape.k + 4 * KQ_ALIGN);
				assert_eq!(plan.launches[2].kernel, kernel.entry());
				for l in &plan.launches {
					assert!(l.grid.0 >= 1 && l.grid.0 < 1 << 31, "{shape:?} {l:?}");
					assert!(l.grid.1 >= 1 && l.grid.1 <= MAX_GRID_Y, "{shape:?} {l:?}");
					assert!(l.block.0 * l.block.1 * l.block.2 <= 1024);
				}
			}
		}
	}

	#[test]
	fn each_device_gets_the_fastest_kernel_it_runs() {
		assert_eq!(GemmKernel::for_device(60), None);
		assert_eq!(GemmKernel::for_device(61), Some(GemmKernel::Dp4a));
		assert_eq!(GemmKernel::for_device(75), Some(GemmKernel::Dp4a));
		assert_eq!(GemmKernel::for_device(80), Some(GemmKernel::Mma));
		assert_eq!(GemmKernel::for_device(90), Some(GemmKernel::Mma));
		assert_eq!(GemmKernel::for_device(120), Some(GemmKernel::Mma));
		// Until the tensor-core kernel has passed on a GPU, nobody runs it unasked.
		let tensor = if MMA_CHECKED_ON_A_GPU { GemmKernel::Mma } else { GemmKernel::Dp4a };
		assert_eq!(GemmKernel::default_for_device(60), None);
		assert_eq!(GemmKernel::default_for_device(75), Some(GemmKernel::Dp4a));
		assert_eq!(GemmKernel::default_for_device(90), Some(tensor));
	}

	#[test]
	fn the_kernel_can_be_forced_from_the_environment() {
		assert_eq!(kernel_from_env(None).unwrap(), None);
		assert_eq!(kernel_from_env(Some("")).unwrap(), None);
		assert_eq!(kernel_from_env(Some("dp4a")).unwrap(), Some(GemmKernel::Dp4a));
		assert_eq!(kernel_from_env(Some("MMA")).unwrap(), Some(GemmKernel::Mma));
		let error = kernel_from_env(Some("wmma")).unwrap_err().to_string();
		assert_eq!(error, "KILN_CUDA_KERNEL=wmma: expected mma or dp4a");
	}

	#[test]
	fn int8_peaks_are_dense_figures_of_known_devices_only() {
		let peak = |name, cc| int8_peak_tops(name, cc);
		assert_eq!(peak("NVIDIA H100 80GB HBM3", 90), Some(1979.0));
		assert_eq!(peak("NVIDIA H200", 90), Some(1979.0));
		assert_eq!(peak("NVIDIA H200 NVL", 90), Some(1671.0));
		assert_eq!(peak("NVIDIA H100 PCIe", 90), Some(1513.0));
		assert_eq!(peak("NVIDIA A100-SXM4-80GB", 80), Some(624.0));
		assert_eq!(peak("NVIDIA A100 80GB PCIe", 80), Some(624.0));
		assert_eq!(peak("NVIDIA L4", 89), Some(242.5));
		assert_eq!(peak("NVIDIA L40S", 89), Some(733.0));
		assert_eq!(peak("NVIDIA GeForce RTX 4090", 89), Some(660.6));
		// Unknown devices, and a name whose compute capability does not match, have none.
		assert_eq!(peak("NVIDIA GeForce RTX 3060", 86), None);
		assert_eq!(peak("NVIDIA H100 80GB HBM3", 80), None);
		assert_eq!(peak("Tesla P4", 61), None);
	}

	// ---- NVRTC -----------------------------------------------------------------------------

	/// NVRTC, or a failure saying how to get it (a skip only when asked for explicitly).
	pub(super) fn nvrtc_or_fail() -> bool {
		match load_nvrtc() {
			Ok(from) => {
				eprintln!("NVRTC from {from}");
				true
			},
			Err(_) if std::env::var("KILN_SKIP_NVRTC_TESTS").as_deref() == Ok("1") => {
				eprintln!("SKIPPED: KILN_SKIP_NVRTC_TESTS=1, the kernels were not compiled");
				false
			},
			Err(e) => panic!(
				"{e:#}\nThis test compiles the CUDA kernels with NVRTC and needs libnvrtc: run\n  \
				 export {NVRTC_ENV}=\"$(scripts/nvrtc.sh)\"\nbefore cargo test (or set \
				 KILN_SKIP_NVRTC_TESTS=1 to skip it on purpose)."
			),
		}
	}

	/// The kernels compiled for an architecture of compute capability `cc` (× 10): the
	/// generator and every GEMM that runs there.
	fn entries(cc: u16) -> Vec<&'static str> {
		let gemms = GemmKernel::ALL.into_iter().filter(|k| cc >= k.min_compute_capability());
		std::iter::once(GEN_KERNEL).chain(gemms.map(GemmKernel::entry)).collect()
	}

	#[test]
	fn nvrtc_compiles_every_kernel_to_ptx() {
		if !nvrtc_or_fail() {
			return;
		}
		for (cc, arch, target) in
			[(61, "compute_61", "sm_61"), (80, "compute_80", "sm_80"), (90, "compute_90", "sm_90")]
		{
			let start = Instant::now();
			let ptx = compile(arch).unwrap_or_else(|e| panic!("{e:#}")).to_src();
			for entry in entries(cc) {
				assert!(ptx.contains(&format!(".entry {entry}(")), "{arch}: no entry {entry}");
			}
			assert!(ptx.contains(&format!(".target {target}")), "{arch}: wrong target");
			assert!(ptx.contains("dp4a.s32.s32"), "{arch}: the GEMM does not use dp4a");
			let mma = "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32";
			let cp_async = "cp.async.cg.shared.global";
			if cc >= 80 {
				assert!(ptx.contains(mma) && ptx.contains(cp_async), "{arch}: no mma/cp.async");
			} else {
				// mma m16n8k32 s8 does not exist before sm_80: the kernel is left out.
				assert!(!ptx.contains(MMA_GEMM_KERNEL) && !ptx.contains(mma), "{arch}");
			}
			assert!(ptx.contains(".shared"), "{arch}: no shared memory");
			eprintln!("{arch}: {} bytes of PTX in {:.2?}", ptx.len(), start.elapsed());
		}
	}

	#[test]
	fn nvrtc_compiles_every_kernel_to_machine_code() {
		if !nvrtc_or_fail() {
			return;
		}
		// NVRTC runs ptxas: the kernels assemble for real devices (registers, shared memory).
		for (cc, arch) in [(61, "sm_61"), (80, "sm_80"), (90, "sm_90")] {
			let start = Instant::now();
			let cubin = compile_cubin(arch).unwrap_or_else(|e| panic!("{e:#}"));
			for entry in entries(cc) {
				let name = entry.as_bytes();
				assert!(cubin.windows(name.len()).any(|w| w == name), "{arch}: no {entry}");
			}
			eprintln!("{arch}: {} bytes of CUBIN in {:.2?}", cubin.len(), start.elapsed());
		}
	}

	#[test]
	fn ptxas_fits_the_tensor_core_gemm_without_spills() {
		if !nvrtc_or_fail() {
			return;
		}
		// ptxas's report (NVRTC's log with -v) for the mma kernel: no local memory, the shared
		// memory the tiles need, and at most 255 registers (2 blocks of 128 threads per SM).
		for arch in ["sm_80", "sm_86", "sm_89", "sm_90"] {
			let report = ptxas_report(arch).unwrap_or_else(|e| panic!("{e:#}"));
			let (regs, spills, shared) = report
				.get(MMA_GEMM_KERNEL)
				.copied()
				.unwrap_or_else(|| panic!("{arch}: no ptxas report for {MMA_GEMM_KERNEL}"));
			eprintln!(
				"{arch}: {MMA_GEMM_KERNEL} uses {regs} registers, {shared} bytes of shared memory, \
				 {spills} bytes of spills"
			);
			assert_eq!(spills, 0, "{arch}: {MMA_GEMM_KERNEL} spills registers");
			assert_eq!(shared, MMA_SHARED_BYTES, "{arch}: shared memory");
			assert!(regs <= 255, "{arch}: {regs} registers");
		}
	}

	#[test]
	fn nvrtc_errors_are_reported_not_panicked() {
		if !nvrtc_or_fail() {
			return;
		}
		let error = compile("compute_1").unwrap_err();
		assert!(format!("{error:#}").contains("compute_1"), "{error:#}");
		let error = compile_cubin("sm_1").unwrap_err();
		assert!(format!("{error:#}").contains("sm_1"), "{error:#}");
		// A virtual architecture has no machine code.
		assert!(compile_cubin("compute_80").is_err());
	}

	// ---- the device ------------------------------------------------------------------------

	#[test]
	fn probe_without_a_driver_is_an_error_not_a_panic() {
		// SAFETY: only tries to dlopen the candidate names.
		if unsafe { cudarc::driver::sys::is_culib_present() } {
			eprintln!("SKIPPED: this machine has a CUDA driver");
			return;
		}
		let error = Cuda::probe().err().expect("no driver, yet probe succeeded");
		assert_eq!(error.to_string(), "no CUDA driver (libcuda.so.1) found");
	}

	#[test]
	fn a_panic_in_the_cuda_wrapper_becomes_an_error() {
		let error = no_panic("test", || -> Result<()> { panic!("Missing symbol cuFoo") });
		assert_eq!(
			format!("{:#}", error.unwrap_err()),
			"test: the CUDA library wrapper panicked: Missing symbol cuFoo"
		);
		assert!(!QUIET.with(Cell::get), "panics outside no_panic are reported again");
		assert_eq!(no_panic("test", || Ok(7)).unwrap(), 7);
	}

	#[test]
	fn gpu_cuda_backend_equals_the_cpu_backend() {
		let cuda = match Cuda::probe() {
			Ok(cuda) => cuda,
			Err(e) if std::env::var("KILN_REQUIRE_GPU").as_deref() != Ok("1") => {
				eprintln!("SKIPPED: no CUDA device present ({e:#}); the CUDA backend did not run");
				return;
			},
			Err(e) => panic!("KILN_REQUIRE_GPU=1 but {e:#}"),
		};
		let cc = cuda.device().compute_capability;
		let forced = kernel_from_env(std::env::var(KERNEL_ENV).ok().as_deref()).unwrap();
		assert_eq!(Some(cuda.kernel()), forced.or(GemmKernel::for_device(cc)), "the kernel");
		let shape = Shape { m: 1024, n: 1024, k: 4096 };
		let cpu = Cpu::new(None).gemm(&[9; 32], shape).unwrap();
		// Every kernel the device runs, forced in turn.
		for kernel in GemmKernel::ALL.into_iter().filter(|k| cc >= k.min_compute_capability()) {
			let cuda = Cuda::new(0, Some(kernel)).unwrap();
			let (regs, shared) = cuda.gemm_resources().unwrap();
			eprintln!(
				"running on {}: {regs} registers, {shared} bytes of shared memory",
				cuda.name()
			);
			for (index, shape) in shapes().into_iter().enumerate() {
				let seed = [index as u8 ^ 0x3e; 32];
				for plan in
					[Plan::new(&seed, shape, kernel), Plan::with_limits(&seed, shape, kernel, 2, 1)]
				{
					let buffers = cuda.run(&plan, true).unwrap();
					check(
						&seed,
						&plan,
						&buffers,
						&format!("GPU, {} kernel, {shape:?}", kernel.name()),
					);
				}
			}
			for v in poc::VECTORS {
				let report = bench(&cuda, &v.seed, v.shape).unwrap();
				assert_eq!(hex::encode(report.root), v.root);
			}
			let c = cuda.gemm(&[9; 32], shape).unwrap();
			assert!(c == cpu, "GPU, {} kernel, 1024×1024×4096", kernel.name());
			eprintln!("{} kernel: equal to the CPU bit for bit", kernel.name());
		}
	}
}
