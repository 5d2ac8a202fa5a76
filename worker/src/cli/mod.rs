//! The command line: every `kiln-worker` subcommand and what it runs: `chain-info`, provider
//! onboarding (`bond`, `unbond`, `withdraw`, `register`, `update`, `deregister`, `status`),
//! the daemon (`run`), `bench` (PoC-GEMM on the CPU or CUDA backend), `challenges` (answering
//! hardware challenges by hand), `wasm` (a Wasm job run locally) and the client commands
//! (`job submit | status | watch | fetch | cancel | list`, in [`crate::client`]).

use crate::{
	backend::{bench, check_shape, choice},
	chain, config,
	poc::challenges,
	provider,
};
use anyhow::{Context, Result};
use clap::Parser;
use std::path::PathBuf;

const DEFAULT_URL: &str = "ws://127.0.0.1:9944";

#[derive(Debug, Parser)]
#[command(name = "kiln-worker", version, about = "Kiln provider daemon and client commands")]
pub struct Cli {
	#[command(subcommand)]
	pub command: Command,
}

/// Which node to talk to and which account signs.
#[derive(Debug, clap::Args)]
pub struct AccountArgs {
	/// WebSocket JSON-RPC endpoint of a Kiln node [default: the config's chain.url, else
	/// ws://127.0.0.1:9944].
	#[arg(long, env = "KILN_URL")]
	url: Option<String>,
	/// Secret URI of the signing account, the provider or the client ("//Alice", a mnemonic,
	/// a 0x seed)
	/// [default: the config's chain.suri].
	#[arg(long, env = "KILN_SURI", hide_env_values = true)]
	suri: Option<String>,
	/// The worker config (worker.toml); its [chain] section supplies url and suri.
	#[arg(long)]
	config: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
	/// Connect to a node and print the chain name, best and finalized block.
	ChainInfo {
		/// WebSocket JSON-RPC endpoint of a Kiln node.
		#[arg(long, default_value = DEFAULT_URL)]
		url: String,
	},
	/// Bond AMOUNT KILN as provider collateral (or add it to the bond).
	Bond {
		/// In KILN, e.g. 250 or 0.5.
		amount: String,
		#[command(flatten)]
		account: AccountArgs,
	},
	/// Start unbonding AMOUNT KILN; `withdraw` frees it after the unbonding period.
	Unbond {
		/// In KILN.
		amount: String,
		#[command(flatten)]
		account: AccountArgs,
	},
	/// Free the collateral whose unbonding period is over.
	Withdraw {
		#[command(flatten)]
		account: AccountArgs,
	},
	/// Register the machine described in the config's [provider] section.
	Register {
		#[command(flatten)]
		account: AccountArgs,
	},
	/// Replace the registered profile and endpoint with the config's [provider] section.
	Update {
		#[command(flatten)]
		account: AccountArgs,
	},
	/// Leave the provider registry (no job may be in flight); the deposit comes back.
	Deregister {
		#[command(flatten)]
		account: AccountArgs,
	},
	/// Run PoC-GEMM once on this machine and print its throughput.
	Bench {
		/// Where to run PoC-GEMM.
		#[arg(long, value_enum, default_value_t = choice::BackendChoice::Auto)]
		backend: choice::BackendChoice,
		#[arg(long, default_value_t = 1024)]
		m: u32,
		#[arg(long, default_value_t = 1024)]
		n: u32,
		#[arg(long, default_value_t = 4096)]
		k: u32,
		/// CPU threads [default: all].
		#[arg(long)]
		threads: Option<usize>,
		/// The CPU kernel to force (with `--backend cpu`) [default: the fastest this CPU runs].
		#[arg(long, value_enum)]
		cpu_kernel: Option<crate::backend::cpu::kernels::Path>,
		/// The GPU kernel to force (with `--backend cuda`) [default: mma (tensor cores) from
		/// compute capability 8.0, else dp4a].
		#[arg(long, value_enum)]
		cuda_kernel: Option<crate::backend::cuda::GemmKernel>,
		/// Print one JSON object instead of text.
		#[arg(long)]
		json: bool,
		/// Measure this Wasm job module (a WASI command) instead of PoC-GEMM: the worker's
		/// sandbox against plain wasmtime on the same module.
		#[arg(long, value_name = "MODULE")]
		wasm: Option<std::path::PathBuf>,
		/// The Wasm job's stdin.
		#[arg(long, value_name = "FILE", requires = "wasm")]
		input: Option<std::path::PathBuf>,
		/// The Wasm job's fuel.
		#[arg(long, default_value_t = 1_000_000_000_000, requires = "wasm")]
		fuel: u64,
		/// Runs of the Wasm job on each engine (the fastest counts).
		#[arg(long, default_value_t = 5, requires = "wasm")]
		runs: usize,
	},
	/// Answer the account's hardware challenges (compute C, commit its root, reveal the
	/// drawn entries) until `count` of them have ended.
	Challenges {
		#[arg(long, default_value_t = 1)]
		count: u32,
		/// honest, or cheat-half: make up half of C (to see the chain catch and slash it).
		#[arg(long, value_enum, default_value_t = challenges::Answer::Honest)]
		answer: challenges::Answer,
		/// auto: CUDA if a GPU, its driver and NVRTC are usable, else the CPU (saying why).
		#[arg(long, value_enum, default_value_t = choice::BackendChoice::Auto)]
		backend: choice::BackendChoice,
		/// CPU threads [default: all].
		#[arg(long)]
		threads: Option<usize>,
		#[command(flatten)]
		account: AccountArgs,
	},
	/// Run the provider daemon: bid on jobs, run them, commit and reveal their results, answer
	/// hardware challenges, serve outputs and metrics (the config's [worker], [limits] and
	/// [pricing] sections).
	Run {
		#[command(flatten)]
		account: AccountArgs,
		/// Where to compute PoC-GEMM for hardware challenges.
		#[arg(long, value_enum, default_value_t = choice::BackendChoice::Auto)]
		backend: choice::BackendChoice,
		/// TEST ONLY: return wrong results on purpose (to see the chain slash a cheater).
		#[arg(long, value_enum, hide = true)]
		fault: Option<crate::daemon::runner::Fault>,
	},
	/// Run a Wasm job locally, exactly as a worker would (same sandbox, fuel and limits):
	/// the output goes to stdout, its blake2-256, the exit and the fuel used to stderr.
	Wasm {
		/// The WASI preview 1 command (a .wasm file).
		module: PathBuf,
		/// The job's input [default: empty].
		#[arg(long)]
		input: Option<PathBuf>,
		#[arg(long, default_value_t = 1_000_000_000)]
		fuel: u64,
		/// Linear memory cap.
		#[arg(long, default_value_t = 256)]
		memory_mib: u32,
	},
	/// Runs the Cuda job in DIR (source.cu, input, launch.json) on GPU 0 and writes DIR/output:
	/// the child process `run` starts for each Cuda job.
	#[command(hide = true)]
	CudaJob { dir: PathBuf },
	/// Client commands: submit a job from a TOML spec, follow it, fetch its output.
	Job {
		#[command(subcommand)]
		command: JobCommand,
	},
	/// Show an account's balance, collateral and provider record.
	Status {
		/// The account to show (SS58) [default: the signing account].
		#[arg(long)]
		account_id: Option<String>,
		#[command(flatten)]
		account: AccountArgs,
	},
}

