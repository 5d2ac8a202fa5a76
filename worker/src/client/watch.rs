//! A job as a client reads it: `job status` prints the `market_job` answer in words, and
//! `job watch` prints a line each time the job moves (bids, award, result, verification,
//! payment) until it ends, saying why when nobody bid.

use super::market;
use crate::chain::{format_kiln, Connection};
use anyhow::{bail, Result};
use serde_json::Value;
use std::time::Duration;

fn kiln(value: &Value) -> String {
	format_kiln(market::amount(value))
}

fn block(value: &Value) -> String {
	match (value["number"].as_u64(), value["time"].as_str()) {
		(Some(n), Some(time)) => format!("#{n} ({time})"),
		(Some(n), None) => format!("#{n}"),
		_ => "?".into(),
	}
}

/// The reasons bids were refused, in words ("2 × too little GPU memory for the job").
pub fn refusals(job: &Value) -> Option<String> {
	let reasons = job["refusals"]["reasons"].as_array()?;
	if reasons.is_empty() {
		return None;
	}
	let words: Vec<String> = reasons
		.iter()
		.map(|r| format!("{} × {}", r["count"], r["meaning"].as_str().unwrap_or("?")))
		.collect();
	Some(words.join("; "))
}

/// Why nobody was awarded a job that expired.
pub fn why_unbid(job: &Value) -> String {
	match refusals(job) {
		Some(reasons) => format!("bids were refused: {reasons}"),
		None => "no provider bid: none that can run it is online, or the max price is below \
		         what they ask (see `market_quote`)"
			.into(),
	}
}

/// One line for the job's state: what a watcher sees change.
pub fn state_line(job: &Value) -> String {
	let state = &job["state"];
	match state["name"].as_str().unwrap_or("?") {
		"bidding" => {
			let bids = job["bids"].as_array().map_or(0, |b| b.len());
			let lowest = job["bids"]
				.as_array()
				.and_then(|b| b.iter().map(|b| market::amount(&b["price"])).min())
				.map_or(String::new(), |p| format!(", lowest {}", format_kiln(p)));
			let refused = refusals(job).map_or(String::new(), |r| format!("; refused: {r}"));
			format!(
				"bidding: {bids} bid(s){lowest}; closes at {}{refused}",
				block(&job["biddingEnds"])
			)
		},
		"awarded" => format!(
			"awarded to {} at {}; running, deadline {}",
			job["award"]["provider"].as_str().unwrap_or("?"),
			kiln(&job["award"]["price"]),
			block(&job["deadline"])
		),
		"committed" => match state["revealRequested"].as_str() {
			Some("notYet") => "result committed; the chain is drawing whether to check it".into(),
			_ => "result committed; the provider is asked to reveal it".into(),
		},
		"revealed" => {
			let check = if job["check"].is_null() {
				String::new()
			} else {
				format!(
					"; being checked by {} verifier(s){}",
					job["check"]["verifiers"],
					if job["check"]["dispute"] == true { " (disputed)" } else { "" }
				)
			};
			let settles = match state["settlesAt"].is_null() {
				true => "when verification decides".to_string(),
				false => format!("at {}", block(&state["settlesAt"])),
			};
			format!("result revealed ({} bytes); settles {settles}{check}", state["output"]["len"])
		},
		"completed" => format!(
			"completed at {}: provider paid {}, fee {}, refunded {}",
			block(&state["endedAt"]),
			kiln(&job["outcome"]["paid"]),
			kiln(&job["outcome"]["fee"]),
			kiln(&job["outcome"]["refunded"])
		),
		"failed" => {
			let why = match job["outcome"]["kind"].as_str() {
				Some("rejected") => format!(
					"verification rejected the result ({})",
					job["outcome"]["rejection"].as_str().unwrap_or("?")
				),
				_ => "the provider missed its deadline".into(),
			};
			format!(
				"failed at {}: {why}; refunded {}, provider slashed {}",
				block(&state["endedAt"]),
				kiln(&job["outcome"]["refunded"]),
				kiln(&job["outcome"]["slashed"])
			)
		},
		"expired" => format!(
			"expired at {} with a full refund: {}",
			block(&state["endedAt"]),
			why_unbid(job)
		),
		"cancelled" => format!("cancelled at {} with a full refund", block(&state["endedAt"])),
		other => format!("in an unknown state {other:?}"),
	}
}

