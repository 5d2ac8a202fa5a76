//! `Wasm` jobs: a **WASI preview 1 command** run deterministically under wasmtime, so every
//! honest machine produces the same bytes for the same module, input and fuel.
//!
//! - The module's `_start` runs with stdin = the job's input and stdout = the output (the
//!   output hash is blake2-256 of these bytes). No arguments, no environment, no preopened
//!   directories (so no files), no sockets. Clocks read 0 ns; `random_get` returns a fixed
//!   stream (blake2-256 of `kiln/wasm/random` and a counter); stderr is kept for the log only.
//! - Every other WASI call answers an error code (`EBADF` for file and path calls, `ENOTSUP`
//!   for sockets and `poll_oneoff`, `ENOSYS` otherwise), and an import from another module
//!   stops the program with `unsupported:<module>.<name>`.
//! - Fuel is the job's `fuel` (wasmtime's count: about one unit per Wasm instruction), memory
//!   is capped at [`Limits::memory`], stdout at [`Limits::output`]; NaNs are canonicalised,
//!   threads and relaxed SIMD are off, the Wasm stack is [`WASM_STACK`] bytes.
//!
//! A program that does not end well still has a result, whose output is the ASCII record
//! `kiln/wasm/failed <reason>` (stdout is then dropped), with `<reason>` one of `exit:<code>`,
//! `out-of-fuel`, `memory-limit`, `output-limit`, `trap:<kind>` or
//! `unsupported:<module>.<name>` ([`Exit::reason`]). Only a module that cannot be compiled or
//! instantiated, or has no `_start`, has no result: [`Invalid`].

use anyhow::{anyhow, Result};
use std::collections::HashSet;
use wasmtime::{
	Caller, Config, Engine, Extern, ExternType, Linker, Module, ResourceLimiter, Store, Trap, Val,
	ValType,
};

/// The Wasm stack every honest worker uses (wasmtime's default), so a deep recursion
/// overflows at the same depth everywhere.
pub const WASM_STACK: usize = 512 * 1024;
const WASI: &str = "wasi_snapshot_preview1";

/// What a job may use besides fuel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
	/// Bytes of linear memory.
	pub memory: usize,
	/// Bytes of stdout.
	pub output: usize,
	/// Table elements.
	pub table_elements: usize,
}

impl Default for Limits {
	fn default() -> Self {
		Self { memory: 256 << 20, output: 64 << 20, table_elements: 100_000 }
	}
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
	/// `_start` returned or called `proc_exit(0)`: the output is stdout.
	Success,
	/// `proc_exit` with a non-zero code.
	Code(u32),
	OutOfFuel,
	/// A memory grow beyond the cap was refused and the program then failed.
	MemoryLimit,
	/// The program wrote more than the output limit.
	OutputLimit,
	/// A Wasm trap ([`trap_kind`] names it).
	Trap(&'static str),
	/// An import the sandbox does not provide was called.
	Unsupported(String),
}

impl Exit {
	/// The `<reason>` of a failed run's output record.
	pub fn reason(&self) -> String {
		match self {
			Exit::Success => "success".into(),
			Exit::Code(code) => format!("exit:{code}"),
			Exit::OutOfFuel => "out-of-fuel".into(),
			Exit::MemoryLimit => "memory-limit".into(),
			Exit::OutputLimit => "output-limit".into(),
			Exit::Trap(kind) => format!("trap:{kind}"),
			Exit::Unsupported(name) => format!("unsupported:{name}"),
		}
	}
}

/// A finished run: the output every honest worker reproduces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
	pub output: Vec<u8>,
	pub exit: Exit,
	pub fuel_used: u64,
	/// What the program wrote to stderr (up to the output limit), for the worker's log.
	pub stderr: Vec<u8>,
}

/// A module the worker cannot run at all: not Wasm, imports it cannot link (a memory, a
/// table, a wrongly typed WASI function), or no `_start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl std::fmt::Display for Invalid {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "not a runnable WASI command: {}", self.0)
	}
}

impl std::error::Error for Invalid {}

