//! Running a job (awarded to this worker, or re-executed as a spot-check's verifier): get its
//! content (from the cache, where [`JobRunner::prepare`] put it before the bid), run it,
//! return the output.
//!
//! - `Wasm`: the module under the deterministic sandbox; the output is stdout, known by its
//!   blake2-256.
//! - `Gemm`: C = A·B from the seed on the worker's GEMM backend; the output is C as
//!   little-endian int32, row-major (`4·m·n` bytes), known by its Merkle root
//!   (`kiln_primitives::poc`), which is what the chain samples.
//! - `Cuda`: the source compiled with NVRTC and launched in a child process
//!   (`backend::cuda::job`, which documents the kernel ABI), killed at the end of the job's
//!   execution window; the output is the output buffer, known by its blake2-256.

use crate::{
	backend::{
		cuda::job::{self as cuda_job, Launch},
		wasm::Sandbox,
		GemmBackend,
	},
	executor::{content::ContentCache, Output, Run, Runner},
	metrics::Metrics,
};
use kiln_primitives::{
	job::{JobSpec, Workload},
	poc::{reference::Tree, Shape},
};
use std::{
	collections::HashMap,
	sync::Arc,
	time::{Duration, Instant},
};

/// How often a long computation reports that it is still running.
const PROGRESS_EVERY: Duration = Duration::from_secs(30);

/// A deliberately wrong worker, for tests of what the chain does to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
	/// Appends a byte to every Wasm output.
	WrongOutput,
}

/// What running a job needs, shared with the background task that runs it.
pub struct RunnerCore {
	pub sandbox: Sandbox,
	pub gemm: Arc<dyn GemmBackend>,
	pub content: ContentCache,
	/// The NVRTC architecture of the GPU Cuda jobs run on ("sm_90"), if there is one.
	pub cuda_arch: Option<String>,
	/// Where each Cuda job's child process finds its files (`cuda/<job>`).
	pub work_dir: std::path::PathBuf,
	pub fault: Option<Fault>,
	pub metrics: Arc<Metrics>,
}

/// Runs jobs in background tasks: [`Runner::run`] starts a job's run and answers
/// [`Run::Running`] until it is over, so a long job never holds up the block loop (bids,
/// commitments, challenges and spot-checks go on meanwhile).
pub struct JobRunner {
	pub core: Arc<RunnerCore>,
	/// The specs of the jobs this worker runs, from the latest block.
	pub specs: HashMap<u64, JobSpec<u128, u32>>,
	/// Seconds per block (a Cuda job's time limit is its execution window).
	pub block_seconds: u64,
	running: HashMap<u64, tokio::task::JoinHandle<Result<Output, String>>>,
}

/// How long a run just started is waited for before the block loop goes on (most jobs are
/// done by then, and are committed at once).
const FIRST_WAIT: Duration = Duration::from_secs(2);

impl JobRunner {
	pub fn new(core: RunnerCore) -> Self {
		Self {
			core: Arc::new(core),
			specs: HashMap::new(),
			block_seconds: 6,
			running: HashMap::new(),
		}
	}

	/// Stops the runs of jobs that `keep` refuses (gone from the chain, or past their
	/// deadline).
	pub fn forget(&mut self, keep: impl Fn(u64) -> bool) {
		self.running.retain(|job, handle| {
			let keep = keep(*job);
			if !keep {
				handle.abort();
			}
			keep
		});
	}

	/// Jobs running now.
	pub fn running(&self) -> usize {
		self.running.len()
	}
}

