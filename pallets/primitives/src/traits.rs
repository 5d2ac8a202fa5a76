//! How the pallets call each other. Each is implemented by one pallet, wired in the runtime,
//! and mocked in the other pallets' tests.

use crate::{Backends, Ineligibility, Outcome, Reputation, Requirements};
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
	/// Drawn for a spot-check, then did not reveal.
	UnrevealedWhenChecked,
}

/// The provider registry (implemented by `pallet-providers`).
pub trait ProviderRegistry<AccountId> {
	/// Registered and not paused.
	fn is_active(who: &AccountId) -> bool;
	/// Whether `who` may take a job with `requirements`, and if not the first reason why.
	fn check_eligible(who: &AccountId, requirements: &Requirements) -> Result<(), Ineligibility>;
	fn reputation(who: &AccountId) -> Option<Reputation>;
	/// The backends `who` declares (`None` if it is not registered): a hardware challenge is
	/// sized for them.
	fn backends(who: &AccountId) -> Option<Backends>;
	/// A job was awarded to `who`: it cannot deregister until the job ends.
	fn job_started(who: &AccountId) -> DispatchResult;
	/// Records an outcome; `JobCompleted`, `JobFailed` and `JobEnded` also end a job started
	/// before.
	fn record_outcome(who: &AccountId, outcome: Outcome);
	/// How many providers are registered (active or paused).
	fn provider_count() -> u32;
	/// The registered provider at `position` (`0 .. provider_count()`, dense, in no meaningful
	/// order): lets a pallet pick a provider uniformly at random with one read.
	fn provider_at(position: u32) -> Option<AccountId>;
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
	/// Pays up to `amount` of `who`'s locked bond (a bid deposit) to `to`'s free balance and
	/// returns what was paid: the lock and the bond both shrink by it. Less is paid when a
	/// slash took part of the bond, nothing when `to` cannot receive it (the lock is released).
	/// Not a slash: no reputation is lost, but a bond left below its minimum pauses the
	/// provider ([`CollateralHooks::on_forfeited`]).
	fn forfeit(who: &AccountId, amount: Self::Balance, to: &AccountId) -> Self::Balance;
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
	/// `who` forfeited part of its bond (a bid deposit) and has `remaining` bonded.
	fn on_forfeited(_who: &AccountId, _remaining: Balance) {}
	/// `who` has work whose verdict may still slash it (jobs in flight, an open hardware
	/// challenge): what it unbonded stays until that work ends, so it cannot be taken out of
	/// reach of the slash, whatever the unbonding period.
	fn has_work_in_flight(who: &AccountId) -> bool;
}

impl<AccountId, Balance: Default> CollateralHooks<AccountId, Balance> for () {
	fn minimum_bond(_: &AccountId) -> Balance {
		Balance::default()
	}
	fn on_slashed(_: &AccountId, _: Balance) {}
	fn has_work_in_flight(_: &AccountId) -> bool {
		false
	}
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

/// What verification makes of a result that was just committed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CommitDecision {
	/// The market asks for the reveal at once.
	RevealNow,
	/// Verification takes over the job's timing and asks for the reveal later through
	/// [`VerifiedMarket::request_reveal`] (e.g. once a spot-check verifier has committed too,
	/// so nobody can copy the result).
	Hold,
}

/// What verification makes of a result that was just revealed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RevealDecision {
	/// The market settles it after its `verification_window`.
	SettleAfterWindow,
	/// Verification decides through [`VerifiedMarket::accept`] or [`VerifiedMarket::reject`].
	Hold,
}

/// Why verification refuses to pay a result.
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
pub enum Rejection {
	/// Nobody could confirm it either way (no two verifiers agreed): the client is refunded,
	/// nobody is at fault.
	Unconfirmed,
	/// It was found wrong: the provider loses its whole job collateral.
	Wrong,
	/// The provider was drawn for a check and then did not reveal: treated as a wrong result
	/// (otherwise a cheater that learns it is checked would stay silent and lose less).
	UnrevealedWhenChecked,
}

