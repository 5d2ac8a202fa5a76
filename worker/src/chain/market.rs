//! The market as the worker reads it: jobs, bids and the terms of bidding. Jobs are decoded
//! into the worker's own mirror of the pallet's record, with `kiln_primitives`' types for the
//! spec and content, checked field by field against the runtime's type information (a
//! mismatch is a decode error, never a silent misreading).

use super::{
	kiln,
	query::At,
	view::{ClientTerms, MarketJob, MarketPhase, MarketTerms},
	AccountId,
};
use anyhow::{Context, Result};
use kiln_primitives::job::{ContentRef, JobSpec};
use subxt::{
	ext::{scale_decode::DecodeAsType, scale_value::Value},
	storage::dynamic,
	utils::Static,
};

#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct RawJob {
	client: AccountId,
	spec: Static<JobSpec<u128, u32>>,
	#[allow(dead_code)]
	deposit: u128,
	#[allow(dead_code)]
	escrowed: u128,
	#[allow(dead_code)]
	created_at: u32,
	bidding_ends: u32,
	deadline: u32,
	state: RawState,
	award: Option<RawAward>,
	#[allow(dead_code)]
	refusals: Value,
}

#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
enum RawState {
	Bidding,
	Awarded,
	Committed { commitment: [u8; 32], reveal: RawReveal },
	Revealed { output: Static<ContentRef>, settles_at: Option<u32> },
	Completed { at: u32 },
	Failed { at: u32 },
	Expired { at: u32 },
	Cancelled { at: u32 },
}

#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
enum RawReveal {
	NotYet,
	ByMarket,
	ByVerification,
}

#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct RawAward {
	provider: AccountId,
	price: u128,
	#[allow(dead_code)]
	collateral: u128,
	#[allow(dead_code)]
	awarded_at: u32,
}

#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct RawBid {
	provider: AccountId,
	price: u128,
	#[allow(dead_code)]
	placed_at: u32,
	#[allow(dead_code)]
	deposit: u128,
}

fn phase(state: RawState) -> MarketPhase {
	match state {
		RawState::Bidding => MarketPhase::Bidding,
		RawState::Awarded => MarketPhase::Awarded,
		RawState::Committed { commitment, reveal } => MarketPhase::Committed {
			commitment,
			reveal_requested: !matches!(reveal, RawReveal::NotYet),
		},
		RawState::Revealed { output, settles_at } => {
			MarketPhase::Revealed { output: output.0, settles_at }
		},
		RawState::Completed { at } => MarketPhase::Completed { at },
		RawState::Failed { at } => MarketPhase::Failed { at },
		RawState::Expired { at } => MarketPhase::Expired { at },
		RawState::Cancelled { at } => MarketPhase::Cancelled { at },
	}
}

impl At {
	/// Every job the chain still holds, with `me`'s bid on each.
	pub async fn market_jobs(&self, me: &AccountId) -> Result<Vec<MarketJob>> {
		let mut jobs = Vec::new();
		let mut entries = self
			.storage()
			.iter(dynamic::<(u64,), RawJob>("Market", "Jobs"), ())
			.await
			.context("cannot list Market.Jobs")?;
		while let Some(entry) = entries.next().await {
			let entry = entry.context("cannot read Market.Jobs")?;
			let (id,) = entry.key()?.decode().context("a Market.Jobs key")?;
			let raw = entry.value().decode().context("a Market.Jobs record")?;
			jobs.push((id, raw));
		}
		let mut out = Vec::with_capacity(jobs.len());
		for (id, raw) in jobs {
			let our_bid = if matches!(raw.state, RawState::Bidding) {
				let bids = self
					.storage()
					.fetch(dynamic::<(u64,), Vec<RawBid>>("Market", "Bids"), (id,))
					.await
					.context("cannot read Market.Bids")?
					.decode()?;
				bids.into_iter().find(|b| &b.provider == me).map(|b| b.price)
			} else {
				None
			};
			out.push(MarketJob {
				id,
				client: raw.client,
				spec: raw.spec.0,
				bidding_ends: raw.bidding_ends,
				deadline: raw.deadline,
				award: raw.award.map(|a| (a.provider, a.price)),
				phase: phase(raw.state),
				our_bid,
			});
		}
		Ok(out)
	}

	/// What posting a job costs and which windows it may ask for.
	pub async fn client_terms(&self) -> Result<ClientTerms> {
		let config = self
			.fetch_typed(kiln::storage().market().configuration(), ())
			.await?
			.context("the chain has no market configuration")?;
		Ok(ClientTerms {
			bidding_blocks: config.bidding_blocks,
			execution_blocks: config.execution_blocks,
			protocol_fee_perbill: config.protocol_fee.0,
			verification_fee: config.verification_fee,
			verification_percent: config.verification_percent,
			deposit_base: config.deposit_base,
			deposit_per_byte: config.deposit_per_byte,
		})
	}

	/// What bidding costs, and the block time.
	pub async fn market_terms(&self) -> Result<MarketTerms> {
		let config = self
			.fetch_typed(kiln::storage().market().configuration(), ())
			.await?
			.context("the chain has no market configuration")?;
		let block_ms = self
			.constant(kiln::constants().babe().expected_block_time())
			.context("Babe::ExpectedBlockTime")?;
		Ok(MarketTerms {
			collateral_fixed: config.job_collateral.fixed,
			collateral_percent: config.job_collateral.percent_of_price,
			bid_deposit: config.bid_deposit,
			block_seconds: (block_ms / 1000).max(1),
		})
	}
}
