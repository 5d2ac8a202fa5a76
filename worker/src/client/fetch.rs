//! `job fetch`: the output from the provider's endpoint, with the client's signed request
//! (`gateway::auth`), checked against the revealed hash and length before a byte is written
//! (the blake2-256 of the bytes; for a `Gemm` job the Merkle root of C, what the chain
//! samples); a mismatch is an error and leaves no file.

use crate::{
	chain::Submitter,
	executor::fetch::{fetch_unchecked, FetchPolicy},
	gateway::auth,
};
use anyhow::{bail, Context, Result};
use kiln_primitives::job::ContentRef;
use std::path::Path;

/// How a job's output hash is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputHash {
	/// blake2-256 of the bytes (`Wasm`, `Cuda`).
	Blake2,
	/// The Merkle root of C, an `m`×`n` int32 matrix (`Gemm`).
	GemmRoot { m: u32, n: u32 },
}

/// Checks `bytes` are the output `output` pins.
pub fn check(output: &ContentRef, kind: OutputHash, bytes: &[u8]) -> Result<()> {
	match kind {
		OutputHash::Blake2 => {
			if output.verify(bytes).is_err() {
				bail!("the bytes do not have the job's blake2-256");
			}
		},
		OutputHash::GemmRoot { m, n } => {
			let entries = u64::from(m) * u64::from(n);
			let c = crate::daemon::runner::gemm_entries(bytes)
				.filter(|c| c.len() as u64 == entries)
				.with_context(|| format!("the bytes are not {m}×{n} int32 entries"))?;
			if kiln_primitives::poc::reference::Tree::build(&c).root() != output.hash {
				bail!("the bytes are not C with the job's revealed Merkle root");
			}
		},
	}
	Ok(())
}

/// Whether `uri` is on the host and port of the provider's registered `endpoint`.
///
/// The output's URI is the provider's to choose: a client fetches from a loopback or private
/// address only when the provider registered its endpoint there (a dev chain, a LAN), so a
/// provider cannot make its client send requests into the client's own network.
pub fn same_host(uri: &str, endpoint: &str) -> bool {
	let origin = |text: &str| {
		let uri: hyper::Uri = text.parse().ok()?;
		let scheme = uri.scheme_str()?.to_ascii_lowercase();
		let default = if scheme == "https" { 443 } else { 80 };
		Some((scheme, uri.host()?.to_ascii_lowercase(), uri.port_u16().unwrap_or(default)))
	};
	matches!((origin(uri), origin(endpoint)), (Some(a), Some(b)) if a == b)
}

/// The `Authorization` value for job `job` signed by `signer` now.
pub fn authorization(signer: &Submitter, job: u64, now: u64) -> String {
	let signature = signer.sign_bytes(auth::message(job, now).as_bytes());
	format!("Kiln {} {now} 0x{}", signer.account(), hex::encode(signature))
}

/// Downloads `output` (job `job`'s), checks it and writes it to `to` (through a temporary file
/// beside it, renamed once complete).
pub async fn fetch_output(
	job: u64,
	output: &ContentRef,
	kind: OutputHash,
	signer: &Submitter,
	to: &Path,
	policy: &FetchPolicy,
) -> Result<u64> {
	let header = authorization(signer, job, crate::executor::unix_now());
	let bytes = fetch_unchecked(output, policy, Some(&header))
		.await
		.map_err(|e| anyhow::anyhow!("job {job}'s output: {e}"))?;
	check(output, kind, &bytes).with_context(|| format!("job {job}'s output"))?;
	let partial = to.with_extension("partial");
	std::fs::write(&partial, &bytes)
		.with_context(|| format!("cannot write {}", partial.display()))?;
	std::fs::rename(&partial, to).with_context(|| format!("cannot write {}", to.display()))?;
	Ok(bytes.len() as u64)
}

#[cfg(test)]
mod tests {
	use super::*;
	use kiln_primitives::poc::{reference, Shape};

	fn content(hash: [u8; 32], len: usize) -> ContentRef {
		ContentRef { hash, len: len as u64, uri: Default::default() }
	}

	#[test]
	fn private_addresses_only_on_the_providers_own_endpoint() {
		let endpoint = "http://127.0.0.1:8080";
		assert!(same_host("http://127.0.0.1:8080/jobs/4/output", endpoint));
		assert!(same_host("https://GPU.example.org/jobs/4/output", "https://gpu.example.org"));
		assert!(same_host("https://gpu.example.org:443/x", "https://gpu.example.org"));
		assert!(!same_host("http://127.0.0.1:22/", endpoint), "another port");
		assert!(!same_host("http://192.168.1.1/admin", endpoint), "another host");
		assert!(!same_host("https://127.0.0.1:8080/x", endpoint), "another scheme");
		assert!(!same_host("not a uri", endpoint));
	}

	#[test]
	fn outputs_are_checked_by_the_hash_their_kind_reveals() {
		let bytes = b"the output".to_vec();
		let pinned = content(sp_crypto_hashing::blake2_256(&bytes), bytes.len());
		check(&pinned, OutputHash::Blake2, &bytes).unwrap();
		let mut tampered = bytes.clone();
		tampered[0] ^= 1;
		let err = check(&pinned, OutputHash::Blake2, &tampered).unwrap_err().to_string();
		assert!(err.contains("blake2-256"), "{err}");

		let shape = Shape { m: 3, n: 70, k: 5 };
		let c = reference::gemm(&[9; 32], shape);
		let c_bytes = crate::daemon::runner::gemm_bytes(&c);
		let root = reference::Tree::build(&c).root();
		let gemm = OutputHash::GemmRoot { m: 3, n: 70 };
		check(&content(root, c_bytes.len()), gemm, &c_bytes).unwrap();
		let mut changed = c_bytes.clone();
		changed[100] ^= 1;
		let err = check(&content(root, c_bytes.len()), gemm, &changed).unwrap_err().to_string();
		assert!(err.contains("Merkle root"), "{err}");
		let err = check(&content(root, 8), OutputHash::GemmRoot { m: 1, n: 1 }, &c_bytes[..8]);
		assert!(err.unwrap_err().to_string().contains("1×1"), "one entry is not C of 3×70");
	}
}
