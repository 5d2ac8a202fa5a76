//! A job's record, its bids, why bids were refused, and the pallet's configuration.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use kiln_primitives::{ContentRef, Ineligibility, JobSpec};
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{AtLeast32BitUnsigned, Zero},
	Perbill,
};

/// Largest `percent_of_price` a [`CollateralRule`] may have (100 times the price).
pub const MAX_COLLATERAL_PERCENT: u32 = 10_000;

/// What a provider must lock of its bond while it runs a job:
/// `fixed + price × percent_of_price / 100`.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct CollateralRule<Balance> {
	pub fixed: Balance,
	/// Percent of the job's price (100 = as much as the price; at most
	/// [`MAX_COLLATERAL_PERCENT`]).
	pub percent_of_price: u32,
}

impl<Balance: AtLeast32BitUnsigned + Copy> CollateralRule<Balance> {
	/// The collateral for a job paying `price`; `None` on overflow.
	pub fn for_price(&self, price: Balance) -> Option<Balance> {
		kiln_primitives::currency::fixed_plus_percent(self.fixed, self.percent_of_price, price)
	}
}

/// The market's parameters (governance sets them through `configure`).
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ConfigRecord<Balance, BlockNumber> {
	/// Shortest and longest auction a job may ask for (inclusive).
	pub bidding_blocks: (BlockNumber, BlockNumber),
	/// Shortest and longest execution window a job may ask for (inclusive).
	pub execution_blocks: (BlockNumber, BlockNumber),
	/// Share of the price paid to the Treasury at settlement.
	pub protocol_fee: Perbill,
	/// Locked with the price when a job is created; pays verifiers, refunded when unused.
	pub verification_fee: Balance,
	/// Collateral the winner locks for the job.
	pub job_collateral: CollateralRule<Balance>,
	/// Share of the job collateral slashed when the provider misses its deadline.
	pub slash_missed_deadline: Perbill,
	/// Blocks between the reveal and the settlement (at least 1).
	pub verification_window: BlockNumber,
	/// Pay the second-lowest bid instead of the winner's (a Vickrey reverse auction).
	pub second_price: bool,
	/// Most bids one job takes (at most the runtime's `MaxBidsPerJob`).
	pub max_bids_per_job: u32,
	/// Storage deposit per job record (covers its bid list).
	pub deposit_base: Balance,
	/// Storage deposit per byte of the encoded job spec.
	pub deposit_per_byte: Balance,
	/// How long a finished job's record stays readable before anyone may remove it.
	pub retention_blocks: BlockNumber,
	/// Held from a bidder's free balance while its bid stands (finding 8 of issue 11: bids
	/// cost nothing). Returned when the bid loses, is outbid from a full list, or the job is
	/// cancelled; forfeited to the client when the bidder retracts, or when its bid ranks
	/// first at the close and its provider cannot take the job.
	pub bid_deposit: Balance,
	/// Locked with the price for the verifiers on top of `verification_fee`: this share of
	/// `max_price`, in percent (finding 7 of issue 11: a flat fee paid a verifier less than
	/// re-executing the job cost it). The verifiers whose answers decide share
	/// `verification_fee + verification_percent × price` out of it; the rest goes back.
	pub verification_percent: u32,
	/// The least price at which a completed job counts towards its provider's reputation
	/// (finding 9 of issue 11: reputation was farmed with 1×1×1 self-dealt `Gemm` jobs for
	/// the price of their transaction fees). Each counted job now costs a self-dealer at least
	/// `protocol_fee × reputation_min_price`. A failure counts at any price.
	pub reputation_min_price: Balance,
}

/// Most `verification_percent` may be: three times the price (three verifiers decide a
/// dispute).
pub const MAX_VERIFICATION_PERCENT: u32 = 300;

impl<Balance: AtLeast32BitUnsigned + Copy, BlockNumber> ConfigRecord<Balance, BlockNumber> {
	/// What verifying a job of `price` pays its deciding verifiers in all:
	/// `verification_fee + verification_percent × price` (`None` on overflow). Locked at
	/// `max_price` when the job is created, paid at the awarded price.
	pub fn verification_budget(&self, price: Balance) -> Option<Balance> {
		CollateralRule { fixed: self.verification_fee, percent_of_price: self.verification_percent }
			.for_price(price)
	}
}

