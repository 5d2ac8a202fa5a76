//! Challenges end to end against the mock: honest providers pass, lazy ones fail, every
//! deadline and error path, and the randomness that draws the openings.

use crate::{
	mock::*, ChallengeId, ChallengeState, Challenges, Error, Event, FailReason, OpenChallenge,
	Opening, MAX_SAMPLES,
};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use kiln_primitives::{
	poc::{reference::Tree, Shape},
	Collateral as _, ProviderRegistry,
};
use sp_runtime::traits::ConstU32;

/// The challenge issued to `who` and its seed.
fn challenge_of(who: AccountId) -> (ChallengeId, [u8; 32]) {
	let id = OpenChallenge::<Test>::get(who).expect("a challenge");
	(id, Challenges::<Test>::get(id).unwrap().seed)
}

fn shape() -> Shape {
	let c = poc_config();
	Shape { m: c.m, n: c.n, k: c.k }
}

/// What a provider computes: the real C, or with every other leaf made up.
fn compute(seed: &[u8; 32], lazy: bool) -> Vec<i32> {
	compute_shape(seed, shape(), lazy)
}

fn compute_shape(seed: &[u8; 32], shape: Shape, lazy: bool) -> Vec<i32> {
	let mut c = kiln_primitives::poc::reference::gemm(seed, shape);
	if lazy {
		kiln_primitives::poc::reference::cheat_half(&mut c);
	}
	c
}

/// The openings of `indices` in `c` (whose Merkle tree is `tree`), as `reveal_challenge` takes
/// them.
pub(crate) fn openings(
	c: &[i32],
	tree: &Tree,
	indices: &[u64],
) -> BoundedVec<Opening, ConstU32<MAX_SAMPLES>> {
	let list: Vec<Opening> = indices
		.iter()
		.map(|sample| {
			let (entries, proof) = kiln_primitives::poc::reference::opening(c, tree, *sample);
			Opening { entries, proof: proof.try_into().unwrap() }
		})
		.collect();
	list.try_into().unwrap()
}

fn opened_indices(id: ChallengeId) -> Vec<u64> {
	events()
		.into_iter()
		.find_map(|e| match e {
			Event::ChallengeOpened { id: i, indices, .. } if i == id => Some(indices),
			_ => None,
		})
		.expect("ChallengeOpened")
}

/// Runs one challenge for P1 from block 2: commit at block 3, reveal once opened. Returns the
/// challenge's final event.
fn answer(lazy: bool) -> Event<Test> {
	run_to_block(System::block_number() + 1);
	respond(lazy)
}

/// Answers P1's open challenge, of whatever shape it was issued. Returns its final event.
fn respond(lazy: bool) -> Event<Test> {
	let (id, seed) = challenge_of(P1);
	let issued = Challenges::<Test>::get(id).unwrap();
	let c = compute_shape(&seed, Shape { m: issued.m, n: issued.n, k: issued.k }, lazy);
	let tree = Tree::build(&c);
	assert_ok!(ProofOfCompute::commit_challenge(RuntimeOrigin::signed(P1), id, tree.root()));
	let opens_at = Challenges::<Test>::get(id).unwrap().opens_at;
	run_to_block(opens_at);
	let indices = opened_indices(id);
	assert_eq!(indices.len() as u32, SAMPLES);
	assert_ok!(ProofOfCompute::reveal_challenge(
		RuntimeOrigin::signed(P1),
		id,
		openings(&c, &tree, &indices)
	));
	let last = events().pop().unwrap();
	System::reset_events();
	last
}

/// Finding 9 of issue 11: the sweep skipped paused providers and walked the registry from a
/// public cursor, so a provider that could not answer paused (or timed its absence) and was
/// never challenged. Now every registered provider is visited, paused or not, at random.
#[test]
fn the_sweep_challenges_paused_providers_too_and_never_doubles_a_challenge() {
	build_and_execute(|| {
		assert_ok!(Providers::pause(RuntimeOrigin::signed(P3)));
		run_to_block(2);
		let issued: Vec<_> = events()
			.into_iter()
			.filter_map(|e| match e {
				Event::ChallengeIssued { provider, commit_by, m, .. } => {
					Some((provider, commit_by, m))
				},
				_ => None,
			})
			.collect();
		// Ten random visits among three providers found all three (the mock's randomness is
		// fixed), the paused one included.
		assert_eq!(issued.len(), 3);
		assert!(issued.iter().any(|(p, ..)| *p == P3));
		assert!(issued.iter().all(|(_, commit_by, m)| *commit_by == 2 + COMMIT_BLOCKS && *m == 16));
		// An open challenge is not doubled.
		run_to_block(3);
		assert_eq!(Challenges::<Test>::iter().count(), 3);
	});
}

