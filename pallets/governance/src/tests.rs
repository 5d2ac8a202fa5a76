//! The validator set as a story of sessions: who is queued when, who authors when, and what
//! an offence does.

use crate::{mock::*, Error, Event, Validators};
use frame_support::{assert_noop, assert_ok};
use pallet_session::historical::{HistoricalSessions, StoredRange};
use sp_runtime::{traits::Hash, DispatchError, Perbill};
use sp_staking::offence::{OffenceDetails, OnOffenceHandler};

fn admin() -> RuntimeOrigin {
	RuntimeOrigin::signed(ADMIN)
}

fn queued() -> Vec<u64> {
	Session::queued_keys().into_iter().map(|(v, _)| v).collect()
}

fn report(offenders: &[u64]) {
	let details: Vec<_> = offenders
		.iter()
		.map(|v| OffenceDetails { offender: (*v, ()), reporters: vec![] })
		.collect();
	let fractions = vec![Perbill::from_percent(50); details.len()];
	Governance::on_offence(&details, &fractions, Session::current_index());
}

#[test]
fn genesis_validators_author_session_zero_with_a_historical_root() {
	build_and_execute(|| {
		assert_eq!(Session::validators(), vec![1, 2, 3]);
		assert_eq!(Governance::validator_set().to_vec(), vec![1, 2, 3]);
		assert!(HistoricalSessions::<Test>::get(0).is_some());
	});
}

#[test]
fn only_the_validator_origin_changes_the_set() {
	build_and_execute(|| {
		assert_noop!(
			Governance::add_validator(RuntimeOrigin::signed(1), 4),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Governance::remove_validator(RuntimeOrigin::signed(1), 3),
			DispatchError::BadOrigin
		);
		assert_ok!(Governance::add_validator(RuntimeOrigin::root(), 4));
		assert_ok!(Governance::remove_validator(RuntimeOrigin::root(), 4));
	});
}

#[test]
fn an_added_validator_is_queued_at_the_next_session_and_authors_from_the_one_after() {
	build_and_execute(|| {
		assert_ok!(Governance::add_validator(admin(), 4));
		assert_eq!(governance_events(), vec![Event::ValidatorAdded { who: 4 }]);
		// Session 0 was planned at genesis: 4 is not in it, nor in the queue yet.
		assert_eq!(Session::validators(), vec![1, 2, 3]);
		run_to_session(1);
		assert_eq!(Session::validators(), vec![1, 2, 3]);
		assert_eq!(queued(), vec![1, 2, 3, 4]);
		run_to_session(2);
		assert_eq!(Session::validators(), vec![1, 2, 3, 4]);
	});
}

#[test]
fn a_removed_validator_leaves_at_the_session_after_next() {
	build_and_execute(|| {
		run_to_session(1);
		assert_ok!(Governance::remove_validator(admin(), 2));
		assert_eq!(governance_events(), vec![Event::ValidatorRemoved { who: 2 }]);
		run_to_session(2);
		assert_eq!(Session::validators(), vec![1, 2, 3]);
		assert_eq!(queued(), vec![1, 3]);
		run_to_session(3);
		assert_eq!(Session::validators(), vec![1, 3]);
	});
}

#[test]
fn bad_changes_are_refused_with_their_reason() {
	build_and_execute(|| {
		assert_noop!(Governance::add_validator(admin(), 1), Error::<Test>::AlreadyValidator);
		// 6 never called `session.set_keys`: it could not author.
		assert_noop!(Governance::add_validator(admin(), 6), Error::<Test>::NoSessionKeys);
		assert_noop!(Governance::remove_validator(admin(), 4), Error::<Test>::NotValidator);
		assert_ok!(Governance::add_validator(admin(), 4));
		assert_ok!(Governance::add_validator(admin(), 5));
		// MaxValidators is 5.
		Session::set_keys(RuntimeOrigin::signed(6), keys(6), proof(6)).unwrap();
		assert_noop!(Governance::add_validator(admin(), 6), Error::<Test>::TooManyValidators);
		for v in [5, 4, 3] {
			assert_ok!(Governance::remove_validator(admin(), v));
		}
		// MinValidators is 2.
		assert_noop!(Governance::remove_validator(admin(), 2), Error::<Test>::TooFewValidators);
	});
}

#[test]
fn a_member_without_keys_is_skipped_by_the_session() {
	build_and_execute(|| {
		assert_ok!(Session::purge_keys(RuntimeOrigin::signed(3)));
		run_to_session(1);
		assert_eq!(queued(), vec![1, 2]);
		run_to_session(2);
		assert_eq!(Session::validators(), vec![1, 2]);
		// It stays a member: setting keys again brings it back.
		assert_eq!(Governance::validator_set().to_vec(), vec![1, 2, 3]);
		Session::set_keys(RuntimeOrigin::signed(3), keys(3), proof(3)).unwrap();
		run_to_session(4);
		assert_eq!(Session::validators(), vec![1, 2, 3]);
	});
}

