//! The runtime upgrade path, checked the way `try-runtime` checks it (feature `try-runtime`):
//! every migration in `Migrations` runs with its `pre_upgrade`/`post_upgrade` checks, then
//! every pallet's `try_state`, on the state of each preset with a job, a provider and a bond
//! in flight. Today's migrations are all applied already (their storage versions are current),
//! so they must be no-ops that keep every invariant: the shape the first real migration fills.

use crate::{currency::KILN, tests::preset_ext, Executive, Runtime, RuntimeOrigin, VERSION};
use frame_support::{
	assert_ok,
	traits::{GetStorageVersion, PalletInfoAccess, StorageVersion},
};
use frame_try_runtime::UpgradeCheckSelect;
use sp_keyring::Sr25519Keyring;

/// Pretends the chain last upgraded from the previous `spec_version`, as a node would see it
/// right after `system.apply_authorized_upgrade`.
fn as_if_just_upgraded() {
	frame_system::LastRuntimeUpgrade::<Runtime>::put(frame_system::LastRuntimeUpgradeInfo {
		spec_version: (VERSION.spec_version - 1).into(),
		spec_name: VERSION.spec_name.clone(),
	});
}

fn storage_versions() -> Vec<(&'static str, StorageVersion, StorageVersion)> {
	fn of<P: GetStorageVersion<InCodeStorageVersion = StorageVersion> + PalletInfoAccess>(
	) -> (&'static str, StorageVersion, StorageVersion) {
		(P::name(), P::on_chain_storage_version(), P::in_code_storage_version())
	}
	vec![
		of::<crate::Providers>(),
		of::<crate::Collateral>(),
		of::<crate::Market>(),
		of::<crate::Escrow>(),
		of::<crate::ProofOfCompute>(),
		of::<crate::Governance>(),
	]
}

#[test]
fn every_kiln_pallet_stores_the_version_its_code_expects() {
	for preset in ["development", "local_testnet"] {
		preset_ext(preset).execute_with(|| {
			for (name, on_chain, in_code) in storage_versions() {
				assert_eq!(on_chain, in_code, "{preset}: {name}");
			}
		});
	}
}

#[test]
fn the_migrations_pass_try_runtime_with_state_in_flight() {
	preset_ext("development").execute_with(|| {
		// A provider bonded and registered, and a job it bid on.
		let bob = Sr25519Keyring::Bob.to_account_id();
		let charlie = Sr25519Keyring::Charlie.to_account_id();
		assert_ok!(crate::Collateral::bond(RuntimeOrigin::signed(bob.clone()), 250 * KILN));
		assert_ok!(crate::Providers::register(
			RuntimeOrigin::signed(bob.clone()),
			kiln_test_fixtures::l4(),
			b"https://l4.example.org".to_vec().try_into().expect("a short endpoint"),
		));
		let content = |uri: &str| kiln_test_fixtures::content(uri.as_bytes(), uri);
		let spec = kiln_primitives::JobSpec {
			workload: kiln_primitives::Workload::Wasm {
				module: content("https://example.org/job.wasm"),
				input: content("https://example.org/input"),
				fuel: 1_000_000,
			},
			requirements: kiln_primitives::Requirements {
				min_vram_mib: 16_000,
				min_compute_capability: 80,
				gpu_count: 1,
				backend: kiln_primitives::Backend::Cpu,
				region: None,
				min_reputation: sp_runtime::Perbill::zero(),
			},
			max_price: 10 * KILN,
			bidding_blocks: 2,
			execution_blocks: 5,
		};
		assert_ok!(crate::Market::create_job(RuntimeOrigin::signed(charlie), spec));
		assert_ok!(crate::Market::place_bid(RuntimeOrigin::signed(bob.clone()), 0, 5 * KILN));
		let job = pallet_market::Jobs::<Runtime>::get(0).expect("the job is stored");

		as_if_just_upgraded();
		let weight = Executive::try_runtime_upgrade(UpgradeCheckSelect::All)
			.expect("migrations and try_state pass");
		assert!(weight.ref_time() > 0);
		// Migrating recorded the new version, and changed nothing else the chain holds.
		let upgrade = frame_system::LastRuntimeUpgrade::<Runtime>::get().expect("recorded");
		assert_eq!(upgrade.spec_version, VERSION.spec_version.into());
		for (name, on_chain, in_code) in storage_versions() {
			assert_eq!(on_chain, in_code, "{name}");
		}
		assert!(pallet_providers::Providers::<Runtime>::contains_key(&bob));
		assert_eq!(
			pallet_collateral::Ledgers::<Runtime>::get(&bob).map(|l| l.active),
			Some(250 * KILN)
		);
		assert_eq!(pallet_market::Jobs::<Runtime>::get(0), Some(job));
		assert_eq!(pallet_market::Bids::<Runtime>::get(0).len(), 1);
	});
}
