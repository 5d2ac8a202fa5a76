//! A job spec file (TOML) as a client writes it, turned into the chain's `JobSpec`: content
//! given as local files gets its blake2-256 and length computed here, and its URI from the
//! file's own `uri` or from `--serve DIR`. A `file` is found in DIR with `--serve`, else
//! beside the spec. Examples: `examples/jobs/`.
//!
//! ```toml
//! max_price = "quote+20%"   # or an amount of KILN: "0.5"
//! bidding_blocks = 5
//! execution_blocks = 20
//!
//! [workload]
//! kind = "wasm"             # wasm | gemm | cuda
//! fuel = 1_000_000_000
//! module = { file = "line-stats.wasm" }
//! input = { file = "input.txt" }
//!
//! [requirements]
//! backend = "cpu"           # cpu | cuda
//! ```

use anyhow::{anyhow, bail, Context, Result};
use kiln_primitives::{
	job::{ContentRef, EntryPoint, JobSpec, Uri, Workload},
	Backend, Region, Requirements,
};
use serde::Deserialize;
use sp_runtime::Perbill;
use std::path::{Path, PathBuf};

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
	/// An amount of KILN, or `quote`, `quote+N%`, `quote-N%`.
	pub max_price: String,
	pub bidding_blocks: u32,
	pub execution_blocks: u32,
	pub workload: WorkloadFile,
	pub requirements: RequirementsFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "lowercase")]
pub enum WorkloadFile {
	Wasm {
		module: ContentFile,
		#[serde(default)]
		input: Option<ContentFile>,
		fuel: u64,
	},
	Gemm {
		m: u32,
		n: u32,
		k: u32,
		/// 0x and 64 hex digits [default: random].
		#[serde(default)]
		seed: Option<String>,
	},
	Cuda {
		source: ContentFile,
		entry: String,
		grid: [u32; 3],
		block: [u32; 3],
		#[serde(default)]
		input: Option<ContentFile>,
		output_len: u64,
	},
}

/// Content: a local `file` (hashed here) served at `uri` or by `--serve`, or remote content
/// pinned by `uri`, `hash` and `len`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentFile {
	pub file: Option<PathBuf>,
	pub uri: Option<String>,
	pub hash: Option<String>,
	pub len: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementsFile {
	pub backend: String,
	#[serde(default)]
	pub gpu_count: u16,
	#[serde(default)]
	pub min_vram_mib: u32,
	/// e.g. 8.9
	#[serde(default)]
	pub min_compute_capability: f64,
	#[serde(default)]
	pub region: Option<String>,
	#[serde(default)]
	pub min_reputation_percent: u8,
}

/// What the client offers at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxPrice {
	Fixed(u128),
	/// The quote's median with this many percent added (negative: taken off).
	Quote {
		percent: i32,
	},
}

impl MaxPrice {
	pub fn parse(text: &str) -> Result<Self> {
		let text = text.trim();
		if let Some(rest) = text.strip_prefix("quote") {
			let rest = rest.trim();
			if rest.is_empty() {
				return Ok(Self::Quote { percent: 0 });
			}
			let (sign, number) = match rest.split_at(1) {
				("+", n) => (1, n),
				("-", n) => (-1, n),
				_ => bail!("max price {text:?}: expected quote, quote+N% or quote-N%"),
			};
			let percent: u32 = number
				.trim()
				.strip_suffix('%')
				.and_then(|n| n.trim().parse().ok())
				.filter(|n| *n <= 1_000)
				.ok_or_else(|| {
					anyhow!("max price {text:?}: expected a percent from 0% to 1000%")
				})?;
			if sign < 0 && percent >= 100 {
				bail!("max price {text:?}: cannot take 100% or more off the quote");
			}
			return Ok(Self::Quote { percent: sign * percent as i32 });
		}
		let amount = text.strip_suffix("KILN").unwrap_or(text).trim();
		let plancks = kiln_primitives::currency::parse_kiln(amount).ok_or_else(|| {
			anyhow!("max price {text:?}: expected an amount of KILN (e.g. 0.5) or quote+N%")
		})?;
		if plancks == 0 {
			bail!("max price {text:?}: a job must pay something");
		}
		Ok(Self::Fixed(plancks))
	}

	/// The price from a quote's `median`.
	pub fn from_quote(&self, median: u128) -> u128 {
		match self {
			Self::Fixed(price) => *price,
			Self::Quote { percent } => {
				let delta = median / 100 * percent.unsigned_abs() as u128
					+ median % 100 * percent.unsigned_abs() as u128 / 100;
				if *percent >= 0 {
					median.saturating_add(delta)
				} else {
					median.saturating_sub(delta)
				}
				.max(1)
			},
		}
	}
}

