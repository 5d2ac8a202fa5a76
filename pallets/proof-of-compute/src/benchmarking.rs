//! Benchmarks for every call, the market's verification hooks and each kind of agenda step,
//! in their worst cases: the deepest proofs and largest `k`, full candidate scans that find
//! nobody, verdicts that refund, pay and slash.

use super::*;
use crate::agenda::AGENDA_SEARCH;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use kiln_primitives::{
	poc::{self, Shape, LEAF_ENTRIES},
	result_commitment, Collateral, GemmJob, JobId, ProviderRegistry, Verification, VerifiedMarket,
};
use kiln_support::benchmarking::signed;
use sp_runtime::{
	traits::{One, Saturating},
	Perbill,
};

/// `n` KILN.
fn units<T: Config>(n: u32) -> BalanceOf<T> {
	kiln_support::benchmarking::units(n)
}

fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	kiln_support::benchmarking::funded::<_, T::Currency>(name, i, units::<T>(100_000))
}

/// A registered provider with 5 000 KILN bonded.
fn provider<T: Config>(name: &'static str, i: u32) -> Result<T::AccountId, BenchmarkError> {
	kiln_support::benchmarking::registered_provider::<_, T::Currency, T::Collateral, T::Registry>(
		name,
		i,
		units::<T>(100_000),
		units::<T>(5_000),
	)
}

/// Registered providers that cannot lock anything (their whole bond locked): every verifier
/// search looks at all of its candidates and finds nobody.
fn exhausted_registry<T: Config>() -> Result<(), BenchmarkError> {
	for i in 0..VERIFIER_CANDIDATES * 2 {
		let who = provider::<T>("exhausted", i)?;
		T::Collateral::lock(&who, T::Collateral::free(&who))?;
	}
	Ok(())
}

/// Makes randomness available, from block 1 at least (see [`now`]).
fn randomness<T: Config>() {
	now::<T>();
	<T::BenchmarkHelper as crate::BenchmarkHelper>::make_randomness_available();
}

/// Makes every draw in the hook of `block` possible: the entropy of the blocks before it,
/// recorded as the hooks would have.
fn entropy_for<T: Config>(block: BlockNumberFor<T>) {
	let blocks = T::EntropyBlocks::get().clamp(1, crate::MAX_ENTROPY_BLOCKS);
	let entries: Vec<_> = (1..=blocks)
		.rev()
		.map(|back| (block.saturating_sub(back.into()), [back as u8; 32]))
		.collect();
	crate::RecentEntropy::<T>::put(BoundedVec::truncate_from(entries));
}

/// The current block, moved from 0 to 1 first: the benchmark runner moves a setup made at
/// block 0 to block 1 before the measured code runs, which would shift every agenda a setup
/// filled for "now" by a block (the measured step then found room instead of searching full
/// agendas: `on_commit` and `on_reveal` were measured that way).
fn now<T: Config>() -> BlockNumberFor<T> {
	if frame_system::Pallet::<T>::block_number() < One::one() {
		frame_system::Pallet::<T>::set_block_number(One::one());
	}
	frame_system::Pallet::<T>::block_number()
}

fn set_config<T: Config>(change: impl FnOnce(&mut ConfigRecordOf<T>)) {
	let mut config = Configuration::<T>::get();
	change(&mut config);
	Configuration::<T>::put(config);
}

/// The largest C: 2^32 entries, the deepest proofs.
const WIDE: u32 = 65_536;

