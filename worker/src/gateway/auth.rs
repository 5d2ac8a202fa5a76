//! The client's signed access to its job's output before the job settles.
//!
//! The request carries `Authorization: Kiln <account> <unix seconds> <signature>`: the client's
//! SS58 account, the time of signing, and a hex sr25519 signature (as polkadot.js
//! `pair.sign` and subxt-signer make them, context "substrate") of the UTF-8 text
//! `kiln/output/<job id>/<unix seconds>`. The signature must be the job's client's and at
//! most [`MAX_SKEW_SECS`] old or ahead, so a captured header is of little use for long.

use crate::chain::{parse_account, AccountId};
use subxt_signer::sr25519::{verify, PublicKey, Signature};

/// How far the signing time may be from the gateway's clock.
pub const MAX_SKEW_SECS: u64 = 300;

/// What a client signs to fetch job `job`'s output at `unix_secs`.
pub fn message(job: u64, unix_secs: u64) -> String {
	format!("kiln/output/{job}/{unix_secs}")
}

/// Checks `header` (the Authorization value) for job `job`, whose client is `client`, at
/// `now` (unix seconds); says what is wrong.
pub fn check(header: &str, job: u64, client: &AccountId, now: u64) -> Result<(), String> {
	let mut parts = header.split_whitespace();
	let (Some("Kiln"), Some(account), Some(time), Some(signature), None) =
		(parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
	else {
		return Err("expected `Authorization: Kiln <account> <unix seconds> <signature>`".into());
	};
	let account = parse_account(account).map_err(|e| format!("{e:#}"))?;
	if &account != client {
		return Err(format!("{account} is not job {job}'s client"));
	}
	let time: u64 = time.parse().map_err(|_| format!("{time:?} is not a unix time"))?;
	if time.abs_diff(now) > MAX_SKEW_SECS {
		return Err(format!("signed at {time}, more than {MAX_SKEW_SECS} s from now ({now})"));
	}
	let bytes = hex::decode(signature.strip_prefix("0x").unwrap_or(signature))
		.map_err(|_| "the signature is not hex".to_string())?;
	let signature: [u8; 64] =
		bytes.try_into().map_err(|_| "the signature is not 64 bytes".to_string())?;
	if !verify(&Signature(signature), message(job, time), &PublicKey(account.0)) {
		return Err(format!("the signature is not {account}'s over {:?}", message(job, time)));
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use subxt_signer::sr25519::dev;

	fn header(pair: &subxt_signer::sr25519::Keypair, job: u64, time: u64) -> String {
		let account = AccountId::from(pair.public_key().0);
		let signature = pair.sign(message(job, time).as_bytes()).0;
		format!("Kiln {account} {time} 0x{}", hex::encode(signature))
	}

	#[test]
	fn only_the_clients_fresh_signature_for_this_job_opens_the_output() {
		let alice = dev::alice();
		let client = AccountId::from(alice.public_key().0);
		let now = 1_800_000_000;
		assert_eq!(check(&header(&alice, 7, now), 7, &client, now), Ok(()));
		assert_eq!(check(&header(&alice, 7, now - 200), 7, &client, now), Ok(()));
		// Another account, another job, a stale or a made-up signature: refused.
		let bob = dev::bob();
		assert!(check(&header(&bob, 7, now), 7, &client, now).unwrap_err().contains("client"));
		let other_job = header(&alice, 8, now);
		assert!(check(&other_job, 7, &client, now).unwrap_err().contains("signature"));
		let stale = header(&alice, 7, now - 301);
		assert!(check(&stale, 7, &client, now).unwrap_err().contains("more than"));
		let forged = header(&alice, 7, now).replace(" 0x", " 0x00");
		assert!(check(&forged, 7, &client, now).is_err());
		assert!(check("Bearer x", 7, &client, now).is_err());
		assert!(check("", 7, &client, now).is_err());
	}
}
