//! The verification policy used until proof-of-compute verifies results: ask for the reveal
//! as soon as a result is committed, and settle `verification_window` blocks after the reveal.
//! The runtime swaps it for `ProofOfCompute` in one line (`type Verification = …`).

use kiln_primitives::{CommitDecision, GemmJob, JobId, RevealDecision, Verification};
use sp_runtime::Weight;

/// Checks nothing: every revealed result that matches its commitment is paid.
pub struct SettleAfterWindow;

impl<AccountId> Verification<AccountId> for SettleAfterWindow {
	fn on_commit(
		_job: JobId,
		_provider: &AccountId,
		_client: &AccountId,
	) -> (CommitDecision, Weight) {
		(CommitDecision::RevealNow, Weight::zero())
	}

	fn on_reveal(
		_job: JobId,
		_provider: &AccountId,
		_output_hash: &[u8; 32],
		_gemm: Option<GemmJob>,
	) -> (RevealDecision, Weight) {
		(RevealDecision::SettleAfterWindow, Weight::zero())
	}

	fn on_commit_weight() -> Weight {
		Weight::zero()
	}

	fn on_reveal_weight() -> Weight {
		Weight::zero()
	}
}