/// A local file the job's content comes from, and the URI path `--serve` gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
	pub path: PathBuf,
	/// Relative to the served directory, with `/` separators.
	pub name: String,
	pub content: ContentRef,
}

/// A spec ready to sign, except for the price when it comes from a quote.
#[derive(Debug)]
pub struct Prepared {
	pub spec: JobSpec<u128, u32>,
	pub max_price: MaxPrice,
	/// The files `--serve` must serve.
	pub served: Vec<Served>,
}

/// Where `--serve` serves from and the URL base providers reach it at.
#[derive(Clone, Debug)]
pub struct ServeAt {
	pub dir: PathBuf,
	pub base_url: String,
}

/// Reads and checks the spec at `path`; content without a URI is served from `serve`, and
/// files are found in the served directory (else beside the spec).
pub fn load(path: &Path, serve: Option<&ServeAt>) -> Result<Prepared> {
	let text =
		std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
	let file: SpecFile =
		toml::from_str(&text).with_context(|| format!("{} is not a job spec", path.display()))?;
	let here = match serve {
		Some(serve) => serve.dir.clone(),
		None => path.parent().unwrap_or(Path::new(".")).to_path_buf(),
	};
	prepare(file, &here, serve).with_context(|| format!("in {}", path.display()))
}

pub fn prepare(file: SpecFile, here: &Path, serve: Option<&ServeAt>) -> Result<Prepared> {
	let mut served = Vec::new();
	let mut content = |what: &str, c: Option<ContentFile>| -> Result<ContentRef> {
		resolve(what, c.unwrap_or_default(), here, serve, &mut served)
	};
	let workload = match file.workload {
		WorkloadFile::Wasm { module, input, fuel } => Workload::Wasm {
			module: content("workload.module", Some(module))?,
			input: content("workload.input", input)?,
			fuel,
		},
		WorkloadFile::Gemm { m, n, k, seed } => Workload::Gemm { m, n, k, seed: seed_of(seed)? },
		WorkloadFile::Cuda { source, entry, grid, block, input, output_len } => Workload::Cuda {
			source: content("workload.source", Some(source))?,
			entry: EntryPoint::try_from(entry.into_bytes())
				.map_err(|_| anyhow!("workload.entry: longer than 64 bytes"))?,
			grid,
			block,
			input: content("workload.input", input)?,
			output_len,
		},
	};
	let max_price = MaxPrice::parse(&file.max_price)?;
	let spec = JobSpec {
		workload,
		requirements: requirements(&file.requirements)?,
		// Replaced by the quoted price before signing.
		max_price: match max_price {
			MaxPrice::Fixed(price) => price,
			MaxPrice::Quote { .. } => 1,
		},
		bidding_blocks: file.bidding_blocks,
		execution_blocks: file.execution_blocks,
	};
	Ok(Prepared { spec, max_price, served })
}

fn seed_of(seed: Option<String>) -> Result<[u8; 32]> {
	match seed {
		Some(text) => parse_hash(&text).context("workload.seed"),
		None => {
			let mut seed = [0u8; 32];
			getrandom::getrandom(&mut seed)
				.map_err(|e| anyhow!("no randomness for a seed: {e}"))?;
			Ok(seed)
		},
	}
}

pub fn parse_hash(text: &str) -> Result<[u8; 32]> {
	let hex = text.strip_prefix("0x").unwrap_or(text);
	let bytes = hex::decode(hex).map_err(|_| anyhow!("{text:?} is not hex"))?;
	bytes.try_into().map_err(|_| anyhow!("{text:?} is not 32 bytes"))
}

fn requirements(r: &RequirementsFile) -> Result<Requirements> {
	let backend = match r.backend.as_str() {
		"cpu" => Backend::Cpu,
		"cuda" => Backend::Cuda,
		other => bail!("requirements.backend {other:?}: expected \"cpu\" or \"cuda\""),
	};
	let region = match &r.region {
		None => None,
		Some(code) => {
			let region = Region(code.as_bytes().try_into().map_err(|_| {
				anyhow!("requirements.region {code:?}: expected two letters (ISO 3166-1)")
			})?);
			if !region.is_valid() {
				bail!("requirements.region {code:?}: expected two upper-case letters");
			}
			Some(region)
		},
	};
	if r.min_reputation_percent > 100 {
		bail!("requirements.min_reputation_percent: at most 100");
	}
	if !(0.0..=6553.5).contains(&r.min_compute_capability) {
		bail!("requirements.min_compute_capability: a capability such as 8.9");
	}
	Ok(Requirements {
		min_vram_mib: r.min_vram_mib,
		min_compute_capability: (r.min_compute_capability * 10.0).round() as u16,
		gpu_count: r.gpu_count,
		backend,
		region,
		min_reputation: Perbill::from_percent(u32::from(r.min_reputation_percent)),
	})
}

