//! How the pallets call each other. Each is implemented by one pallet, wired in the runtime,
//! and mocked in the other pallets' tests.

use crate::{Ineligibility, Outcome, Reputation, Requirements};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{DispatchError, DispatchResult};

/// Why collateral was slashed; carried in `Collateral::Slashed`.
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
pub enum SlashReason {
	MissedDeadline,
	FailedChallenge,
	WrongResult,
	UnansweredSpotCheck,
}

/// The provider registry (implemented by `pallet-providers`).
pub trait ProviderRegistry<AccountId> {
	/// Registered and not paused.
	fn is_active(who: &AccountId) -> bool;
	/// Whether `who` may take a job with `requirements`, and if not the first reason why.
	fn check_eligible(who: &AccountId, requirements: &Requirements) -> Result<(), Ineligibility>;
	fn reputation(who: &AccountId) -> Option<Reputation>;
	/// A job was awarded to `who`: it cannot deregister until the job ends.
	fn job_started(who: &AccountId) -> DispatchResult;
	/// Records an outcome; `JobCompleted` and `JobFailed` also end a job started before.
	fn record_outcome(who: &AccountId, outcome: Outcome);
	/// Up to `max` registered providers (active or not) following `cursor` in storage order,
	/// from the first when `cursor` is `None`; fewer at the end of the registry. Lets a pallet
	/// visit every provider over several blocks with bounded work in each.
	fn providers_after(cursor: Option<&AccountId>, max: u32) -> alloc::vec::Vec<AccountId>;
	/// Registers `who` (already bonded enough, with free balance for the deposit) with a
	/// machine of 8 data-centre GPUs that meets any CUDA or CPU requirements.
	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(who: &AccountId) -> DispatchResult;
}

/// Provider collateral (implemented by `pallet-collateral`).
pub trait Collateral<AccountId> {
	type Balance;
	/// Bonded and not unbonding (includes what jobs have locked).
	fn bonded(who: &AccountId) -> Self::Balance;
	/// Bonded minus locked: what a new job can still lock.
	fn free(who: &AccountId) -> Self::Balance;
	/// Locks `amount` of the bond for a job; fails if not that much is free.
	fn lock(who: &AccountId, amount: Self::Balance) -> DispatchResult;
	/// Unlocks up to `amount` (less if a slash took part of the locked collateral).
	fn unlock(who: &AccountId, amount: Self::Balance);
	/// Slashes up to `amount` (what there is, if less is bonded) and returns what was slashed;
	/// `slash_reward_share` of it goes to `reporter`, the rest to the Treasury.
	fn slash(
		who: &AccountId,
		amount: Self::Balance,
		reason: SlashReason,
		reporter: Option<&AccountId>,
	) -> Self::Balance;
	/// Bonds `amount` for `who` from its free balance, as the `bond` call would.
	#[cfg(feature = "runtime-benchmarks")]
	fn bond_for_benchmark(who: &AccountId, amount: Self::Balance) -> DispatchResult;
}

/// What the collateral pallet asks of whoever uses the bonds (implemented by
/// `pallet-providers`).
pub trait CollateralHooks<AccountId, Balance> {
	/// The least `who` must keep bonded (e.g. `min_bond_per_gpu × gpus` for a registered
	/// provider); `unbond` refuses to go below it.
	fn minimum_bond(who: &AccountId) -> Balance;
	/// `who` was slashed and has `remaining` bonded.
	fn on_slashed(who: &AccountId, remaining: Balance);
}

impl<AccountId, Balance: Default> CollateralHooks<AccountId, Balance> for () {
	fn minimum_bond(_: &AccountId) -> Balance {
		Balance::default()
	}
	fn on_slashed(_: &AccountId, _: Balance) {}
}

/// Identifies a job of the market.
pub type JobId = u64;

