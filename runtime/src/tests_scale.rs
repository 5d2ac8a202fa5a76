//! Chain scale (issue 15, item 4): how the hooks' weight and the state grow with the number of
//! registered providers, open jobs and bids.
//!
//! For each size the development chain gets that many providers funded, bonded and registered
//! through dispatched calls (so deposits and holds are real), then [`JOBS`] jobs (four blocks'
//! worth of auction closes) with a bid from up to `MaxBidsPerJob` providers each, and plays
//! them through the blocks whose hooks do the most work ([`play`]): a full close of auctions,
//! a full proof-of-compute agenda of spot-check draws (each picking a verifier), a full block
//! of settlements, one of missed deadlines, and a sweep that challenges every provider it
//! visits. Those blocks run through `Executive::initialize_block`, as on a node, so what the
//! hooks charge lands in `System::block_weight()`.
//!
//! The table is for the README. Asserted: every pallet's `try_state` holds in every state
//! built; hooks charge only the mandatory class, each block's hooks stay within the pallets'
//! bounds and charge the same weight at every size; a provider takes as many bytes of state
//! at the largest size as the marginal one between the two largest sizes.

use crate::{
	currency::KILN,
	tests_economics::{next_block, profile, signed},
	AccountId, AllPalletsWithSystem, Balance, Header, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeOrigin, System,
};
use codec::Encode;
use frame_support::{
	assert_ok,
	dispatch::{extract_actual_weight, DispatchClass, GetDispatchInfo},
	traits::{Get, PalletsInfoAccess},
	weights::Weight,
};
use kiln_primitives::{result_commitment, JobId, JobSpec, Requirements, Workload};
use pallet_market::Jobs;
use sp_runtime::{
	traits::{BlakeTwo256, Dispatchable, Hash, Header as _},
	Perbill,
};
use std::{
	collections::BTreeMap,
	time::{Duration, Instant},
};

/// Jobs per agenda block, and bids per job at most.
fn jobs_per_block() -> u64 {
	let jobs: u32 = <Runtime as pallet_market::Config>::MaxJobsPerBlock::get();
	jobs.into()
}
fn max_bids() -> u32 {
	<<Runtime as pallet_market::Config>::MaxBidsPerJob as Get<u32>>::get()
}

/// Jobs opened: four blocks' worth of auction closes. The first two blocks' jobs are committed
/// and drawn for a spot-check, the third's miss their deadline, the fourth's are settled.
const JOBS: u64 = 128;
/// Jobs are created in this block; their auctions close in the four blocks from
/// `CREATE + BIDDING_BLOCKS`, their deadlines fall `EXECUTION_BLOCKS` after.
const CREATE: u32 = 5;
const BIDDING_BLOCKS: u32 = 3;
const EXECUTION_BLOCKS: u32 = 6;
const MAX_PRICE: Balance = KILN / 10;
const BOND: Balance = 1_000 * KILN;

fn provider(i: u32) -> AccountId {
	AccountId::from(sp_io::hashing::blake2_256(&(b"kiln/scale/provider", i).encode()))
}

fn client() -> AccountId {
	AccountId::from(sp_io::hashing::blake2_256(b"kiln/scale/client"))
}

/// Dispatches `call` as a signed extrinsic's call is dispatched; returns the weight charged.
fn dispatch(origin: RuntimeOrigin, call: impl Into<RuntimeCall>) -> Weight {
	let call: RuntimeCall = call.into();
	let info = call.get_dispatch_info();
	let result = call.dispatch(origin);
	let charged = extract_actual_weight(&result, &info);
	assert_ok!(result);
	charged
}

fn fund(who: &AccountId, amount: Balance) {
	let who = who.clone().into();
	dispatch(
		RuntimeOrigin::root(),
		pallet_balances::Call::<Runtime>::force_set_balance { who, new_free: amount },
	);
}

