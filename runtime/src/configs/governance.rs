//! Governance (SPEC §2): the Council (pallet-collective) and its membership, the origin every
//! market parameter answers to (`AdminOrigin`: Root or two thirds of the Council), the
//! validator set and runtime upgrades (`pallet-governance`), and the equivocation machinery
//! (historical sessions and `pallet-offences`) that lets the chain prove and punish a
//! double-signing validator.

use crate::{
	currency::KILN, time::*, AccountId, Balance, Balances, BlockNumber, Governance, Historical,
	Offences, Runtime, RuntimeCall, RuntimeEvent, RuntimeHoldReason, RuntimeOrigin,
	UncheckedExtrinsic,
};
use frame_support::{
	parameter_types,
	traits::{fungible::HoldConsideration, ConstU32, EitherOfDiverse},
	weights::Weight,
};
use frame_system::EnsureRoot;
use sp_runtime::Perbill;
use sp_staking::SessionIndex;

/// The Council's instance of pallet-collective (and of its membership pallet).
pub type CouncilInstance = pallet_collective::Instance1;

/// At least two thirds of the Council, by motion.
pub type CouncilTwoThirds =
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilInstance, 2, 3>;

/// Who changes market parameters, the validator set, the Council's membership and the
/// runtime, and spends the Treasury: Root (sudo, on dev and local chains only) or a 2/3 Council
/// motion.
pub type AdminOrigin = EitherOfDiverse<EnsureRoot<AccountId>, CouncilTwoThirds>;

parameter_types! {
	/// A motion not closed by then is closed with the prime member's vote for the absent.
	pub const CouncilMotionDuration: BlockNumber = MOTION_DURATION;
	pub const CouncilMaxProposals: u32 = 32;
	pub const CouncilMaxMembers: u32 = 32;
	/// A motion may dispatch at most half a block.
	pub MaxProposalWeight: Weight = Perbill::from_percent(50) * super::RuntimeBlockWeights::get().max_block;
	/// Held from the proposer while a motion is open (released by `release_proposal_cost`).
	pub const ProposalDeposit: Balance = KILN;
	pub const ProposalHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Council(pallet_collective::HoldReason::ProposalSubmission);
}

/// Motions last 3 days; 2 minutes with `fast-runtime`, so tests see one expire.
#[cfg(not(feature = "fast-runtime"))]
pub const MOTION_DURATION: BlockNumber = 3 * DAYS;
#[cfg(feature = "fast-runtime")]
pub const MOTION_DURATION: BlockNumber = 2 * MINUTES;

impl pallet_collective::Config<CouncilInstance> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = CouncilMotionDuration;
	type MaxProposals = CouncilMaxProposals;
	type MaxMembers = CouncilMaxMembers;
	// At the end of a motion the absent vote as the prime member did.
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = crate::weights::pallet_collective::WeightInfo<Runtime>;
	// Membership is managed by CouncilMembership; Root may still reset it directly.
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxProposalWeight;
	type DisapproveOrigin = AdminOrigin;
	type KillOrigin = AdminOrigin;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		ProposalHoldReason,
		pallet_collective::deposit::Constant<ProposalDeposit>,
		u32,
	>;
}

impl pallet_membership::Config<CouncilInstance> for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type AddOrigin = AdminOrigin;
	type RemoveOrigin = AdminOrigin;
	type SwapOrigin = AdminOrigin;
	type ResetOrigin = AdminOrigin;
	type PrimeOrigin = AdminOrigin;
	type MembershipInitialized = crate::Council;
	type MembershipChanged = crate::Council;
	type MaxMembers = CouncilMaxMembers;
	type WeightInfo = crate::weights::pallet_membership::WeightInfo<Runtime>;
}

/// Sessions whose validator roots are kept: equivocations older than this cannot be proven.
pub const HISTORY_DEPTH: SessionIndex = 28;

parameter_types! {
	/// An equivocation report stays valid in the pool for as long as it can be proven.
	pub const ReportLongevity: u64 = HISTORY_DEPTH as u64 * EPOCH_DURATION_IN_SLOTS;
}

impl pallet_governance::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorOrigin = AdminOrigin;
	type UpgradeOrigin = AdminOrigin;
	type MaxValidators = super::MaxAuthorities;
	type MinValidators = ConstU32<1>;
	type HistoryDepth = ConstU32<HISTORY_DEPTH>;
	type WeightInfo = pallet_governance::weights::SubstrateWeight<Runtime>;
}

impl pallet_session::historical::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// Validators stake nothing: the account identifies them fully.
	type FullIdentification = ();
	type FullIdentificationOf = pallet_governance::Identified;
}

impl pallet_offences::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type IdentificationTuple = pallet_session::historical::IdentificationTuple<Self>;
	type OnOffenceHandler = Governance;
}

/// The BABE and GRANDPA equivocation reports, checked against historical sessions.
pub type BabeReports =
	pallet_babe::EquivocationReportSystem<Runtime, Offences, Historical, ReportLongevity>;
pub type GrandpaReports =
	pallet_grandpa::EquivocationReportSystem<Runtime, Offences, Historical, ReportLongevity>;

// Equivocation reports are submitted by the node as unsigned ("bare") transactions; the pallets
// validate them (`ValidateUnsigned`) and they pay no fee.
impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateBare<C> for Runtime
where
	RuntimeCall: From<C>,
{
	fn create_bare(call: RuntimeCall) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_bare(call)
	}
}