/// The deterministic engine; compile once, run many times (and from many threads).
#[derive(Clone)]
pub struct Sandbox {
	engine: Engine,
	limits: Limits,
	/// Fuel is counted (every worker's sandbox); only [`Sandbox::plain`] leaves it out.
	metered: bool,
}

/// Where the time of one run went ([`Sandbox::run_timed`]).
#[derive(Clone, Copy, Debug)]
pub struct RunTimes {
	/// Linking the imports and instantiating the module (with its `start` section).
	pub instantiate: std::time::Duration,
	/// `_start`.
	pub execute: std::time::Duration,
}

/// A compiled module.
pub struct Compiled(Module);

impl Sandbox {
	pub fn new(limits: Limits) -> Result<Self> {
		let mut config = Config::new();
		config
			.consume_fuel(true)
			.cranelift_nan_canonicalization(true)
			.wasm_threads(false)
			.wasm_relaxed_simd(false)
			.relaxed_simd_deterministic(true)
			.wasm_memory64(false)
			.max_wasm_stack(WASM_STACK)
			.wasm_backtrace(false);
		let engine = Engine::new(&config).map_err(|e| anyhow!("cannot set up wasmtime: {e:#}"))?;
		Ok(Self { engine, limits, metered: true })
	}

	/// wasmtime with its default settings (no fuel, no NaN canonicalisation) behind the same
	/// host functions: what the worker's determinism and metering are measured against
	/// (`kiln-worker bench --wasm`). Never used for jobs: its runs are not reproducible, and
	/// `fuel` is ignored (a run cannot be stopped).
	pub fn plain(limits: Limits) -> Result<Self> {
		let mut config = Config::new();
		config.max_wasm_stack(WASM_STACK).wasm_backtrace(false);
		let engine = Engine::new(&config).map_err(|e| anyhow!("cannot set up wasmtime: {e:#}"))?;
		Ok(Self { engine, limits, metered: false })
	}

	pub fn limits(&self) -> Limits {
		self.limits
	}

	/// Compiles `module` (Wasm binary or, for tests, anything wasmtime accepts).
	pub fn compile(&self, module: &[u8]) -> Result<Compiled, Invalid> {
		let module = Module::new(&self.engine, module).map_err(|e| Invalid(format!("{e:#}")))?;
		match module.get_export("_start") {
			Some(ExternType::Func(f)) if f.params().len() == 0 && f.results().len() == 0 => {},
			_ => return Err(Invalid("no `_start` function without parameters".into())),
		}
		Ok(Compiled(module))
	}

	/// Compiles and runs.
	pub fn run_bytes(&self, module: &[u8], input: &[u8], fuel: u64) -> Result<Run, Invalid> {
		self.run(&self.compile(module)?, input, fuel)
	}

	/// Runs `_start` with `input` on stdin and `fuel`.
	pub fn run(&self, module: &Compiled, input: &[u8], fuel: u64) -> Result<Run, Invalid> {
		Ok(self.run_timed(module, input, fuel)?.0)
	}