/// Bytes of state (keys and values) per pallet, over every key in the externalities; keys of
/// no pallet (`:code` and the like) under `other`. Events are cleared first: a node keeps only
/// the current block's.
fn state_bytes() -> BTreeMap<&'static str, u64> {
	System::reset_events();
	let pallets: BTreeMap<[u8; 16], &'static str> = AllPalletsWithSystem::infos()
		.into_iter()
		.map(|info| (sp_io::hashing::twox_128(info.name.as_bytes()), info.name))
		.collect();
	let mut bytes = BTreeMap::new();
	let mut key = Vec::new();
	while let Some(next) = sp_io::storage::next_key(&key) {
		let value = sp_io::storage::get(&next).map_or(0, |v| v.len());
		let prefix: Option<[u8; 16]> = next.get(..16).and_then(|p| p.try_into().ok());
		let pallet = prefix.and_then(|p| pallets.get(&p).copied()).unwrap_or("other");
		*bytes.entry(pallet).or_default() += (next.len() + value) as u64;
		key = next;
	}
	bytes
}

fn total(state: &BTreeMap<&'static str, u64>) -> u64 {
	state.values().sum()
}

fn assert_try_state(when: &str) {
	for (pallet, result) in [
		("Market", crate::Market::do_try_state()),
		("Escrow", crate::Escrow::do_try_state()),
		("Collateral", crate::Collateral::do_try_state()),
		("Providers", crate::Providers::do_try_state()),
		("ProofOfCompute", crate::ProofOfCompute::do_try_state()),
		("Governance", crate::Governance::do_try_state()),
	] {
		assert_eq!(result, Ok(()), "{pallet}'s try_state {when}");
	}
}

/// What one block's hooks cost: the weight they charged to the block, and the wall time of
/// running them natively (a sanity figure; the weights come from the benchmarks).
#[derive(Clone, Copy)]
struct HookCost {
	weight: Weight,
	wall: Duration,
}

/// Runs the next block's hooks as a node does (`Executive::initialize_block` charges each
/// pallet's `on_initialize` to the block, mandatory class), with fresh BABE randomness for the
/// parent; returns what they charged, the base block weight left out.
fn measured_block() -> HookCost {
	let n = System::block_number() + 1;
	let vrf = BlakeTwo256::hash(&(b"kiln/scale", n).encode()).0;
	pallet_babe::AuthorVrfRandomness::<Runtime>::put(Some(vrf));
	let header = Header::new(
		n,
		Default::default(),
		Default::default(),
		System::parent_hash(),
		Default::default(),
	);
	let started = Instant::now();
	crate::Executive::initialize_block(&header);
	let wall = started.elapsed();
	let consumed = System::block_weight();
	assert_eq!(*consumed.get(DispatchClass::Normal), Weight::zero(), "block {n}");
	assert_eq!(*consumed.get(DispatchClass::Operational), Weight::zero(), "block {n}");
	let base = <Runtime as frame_system::Config>::BlockWeights::get().base_block;
	HookCost { weight: consumed.get(DispatchClass::Mandatory).saturating_sub(base), wall }
}

/// How many of this block's events `matches` (the measured blocks reset events first).
fn events(matches: fn(&RuntimeEvent) -> bool) -> u64 {
	System::events().iter().filter(|record| matches(&record.event)).count() as u64
}

fn configure_proof_of_compute(spot_checks: Perbill, challenges: Perbill) {
	let mut config = pallet_proof_of_compute::Configuration::<Runtime>::get();
	config.spot_check_probability = spot_checks;
	config.challenge_rate = challenges;
	config.providers_per_block = pallet_proof_of_compute::MAX_PROVIDERS_PER_BLOCK;
	dispatch(RuntimeOrigin::root(), pallet_proof_of_compute::Call::<Runtime>::configure { config });
}

/// Funds, bonds and registers `count` providers (all in the current block).
fn register(count: u32) {
	for i in 0..count {
		let who = provider(i);
		fund(&who, 10 * BOND);
		dispatch(signed(&who), pallet_collateral::Call::<Runtime>::bond { amount: BOND });
		let (profile, endpoint) = (profile(), kiln_test_fixtures::endpoint());
		dispatch(signed(&who), pallet_providers::Call::<Runtime>::register { profile, endpoint });
		// A node keeps one block's events; thousands would only slow the test down.
		if i % 256 == 255 {
			System::reset_events();
		}
	}
}

/// The weights one job's calls charged.
#[derive(Default)]
struct Calls {
	create: Weight,
	bids: Weight,
	commit: Weight,
	reveal: Weight,
}