#[derive(Debug, clap::Subcommand)]
pub enum JobCommand {
	/// Check a job spec (TOML, see examples/jobs/), show the market's quote, the escrow it
	/// locks and the fees, then sign `create_job` with the client's key.
	Submit {
		/// The job spec.
		spec: PathBuf,
		/// Overrides the spec's max_price: an amount of KILN, or quote, quote+N%, quote-N%.
		#[arg(long)]
		max_price: Option<String>,
		/// Serve the spec's local files that have no uri from this directory over HTTP until
		/// the job ends (for clients without a web host).
		#[arg(long)]
		serve: Option<PathBuf>,
		/// Where --serve listens.
		#[arg(long, default_value = "127.0.0.1:0")]
		serve_addr: String,
		/// The URL providers reach --serve at [default: http://<the address bound>].
		#[arg(long)]
		public_url: Option<String>,
		/// Check and price the job, sign nothing.
		#[arg(long)]
		dry_run: bool,
		#[command(flatten)]
		account: AccountArgs,
	},
	/// Print a job: state, bids, why bids were refused, award, result, outcome.
	Status {
		job: u64,
		#[command(flatten)]
		account: AccountArgs,
	},
	/// Follow a job until it ends, one line per change; fails unless it completes.
	Watch {
		job: u64,
		#[command(flatten)]
		account: AccountArgs,
	},
	/// Download a job's output from its provider (a request signed by the client), check it
	/// against the revealed blake2-256 and write it out; a mismatch writes nothing.
	Fetch {
		job: u64,
		/// Where to write it [default: job-<id>.out].
		#[arg(long, short)]
		output: Option<PathBuf>,
		#[command(flatten)]
		account: AccountArgs,
	},
	/// Cancel a job before its auction closes; the escrow comes back.
	Cancel {
		job: u64,
		#[command(flatten)]
		account: AccountArgs,
	},
	/// List the jobs of an account the chain still holds.
	List {
		/// The client (SS58) [default: the signing account].
		#[arg(long)]
		account_id: Option<String>,
		#[command(flatten)]
		account: AccountArgs,
	},
}