/// C as the bytes a `Gemm` job outputs.
pub fn gemm_bytes(c: &[i32]) -> Vec<u8> {
	c.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// C back from a `Gemm` job's output bytes (`None` unless the length is a whole number of
/// entries).
pub fn gemm_entries(bytes: &[u8]) -> Option<Vec<i32>> {
	(bytes.len() % 4 == 0).then(|| {
		bytes.chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
	})
}

impl RunnerCore {
	/// Makes sure the job can run before bidding on it: a Wasm job's module and input are
	/// fetched into the cache (their hashes and lengths checked) and the module compiled.
	pub async fn prepare(&self, spec: &JobSpec<u128, u32>) -> Result<(), String> {
		match &spec.workload {
			Workload::Wasm { module, input, .. } => {
				let module = self.content.get(module).await.map_err(|e| format!("module: {e}"))?;
				self.content.get(input).await.map_err(|e| format!("input: {e}"))?;
				let sandbox = self.sandbox.clone();
				tokio::task::spawn_blocking(move || sandbox.compile(&module).map(|_| ()))
					.await
					.map_err(|e| format!("compiling the module panicked: {e}"))?
					.map_err(|e| format!("module: {e}"))
			},
			Workload::Gemm { .. } => Ok(()),
			Workload::Cuda { source, entry, input, .. } => {
				let arch = self.cuda_arch.clone().ok_or("this worker has no CUDA device")?;
				let source = self.content.get(source).await.map_err(|e| format!("source: {e}"))?;
				self.content.get(input).await.map_err(|e| format!("input: {e}"))?;
				let entry = String::from_utf8_lossy(entry).into_owned();
				tokio::task::spawn_blocking(move || cuda_job::check(&source, &entry, &arch))
					.await
					.map_err(|e| format!("compiling the source panicked: {e}"))?
					.map(|_| ())
					.map_err(|e| format!("source: {e:#}"))
			},
		}
	}

	async fn cuda(
		&self,
		job: u64,
		spec: &JobSpec<u128, u32>,
		block_seconds: u64,
	) -> Result<Output, String> {
		let Workload::Cuda { source, entry, grid, block, input, output_len } = &spec.workload
		else {
			return Err("not a Cuda job".into());
		};
		let source = self.content.get(source).await.map_err(|e| format!("source: {e}"))?;
		let input = self.content.get(input).await.map_err(|e| format!("input: {e}"))?;
		let launch = Launch {
			entry: String::from_utf8_lossy(entry).into_owned(),
			grid: *grid,
			block: *block,
			output_len: *output_len,
		};
		// The execution window, less a quarter for committing in time.
		let window = u64::from(spec.execution_blocks).saturating_mul(block_seconds);
		let limit = Duration::from_secs((window * 3 / 4).max(1));
		let exe = std::env::current_exe().map_err(|e| format!("cannot find kiln-worker: {e}"))?;
		let dir = self.work_dir.join(job.to_string());
		let started = Instant::now();
		let output = cuda_job::run_in_child(&exe, &dir, &source, &input, &launch, limit)
			.await
			.map_err(|e| format!("{e:#}"));
		let _ = std::fs::remove_dir_all(&dir);
		let output = output?;
		self.metrics.busy_seconds.inc_by(started.elapsed().as_secs_f64());
		tracing::info!(
			job,
			"job {job}: Cuda kernel {} ran in {:.3} s (limit {limit:?}), {} bytes of output",
			launch.entry,
			started.elapsed().as_secs_f64(),
			output.len()
		);
		Ok(Output::plain(output))
	}

	async fn wasm(&self, job: u64, spec: &JobSpec<u128, u32>) -> Result<Output, String> {
		let Workload::Wasm { module, input, fuel } = &spec.workload else {
			return Err("not a Wasm job".into());
		};
		let module = self.content.get(module).await.map_err(|e| format!("module: {e}"))?;
		let input = self.content.get(input).await.map_err(|e| format!("input: {e}"))?;
		let (sandbox, fuel) = (self.sandbox.clone(), *fuel);
		let started = Instant::now();
		let mut task =
			tokio::task::spawn_blocking(move || sandbox.run_bytes(&module, &input, fuel));
		// Progress of a long run, every PROGRESS_EVERY.
		let mut ticks =
			tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
		let run = loop {
			tokio::select! {
				done = &mut task => break done,
				_ = ticks.tick() => tracing::info!(
					job, "job {job}: Wasm still running after {:.0} s (fuel limit {fuel})",
					started.elapsed().as_secs_f64()
				),
			}
		};
		let run = run
			.map_err(|e| format!("the Wasm run panicked: {e}"))?
			.map_err(|e| format!("module: {e}"))?;
		self.metrics.busy_seconds.inc_by(started.elapsed().as_secs_f64());
		tracing::info!(
			job,
			"job {job}: Wasm ran in {:.3} s, {} fuel, {:?}, {} bytes of output",
			started.elapsed().as_secs_f64(),
			run.fuel_used,
			run.exit,
			run.output.len()
		);
		let mut output = run.output;
		if self.fault == Some(Fault::WrongOutput) {
			output.push(b'!');
		}
		Ok(Output::plain(output))
	}

	async fn gemm(&self, job: u64, seed: [u8; 32], shape: Shape) -> Result<Output, String> {
		let started = Instant::now();
		tracing::info!(
			job,
			"job {job}: computing C = A·B, m={} n={} k={} on {}",
			shape.m,
			shape.n,
			shape.k,
			self.gemm.name()
		);
		let gemm = self.gemm.clone();
		let (c, computed, root) = tokio::task::spawn_blocking(move || {
			let c = gemm.gemm(&seed, shape).map_err(|e| format!("the GEMM failed: {e:#}"))?;
			let computed = started.elapsed();
			let root = Tree::build(&c).root();
			Ok::<_, String>((c, computed, root))
		})
		.await
		.map_err(|e| format!("the GEMM panicked: {e}"))??;
		self.metrics.busy_seconds.inc_by(started.elapsed().as_secs_f64());
		tracing::info!(
			job,
			"job {job}: C computed in {:.3} s, its Merkle tree in {:.3} s",
			computed.as_secs_f64(),
			(started.elapsed() - computed).as_secs_f64()
		);
		Ok(Output { bytes: gemm_bytes(&c), hash: root })
	}
}

impl RunnerCore {
	/// Runs job `job` to its output.
	pub async fn run(
		&self,
		job: u64,
		spec: &JobSpec<u128, u32>,
		block_seconds: u64,
	) -> Result<Output, String> {
		match &spec.workload {
			Workload::Wasm { .. } => self.wasm(job, spec).await,
			Workload::Gemm { m, n, k, seed } => {
				self.gemm(job, *seed, Shape { m: *m, n: *n, k: *k }).await
			},
			Workload::Cuda { .. } => self.cuda(job, spec, block_seconds).await,
		}
	}
}

impl Runner for JobRunner {
	async fn run(&mut self, job: u64) -> Run {
		let wait = if self.running.contains_key(&job) {
			Duration::ZERO
		} else {
			let Some(spec) = self.specs.get(&job).cloned() else {
				return Run::Failed("the job's spec is not known".into());
			};
			let (core, block_seconds) = (self.core.clone(), self.block_seconds);
			let task = tokio::spawn(async move { core.run(job, &spec, block_seconds).await });
			self.running.insert(job, task);
			FIRST_WAIT
		};
		let Some(task) = self.running.get_mut(&job) else { return Run::Running };
		let joined = match tokio::time::timeout(wait, task).await {
			Err(_) => return Run::Running,
			Ok(joined) => joined,
		};
		self.running.remove(&job);
		match joined {
			Ok(result) => result.into(),
			Err(e) => Run::Failed(format!("the run stopped: {e}")),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn gemm_output_bytes_round_trip() {
		let c = vec![0, -1, i32::MAX, i32::MIN, 7];
		let bytes = gemm_bytes(&c);
		assert_eq!(bytes.len(), 20);
		assert_eq!(&bytes[4..8], &[0xff; 4]);
		assert_eq!(gemm_entries(&bytes), Some(c));
		assert_eq!(gemm_entries(&bytes[..19]), None);
	}

	fn core(dir: &std::path::Path) -> RunnerCore {
		use crate::executor::fetch::FetchPolicy;
		let policy = FetchPolicy {
			max_bytes: 1 << 20,
			timeout: Duration::from_secs(1),
			allow_private: false,
		};
		RunnerCore {
			sandbox: Sandbox::new(Default::default()).unwrap(),
			gemm: Arc::new(crate::backend::cpu::Cpu::new(None)),
			content: ContentCache::open(dir.join("content"), policy).unwrap(),
			cuda_arch: None,
			work_dir: dir.join("cuda"),
			fault: None,
			metrics: Arc::new(Metrics::new().unwrap()),
		}
	}

	fn cached(core: &RunnerCore, bytes: &[u8]) -> kiln_primitives::job::ContentRef {
		let hash = core.content.insert(bytes);
		let uri = b"http://content.invalid/x".to_vec().try_into().unwrap();
		kiln_primitives::job::ContentRef { hash, len: bytes.len() as u64, uri }
	}

	fn spec(workload: Workload) -> JobSpec<u128, u32> {
		JobSpec {
			workload,
			requirements: kiln_primitives::Requirements::any_cpu(),
			max_price: 1,
			bidding_blocks: 3,
			execution_blocks: 10,
		}
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn a_long_job_runs_in_the_background_and_a_short_one_at_once() {
		let dir = tempfile::tempdir().unwrap();
		let core = core(dir.path());
		// A loop that burns its fuel: seconds of work, then the out-of-fuel result. 8e9 fuel took
		// about 6 s on one machine and under FIRST_WAIT on a faster one (an AMD EPYC burns over
		// 4e9 a second), so it is 40e9: about 10 s there, well past the first wait anywhere.
		let spin = wat::parse_str(r#"(module (func (export "_start") (loop (br 0))))"#).unwrap();
		let module = cached(&core, &spin);
		let input = cached(&core, b"");
		let long = spec(Workload::Wasm { module, input, fuel: 40_000_000_000 });
		let shape = Workload::Gemm { m: 8, n: 8, k: 4, seed: [1; 32] };
		let mut runner = JobRunner::new(core);
		runner.specs.insert(1, long);
		runner.specs.insert(2, spec(shape));
		let started = Instant::now();
		assert_eq!(runner.run(1).await, Run::Running);
		assert!(started.elapsed() < FIRST_WAIT + Duration::from_secs(1));
		// Meanwhile another job runs and is done within the first wait.
		let Run::Done(gemm) = runner.run(2).await else { panic!("the GEMM is not done") };
		assert_eq!(gemm.bytes.len(), 4 * 64);
		assert_eq!(
			gemm.hash,
			Tree::build(&kiln_primitives::poc::reference::gemm(
				&[1; 32],
				Shape { m: 8, n: 8, k: 4 }
			))
			.root()
		);
		assert_eq!(runner.running(), 1);
		// Asking again does not wait.
		let asked = Instant::now();
		assert_eq!(runner.run(1).await, Run::Running);
		assert!(asked.elapsed() < Duration::from_millis(500));
		let output = loop {
			match runner.run(1).await {
				Run::Running => tokio::time::sleep(Duration::from_millis(200)).await,
				Run::Done(output) => break output,
				Run::Failed(e) => panic!("{e}"),
			}
			assert!(started.elapsed() < Duration::from_secs(120), "the loop never ran out of fuel");
		};
		assert_eq!(output.bytes, b"kiln/wasm/failed out-of-fuel");
		eprintln!("40e9 fuel burnt in {:.1} s", started.elapsed().as_secs_f64());
		// A job that ends is stopped.
		runner.specs.insert(3, runner.specs[&1].clone());
		assert_eq!(runner.run(3).await, Run::Running);
		runner.forget(|job| job != 3);
		assert_eq!(runner.running(), 0);
	}
}