/// Creates [`JOBS`] jobs, each with `bids` bids from different providers (the last one, the
/// cheapest, wins); records the weights charged for `tracked`.
fn open_jobs(providers: u32, bids: u32, tracked: JobId, calls: &mut Calls) {
	assert_eq!(JOBS, 4 * jobs_per_block(), "the timeline's four blocks of closes");
	let client = client();
	fund(&client, 1_000_000 * KILN);
	let uri = "https://client.example.org/job";
	let spec = JobSpec {
		workload: Workload::Wasm {
			module: kiln_test_fixtures::content(b"module", uri),
			input: kiln_test_fixtures::content(b"input", uri),
			fuel: 1_000_000,
		},
		requirements: Requirements::any_cpu(),
		max_price: MAX_PRICE,
		bidding_blocks: BIDDING_BLOCKS,
		execution_blocks: EXECUTION_BLOCKS,
	};
	for job_id in 0..JOBS {
		let create = pallet_market::Call::<Runtime>::create_job { spec: spec.clone() };
		let weight = dispatch(signed(&client), create);
		let mut bid_weights = Weight::zero();
		for k in 0..bids {
			// Different providers on each job, spread over the registry.
			let who = provider(((job_id as u32) * (bids + 1) + k) % providers);
			let price = MAX_PRICE - Balance::from(k) * MAX_PRICE / 64;
			let bid = pallet_market::Call::<Runtime>::place_bid { job_id, price };
			bid_weights.saturating_accrue(dispatch(signed(&who), bid));
		}
		assert_eq!(pallet_market::Bids::<Runtime>::get(job_id).len() as u32, bids, "job {job_id}");
		if job_id == tracked {
			(calls.create, calls.bids) = (weight, bid_weights);
		}
	}
}

/// The awarded provider commits to a result of each of `jobs`, and reveals it if `reveal`.
fn deliver(jobs: core::ops::Range<JobId>, reveal: bool, calls: &mut Calls) {
	let output = kiln_test_fixtures::content(b"output", "https://worker.example.org/out");
	let salt = [7; 32];
	for job_id in jobs {
		let award = Jobs::<Runtime>::get(job_id).and_then(|job| job.award).expect("awarded");
		let commitment = result_commitment(&output.hash, &salt);
		let commit = pallet_market::Call::<Runtime>::commit_result { job_id, commitment };
		calls.commit = dispatch(signed(&award.provider), commit);
		if reveal {
			let reveal = pallet_market::Call::<Runtime>::reveal_result {
				job_id,
				output: output.clone(),
				salt,
			};
			calls.reveal = dispatch(signed(&award.provider), reveal);
		}
	}
}

/// The blocks measured, in the order [`play`] runs them.
const BLOCKS: [&str; 5] = ["sweep", "close", "selection", "settlement", "deadline"];

/// The state one size built, and what it measured of it.
struct Built {
	providers: u32,
	bids: u32,
	/// The state with the providers, jobs and bids in place, per pallet.
	state: BTreeMap<&'static str, u64>,
	/// Bytes the providers added in all, and per provider in each pallet.
	registered: u64,
	per_provider: BTreeMap<&'static str, f64>,
	/// Bytes per job with its bids (a bidder's first bid also adds a hold to its account).
	per_job: f64,
	calls: Calls,
}

/// What one size measured.
struct Scale {
	built: Built,
	built_in: Duration,
	/// The hooks of each of [`BLOCKS`].
	hooks: [HookCost; 5],
	/// The weight of one job's life: its calls, and its share of the blocks that closed, drew
	/// and settled it.
	cost: Vec<(String, Weight)>,
	challenged: u64,
}

/// The first job of the block of closes whose jobs are settled.
fn settled() -> JobId {
	3 * jobs_per_block()
}

/// Registers `providers` and opens [`JOBS`] jobs with their bids, checking every state built.
fn build(providers: u32) -> Built {
	configure_proof_of_compute(Perbill::one(), Perbill::zero());
	let empty = state_bytes();
	register(providers);
	let with_providers = state_bytes();
	assert_try_state(&format!("with {providers} providers"));
	let per_provider = with_providers
		.iter()
		.map(|(pallet, bytes)| {
			let added = bytes.saturating_sub(empty.get(pallet).copied().unwrap_or(0));
			(*pallet, added as f64 / f64::from(providers))
		})
		.filter(|(_, bytes)| *bytes > 0.0)
		.collect();
	while System::block_number() < CREATE {
		next_block();
	}
	let without_jobs = state_bytes();
	let bids = providers.min(max_bids());
	let mut calls = Calls::default();
	open_jobs(providers, bids, settled(), &mut calls);
	let state = state_bytes();
	assert_try_state(&format!("with {providers} providers and {JOBS} jobs"));
	Built {
		providers,
		bids,
		registered: total(&with_providers) - total(&empty),
		per_job: (total(&state) - total(&without_jobs)) as f64 / JOBS as f64,
		state,
		per_provider,
		calls,
	}
}

