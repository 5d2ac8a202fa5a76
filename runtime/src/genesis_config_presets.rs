//! Genesis presets: `development` (one validator, Alice) and `local_testnet` (four
//! validators: Alice, Bob, Charlie, Dave). Both fund the well-known dev accounts, seat Alice,
//! Bob and Charlie on the Council and make Alice the sudo key (SPEC §2: sudo on dev and local
//! chains only). `public_testnet` is the template of a public network: no sudo key at all.

use crate::{
	configs::{CollateralDefaults, MarketDefaults, ProofOfComputeDefaults},
	currency::{EXISTENTIAL_DEPOSIT, KILN},
	AccountId, BabeConfig, BalancesConfig, BlockNumber, CollateralConfig, CouncilMembershipConfig,
	GovernanceConfig, MarketConfig, ProofOfComputeConfig, RuntimeGenesisConfig, SessionConfig,
	SessionKeys, SudoConfig, BABE_GENESIS_EPOCH_CONFIG,
};
use alloc::{string::String, vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_babe::AuthorityId as BabeId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::traits::AccountIdConversion;

/// What each funded dev account starts with.
pub const ENDOWMENT: u128 = 1_000_000 * KILN;

/// The validator keys of a well-known dev account: sr25519 for BABE, ed25519 for GRANDPA,
/// both derived from the same `//Name` seed.
pub fn authority_keys(babe: Sr25519Keyring, grandpa: Ed25519Keyring) -> (AccountId, SessionKeys) {
	(
		babe.to_account_id(),
		SessionKeys {
			babe: BabeId::from(babe.public()),
			grandpa: GrandpaId::from(grandpa.public()),
		},
	)
}

fn testnet_genesis(
	validators: Vec<(AccountId, SessionKeys)>,
	endowed: Vec<AccountId>,
	council: Vec<AccountId>,
	root: Option<AccountId>,
	unbonding_period: BlockNumber,
	market: pallet_market::ConfigRecord<u128, BlockNumber>,
	proof_of_compute: pallet_proof_of_compute::ConfigRecord<u128, BlockNumber>,
) -> Value {
	let collateral =
		pallet_collateral::ConfigRecord { unbonding_period, ..CollateralDefaults::get() };
	let treasury: AccountId = crate::configs::TreasuryPalletId::get().into_account_truncating();
	let mut balances: Vec<(AccountId, u128)> =
		endowed.into_iter().map(|a| (a, ENDOWMENT)).collect();
	// The Treasury account exists from genesis so that the first fees can be credited to it.
	balances.push((treasury, EXISTENTIAL_DEPOSIT));

	let validator_accounts: Vec<AccountId> = validators.iter().map(|(a, _)| a.clone()).collect();
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig { balances },
		governance: GovernanceConfig { validators: validator_accounts },
		council_membership: CouncilMembershipConfig {
			// The presets' councils are within `CouncilMaxMembers`: nothing is cut.
			members: frame_support::BoundedVec::truncate_from(council),
		},
		session: SessionConfig {
			keys: validators
				.into_iter()
				.map(|(account, keys)| (account.clone(), account, keys))
				.collect::<Vec<_>>(),
		},
		babe: BabeConfig { epoch_config: BABE_GENESIS_EPOCH_CONFIG },
		sudo: SudoConfig { key: root },
		collateral: CollateralConfig { config: Some(collateral) },
		market: MarketConfig { config: Some(market) },
		proof_of_compute: ProofOfComputeConfig { config: Some(proof_of_compute) },
	})
}

fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::invulnerable().map(|k| k.to_account_id()).collect()
}

/// The Council of both presets: Alice, Bob and Charlie (a 2/3 motion needs two of them).
pub fn dev_council() -> Vec<AccountId> {
	[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
		.map(|k| k.to_account_id())
		.to_vec()
}

/// Five blocks (30 s): long enough to see unbonding happen, short enough for tests to wait.
pub const DEV_UNBONDING_PERIOD: BlockNumber = 5;

/// The market on a dev chain: auctions and windows of a few blocks so that a whole job
/// lifecycle fits in a test (bidding from 2 blocks, execution from 3, settlement 2 blocks
/// after the reveal, records droppable 10 blocks after the end).
pub fn dev_market_config() -> pallet_market::ConfigRecord<u128, BlockNumber> {
	pallet_market::ConfigRecord {
		bidding_blocks: (2, MarketDefaults::get().bidding_blocks.1),
		execution_blocks: (3, MarketDefaults::get().execution_blocks.1),
		verification_window: 2,
		retention_blocks: 10,
		// Dev jobs are cheap (a few hundredths of a KILN): they count for reputation and for
		// quotes here; a public chain keeps the 1 KILN default.
		reputation_min_price: KILN / 100,
		..MarketDefaults::get()
	}
}

/// Proof of compute on a dev chain: no hardware challenges and no spot-checks unless a test
/// turns them on (`proofOfCompute.configure` through sudo), small challenges and windows of
/// a few blocks. `Gemm` results are always sampled.
pub fn dev_proof_of_compute_config() -> pallet_proof_of_compute::ConfigRecord<u128, BlockNumber> {
	pallet_proof_of_compute::ConfigRecord {
		challenge_rate: sp_runtime::Perbill::zero(),
		spot_check_probability: sp_runtime::Perbill::zero(),
		m: 64,
		n: 64,
		k: 256,
		cpu_m: 32,
		cpu_n: 32,
		cpu_k: 128,
		commit_blocks: 3,
		reveal_blocks: 5,
		verifier_blocks: 5,
		..ProofOfComputeDefaults::get()
	}
}

/// `development`: Alice is the only validator.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		dev_council(),
		Some(Sr25519Keyring::Alice.to_account_id()),
		DEV_UNBONDING_PERIOD,
		dev_market_config(),
		dev_proof_of_compute_config(),
	)
}

/// Alice, Bob, Charlie and Dave with their dev session keys.
fn four_validators() -> Vec<(AccountId, SessionKeys)> {
	[
		(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
		(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
		(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
	]
	.map(|(babe, grandpa)| authority_keys(babe, grandpa))
	.to_vec()
}

/// `local_testnet`: Alice, Bob, Charlie and Dave validate.
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		four_validators(),
		dev_accounts(),
		dev_council(),
		Some(Sr25519Keyring::Alice.to_account_id()),
		CollateralDefaults::get().unbonding_period,
		MarketDefaults::get(),
		ProofOfComputeDefaults::get(),
	)
}

/// The name of the public network template preset.
pub const PUBLIC_TESTNET_PRESET: &str = "public_testnet";

/// `public_testnet`: the template of a public network's genesis. **No sudo key**: every
/// parameter, the validator set and runtime upgrades are changed by Council motions only
/// (SPEC §2). The validators, Council and balances are the well-known dev accounts as
/// placeholders, which operators replace in the exported plain spec before converting it
/// to raw (docs/governance.md); the market runs on its defaults.
pub fn public_testnet_config_genesis() -> Value {
	testnet_genesis(
		four_validators(),
		dev_accounts(),
		dev_council(),
		None,
		CollateralDefaults::get().unbonding_period,
		MarketDefaults::get(),
		ProofOfComputeDefaults::get(),
	)
}

/// The JSON of a named preset, or `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		PUBLIC_TESTNET_PRESET => public_testnet_config_genesis(),
		_ => return None,
	};
	// Serializing a `serde_json::Value` cannot fail; `ok()` keeps a panic out of the runtime.
	serde_json::to_string(&patch).ok().map(String::into_bytes)
}

/// The names of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(PUBLIC_TESTNET_PRESET),
	]
}