/// One content entry as a `ContentRef`; an absent one (an optional input) is empty content,
/// served like a file.
fn resolve(
	what: &str,
	c: ContentFile,
	here: &Path,
	serve: Option<&ServeAt>,
	served: &mut Vec<Served>,
) -> Result<ContentRef> {
	let uri_of = |text: String| {
		Uri::try_from(text.into_bytes()).map_err(|_| anyhow!("{what}.uri: longer than 256 bytes"))
	};
	match (c.file, c.uri, c.hash, c.len) {
		(None, Some(uri), Some(hash), Some(len)) => Ok(ContentRef {
			hash: parse_hash(&hash).context(what.to_string())?,
			len,
			uri: uri_of(uri)?,
		}),
		(None, None, None, None) => {
			// Empty content: nothing to fetch but a URI is still needed.
			let serve =
				serve.ok_or_else(|| {
					anyhow!("{what}: no content given; give a file, or pass --serve DIR for an empty one")
				})?;
			let content = ContentRef {
				hash: sp_crypto_hashing::blake2_256(&[]),
				len: 0,
				uri: uri_of(format!("{}/.kiln-empty", serve.base_url))?,
			};
			served.push(Served {
				path: PathBuf::new(),
				name: ".kiln-empty".into(),
				content: content.clone(),
			});
			Ok(content)
		},
		(Some(file), uri, None, None) => {
			let path = if file.is_absolute() { file } else { here.join(file) };
			let bytes = std::fs::read(&path)
				.with_context(|| format!("{what}: cannot read {}", path.display()))?;
			let hash = sp_crypto_hashing::blake2_256(&bytes);
			let len = bytes.len() as u64;
			match (uri, serve) {
				(Some(uri), _) => Ok(ContentRef { hash, len, uri: uri_of(uri)? }),
				(None, Some(serve)) => {
					let name = served_name(&path, &serve.dir).with_context(|| what.to_string())?;
					let uri = uri_of(format!("{}/{name}", serve.base_url))?;
					let content = ContentRef { hash, len, uri };
					served.push(Served { path, name, content: content.clone() });
					Ok(content)
				},
				(None, None) => bail!(
					"{what}: {} has no uri; give one, or pass --serve DIR to serve it",
					path.display()
				),
			}
		},
		_ => bail!("{what}: give `file` (and optionally `uri`), or `uri`, `hash` and `len`"),
	}
}