#[test]
fn an_offender_is_disabled_at_once_and_leaves_at_the_session_after_next() {
	build_and_execute(|| {
		// The session disables at most (n - 1) / 3 validators: one of four.
		assert_ok!(Governance::add_validator(admin(), 4));
		run_to_session(2);
		report(&[2]);
		assert_eq!(
			governance_events(),
			vec![Event::ValidatorAdded { who: 4 }, Event::OffenderRemoved { who: 2, session: 2 }]
		);
		// Index 1 in the session's list is account 2.
		assert_eq!(Session::disabled_validators(), vec![1]);
		assert_eq!(Validators::<Test>::get().to_vec(), vec![1, 3, 4]);
		run_to_session(3);
		assert_eq!(queued(), vec![1, 3, 4]);
		run_to_session(4);
		assert_eq!(Session::validators(), vec![1, 3, 4]);
		assert!(Session::disabled_validators().is_empty());
	});
}

#[test]
fn a_repeated_report_changes_nothing_more() {
	build_and_execute(|| {
		report(&[2]);
		report(&[2]);
		assert_eq!(governance_events(), vec![Event::OffenderRemoved { who: 2, session: 0 }]);
		assert_eq!(Validators::<Test>::get().to_vec(), vec![1, 3]);
	});
}

#[test]
fn offences_never_shrink_the_set_below_its_minimum() {
	build_and_execute(|| {
		report(&[1, 2]);
		assert_eq!(
			governance_events(),
			vec![
				Event::OffenderRemoved { who: 1, session: 0 },
				Event::OffenderKept { who: 2, session: 0 },
			]
		);
		assert_eq!(Validators::<Test>::get().to_vec(), vec![2, 3]);
	});
}

#[test]
fn an_upgrade_is_authorized_by_the_upgrade_origin_only() {
	build_and_execute(|| {
		let code = b"not really a runtime".to_vec();
		let hash = <Test as frame_system::Config>::Hashing::hash(&code);
		assert_noop!(
			Governance::authorize_upgrade(RuntimeOrigin::signed(1), hash),
			DispatchError::BadOrigin
		);
		assert_noop!(
			System::apply_authorized_upgrade(RuntimeOrigin::signed(1), code.clone()),
			frame_system::Error::<Test>::NothingAuthorized
		);
		assert_ok!(Governance::authorize_upgrade(admin(), hash));
		System::assert_last_event(
			frame_system::Event::UpgradeAuthorized { code_hash: hash, check_version: true }.into(),
		);
		// Other code is refused; the authorized code reaches the version check (which these
		// bytes fail: they are not a runtime), and the authorization is used up.
		assert_noop!(
			System::apply_authorized_upgrade(RuntimeOrigin::signed(1), b"other".to_vec()),
			frame_system::Error::<Test>::Unauthorized
		);
		assert_ok!(System::apply_authorized_upgrade(RuntimeOrigin::signed(1), code.clone()));
		assert!(matches!(
			System::events().last().map(|r| &r.event),
			Some(RuntimeEvent::System(
				frame_system::Event::RejectedInvalidAuthorizedUpgrade { .. }
			))
		));
		assert_noop!(
			System::apply_authorized_upgrade(RuntimeOrigin::signed(1), code),
			frame_system::Error::<Test>::NothingAuthorized
		);
	});
}

#[test]
fn historical_roots_are_kept_for_history_depth_sessions() {
	build_and_execute(|| {
		run_to_session(6);
		// Session 7 was planned when session 6 began; roots older than 7 - 3 are gone.
		let (first, end) = StoredRange::<Test>::get().expect("a range");
		assert_eq!((first, end), (4, 8));
		assert!(HistoricalSessions::<Test>::get(3).is_none());
		assert!((4..8).all(|i| HistoricalSessions::<Test>::get(i).is_some()));
	});
}

/// A chain spec listing more validators than `MaxValidators` (5 in the mock) is refused when
/// its genesis is built: the node does not start, rather than starting with a set cut short.
/// This is the pallet's only `expect`, and it runs at genesis only, never in a block.
#[test]
#[should_panic(expected = "genesis: more validators than MaxValidators")]
fn a_genesis_with_too_many_validators_is_refused() {
	use sp_runtime::BuildStorage;
	let _ = crate::GenesisConfig::<Test> { validators: (1..=6).collect() }.build_storage();
}

#[test]
#[should_panic(expected = "genesis: fewer validators than MinValidators")]
fn a_genesis_with_too_few_validators_is_refused() {
	use sp_runtime::BuildStorage;
	let _ = crate::GenesisConfig::<Test> { validators: vec![1] }.build_storage();
}

#[test]
fn a_genesis_within_the_bounds_stores_the_set() {
	use sp_runtime::BuildStorage;
	let storage = crate::GenesisConfig::<Test> { validators: (1..=5).collect() }
		.build_storage()
		.expect("five validators are within the bounds");
	sp_io::TestExternalities::from(storage)
		.execute_with(|| assert_eq!(Validators::<Test>::get().into_inner(), vec![1, 2, 3, 4, 5]));
}