/// A client's funds for one job, on hold until the job ends (implemented by `pallet-escrow`).
/// Every payout comes out of what was locked for that job; nothing else can be spent.
pub trait JobEscrow<AccountId> {
	type Balance;
	/// Puts `amount` of `client`'s free balance on hold for `job`; one lock per job.
	fn lock(job: JobId, client: &AccountId, amount: Self::Balance) -> DispatchResult;
	/// Pays `amount` of the job's escrow to `to` (the provider, a verifier).
	fn release_to(job: JobId, to: &AccountId, amount: Self::Balance) -> DispatchResult;
	/// Pays `amount` of the job's escrow to the Treasury as the protocol fee.
	fn collect_fee(job: JobId, amount: Self::Balance) -> DispatchResult;
	/// Returns what is left of the job's escrow to the client and closes it; returns the
	/// amount refunded.
	fn refund(job: JobId) -> Result<Self::Balance, DispatchError>;
	/// What is still held for `job` (zero when there is no escrow).
	fn escrowed(job: JobId) -> Self::Balance;
}

/// How the market verifies a result before it pays (implemented by `pallet-proof-of-compute`;
/// the market's own `SettleAfterWindow` checks nothing and settles `verification_window`
/// blocks after the reveal).
pub trait Verification<AccountId> {
	/// `provider` committed a result for `client`'s job. `true`: the market asks for the
	/// reveal at once; `false`: verification takes over the job's timing and asks for the
	/// reveal later through [`VerifiedMarket::request_reveal`] (e.g. once a spot-check verifier
	/// has committed too, so nobody can copy the result).
	fn on_commit(job: JobId, provider: &AccountId, client: &AccountId) -> bool;
	/// The result `output_hash` was revealed. `true`: the market settles after its
	/// `verification_window`; `false`: verification decides through
	/// [`VerifiedMarket::accept`] or [`VerifiedMarket::reject`].
	fn on_reveal(job: JobId, provider: &AccountId, output_hash: &[u8; 32]) -> bool;
	/// The most `on_commit` costs (added to `commit_result`'s weight).
	fn on_commit_weight() -> sp_runtime::Weight;
	/// The most `on_reveal` costs (added to `reveal_result`'s weight).
	fn on_reveal_weight() -> sp_runtime::Weight;
}

/// What verification needs to know about a job in the market.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct JobView<AccountId, BlockNumber> {
	pub client: AccountId,
	/// The provider the job was awarded to.
	pub provider: AccountId,
	pub requirements: crate::Requirements,
	/// `Some((m, n, k, seed))` for a `Gemm` workload (verified by sampling).
	pub gemm: Option<(u32, u32, u32, [u8; 32])>,
	/// A result is committed and the reveal not asked for yet.
	pub awaiting_reveal_request: bool,
	/// The result is revealed and waits for verification's verdict.
	pub awaiting_verdict: bool,
	/// The block by which the provider must reveal (while the reveal is requested).
	pub deadline: BlockNumber,
}

/// How verification drives the market (implemented by `pallet-market`).
pub trait VerifiedMarket<AccountId, BlockNumber> {
	/// The job, if it is awarded and not ended.
	fn job(job: JobId) -> Option<JobView<AccountId, BlockNumber>>;
	/// Asks the provider to reveal a committed result before `reveal_by` (or the first later
	/// block with room on the market's agenda, which is returned).
	fn request_reveal(job: JobId, reveal_by: BlockNumber) -> Result<BlockNumber, DispatchError>;
	/// The revealed result is right: pays the provider, and `verifiers` an equal share of the
	/// job's verification fee each.
	fn accept(job: JobId, verifiers: &[AccountId]) -> DispatchResult;
	/// The result is wrong (or could not be confirmed): refunds the client what is left after
	/// paying `verifiers` their share of the verification fee; the provider's job collateral
	/// is slashed in full if `wrong` (`SlashReason::WrongResult`), else unlocked.
	fn reject(job: JobId, verifiers: &[AccountId], wrong: bool) -> DispatchResult;
	/// Creates a job of `client` (funded here), awarded to the registered `provider`, with
	/// the result `output_hash` committed and, if `reveal`, revealed (the reveal requested
	/// first if verification held it back), for benchmarks.
	#[cfg(feature = "runtime-benchmarks")]
	fn job_for_benchmark(
		client: &AccountId,
		provider: &AccountId,
		gemm: bool,
		output_hash: [u8; 32],
		reveal: bool,
	) -> Result<JobId, DispatchError>;
}