/// `path` relative to `dir`, which it must lie in.
fn served_name(path: &Path, dir: &Path) -> Result<String> {
	let dir = dir.canonicalize().with_context(|| format!("cannot open {}", dir.display()))?;
	let full = path.canonicalize().with_context(|| format!("cannot open {}", path.display()))?;
	let relative = full.strip_prefix(&dir).map_err(|_| {
		anyhow!("{} is not inside the served directory {}", path.display(), dir.display())
	})?;
	let parts: Vec<String> =
		relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
	if parts.iter().any(|p| !p.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))) {
		bail!("{}: served file names may hold letters, digits, '.', '_' and '-'", path.display());
	}
	Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A directory of this test's own (tests run in parallel) with the job's files.
	fn dir(test: &str) -> PathBuf {
		let dir = std::env::temp_dir().join(format!("kiln-spec-{}-{test}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		std::fs::write(dir.join("input.txt"), b"one\ntwo\n").unwrap();
		std::fs::write(dir.join("job.wasm"), b"\0asm").unwrap();
		dir
	}

	fn parse(text: &str, dir: &Path, serve: Option<&ServeAt>) -> Result<Prepared> {
		prepare(toml::from_str(text)?, dir, serve)
	}

	fn serving(dir: &Path) -> ServeAt {
		ServeAt { dir: dir.to_path_buf(), base_url: "http://127.0.0.1:9000".into() }
	}

	const WASM: &str = r#"
		max_price = "0.5"
		bidding_blocks = 5
		execution_blocks = 20
		[workload]
		kind = "wasm"
		fuel = 1_000
		module = { file = "job.wasm", uri = "https://example.org/job.wasm" }
		input = { file = "input.txt" }
		[requirements]
		backend = "cpu"
	"#;

	#[test]
	fn files_are_hashed_and_served() {
		let dir = dir("served");
		let p = parse(WASM, &dir, Some(&serving(&dir))).unwrap();
		let Workload::Wasm { module, input, fuel } = &p.spec.workload else { panic!() };
		assert_eq!((fuel, module.len, input.len), (&1_000, 4, 8));
		assert_eq!(input.hash, sp_crypto_hashing::blake2_256(b"one\ntwo\n"));
		assert_eq!(&module.uri[..], b"https://example.org/job.wasm");
		assert_eq!(&input.uri[..], b"http://127.0.0.1:9000/input.txt");
		assert_eq!(p.served.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["input.txt"]);
		assert_eq!(
			(p.max_price, p.spec.max_price),
			(
				MaxPrice::Fixed(kiln_primitives::currency::KILN / 2),
				kiln_primitives::currency::KILN / 2
			)
		);
		assert_eq!(p.spec.requirements.backend, Backend::Cpu);
	}

	#[test]
	fn content_without_a_uri_needs_serve() {
		let err = format!("{:#}", parse(WASM, &dir("unserved"), None).unwrap_err());
		assert!(err.contains("workload.input") && err.contains("pass --serve DIR"), "{err}");
	}

	#[test]
	fn malformed_specs_say_what_is_wrong() {
		let dir = dir("malformed");
		let serve = serving(&dir);
		let with = |from: &str, to: &str| {
			format!("{:#}", parse(&WASM.replace(from, to), &dir, Some(&serve)).unwrap_err())
		};
		assert!(with("\"cpu\"", "\"tpu\"").contains("requirements.backend \"tpu\""));
		assert!(with("\"0.5\"", "\"cheap\"").contains("max price \"cheap\""));
		assert!(with("\"0.5\"", "\"0\"").contains("must pay something"));
		assert!(with("kind = \"wasm\"", "kind = \"docker\"").contains("unknown variant `docker`"));
		assert!(with("fuel = 1_000", "fuel = 1_000\ngas = 1").contains("unknown field `gas`"));
		assert!(with("job.wasm\", uri", "missing.wasm\", uri").contains("cannot read"));
		let gemm = "max_price = \"1\"\nbidding_blocks = 5\nexecution_blocks = 9\n[workload]\nkind = \"gemm\"\nm = 4\nn = 4\nk = 4\nseed = \"0x12\"\n[requirements]\nbackend = \"cpu\"\n";
		assert!(format!("{:#}", parse(gemm, &dir, None).unwrap_err()).contains("not 32 bytes"));
	}

	#[test]
	fn the_examples_are_valid_specs() {
		let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/jobs");
		let inputs = dir("examples");
		for name in ["line-stats.wasm", "histogram.cu", "input.bin"] {
			std::fs::write(inputs.join(name), b"x").unwrap();
		}
		let serve = ServeAt { dir: inputs, base_url: "http://127.0.0.1:9000".into() };
		let bounds = ((2, 100), (3, 1_000));
		let mut kinds = Vec::new();
		for entry in std::fs::read_dir(&examples).unwrap() {
			let path = entry.unwrap().path();
			let p =
				load(&path, Some(&serve)).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
			p.spec
				.validate(bounds.0, bounds.1)
				.unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
			kinds.push(p.spec.workload.kind().name());
		}
		kinds.sort();
		assert_eq!(kinds, ["cuda", "gemm", "wasm"]);
	}

	#[test]
	fn max_prices_come_fixed_or_from_the_quote() {
		use kiln_primitives::currency::KILN;
		assert_eq!(MaxPrice::parse("2.5").unwrap(), MaxPrice::Fixed(5 * KILN / 2));
		assert_eq!(MaxPrice::parse("2 KILN").unwrap(), MaxPrice::Fixed(2 * KILN));
		assert_eq!(MaxPrice::parse("quote").unwrap(), MaxPrice::Quote { percent: 0 });
		assert_eq!(MaxPrice::parse("quote+20%").unwrap(), MaxPrice::Quote { percent: 20 });
		assert_eq!(MaxPrice::parse("quote - 10%").unwrap(), MaxPrice::Quote { percent: -10 });
		for bad in ["quote+", "quote*2", "quote+20", "quote-100%", "quote+5000%", "-1", ""] {
			assert!(MaxPrice::parse(bad).is_err(), "{bad:?}");
		}
		assert_eq!(MaxPrice::Quote { percent: 20 }.from_quote(1_000), 1_200);
		assert_eq!(MaxPrice::Quote { percent: -10 }.from_quote(1_000), 900);
		assert_eq!(MaxPrice::Quote { percent: 20 }.from_quote(u128::MAX), u128::MAX);
		assert_eq!(MaxPrice::Quote { percent: -50 }.from_quote(1), 1, "never zero");
		assert_eq!(MaxPrice::Fixed(7).from_quote(1_000), 7);
	}
}