/// Every provider is visited as often as the others, whatever its account key: over 3 000
/// blocks of one visit each (every challenge cleared after its block), each of the three
/// providers is challenged about a third of the time.
#[test]
fn the_sweep_visits_every_provider_as_often() {
	build_and_execute(|| {
		let mut config = poc_config();
		config.providers_per_block = 1;
		assert_ok!(ProofOfCompute::configure(RuntimeOrigin::root(), config));
		let mut visits = std::collections::BTreeMap::<AccountId, u32>::new();
		for block in 2..3_002u64 {
			System::set_block_number(block);
			ProofOfCompute::record_entropy(block);
			ProofOfCompute::sweep(block);
			let (_, challenge) = crate::Challenges::<Test>::iter().next().expect("one visit");
			*visits.entry(challenge.provider).or_default() += 1;
			let _ = crate::Challenges::<Test>::clear(u32::MAX, None);
			let _ = OpenChallenge::<Test>::clear(u32::MAX, None);
			let _ = crate::Agenda::<Test>::clear(u32::MAX, None);
		}
		assert_eq!(visits.len(), 3);
		assert!(visits.values().all(|v| v.abs_diff(1_000) < 100), "{visits:?}");
	});
}

#[test]
fn the_sweep_walks_the_registry_a_few_providers_per_block() {
	build_and_execute(|| {
		let mut config = poc_config();
		config.providers_per_block = 2;
		assert_ok!(ProofOfCompute::configure(RuntimeOrigin::root(), config));
		run_to_block(2);
		assert_eq!(Challenges::<Test>::iter().count(), 2);
		run_to_block(3);
		assert_eq!(Challenges::<Test>::iter().count(), 3);
	});
}

#[test]
fn a_zero_rate_issues_nothing() {
	build_and_execute(|| {
		let mut config = poc_config();
		config.challenge_rate = sp_runtime::Perbill::zero();
		assert_ok!(ProofOfCompute::configure(RuntimeOrigin::root(), config));
		run_to_block(10);
		assert_eq!(Challenges::<Test>::iter().count(), 0);
	});
}

/// Issue 11: every provider got the GPU-sized challenge (275 G multiply-adds by default),
/// which a CPU cannot compute within `commit_blocks`, so a CPU-only provider failed every
/// challenge however honest it was. A provider that declares no CUDA backend now gets the
/// CPU shape, answers it and passes; one with CUDA still gets the GPU shape, and a lazy
/// CPU-only provider still fails.
#[test]
fn a_cpu_only_provider_gets_a_challenge_its_cpu_can_answer() {
	build_and_execute(|| {
		let mut cpu_only = profile();
		cpu_only.backends.cuda = false;
		let endpoint = kiln_test_fixtures::endpoint();
		assert_ok!(Providers::update_profile(RuntimeOrigin::signed(P1), cpu_only, endpoint));
		System::reset_events();
		run_to_block(2);
		let mut shapes: Vec<_> = events()
			.into_iter()
			.filter_map(|e| match e {
				Event::ChallengeIssued { provider, m, n, k, .. } => Some((provider, (m, n, k))),
				_ => None,
			})
			.collect();
		shapes.sort();
		let (gpu, cpu) = (poc_config(), poc_config());
		assert_eq!(
			shapes,
			vec![
				(P1, (cpu.cpu_m, cpu.cpu_n, cpu.cpu_k)),
				(P2, (gpu.m, gpu.n, gpu.k)),
				(P3, (gpu.m, gpu.n, gpu.k))
			]
		);
		assert!((cpu.cpu_m, cpu.cpu_n, cpu.cpu_k) != (gpu.m, gpu.n, gpu.k));
		assert!(matches!(respond(false), Event::ChallengePassed { provider: P1, .. }));

		// The next challenge of the same provider (the sweep visits every block), answered
		// with half of C made up, fails: a smaller challenge is no easier to fake.
		run_to_block(System::block_number() + 1);
		let (id, _) = challenge_of(P1);
		assert_eq!(Challenges::<Test>::get(id).unwrap().m, cpu.cpu_m);
		assert!(matches!(respond(true), Event::ChallengeFailed { provider: P1, .. }));
	});
}

