//! The `KilnMarketApi` answers against a runtime holding jobs in every state: bidding,
//! awarded, committed, revealed, completed, failed, expired and cancelled; a registered
//! provider, a bonded-only account and a stranger; quotes from the job just settled.

use crate::{
	currency::KILN, market_api, tests::preset_ext, AccountId, Runtime, RuntimeCall, RuntimeOrigin,
	System,
};
use frame_support::{
	assert_ok,
	traits::{OnInitialize, UnfilteredDispatchable},
};
use kiln_primitives::{
	result_commitment, Backend, ContentRef, JobId, JobSpec, Requirements, Workload, WorkloadKind,
};
use pallet_market::JobState;
use sp_keyring::Sr25519Keyring;
use sp_runtime::Perbill;

fn content(byte: u8, uri: &str) -> ContentRef {
	ContentRef { hash: [byte; 32], len: 8, uri: uri.as_bytes().to_vec().try_into().unwrap() }
}

fn requirements() -> Requirements {
	Requirements {
		min_vram_mib: 16_000,
		min_compute_capability: 80,
		gpu_count: 1,
		backend: Backend::Cpu,
		region: None,
		min_reputation: Perbill::zero(),
	}
}

/// A Wasm job of a million fuel (Gemm results would be sampled by proof of compute).
fn spec(execution_blocks: u32) -> JobSpec<u128, u32> {
	JobSpec {
		workload: Workload::Wasm {
			module: content(1, "https://example.org/job.wasm"),
			input: content(2, "https://example.org/input"),
			fuel: 1_000_000,
		},
		requirements: requirements(),
		max_price: 10 * KILN,
		bidding_blocks: 2,
		execution_blocks,
	}
}

fn call(who: &AccountId, call: RuntimeCall) {
	assert_ok!(call.dispatch_bypass_filter(RuntimeOrigin::signed(who.clone())));
}

fn next_block() {
	let n = System::block_number() + 1;
	System::set_block_number(n);
	crate::AllPalletsWithSystem::on_initialize(n);
}

fn create(client: &AccountId, execution_blocks: u32) -> JobId {
	let id = pallet_market::Pallet::<Runtime>::next_job_id();
	call(
		client,
		RuntimeCall::Market(pallet_market::Call::create_job { spec: spec(execution_blocks) }),
	);
	id
}

fn bid(provider: &AccountId, job_id: JobId) {
	call(provider, RuntimeCall::Market(pallet_market::Call::place_bid { job_id, price: 4 * KILN }));
}

const SALT: [u8; 32] = [6; 32];

fn output() -> ContentRef {
	content(5, "https://l4.example.org/out")
}

fn commit(provider: &AccountId, job_id: JobId) {
	let commitment = result_commitment(&output().hash, &SALT);
	call(provider, RuntimeCall::Market(pallet_market::Call::commit_result { job_id, commitment }));
}

fn reveal(provider: &AccountId, job_id: JobId) {
	let reveal = pallet_market::Call::reveal_result { job_id, output: output(), salt: SALT };
	call(provider, RuntimeCall::Market(reveal));
}

fn state(job_id: JobId) -> JobState<u32> {
	market_api::job(job_id).expect("the job exists").job.state
}

