//! Stories of one provider joining, working and leaving; both pallets' `try_state` runs after
//! each.

use crate::{
	asset, mock::*, ActiveProviders, ConfigRecord, Configuration, Error, Event, PauseReason,
	ProviderStatus, Providers as ProviderRecords,
};
use codec::Encode;
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use kiln_primitives::{
	Backend, Backends, Collateral as _, Ineligibility, Outcome, ProviderRegistry, Region,
	Requirements, SlashReason,
};
use sp_runtime::{DispatchError, Perbill};

fn bond(who: AccountId, amount: Balance) {
	assert_ok!(Collateral::bond(RuntimeOrigin::signed(who), amount));
}

fn register(who: AccountId, gpus: u16) {
	assert_ok!(Providers::register(
		RuntimeOrigin::signed(who),
		profile(gpus),
		endpoint("https://worker.example.org")
	));
}

fn deposit_for(gpus: u16, url: &str) -> Balance {
	DEPOSIT_BASE + DEPOSIT_PER_BYTE * (profile(gpus).encoded_size() + url.len()) as Balance
}

fn status(who: AccountId) -> ProviderStatus {
	ProviderRecords::<Test>::get(who).unwrap().status
}

fn requirements(gpu_count: u16) -> Requirements {
	Requirements {
		min_vram_mib: 16_000,
		min_compute_capability: 80,
		gpu_count,
		backend: Backend::Cuda,
		region: None,
		min_reputation: Perbill::zero(),
	}
}

#[test]
fn register_with_enough_bond_holds_the_deposit() {
	build_and_execute(|| {
		bond(1, 2 * MIN_BOND_PER_GPU);
		register(1, 2);
		let deposit = deposit_for(2, "https://worker.example.org");
		let record = ProviderRecords::<Test>::get(1).unwrap();
		assert_eq!(record.profile, profile(2));
		assert_eq!(record.endpoint, endpoint("https://worker.example.org"));
		assert_eq!(record.status, ProviderStatus::Active);
		assert_eq!(record.deposit, deposit);
		assert_eq!(record.registered_at, 1);
		assert_eq!(asset::held::<Test>(&1), deposit);
		assert_eq!(Balances::balance(&1), INITIAL_BALANCE - 2 * MIN_BOND_PER_GPU - deposit);
		assert_eq!(ActiveProviders::<Test>::get(), 1);
		assert_eq!(events(), vec![Event::Registered { provider: 1, gpus: 2, deposit }]);
		assert!(Providers::is_active(&1));
		assert_eq!(Providers::reputation(&1).unwrap().score(), Perbill::from_percent(50));
	});
}

#[test]
fn register_errors() {
	build_and_execute(|| {
		let url = endpoint("https://w.example");
		// No bond, then a bond for one GPU when two are offered.
		assert_noop!(
			Providers::register(RuntimeOrigin::signed(1), profile(2), url.clone()),
			Error::<Test>::InsufficientBond
		);
		bond(1, MIN_BOND_PER_GPU);
		assert_noop!(
			Providers::register(RuntimeOrigin::signed(1), profile(2), url.clone()),
			Error::<Test>::InsufficientBond
		);
		assert_noop!(
			Providers::register(RuntimeOrigin::signed(1), profile(0), url.clone()),
			Error::<Test>::NoGpus
		);
		assert_noop!(
			Providers::register(
				RuntimeOrigin::signed(1),
				profile(MAX_GPUS as u16 + 1),
				url.clone()
			),
			Error::<Test>::TooManyGpus
		);
		let mut bad = profile(1);
		bad.gpus[0].model = Default::default();
		assert_noop!(
			Providers::register(RuntimeOrigin::signed(1), bad, url.clone()),
			Error::<Test>::InvalidGpuModel
		);
		let mut bad = profile(1);
		bad.region = Region(*b"d1");
		assert_noop!(
			Providers::register(RuntimeOrigin::signed(1), bad, url.clone()),
			Error::<Test>::InvalidRegion
		);
		let mut bad = profile(1);
		bad.backends = Backends::default();
		assert_noop!(
			Providers::register(RuntimeOrigin::signed(1), bad, url.clone()),
			Error::<Test>::NoBackend
		);
		assert_noop!(
			Providers::register(RuntimeOrigin::signed(1), profile(1), endpoint("ftp://w")),
			Error::<Test>::InvalidEndpoint
		);
		assert_noop!(
			Providers::register(RuntimeOrigin::none(), profile(1), url.clone()),
			DispatchError::BadOrigin
		);
		register(1, 1);
		assert_noop!(
			Providers::register(RuntimeOrigin::signed(1), profile(1), url),
			Error::<Test>::AlreadyRegistered
		);
	});
}

