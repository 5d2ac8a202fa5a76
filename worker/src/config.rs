//! `worker.toml`: where the node is, which account signs, and the provider's hardware.
//! Parsing and validation happen here, before anything is sent to the chain, with the same
//! rules the runtime applies (`kiln_primitives::HardwareProfile::validate`).

use anyhow::{bail, Context, Result};
use kiln_primitives::{
	hardware::validate_endpoint, Backends, GpuSpec, HardwareProfile, ProfileError, Region,
	MAX_ENDPOINT_LEN, MAX_GPU_KINDS, MAX_GPU_MODEL_LEN,
};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
	#[serde(default)]
	pub chain: ChainSection,
	pub provider: Option<ProviderSection>,
	/// The daemon (`kiln-worker run`).
	#[serde(default)]
	pub worker: WorkerSection,
	#[serde(default)]
	pub limits: LimitsSection,
	#[serde(default)]
	pub pricing: PricingSection,
}

/// `[worker]`: where the daemon keeps its state and serves outputs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerSection {
	/// The journal and the outputs.
	pub data_dir: std::path::PathBuf,
	/// Address of the HTTP gateway (outputs, /metrics, /health); the registered endpoint
	/// must reach it.
	pub listen: String,
	/// Jobs run, committed or revealed at a time; no bids beyond it.
	pub max_concurrent_jobs: u32,
	/// How long outputs stay on disk after their job ended, in seconds.
	pub output_retention_secs: u64,
}

impl Default for WorkerSection {
	fn default() -> Self {
		Self {
			data_dir: "kiln-worker-data".into(),
			listen: "127.0.0.1:8080".into(),
			max_concurrent_jobs: 2,
			output_retention_secs: 7 * 24 * 3600,
		}
	}
}

/// `[limits]`: what the worker accepts from a job.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
	/// Largest module, input, CUDA source or output, in bytes.
	pub max_content_bytes: u64,
	/// Time to fetch one piece of content.
	pub fetch_timeout_secs: u64,
	/// Fetch from loopback, private and link-local addresses (a dev chain, a LAN). Off on a
	/// public network: a client could otherwise make the worker probe its own network.
	pub allow_private_addresses: bool,
	/// Linear memory of a Wasm job.
	pub wasm_memory_mib: u32,
}

impl Default for LimitsSection {
	fn default() -> Self {
		Self {
			max_content_bytes: 64 << 20,
			fetch_timeout_secs: 30,
			allow_private_addresses: false,
			wasm_memory_mib: 256,
		}
	}
}

/// `[pricing]`: the price policy, amounts in KILN.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PricingSection {
	/// Per 10⁹ units of Wasm fuel.
	pub wasm_per_gigafuel: String,
	/// Per 10⁹ multiply-adds of a Gemm job.
	pub gemm_per_gmac: String,
	/// Per GPU-second of a Cuda job (its whole execution window on each GPU).
	pub cuda_per_gpu_second: String,
	/// The least for any job.
	pub min_job_price: String,
	/// Added to the floor, in percent.
	pub markup_percent: u32,
}

impl Default for PricingSection {
	fn default() -> Self {
		Self {
			wasm_per_gigafuel: "0.01".into(),
			gemm_per_gmac: "0.001".into(),
			cuda_per_gpu_second: "0.01".into(),
			min_job_price: "0.01".into(),
			markup_percent: 20,
		}
	}
}

