//! Governance through the wired runtime: Council motions below and at the 2/3 threshold,
//! outsiders and Root, a Treasury spend by motion, the validator set changed by motion across
//! session changes, and equivocation proofs (a real double-signed BABE header and a real
//! GRANDPA double vote) checked on chain, with forged ones refused and the offender disabled
//! and removed.

use crate::{
	configs::MOTION_DURATION, currency::KILN, tests::preset_ext, AccountId, Babe, Balances,
	Council, Governance, Grandpa, Historical, Market, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeOrigin, Session, SessionKeys, System, Treasury,
};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	traits::{KeyOwnerProofSystem, OnInitialize},
};
use pallet_collective::Event as CouncilEvent;
use sp_core::{crypto::Pair as _, ed25519, sr25519, H256};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{traits::Hash as _, DispatchError, Perbill};

fn account(who: Sr25519Keyring) -> AccountId {
	who.to_account_id()
}

fn signed(who: Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(account(who))
}

fn next_block() {
	let n = System::block_number() + 1;
	System::set_block_number(n);
	crate::AllPalletsWithSystem::on_initialize(n);
}

fn council_events() -> Vec<CouncilEvent<Runtime, crate::configs::CouncilInstance>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Council(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// `market.configure` with the protocol fee set to `percent`.
fn set_fee(percent: u32) -> RuntimeCall {
	let mut config = pallet_market::Configuration::<Runtime>::get();
	config.protocol_fee = Perbill::from_percent(percent);
	RuntimeCall::Market(pallet_market::Call::configure { config })
}

fn fee() -> Perbill {
	pallet_market::Configuration::<Runtime>::get().protocol_fee
}

/// `who` proposes `call` with `threshold` ayes needed; returns its hash and index.
fn propose(who: Sr25519Keyring, threshold: u32, call: RuntimeCall) -> (H256, u32) {
	let length = call.encoded_size() as u32;
	let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
	let index = pallet_collective::ProposalCount::<Runtime, crate::configs::CouncilInstance>::get();
	assert_ok!(Council::propose(signed(who), threshold, Box::new(call), length));
	(hash, index)
}

fn vote(who: Sr25519Keyring, (hash, index): (H256, u32), aye: bool) {
	assert_ok!(Council::vote(signed(who), hash, index, aye));
}

fn try_close(
	motion: (H256, u32),
	call: &RuntimeCall,
) -> frame_support::dispatch::DispatchResultWithPostInfo {
	let weight = call.get_dispatch_info().call_weight;
	Council::close(
		signed(Sr25519Keyring::Charlie),
		motion.0,
		motion.1,
		weight,
		call.encoded_size() as u32,
	)
}

fn close(motion: (H256, u32), call: &RuntimeCall) {
	assert_ok!(try_close(motion, call));
}

/// The motion `call`, proposed by Alice, approved by her and Bob, closed and executed.
fn pass(call: RuntimeCall) {
	let motion = propose(Sr25519Keyring::Alice, 2, call.clone());
	vote(Sr25519Keyring::Alice, motion, true);
	vote(Sr25519Keyring::Bob, motion, true);
	close(motion, &call);
	let executed = council_events().into_iter().rev().find_map(|e| match e {
		CouncilEvent::Executed { proposal_hash, result } if proposal_hash == motion.0 => {
			Some(result)
		},
		_ => None,
	});
	assert_eq!(executed, Some(Ok(())), "the motion executed without error");
}

#[test]
fn the_presets_seat_alice_bob_and_charlie_on_the_council() {
	for preset in ["development", "local_testnet"] {
		preset_ext(preset).execute_with(|| {
			let council = [Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
				.map(account)
				.to_vec();
			let mut members =
				pallet_collective::Members::<Runtime, crate::configs::CouncilInstance>::get();
			members.sort();
			let mut expected = council.clone();
			expected.sort();
			assert_eq!(members, expected, "{preset}");
			assert_eq!(
				pallet_membership::Members::<Runtime, crate::configs::CouncilInstance>::get()
					.into_inner(),
				expected,
				"{preset}"
			);
			assert_eq!(Governance::validator_set().into_inner(), Session::validators(), "{preset}");
		});
	}
}

#[test]
fn a_motion_below_two_thirds_changes_nothing() {
	preset_ext("development").execute_with(|| {
		let before = fee();
		// A motion of one member executes at once, as one third of the Council: refused.
		let call = set_fee(7);
		let motion = propose(Sr25519Keyring::Alice, 1, call);
		assert_eq!(
			council_events().last(),
			Some(&CouncilEvent::Executed {
				proposal_hash: motion.0,
				result: Err(DispatchError::BadOrigin)
			})
		);
		assert_eq!(fee(), before);

		// Two needed, one aye and one nay; the third is absent and there is no prime, so the
		// absent vote nay when the motion times out.
		let call = set_fee(8);
		let motion = propose(Sr25519Keyring::Alice, 2, call.clone());
		vote(Sr25519Keyring::Alice, motion, true);
		vote(Sr25519Keyring::Bob, motion, false);
		assert_noop!(
			try_close(motion, &call),
			pallet_collective::Error::<Runtime, crate::configs::CouncilInstance>::TooEarly
		);
		System::set_block_number(System::block_number() + MOTION_DURATION);
		close(motion, &call);
		let events = council_events();
		assert!(events.contains(&CouncilEvent::Closed { proposal_hash: motion.0, yes: 1, no: 2 }));
		assert!(events.contains(&CouncilEvent::Disapproved { proposal_hash: motion.0 }));
		assert_eq!(fee(), before);
	});
}

#[test]
fn at_two_thirds_the_parameter_changes_with_its_events() {
	preset_ext("development").execute_with(|| {
		let call = set_fee(7);
		let motion = propose(Sr25519Keyring::Alice, 2, call.clone());
		// Proposing is not voting: one aye is not enough to close.
		vote(Sr25519Keyring::Alice, motion, true);
		assert_noop!(
			try_close(motion, &call),
			pallet_collective::Error::<Runtime, crate::configs::CouncilInstance>::TooEarly
		);
		vote(Sr25519Keyring::Bob, motion, true);
		close(motion, &call);
		let events = council_events();
		assert!(events.contains(&CouncilEvent::Closed { proposal_hash: motion.0, yes: 2, no: 0 }));
		assert!(events.contains(&CouncilEvent::Approved { proposal_hash: motion.0 }));
		assert!(
			events.contains(&CouncilEvent::Executed { proposal_hash: motion.0, result: Ok(()) })
		);
		assert_eq!(fee(), Perbill::from_percent(7));
		System::assert_has_event(
			pallet_market::Event::ConfigurationSet {
				config: pallet_market::Configuration::<Runtime>::get(),
			}
			.into(),
		);
		// The proposer's deposit is held until the motion is closed, then given back on demand.
		let alice = account(Sr25519Keyring::Alice);
		assert_ok!(Council::release_proposal_cost(signed(Sr25519Keyring::Bob), motion.0));
		assert_eq!(
			<Balances as frame_support::traits::fungible::InspectHold<_>>::total_balance_on_hold(
				&alice
			),
			0
		);
	});
}

#[test]
fn every_kiln_parameter_is_set_by_a_council_motion() {
	preset_ext("development").execute_with(|| {
		let mut collateral = pallet_collateral::Configuration::<Runtime>::get();
		collateral.unbonding_period += 1;
		let mut providers = pallet_providers::Configuration::<Runtime>::get();
		providers.min_bond_per_gpu += KILN;
		let mut poc = pallet_proof_of_compute::Configuration::<Runtime>::get();
		poc.spot_check_probability = Perbill::from_percent(3);
		pass(RuntimeCall::Collateral(pallet_collateral::Call::configure {
			config: collateral.clone(),
		}));
		pass(RuntimeCall::Providers(pallet_providers::Call::configure {
			config: providers.clone(),
		}));
		pass(RuntimeCall::ProofOfCompute(pallet_proof_of_compute::Call::configure {
			config: poc.clone(),
		}));
		pass(set_fee(9));
		assert_eq!(pallet_collateral::Configuration::<Runtime>::get(), collateral);
		assert_eq!(pallet_providers::Configuration::<Runtime>::get(), providers);
		assert_eq!(pallet_proof_of_compute::Configuration::<Runtime>::get(), poc);
		assert_eq!(fee(), Perbill::from_percent(9));
	});
}

#[test]
fn outsiders_get_bad_origin_and_root_still_works() {
	preset_ext("development").execute_with(|| {
		let config = pallet_market::Configuration::<Runtime>::get();
		// Dave is funded but not on the Council.
		assert_noop!(
			Council::propose(signed(Sr25519Keyring::Dave), 1, Box::new(set_fee(7)), 100),
			pallet_collective::Error::<Runtime, crate::configs::CouncilInstance>::NotMember
		);
		assert_noop!(
			Market::configure(signed(Sr25519Keyring::Dave), config.clone()),
			DispatchError::BadOrigin
		);
		// A council member alone is no more than anyone else.
		assert_noop!(
			Market::configure(signed(Sr25519Keyring::Alice), config.clone()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Governance::remove_validator(
				signed(Sr25519Keyring::Alice),
				account(Sr25519Keyring::Alice)
			),
			DispatchError::BadOrigin
		);
		let mut changed = config;
		changed.protocol_fee = Perbill::from_percent(11);
		assert_ok!(Market::configure(RuntimeOrigin::root(), changed));
		assert_eq!(fee(), Perbill::from_percent(11));
	});
}

#[test]
fn the_treasury_pays_a_spend_approved_by_motion() {
	preset_ext("development").execute_with(|| {
		let treasury = crate::configs::TreasuryAccount::get();
		assert_ok!(Balances::transfer_keep_alive(
			signed(Sr25519Keyring::Ferdie),
			treasury.clone().into(),
			100 * KILN
		));
		let dave = account(Sr25519Keyring::Dave);
		let before = Balances::free_balance(&dave);
		let spend = RuntimeCall::Treasury(pallet_treasury::Call::spend {
			asset_kind: Box::new(()),
			amount: 40 * KILN,
			beneficiary: Box::new(dave.clone()),
			valid_from: None,
		});
		// Not by one member, nor by a motion of one.
		assert_noop!(
			Treasury::spend(
				signed(Sr25519Keyring::Alice),
				Box::new(()),
				40 * KILN,
				Box::new(dave.clone()),
				None
			),
			DispatchError::BadOrigin
		);
		pass(spend);
		assert_ok!(Treasury::payout(signed(Sr25519Keyring::Eve), 0));
		assert_eq!(Balances::free_balance(&dave), before + 40 * KILN);
	});
}

/// Session keys derived from `//Name`, with the proof `session.set_keys` checks.
fn keys_and_proof(who: Sr25519Keyring, grandpa: Ed25519Keyring) -> (SessionKeys, Vec<u8>) {
	use sp_core::proof_of_possession::ProofOfPossessionGenerator;
	let owner = account(who).encode();
	let mut babe = sr25519::Pair::from_string(&format!("//{who}"), None).expect("a dev seed");
	let mut gran = ed25519::Pair::from_string(&format!("//{grandpa}"), None).expect("a dev seed");
	let keys = SessionKeys { babe: babe.public().into(), grandpa: gran.public().into() };
	let proof =
		(babe.generate_proof_of_possession(&owner), gran.generate_proof_of_possession(&owner))
			.encode();
	(keys, proof)
}

fn authors() -> Vec<AccountId> {
	Session::validators()
}

#[test]
fn a_validator_added_by_motion_authors_after_the_next_session_and_one_removed_leaves() {
	preset_ext("local_testnet").execute_with(|| {
		let eve = account(Sr25519Keyring::Eve);
		let dave = account(Sr25519Keyring::Dave);
		// Eve cannot be seated before she registers her keys.
		let add =
			RuntimeCall::Governance(pallet_governance::Call::add_validator { who: eve.clone() });
		let motion = propose(Sr25519Keyring::Alice, 2, add.clone());
		vote(Sr25519Keyring::Alice, motion, true);
		vote(Sr25519Keyring::Bob, motion, true);
		close(motion, &add);
		assert!(council_events().contains(&CouncilEvent::Executed {
			proposal_hash: motion.0,
			result: Err(pallet_governance::Error::<Runtime>::NoSessionKeys.into())
		}));
		let (keys, proof) = keys_and_proof(Sr25519Keyring::Eve, Ed25519Keyring::Eve);
		let forged = keys_and_proof(Sr25519Keyring::Eve, Ed25519Keyring::Ferdie).1;
		assert_noop!(
			Session::set_keys(signed(Sr25519Keyring::Eve), keys.clone(), forged),
			pallet_session::Error::<Runtime>::InvalidProof
		);
		assert_ok!(Session::set_keys(signed(Sr25519Keyring::Eve), keys, proof));

		pass(add);
		pass(RuntimeCall::Governance(pallet_governance::Call::remove_validator {
			who: dave.clone(),
		}));
		System::assert_has_event(
			pallet_governance::Event::ValidatorAdded { who: eve.clone() }.into(),
		);
		assert!(authors().contains(&dave) && !authors().contains(&eve));

		// The next change of session queues the new set; the one after makes it author.
		Session::rotate_session();
		assert!(authors().contains(&dave) && !authors().contains(&eve));
		let queued: Vec<_> = Session::queued_keys().into_iter().map(|(v, _)| v).collect();
		assert!(queued.contains(&eve) && !queued.contains(&dave));
		Session::rotate_session();
		assert!(authors().contains(&eve) && !authors().contains(&dave));
		assert_eq!(authors().len(), 4);
		// BABE's and GRANDPA's authority sets follow.
		let eve_babe: sp_consensus_babe::AuthorityId = Sr25519Keyring::Eve.public().into();
		assert!(Babe::authorities().iter().any(|(id, _)| *id == eve_babe));
		Governance::do_try_state().expect("governance try_state");
	});
}

/// A BABE header for `slot` authored by `pair` (authority `index`), sealed as a node seals it;
/// `salt` makes two headers of the same slot differ.
fn babe_header(index: u32, slot: u64, salt: u8, pair: &sr25519::Pair) -> crate::Header {
	use sp_consensus_babe::digests::{CompatibleDigestItem, PreDigest, SecondaryPlainPreDigest};
	use sp_runtime::{traits::Header as _, DigestItem};
	let pre = PreDigest::SecondaryPlain(SecondaryPlainPreDigest {
		authority_index: index,
		slot: slot.into(),
	});
	let mut header = crate::Header::new(
		System::block_number() + 1,
		H256::repeat_byte(salt),
		H256::zero(),
		System::parent_hash(),
		Default::default(),
	);
	header.digest_mut().push(DigestItem::babe_pre_digest(pre));
	let signature: sp_consensus_babe::AuthoritySignature = pair.sign(header.hash().as_ref()).into();
	header.digest_mut().push(DigestItem::babe_seal(signature));
	header
}

/// Bob's index in the session's validators (and in BABE's authorities).
fn index_of(who: Sr25519Keyring) -> u32 {
	Session::validators().iter().position(|v| *v == account(who)).expect("a validator") as u32
}

#[test]
fn a_double_signed_babe_header_is_proven_and_its_author_disabled_and_removed() {
	preset_ext("local_testnet").execute_with(|| {
		next_block();
		let bob = account(Sr25519Keyring::Bob);
		let index = index_of(Sr25519Keyring::Bob);
		let pair = sr25519::Pair::from_string("//Bob", None).expect("a dev seed");
		let slot = u64::from(*Babe::current_slot()) + 1;
		let proof = sp_consensus_babe::EquivocationProof {
			offender: pair.public().into(),
			slot: slot.into(),
			first_header: babe_header(index, slot, 1, &pair),
			second_header: babe_header(index, slot, 2, &pair),
		};
		let owner = Historical::prove((sp_consensus_babe::KEY_TYPE, pair.public().to_vec()))
			.expect("Bob's key is in the session's historical root");

		// Forged: the same headers, but the second sealed by Charlie's key.
		let charlie = sr25519::Pair::from_string("//Charlie", None).expect("a dev seed");
		let mut forged = proof.clone();
		forged.second_header = babe_header(index, slot, 2, &charlie);
		assert_noop!(
			Babe::report_equivocation_unsigned(
				RuntimeOrigin::none(),
				Box::new(forged),
				owner.clone()
			),
			pallet_babe::Error::<Runtime>::InvalidEquivocationProof
		);
		// A proof naming Bob with Charlie's membership proof is refused too.
		let charlie_owner =
			Historical::prove((sp_consensus_babe::KEY_TYPE, charlie.public().to_vec()))
				.expect("a key");
		assert!(Babe::report_equivocation_unsigned(
			RuntimeOrigin::none(),
			Box::new(proof.clone()),
			charlie_owner
		)
		.is_err());
		assert!(Session::disabled_validators().is_empty());

		assert_ok!(Babe::report_equivocation_unsigned(
			RuntimeOrigin::none(),
			Box::new(proof.clone()),
			owner.clone()
		));
		assert_eq!(Session::disabled_validators(), vec![index]);
		System::assert_has_event(
			pallet_governance::Event::OffenderRemoved { who: bob.clone(), session: 0 }.into(),
		);
		assert!(!Governance::validator_set().contains(&bob));
		// The same offence again is a duplicate.
		assert!(Babe::report_equivocation_unsigned(RuntimeOrigin::none(), Box::new(proof), owner)
			.is_err());
		Session::rotate_session();
		Session::rotate_session();
		assert!(!authors().contains(&bob));
		assert_eq!(authors().len(), 3);
	});
}

#[test]
fn a_grandpa_double_vote_is_proven_and_the_voter_disabled_and_removed() {
	use sp_consensus_grandpa::{Equivocation, EquivocationProof};
	preset_ext("local_testnet").execute_with(|| {
		next_block();
		let charlie = account(Sr25519Keyring::Charlie);
		let index = index_of(Sr25519Keyring::Charlie);
		let pair = ed25519::Pair::from_string("//Charlie", None).expect("a dev seed");
		let set_id = Grandpa::current_set_id();
		let round = 1;
		let vote = |target: H256, signer: &ed25519::Pair| {
			let prevote = finality_grandpa::Prevote { target_hash: target, target_number: 1u32 };
			let payload = sp_consensus_grandpa::localized_payload(
				round,
				set_id,
				&finality_grandpa::Message::Prevote(prevote.clone()),
			);
			let signature: sp_consensus_grandpa::AuthoritySignature = signer.sign(&payload).into();
			(prevote, signature)
		};
		let proof = |second_signer: &ed25519::Pair| {
			EquivocationProof::new(
				set_id,
				Equivocation::Prevote(finality_grandpa::Equivocation {
					round_number: round,
					identity: pair.public().into(),
					first: vote(H256::repeat_byte(1), &pair),
					second: vote(H256::repeat_byte(2), second_signer),
				}),
			)
		};
		let owner = Historical::prove((sp_consensus_grandpa::KEY_TYPE, pair.public().to_vec()))
			.expect("Charlie's key is in the session's historical root");

		let dave = ed25519::Pair::from_string("//Dave", None).expect("a dev seed");
		assert_noop!(
			Grandpa::report_equivocation_unsigned(
				RuntimeOrigin::none(),
				Box::new(proof(&dave)),
				owner.clone()
			),
			pallet_grandpa::Error::<Runtime>::InvalidEquivocationProof
		);
		assert!(Session::disabled_validators().is_empty());

		assert_ok!(Grandpa::report_equivocation_unsigned(
			RuntimeOrigin::none(),
			Box::new(proof(&pair)),
			owner
		));
		assert_eq!(Session::disabled_validators(), vec![index]);
		System::assert_has_event(
			pallet_governance::Event::OffenderRemoved { who: charlie.clone(), session: 0 }.into(),
		);
		Session::rotate_session();
		Session::rotate_session();
		assert!(!authors().contains(&charlie));
	});
}

#[test]
fn reports_are_unsigned_from_the_local_node_only_and_never_twice() {
	use sp_runtime::transaction_validity::TransactionSource;
	preset_ext("local_testnet").execute_with(|| {
		next_block();
		let pair = sr25519::Pair::from_string("//Bob", None).expect("a dev seed");
		let index = index_of(Sr25519Keyring::Bob);
		let slot = u64::from(*Babe::current_slot()) + 1;
		let owner = Historical::prove((sp_consensus_babe::KEY_TYPE, pair.public().to_vec()))
			.expect("a key");
		let proof = sp_consensus_babe::EquivocationProof {
			offender: pair.public().into(),
			slot: slot.into(),
			first_header: babe_header(index, slot, 1, &pair),
			second_header: babe_header(index, slot, 2, &pair),
		};
		// Signed, even by a council member: only the unsigned path (fee-free) exists.
		assert_noop!(
			Babe::report_equivocation_unsigned(
				signed(Sr25519Keyring::Alice),
				Box::new(proof.clone()),
				owner.clone()
			),
			DispatchError::BadOrigin
		);
		// The pool takes a report from the node's own equivocation detector (or a block), not
		// from the network: nobody floods it with free transactions.
		let call = pallet_babe::Call::<Runtime>::report_equivocation_unsigned {
			equivocation_proof: Box::new(proof.clone()),
			key_owner_proof: owner.clone(),
		};
		assert!(Babe::validate_unsigned(TransactionSource::External, &call).is_err());
		assert!(Babe::validate_unsigned(TransactionSource::Local, &call).is_ok());
		assert_ok!(Babe::report_equivocation_unsigned(
			RuntimeOrigin::none(),
			Box::new(proof),
			owner
		));
		// Once reported, the same offence is stale for the pool.
		assert!(Babe::validate_unsigned(TransactionSource::Local, &call).is_err());
	});
}