	/// The same, with the time spent instantiating and executing.
	pub fn run_timed(
		&self,
		module: &Compiled,
		input: &[u8],
		fuel: u64,
	) -> Result<(Run, RunTimes), Invalid> {
		let module = &module.0;
		if !Engine::same(module.engine(), &self.engine) {
			return Err(Invalid("compiled by another sandbox".into()));
		}
		let ctx = Ctx {
			input: input.to_vec(),
			read: 0,
			stdout: Vec::new(),
			stderr: Vec::new(),
			random_counter: 0,
			limits: self.limits,
			memory_refused: false,
		};
		let mut store = Store::new(&self.engine, ctx);
		store.limiter(|ctx| ctx as &mut dyn ResourceLimiter);
		if self.metered {
			store.set_fuel(fuel).map_err(|e| Invalid(format!("{e:#}")))?;
		}
		let begin = std::time::Instant::now();
		let linker = linker(&self.engine, module).map_err(|e| Invalid(format!("{e:#}")))?;
		let mut times = RunTimes { instantiate: Default::default(), execute: Default::default() };
		let outcome = linker
			.instantiate(&mut store, module)
			.map_err(Failure::Instantiate)
			.and_then(|instance| {
				let start = instance
					.get_typed_func::<(), ()>(&mut store, "_start")
					.map_err(Failure::Instantiate)?;
				times.instantiate = begin.elapsed();
				let begin = std::time::Instant::now();
				let ended = start.call(&mut store, ()).map_err(Failure::Run);
				times.execute = begin.elapsed();
				ended
			});
		let fuel_used =
			if self.metered { fuel.saturating_sub(store.get_fuel().unwrap_or(0)) } else { 0 };
		let ctx = store.into_data();
		let exit = match outcome {
			Ok(()) => Exit::Success,
			Err(Failure::Instantiate(e)) => {
				if ctx.memory_refused {
					Exit::MemoryLimit
				} else if let Some(exit) = ended(&e) {
					// `start` sections run during instantiation.
					exit
				} else {
					return Err(Invalid(format!("{e:#}")));
				}
			},
			Err(Failure::Run(e)) => ended(&e).unwrap_or(Exit::Trap("host")),
		};
		let exit = match exit {
			Exit::Success | Exit::Code(0) => Exit::Success,
			_ if ctx.memory_refused => Exit::MemoryLimit,
			other => other,
		};
		let output = match exit {
			Exit::Success => ctx.stdout,
			ref failed => format!("kiln/wasm/failed {}", failed.reason()).into_bytes(),
		};
		Ok((Run { output, exit, fuel_used, stderr: ctx.stderr }, times))
	}
}

enum Failure {
	Instantiate(anyhow::Error),
	Run(anyhow::Error),
}

/// What a run's error means, if it is one a program can cause.
fn ended(e: &anyhow::Error) -> Option<Exit> {
	if let Some(Stop(exit)) = e.downcast_ref::<Stop>() {
		return Some(exit.clone());
	}
	e.downcast_ref::<Trap>().map(|trap| match trap {
		Trap::OutOfFuel => Exit::OutOfFuel,
		other => Exit::Trap(trap_kind(*other)),
	})
}

/// A stable name for each Wasm trap (not wasmtime's message, which may change).
pub fn trap_kind(trap: Trap) -> &'static str {
	match trap {
		Trap::StackOverflow => "stack-overflow",
		Trap::MemoryOutOfBounds => "memory-out-of-bounds",
		Trap::HeapMisaligned => "heap-misaligned",
		Trap::TableOutOfBounds => "table-out-of-bounds",
		Trap::IndirectCallToNull => "indirect-call-to-null",
		Trap::BadSignature => "bad-signature",
		Trap::IntegerOverflow => "integer-overflow",
		Trap::IntegerDivisionByZero => "integer-division-by-zero",
		Trap::BadConversionToInteger => "bad-conversion-to-integer",
		Trap::UnreachableCodeReached => "unreachable",
		Trap::NullReference => "null-reference",
		Trap::ArrayOutOfBounds => "array-out-of-bounds",
		Trap::AllocationTooLarge => "allocation-too-large",
		Trap::CastFailure => "cast-failure",
		_ => "other",
	}
}

/// Ends a run from a host function.
#[derive(Debug)]
struct Stop(Exit);

impl std::fmt::Display for Stop {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "{}", self.0.reason())
	}
}

impl std::error::Error for Stop {}

struct Ctx {
	input: Vec<u8>,
	read: usize,
	stdout: Vec<u8>,
	stderr: Vec<u8>,
	random_counter: u64,
	limits: Limits,
	memory_refused: bool,
}

impl ResourceLimiter for Ctx {
	fn memory_growing(&mut self, _: usize, desired: usize, _: Option<usize>) -> Result<bool> {
		let allowed = desired <= self.limits.memory;
		self.memory_refused |= !allowed;
		Ok(allowed)
	}

	fn table_growing(&mut self, _: usize, desired: usize, _: Option<usize>) -> Result<bool> {
		Ok(desired <= self.limits.table_elements)
	}

	fn instances(&self) -> usize {
		1
	}

	fn memories(&self) -> usize {
		1
	}
}

// WASI errno values.
const ESUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EFAULT: i32 = 21;
const EINVAL: i32 = 28;
const ENOSYS: i32 = 52;
const ENOTSUP: i32 = 58;