/// Longest auction `configure` lets a job ask for: 7 days of 6-second blocks.
pub const MAX_BIDDING_BLOCKS: u32 = 100_800;
/// Longest execution window: 30 days of 6-second blocks.
pub const MAX_EXECUTION_BLOCKS: u32 = 432_000;
/// Longest verification window and retention: a day and 30 days of 6-second blocks.
pub const MAX_VERIFICATION_WINDOW: u32 = 14_400;
pub const MAX_RETENTION_BLOCKS: u32 = 432_000;

/// The field of a [`ConfigRecord`] that `configure` refused (`Error::InvalidConfiguration`).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	frame_support::PalletError,
)]
pub enum ConfigField {
	/// At least 1, shortest ≤ longest ≤ [`MAX_BIDDING_BLOCKS`].
	BiddingBlocks,
	/// At least 1, shortest ≤ longest ≤ [`MAX_EXECUTION_BLOCKS`].
	ExecutionBlocks,
	/// Below 100 %: the provider must be paid something.
	ProtocolFee,
	/// Not zero: verifiers are paid from it.
	VerificationFee,
	/// Not zero (a job must put something at stake), percent at most
	/// [`MAX_COLLATERAL_PERCENT`].
	JobCollateral,
	/// Not zero: missing a deadline must cost something.
	SlashMissedDeadline,
	/// 1 to [`MAX_VERIFICATION_WINDOW`].
	VerificationWindow,
	/// 1 to the runtime's `MaxBidsPerJob`.
	MaxBidsPerJob,
	/// Not zero: every record is paid for.
	DepositBase,
	/// 1 to [`MAX_RETENTION_BLOCKS`].
	RetentionBlocks,
	/// Not zero: a bid must put something at stake.
	BidDeposit,
	/// At most [`MAX_VERIFICATION_PERCENT`].
	VerificationPercent,
}

impl<Balance: Zero, BlockNumber: Zero + PartialOrd + Copy + From<u32>>
	ConfigRecord<Balance, BlockNumber>
{
	/// The first field that breaks the market with a bid list bound of `max_bids_bound`.
	pub fn validate(&self, max_bids_bound: u32) -> Result<(), ConfigField> {
		let window_ok = |(lo, hi): (BlockNumber, BlockNumber), max: u32| {
			!lo.is_zero() && lo <= hi && hi <= max.into()
		};
		let within = |value: BlockNumber, max: u32| !value.is_zero() && value <= max.into();
		if !window_ok(self.bidding_blocks, MAX_BIDDING_BLOCKS) {
			return Err(ConfigField::BiddingBlocks);
		}
		if !window_ok(self.execution_blocks, MAX_EXECUTION_BLOCKS) {
			return Err(ConfigField::ExecutionBlocks);
		}
		if self.protocol_fee == Perbill::one() {
			return Err(ConfigField::ProtocolFee);
		}
		if self.verification_fee.is_zero() {
			return Err(ConfigField::VerificationFee);
		}
		if self.job_collateral.percent_of_price > MAX_COLLATERAL_PERCENT
			|| (self.job_collateral.fixed.is_zero() && self.job_collateral.percent_of_price == 0)
		{
			return Err(ConfigField::JobCollateral);
		}
		if self.slash_missed_deadline.is_zero() {
			return Err(ConfigField::SlashMissedDeadline);
		}
		if !within(self.verification_window, MAX_VERIFICATION_WINDOW) {
			return Err(ConfigField::VerificationWindow);
		}
		if self.max_bids_per_job == 0 || self.max_bids_per_job > max_bids_bound {
			return Err(ConfigField::MaxBidsPerJob);
		}
		if self.deposit_base.is_zero() {
			return Err(ConfigField::DepositBase);
		}
		if !within(self.retention_blocks, MAX_RETENTION_BLOCKS) {
			return Err(ConfigField::RetentionBlocks);
		}
		if self.bid_deposit.is_zero() {
			return Err(ConfigField::BidDeposit);
		}
		if self.verification_percent > MAX_VERIFICATION_PERCENT {
			return Err(ConfigField::VerificationPercent);
		}
		Ok(())
	}
}

/// One provider's offer to run a job.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Bid<AccountId, Balance, BlockNumber> {
	pub provider: AccountId,
	pub price: Balance,
	pub placed_at: BlockNumber,
	/// What the bid keeps locked of its provider's collateral (`bid_deposit` when it was first
	/// placed).
	pub deposit: Balance,
}

