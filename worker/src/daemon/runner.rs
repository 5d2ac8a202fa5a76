//! Running an awarded job: fetch its content, run it, return the output's bytes.

use crate::{
	backend::wasm::Sandbox,
	executor::{
		fetch::{fetch, FetchPolicy},
		Runner,
	},
	metrics::Metrics,
};
use kiln_primitives::job::{JobSpec, Workload};
use std::{collections::HashMap, sync::Arc, time::Instant};

/// A deliberately wrong worker, for tests of what the chain does to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
	/// Appends a byte to every Wasm output.
	WrongOutput,
}

pub struct JobRunner {
	/// The specs of the jobs awarded to this worker, from the latest block.
	pub specs: HashMap<u64, JobSpec<u128, u32>>,
	pub sandbox: Sandbox,
	pub fetch: FetchPolicy,
	pub fault: Option<Fault>,
	pub metrics: Arc<Metrics>,
}

impl Runner for JobRunner {
	async fn run(&mut self, job: u64) -> Result<Vec<u8>, String> {
		let spec = self.specs.get(&job).ok_or("the job's spec is not known")?;
		let Workload::Wasm { module, input, fuel } = &spec.workload else {
			return Err("this worker runs Wasm jobs only".into());
		};
		let module = fetch(module, &self.fetch).await.map_err(|e| format!("module: {e}"))?;
		let input = fetch(input, &self.fetch).await.map_err(|e| format!("input: {e}"))?;
		let (sandbox, fuel) = (self.sandbox.clone(), *fuel);
		let started = Instant::now();
		let run = tokio::task::spawn_blocking(move || sandbox.run_bytes(&module, &input, fuel))
			.await
			.map_err(|e| format!("the Wasm run panicked: {e}"))?
			.map_err(|e| format!("module: {e}"))?;
		self.metrics.busy_seconds.inc_by(started.elapsed().as_secs_f64());
		println!(
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
		Ok(output)
	}
}