/// Runs a client command.
async fn run_job(command: JobCommand) -> Result<()> {
	use crate::client;
	let account = match &command {
		JobCommand::Submit { account, .. }
		| JobCommand::Status { account, .. }
		| JobCommand::Watch { account, .. }
		| JobCommand::Fetch { account, .. }
		| JobCommand::Cancel { account, .. }
		| JobCommand::List { account, .. } => account,
	};
	let config = account.load_config()?;
	// The key is checked before connecting.
	let signer = match &command {
		JobCommand::Status { .. } | JobCommand::Watch { .. } => None,
		JobCommand::List { account_id: Some(_), .. } => None,
		_ => Some(account.signer(&config)?),
	};
	let conn = account.connect(&config).await?;
	let signer = || signer.as_ref().context("no signing key");
	match command {
		JobCommand::Submit { spec, max_price, serve, serve_addr, public_url, dry_run, .. } => {
			let args = client::Submit { spec, max_price, serve, serve_addr, public_url, dry_run };
			client::submit(&conn, signer()?, args).await.map(|_| ())
		},
		JobCommand::Status { job, .. } => client::status(&conn, job).await,
		JobCommand::Watch { job, .. } => {
			client::watch::watch(&conn, job, std::time::Duration::from_secs(2)).await.map(|_| ())
		},
		JobCommand::Fetch { job, output, .. } => client::fetch(&conn, signer()?, job, output).await,
		JobCommand::Cancel { job, .. } => client::cancel(&conn, signer()?, job).await,
		JobCommand::List { account_id, .. } => {
			let who = match account_id {
				Some(id) => chain::parse_account(&id)?,
				None => signer()?.account(),
			};
			client::list(&conn, &who).await
		},
	}
}

impl AccountArgs {
	fn load_config(&self) -> Result<config::WorkerConfig> {
		match &self.config {
			Some(path) => config::WorkerConfig::load(path),
			None => Ok(Default::default()),
		}
	}

	async fn connect(&self, config: &config::WorkerConfig) -> Result<chain::Connection> {
		let url = self.url.clone().or_else(|| config.chain.url.clone());
		chain::connect(url.as_deref().unwrap_or(DEFAULT_URL)).await
	}

	fn signer(&self, config: &config::WorkerConfig) -> Result<chain::Submitter> {
		let suri = self.suri.clone().or_else(|| config.chain.suri.clone()).context(
			"no signing key: pass --suri, set KILN_SURI, or put chain.suri in the config",
		)?;
		chain::signer(&suri)
	}
}

fn parse_amount(text: &str) -> Result<u128> {
	kiln_primitives::currency::parse_kiln(text)
		.with_context(|| format!("{text:?} is not an amount of KILN (e.g. 250 or 0.5)"))
}