/// Why a bid was refused (or its provider passed over at the close).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum BidRefusal {
	/// The provider does not meet the job's requirements (or is not an active provider).
	Ineligible(Ineligibility),
	/// The provider's free collateral cannot cover `job_collateral` for this price.
	Collateral,
}

/// How many bids were refused for a job, by reason: what a client reads to see why nobody
/// (or nobody better) bid.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct RefusalCounts {
	pub not_provider: u32,
	pub paused: u32,
	pub backend: u32,
	pub region: u32,
	pub vram: u32,
	pub compute_capability: u32,
	pub gpu_count: u32,
	pub reputation: u32,
	pub collateral: u32,
}

impl RefusalCounts {
	/// Counts one refusal (saturating).
	pub fn record(&mut self, refusal: BidRefusal) {
		let counter = match refusal {
			BidRefusal::Collateral => &mut self.collateral,
			BidRefusal::Ineligible(reason) => match reason {
				Ineligibility::NotProvider => &mut self.not_provider,
				Ineligibility::Paused => &mut self.paused,
				Ineligibility::Backend => &mut self.backend,
				Ineligibility::Region => &mut self.region,
				Ineligibility::Vram => &mut self.vram,
				Ineligibility::ComputeCapability => &mut self.compute_capability,
				Ineligibility::GpuCount => &mut self.gpu_count,
				Ineligibility::Reputation => &mut self.reputation,
			},
		};
		*counter = counter.saturating_add(1);
	}

	pub fn total(&self) -> u64 {
		[
			self.not_provider,
			self.paused,
			self.backend,
			self.region,
			self.vram,
			self.compute_capability,
			self.gpu_count,
			self.reputation,
			self.collateral,
		]
		.iter()
		.map(|c| u64::from(*c))
		.sum()
	}
}

/// The winner of a job's auction and what it was awarded.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Award<AccountId, Balance, BlockNumber> {
	pub provider: AccountId,
	/// What the client pays (the winning bid, or the runner-up's with `second_price`).
	pub price: Balance,
	/// Locked of the provider's bond until the job ends.
	pub collateral: Balance,
	pub awarded_at: BlockNumber,
}

/// Whether the chain has asked for a committed result's reveal, and who owns its deadline.
///
/// Encoded as the `bool` it replaced was (`false` = 0, `true` = 1), so records written before
/// stay readable.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum RevealRequest {
	/// Verification holds the request back (e.g. while a spot-check is drawn).
	#[codec(index = 0)]
	NotYet,
	/// Requested at the commitment; the market fails the job at its deadline.
	#[codec(index = 1)]
	ByMarket,
	/// Requested by verification after drawing the result for a check; verification owns the
	/// deadline and treats silence as a wrong result.
	#[codec(index = 2)]
	ByVerification,
}

/// Where a job is in its life.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum JobState<BlockNumber> {
	/// The reverse auction runs until `bidding_ends`.
	Bidding,
	/// Awarded; the provider must commit (and reveal) before the deadline.
	Awarded,
	/// A result commitment is on chain; `reveal` says whether the chain has asked for it.
	Committed { commitment: [u8; 32], reveal: RevealRequest },
	/// The result is revealed; it settles at the start of block `settles_at`, or when
	/// verification decides (`None`).
	Revealed { output: ContentRef, settles_at: Option<BlockNumber> },
	/// Settled: the provider was paid.
	Completed { at: BlockNumber },
	/// The provider missed its deadline: the client was refunded, the provider slashed.
	Failed { at: BlockNumber },
	/// The auction ended without an acceptable bid: the client was refunded.
	Expired { at: BlockNumber },
	/// The client cancelled before the award and was refunded.
	Cancelled { at: BlockNumber },
}

impl<BlockNumber: Copy> JobState<BlockNumber> {
	/// When the job ended, if it has.
	pub fn ended_at(&self) -> Option<BlockNumber> {
		match self {
			Self::Completed { at }
			| Self::Failed { at }
			| Self::Expired { at }
			| Self::Cancelled { at } => Some(*at),
			_ => None,
		}
	}
}