impl PricingSection {
	pub fn policy(&self) -> Result<crate::bidder::price::FloorAndMarkup> {
		let amount = |name: &str, text: &str| {
			kiln_primitives::currency::parse_kiln(text).with_context(|| {
				format!("[pricing] {name} = {text:?} is not an amount of KILN (e.g. \"0.01\")")
			})
		};
		Ok(crate::bidder::price::FloorAndMarkup {
			wasm_per_gigafuel: amount("wasm_per_gigafuel", &self.wasm_per_gigafuel)?,
			gemm_per_gmac: amount("gemm_per_gmac", &self.gemm_per_gmac)?,
			cuda_per_gpu_second: amount("cuda_per_gpu_second", &self.cuda_per_gpu_second)?,
			min_job_price: amount("min_job_price", &self.min_job_price)?,
			markup_percent: self.markup_percent,
		})
	}
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSection {
	/// WebSocket JSON-RPC endpoint of a Kiln node.
	pub url: Option<String>,
	/// Secret URI of the provider account ("//Alice", a mnemonic, a 0x seed). Prefer the
	/// `KILN_SURI` environment variable for real keys.
	pub suri: Option<String>,
	/// More nodes for the daemon to fail over to, tried in turn after `url`.
	#[serde(default)]
	pub fallback_urls: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSection {
	/// Where clients fetch results: an http:// or https:// URL.
	pub endpoint: String,
	/// ISO 3166-1 alpha-2 country code.
	pub region: String,
	/// Detected when left out.
	pub cpu_cores: Option<u16>,
	/// Detected when left out.
	pub ram_mib: Option<u32>,
	/// "cuda" and/or "cpu".
	pub backends: Vec<String>,
	/// One entry per kind of GPU; none on a CPU-only machine.
	#[serde(default)]
	pub gpus: Vec<GpuSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSection {
	pub model: String,
	pub vram_mib: u32,
	/// As NVIDIA writes it: "8.9".
	pub compute_capability: String,
	pub count: u16,
}

impl WorkerConfig {
	pub fn load(path: &Path) -> Result<Self> {
		let text = std::fs::read_to_string(path)
			.with_context(|| format!("cannot read the worker config {}", path.display()))?;
		Self::parse(&text).with_context(|| format!("in {}", path.display()))
	}

	pub fn parse(text: &str) -> Result<Self> {
		toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))
	}
}

impl ProviderSection {
	/// The profile and endpoint as the runtime will store them, validated the same way
	/// (`max_gpus` is the chain's current limit).
	pub fn to_profile(&self, max_gpus: u32) -> Result<(HardwareProfile, Vec<u8>)> {
		let mut backends = Backends::default();
		for backend in &self.backends {
			match backend.to_ascii_lowercase().as_str() {
				"cuda" => backends.cuda = true,
				"cpu" => backends.cpu = true,
				other => bail!("unknown backend {other:?}: use \"cuda\" and/or \"cpu\""),
			}
		}
		let region: [u8; 2] = self.region.as_bytes().try_into().with_context(|| {
			format!("region {:?} is not a two-letter country code", self.region)
		})?;
		if self.gpus.len() > MAX_GPU_KINDS as usize {
			bail!("{} GPU kinds listed; at most {MAX_GPU_KINDS}", self.gpus.len());
		}
		let gpus = self
			.gpus
			.iter()
			.map(|g| -> Result<GpuSpec> {
				if g.model.len() > MAX_GPU_MODEL_LEN as usize {
					bail!("GPU model {:?} is longer than {MAX_GPU_MODEL_LEN} bytes", g.model);
				}
				Ok(GpuSpec {
					model: g.model.as_bytes().to_vec().try_into().unwrap_or_default(),
					vram_mib: g.vram_mib,
					compute_capability: parse_compute_capability(&g.compute_capability)
						.with_context(|| {
							format!(
								"compute capability {:?} is not like \"8.9\"",
								g.compute_capability
							)
						})?,
					count: g.count,
				})
			})
			.collect::<Result<Vec<_>>>()?;
		let cpu_cores = match self.cpu_cores {
			Some(cores) => cores,
			None => {
				crate::detect::cpu_cores().context("cpu_cores is not set and not detectable")?
			},
		};
		let ram_mib = match self.ram_mib {
			Some(ram) => ram,
			None => crate::detect::ram_mib().context("ram_mib is not set and not detectable")?,
		};
		let profile = HardwareProfile {
			gpus: gpus.try_into().unwrap_or_default(),
			cpu_cores,
			ram_mib,
			region: Region(region),
			backends,
		};
		profile.validate(max_gpus).map_err(|e| explain(e, max_gpus))?;
		let endpoint = self.endpoint.as_bytes().to_vec();
		if endpoint.len() > MAX_ENDPOINT_LEN as usize {
			bail!("the endpoint is longer than {MAX_ENDPOINT_LEN} bytes");
		}
		validate_endpoint(&endpoint).map_err(|e| explain(e, max_gpus))?;
		Ok((profile, endpoint))
	}
}

fn explain(e: ProfileError, max_gpus: u32) -> anyhow::Error {
	anyhow::anyhow!(match e {
		ProfileError::NoGpus => "a machine offering \"cuda\" lists its GPUs, each with a count \
		                         of at least 1 (a CPU-only machine offers just \"cpu\" and may \
		                         list none)"
			.into(),
		ProfileError::TooManyGpus => format!("more than {max_gpus} GPUs (the chain's max_gpus)"),
		ProfileError::InvalidGpuModel => "a GPU model name is empty".into(),
		ProfileError::InvalidRegion =>
			"the region must be an ISO 3166 alpha-2 code in capitals, e.g. \"DE\"".into(),
		ProfileError::NoBackend => "offer at least one backend: \"cuda\" or \"cpu\"".into(),
		ProfileError::InvalidEndpoint =>
			"the endpoint must be an http:// or https:// URL with a host".into(),
	})
}

/// "8.9" → 89, "9.0" → 90, "10.0" → 100.
pub fn parse_compute_capability(text: &str) -> Result<u16> {
	let (major, minor) = text.trim().split_once('.').unwrap_or((text.trim(), "0"));
	let major: u16 = major.parse().ok().context("")?;
	let minor: u16 = minor.parse().ok().filter(|m| *m < 10).context("")?;
	major.checked_mul(10).and_then(|m| m.checked_add(minor)).context("")
}

#[cfg(test)]
mod tests {
	use super::*;