#[test]
fn every_market_api_method_answers_for_jobs_in_every_state() {
	preset_ext("development").execute_with(|| {
		let bob = Sr25519Keyring::Bob.to_account_id();
		let charlie = Sr25519Keyring::Charlie.to_account_id();
		let dave = Sr25519Keyring::Dave.to_account_id();
		let eve = Sr25519Keyring::Eve.to_account_id();
		pallet_timestamp::Now::<Runtime>::put(1_700_000_000_000);
		let bond = |amount| RuntimeCall::Collateral(pallet_collateral::Call::bond { amount });
		call(&bob, bond(250 * KILN));
		call(&dave, bond(50 * KILN));
		let profile = kiln_test_fixtures::l4();
		let endpoint = b"https://l4.example.org".to_vec().try_into().unwrap();
		call(&bob, RuntimeCall::Providers(pallet_providers::Call::register { profile, endpoint }));

		// Block 1: jobs 0–6; the auctions close at block 3.
		let completes = create(&charlie, 5);
		let fails = create(&charlie, 3); // deadline 3 + 3 = 6
		let expires = create(&charlie, 5);
		let cancelled = create(&charlie, 5);
		let awarded = create(&charlie, 5);
		let committed = create(&charlie, 5);
		let revealed = create(&charlie, 5);
		for job in [completes, fails, awarded, committed, revealed] {
			bid(&bob, job);
		}
		call(&charlie, RuntimeCall::Market(pallet_market::Call::cancel_job { job_id: cancelled }));
		next_block();
		next_block(); // 3: awarded or expired
		commit(&bob, completes);
		reveal(&bob, completes); // settles at 5
		next_block(); // 4
		commit(&bob, committed);
		next_block(); // 5: `completes` settles
		let bidding = create(&charlie, 5);
		bid(&bob, bidding);
		next_block(); // 6: `fails` missed its deadline
		commit(&bob, revealed);
		reveal(&bob, revealed);

		// Every state, as the API reads it.
		assert_eq!(state(bidding), JobState::Bidding);
		assert_eq!(state(awarded), JobState::Awarded);
		assert!(matches!(state(committed), JobState::Committed { .. }));
		assert!(matches!(state(revealed), JobState::Revealed { settles_at: Some(8), .. }));
		assert_eq!(state(completes), JobState::Completed { at: 5 });
		assert_eq!(state(fails), JobState::Failed { at: 6 });
		assert_eq!(state(expires), JobState::Expired { at: 3 });
		assert_eq!(state(cancelled), JobState::Cancelled { at: 1 });
		assert!(market_api::job(99).is_none());

		// A job's bids while it is open, its award, and the outcome once it ended.
		let open = market_api::job(bidding).unwrap();
		assert_eq!(
			open.bids.iter().map(|b| (&b.provider, b.price)).collect::<Vec<_>>(),
			[(&bob, 4 * KILN)]
		);
		assert_eq!((open.outcome, open.check), (None, None));
		let done = market_api::job(completes).unwrap();
		assert!(done.bids.is_empty());
		assert_eq!(done.job.award.as_ref().map(|a| (&a.provider, a.price)), Some((&bob, 4 * KILN)));
		let outcome = done.outcome.expect("a settled job has an outcome");
		let fee = pallet_market::Configuration::<Runtime>::get().protocol_fee * (4 * KILN);
		assert_eq!((outcome.paid, outcome.fee, outcome.slashed), (4 * KILN - fee, fee, 0));
		assert_eq!(outcome.output, Some(output()));
		let failed = market_api::job(fails).unwrap().outcome.expect("a failed job has one");
		assert!(failed.missed_deadline && failed.slashed > 0);
		assert_eq!(market_api::job(expires).unwrap().outcome, None);

		// Open jobs, paged.
		let page = market_api::open_jobs(0, 10);
		assert_eq!(page.total, 1);
		assert_eq!(
			page.jobs.iter().map(|(id, _, bids)| (*id, *bids)).collect::<Vec<_>>(),
			[(bidding, 1)]
		);
		let beyond = market_api::open_jobs(1, 10);
		assert_eq!((beyond.total, beyond.jobs.len()), (1, 0));
		assert_eq!(market_api::open_jobs(0, 0).jobs.len(), 1, "a page holds at least one job");

		// Providers: registered, bonded only, unknown.
		let p = market_api::provider(bob.clone()).expect("Bob is a provider");
		let registration = p.registration.expect("registered");
		assert_eq!(registration.status, pallet_providers::ProviderStatus::Active);
		assert_eq!(registration.endpoint, b"https://l4.example.org".to_vec());
		// `awarded`, `committed` and `revealed` (the open job is not his yet).
		assert_eq!(registration.jobs_in_flight, 3);
		let bond = p.bond.expect("bonded");
		assert!(bond.locked > 0 && bond.locked < bond.active);
		assert_eq!((p.reputation.jobs_completed, p.reputation.jobs_failed), (1, 1));
		assert_eq!(p.score, Perbill::from_percent(50));
		assert!(!p.open_challenge);
		let d = market_api::provider(dave).expect("Dave has a bond");
		assert_eq!((d.registration, d.bond.map(|b| b.active)), (None, Some(50 * KILN)));
		assert_eq!(market_api::provider(eve), None);

		// Quotes: the settled job, scaled to twice the fuel; nothing for other kinds.
		let q = market_api::quote(WorkloadKind::Wasm, 2_000_000, requirements());
		let comparable = q.comparable.expect("one comparable job");
		assert_eq!((comparable.count, comparable.median), (1, 8 * KILN));
		assert_eq!(q.per_job.map(|r| r.median), Some(4 * KILN));
		let gpu = Requirements { backend: Backend::Cuda, ..requirements() };
		let other = market_api::quote(WorkloadKind::Wasm, 2_000_000, gpu);
		assert_eq!((other.comparable, other.all.map(|r| r.count)), (None, Some(1)));
		assert_eq!(market_api::quote(WorkloadKind::Gemm, 1, requirements()).all, None);

		// The market as a whole.
		let stats = market_api::stats();
		assert_eq!((stats.open_jobs, stats.running_jobs, stats.job_records), (1, 3, 8));
		let t = &stats.totals;
		assert_eq!(
			(t.jobs_created, t.jobs_completed, t.jobs_failed, t.jobs_expired, t.jobs_cancelled),
			(8, 1, 1, 1, 1)
		);
		assert_eq!(
			(t.paid_to_providers, t.protocol_fees, t.slashed),
			(4 * KILN - fee, fee, failed.slashed)
		);
		assert_eq!((stats.providers, stats.providers_active, stats.providers_paused), (1, 1, 0));
		assert_eq!(stats.total_slashed, failed.slashed);
		assert_eq!(stats.total_bonded, 300 * KILN - failed.slashed);

		let clock = market_api::clock();
		assert_eq!(
			(clock.block, clock.timestamp_ms, clock.block_time_ms),
			(6, 1_700_000_000_000, 6_000)
		);

		crate::Market::do_try_state().unwrap();
		crate::Escrow::do_try_state().unwrap();
		crate::Collateral::do_try_state().unwrap();
		crate::Providers::do_try_state().unwrap();
	});
}