fn measure(providers: u32) -> Scale {
	let mut ext = crate::tests::preset_ext("development");
	let started = Instant::now();
	let mut built = ext.execute_with(|| build(providers));
	// Into the backend, as a node keeps its state in its database: a block's hooks then meet
	// only that block's changes in the overlay (`clear_prefix`, which every block start calls
	// for the event topics, scans the whole overlay: it would time the harness, not the hooks).
	ext.commit_all().expect("the built state commits");
	let built_in = started.elapsed();
	let (hooks, challenged) = ext.execute_with(|| {
		let played = play(&mut built.calls);
		assert_try_state(&format!("after the blocks played with {providers} providers"));
		played
	});
	// The sweep block charges what a block with nothing due does (asserted in `play`).
	let [idle, close, selection, settlement, _] = hooks;
	let share = |block: HookCost, entries: u64| {
		let added = block.weight.saturating_sub(idle.weight);
		Weight::from_parts(added.ref_time() / entries, added.proof_size() / entries)
	};
	let calls = &built.calls;
	let cost = vec![
		("create_job".into(), calls.create),
		(format!("{} bids", built.bids), calls.bids),
		("close".into(), share(close, jobs_per_block())),
		("commit".into(), calls.commit),
		("spot-check draw".into(), share(selection, 2 * jobs_per_block())),
		("reveal".into(), calls.reveal),
		("settlement".into(), share(settlement, jobs_per_block())),
	];
	Scale { built, built_in, hooks, cost, challenged }
}

/// Plays the jobs from block `CREATE + 1` on, measuring the blocks of [`BLOCKS`]. Returns the
/// hooks' costs and how many providers the last sweep challenged.
fn play(calls: &mut Calls) -> ([HookCost; 5], u64) {
	use pallet_market::Event as Market;
	use pallet_proof_of_compute::Event as Poc;
	let per_block = jobs_per_block();
	let at = |block: u32| assert_eq!(System::block_number() + 1, CREATE + block, "the timeline");
	at(1);
	// Nothing due: the sweep (visiting `MAX_PROVIDERS_PER_BLOCK`, challenging nobody yet) and
	// every hook's fixed cost. The other blocks are this plus their own work.
	let idle = measured_block();
	next_block();
	at(BIDDING_BLOCKS);
	let close = measured_block();
	assert_eq!(events(|e| matches!(e, RuntimeEvent::Market(Market::JobAwarded { .. }))), per_block);
	next_block();
	// The first two blocks' jobs committed together: their spot-check draws share a block.
	deliver(0..2 * per_block, false, calls);
	while System::block_number() < CREATE + BIDDING_BLOCKS + 4 {
		next_block();
	}
	// The fourth block's jobs are not spot-checked: revealed at once, settled two blocks later.
	configure_proof_of_compute(Perbill::zero(), Perbill::zero());
	deliver(settled()..settled() + per_block, true, calls);
	configure_proof_of_compute(Perbill::one(), Perbill::zero());
	at(BIDDING_BLOCKS + 5);
	let selection = measured_block();
	let assigned =
		events(|e| matches!(e, RuntimeEvent::ProofOfCompute(Poc::SpotCheckAssigned { .. })));
	assert_eq!(assigned, 2 * per_block, "every draw picks a verifier");
	let settlement = measured_block();
	assert_eq!(
		events(|e| matches!(e, RuntimeEvent::Market(Market::JobCompleted { .. }))),
		per_block
	);
	next_block();
	// The third block's jobs were never committed.
	at(BIDDING_BLOCKS + 2 + EXECUTION_BLOCKS);
	let deadline = measured_block();
	assert_eq!(events(|e| matches!(e, RuntimeEvent::Market(Market::JobFailed { .. }))), per_block);
	// Every provider visited is challenged: the sweep's most work.
	configure_proof_of_compute(Perbill::one(), Perbill::one());
	let sweep = measured_block();
	let challenged =
		events(|e| matches!(e, RuntimeEvent::ProofOfCompute(Poc::ChallengeIssued { .. })));
	assert!(challenged > 0);
	for (name, hooks) in [("close", close), ("settlement", settlement), ("deadline", deadline)] {
		let own = hooks.weight.saturating_sub(idle.weight);
		assert!(own.all_lte(crate::Market::worst_agenda_weight()), "{name}: {own:?}");
	}
	let own = selection.weight.saturating_sub(idle.weight);
	assert!(own.all_lte(crate::ProofOfCompute::worst_agenda_weight()), "selection: {own:?}");
	assert_eq!(sweep.weight, idle.weight, "the sweep charges its visits, challenged or not");
	([sweep, close, selection, settlement, deadline], challenged)
}

