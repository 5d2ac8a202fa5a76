//! The one place that signs: a [`Submitter`] owns the account's key and sends one
//! transaction at a time, each with the nonce the node's pool-aware `system_accountNextIndex`
//! gives (it counts the account's transactions already in the pool). A nonce kept locally
//! goes stale when the node restarts and its pool is lost: every later transaction would then
//! wait forever for the lost one. Before, each transaction read the nonce from the latest
//! finalized block, so a reveal sent before its commit was finalized reused the commit's nonce.

use super::{kiln, tx, AccountId, Connection, KilnConfig, Tx};
use anyhow::{anyhow, Context, Result};
use subxt::{
	config::DefaultExtrinsicParamsBuilder, extrinsics::ExtrinsicEvents, transactions::Payload,
};
use subxt_signer::sr25519::Keypair;
use tokio::sync::Mutex;

/// Signs and sends the worker's transactions.
pub struct Submitter {
	signer: Keypair,
	/// Held from asking for the nonce until the pool has the transaction.
	sending: Mutex<()>,
}

/// How far a sent transaction is followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
	/// Until the pool accepts it (the daemon: the chain's state shows the effect later).
	Pool,
	/// Until its block is finalized; a failed dispatch is an error (the CLI commands).
	Finalized,
}

impl Submitter {
	pub fn new(signer: Keypair) -> Self {
		Self { signer, sending: Mutex::new(()) }
	}

	pub fn account(&self) -> AccountId {
		self.signer.public_key().to_account_id()
	}