/// The functions implemented here; every other import is answered by [`fallback`].
const IMPLEMENTED: &[&str] = &[
	"args_get",
	"args_sizes_get",
	"environ_get",
	"environ_sizes_get",
	"clock_res_get",
	"clock_time_get",
	"fd_read",
	"fd_write",
	"fd_fdstat_get",
	"fd_prestat_get",
	"fd_close",
	"proc_exit",
	"random_get",
	"sched_yield",
];

/// The guest's memory and the store's context, or `EFAULT` without an exported memory.
fn memory<'a>(caller: &'a mut Caller<'_, Ctx>) -> Result<(&'a mut [u8], &'a mut Ctx), i32> {
	match caller.get_export("memory") {
		Some(Extern::Memory(memory)) => Ok(memory.data_and_store_mut(caller)),
		_ => Err(EFAULT),
	}
}

fn slice(mem: &mut [u8], ptr: i32, len: u64) -> Result<&mut [u8], i32> {
	let start = ptr as u32 as usize;
	let end = usize::try_from(len).ok().and_then(|len| start.checked_add(len)).ok_or(EFAULT)?;
	mem.get_mut(start..end).ok_or(EFAULT)
}

fn put(mem: &mut [u8], ptr: i32, bytes: &[u8]) -> Result<(), i32> {
	slice(mem, ptr, bytes.len() as u64)?.copy_from_slice(bytes);
	Ok(())
}

