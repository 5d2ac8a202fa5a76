//! `kiln-worker bench`: one PoC-GEMM run on a backend, its Merkle tree, and sampled entries
//! checked the way the runtime checks them.

use super::GemmBackend;
use anyhow::{ensure, Result};
use kiln_primitives::poc::{self, Shape};
use std::time::{Duration, Instant};

/// What `kiln-worker bench` measured.
pub struct BenchReport {
	pub backend: String,
	pub shape: Shape,
	/// Generating A and B, where the backend times it apart from the product.
	pub generate: Option<Duration>,
	/// The product (with the generation where `generate` is `None`).
	pub gemm: Duration,
	pub merkle: Duration,
	pub root: [u8; 32],
	pub checked_entries: usize,
	/// The device's dense int8 peak in TOPS, where it is on record.
	pub peak_tops: Option<f64>,
}

impl BenchReport {
	/// Tera-operations per second of the GEMM (m·n·k multiply-adds counted as 2 ops each).
	pub fn tops(&self) -> f64 {
		let ops = 2.0 * f64::from(self.shape.m) * f64::from(self.shape.n) * f64::from(self.shape.k);
		ops / self.gemm.as_secs_f64() / 1e12
	}

	/// The GEMM's throughput as a percentage of the device's dense int8 peak, if known.
	pub fn percent_of_peak(&self) -> Option<f64> {
		self.peak_tops.map(|peak| 100.0 * self.tops() / peak)
	}
}

impl BenchReport {
	/// The report as one JSON object (`kiln-worker bench --json`, read by `scripts/bench.sh`).
	pub fn json(&self) -> serde_json::Value {
		let Shape { m, n, k } = self.shape;
		serde_json::json!({
			"backend": self.backend,
			"m": m, "n": n, "k": k,
			"generate_s": self.generate.map(|d| d.as_secs_f64()),
			"gemm_s": self.gemm.as_secs_f64(),
			"gops": self.tops() * 1e3,
			"tops": self.tops(),
			"peak_tops": self.peak_tops,
			"percent_of_peak": self.percent_of_peak(),
			"merkle_s": self.merkle.as_secs_f64(),
			"root": format!("0x{}", hex::encode(self.root)),
			"checked_entries": self.checked_entries,
		})
	}
}

impl std::fmt::Display for BenchReport {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let Shape { m, n, k } = self.shape;
		writeln!(f, "backend: {}", self.backend)?;
		writeln!(f, "shape:   m={m} n={n} k={k} (int8 in, int32 out)")?;
		match self.generate {
			Some(generate) => writeln!(
				f,
				"operands: {:.3} s (A and B generated and packed)",
				generate.as_secs_f64()
			)?,
			None => writeln!(f, "operands: timed with the product")?,
		}
		writeln!(
			f,
			"gemm:    {:.6} s, {:.1} GOPS = {:.2} TOPS",
			self.gemm.as_secs_f64(),
			self.tops() * 1e3,
			self.tops()
		)?;
		match (self.peak_tops, self.percent_of_peak()) {
			(Some(peak), Some(percent)) => {
				writeln!(f, "peak:    {percent:.1} % of the device's {peak} dense int8 TOPS")?
			},
			_ => writeln!(f, "peak:    unknown (no dense int8 peak on record for this device)")?,
		}
		writeln!(
			f,
			"merkle:  {:.3} s over {} leaves",
			self.merkle.as_secs_f64(),
			self.shape.leaves()
		)?;
		let root = hex::encode(self.root);
		writeln!(f, "root:    0x{root}")?;
		writeln!(
			f,
			"checked: {} entries against the runtime's O(k) recomputation",
			self.checked_entries
		)
	}
}

/// Runs PoC-GEMM once on `backend`, builds the Merkle tree and checks sampled entries the way
/// the runtime would.
pub fn bench(backend: &dyn GemmBackend, seed: &[u8; 32], shape: Shape) -> Result<BenchReport> {
	let (c, timings) = backend.gemm_timed(seed, shape)?;
	let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
	let start = Instant::now();
	let tree = poc::reference::Tree::build_parallel(&c, threads);
	let merkle = start.elapsed();
	let samples = poc::sample_indices(&[0x5a; 32], shape, 32);
	for sample in &samples {
		let (row, col) = (sample / u64::from(shape.n), sample % u64::from(shape.n));
		let expected = poc::entry(seed, shape, row as u32, col as u32);
		ensure!(
			c[*sample as usize] == expected,
			"backend {} computed entry ({row}, {col}) as {} instead of {expected}",
			backend.name(),
			c[*sample as usize]
		);
	}
	Ok(BenchReport {
		backend: backend.name(),
		shape,
		generate: timings.generate,
		gemm: timings.product,
		merkle,
		root: tree.root(),
		checked_entries: samples.len(),
		peak_tops: backend.int8_peak_tops(),
	})
}