#[test]
fn an_honest_provider_passes() {
	build_and_execute(|| {
		let bonded = pallet_collateral::Pallet::<Test>::bonded(&P1);
		assert!(matches!(answer(false), Event::ChallengePassed { provider: P1, .. }));
		assert_eq!(Providers::reputation(&P1).unwrap().challenges_passed, 1);
		assert_eq!(pallet_collateral::Pallet::<Test>::bonded(&P1), bonded);
		assert!(OpenChallenge::<Test>::get(P1).is_none());
	});
}

/// A provider that computed only half of C, over 100 challenges with 8 samples each: it
/// passes with probability 0.5^8 ≈ 0.4 % per challenge (0.5^32 with the default 32 samples).
#[test]
fn a_provider_that_computed_half_of_c_fails_and_is_slashed() {
	build_and_execute(|| {
		// Enough bond to stay above the registered minimum through 100 slashes.
		assert_ok!(Collateral::bond_extra(RuntimeOrigin::signed(P1), 10_000));
		let mut passes = 0;
		let mut failures = 0;
		for _ in 0..100 {
			match answer(true) {
				Event::ChallengePassed { .. } => passes += 1,
				Event::ChallengeFailed { reason, slashed, .. } => {
					assert_eq!((reason, slashed), (FailReason::WrongEntry, SLASH));
					failures += 1;
				},
				other => panic!("{other:?}"),
			}
		}
		println!("half-computed C, 8 samples: {passes} passes in 100 challenges");
		assert!(passes <= 3, "{passes}");
		assert_eq!(Providers::reputation(&P1).unwrap().challenges_failed, failures);
		assert_eq!(
			pallet_collateral::Pallet::<Test>::bonded(&P1),
			BOND + 10_000 - SLASH * u64::from(failures)
		);
	});
}

#[test]
fn no_commit_or_no_reveal_fails_and_slashes() {
	build_and_execute(|| {
		run_to_block(2);
		let (id1, _) = challenge_of(P1);
		let (id2, seed2) = challenge_of(P2);
		let tree = Tree::build(&compute(&seed2, false));
		assert_ok!(ProofOfCompute::commit_challenge(RuntimeOrigin::signed(P2), id2, tree.root()));
		let ch = Challenges::<Test>::get(id1).unwrap();
		run_to_block(ch.opens_at);
		assert!(events().contains(&Event::ChallengeFailed {
			id: id1,
			provider: P1,
			reason: FailReason::NoCommit,
			slashed: SLASH
		}));
		run_to_block(ch.reveal_by);
		assert!(events().contains(&Event::ChallengeFailed {
			id: id2,
			provider: P2,
			reason: FailReason::NoReveal,
			slashed: SLASH
		}));
		for p in [P1, P2] {
			assert_eq!(pallet_collateral::Pallet::<Test>::bonded(&p), BOND - SLASH);
		}
	});
}