/// A job and everything the chain knows about it.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Job<AccountId, Balance, BlockNumber> {
	pub client: AccountId,
	pub spec: JobSpec<Balance, BlockNumber>,
	/// Storage deposit held until the record is removed.
	pub deposit: Balance,
	/// What the client locked in escrow: `max_price + verification_fee`.
	pub escrowed: Balance,
	pub created_at: BlockNumber,
	/// The block whose start closes the auction.
	pub bidding_ends: BlockNumber,
	/// The block whose start fails the job if no result was revealed by then.
	pub deadline: BlockNumber,
	pub state: JobState<BlockNumber>,
	pub award: Option<Award<AccountId, Balance, BlockNumber>>,
	pub refusals: RefusalCounts,
}

/// How a job that was awarded ended, and where its money went (kept with the job's record and
/// dropped with it): what `market_job` shows as the job's outcome.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct JobOutcome<Balance> {
	/// `None`: settled; `Some(why)`: verification rejected the result.
	pub rejected: Option<kiln_primitives::Rejection>,
	/// The provider missed its deadline.
	pub missed_deadline: bool,
	/// To the provider (the price less the protocol fee).
	pub paid: Balance,
	/// To the Treasury.
	pub fee: Balance,
	/// Back to the client out of its escrow.
	pub refunded: Balance,
	/// Out of the provider's bond.
	pub slashed: Balance,
	/// To the verifiers, all together.
	pub verifiers_paid: Balance,
	/// The revealed result, if it was revealed: where the client fetches it and the hash it
	/// must have.
	pub output: Option<ContentRef>,
}

impl<Balance: Zero> JobOutcome<Balance> {
	pub fn settled(
		paid: Balance,
		fee: Balance,
		refunded: Balance,
		verifiers_paid: Balance,
	) -> Self {
		Self {
			rejected: None,
			missed_deadline: false,
			paid,
			fee,
			refunded,
			slashed: Zero::zero(),
			verifiers_paid,
			output: None,
		}
	}
}

impl<BlockNumber> JobState<BlockNumber> {
	/// The revealed result, while the state holds one.
	pub fn output(&self) -> Option<&ContentRef> {
		match self {
			Self::Revealed { output, .. } => Some(output),
			_ => None,
		}
	}
}

/// What the market has done since these counters were added (they only grow, saturating):
/// `market_stats` reads them.
#[derive(
	Clone,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct MarketTotals<Balance> {
	/// Every job ever created; also the id the next job gets (ids count from 0).
	pub jobs_created: u64,
	pub jobs_completed: u64,
	/// Missed deadlines.
	pub jobs_failed: u64,
	/// Results verification did not pay.
	pub jobs_rejected: u64,
	pub jobs_expired: u64,
	pub jobs_cancelled: u64,
	/// Paid to providers for completed jobs (after the protocol fee).
	pub paid_to_providers: Balance,
	/// Protocol fees paid to the Treasury.
	pub protocol_fees: Balance,
	/// Paid to verifiers out of jobs' verification budgets.
	pub paid_to_verifiers: Balance,
	/// Slashed from providers by the market (missed deadlines, rejected results).
	pub slashed: Balance,
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn collateral_rule_scales_with_the_price() {
		let rule = CollateralRule { fixed: 10u128, percent_of_price: 150 };
		assert_eq!(rule.for_price(1_000), Some(1_510));
		let rule = CollateralRule { fixed: 0u128, percent_of_price: 0 };
		assert_eq!(rule.for_price(1_000), Some(0));
		let rule = CollateralRule { fixed: 1u128, percent_of_price: 100 };
		assert_eq!(rule.for_price(u128::MAX), None);
	}

	#[test]
	fn reveal_requests_decode_from_the_bools_they_replaced() {
		use codec::{Decode, Encode};
		assert_eq!(RevealRequest::decode(&mut &false.encode()[..]), Ok(RevealRequest::NotYet));
		assert_eq!(RevealRequest::decode(&mut &true.encode()[..]), Ok(RevealRequest::ByMarket));
		assert_eq!(RevealRequest::ByVerification.encode(), vec![2]);
	}

	#[test]
	fn refusals_are_counted_by_reason() {
		let mut counts = RefusalCounts::default();
		counts.record(BidRefusal::Collateral);
		counts.record(BidRefusal::Ineligible(Ineligibility::Vram));
		counts.record(BidRefusal::Ineligible(Ineligibility::Vram));
		assert_eq!((counts.collateral, counts.vram, counts.total()), (1, 2, 3));
	}
}