	const EXAMPLE: &str = r#"
[chain]
url = "ws://127.0.0.1:9944"
suri = "//Alice"

[provider]
endpoint = "https://gpu1.example.org:8443"
region = "DE"
cpu_cores = 16
ram_mib = 65536
backends = ["cuda", "cpu"]

[[provider.gpus]]
model = "NVIDIA GeForce RTX 4090"
vram_mib = 24564
compute_capability = "8.9"
count = 2
"#;

	#[test]
	fn the_example_parses_into_the_profile_the_chain_stores() {
		let config = WorkerConfig::parse(EXAMPLE).unwrap();
		assert_eq!(config.chain.url.as_deref(), Some("ws://127.0.0.1:9944"));
		let (profile, endpoint) = config.provider.unwrap().to_profile(64).unwrap();
		assert_eq!(profile.gpu_count(), 2);
		assert_eq!(profile.gpus[0].compute_capability, 89);
		assert_eq!(profile.region, Region(*b"DE"));
		assert!(profile.backends.cuda && profile.backends.cpu);
		assert_eq!(endpoint, b"https://gpu1.example.org:8443");
	}

	#[test]
	fn the_shipped_example_file_parses() {
		let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("worker.example.toml");
		let config = WorkerConfig::load(&path).unwrap();
		config.provider.unwrap().to_profile(64).unwrap();
	}

	#[test]
	fn bad_configs_are_explained() {
		let cases = [
			("region = \"DE\"", "region = \"de\"", "ISO 3166"),
			("region = \"DE\"", "region = \"DEU\"", "two-letter"),
			("[\"cuda\", \"cpu\"]", "[\"rocm\"]", "unknown backend"),
			("[\"cuda\", \"cpu\"]", "[]", "at least one backend"),
			("count = 2", "count = 0", "count of at least 1"),
			("count = 2", "count = 65", "more than 64 GPUs"),
			("https://gpu1.example.org:8443", "gpu1.example.org", "http:// or https://"),
			("\"8.9\"", "\"eight\"", "compute capability"),
			("cpu_cores = 16", "cpu_cores = 16\ncolour = \"red\"", "unknown field"),
		];
		for (from, to, expected) in cases {
			let text = EXAMPLE.replace(from, to);
			let result = WorkerConfig::parse(&text)
				.and_then(|c| c.provider.context("no provider")?.to_profile(64).map(|_| ()));
			let message = format!("{:#}", result.expect_err(to));
			assert!(message.contains(expected), "{to:?}: {message}");
		}
	}

	#[test]
	fn a_cpu_only_machine_lists_no_gpus() {
		let text = "[provider]\nendpoint = \"http://127.0.0.1:8080\"\nregion = \"DE\"\n\
		            cpu_cores = 2\nram_mib = 4096\nbackends = [\"cpu\"]\n";
		let (profile, _) =
			WorkerConfig::parse(text).unwrap().provider.unwrap().to_profile(64).unwrap();
		assert_eq!((profile.gpu_count(), profile.bond_units()), (0, 1));
		let cuda = text.replace("[\"cpu\"]", "[\"cuda\", \"cpu\"]");
		let error =
			WorkerConfig::parse(&cuda).unwrap().provider.unwrap().to_profile(64).unwrap_err();
		assert!(format!("{error:#}").contains("lists its GPUs"), "{error:#}");
	}

	#[test]
	fn daemon_sections_have_defaults_and_check_amounts() {
		let config = WorkerConfig::parse("").unwrap();
		assert_eq!(config.worker.max_concurrent_jobs, 2);
		assert!(!config.limits.allow_private_addresses);
		let policy = config.pricing.policy().unwrap();
		assert_eq!(policy.wasm_per_gigafuel, 10_000_000_000);
		assert_eq!(policy.markup_percent, 20);
		let bad = WorkerConfig::parse("[pricing]\nmin_job_price = \"cheap\"").unwrap();
		let message = format!("{:#}", bad.pricing.policy().unwrap_err());
		assert!(message.contains("min_job_price"), "{message}");
		assert!(WorkerConfig::parse("[worker]\nthreads = 3").is_err(), "unknown keys are refused");
	}

	#[test]
	fn compute_capability_parsing() {
		assert_eq!(parse_compute_capability("8.9").unwrap(), 89);
		assert_eq!(parse_compute_capability("9").unwrap(), 90);
		assert_eq!(parse_compute_capability("10.0").unwrap(), 100);
		assert!(parse_compute_capability("8.10").is_err());
		assert!(parse_compute_capability("").is_err());
	}
}