	/// An sr25519 signature of `message` (context "substrate", as polkadot.js signs).
	pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
		self.signer.sign(message).0
	}

	/// Signs and sends `tx`; returns its hash as 0x hex. A pool refusal or a failed dispatch
	/// comes back as an error in words (the pallet's error name and documentation).
	pub async fn send(&self, conn: &Connection, tx: &Tx, wait: Wait) -> Result<String> {
		use kiln::transactions as t;
		let what = tx.name();
		match tx {
			Tx::Bond(amount) => self.sign(conn, &t().collateral().bond(*amount), what, wait).await,
			Tx::BondExtra(amount) => {
				self.sign(conn, &t().collateral().bond_extra(*amount), what, wait).await
			},
			Tx::Unbond(amount) => {
				self.sign(conn, &t().collateral().unbond(*amount), what, wait).await
			},
			Tx::WithdrawUnbonded => {
				self.sign(conn, &t().collateral().withdraw_unbonded(), what, wait).await
			},
			Tx::Register { profile, endpoint } => {
				let call = t().providers().register(
					tx::profile(profile),
					kiln::runtime_types::bounded_collections::bounded_vec::BoundedVec(
						endpoint.clone(),
					),
				);
				self.sign(conn, &call, what, wait).await
			},
			Tx::UpdateProfile { profile, endpoint } => {
				let call = t().providers().update_profile(
					tx::profile(profile),
					kiln::runtime_types::bounded_collections::bounded_vec::BoundedVec(
						endpoint.clone(),
					),
				);
				self.sign(conn, &call, what, wait).await
			},
			Tx::Deregister => self.sign(conn, &t().providers().deregister(), what, wait).await,
			Tx::PlaceBid { job, price } => {
				self.sign(conn, &t().market().place_bid(*job, *price), what, wait).await
			},
			Tx::CancelJob { job } => {
				self.sign(conn, &t().market().cancel_job(*job), what, wait).await
			},
			Tx::CommitResult { job, commitment } => {
				self.sign(conn, &t().market().commit_result(*job, *commitment), what, wait).await
			},
			Tx::RevealResult { job, output, salt } => {
				let call = t().market().reveal_result(*job, tx::content(output), *salt);
				self.sign(conn, &call, what, wait).await
			},
			Tx::CommitChallenge { id, root } => {
				let call = t().proof_of_compute().commit_challenge(*id, *root);
				self.sign(conn, &call, what, wait).await
			},
			Tx::RevealChallenge { id, openings } => {
				let call = t().proof_of_compute().reveal_challenge(*id, tx::openings(openings));
				self.sign(conn, &call, what, wait).await
			},
			Tx::CommitSpotCheck { job, commitment } => {
				let call = t().proof_of_compute().commit_spot_check(*job, *commitment);
				self.sign(conn, &call, what, wait).await
			},
			Tx::RevealSpotCheck { job, answer, salt } => {
				let call = t().proof_of_compute().reveal_spot_check(*job, *answer, *salt);
				self.sign(conn, &call, what, wait).await
			},
		}
	}

	async fn sign<Call: Payload>(
		&self,
		conn: &Connection,
		call: &Call,
		what: &str,
		wait: Wait,
	) -> Result<String> {
		let (hash, events) = self.sign_events(conn, call, what, wait).await?;
		Ok(events.map_or(hash, |events| format!("{:?}", events.extrinsic_hash())))
	}

	/// Signs and sends `call`; with [`Wait::Finalized`], returns its events once finalized.
	async fn sign_events<Call: Payload>(
		&self,
		conn: &Connection,
		call: &Call,
		what: &str,
		wait: Wait,
	) -> Result<(String, Option<ExtrinsicEvents<KilnConfig>>)> {
		// Held across asking for the nonce and submitting: nonces go out in order.
		let sending = self.sending.lock().await;
		let nonce = conn
			.rpc
			.system_account_next_index(&self.account())
			.await
			.context("system_accountNextIndex")?;
		let params = DefaultExtrinsicParamsBuilder::<KilnConfig>::new().nonce(nonce).build();
		let result = async {
			let mut txs = conn.api.at_current_block().await?.transactions();
			let signed = txs.create_signed(call, &self.signer, params).await?;
			match wait {
				Wait::Pool => {
					let hash = signed.submit().await.map_err(|e| explain_submit(e.to_string()))?;
					anyhow::Ok((format!("{hash:?}"), None))
				},
				Wait::Finalized => {
					let progress = signed
						.submit_and_watch()
						.await
						.map_err(|e| explain_submit(e.to_string()))?;
					Ok((String::new(), Some(progress)))
				},
			}
		}
		.await;
		drop(sending);
		let (hash, progress) = result.with_context(|| format!("{what} was not accepted"))?;
		let Some(progress) = progress else { return Ok((hash, None)) };
		let events = progress
			.wait_for_finalized_success()
			.await
			.map_err(explain_dispatch)
			.with_context(|| format!("{what} failed"))?;
		Ok((hash, Some(events)))
	}

	/// Creates a job (a client): waits until it is finalized and returns the job's id and the
	/// block its auction closes at.
	pub async fn create_job(
		&self,
		conn: &Connection,
		spec: &kiln_primitives::job::JobSpec<u128, u32>,
	) -> Result<(u64, u32)> {
		// Sent as its SCALE encoding: the runtime decodes the same `kiln_primitives` type.
		let call =
			subxt::tx::dynamic("Market", "create_job", (subxt::utils::Static(spec.clone()),));
		let (_, events) =
			self.sign_events(conn, &call, "Market.create_job", Wait::Finalized).await?;
		let created = events
			.context("no events")?
			.find_first::<kiln::market::events::JobCreated>()
			.context("Market.create_job succeeded without a JobCreated event")?
			.context("cannot decode JobCreated")?;
		Ok((created.job_id, created.bidding_ends))
	}
}

/// The transaction pool's refusals, in words a provider can act on.
fn explain_submit(message: String) -> anyhow::Error {
	if message.contains("Inability to pay some fees") || message.contains("1010") {
		anyhow!("not enough balance to pay the transaction fee ({message})")
	} else {
		anyhow!(message)
	}
}

/// "Providers::AlreadyRegistered: This account is registered already; use `update_profile`."
fn explain_dispatch(e: subxt::error::TransactionFinalizedSuccessError) -> anyhow::Error {
	use subxt::error::{DispatchError, TransactionEventsError, TransactionFinalizedSuccessError};
	if let TransactionFinalizedSuccessError::SuccessError(
		TransactionEventsError::ExtrinsicFailed(DispatchError::Module(module_error)),
	) = &e
	{
		if let Ok(details) = module_error.details() {
			return anyhow!(
				"{}::{}: {}",
				details.pallet.name(),
				details.variant.name,
				details.variant.docs.join(" ")
			);
		}
	}
	anyhow!(e.to_string())
}