#[test]
fn calls_out_of_turn_get_specific_errors() {
	build_and_execute(|| {
		run_to_block(2);
		let (id, seed) = challenge_of(P1);
		let c = compute(&seed, false);
		let tree = Tree::build(&c);
		let none: BoundedVec<Opening, ConstU32<MAX_SAMPLES>> = Default::default();
		assert_noop!(
			ProofOfCompute::commit_challenge(RuntimeOrigin::signed(P1), 999, tree.root()),
			Error::<Test>::NoSuchChallenge
		);
		assert_noop!(
			ProofOfCompute::commit_challenge(RuntimeOrigin::signed(P2), id, tree.root()),
			Error::<Test>::NotYourChallenge
		);
		// A reveal before the entries are drawn.
		assert_noop!(
			ProofOfCompute::reveal_challenge(RuntimeOrigin::signed(P1), id, none.clone()),
			Error::<Test>::NotOpened
		);
		assert_ok!(ProofOfCompute::commit_challenge(RuntimeOrigin::signed(P1), id, tree.root()));
		assert_noop!(
			ProofOfCompute::commit_challenge(RuntimeOrigin::signed(P1), id, tree.root()),
			Error::<Test>::AlreadyCommitted
		);
		assert_noop!(
			ProofOfCompute::reveal_challenge(RuntimeOrigin::signed(P1), id, none.clone()),
			Error::<Test>::NotOpened
		);
		// P2 commits too late: at commit_by.
		let ch = Challenges::<Test>::get(id).unwrap();
		run_to_block(ch.commit_by);
		let (id2, seed2) = challenge_of(P2);
		let late = Tree::build(&compute(&seed2, false)).root();
		assert_noop!(
			ProofOfCompute::commit_challenge(RuntimeOrigin::signed(P2), id2, late),
			Error::<Test>::CommitWindowClosed
		);
		run_to_block(ch.opens_at);
		assert_noop!(
			ProofOfCompute::reveal_challenge(RuntimeOrigin::signed(P1), id, none),
			Error::<Test>::WrongOpeningCount
		);
		assert_noop!(
			ProofOfCompute::configure(RuntimeOrigin::signed(P1), poc_config()),
			sp_runtime::DispatchError::BadOrigin
		);
		// Each value that would break the protocol is refused, naming its field (finding 9 of
		// issue 11: `commit_blocks = 1` left no block to commit in, zero slashes made failing
		// free, windows had no bound).
		use crate::{ConfigField as F, ConfigRecord as C};
		for (bad, field) in [
			(C { samples: MAX_SAMPLES + 1, ..poc_config() }, F::Samples),
			(C { samples: 0, ..poc_config() }, F::Samples),
			(
				C { providers_per_block: crate::MAX_PROVIDERS_PER_BLOCK + 1, ..poc_config() },
				F::ProvidersPerBlock,
			),
			(C { verifier_blocks: 0, ..poc_config() }, F::VerifierBlocks),
			(C { verifier_blocks: 1, ..poc_config() }, F::VerifierBlocks),
			(
				C { verifier_blocks: u64::from(crate::MAX_VERIFIER_BLOCKS) + 1, ..poc_config() },
				F::VerifierBlocks,
			),
			(C { k: kiln_primitives::poc::MAX_K + 1, ..poc_config() }, F::ChallengeShape),
			(C { m: 0, ..poc_config() }, F::ChallengeShape),
			(C { commit_blocks: 1, ..poc_config() }, F::CommitBlocks),
			(
				C { commit_blocks: u64::from(crate::MAX_WINDOW_BLOCKS) + 1, ..poc_config() },
				F::CommitBlocks,
			),
			(C { reveal_blocks: 1, ..poc_config() }, F::RevealBlocks),
			(C { slash_failed_challenge: 0, ..poc_config() }, F::SlashFailedChallenge),
			(C { slash_wrong_result: 0, ..poc_config() }, F::SlashWrongResult),
		] {
			assert_noop!(
				ProofOfCompute::configure(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidConfiguration { field }
			);
		}
	});
}

/// The entries to open come from randomness of blocks after the last block a root could be
/// committed in, and from several of them: finding 5 of issue 11 (a block author knows its own
/// block's VRF output before it publishes the block; knowing the output of any one block of the
/// window, or of all but one, does not tell the openings).
#[test]
fn the_openings_use_randomness_no_single_block_author_knows_at_commit_time() {
	let opened = |salted: Option<u64>| {
		let mut indices = Vec::new();
		build_and_execute(|| {
			run_to_block(2);
			let (id, seed) = challenge_of(P1);
			let ch = Challenges::<Test>::get(id).unwrap();
			run_to_block(ch.commit_by - 1); // the last block a commit is accepted in
			let tree = Tree::build(&compute(&seed, false));
			assert_ok!(ProofOfCompute::commit_challenge(
				RuntimeOrigin::signed(P1),
				id,
				tree.root()
			));
			let committed_at = System::block_number();
			// The window: the `ENTROPY_BLOCKS` blocks after the commitment's.
			assert_eq!(ch.opens_at, committed_at + DRAW_DELAY);
			if let Some(block) = salted {
				salt_vrf(block, 99);
			}
			run_to_block(ch.opens_at);
			assert!(matches!(
				Challenges::<Test>::get(id).unwrap().state,
				ChallengeState::Opened { .. }
			));
			indices = opened_indices(id);
		});
		indices
	};
	let plain = opened(None);
	let commit_block = 2 + COMMIT_BLOCKS - 1;
	// Another output for any block of the window opens other entries.
	for block in commit_block + 1..=commit_block + ENTROPY_BLOCKS {
		assert_ne!(opened(Some(block)), plain, "block {block} of the window counts");
	}
	// The commitment's own block and the ones before do not count: they were known.
	assert_eq!(opened(Some(commit_block)), plain);
}

#[test]
fn without_randomness_a_challenge_is_voided_without_penalty() {
	build_and_execute(|| {
		run_to_block(2);
		let (id, seed) = challenge_of(P1);
		let tree = Tree::build(&compute(&seed, false));
		assert_ok!(ProofOfCompute::commit_challenge(RuntimeOrigin::signed(P1), id, tree.root()));
		RANDOMNESS_AVAILABLE.with(|r| r.set(false));
		run_to_block(Challenges::<Test>::get(id).unwrap().opens_at);
		assert!(events().contains(&Event::ChallengeVoided { id }));
		assert_eq!(pallet_collateral::Pallet::<Test>::bonded(&P1), BOND);
	});
}