/// A CPU-only machine registers without listing GPUs, and bonds like a one-GPU provider: a
/// Sybil of CPU-only providers (enough of them could reach the verifiers' one-third bound)
/// pays that bond for each, not nothing.
#[test]
fn a_cpu_only_provider_registers_without_gpus_and_bonds_like_one_gpu() {
	build_and_execute(|| {
		let cpu =
			kiln_test_fixtures::cpu_only(kiln_test_fixtures::machine(vec![], 8, 16_384, *b"DE"));
		let url = endpoint("https://cpu.example");
		bond(1, MIN_BOND_PER_GPU - 1);
		assert_noop!(
			Providers::register(RuntimeOrigin::signed(1), cpu.clone(), url.clone()),
			Error::<Test>::InsufficientBond
		);
		assert_ok!(Collateral::bond_extra(RuntimeOrigin::signed(1), 1));
		assert_ok!(Providers::register(RuntimeOrigin::signed(1), cpu.clone(), url.clone()));
		assert_eq!(crate::Providers::<Test>::get(1).unwrap().profile.gpu_count(), 0);
		// The bond cannot go under one unit while registered.
		assert_noop!(
			Collateral::unbond(RuntimeOrigin::signed(1), 1),
			pallet_collateral::Error::<Test>::BelowProviderMinimum
		);
		// Offering CUDA without listing a GPU is still refused.
		let mut cuda = cpu;
		cuda.backends.cuda = true;
		assert_noop!(
			Providers::update_profile(RuntimeOrigin::signed(1), cuda, url),
			Error::<Test>::NoGpus
		);
	});
}

#[test]
fn register_needs_balance_for_the_deposit() {
	build_and_execute(|| {
		// Account 8 bonds all but a few plancks.
		bond(8, INITIAL_BALANCE - ED - 5);
		assert_noop!(
			Providers::register(RuntimeOrigin::signed(8), profile(1), endpoint("http://w")),
			Error::<Test>::InsufficientBalanceForDeposit
		);
	});
}

#[test]
fn update_profile_adjusts_the_deposit_and_checks_the_bond() {
	build_and_execute(|| {
		bond(1, 4 * MIN_BOND_PER_GPU);
		register(1, 2);
		let long = "https://a-much-longer-endpoint.example.org/kiln/results";
		assert_ok!(Providers::update_profile(RuntimeOrigin::signed(1), profile(4), endpoint(long)));
		assert_eq!(asset::held::<Test>(&1), deposit_for(4, long));
		assert_eq!(events().last(), Some(&Event::ProfileUpdated { provider: 1, gpus: 4 }));
		// Shorter again: part of the deposit comes back.
		assert_ok!(Providers::update_profile(
			RuntimeOrigin::signed(1),
			profile(1),
			endpoint("http://w")
		));
		assert_eq!(asset::held::<Test>(&1), deposit_for(1, "http://w"));
		assert_eq!(ProviderRecords::<Test>::get(1).unwrap().profile, profile(1));
		assert_noop!(
			Providers::update_profile(RuntimeOrigin::signed(1), profile(5), endpoint("http://w")),
			Error::<Test>::InsufficientBond
		);
		assert_noop!(
			Providers::update_profile(RuntimeOrigin::signed(1), profile(1), endpoint("w")),
			Error::<Test>::InvalidEndpoint
		);
		assert_noop!(
			Providers::update_profile(RuntimeOrigin::signed(2), profile(1), endpoint("http://w")),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn update_profile_needs_balance_for_a_larger_deposit() {
	build_and_execute(|| {
		bond(8, 2 * MIN_BOND_PER_GPU);
		register(8, 1);
		// Bond everything but the existential deposit and a few plancks.
		let free = Balances::balance(&8);
		assert_ok!(Collateral::bond_extra(RuntimeOrigin::signed(8), free - ED - 3));
		let long = "https://a-much-longer-endpoint.example.org/kiln/results";
		assert_noop!(
			Providers::update_profile(RuntimeOrigin::signed(8), profile(1), endpoint(long)),
			Error::<Test>::InsufficientBalanceForDeposit
		);
	});
}

#[test]
fn pause_and_resume() {
	build_and_execute(|| {
		bond(1, MIN_BOND_PER_GPU);
		register(1, 1);
		assert_ok!(Providers::pause(RuntimeOrigin::signed(1)));
		assert_eq!(status(1), ProviderStatus::Paused);
		assert_eq!(ActiveProviders::<Test>::get(), 0);
		assert_eq!(
			events().last(),
			Some(&Event::Paused { provider: 1, reason: PauseReason::ByProvider })
		);
		assert_eq!(Providers::check_eligible(&1, &requirements(1)), Err(Ineligibility::Paused));
		assert_noop!(Providers::pause(RuntimeOrigin::signed(1)), Error::<Test>::AlreadyPaused);
		assert_ok!(Providers::resume(RuntimeOrigin::signed(1)));
		assert_eq!(status(1), ProviderStatus::Active);
		assert_eq!(ActiveProviders::<Test>::get(), 1);
		assert_eq!(events().last(), Some(&Event::Resumed { provider: 1 }));
		assert_noop!(Providers::resume(RuntimeOrigin::signed(1)), Error::<Test>::NotPaused);
		assert_noop!(Providers::pause(RuntimeOrigin::signed(2)), Error::<Test>::NotRegistered);
		assert_noop!(Providers::resume(RuntimeOrigin::signed(2)), Error::<Test>::NotRegistered);
	});
}

#[test]
fn deregister_returns_the_deposit_and_frees_the_bond() {
	build_and_execute(|| {
		bond(1, 2 * MIN_BOND_PER_GPU);
		register(1, 2);
		// The registry's minimum keeps the bond in place...
		assert_noop!(
			Collateral::unbond(RuntimeOrigin::signed(1), 1),
			pallet_collateral::Error::<Test>::BelowProviderMinimum
		);
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(1)));
		assert_eq!(events().last(), Some(&Event::Deregistered { provider: 1 }));
		assert!(ProviderRecords::<Test>::get(1).is_none());
		assert_eq!(asset::held::<Test>(&1), 0);
		assert_eq!(ActiveProviders::<Test>::get(), 0);
		// ...until the provider has left.
		assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), 2 * MIN_BOND_PER_GPU));
		run_to_block(1 + UNBONDING_PERIOD);
		assert_ok!(Collateral::withdraw_unbonded(RuntimeOrigin::signed(1)));
		assert_eq!(Balances::balance(&1), INITIAL_BALANCE);
		assert_noop!(Providers::deregister(RuntimeOrigin::signed(1)), Error::<Test>::NotRegistered);
	});
}

