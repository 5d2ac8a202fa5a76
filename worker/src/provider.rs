//! Provider onboarding from the command line: `bond`, `unbond`, `withdraw`, `register`,
//! `deregister` and `status`. Each command checks what it can before it signs anything, so
//! the usual mistakes (not enough balance, already registered, bond too small) get a plain
//! answer instead of a failed transaction; what only the chain can decide comes back as the
//! pallet's own error and its documentation.

use crate::{
	chain::{kiln, Connection},
	config::ProviderSection,
};
use anyhow::{bail, Context, Result};
use kiln_primitives::{currency::DisplayKiln, HardwareProfile};
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;

use kiln::runtime_types::{
	bounded_collections::bounded_vec::BoundedVec, kiln_primitives::hardware as chain_hw,
};

/// The provider's account as the chain sees it.
pub struct Provider<'a> {
	pub conn: &'a Connection,
	pub signer: Keypair,
}

/// What `kiln-worker status` prints.
pub struct Status {
	pub account: AccountId32,
	pub free: u128,
	pub bonded: u128,
	pub locked: u128,
	pub unlocking: Vec<(u128, u32)>,
	pub provider: Option<String>,
}

impl std::fmt::Display for Status {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		writeln!(f, "account:   {}", self.account)?;
		writeln!(f, "free:      {}", DisplayKiln(self.free))?;
		writeln!(
			f,
			"bonded:    {} ({} locked by jobs)",
			DisplayKiln(self.bonded),
			DisplayKiln(self.locked)
		)?;
		for (value, at) in &self.unlocking {
			writeln!(f, "unbonding: {} withdrawable from block {at}", DisplayKiln(*value))?;
		}
		match &self.provider {
			Some(p) => writeln!(f, "provider:  {p}"),
			None => writeln!(f, "provider:  not registered"),
		}
	}
}

impl<'a> Provider<'a> {
	pub fn new(conn: &'a Connection, signer: Keypair) -> Self {
		Self { conn, signer }
	}

	pub fn account(&self) -> AccountId32 {
		self.signer.public_key().to_account_id()
	}

	/// Bonds `amount` (a first bond) or adds it to the bond.
	pub async fn bond(&self, amount: u128) -> Result<()> {
		let who = self.account();
		let free = free_balance(self.conn, &who).await?;
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
		let ledger =
			fetch(self.conn, kiln::storage().collateral().ledgers(), (who.clone(),)).await?;
		if ledger.is_some() {
			let tx = kiln::transactions().collateral().bond_extra(amount);
			self.submit(&tx, "Collateral.bond_extra").await?;
		} else {
			let config = fetch(self.conn, kiln::storage().collateral().configuration(), ())
				.await?
				.context("the chain has no collateral configuration")?;
			if amount < config.min_bond {
				bail!(
					"bond too small: a first bond must be at least {} (asked for {})",
					DisplayKiln(config.min_bond),
					DisplayKiln(amount)
				);
			}
			let tx = kiln::transactions().collateral().bond(amount);
			self.submit(&tx, "Collateral.bond").await?;
		}
		Ok(())
	}

	pub async fn unbond(&self, amount: u128) -> Result<()> {
		let tx = kiln::transactions().collateral().unbond(amount);
		self.submit(&tx, "Collateral.unbond").await
	}

	pub async fn withdraw(&self) -> Result<()> {
		let tx = kiln::transactions().collateral().withdraw_unbonded();
		self.submit(&tx, "Collateral.withdraw_unbonded").await
	}

	/// Registers the machine described in the config.
	pub async fn register(&self, section: &ProviderSection) -> Result<()> {
		let (profile, endpoint) = self.checked_profile(section, false).await?;
		let tx =
			kiln::transactions().providers().register(to_chain(&profile), BoundedVec(endpoint));
		self.submit(&tx, "Providers.register").await
	}

	/// Replaces the registered profile and endpoint with the config's.
	pub async fn update(&self, section: &ProviderSection) -> Result<()> {
		let (profile, endpoint) = self.checked_profile(section, true).await?;
		let tx = kiln::transactions()
			.providers()
			.update_profile(to_chain(&profile), BoundedVec(endpoint));
		self.submit(&tx, "Providers.update_profile").await
	}

	/// The config's profile, checked as the chain will check it: valid, the account
	/// registered (for an update) or not (for a registration), and enough bonded for its GPUs.
	async fn checked_profile(
		&self,
		section: &ProviderSection,
		update: bool,
	) -> Result<(HardwareProfile, Vec<u8>)> {
		let who = self.account();
		let config = fetch(self.conn, kiln::storage().providers().configuration(), ())
			.await?
			.context("the chain has no providers configuration")?;
		let (profile, endpoint) = section.to_profile(config.max_gpus)?;
		let registered =
			fetch(self.conn, kiln::storage().providers().providers(), (who.clone(),)).await?;
		match (registered.is_some(), update) {
			(true, false) => bail!(
				"{who} is already registered as a provider (`kiln-worker update` changes the profile)"
			),
			(false, true) => {
				bail!("{who} is not registered as a provider: run `kiln-worker register` first")
			},
			_ => {},
		}
		let needed = config.min_bond_per_gpu.saturating_mul(u128::from(profile.gpu_count()));
		let bonded = bonded(self.conn, &who).await?;
		if bonded < needed {
			bail!(
				"bond too small: {} {} GPUs needs {} bonded ({} per GPU), {who} has {}; \
				 run `kiln-worker bond {}` first",
				if update { "a profile with" } else { "registering" },
				profile.gpu_count(),
				DisplayKiln(needed),
				DisplayKiln(config.min_bond_per_gpu),
				DisplayKiln(bonded),
				DisplayKiln(needed - bonded).to_string().trim_end_matches(" KILN"),
			);
		}
		Ok((profile, endpoint))
	}

