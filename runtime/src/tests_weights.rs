//! What fills a block: the weight a transfer and each kind of bid, job creation, commitment
//! and reveal is charged
//! (base extrinsic, extensions and call, the call at its weight after dispatch), with the
//! weights this runtime uses. SPEC §7 asks for `place_bid` at 0.8 × transfers or more; this prints where each kind
//! of bid stands, and `scripts/bench.sh` measures it on a node.

use crate::{tests::signed_extrinsic, Runtime, RuntimeCall};
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo},
	traits::Get,
	weights::Weight,
};
use pallet_market::WeightInfo;
use sp_keyring::Sr25519Keyring;

type Market = <Runtime as pallet_market::Config>::WeightInfo;

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

		// A provider's result: charged before dispatch with what verification may add (a
		// spot-check draw at the commit, the sampled check at the reveal), never refunded.
		let output = kiln_primitives::ContentRef {
			hash: [0; 32],
			len: 0,
			uri: frame_support::BoundedVec::truncate_from(vec![b'x'; 256]),
		};
		for (name, call) in [
			(
				"result committed",
				RuntimeCall::Market(pallet_market::Call::commit_result {
					job_id: 0,
					commitment: [0; 32],
				}),
			),
			(
				"result revealed",
				RuntimeCall::Market(pallet_market::Call::reveal_result {
					job_id: 0,
					output: output.clone(),
					salt: [0; 32],
				}),
			),
		] {
			let call = call.get_dispatch_info().call_weight;
			println!(
				"| {name} | {} | {} | {:.2} |",
				micros(call),
				micros(overhead + call),
				transfer_total.ref_time() as f64 / (overhead + call).ref_time() as f64
			);
		}
	});
}