/// What `kiln-worker bench --wasm` measured: one module run under the worker's sandbox
/// (fuel metering, NaN canonicalisation) and under plain wasmtime behind the same host
/// functions, alternately, the best of `runs` each.
pub struct WasmBenchReport {
	pub module_bytes: usize,
	pub runs: usize,
	/// Fuel one run used in the worker's sandbox.
	pub fuel_used: u64,
	pub worker: WasmTimes,
	pub plain: WasmTimes,
}

/// The times of one engine (compile once, then the fastest instantiation and execution).
#[derive(Clone, Copy, Debug)]
pub struct WasmTimes {
	pub compile: Duration,
	pub instantiate: Duration,
	pub execute: Duration,
}

impl WasmBenchReport {
	/// Fuel units per second in the worker's sandbox.
	pub fn fuel_per_second(&self) -> f64 {
		self.fuel_used as f64 / self.worker.execute.as_secs_f64()
	}

	/// The same instructions per second under plain wasmtime (fuel units counted by the
	/// metered run).
	pub fn plain_fuel_per_second(&self) -> f64 {
		self.fuel_used as f64 / self.plain.execute.as_secs_f64()
	}

	pub fn json(&self) -> serde_json::Value {
		let times = |t: &WasmTimes| {
			serde_json::json!({
				"compile_s": t.compile.as_secs_f64(),
				"instantiate_s": t.instantiate.as_secs_f64(),
				"execute_s": t.execute.as_secs_f64(),
			})
		};
		serde_json::json!({
			"module_bytes": self.module_bytes,
			"runs": self.runs,
			"fuel_used": self.fuel_used,
			"fuel_per_s": self.fuel_per_second(),
			"plain_fuel_per_s": self.plain_fuel_per_second(),
			"speed_ratio": self.fuel_per_second() / self.plain_fuel_per_second(),
			"worker": times(&self.worker),
			"plain": times(&self.plain),
		})
	}
}

impl std::fmt::Display for WasmBenchReport {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let line = |f: &mut std::fmt::Formatter<'_>, name: &str, t: &WasmTimes, per_s: f64| {
			writeln!(
				f,
				"{name:<8} compile {:.3} s, instantiate {:.1} µs, run {:.3} s ({:.0} M fuel/s)",
				t.compile.as_secs_f64(),
				t.instantiate.as_secs_f64() * 1e6,
				t.execute.as_secs_f64(),
				per_s / 1e6
			)
		};
		writeln!(
			f,
			"module:  {} bytes, {} fuel per run, best of {}",
			self.module_bytes, self.fuel_used, self.runs
		)?;
		line(f, "worker:", &self.worker, self.fuel_per_second())?;
		line(f, "plain:", &self.plain, self.plain_fuel_per_second())?;
		writeln!(
			f,
			"ratio:   the worker runs at {:.2} × plain wasmtime's speed",
			self.fuel_per_second() / self.plain_fuel_per_second()
		)
	}
}