/// Openings of `s` entries (the first entry of each of the first `s` leaves) of a C whose
/// other leaves are made up: a real tree over the first 64 leaves under a path of constant
/// siblings, so every proof has the full depth and leads to one root.
fn openings(seed: &[u8; 32], shape: Shape, s: u32) -> ([u8; 32], Vec<u64>, Vec<Opening>) {
	let depth = poc::tree_depth(shape.leaves()) as usize;
	let sub = LEAF_ENTRIES; // leaves in the real subtree (64 = 2^6)
	let mut leaves: Vec<[i32; LEAF_ENTRIES]> = vec![[0; LEAF_ENTRIES]; sub];
	let samples: Vec<u64> = (0..s as u64).map(|i| i * LEAF_ENTRIES as u64).collect();
	for (i, sample) in samples.iter().enumerate() {
		let (row, col) = (sample / u64::from(shape.n), sample % u64::from(shape.n));
		leaves[i][0] = poc::entry(seed, shape, row as u32, col as u32);
	}
	let mut levels: Vec<Vec<[u8; 32]>> = vec![leaves
		.iter()
		.enumerate()
		.map(|(i, entries)| poc::hash_leaf(i as u32, entries))
		.collect()];
	while levels.last().map_or(0, |l| l.len()) > 1 {
		let below = levels.last().cloned().unwrap_or_default();
		levels.push(below.chunks(2).map(|p| poc::hash_node(&p[0], &p[1])).collect());
	}
	let sub_depth = levels.len() - 1;
	let upper = vec![[0x5a; 32]; depth.saturating_sub(sub_depth)];
	let mut root = levels[sub_depth][0];
	for sibling in &upper {
		root = poc::hash_node(&root, sibling);
	}
	let list = (0..s as usize)
		.map(|i| {
			let mut proof = Vec::new();
			let mut index = i;
			for level in &levels[..sub_depth] {
				proof.push(level[index ^ 1]);
				index /= 2;
			}
			proof.extend(upper.iter().copied());
			Opening { entries: leaves[i], proof: BoundedVec::truncate_from(proof) }
		})
		.collect();
	(root, samples, list)
}

/// A hardware challenge to a fresh provider, issued now.
fn issued<T: Config>(i: u32) -> Result<(ChallengeId, T::AccountId), BenchmarkError> {
	randomness::<T>();
	let who = provider::<T>("challenged", i)?;
	let id = NextChallengeId::<T>::get();
	Pallet::<T>::issue(&who, [i as u8; 32], now::<T>(), &Configuration::<T>::get());
	if !Challenges::<T>::contains_key(id) {
		return Err(BenchmarkError::Stop("no room to issue a challenge"));
	}
	Ok((id, who))
}

/// A job of its own client and provider, committed with `output`, revealed if `reveal`.
fn job<T: Config>(
	i: u32,
	gemm: bool,
	output: [u8; 32],
	reveal: bool,
) -> Result<(JobId, T::AccountId, T::AccountId), BenchmarkError> {
	randomness::<T>();
	let client = funded::<T>("client", i);
	let who = provider::<T>("provider", i)?;
	let job_id = T::Market::job_for_benchmark(&client, &who, gemm, output, reveal)?;
	Ok((job_id, client, who))
}

/// Verifier `v` of check `i`: registered, its bond locked.
fn verifier<T: Config>(
	i: u32,
	v: u32,
	bond: BalanceOf<T>,
	output: Option<[u8; 32]>,
	committed: bool,
) -> Result<Verifier<T::AccountId>, BenchmarkError> {
	let who = provider::<T>("verifier", i * MAX_VERIFIERS + v)?;
	T::Collateral::lock(&who, bond)?;
	let hash = output.unwrap_or([v as u8; 32]);
	Ok(Verifier {
		commitment: committed.then(|| result_commitment(&hash, &[v as u8; 32])),
		account: who,
		output,
		dropped: false,
	})
}