fn get_u32(mem: &mut [u8], ptr: i32) -> Result<u32, i32> {
	let bytes = slice(mem, ptr, 4)?;
	Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// The (pointer, length) pairs of an iovec array.
fn iovecs(mem: &mut [u8], iovs: i32, count: i32) -> Result<Vec<(i32, u32)>, i32> {
	(0..count.max(0) as u32)
		.map(|i| {
			let at = (iovs as u32).checked_add(i * 8).ok_or(EFAULT)? as i32;
			Ok((get_u32(mem, at)? as i32, get_u32(mem, at.wrapping_add(4))?))
		})
		.collect()
}

fn errno(result: Result<(), i32>) -> i32 {
	result.err().unwrap_or(ESUCCESS)
}

fn linker(engine: &Engine, module: &Module) -> Result<Linker<Ctx>> {
	let mut linker = Linker::new(engine);
	let zeros = |mut caller: Caller<'_, Ctx>, a: i32, b: i32| {
		errno(memory(&mut caller).and_then(|(mem, _)| {
			put(mem, a, &0u32.to_le_bytes())?;
			put(mem, b, &0u32.to_le_bytes())
		}))
	};
	linker.func_wrap(WASI, "args_sizes_get", zeros)?;
	linker.func_wrap(WASI, "environ_sizes_get", zeros)?;
	linker.func_wrap(WASI, "args_get", |_: Caller<'_, Ctx>, _: i32, _: i32| ESUCCESS)?;
	linker.func_wrap(WASI, "environ_get", |_: Caller<'_, Ctx>, _: i32, _: i32| ESUCCESS)?;
	linker.func_wrap(WASI, "clock_res_get", |mut caller: Caller<'_, Ctx>, _: i32, out: i32| {
		errno(memory(&mut caller).and_then(|(mem, _)| put(mem, out, &1u64.to_le_bytes())))
	})?;
	linker.func_wrap(
		WASI,
		"clock_time_get",
		|mut caller: Caller<'_, Ctx>, _: i32, _: i64, out: i32| {
			errno(memory(&mut caller).and_then(|(mem, _)| put(mem, out, &0u64.to_le_bytes())))
		},
	)?;
	linker.func_wrap(
		WASI,
		"fd_read",
		|mut caller: Caller<'_, Ctx>, fd: i32, iovs: i32, count: i32, nread: i32| {
			errno(memory(&mut caller).and_then(|(mem, ctx)| {
				if fd != 0 {
					return Err(EBADF);
				}
				let mut total = 0u32;
				for (ptr, len) in iovecs(mem, iovs, count)? {
					let rest = &ctx.input[ctx.read..];
					let n = rest.len().min(len as usize);
					put(mem, ptr, &rest[..n])?;
					ctx.read += n;
					total += n as u32;
				}
				put(mem, nread, &total.to_le_bytes())
			}))
		},
	)?;
	linker.func_wrap(
		WASI,
		"fd_write",
		|mut caller: Caller<'_, Ctx>,
		 fd: i32,
		 iovs: i32,
		 count: i32,
		 nwritten: i32|
		 -> Result<i32> {
			let (mem, ctx) = match memory(&mut caller) {
				Ok(parts) => parts,
				Err(e) => return Ok(e),
			};
			let limit = ctx.limits.output;
			let sink = match fd {
				1 => &mut ctx.stdout,
				2 => &mut ctx.stderr,
				_ => return Ok(EBADF),
			};
			let list = match iovecs(mem, iovs, count) {
				Ok(list) => list,
				Err(e) => return Ok(e),
			};
			let mut total = 0u32;
			for (ptr, len) in list {
				let bytes = match slice(mem, ptr, u64::from(len)) {
					Ok(bytes) => bytes,
					Err(e) => return Ok(e),
				};
				if sink.len() + bytes.len() > limit {
					if fd == 1 {
						return Err(Stop(Exit::OutputLimit).into());
					}
					// stderr beyond the limit is dropped: it is not part of the result.
				} else {
					sink.extend_from_slice(bytes);
				}
				total += len;
			}
			Ok(errno(put(mem, nwritten, &total.to_le_bytes())))
		},
	)?;
	linker.func_wrap(WASI, "fd_fdstat_get", |mut caller: Caller<'_, Ctx>, fd: i32, out: i32| {
		errno(memory(&mut caller).and_then(|(mem, _)| {
			// fdstat: filetype u8 (2 = character device), flags u16, rights base and
			// inheriting u64 (fd_read = 1 << 1, fd_write = 1 << 6).
			let rights: u64 = match fd {
				0 => 1 << 1,
				1 | 2 => 1 << 6,
				_ => return Err(EBADF),
			};
			let mut stat = [0u8; 24];
			stat[0] = 2;
			stat[8..16].copy_from_slice(&rights.to_le_bytes());
			put(mem, out, &stat)
		}))
	})?;
	linker.func_wrap(WASI, "fd_prestat_get", |_: Caller<'_, Ctx>, _: i32, _: i32| EBADF)?;
	linker.func_wrap(
		WASI,
		"fd_close",
		|_: Caller<'_, Ctx>, fd: i32| {
			if (0..=2).contains(&fd) {
				ESUCCESS
			} else {
				EBADF
			}
		},
	)?;
	linker.func_wrap(WASI, "proc_exit", |_: Caller<'_, Ctx>, code: i32| -> Result<()> {
		Err(Stop(Exit::Code(code as u32)).into())
	})?;
	linker.func_wrap(WASI, "sched_yield", |_: Caller<'_, Ctx>| ESUCCESS)?;
	linker.func_wrap(WASI, "random_get", |mut caller: Caller<'_, Ctx>, buf: i32, len: i32| {
		errno(memory(&mut caller).and_then(|(mem, ctx)| {
			let out = slice(mem, buf, u64::from(len as u32))?;
			for chunk in out.chunks_mut(32) {
				let mut preimage = b"kiln/wasm/random".to_vec();
				preimage.extend_from_slice(&ctx.random_counter.to_le_bytes());
				ctx.random_counter += 1;
				let block = sp_crypto_hashing::blake2_256(&preimage);
				chunk.copy_from_slice(&block[..chunk.len()]);
			}
			Ok(())
		}))
	})?;
	let implemented: HashSet<&str> = IMPLEMENTED.iter().copied().collect();
	for import in module.imports() {
		let ExternType::Func(ty) = import.ty() else { continue };
		if import.module() == WASI && implemented.contains(import.name()) {
			continue;
		}
		let answer = fallback(import.module(), import.name(), &ty);
		linker.func_new(
			import.module(),
			import.name(),
			ty,
			move |_, _, results| match &answer {
				Fallback::Errno(code) => {
					results[0] = Val::I32(*code);
					Ok(())
				},
				Fallback::Stop(name) => Err(Stop(Exit::Unsupported(name.clone())).into()),
			},
		)?;
	}
	Ok(linker)
}