/// Runs `module` with `input` `runs` times under each engine, alternately, and checks that
/// both engines end it well with the same output.
pub fn bench_wasm(module: &[u8], input: &[u8], fuel: u64, runs: usize) -> Result<WasmBenchReport> {
	use super::wasm::{Exit, Limits, Sandbox};
	ensure!(runs > 0, "--runs must be at least 1");
	let engines = [Sandbox::new(Limits::default())?, Sandbox::plain(Limits::default())?];
	let mut compiled = Vec::new();
	let mut times = Vec::new();
	for engine in &engines {
		let start = Instant::now();
		compiled.push(engine.compile(module)?);
		times.push(WasmTimes {
			compile: start.elapsed(),
			instantiate: Duration::MAX,
			execute: Duration::MAX,
		});
	}
	let mut outputs: [Option<Vec<u8>>; 2] = [None, None];
	let mut fuel_used = 0;
	for _ in 0..runs {
		for (i, engine) in engines.iter().enumerate() {
			let (run, t) = engine.run_timed(&compiled[i], input, fuel)?;
			ensure!(
				run.exit == Exit::Success,
				"the module did not end well ({}); stderr: {}",
				run.exit.reason(),
				String::from_utf8_lossy(&run.stderr)
			);
			if i == 0 {
				fuel_used = run.fuel_used;
			}
			ensure!(
				outputs[i].as_ref().is_none_or(|o| *o == run.output),
				"two runs of the module gave different outputs"
			);
			outputs[i] = Some(run.output);
			times[i].instantiate = times[i].instantiate.min(t.instantiate);
			times[i].execute = times[i].execute.min(t.execute);
		}
	}
	ensure!(outputs[0] == outputs[1], "plain wasmtime gave another output than the sandbox");
	Ok(WasmBenchReport {
		module_bytes: module.len(),
		runs,
		fuel_used,
		worker: times[0],
		plain: times[1],
	})
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::backend::GemmTimings;

	/// The reference GEMM, timed as 1 ms, on a device with a known peak.
	struct Reference;

	impl GemmBackend for Reference {
		fn name(&self) -> String {
			"reference".into()
		}

		fn gemm(&self, seed: &[u8; 32], shape: Shape) -> Result<Vec<i32>> {
			Ok(poc::reference::gemm(seed, shape))
		}

		fn gemm_timed(&self, seed: &[u8; 32], shape: Shape) -> Result<(Vec<i32>, GemmTimings)> {
			let timings = GemmTimings { generate: None, product: Duration::from_millis(1) };
			Ok((self.gemm(seed, shape)?, timings))
		}

		fn int8_peak_tops(&self) -> Option<f64> {
			Some(0.5)
		}
	}

	#[test]
	fn the_bench_reports_tops_and_the_share_of_the_peak() {
		// 2 · 50 · 40 · 25 000 ops in 1 ms: 0.1 TOPS, 20 % of 0.5.
		let shape = Shape { m: 50, n: 40, k: 25_000 };
		let report = bench(&Reference, &[3; 32], shape).unwrap();
		assert!((report.tops() - 0.1).abs() < 1e-9, "{}", report.tops());
		assert!((report.percent_of_peak().unwrap() - 20.0).abs() < 1e-6);
		let text = report.to_string();
		assert!(text.contains("0.10 TOPS"), "{text}");
		assert!(text.contains("peak:    20.0 % of the device's 0.5 dense int8 TOPS"), "{text}");
		let json = report.json();
		assert_eq!(json["peak_tops"], 0.5);
		assert!((json["percent_of_peak"].as_f64().unwrap() - 20.0).abs() < 1e-6);
		let unknown = BenchReport { peak_tops: None, ..report };
		assert!(unknown.to_string().contains("peak:    unknown"), "{unknown}");
		assert!(unknown.json()["percent_of_peak"].is_null());
	}

	/// `_start` runs `iterations` rounds of float and integer work and returns (no output).
	fn loop_module(iterations: u32) -> Vec<u8> {
		wat::parse_str(format!(
			r#"(module
				(memory (export "memory") 1)
				(func (export "_start") (local $i i32) (local $x f64)
					(local.set $x (f64.const 1.5))
					(loop $again
						(local.set $x (f64.add (f64.mul (local.get $x) (f64.const 0.999)) (f64.const 0.25)))
						(local.set $i (i32.add (local.get $i) (i32.const 1)))
						(br_if $again (i32.lt_u (local.get $i) (i32.const {iterations}))))
					(f64.store (i32.const 0) (local.get $x))))"#
		))
		.unwrap()
	}

	#[test]
	fn the_wasm_bench_counts_fuel_on_the_worker_engine_and_times_both() {
		let report = bench_wasm(&loop_module(100_000), b"", 1 << 40, 2).unwrap();
		// Each round is about a dozen Wasm instructions.
		assert!(report.fuel_used > 100_000 && report.fuel_used < 5_000_000, "{}", report.fuel_used);
		assert!(report.worker.execute > Duration::ZERO && report.plain.execute > Duration::ZERO);
		assert!(report.fuel_per_second() > 0.0 && report.plain_fuel_per_second() > 0.0);
		let json = report.json();
		assert_eq!(json["fuel_used"], report.fuel_used);
		assert!(json["speed_ratio"].as_f64().unwrap() > 0.0);
	}

	#[test]
	fn a_wasm_bench_whose_module_fails_is_an_error_not_a_figure() {
		let error = bench_wasm(&loop_module(100_000), b"", 1000, 1).err().unwrap();
		assert!(format!("{error:#}").contains("out-of-fuel"), "{error:#}");
		assert!(bench_wasm(b"not wasm", b"", 1000, 1).is_err());
		assert!(bench_wasm(&loop_module(1), b"", 1000, 0).is_err());
	}
}