/// `n` spot-checked, revealed jobs (the provider's output `[1; 32]`) in a dispute at `stage`
/// with three verifiers made by `make(check, v)`, all due at one block, which is returned.
fn disputes<T: Config>(
	n: u32,
	stage: SpotCheckStage,
	make: impl Fn(u32, u32, BalanceOf<T>) -> Result<Verifier<T::AccountId>, BenchmarkError>,
) -> Result<BlockNumberFor<T>, BenchmarkError> {
	set_config::<T>(|c| c.spot_check_probability = Perbill::one());
	let due = Pallet::<T>::first_draw_after(now::<T>());
	for i in 0..n {
		let (job_id, _, provider) = job::<T>(i, false, [1; 32], true)?;
		// Still short of a verifier's bond once a verdict unlocks its job collateral.
		T::Collateral::lock(&provider, units::<T>(1))?;
		let mut check = SpotChecks::<T>::get(job_id).ok_or(BenchmarkError::Stop("no check"))?;
		Pallet::<T>::unschedule(Task::SpotCheck(job_id), check.next);
		// A bond nobody else can lock (a provider with a job has part of its bond locked):
		// replacements are searched for in vain.
		check.bond = units::<T>(5_000);
		let verifiers =
			(0..MAX_VERIFIERS).map(|v| make(i, v, check.bond)).collect::<Result<Vec<_>, _>>()?;
		check.verifiers = BoundedVec::truncate_from(verifiers);
		check.dispute = true;
		check.stage = stage;
		check.next = Pallet::<T>::schedule(Task::SpotCheck(job_id), due)
			.ok_or(BenchmarkError::Stop("agenda full"))?;
		if check.next != due {
			return Err(BenchmarkError::Stop("agenda full"));
		}
		SpotChecks::<T>::insert(job_id, check);
	}
	Ok(due)
}

/// Fills the agendas of the [`AGENDA_SEARCH`] blocks from `from` with entries of no task, so
/// that a step placed from `from` searches them all and waits in line.
fn fill_agendas<T: Config>(from: BlockNumberFor<T>, blocks: u32) {
	let mut block = from;
	for _ in 0..blocks {
		let full = (0..T::MaxAgendaPerBlock::get())
			.map(|i| Task::SpotCheck(u64::MAX - u64::from(i)))
			.collect::<Vec<_>>();
		Agenda::<T>::insert(block, BoundedVec::truncate_from(full));
		block = block.saturating_add(One::one());
	}
}

/// Where a step wanted at `block` lands past `s` full agendas: `s` blocks later, or in the
/// waiting line due at `block` when the whole search was full.
fn landed<T: Config>(block: BlockNumberFor<T>, s: u32) -> BlockNumberFor<T> {
	if s < AGENDA_SEARCH {
		block.saturating_add(s.into())
	} else {
		block
	}
}

/// A result committed for a job that is not a `Gemm`, to be held for the draw, with the
/// agendas of `s` blocks from the draw's filled: (job, client, provider, draw block).
fn held_commit_setup<T: Config>(
	s: u32,
) -> Result<(JobId, T::AccountId, T::AccountId, BlockNumberFor<T>), BenchmarkError> {
	set_config::<T>(|c| c.spot_check_probability = Perbill::zero());
	let (job_id, client, who) = job::<T>(0, false, [3; 32], false)?;
	set_config::<T>(|c| c.spot_check_probability = Perbill::one());
	let block = Pallet::<T>::first_draw_after(now::<T>());
	fill_agendas::<T>(block, s);
	Ok((job_id, client, who, block))
}

/// The draw placed past `s` full agendas, the hint written exactly when one was read.
fn held_commit_check<T: Config>(
	job_id: JobId,
	block: BlockNumberFor<T>,
	s: u32,
	decision: kiln_primitives::CommitDecision,
) {
	assert_eq!(decision, kiln_primitives::CommitDecision::Hold);
	assert_eq!(SpotChecks::<T>::get(job_id).map(|c| c.next), Some(landed::<T>(block, s)));
	let waits = s == AGENDA_SEARCH;
	let line = crate::agenda::TaskAgenda::<T>::line();
	assert_eq!(line, if waits { vec![(block, Task::SpotCheck(job_id))] } else { vec![] });
	assert_eq!(crate::AgendaHint::<T>::get().is_some(), s > 0);
}

