//! Provider onboarding from the command line: `bond`, `unbond`, `withdraw`, `register`,
//! `deregister` and `status`. Each command checks what it can before it signs anything, so
//! the usual mistakes (not enough balance, already registered, bond too small) get a plain
//! answer instead of a failed transaction; what only the chain can decide comes back as the
//! pallet's own error and its documentation.

use crate::{
	chain::{view::Ledger, AccountId, Connection, Submitter, Tx, Wait},
	config::ProviderSection,
};
use anyhow::{bail, Result};
use kiln_primitives::{currency::DisplayKiln, HardwareProfile};

/// The provider's account as the chain sees it.
pub struct Provider<'a> {
	pub conn: &'a Connection,
	pub signer: Submitter,
}

/// What `kiln-worker status` prints.
pub struct Status {
	pub account: AccountId,
	pub free: u128,
	pub ledger: Ledger,
	pub provider: Option<String>,
}

impl std::fmt::Display for Status {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		writeln!(f, "account:   {}", self.account)?;
		writeln!(f, "free:      {}", DisplayKiln(self.free))?;
		writeln!(
			f,
			"bonded:    {} ({} locked by jobs)",
			DisplayKiln(self.ledger.active),
			DisplayKiln(self.ledger.locked)
		)?;
		for (value, at) in &self.ledger.unlocking {
			writeln!(f, "unbonding: {} withdrawable from block {at}", DisplayKiln(*value))?;
		}
		match &self.provider {
			Some(p) => writeln!(f, "provider:  {p}"),
			None => writeln!(f, "provider:  not registered"),
		}
	}
}

impl<'a> Provider<'a> {
	pub fn new(conn: &'a Connection, signer: Submitter) -> Self {
		Self { conn, signer }
	}

	pub fn account(&self) -> AccountId {
		self.signer.account()
	}

	/// Bonds `amount` (a first bond) or adds it to the bond.
	pub async fn bond(&self, amount: u128) -> Result<()> {
		let who = self.account();
		let at = self.conn.at_finalized().await?;
		let free = at.free_balance(&who).await?;
		let ed = kiln_primitives::currency::EXISTENTIAL_DEPOSIT;
		if free < amount.saturating_add(ed) {
			bail!(
				"not enough balance: {who} has {} free and must keep {} (the existential deposit) \
				 plus the fee; bonding {} is not possible",
				DisplayKiln(free),
				DisplayKiln(ed),
				DisplayKiln(amount)
			);
		}
		if at.ledger(&who).await?.is_some() {
			self.send(Tx::BondExtra(amount)).await
		} else {
			let min_bond = at.min_bond().await?;
			if amount < min_bond {
				bail!(
					"bond too small: a first bond must be at least {} (asked for {})",
					DisplayKiln(min_bond),
					DisplayKiln(amount)
				);
			}
			self.send(Tx::Bond(amount)).await
		}
	}

	pub async fn unbond(&self, amount: u128) -> Result<()> {
		self.send(Tx::Unbond(amount)).await
	}

	pub async fn withdraw(&self) -> Result<()> {
		self.send(Tx::WithdrawUnbonded).await
	}

	/// Registers the machine described in the config.
	pub async fn register(&self, section: &ProviderSection) -> Result<()> {
		let (profile, endpoint) = self.checked_profile(section, false).await?;
		self.send(Tx::Register { profile, endpoint }).await
	}

	/// Replaces the registered profile and endpoint with the config's.
	pub async fn update(&self, section: &ProviderSection) -> Result<()> {
		let (profile, endpoint) = self.checked_profile(section, true).await?;
		self.send(Tx::UpdateProfile { profile, endpoint }).await
	}

	/// The config's profile, checked as the chain will check it: valid, the account
	/// registered (for an update) or not (for a registration), and enough bonded for its GPUs.
	async fn checked_profile(
		&self,
		section: &ProviderSection,
		update: bool,
	) -> Result<(HardwareProfile, Vec<u8>)> {
		let who = self.account();
		let at = self.conn.at_finalized().await?;
		let limits = at.providers_limits().await?;
		let (profile, endpoint) = section.to_profile(limits.max_gpus)?;
		crate::detect::warn_about(&profile);
		let registered = at.provider(&who).await?.is_some();
		match (registered, update) {
			(true, false) => bail!(
				"{who} is already registered as a provider (`kiln-worker update` changes the profile)"
			),
			(false, true) => {
				bail!("{who} is not registered as a provider: run `kiln-worker register` first")
			},
			_ => {},
		}
		// A machine without GPUs bonds like one with a GPU (`HardwareProfile::bond_units`).
		let needed = limits.min_bond_per_gpu.saturating_mul(u128::from(profile.bond_units()));
		let bonded = at.ledger(&who).await?.map_or(0, |l| l.active);
		if bonded < needed {
			bail!(
				"bond too small: {} {} GPUs needs {} bonded ({} per GPU, a CPU-only machine \
				 counting as one), {who} has {}; run `kiln-worker bond {}` first",
				if update { "a profile with" } else { "registering" },
				profile.gpu_count(),
				DisplayKiln(needed),
				DisplayKiln(limits.min_bond_per_gpu),
				DisplayKiln(bonded),
				DisplayKiln(needed - bonded).to_string().trim_end_matches(" KILN"),
			);
		}
		Ok((profile, endpoint))
	}

	pub async fn deregister(&self) -> Result<()> {
		self.send(Tx::Deregister).await
	}

	/// Signs, submits and waits until the transaction is finalized.
	async fn send(&self, tx: Tx) -> Result<()> {
		let hash = self.signer.send(self.conn, &tx, Wait::Finalized).await?;
		println!("{}: finalized (extrinsic {hash})", tx.name());
		Ok(())
	}
}

/// An account's balance, collateral and provider record.
pub async fn status(conn: &Connection, who: AccountId) -> Result<Status> {
	let at = conn.at_finalized().await?;
	let provider = at.provider(&who).await?.map(|p| {
		let r = &p.reputation;
		format!(
			"{}, {} GPUs, endpoint {}, reputation {}/{} jobs and {}/{} challenges passed, {} slashes",
			p.status,
			p.gpus,
			p.endpoint,
			r.jobs_completed,
			r.jobs_completed + r.jobs_failed,
			r.challenges_passed,
			r.challenges_passed + r.challenges_failed,
			r.slashes,
		)
	});
	Ok(Status {
		free: at.free_balance(&who).await?,
		ledger: at.ledger(&who).await?.unwrap_or_default(),
		provider,
		account: who,
	})
}