fn kib(bytes: u64) -> String {
	format!("{:.1}", bytes as f64 / 1024.0)
}

fn micros(weight: Weight) -> u64 {
	weight.ref_time() / 1_000_000
}

/// Prints the table of `sizes` and asserts what must not grow with the number of providers.
fn scale_table(sizes: &[u32]) {
	let scales: Vec<Scale> = sizes.iter().map(|n| measure(*n)).collect();
	let max_block = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
	let of_block = |w: Weight| w.ref_time() as f64 * 100.0 / max_block.ref_time() as f64;
	let pallets = ["System", "Balances", "Collateral", "Providers", "Market", "Escrow"];
	println!(
		"Hooks: weight charged to the block (µs of ref_time, % of the block's), then native wall \
		 time. State with the providers, {JOBS} open jobs and their bids (KiB)."
	);
	println!(
		"| providers | jobs | bids per job | state | {} | bytes per provider | bytes per job | {} | \
		 cost per job | built in |",
		pallets.join(" | "),
		BLOCKS.join(" | "),
	);
	println!("|{}", "---:|".repeat(8 + pallets.len() + BLOCKS.len()));
	for s in &scales {
		let b = &s.built;
		let state: Vec<String> =
			pallets.iter().map(|p| kib(b.state.get(p).copied().unwrap_or(0))).collect();
		let hooks: Vec<String> = s
			.hooks
			.iter()
			.map(|h| {
				let ms = h.wall.as_secs_f64() * 1e3;
				format!("{} µs ({:.2} %), {ms:.1} ms", micros(h.weight), of_block(h.weight))
			})
			.collect();
		let cost = s.cost.iter().fold(Weight::zero(), |sum, (_, w)| sum + *w);
		println!(
			"| {} | {JOBS} | {} | {} | {} | {:.0} | {:.0} | {} | {} µs ({:.3} %) | {:.1} s |",
			b.providers,
			b.bids,
			kib(total(&b.state)),
			state.join(" | "),
			b.registered as f64 / f64::from(b.providers),
			b.per_job,
			hooks.join(" | "),
			micros(cost),
			of_block(cost),
			s.built_in.as_secs_f64(),
		);
	}
	for s in &scales {
		let bytes: Vec<String> =
			s.built.per_provider.iter().map(|(p, bytes)| format!("{p} {bytes:.0}")).collect();
		let cost: Vec<String> =
			s.cost.iter().map(|(what, w)| format!("{what} {} µs", micros(*w))).collect();
		println!(
			"{} providers: bytes per provider {}; one job's weight {}; the last sweep challenged {}",
			s.built.providers,
			bytes.join(", "),
			cost.join(", "),
			s.challenged
		);
	}
	let (first, last) = (&scales[0], &scales[scales.len() - 1]);
	for (i, block) in BLOCKS.iter().enumerate() {
		assert_eq!(
			first.hooks[i].weight, last.hooks[i].weight,
			"the {block} block charges the same at {} and {} providers",
			first.built.providers, last.built.providers
		);
		assert!(last.hooks[i].weight.all_lte(max_block / 2), "{block}: two quarter-block bounds");
	}
	// The marginal provider between the two largest sizes costs what the average one does at
	// the largest: a provider's state does not grow with the registry.
	let (a, b) = (&scales[scales.len() - 2].built, &last.built);
	let marginal = (b.registered - a.registered) as f64 / f64::from(b.providers - a.providers);
	let average = b.registered as f64 / f64::from(b.providers);
	assert!(
		(marginal - average).abs() <= average / 100.0,
		"marginal {marginal}, average {average}"
	);
}

#[test]
fn hooks_and_state_at_10_1_000_and_100_000_providers() {
	scale_table(&[10, 1_000, 100_000]);
}