/// A `Gemm` result committed, to be revealed, with the agendas of `s` blocks from its
/// sampling's opening filled: (job, provider, its shape, opening block, its challenge's id).
fn sampled_reveal_setup<T: Config>(
	s: u32,
) -> Result<(JobId, T::AccountId, Option<GemmJob>, BlockNumberFor<T>, ChallengeId), BenchmarkError>
{
	let (job_id, _, who) = job::<T>(0, true, [3; 32], false)?;
	let block = Pallet::<T>::first_draw_after(now::<T>());
	fill_agendas::<T>(block, s);
	let gemm = T::Market::job(job_id).and_then(|job| job.gemm);
	assert!(gemm.is_some());
	let id = Pallet::<T>::job_challenge_id(job_id).ok_or(BenchmarkError::Stop("no id"))?;
	Ok((job_id, who, gemm, block, id))
}

/// The opening placed past `s` full agendas, the hint written exactly when one was read.
fn sampled_reveal_check<T: Config>(
	id: ChallengeId,
	block: BlockNumberFor<T>,
	s: u32,
	decision: kiln_primitives::RevealDecision,
) {
	assert_eq!(decision, kiln_primitives::RevealDecision::Hold);
	assert_eq!(Challenges::<T>::get(id).map(|c| c.opens_at), Some(landed::<T>(block, s)));
	let waits = s == AGENDA_SEARCH;
	let line = crate::agenda::TaskAgenda::<T>::line();
	assert_eq!(line, if waits { vec![(block, Task::Challenge(id))] } else { vec![] });
	assert_eq!(crate::AgendaHint::<T>::get().is_some(), s > 0);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn commit_challenge() -> Result<(), BenchmarkError> {
		let (id, who) = issued::<T>(0)?;

		let origin = signed::<T>(&who);
		#[extrinsic_call]
		_(origin, id, [7; 32]);

		assert!(matches!(
			Challenges::<T>::get(id).map(|c| c.state),
			Some(ChallengeState::Committed { .. })
		));
		Ok(())
	}

	/// `s` openings of a challenge with inner dimension `k` and the deepest proofs, all
	/// valid (every check runs to the end).
	#[benchmark]
	fn reveal_challenge(
		s: Linear<1, MAX_SAMPLES>,
		k: Linear<1, { poc::MAX_K }>,
	) -> Result<(), BenchmarkError> {
		let (id, who) = issued::<T>(0)?;
		let mut challenge = Challenges::<T>::get(id).ok_or(BenchmarkError::Stop("no challenge"))?;
		let shape = Shape { m: WIDE, n: WIDE, k };
		let (root, indices, list) = openings(&challenge.seed, shape, s);
		(challenge.m, challenge.n, challenge.k) = (WIDE, WIDE, k);
		challenge.state =
			ChallengeState::Opened { root, indices: BoundedVec::truncate_from(indices) };
		Pallet::<T>::unschedule(Task::Challenge(id), challenge.opens_at);
		Challenges::<T>::insert(id, challenge);

		let origin = signed::<T>(&who);
		#[extrinsic_call]
		_(origin, id, BoundedVec::truncate_from(list));

		assert!(!Challenges::<T>::contains_key(id), "the challenge passed and ended");
		assert_eq!(T::Registry::reputation(&who).map(|r| r.challenges_passed), Some(1));
		Ok(())
	}

	#[benchmark]
	fn configure() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut config = Configuration::<T>::get();
		config.samples = MAX_SAMPLES;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, config.clone());

		assert_eq!(Configuration::<T>::get(), config);
		Ok(())
	}

	/// The sweep visits `p` active providers and challenges every one.
	#[benchmark]
	fn sweep(p: Linear<0, { T::MaxAgendaPerBlock::get() }>) -> Result<(), BenchmarkError> {
		randomness::<T>();
		let at = now::<T>().saturating_add(100u32.into());
		frame_system::Pallet::<T>::set_block_number(at);
		entropy_for::<T>(at);
		for i in 0..p {
			provider::<T>("swept", i)?;
		}
		set_config::<T>(|c| {
			c.challenge_rate = Perbill::one();
			c.providers_per_block = p;
		});
		let start = NextChallengeId::<T>::get();

		#[block]
		{
			Pallet::<T>::sweep(now::<T>());
		}

		// Positions are drawn with replacement: every visit that finds a provider without a
		// challenge issues one.
		let issued = NextChallengeId::<T>::get() - start;
		assert!(issued <= u64::from(p) && (p == 0 || issued > 0));
		Ok(())
	}

	/// `n` committed challenges of `s` samples opened at one block.
	#[benchmark]
	fn open_challenges(
		n: Linear<0, { T::MaxAgendaPerBlock::get() }>,
		s: Linear<1, MAX_SAMPLES>,
	) -> Result<(), BenchmarkError> {
		set_config::<T>(|c| c.samples = s);
		let mut opens_at = now::<T>();
		for i in 0..n {
			let (id, who) = issued::<T>(i)?;
			Pallet::<T>::do_commit(&who, id, [7; 32])?;
			opens_at = Challenges::<T>::get(id).map_or(opens_at, |c| c.opens_at);
		}
		frame_system::Pallet::<T>::set_block_number(opens_at);
		entropy_for::<T>(opens_at);

		#[block]
		{
			Pallet::<T>::process_agenda(opens_at);
		}

		assert!(Challenges::<T>::iter_values()
			.all(|c| matches!(c.state, ChallengeState::Opened { .. })));
		Ok(())
	}

	/// `n` challenges never committed, failed and slashed at one block.
	#[benchmark]
	fn fail_challenges(
		n: Linear<0, { T::MaxAgendaPerBlock::get() }>,
	) -> Result<(), BenchmarkError> {
		let mut opens_at = now::<T>();
		for i in 0..n {
			let (id, _) = issued::<T>(i)?;
			opens_at = Challenges::<T>::get(id).map_or(opens_at, |c| c.opens_at);
		}
		frame_system::Pallet::<T>::set_block_number(opens_at);
		entropy_for::<T>(opens_at);

		#[block]
		{
			Pallet::<T>::process_agenda(opens_at);
		}

		assert_eq!(Challenges::<T>::iter().count(), 0);
		Ok(())
	}

	/// A `Gemm` job's sampling failed: the market refunds the job, the provider is slashed.
	#[benchmark]
	fn job_verdict() -> Result<(), BenchmarkError> {
		let (job_id, _, _) = job::<T>(0, true, [3; 32], true)?;
		let id = Pallet::<T>::job_challenge_id(job_id).ok_or(BenchmarkError::Stop("no id"))?;
		let challenge = Challenges::<T>::get(id).ok_or(BenchmarkError::Stop("no challenge"))?;

		#[block]
		{
			Pallet::<T>::fail(id, challenge, FailReason::WrongEntry);
		}

		assert!(T::Market::job(job_id).is_none(), "the job ended");
		Ok(())
	}

	/// A result committed and held for the draw, placed past `s` ≥ 1 full agendas, which
	/// rewrites the agenda's hint (at `AGENDA_SEARCH`, every agenda searched was full: the
	/// draw waits in line).
	#[benchmark]
	fn on_commit(s: Linear<1, AGENDA_SEARCH>) -> Result<(), BenchmarkError> {
		let (job_id, client, who, block) = held_commit_setup::<T>(s)?;
		let decision;

		#[block]
		{
			decision = <Pallet<T> as Verification<T::AccountId>>::on_commit(job_id, &who, &client);
		}

		held_commit_check::<T>(job_id, block, s, decision.0);
		Ok(())
	}

	/// A result committed and held for the draw, which finds room at once (the hint read, not
	/// written).
	#[benchmark]
	fn on_commit_room() -> Result<(), BenchmarkError> {
		let (job_id, client, who, block) = held_commit_setup::<T>(0)?;
		let decision;

		#[block]
		{
			decision = <Pallet<T> as Verification<T::AccountId>>::on_commit(job_id, &who, &client);
		}

		held_commit_check::<T>(job_id, block, 0, decision.0);
		Ok(())
	}

	/// A result committed that is revealed at once: a `Gemm` job's (its root is sampled after
	/// the reveal), whatever the spot-check probability.
	#[benchmark]
	fn on_commit_at_once() -> Result<(), BenchmarkError> {
		let (job_id, client, who) = job::<T>(0, true, [3; 32], false)?;
		set_config::<T>(|c| c.spot_check_probability = Perbill::one());
		let decision;

		#[block]
		{
			decision = <Pallet<T> as Verification<T::AccountId>>::on_commit(job_id, &who, &client);
		}

		assert_eq!(decision.0, kiln_primitives::CommitDecision::RevealNow);
		assert!(!SpotChecks::<T>::contains_key(job_id));
		Ok(())
	}

	/// A `Gemm` result revealed: a challenge created, its opening placed past `s` ≥ 1 full
	/// agendas, which rewrites the agenda's hint (at `AGENDA_SEARCH`, in the waiting line).
	#[benchmark]
	fn on_reveal(s: Linear<1, AGENDA_SEARCH>) -> Result<(), BenchmarkError> {
		let (job_id, who, gemm, block, id) = sampled_reveal_setup::<T>(s)?;
		let decision;

		#[block]
		{
			decision =
				<Pallet<T> as Verification<T::AccountId>>::on_reveal(job_id, &who, &[3; 32], gemm);
		}

		sampled_reveal_check::<T>(id, block, s, decision.0);
		Ok(())
	}

	/// A `Gemm` result revealed, its challenge's opening placed at once (the hint read, not
	/// written): what each of a burst of reveals does once the hint is set.
	#[benchmark]
	fn on_reveal_room() -> Result<(), BenchmarkError> {
		let (job_id, who, gemm, block, id) = sampled_reveal_setup::<T>(0)?;
		let decision;

		#[block]
		{
			decision =
				<Pallet<T> as Verification<T::AccountId>>::on_reveal(job_id, &who, &[3; 32], gemm);
		}

		sampled_reveal_check::<T>(id, block, 0, decision.0);
		Ok(())
	}

	/// A result neither sampled nor spot-checked revealed: the market settles it after its
	/// window.
	#[benchmark]
	fn on_reveal_settled() -> Result<(), BenchmarkError> {
		set_config::<T>(|c| c.spot_check_probability = Perbill::zero());
		let (job_id, _, who) = job::<T>(0, false, [3; 32], false)?;
		let decision;

		#[block]
		{
			decision =
				<Pallet<T> as Verification<T::AccountId>>::on_reveal(job_id, &who, &[3; 32], None);
		}

		assert_eq!(decision.0, kiln_primitives::RevealDecision::SettleAfterWindow);
		Ok(())
	}

	/// The only verifier commits: the provider is asked to reveal.
	#[benchmark]
	fn commit_spot_check() -> Result<(), BenchmarkError> {
		set_config::<T>(|c| c.spot_check_probability = Perbill::one());
		let (job_id, _, _) = job::<T>(0, false, [3; 32], false)?;
		let v = provider::<T>("verifier", 0)?;
		let mut check = SpotChecks::<T>::get(job_id).ok_or(BenchmarkError::Stop("no check"))?;
		T::Collateral::lock(&v, check.bond)?;
		check.verifiers = BoundedVec::truncate_from(vec![Verifier {
			account: v.clone(),
			commitment: None,
			output: None,
			dropped: false,
		}]);
		check.stage = SpotCheckStage::Committing;
		SpotChecks::<T>::insert(job_id, check);

		let origin = signed::<T>(&v);
		#[extrinsic_call]
		_(origin, job_id, [4; 32]);

		assert_eq!(SpotChecks::<T>::get(job_id).map(|c| c.stage), Some(SpotCheckStage::Revealing));
		Ok(())
	}

	/// The last dispute verifier reveals: the provider is overturned (the job refunded, two
	/// verifiers paid, the provider and a dissenting verifier slashed).
	#[benchmark]
	fn reveal_spot_check() -> Result<(), BenchmarkError> {
		disputes::<T>(1, SpotCheckStage::Revealing, |i, v, bond| {
			let output = match v {
				0 => Some([2; 32]),
				1 => Some([9; 32]),
				_ => None,
			};
			verifier::<T>(i, v, bond, output, true)
		})?;
		let (job_id, check) =
			SpotChecks::<T>::iter().next().ok_or(BenchmarkError::Stop("no check"))?;
		let last = check.verifiers[2].account.clone();

		let origin = signed::<T>(&last);
		#[extrinsic_call]
		_(origin, job_id, [2; 32], [2; 32]);

		assert!(!SpotChecks::<T>::contains_key(job_id));
		assert!(T::Market::job(job_id).is_none(), "the job ended");
		Ok(())
	}

	/// `n` results drawn for a check at one block, each looking at every candidate and
	/// finding nobody (so the market is asked for the reveal).
	#[benchmark]
	fn decide_spot_checks(
		n: Linear<0, { T::MaxAgendaPerBlock::get() }>,
	) -> Result<(), BenchmarkError> {
		exhausted_registry::<T>()?;
		set_config::<T>(|c| {
			c.spot_check_probability = Perbill::one();
			// More than any provider with a job has free: nobody can verify.
			c.slash_wrong_result = units::<T>(5_000);
		});
		let due = Pallet::<T>::first_draw_after(now::<T>());
		for i in 0..n {
			job::<T>(i, false, [3; 32], false)?;
		}
		frame_system::Pallet::<T>::set_block_number(due);
		entropy_for::<T>(due);

		#[block]
		{
			Pallet::<T>::process_agenda(due);
		}

		assert_eq!(SpotChecks::<T>::iter().count(), 0);
		Ok(())
	}

	/// `n` disputes whose three verifiers all failed to commit: each dropped and slashed, a
	/// replacement searched for in vain, and the dispute ended inconclusive (refunded).
	#[benchmark]
	fn replace_verifiers(
		n: Linear<0, { T::MaxAgendaPerBlock::get() }>,
	) -> Result<(), BenchmarkError> {
		exhausted_registry::<T>()?;
		let due = disputes::<T>(n, SpotCheckStage::Committing, |i, v, bond| {
			verifier::<T>(i, v, bond, None, false)
		})?;
		frame_system::Pallet::<T>::set_block_number(due);
		entropy_for::<T>(due);

		#[block]
		{
			Pallet::<T>::process_agenda(due);
		}
		assert_eq!(SpotChecks::<T>::iter().count(), 0);
		Ok(())
	}

	/// `n` disputes at their reveal deadline: one verifier dropped, two agree against the
	/// provider (refund, two verifiers paid, the provider slashed).
	#[benchmark]
	fn resolve_disputes(
		n: Linear<0, { T::MaxAgendaPerBlock::get() }>,
	) -> Result<(), BenchmarkError> {
		let due = disputes::<T>(n, SpotCheckStage::Revealing, |i, v, bond| {
			let output = (v < 2).then_some([2; 32]);
			verifier::<T>(i, v, bond, output, true)
		})?;
		frame_system::Pallet::<T>::set_block_number(due);
		entropy_for::<T>(due);

		#[block]
		{
			Pallet::<T>::process_agenda(due);
		}

		assert_eq!(SpotChecks::<T>::iter().count(), 0);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
