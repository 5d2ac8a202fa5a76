//! What fills a block: the weight a transfer and each kind of bid, job creation, commitment
//! and reveal is charged (base extrinsic, extensions and call, the call at its weight after
//! dispatch, on each path it may take), with the weights this runtime uses. SPEC §7 asks for `place_bid` at 0.8 × transfers or more; this prints where each kind
//! of bid stands, and `scripts/bench.sh` measures it on a node.

use crate::{tests::signed_extrinsic, Runtime, RuntimeCall};
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo},
	traits::Get,
	weights::Weight,
};
use pallet_market::WeightInfo;
use pallet_proof_of_compute::WeightInfo as _;
use sp_keyring::Sr25519Keyring;

type Market = <Runtime as pallet_market::Config>::WeightInfo;
type Poc = <Runtime as pallet_proof_of_compute::Config>::WeightInfo;
type Pc = crate::ProofOfCompute;

#[test]
fn a_transfer_against_each_kind_of_bid_in_charged_weight() {
	crate::tests::preset_ext("development").execute_with(|| {
		let weights = <Runtime as frame_system::Config>::BlockWeights::get();
		let base = weights.get(DispatchClass::Normal).base_extrinsic;
		let transfer = signed_extrinsic(
			Sr25519Keyring::Alice,
			0,
			RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
				dest: Sr25519Keyring::Bob.to_account_id().into(),
				value: crate::currency::KILN,
			}),
		)
		.get_dispatch_info();
		let bid = signed_extrinsic(
			Sr25519Keyring::Alice,
			0,
			RuntimeCall::Market(pallet_market::Call::place_bid { job_id: 0, price: 1 }),
		)
		.get_dispatch_info();
		// The same extensions run for both.
		assert_eq!(bid.extension_weight, transfer.extension_weight);
		let overhead = base + transfer.extension_weight;
		let transfer_total = overhead + transfer.call_weight;

		let max = <Runtime as pallet_market::Config>::MaxBidsPerJob::get();
		let kinds: [(&str, Weight); 5] = [
			("new bid, empty list", Market::place_bid(0)),
			("new bid, half-full list", Market::place_bid(max / 2)),
			("new bid, last place", Market::place_bid(max - 1)),
			("changed bid, full list", Market::change_bid(max)),
			("new bid evicting the dearest", Market::place_bid_evicting()),
		];
		let micros = |w: Weight| w.ref_time() / 1_000_000;
		println!(
			"transfer: {} µs = base {} + extensions {} + call {}",
			micros(transfer_total),
			micros(base),
			micros(transfer.extension_weight),
			micros(transfer.call_weight)
		);
		println!("| Kind of bid | Call (µs) | Total (µs) | Transfers ÷ bids per block |");
		println!("|---|---|---|---|");
		for (name, call) in kinds {
			let total = overhead + call;
			println!(
				"| {name} | {} | {} | {:.2} |",
				micros(call),
				micros(total),
				transfer_total.ref_time() as f64 / total.ref_time() as f64
			);
			// Charged before dispatch: never less than any outcome.
			assert!(call.all_lte(bid.call_weight), "{name}");
		}
		// A changed bid moves no deposit: it never costs more than a new one.
		assert!(Market::change_bid(max).all_lte(Market::place_bid(max - 1)));

		// A job's creation, charged after dispatch by the full agendas it passed over.
		let most = pallet_market::MOST_PASSED_ON_CREATE;
		for (name, passed) in
			[("job created, agendas free", 0), ("job created, most agendas full", most)]
		{
			let total = overhead + Market::create_job(passed);
			println!(
				"| {name} | {} | {} | {:.2} |",
				micros(Market::create_job(passed)),
				micros(total),
				transfer_total.ref_time() as f64 / total.ref_time() as f64
			);
		}
		assert!(Market::create_job(0).all_lt(Market::create_job(most)));

		// A provider's result: charged before dispatch for the most verification may do (a
		// spot-check draw past every searched agenda at the commit, a sampled check's opening
		// or the settlement placed past them at the reveal), after it for the path taken.
		let output = kiln_primitives::ContentRef {
			hash: [0; 32],
			len: 0,
			uri: frame_support::BoundedVec::truncate_from(vec![b'x'; 256]),
		};
		let commit_before = RuntimeCall::Market(pallet_market::Call::commit_result {
			job_id: 0,
			commitment: [0; 32],
		})
		.get_dispatch_info()
		.call_weight;
		let reveal_before = RuntimeCall::Market(pallet_market::Call::reveal_result {
			job_id: 0,
			output,
			salt: [0; 32],
		})
		.get_dispatch_info()
		.call_weight;
		let worst = pallet_market::Searched::worst(pallet_market::AGENDA_SEARCH);
		let at_once = pallet_market::Searched::default();
		let held = crate::Market::held_commit_weight();
		let paths: [(&str, Weight); 8] = [
			("result committed, before dispatch", commit_before),
			(
				"result committed, revealed at once (Gemm)",
				Market::commit_result() + Poc::on_commit_at_once(),
			),
			(
				"result committed, held for the draw",
				Market::commit_result() + Pc::on_commit_held_weight(at_once) + held,
			),
			(
				"result committed, draw past full agendas",
				Market::commit_result() + Pc::on_commit_held_weight(worst) + held,
			),
			("result revealed, before dispatch", reveal_before),
			(
				"result revealed, sampled (Gemm)",
				crate::Market::held_reveal_weight() + Pc::on_reveal_sampled_weight(at_once),
			),
			(
				"result revealed, settled after the window",
				crate::Market::reveal_weight(at_once) + Poc::on_reveal_settled(),
			),
			(
				"result revealed, past full agendas",
				crate::Market::reveal_weight(worst) + Pc::on_reveal_sampled_weight(worst),
			),
		];
		for (name, call) in paths {
			println!(
				"| {name} | {} | {} | {:.2} |",
				micros(call),
				micros(overhead + call),
				transfer_total.ref_time() as f64 / (overhead + call).ref_time() as f64
			);
		}
		for (name, call) in &paths[1..4] {
			assert!(call.all_lte(commit_before), "{name}");
		}
		for (name, call) in &paths[5..] {
			assert!(call.all_lte(reveal_before), "{name}");
		}
	});
}