/// `job status`: the whole record in words.
pub fn describe(job: &Value) -> String {
	let w = &job["workload"];
	let r = &job["requirements"];
	let mut out = format!("job {}: {}\n", job["id"], state_line(job));
	out += &format!(
		"  workload: {} ({} {})\n",
		w["kind"].as_str().unwrap_or("?"),
		w["units"],
		w["unit"].as_str().unwrap_or("units")
	);
	out += &format!(
		"  requirements: {} backend, {} GPU(s), {} MiB VRAM, compute capability {}, region {}\n",
		r["backend"].as_str().unwrap_or("?"),
		r["gpuCount"],
		r["minVramMib"],
		r["minComputeCapability"],
		r["region"].as_str().unwrap_or("any")
	);
	out += &format!(
		"  client: {}; max price {}; escrowed {}\n",
		job["client"].as_str().unwrap_or("?"),
		kiln(&job["maxPrice"]),
		kiln(&job["escrowed"])
	);
	out += &format!(
		"  auction: created {}, closes {}\n",
		block(&job["created"]),
		block(&job["biddingEnds"])
	);
	if let Some(bids) = job["bids"].as_array().filter(|b| !b.is_empty()) {
		for b in bids {
			out += &format!(
				"  bid: {} from {}\n",
				kiln(&b["price"]),
				b["provider"].as_str().unwrap_or("?")
			);
		}
	}
	if let Some(reasons) = refusals(job) {
		out += &format!("  refused bids: {reasons}\n");
	}
	if !job["award"].is_null() {
		out += &format!(
			"  award: {} at {} (collateral {}), deadline {}\n",
			job["award"]["provider"].as_str().unwrap_or("?"),
			kiln(&job["award"]["price"]),
			kiln(&job["award"]["collateral"]),
			block(&job["deadline"])
		);
	}
	if !job["result"].is_null() {
		out += &format!(
			"  result: {} ({} bytes) at {}\n",
			job["result"]["hash"].as_str().unwrap_or("?"),
			job["result"]["len"],
			job["result"]["uri"].as_str().unwrap_or("?")
		);
	}
	out
}

/// Whether the job has ended (every state after which nothing changes).
pub fn ended(job: &Value) -> bool {
	matches!(job["state"]["name"].as_str(), Some("completed" | "failed" | "expired" | "cancelled"))
}

/// `job watch`: prints each change until the job ends; an error unless it completed.
pub async fn watch(conn: &Connection, id: u64, poll: Duration) -> Result<Value> {
	let mut last = String::new();
	loop {
		let job = market::job(conn, id).await?;
		let line = state_line(&job);
		if line != last {
			let at = job["at"]["block"]["number"].as_u64().unwrap_or(0);
			println!("[#{at}] job {id} {line}");
			last = line;
		}
		if ended(&job) {
			if job["state"]["name"] == "completed" {
				return Ok(job);
			}
			bail!("job {id} {last}");
		}
		tokio::time::sleep(poll).await;
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use serde_json::json;

	fn job(state: Value) -> Value {
		json!({
			"id": 7, "state": state, "bids": [], "refusals": { "total": 0, "reasons": [] },
			"biddingEnds": { "number": 20, "time": "2026-01-01T00:00:00Z" },
			"award": null, "outcome": null, "check": null, "result": null,
			"workload": { "kind": "gemm", "units": 64, "unit": "multiply-adds" },
			"requirements": { "backend": "cpu", "gpuCount": 0, "minVramMib": 0, "minComputeCapability": 0.0, "region": null },
			"client": "5Grw", "maxPrice": "1000000000000", "escrowed": "1100000000000",
			"created": { "number": 15 }, "deadline": { "number": 30 },
		})
	}

	#[test]
	fn an_unbid_job_says_why() {
		let mut j = job(json!({ "name": "expired", "endedAt": { "number": 20 } }));
		assert!(state_line(&j).contains("no provider bid"), "{}", state_line(&j));
		j["refusals"] = json!({ "total": 3, "reasons": [
			{ "reason": "vram", "count": 2, "meaning": "too little GPU memory for the job" },
			{ "reason": "notProvider", "count": 1, "meaning": "not a registered provider" },
		]});
		let line = state_line(&j);
		assert!(
			line.contains("2 × too little GPU memory for the job; 1 × not a registered provider"),
			"{line}"
		);
		assert!(describe(&j).contains("refused bids: 2 × too little GPU memory"));
		assert!(ended(&j));
	}

	#[test]
	fn states_read_as_words() {
		let mut j = job(json!({ "name": "bidding" }));
		j["bids"] = json!([{ "provider": "5Fhn", "price": "400000000000" }, { "provider": "5Dx", "price": "300000000000" }]);
		assert_eq!(
			state_line(&j),
			"bidding: 2 bid(s), lowest 0.3 KILN; closes at #20 (2026-01-01T00:00:00Z)"
		);
		assert!(!ended(&j));
		let mut done = job(json!({ "name": "completed", "endedAt": { "number": 33 } }));
		done["outcome"] = json!({ "kind": "completed", "paid": "980000000000", "fee": "20000000000", "refunded": "100000000000" });
		assert_eq!(
			state_line(&done),
			"completed at #33: provider paid 0.98 KILN, fee 0.02 KILN, refunded 0.1 KILN"
		);
		let mut rejected = job(json!({ "name": "failed", "endedAt": { "number": 40 } }));
		rejected["outcome"] = json!({ "kind": "rejected", "rejection": "wrongResult", "refunded": "1", "slashed": "2" });
		assert!(state_line(&rejected).contains("verification rejected the result (wrongResult)"));
	}
}