#[test]
fn deregister_is_refused_while_jobs_are_in_flight() {
	build_and_execute(|| {
		bond(1, MIN_BOND_PER_GPU);
		register(1, 1);
		assert_ok!(Providers::job_started(&1));
		assert_ok!(Providers::job_started(&1));
		assert_noop!(Providers::deregister(RuntimeOrigin::signed(1)), Error::<Test>::JobsInFlight);
		Providers::record_outcome(&1, Outcome::JobCompleted);
		assert_noop!(Providers::deregister(RuntimeOrigin::signed(1)), Error::<Test>::JobsInFlight);
		Providers::record_outcome(&1, Outcome::JobFailed);
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(1)));
		assert_noop!(Providers::job_started(&1), Error::<Test>::NotRegistered);
	});
}

#[test]
fn a_slash_under_the_minimum_pauses_the_provider_until_it_bonds_again() {
	build_and_execute(|| {
		bond(1, 2 * MIN_BOND_PER_GPU + 50);
		register(1, 2);
		// 50 over the minimum: a slash of 50 leaves it active.
		Collateral::slash(&1, 50, SlashReason::MissedDeadline, None);
		assert_eq!(status(1), ProviderStatus::Active);
		Collateral::slash(&1, 1, SlashReason::WrongResult, Some(&2));
		assert_eq!(status(1), ProviderStatus::Underbonded);
		assert_eq!(ActiveProviders::<Test>::get(), 0);
		assert_eq!(
			events().last(),
			Some(&Event::Paused { provider: 1, reason: PauseReason::Underbonded })
		);
		assert_eq!(Providers::reputation(&1).unwrap().slashes, 2);
		assert_noop!(Providers::resume(RuntimeOrigin::signed(1)), Error::<Test>::InsufficientBond);
		assert_ok!(Collateral::bond_extra(RuntimeOrigin::signed(1), 1));
		assert_ok!(Providers::resume(RuntimeOrigin::signed(1)));
		assert_eq!(status(1), ProviderStatus::Active);
	});
}