/// Runs one command.
pub async fn run(command: Command) -> Result<()> {
	let (args, command) = match command {
		Command::ChainInfo { url } => {
			print!("{}", chain::chain_info(&url).await?);
			return Ok(());
		},
		Command::Bench { wasm: Some(module), input, fuel, runs, json, .. } => {
			let module = std::fs::read(&module)
				.with_context(|| format!("cannot read {}", module.display()))?;
			let input = match input {
				Some(path) => std::fs::read(&path)
					.with_context(|| format!("cannot read {}", path.display()))?,
				None => Vec::new(),
			};
			let report = bench::bench_wasm(&module, &input, fuel, runs)?;
			if json {
				println!("{}", report.json());
			} else {
				print!("{report}");
			}
			return Ok(());
		},
		Command::Bench { backend, m, n, k, threads, cpu_kernel, cuda_kernel, json, .. } => {
			let shape = kiln_primitives::poc::Shape { m, n, k };
			check_shape(shape)?;
			let backend: Box<dyn crate::backend::GemmBackend> = match (cpu_kernel, cuda_kernel) {
				(None, None) => choice::select(backend, threads)?,
				(Some(path), None) => {
					anyhow::ensure!(
						backend == choice::BackendChoice::Cpu,
						"--cpu-kernel needs --backend cpu"
					);
					Box::new(crate::backend::cpu::Cpu::with_path(threads, path)?)
				},
				(None, Some(kernel)) => {
					anyhow::ensure!(
						backend == choice::BackendChoice::Cuda,
						"--cuda-kernel needs --backend cuda"
					);
					Box::new(
						crate::backend::cuda::Cuda::new(0, Some(kernel))
							.context("the CUDA backend (--backend cuda) is not usable")?,
					)
				},
				(Some(_), Some(_)) => {
					anyhow::bail!("--cpu-kernel and --cuda-kernel exclude each other")
				},
			};
			let seed = kiln_primitives::poc::challenge_seed(0, b"kiln-worker bench", &[0; 32]);
			let report = bench::bench(backend.as_ref(), &seed, shape)?;
			if json {
				println!("{}", report.json());
			} else {
				print!("{report}");
			}
			return Ok(());
		},
		Command::Challenges { count, answer, backend, threads, account } => {
			let config = account.load_config()?;
			let signer = account.signer(&config)?;
			let backend = choice::select(backend, threads)?;
			let conn = account.connect(&config).await?;
			let outcomes =
				challenges::answer(&conn, &signer, backend.as_ref(), answer, count).await?;
			for (id, outcome) in outcomes {
				println!("challenge {id}: {outcome:?}");
			}
			return Ok(());
		},
		Command::CudaJob { dir } => return crate::backend::cuda::job::child_main(&dir),
		Command::Job { command } => return run_job(command).await,
		Command::Wasm { module, input, fuel, memory_mib } => {
			let read = |path: &PathBuf| {
				std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
			};
			let bytes = read(&module)?;
			let input = input.as_ref().map(read).transpose()?.unwrap_or_default();
			let limits = crate::backend::wasm::Limits {
				memory: (memory_mib as usize) << 20,
				..Default::default()
			};
			let run = crate::backend::wasm::Sandbox::new(limits)?
				.run_bytes(&bytes, &input, fuel)
				.map_err(|e| anyhow::anyhow!("{e}"))?;
			use std::io::Write;
			std::io::stdout().write_all(&run.output)?;
			let hash = hex::encode(sp_crypto_hashing::blake2_256(&run.output));
			eprintln!(
				"exit: {}\nfuel used: {}\noutput: {} bytes, blake2-256 0x{hash}",
				run.exit.reason(),
				run.fuel_used,
				run.output.len()
			);
			return Ok(());
		},
		Command::Run { account, backend, fault } => {
			let path = account.config.as_ref().context("`run` needs --config worker.toml")?;
			let config = config::WorkerConfig::load(path)?;
			let signer = account.signer(&config)?;
			let mut urls: Vec<String> =
				account.url.clone().or_else(|| config.chain.url.clone()).into_iter().collect();
			urls.extend(config.chain.fallback_urls.iter().cloned());
			if urls.is_empty() {
				urls.push(DEFAULT_URL.into());
			}
			let settings = crate::daemon::Settings { urls, signer, config, fault, backend };
			return crate::daemon::run(settings).await;
		},
		Command::Bond { ref account, .. }
		| Command::Unbond { ref account, .. }
		| Command::Withdraw { ref account }
		| Command::Register { ref account }
		| Command::Update { ref account }
		| Command::Deregister { ref account }
		| Command::Status { ref account, .. } => (account, &command),
	};
	let config = args.load_config()?;
	// Amounts and the profile are checked before connecting.
	let amount = match command {
		Command::Bond { amount, .. } | Command::Unbond { amount, .. } => parse_amount(amount)?,
		_ => 0,
	};
	let section = match command {
		Command::Register { .. } | Command::Update { .. } => Some(config.provider.as_ref().context(
			"this command needs a worker config with a [provider] section: pass --config worker.toml",
		)?),
		_ => None,
	};
	let conn = args.connect(&config).await?;
	if let Command::Status { account_id: Some(id), .. } = command {
		print!("{}", provider::status(&conn, chain::parse_account(id)?).await?);
		return Ok(());
	}
	let provider = provider::Provider::new(&conn, args.signer(&config)?);
	match command {
		Command::Bond { .. } => provider.bond(amount).await,
		Command::Unbond { .. } => provider.unbond(amount).await,
		Command::Withdraw { .. } => provider.withdraw().await,
		Command::Register { .. } => {
			provider.register(section.context("no provider section")?).await
		},
		Command::Update { .. } => provider.update(section.context("no provider section")?).await,
		Command::Deregister { .. } => provider.deregister().await,
		Command::Status { .. } => {
			print!("{}", provider::status(&conn, provider.account()).await?);
			Ok(())
		},
		Command::ChainInfo { .. }
		| Command::Bench { .. }
		| Command::Challenges { .. }
		| Command::Run { .. }
		| Command::CudaJob { .. }
		| Command::Job { .. }
		| Command::Wasm { .. } => Ok(()),
	}
}
