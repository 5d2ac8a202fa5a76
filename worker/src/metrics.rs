//! The daemon's Prometheus metrics, served by the gateway at `/metrics`.

use anyhow::Result;
use prometheus::{Counter, Encoder, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

pub struct Metrics {
	registry: Registry,
	/// `outcome`: placed, won, lost, failed (not accepted by the pool).
	pub bids: IntCounterVec,
	/// Open jobs not bid on, by reason.
	pub skipped: IntCounterVec,
	/// Jobs of this worker that ended, by `outcome`: completed, failed, abandoned.
	pub jobs: IntCounterVec,
	/// The prices of this worker's completed jobs, in KILN.
	pub earned: Counter,
	/// Hardware challenges that ended, by `result`: passed, failed, voided.
	pub challenges: IntCounterVec,
	/// Spot-check answers by `step`: executed (a re-execution), unavailable (could not run
	/// it), committed, revealed; as a verifier or, in a dispute, as the provider.
	pub spot_checks: IntCounterVec,
	/// Samplings of this worker's `Gemm` results answered, by `result`: revealed, failed.
	pub samplings: IntCounterVec,
	/// Seconds spent running jobs.
	pub busy_seconds: Counter,
	/// 1 while following a node.
	pub connected: IntGauge,
	pub best_block: IntGauge,
	pub reconnects: IntGauge,
}

impl Metrics {
	pub fn new() -> Result<Self> {
		let registry = Registry::new_custom(Some("kiln_worker".into()), None)?;
		let counter_vec = |name: &str, help: &str, label: &str| -> Result<IntCounterVec> {
			let metric = IntCounterVec::new(Opts::new(name, help), &[label])?;
			registry.register(Box::new(metric.clone()))?;
			Ok(metric)
		};
		let gauge = |name: &str, help: &str| -> Result<IntGauge> {
			let metric = IntGauge::new(name, help)?;
			registry.register(Box::new(metric.clone()))?;
			Ok(metric)
		};
		let counter = |name: &str, help: &str| -> Result<Counter> {
			let metric = Counter::new(name, help)?;
			registry.register(Box::new(metric.clone()))?;
			Ok(metric)
		};
		Ok(Self {
			bids: counter_vec("bids_total", "Bids by outcome", "outcome")?,
			skipped: counter_vec(
				"jobs_skipped_total",
				"Open jobs not bid on, by reason",
				"reason",
			)?,
			jobs: counter_vec(
				"jobs_total",
				"This worker's jobs that ended, by outcome",
				"outcome",
			)?,
			earned: counter(
				"earned_kiln_total",
				"Prices of this worker's completed jobs, in KILN",
			)?,
			challenges: counter_vec("challenges_total", "Hardware challenges by result", "result")?,
			spot_checks: counter_vec("spot_checks_total", "Spot-check answers by step", "step")?,
			samplings: counter_vec(
				"samplings_total",
				"Samplings of Gemm results answered, by result",
				"result",
			)?,
			busy_seconds: counter("backend_busy_seconds_total", "Seconds spent running jobs")?,
			connected: gauge("connected", "1 while following a node")?,
			best_block: gauge("best_block", "The best block seen")?,
			reconnects: gauge("reconnects", "Connections made after the first")?,
			registry,
		})
	}

	/// The Prometheus text format.
	pub fn render(&self) -> String {
		let mut out = Vec::new();
		let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
		String::from_utf8_lossy(&out).into_owned()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn counters_show_in_the_text_format() {
		let metrics = Metrics::new().unwrap();
		metrics.bids.with_label_values(&["placed"]).inc();
		metrics.earned.inc_by(2.5);
		let text = metrics.render();
		assert!(text.contains("kiln_worker_bids_total{outcome=\"placed\"} 1"), "{text}");
		assert!(text.contains("kiln_worker_earned_kiln_total 2.5"), "{text}");
	}
}