#[test]
fn a_forfeit_under_the_minimum_pauses_the_provider_but_costs_no_reputation() {
	build_and_execute(|| {
		bond(1, 2 * MIN_BOND_PER_GPU + 50);
		register(1, 2);
		// A bid deposit of 60, locked then forfeited to account 2.
		assert_ok!(Collateral::lock(&1, 60));
		assert_eq!(Collateral::forfeit(&1, 50, &2), 50);
		assert_eq!(status(1), ProviderStatus::Active);
		assert_eq!(Collateral::forfeit(&1, 10, &2), 10);
		assert_eq!(status(1), ProviderStatus::Underbonded);
		assert_eq!(ActiveProviders::<Test>::get(), 0);
		assert_eq!(
			events().last(),
			Some(&Event::Paused { provider: 1, reason: PauseReason::Underbonded })
		);
		assert_eq!(Providers::reputation(&1).unwrap().slashes, 0);
		assert_ok!(Collateral::bond_extra(RuntimeOrigin::signed(1), 10));
		assert_ok!(Providers::resume(RuntimeOrigin::signed(1)));
	});
}

#[test]
fn eligibility_names_the_reason() {
	build_and_execute(|| {
		assert_eq!(
			Providers::check_eligible(&1, &requirements(1)),
			Err(Ineligibility::NotProvider)
		);
		bond(1, 2 * MIN_BOND_PER_GPU);
		register(1, 2);
		assert_eq!(Providers::check_eligible(&1, &requirements(2)), Ok(()));
		assert_eq!(Providers::check_eligible(&1, &requirements(3)), Err(Ineligibility::GpuCount));
		let mut needs_more_vram = requirements(1);
		needs_more_vram.min_vram_mib = 40_000;
		assert_eq!(Providers::check_eligible(&1, &needs_more_vram), Err(Ineligibility::Vram));
		let mut needs_reputation = requirements(1);
		needs_reputation.min_reputation = Perbill::from_percent(60);
		assert_eq!(
			Providers::check_eligible(&1, &needs_reputation),
			Err(Ineligibility::Reputation)
		);
		Providers::record_outcome(&1, Outcome::ChallengePassed);
		// (1 + 1) / (1 + 2) = 66.7 %
		assert_eq!(Providers::check_eligible(&1, &needs_reputation), Ok(()));
		Providers::record_outcome(&1, Outcome::ChallengeFailed);
		let reputation = Providers::reputation(&1).unwrap();
		assert_eq!((reputation.challenges_passed, reputation.challenges_failed), (1, 1));
	});
}

#[test]
fn configure_is_for_the_admin_only_and_validated() {
	build_and_execute(|| {
		let config = ConfigRecord {
			min_bond_per_gpu: 500,
			deposit_base: 1,
			deposit_per_byte: 0,
			max_gpus: 2,
		};
		assert_noop!(
			Providers::configure(RuntimeOrigin::signed(1), config.clone()),
			DispatchError::BadOrigin
		);
		use crate::ConfigField as F;
		for (bad, field) in [
			(ConfigRecord { min_bond_per_gpu: 0, ..config.clone() }, F::MinBondPerGpu),
			(ConfigRecord { deposit_base: 0, ..config.clone() }, F::DepositBase),
			(ConfigRecord { max_gpus: 0, ..config.clone() }, F::MaxGpus),
			(ConfigRecord { max_gpus: crate::MAX_GPUS_LIMIT + 1, ..config.clone() }, F::MaxGpus),
		] {
			assert_noop!(
				Providers::configure(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidConfiguration { field }
			);
		}
		assert_ok!(Providers::configure(RuntimeOrigin::root(), config.clone()));
		assert_eq!(Configuration::<Test>::get(), config);
		assert_eq!(events().last(), Some(&Event::ConfigurationSet { config }));
		bond(1, 999);
		assert_noop!(
			Providers::register(RuntimeOrigin::signed(1), profile(2), endpoint("http://w")),
			Error::<Test>::InsufficientBond
		);
		assert_noop!(
			Providers::register(RuntimeOrigin::signed(1), profile(3), endpoint("http://w")),
			Error::<Test>::TooManyGpus
		);
		assert_ok!(Collateral::bond_extra(RuntimeOrigin::signed(1), 1));
		register(1, 2);
		assert_eq!(asset::held::<Test>(&1), 1);
	});
}

#[test]
fn try_state_catches_a_wrong_counter_or_deposit() {
	new_test_ext().execute_with(|| {
		bond(1, MIN_BOND_PER_GPU);
		register(1, 1);
		assert_ok!(Providers::do_try_state());
		ActiveProviders::<Test>::put(2);
		assert!(Providers::do_try_state().is_err());
		ActiveProviders::<Test>::put(1);
		ProviderRecords::<Test>::mutate(1, |r| r.as_mut().unwrap().deposit += 1);
		assert!(Providers::do_try_state().is_err());
	});
}

/// Finding 4 of issue 11: every registered provider has one dense position, whatever its key,
/// so a position drawn uniformly picks every provider with the same chance; leaving moves the
/// last provider into the freed position.
#[test]
fn every_provider_has_one_dense_position_and_leaving_keeps_it_dense() {
	use crate::{ProviderAt, ProviderIndex};
	build_and_execute(|| {
		for who in 1..=5 {
			bond(who, MIN_BOND_PER_GPU);
			register(who, 1);
		}
		assert_eq!(Providers::provider_count(), 5);
		let mut seen: Vec<_> = (0..5).filter_map(Providers::provider_at).collect();
		seen.sort();
		assert_eq!(seen, vec![1, 2, 3, 4, 5]);
		assert_eq!(Providers::provider_at(5), None);
		// The second provider leaves: the last takes its position.
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(2)));
		assert_eq!(Providers::provider_count(), 4);
		assert_eq!(Providers::provider_at(1), Some(5));
		assert_eq!(ProviderIndex::<Test>::get(5), Some(1));
		assert_eq!(ProviderIndex::<Test>::get(2), None);
		assert_eq!(Providers::provider_at(4), None);
		// The last one leaves: nothing moves.
		let last = Providers::provider_at(3).unwrap();
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(last)));
		assert_eq!(ProviderAt::<Test>::iter().count(), 3);
		Providers::do_try_state().unwrap();
		// Registering again appends.
		register(2, 1);
		assert_eq!(Providers::provider_at(3), Some(2));
	});
}