/// How the market verifies a result before it pays (implemented by `pallet-proof-of-compute`;
/// the market's own `SettleAfterWindow` checks nothing and settles `verification_window`
/// blocks after the reveal).
///
/// Each call returns its decision and the weight of the path it took, which the market charges
/// after dispatch; before dispatch it charges the most (`on_commit_weight`, `on_reveal_weight`).
pub trait Verification<AccountId> {
	/// `provider` committed a result for `client`'s job.
	fn on_commit(
		job: JobId,
		provider: &AccountId,
		client: &AccountId,
	) -> (CommitDecision, sp_runtime::Weight);
	/// The result `output_hash` was revealed; `gemm` is the job's workload when it is a
	/// `Gemm` (the market has the job in hand: verification need not read it again).
	fn on_reveal(
		job: JobId,
		provider: &AccountId,
		output_hash: &[u8; 32],
		gemm: Option<GemmJob>,
	) -> (RevealDecision, sp_runtime::Weight);
	/// The most `on_commit` costs (added to `commit_result`'s weight before dispatch).
	fn on_commit_weight() -> sp_runtime::Weight;
	/// The most `on_reveal` costs (added to `reveal_result`'s weight before dispatch).
	fn on_reveal_weight() -> sp_runtime::Weight;
}

/// A `Gemm` workload's shape and seed (verified by sampling).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct GemmJob {
	pub m: u32,
	pub n: u32,
	pub k: u32,
	pub seed: [u8; 32],
}

/// Where a job awarded and not ended stands, as verification sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JobStage {
	/// No result committed yet.
	Running,
	/// A result is committed and verification holds the reveal request back.
	AwaitingRevealRequest,
	/// The reveal is requested (`deadline` is its last block, exclusive).
	RevealRequested,
	/// The result is revealed and settles after the market's window.
	SettlingAfterWindow,
	/// The result is revealed and waits for verification's verdict.
	AwaitingVerdict,
}

/// What verification needs to know about a job in the market.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct JobView<AccountId, BlockNumber> {
	pub client: AccountId,
	/// The provider the job was awarded to.
	pub provider: AccountId,
	pub requirements: crate::Requirements,
	/// Set for a `Gemm` workload (verified by sampling).
	pub gemm: Option<GemmJob>,
	pub stage: JobStage,
	/// The block by which the provider must reveal (while the reveal is requested).
	pub deadline: BlockNumber,
	/// How long the client gave the provider to run the job (its spec's
	/// `execution_blocks`): a verifier re-executing it gets at least as long.
	pub execution_blocks: BlockNumber,
}

/// How verification drives the market (implemented by `pallet-market`).
pub trait VerifiedMarket<AccountId, BlockNumber> {
	/// The job, if it is awarded and not ended.
	fn job(job: JobId) -> Option<JobView<AccountId, BlockNumber>>;
	/// Verification lets go of a committed result it held back (not drawn for a check): the
	/// market asks for the reveal before `reveal_by` (or the first later block with room on its
	/// agenda, which is returned) and owns that deadline (a miss is a missed deadline).
	fn release(job: JobId, reveal_by: BlockNumber) -> Result<BlockNumber, DispatchError>;
	/// Asks the provider to reveal a committed result before `reveal_by`. Verification owns
	/// that deadline: the market does not fail the job at it; verification rejects the job
	/// with [`Rejection::UnrevealedWhenChecked`] if nothing was revealed.
	fn request_reveal(job: JobId, reveal_by: BlockNumber) -> DispatchResult;
	/// The revealed result is right: pays the provider, and `verifiers` an equal share of the
	/// job's verification fee each.
	fn accept(job: JobId, verifiers: &[AccountId]) -> DispatchResult;
	/// The result is not paid (`why`): refunds the client what is left after paying
	/// `verifiers` their share of the verification fee; the provider's job collateral is
	/// slashed in full when it is at fault (`Wrong`, `UnrevealedWhenChecked`), else unlocked.
	fn reject(job: JobId, verifiers: &[AccountId], why: Rejection) -> DispatchResult;
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