	pub async fn deregister(&self) -> Result<()> {
		let tx = kiln::transactions().providers().deregister();
		self.submit(&tx, "Providers.deregister").await
	}

	/// Signs, submits and waits until the transaction is finalized; a failed dispatch comes
	/// back as the pallet's error name and documentation.
	async fn submit<Call: subxt::transactions::Payload>(
		&self,
		tx: &Call,
		what: &str,
	) -> Result<()> {
		let at = self.conn.api.at_current_block().await?;
		let progress = at
			.transactions()
			.sign_and_submit_then_watch_default(tx, &self.signer)
			.await
			.map_err(|e| explain_submit_error(e.to_string()))
			.with_context(|| format!("{what} was not accepted"))?;
		let events = progress
			.wait_for_finalized_success()
			.await
			.map_err(explain_dispatch_error)
			.with_context(|| format!("{what} failed"))?;
		println!("{what}: finalized (extrinsic {:?})", events.extrinsic_hash());
		Ok(())
	}
}

/// An account's balance, collateral and provider record.
pub async fn status(conn: &Connection, who: AccountId32) -> Result<Status> {
	let ledger = fetch(conn, kiln::storage().collateral().ledgers(), (who.clone(),)).await?;
	let provider = fetch(conn, kiln::storage().providers().providers(), (who.clone(),)).await?;
	Ok(Status {
		free: free_balance(conn, &who).await?,
		bonded: ledger.as_ref().map_or(0, |l| l.active),
		locked: ledger.as_ref().map_or(0, |l| l.locked),
		unlocking: ledger
			.map(|l| l.unlocking.0.iter().map(|c| (c.value, c.unlock_at)).collect())
			.unwrap_or_default(),
		provider: provider.map(|p| {
			let gpus: u32 = p.profile.gpus.0.iter().map(|g| u32::from(g.count)).sum();
			format!(
				"{:?}, {gpus} GPUs, endpoint {}, reputation {}/{} jobs and {}/{} challenges passed, {} slashes",
				p.status,
				String::from_utf8_lossy(&p.endpoint.0),
				p.reputation.jobs_completed,
				p.reputation.jobs_completed + p.reputation.jobs_failed,
				p.reputation.challenges_passed,
				p.reputation.challenges_passed + p.reputation.challenges_failed,
				p.reputation.slashes,
			)
		}),
		account: who,
	})
}

/// A storage entry at the latest finalized block, `None` where nothing is stored.
async fn fetch<Addr: subxt::storage::Address>(
	conn: &Connection,
	addr: Addr,
	key: Addr::KeyParts,
) -> Result<Option<Addr::Value>> {
	let at = conn.api.at_current_block().await?;
	let value = at.storage().try_fetch(addr, key).await?;
	Ok(value.map(|v| v.decode()).transpose()?)
}

pub async fn free_balance(conn: &Connection, who: &AccountId32) -> Result<u128> {
	let account = fetch(conn, kiln::storage().system().account(), (who.clone(),)).await?;
	Ok(account.map_or(0, |a| a.data.free))
}

pub async fn bonded(conn: &Connection, who: &AccountId32) -> Result<u128> {
	let ledger = fetch(conn, kiln::storage().collateral().ledgers(), (who.clone(),)).await?;
	Ok(ledger.map_or(0, |l| l.active))
}

/// Our profile type as the generated API spells it.
fn to_chain(profile: &HardwareProfile) -> chain_hw::HardwareProfile {
	chain_hw::HardwareProfile {
		gpus: BoundedVec(
			profile
				.gpus
				.iter()
				.map(|g| chain_hw::GpuSpec {
					model: BoundedVec(g.model.to_vec()),
					vram_mib: g.vram_mib,
					compute_capability: g.compute_capability,
					count: g.count,
				})
				.collect(),
		),
		cpu_cores: profile.cpu_cores,
		ram_mib: profile.ram_mib,
		region: chain_hw::Region(profile.region.0),
		backends: chain_hw::Backends { cuda: profile.backends.cuda, cpu: profile.backends.cpu },
	}
}

/// The transaction pool's refusals, in words a provider can act on.
fn explain_submit_error(message: String) -> anyhow::Error {
	if message.contains("Inability to pay some fees") || message.contains("1010") {
		anyhow::anyhow!("not enough balance to pay the transaction fee ({message})")
	} else {
		anyhow::anyhow!(message)
	}
}

/// "Providers::AlreadyRegistered: This account is registered already; use `update_profile`."
fn explain_dispatch_error(e: subxt::error::TransactionFinalizedSuccessError) -> anyhow::Error {
	use subxt::error::{DispatchError, TransactionEventsError, TransactionFinalizedSuccessError};
	if let TransactionFinalizedSuccessError::SuccessError(
		TransactionEventsError::ExtrinsicFailed(DispatchError::Module(module_error)),
	) = &e
	{
		if let Ok(details) = module_error.details() {
			return anyhow::anyhow!(
				"{}::{}: {}",
				details.pallet.name(),
				details.variant.name,
				details.variant.docs.join(" ")
			);
		}
	}
	anyhow::anyhow!(e.to_string())
}