#[test]
fn the_v1_migration_builds_the_index_of_an_existing_registry() {
	use crate::{migrations, ProviderAt, ProviderIndex};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	build_and_execute(|| {
		for who in 1..=4 {
			bond(who, MIN_BOND_PER_GPU);
			register(who, 1);
		}
		// A registry written before the index existed.
		let _ = ProviderAt::<Test>::clear(u32::MAX, None);
		let _ = ProviderIndex::<Test>::clear(u32::MAX, None);
		StorageVersion::new(0).put::<Providers>();
		assert!(Providers::do_try_state().is_err());
		migrations::V1::<Test>::on_runtime_upgrade();
		assert_eq!(Providers::on_chain_storage_version(), StorageVersion::new(1));
		Providers::do_try_state().unwrap();
		// Run again, it does nothing (the version is 1 already): a damaged index stays so.
		let position = ProviderIndex::<Test>::take(1).unwrap();
		migrations::V1::<Test>::on_runtime_upgrade();
		assert_eq!(ProviderIndex::<Test>::get(1), None);
		ProviderIndex::<Test>::insert(1, position);
	});
}

#[test]
fn leaving_and_registering_again_does_not_reset_a_reputation() {
	// Finding 9 of issue 11: deregistering dropped the record, reputation included, so a
	// provider with a bad record came back as a newcomer (50 %).
	build_and_execute(|| {
		bond(1, 2 * MIN_BOND_PER_GPU);
		register(1, 1);
		for _ in 0..3 {
			Providers::record_outcome(&1, Outcome::ChallengeFailed);
		}
		let bad = Providers::reputation(&1).unwrap();
		assert!(bad.score() < Perbill::from_percent(50));
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(1)));
		// A failure that lands after it left still counts.
		Providers::record_outcome(&1, Outcome::ChallengeFailed);
		register(1, 1);
		let back = Providers::reputation(&1).unwrap();
		assert_eq!(back.challenges_failed, bad.challenges_failed + 1);
		assert!(back.score() < bad.score());
		// A newcomer still starts at 50 %.
		bond(2, MIN_BOND_PER_GPU);
		register(2, 1);
		assert_eq!(Providers::reputation(&2).unwrap().score(), Perbill::from_percent(50));
	});
}

#[test]
fn unbonded_collateral_cannot_be_withdrawn_while_a_job_may_still_be_slashed() {
	// Finding 9 of issue 11: a provider unbonded its free bond right after committing a result
	// and withdrew it before a long verification ended, out of reach of the slash.
	build_and_execute(|| {
		bond(1, 3 * MIN_BOND_PER_GPU);
		register(1, 1);
		assert_ok!(Providers::job_started(&1));
		assert_ok!(Collateral::unbond(RuntimeOrigin::signed(1), MIN_BOND_PER_GPU));
		run_to_block(1 + UNBONDING_PERIOD);
		assert_noop!(
			Collateral::withdraw_unbonded(RuntimeOrigin::signed(1)),
			pallet_collateral::Error::<Test>::WorkInFlight
		);
		// Still within reach: a slash takes the unlocking chunk too.
		Providers::record_outcome(&1, Outcome::JobCompleted);
		assert_ok!(Collateral::withdraw_unbonded(RuntimeOrigin::signed(1)));
	});
}