enum Fallback {
	Errno(i32),
	Stop(String),
}

/// The answer of an import not implemented here: a WASI function returning an errno gets a
/// fixed error code; anything else stops the program.
fn fallback(module: &str, name: &str, ty: &wasmtime::FuncType) -> Fallback {
	let returns_errno =
		ty.results().len() == 1 && matches!(ty.results().next(), Some(ValType::I32));
	if module != WASI || !returns_errno {
		return Fallback::Stop(format!("{module}.{name}"));
	}
	Fallback::Errno(if name.starts_with("fd_") || name.starts_with("path_") {
		EBADF
	} else if name.starts_with("sock_") || name == "poll_oneoff" {
		ENOTSUP
	} else if name == "proc_raise" {
		EINVAL
	} else {
		ENOSYS
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A WASI command in WAT: `body` is `_start`'s code. `$write(ptr, len)` writes memory to
	/// stdout; memory 0..16 is scratch, text from 64.
	fn command(extra_imports: &str, body: &str, data: &str) -> Vec<u8> {
		wat::parse_str(format!(
			r#"(module
				(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
				(import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
				(import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
				{extra_imports}
				(memory (export "memory") 1)
				(data (i32.const 64) "{data}")
				(func $write (param $ptr i32) (param $len i32)
					(i32.store (i32.const 0) (local.get $ptr))
					(i32.store (i32.const 4) (local.get $len))
					(drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
				(func (export "_start") {body}))"#
		))
		.expect("valid WAT")
	}

	/// Copies stdin to stdout, 4 KiB at a time.
	fn echo() -> Vec<u8> {
		command(
			"",
			r#"(local $n i32)
			(loop $more
				(i32.store (i32.const 16) (i32.const 1024))
				(i32.store (i32.const 20) (i32.const 4096))
				(drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
				(local.set $n (i32.load (i32.const 24)))
				(if (local.get $n) (then
					(call $write (i32.const 1024) (local.get $n))
					(br $more))))"#,
			"",
		)
	}

	fn new_sandbox() -> Sandbox {
		Sandbox::new(Limits { memory: 4 << 20, output: 1 << 20, table_elements: 1000 }).unwrap()
	}

	fn failed(reason: &str) -> Vec<u8> {
		format!("kiln/wasm/failed {reason}").into_bytes()
	}

	#[test]
	fn stdin_to_stdout_is_the_same_on_every_run_and_thread() {
		let sandbox = new_sandbox();
		let input: Vec<u8> = (0..50_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
		let module = sandbox.compile(&echo()).unwrap();
		let first = sandbox.run(&module, &input, 10_000_000).unwrap();
		assert_eq!(first.exit, Exit::Success);
		assert_eq!(first.output, input);
		assert!(first.fuel_used > 0);
		let runs: Vec<Run> = std::thread::scope(|s| {
			let handles: Vec<_> = (0..4)
				.map(|_| s.spawn(|| sandbox.run_bytes(&echo(), &input, 10_000_000).unwrap()))
				.collect();
			handles.into_iter().map(|h| h.join().unwrap()).collect()
		});
		for run in runs {
			assert_eq!(run, first, "a run on another thread differs");
		}
		// A sandbox of its own (another engine, as on another machine) too.
		assert_eq!(new_sandbox().run_bytes(&echo(), &input, 10_000_000).unwrap(), first);
		assert!(new_sandbox().run(&module, &input, 1).is_err(), "a module of another engine");
	}

	#[test]
	fn running_out_of_fuel_is_a_result() {
		let spin = command("", "(loop $forever (br $forever))", "");
		let run = new_sandbox().run_bytes(&spin, b"", 100_000).unwrap();
		assert_eq!(run.exit, Exit::OutOfFuel);
		assert_eq!(run.output, failed("out-of-fuel"));
		assert_eq!(run.fuel_used, 100_000);
		// The same fuel runs out at the same instruction: what was written before is dropped.
		let chatty = command(
			"",
			"(loop $forever (call $write (i32.const 64) (i32.const 2)) (br $forever))",
			"hi",
		);
		let a = new_sandbox().run_bytes(&chatty, b"", 50_000).unwrap();
		assert_eq!(a, new_sandbox().run_bytes(&chatty, b"", 50_000).unwrap());
		assert_eq!(a.output, failed("out-of-fuel"));
	}

	#[test]
	fn traps_are_results_named_by_kind() {
		let cases = [
			("unreachable", "unreachable"),
			("(drop (i32.div_u (i32.const 1) (i32.const 0)))", "integer-division-by-zero"),
			("(drop (i32.load (i32.const 0x7fff0000)))", "memory-out-of-bounds"),
			("(drop (i32.trunc_f32_s (f32.const nan)))", "bad-conversion-to-integer"),
		];
		for (body, kind) in cases {
			let run = new_sandbox().run_bytes(&command("", body, ""), b"", 1_000_000).unwrap();
			assert_eq!(run.exit, Exit::Trap(trap_kind_named(kind)), "{body}");
			assert_eq!(run.output, failed(&format!("trap:{kind}")));
		}
		let deep = wat::parse_str(
			r#"(module (memory (export "memory") 1)
				(func $f (call $f))
				(func (export "_start") (call $f)))"#,
		)
		.unwrap();
		let run = new_sandbox().run_bytes(&deep, b"", u64::MAX).unwrap();
		assert_eq!(run.output, failed("trap:stack-overflow"));
	}

	fn trap_kind_named(kind: &str) -> &'static str {
		[
			Trap::UnreachableCodeReached,
			Trap::IntegerDivisionByZero,
			Trap::MemoryOutOfBounds,
			Trap::BadConversionToInteger,
		]
		.into_iter()
		.map(trap_kind)
		.find(|k| *k == kind)
		.unwrap()
	}

	#[test]
	fn the_memory_cap_is_a_result() {
		// 4 MiB cap = 64 pages: growing to 100 is refused; the program gives up.
		let greedy = command(
			"",
			"(if (i32.lt_s (memory.grow (i32.const 99)) (i32.const 0)) (then unreachable))",
			"",
		);
		let run = new_sandbox().run_bytes(&greedy, b"", 1_000_000).unwrap();
		assert_eq!(run.exit, Exit::MemoryLimit);
		assert_eq!(run.output, failed("memory-limit"));
		// A module whose initial memory is above the cap.
		let big =
			wat::parse_str(r#"(module (memory (export "memory") 100) (func (export "_start")))"#)
				.unwrap();
		assert_eq!(new_sandbox().run_bytes(&big, b"", 1_000).unwrap().exit, Exit::MemoryLimit);
		// A program that copes with the refusal ends well, and reports what it saw.
		let modest = command(
			"",
			"(if (i32.lt_s (memory.grow (i32.const 99)) (i32.const 0)) (then (call $write (i32.const 64) (i32.const 2))))",
			"no",
		);
		let run = new_sandbox().run_bytes(&modest, b"", 1_000_000).unwrap();
		assert_eq!((run.exit, run.output), (Exit::Success, b"no".to_vec()));
	}

	#[test]
	fn exit_codes_and_the_output_limit() {
		let exit3 = command(
			"",
			"(call $write (i32.const 64) (i32.const 5)) (call $proc_exit (i32.const 3))",
			"hello",
		);
		assert_eq!(
			new_sandbox().run_bytes(&exit3, b"", 1_000_000).unwrap().output,
			failed("exit:3")
		);
		let exit0 = command("", "(call $write (i32.const 64) (i32.const 5)) (call $proc_exit (i32.const 0)) unreachable", "hello");
		let run = new_sandbox().run_bytes(&exit0, b"", 1_000_000).unwrap();
		assert_eq!((run.exit, run.output), (Exit::Success, b"hello".to_vec()));
		// 1 MiB limit; 64 KiB per write.
		let flood = command(
			"",
			"(loop $more (call $write (i32.const 0) (i32.const 65536)) (br $more))",
			"",
		);
		let run = new_sandbox().run_bytes(&flood, b"", 100_000_000).unwrap();
		assert_eq!((run.exit, run.output), (Exit::OutputLimit, failed("output-limit")));
	}

	/// The errno of each WASI call, as bytes on stdout.
	#[test]
	fn files_network_and_clocks_give_fixed_answers() {
		let imports = r#"
			(import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
			(import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
			(import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
			(import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
			(import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
			(import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
			(import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))"#;
		let body = r#"
			(i32.store8 (i32.const 200) (call $path_open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 4) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 300)))
			(i32.store8 (i32.const 201) (call $fd_prestat_get (i32.const 3) (i32.const 300)))
			(i32.store8 (i32.const 202) (call $sock_accept (i32.const 3) (i32.const 0) (i32.const 300)))
			(i32.store8 (i32.const 203) (call $poll_oneoff (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 300)))
			(i64.store (i32.const 208) (i64.const -1))
			(i32.store8 (i32.const 204) (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 208)))
			(i32.store8 (i32.const 205) (call $random_get (i32.const 216) (i32.const 40)))
			(i32.store8 (i32.const 206) (call $environ_sizes_get (i32.const 256) (i32.const 260)))
			(call $write (i32.const 200) (i32.const 64))"#;
		let module = command(imports, body, "/etc");
		let run = new_sandbox().run_bytes(&module, b"", 1_000_000).unwrap();
		assert_eq!(run.exit, Exit::Success);
		let out = &run.output;
		assert_eq!(out[..7], [EBADF as u8, EBADF as u8, ENOTSUP as u8, ENOTSUP as u8, 0, 0, 0]);
		assert_eq!(out[8..16], [0; 8], "the clock reads 0");
		let random = &out[16..56];
		let mut expected =
			sp_crypto_hashing::blake2_256(b"kiln/wasm/random\0\0\0\0\0\0\0\0").to_vec();
		expected.extend_from_slice(
			&sp_crypto_hashing::blake2_256(b"kiln/wasm/random\x01\0\0\0\0\0\0\0")[..8],
		);
		assert_eq!(random, &expected[..], "random_get is the fixed stream");
		assert_eq!(run, new_sandbox().run_bytes(&module, b"", 1_000_000).unwrap());
	}

	#[test]
	fn an_import_from_elsewhere_stops_the_program_when_called() {
		let module = command(
			r#"(import "env" "open_socket" (func $open (result i32)))"#,
			"(drop (call $open))",
			"",
		);
		let run = new_sandbox().run_bytes(&module, b"", 1_000_000).unwrap();
		assert_eq!(run.output, failed("unsupported:env.open_socket"));
		// Imported but never called: the program runs.
		let module = command(r#"(import "env" "open_socket" (func $open (result i32)))"#, "", "");
		assert_eq!(new_sandbox().run_bytes(&module, b"", 1_000_000).unwrap().exit, Exit::Success);
	}

	#[test]
	fn nans_are_canonical() {
		// 0/0 computed at run time; its bits are the canonical NaN on every machine.
		let module = command(
			"",
			"(f32.store (i32.const 200) (f32.div (f32.load (i32.const 64)) (f32.load (i32.const 64)))) (call $write (i32.const 200) (i32.const 4))",
			"\\00\\00\\00\\00",
		);
		let run = new_sandbox().run_bytes(&module, b"", 1_000_000).unwrap();
		assert_eq!(run.output, 0x7fc0_0000u32.to_le_bytes());
	}

	#[test]
	fn modules_that_cannot_run_are_invalid_not_results() {
		let sandbox = new_sandbox();
		assert!(sandbox.compile(b"not wasm").is_err());
		let no_start = wat::parse_str(r#"(module (memory (export "memory") 1))"#).unwrap();
		assert!(sandbox.compile(&no_start).err().unwrap().0.contains("_start"));
		let wrong_type = wat::parse_str(
			r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32)))
				(memory (export "memory") 1) (func (export "_start")))"#,
		)
		.unwrap();
		assert!(sandbox.run_bytes(&wrong_type, b"", 1000).is_err());
		let imports_memory = wat::parse_str(
			r#"(module (import "env" "memory" (memory 1)) (func (export "_start")))"#,
		)
		.unwrap();
		assert!(sandbox.run_bytes(&imports_memory, b"", 1000).is_err());
	}
}
