//! Runtime tests: the genesis presets build, a signed transfer pays the right fee to the
//! Treasury, a provider joins and is slashed and a job is auctioned, run and settled through
//! the wired pallets, session keys round-trip, and the worker's committed metadata is current.

use crate::{
	configs::TreasuryAccount, currency::*, genesis_config_presets as presets, Babe, Balances,
	Grandpa, Runtime, RuntimeCall, RuntimeEvent, RuntimeGenesisConfig, Session, SessionKeys,
	SignedPayload, System, TransactionPayment, TxExtension, UncheckedExtrinsic,
};
use codec::Encode;
use frame_support::{dispatch::GetDispatchInfo, genesis_builder_helper::build_state};
use sp_core::{crypto::Pair as _, sr25519};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{generic::Era, traits::OpaqueKeys, MultiSignature};

/// Overlays a preset (a JSON patch) on the default genesis config, as the node does.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

/// Externalities holding the genesis state of the named preset.
pub(crate) fn preset_ext(name: &str) -> sp_io::TestExternalities {
	let patch = presets::get_preset(&name.into()).expect("the preset exists");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
	merge(&mut config, serde_json::from_slice(&patch).expect("a preset is JSON"));
	let json = serde_json::to_vec(&config).expect("serializes");
	let mut ext = sp_io::TestExternalities::new_empty();
	ext.execute_with(|| build_state::<RuntimeGenesisConfig>(json).expect("genesis builds"));
	ext.execute_with(|| System::set_block_number(1));
	ext
}

#[test]
fn presets_are_listed_and_unknown_names_refused() {
	let names: Vec<String> = presets::preset_names()
		.into_iter()
		.map(|id| String::from_utf8(AsRef::<[u8]>::as_ref(&id).to_vec()).expect("utf8"))
		.collect();
	assert_eq!(names, vec!["development", "local_testnet", "public_testnet"]);
	assert!(presets::get_preset(&"mainnet".into()).is_none());
}

#[test]
fn development_preset_builds() {
	preset_ext("development").execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		assert_eq!(Session::validators(), vec![alice.clone()]);
		assert_eq!(Babe::authorities().len(), 1);
		assert_eq!(Grandpa::grandpa_authorities().len(), 1);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(alice));
		for who in Sr25519Keyring::invulnerable() {
			assert_eq!(Balances::free_balance(who.to_account_id()), presets::ENDOWMENT, "{who}");
		}
		assert_eq!(Balances::free_balance(TreasuryAccount::get()), EXISTENTIAL_DEPOSIT);
	});
}

#[test]
fn only_dev_and_local_chains_have_a_sudo_key() {
	for (preset, sudo) in
		[("development", true), ("local_testnet", true), ("public_testnet", false)]
	{
		preset_ext(preset).execute_with(|| {
			let key = pallet_sudo::Key::<Runtime>::get();
			assert_eq!(key.is_some(), sudo, "{preset}");
			assert_eq!(Session::validators().len(), if preset == "development" { 1 } else { 4 });
			let members =
				pallet_collective::Members::<Runtime, crate::configs::CouncilInstance>::get();
			assert_eq!(members.len(), 3, "{preset}");
		});
	}
	// Without a key, every sudo call is refused: only the Council governs.
	preset_ext("public_testnet").execute_with(|| {
		let call = Box::new(RuntimeCall::System(frame_system::Call::remark { remark: vec![] }));
		let alice = crate::RuntimeOrigin::signed(Sr25519Keyring::Alice.to_account_id());
		assert_eq!(
			crate::Sudo::sudo(alice, call).map_err(|e| e.error),
			Err(pallet_sudo::Error::<Runtime>::RequireSudo.into())
		);
	});
}

#[test]
fn presets_configure_the_provider_pallets() {
	preset_ext("development").execute_with(|| {
		let config = pallet_collateral::Configuration::<Runtime>::get();
		assert_eq!(config.unbonding_period, presets::DEV_UNBONDING_PERIOD);
		assert_eq!(config.min_bond, crate::configs::CollateralDefaults::get().min_bond);
		// Nobody is registered or bonded at genesis.
		assert_eq!(pallet_providers::Providers::<Runtime>::count(), 0);
		assert_eq!(pallet_collateral::Ledgers::<Runtime>::count(), 0);
		assert_eq!(pallet_market::Configuration::<Runtime>::get(), presets::dev_market_config());
		assert_eq!(
			pallet_proof_of_compute::Configuration::<Runtime>::get(),
			presets::dev_proof_of_compute_config()
		);
	});
	preset_ext("local_testnet").execute_with(|| {
		assert_eq!(
			pallet_market::Configuration::<Runtime>::get(),
			crate::configs::MarketDefaults::get()
		);
		let config = pallet_collateral::Configuration::<Runtime>::get();
		assert_eq!(config.unbonding_period, 7 * crate::time::DAYS);
		let providers = pallet_providers::Configuration::<Runtime>::get();
		assert_eq!(providers.min_bond_per_gpu, 100 * KILN);
		assert_eq!(
			pallet_proof_of_compute::Configuration::<Runtime>::get(),
			crate::configs::ProofOfComputeDefaults::get()
		);
	});
}

#[test]
fn a_provider_joins_and_a_slash_is_split_between_reporter_and_treasury() {
	use frame_support::{assert_ok, traits::UnfilteredDispatchable};
	use kiln_primitives::{Collateral as _, SlashReason};

	preset_ext("development").execute_with(|| {
		let bob = Sr25519Keyring::Bob.to_account_id();
		let charlie = Sr25519Keyring::Charlie.to_account_id();
		let origin = || crate::RuntimeOrigin::signed(bob.clone());
		let bond = RuntimeCall::Collateral(pallet_collateral::Call::bond { amount: 250 * KILN });
		assert_ok!(bond.dispatch_bypass_filter(origin()));
		let profile = kiln_test_fixtures::machine(
			vec![kiln_test_fixtures::gpu("NVIDIA H100", 81_559, 90, 2)],
			64,
			512 * 1024,
			*b"FI",
		);
		let register = RuntimeCall::Providers(pallet_providers::Call::register {
			profile,
			endpoint: b"https://h100.example.org".to_vec().try_into().unwrap(),
		});
		assert_ok!(register.dispatch_bypass_filter(origin()));
		assert!(<crate::Providers as kiln_primitives::ProviderRegistry<_>>::is_active(&bob));

		let treasury_before = Balances::free_balance(TreasuryAccount::get());
		let charlie_before = Balances::free_balance(&charlie);
		let issuance = Balances::total_issuance();
		let slashed =
			crate::Collateral::slash(&bob, 100 * KILN, SlashReason::WrongResult, Some(&charlie));
		assert_eq!(slashed, 100 * KILN);
		assert_eq!(Balances::free_balance(&charlie) - charlie_before, 10 * KILN);
		assert_eq!(Balances::free_balance(TreasuryAccount::get()) - treasury_before, 90 * KILN);
		assert_eq!(Balances::total_issuance(), issuance);
		// 150 KILN left, under the 200 that two GPUs need: paused by the chain.
		let record = pallet_providers::Providers::<Runtime>::get(&bob).unwrap();
		assert_eq!(record.status, pallet_providers::ProviderStatus::Underbonded);
		assert_eq!(record.reputation.slashes, 1);
		crate::Collateral::do_try_state().unwrap();
		crate::Providers::do_try_state().unwrap();
	});
}

#[test]
fn local_testnet_preset_has_four_validators() {
	preset_ext("local_testnet").execute_with(|| {
		let expected: Vec<_> = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]
		.iter()
		.map(|k| k.to_account_id())
		.collect();
		assert_eq!(Session::validators(), expected);
		assert_eq!(Babe::authorities().len(), 4);
		assert_eq!(Grandpa::grandpa_authorities().len(), 4);
	});
}

pub(crate) fn signed_extrinsic(
	signer: Sr25519Keyring,
	nonce: u32,
	call: RuntimeCall,
) -> UncheckedExtrinsic {
	let tx_ext: TxExtension = (
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_system::WeightReclaim::<Runtime>::new(),
	);
	let payload = SignedPayload::new(call.clone(), tx_ext.clone()).expect("implicit data");
	let pair: sr25519::Pair = signer.pair();
	let signature = payload.using_encoded(|bytes| pair.sign(bytes));
	UncheckedExtrinsic::new_signed(
		call,
		signer.to_account_id().into(),
		MultiSignature::Sr25519(signature),
		tx_ext,
	)
}

#[test]
fn transfer_pays_its_fee_to_the_treasury() {
	preset_ext("development").execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let fresh = sr25519::Pair::from_seed(&[7u8; 32]).public();
		let fresh: crate::AccountId = fresh.into();
		let amount = 5 * KILN;
		let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: fresh.clone().into(),
			value: amount,
		});
		let xt = signed_extrinsic(Sr25519Keyring::Alice, 0, call.clone());
		let len = xt.encoded_size() as u32;
		let expected_fee = TransactionPayment::compute_fee(len, &xt.get_dispatch_info(), 0);

		let alice_before = Balances::free_balance(&alice);
		let treasury_before = Balances::free_balance(TreasuryAccount::get());
		crate::Executive::apply_extrinsic(xt)
			.expect("valid transaction")
			.expect("dispatch succeeds");

		let fee = alice_before - Balances::free_balance(&alice) - amount;
		assert_eq!(Balances::free_balance(&fresh), amount);
		assert_eq!(Balances::free_balance(TreasuryAccount::get()) - treasury_before, fee);
		// The weight actually used can only lower the fee (refund after dispatch).
		assert!(fee > 0 && fee <= expected_fee, "fee {fee}, pre-dispatch estimate {expected_fee}");
		// A plain transfer costs a few hundredths of a KILN: cheap but not free.
		assert!(fee > MILLI_KILN && fee < 100 * MILLI_KILN, "fee {fee}");
		assert_eq!(System::account_nonce(&alice), 1);
		assert!(System::events().iter().any(|r| matches!(
			&r.event,
			RuntimeEvent::TransactionPayment(pallet_transaction_payment::Event::TransactionFeePaid { actual_fee, .. })
				if *actual_fee == fee
		)));

		// The same transaction again is refused: its nonce is stale.
		let replay = signed_extrinsic(Sr25519Keyring::Alice, 0, call);
		assert!(crate::Executive::apply_extrinsic(replay).is_err());
	});
}

#[test]
fn transfer_below_existential_deposit_to_fresh_account_fails() {
	preset_ext("development").execute_with(|| {
		let fresh: crate::AccountId = sr25519::Pair::from_seed(&[9u8; 32]).public().into();
		let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: fresh.clone().into(),
			value: EXISTENTIAL_DEPOSIT - 1,
		});
		let outcome =
			crate::Executive::apply_extrinsic(signed_extrinsic(Sr25519Keyring::Bob, 0, call))
				.expect("valid transaction");
		assert!(outcome.is_err(), "the dispatch fails");
		assert_eq!(Balances::free_balance(&fresh), 0);
	});
}

#[test]
fn session_keys_decode() {
	let keys = SessionKeys {
		babe: Sr25519Keyring::Alice.public().into(),
		grandpa: Ed25519Keyring::Alice.public().into(),
	};
	let raw = SessionKeys::decode_into_raw_public_keys(&keys.encode()).expect("decodes");
	assert_eq!(raw.len(), 2);
	assert_eq!(
		raw[0],
		(Sr25519Keyring::Alice.public().0.to_vec(), sp_core::crypto::key_types::BABE)
	);
	assert_eq!(
		raw[1],
		(Ed25519Keyring::Alice.public().0.to_vec(), sp_core::crypto::key_types::GRANDPA)
	);
	assert_eq!(
		SessionKeys::key_ids(),
		&[sp_core::crypto::key_types::BABE, sp_core::crypto::key_types::GRANDPA]
	);
	// Truncated input does not decode.
	assert!(SessionKeys::decode_into_raw_public_keys(&keys.encode()[..40]).is_none());
}

/// Where the worker's typed API is generated from (`worker/artifacts/kiln-metadata.scale`).
fn committed_metadata_path() -> std::path::PathBuf {
	std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../worker/artifacts/kiln-metadata.scale")
}

/// Fails when the runtime changed but the worker's metadata was not regenerated
/// (`scripts/update-metadata.sh`, which runs this test with `KILN_BLESS_METADATA=1`).
#[test]
fn worker_metadata_is_current() {
	let metadata = Runtime::metadata_at_version(15).expect("metadata v15 is supported");
	let bytes: Vec<u8> = (*metadata).clone();
	let path = committed_metadata_path();
	if std::env::var_os("KILN_BLESS_METADATA").is_some() {
		std::fs::write(&path, &bytes).expect("write metadata");
	}
	let committed = std::fs::read(&path).unwrap_or_default();
	assert!(
		committed == bytes,
		"{} is stale ({} bytes committed, {} bytes now): run scripts/update-metadata.sh",
		path.display(),
		committed.len(),
		bytes.len(),
	);
}

#[test]
fn a_job_is_auctioned_run_and_settled_through_the_wired_runtime() {
	use frame_support::{
		assert_ok,
		traits::{OnInitialize, UnfilteredDispatchable},
	};
	use kiln_primitives::{
		result_commitment, Backend, ContentRef, JobSpec, Requirements, Workload,
	};

	preset_ext("development").execute_with(|| {
		let bob = Sr25519Keyring::Bob.to_account_id();
		let charlie = Sr25519Keyring::Charlie.to_account_id();
		let signed = |who: &crate::AccountId| crate::RuntimeOrigin::signed(who.clone());
		let next_block = || {
			let n = System::block_number() + 1;
			System::set_block_number(n);
			crate::AllPalletsWithSystem::on_initialize(n);
		};
		System::set_block_number(1);
		let bond = RuntimeCall::Collateral(pallet_collateral::Call::bond { amount: 250 * KILN });
		assert_ok!(bond.dispatch_bypass_filter(signed(&bob)));
		let profile = kiln_test_fixtures::l4();
		let endpoint = b"https://l4.example.org".to_vec().try_into().unwrap();
		let register =
			RuntimeCall::Providers(pallet_providers::Call::register { profile, endpoint });
		assert_ok!(register.dispatch_bypass_filter(signed(&bob)));

		let spec = JobSpec {
			// Not a `Gemm` job (those are sampled); the dev preset spot-checks nothing.
			workload: Workload::Wasm {
				module: ContentRef {
					hash: [1; 32],
					len: 8,
					uri: b"https://example.org/job.wasm".to_vec().try_into().unwrap(),
				},
				input: ContentRef {
					hash: [2; 32],
					len: 8,
					uri: b"https://example.org/input".to_vec().try_into().unwrap(),
				},
				fuel: 1_000_000,
			},
			requirements: Requirements {
				min_vram_mib: 16_000,
				min_compute_capability: 80,
				gpu_count: 1,
				backend: Backend::Cpu,
				region: None,
				min_reputation: sp_runtime::Perbill::zero(),
			},
			max_price: 10 * KILN,
			bidding_blocks: 2,
			execution_blocks: 5,
		};
		let charlie_before = Balances::free_balance(&charlie);
		let bob_before = Balances::free_balance(&bob);
		let treasury_before = Balances::free_balance(TreasuryAccount::get());
		let create = RuntimeCall::Market(pallet_market::Call::create_job { spec });
		assert_ok!(create.dispatch_bypass_filter(signed(&charlie)));
		let bid =
			RuntimeCall::Market(pallet_market::Call::place_bid { job_id: 0, price: 4 * KILN });
		assert_ok!(bid.dispatch_bypass_filter(signed(&bob)));
		next_block();
		next_block(); // block 3: the auction closes
		let job = pallet_market::Jobs::<Runtime>::get(0).unwrap();
		assert_eq!(
			job.award.as_ref().map(|a| (a.provider.clone(), a.price)),
			Some((bob.clone(), 4 * KILN))
		);

		let output = ContentRef {
			hash: [5; 32],
			len: 4,
			uri: b"https://l4.example.org/out/0".to_vec().try_into().unwrap(),
		};
		let commitment = result_commitment(&output.hash, &[6; 32]);
		let commit =
			RuntimeCall::Market(pallet_market::Call::commit_result { job_id: 0, commitment });
		assert_ok!(commit.dispatch_bypass_filter(signed(&bob)));
		let reveal = RuntimeCall::Market(pallet_market::Call::reveal_result {
			job_id: 0,
			output,
			salt: [6; 32],
		});
		assert_ok!(reveal.dispatch_bypass_filter(signed(&bob)));
		next_block();
		next_block(); // the dev verification window: 2 blocks
		let job = pallet_market::Jobs::<Runtime>::get(0).unwrap();
		assert!(matches!(job.state, pallet_market::JobState::Completed { .. }), "{:?}", job.state);

		// 2 % of 4 KILN to the Treasury; the client paid 4 KILN plus the deposit it still holds.
		let fee = 4 * KILN / 50;
		assert_eq!(Balances::free_balance(&bob) - bob_before, 4 * KILN - fee);
		assert_eq!(Balances::free_balance(TreasuryAccount::get()) - treasury_before, fee);
		assert_eq!(charlie_before - Balances::free_balance(&charlie), 4 * KILN + job.deposit);
		crate::Market::do_try_state().unwrap();
		crate::Escrow::do_try_state().unwrap();
		crate::Collateral::do_try_state().unwrap();
		crate::Providers::do_try_state().unwrap();
	});
}

/// The market's worst block (every agenda slot taken by the most expensive kind of job) with
/// the generated weights: printed for pallets/market/README.md, and held to the quarter-block
/// bound that `pallet_market`'s `integrity_test` enforces.
#[test]
fn a_full_market_agenda_fits_in_a_quarter_block() {
	let worst = pallet_market::Pallet::<Runtime>::worst_agenda_weight();
	let max = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
	let share = |part: u64, whole: u64| part as f64 * 100.0 / whole as f64;
	println!(
		"worst market agenda: {} µs ({:.2} % of the block's compute), proof {} KiB ({:.2} %)",
		worst.ref_time() / 1_000_000,
		share(worst.ref_time(), max.ref_time()),
		worst.proof_size() / 1024,
		share(worst.proof_size(), max.proof_size()),
	);
	assert!(worst.all_lte(max / 4));
}

/// SPEC §7: one revealed challenge with the default parameters costs at most 1 % of a block,
/// with the generated weights (the worst case: every opening checked to the end).
#[test]
fn one_revealed_challenge_costs_at_most_one_percent_of_a_block() {
	use pallet_proof_of_compute::WeightInfo;
	let config = crate::configs::ProofOfComputeDefaults::get();
	let weight = <Runtime as pallet_proof_of_compute::Config>::WeightInfo::reveal_challenge(
		config.samples,
		config.k,
	);
	let max = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
	let share = weight.ref_time() as f64 * 100.0 / max.ref_time() as f64;
	println!(
		"one revealed challenge (samples {}, k {}): {} µs, {:.3} % of the block's compute",
		config.samples,
		config.k,
		weight.ref_time() / 1_000_000,
		share
	);
	assert!(weight.ref_time() <= max.ref_time() / 100, "{share:.3} %");
}

/// The proof-of-compute hook's worst block (every agenda slot taken by its most expensive
/// step, and a sweep of the most providers) stays under a quarter block, like the market's.
#[test]
fn a_full_proof_of_compute_agenda_fits_in_a_quarter_block() {
	preset_ext("local_testnet").execute_with(|| {
		let worst = pallet_proof_of_compute::Pallet::<Runtime>::worst_block_weight();
		let max = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
		println!(
			"worst proof-of-compute block (full agenda and sweep): {} µs ({:.2} % of the block's compute)",
			worst.ref_time() / 1_000_000,
			worst.ref_time() as f64 * 100.0 / max.ref_time() as f64,
		);
		assert!(worst.all_lte(max / 4));
	});
}

/// Finding 9 of issue 11: `unbonding_period` may be shorter than a hardware challenge's life
/// (it is on the development chain: 5 blocks against about 11 for a committed challenge), so
/// a provider that commits a made-up root could unbond, wait out the period and withdraw
/// before the failure's slash. The runtime's bond users (`configs::BondUsers`) count an open
/// challenge as work in flight: the withdrawal waits, the slash lands, the rest comes out.
#[test]
fn a_provider_cannot_withdraw_out_of_reach_of_its_open_hardware_challenge() {
	use crate::tests_economics::{next_block, profile, signed};
	use crate::{Collateral, ProofOfCompute, RuntimeOrigin};
	use frame_support::{assert_noop, assert_ok};
	use sp_runtime::Perbill;

	preset_ext("development").execute_with(|| {
		let bob = Sr25519Keyring::Bob.to_account_id();
		System::set_block_number(1);
		assert_ok!(Collateral::bond(signed(&bob), 150 * KILN));
		let endpoint = kiln_test_fixtures::endpoint();
		assert_ok!(crate::Providers::register(signed(&bob), profile(), endpoint));
		let mut poc = pallet_proof_of_compute::Configuration::<Runtime>::get();
		poc.challenge_rate = Perbill::one();
		assert_ok!(ProofOfCompute::configure(RuntimeOrigin::root(), poc.clone()));
		while !ProofOfCompute::has_open_challenge(&bob) {
			next_block();
			assert!(System::block_number() < 20, "Bob is challenged");
		}
		poc.challenge_rate = Perbill::zero();
		assert_ok!(ProofOfCompute::configure(RuntimeOrigin::root(), poc));
		let id = pallet_proof_of_compute::OpenChallenge::<Runtime>::get(&bob).unwrap();
		// A made-up root, then 50 of the 150 KILN unbonded at once (100 keep its GPU).
		assert_ok!(ProofOfCompute::commit_challenge(signed(&bob), id, [7; 32]));
		assert_ok!(Collateral::unbond(signed(&bob), 50 * KILN));
		for _ in 0..presets::DEV_UNBONDING_PERIOD {
			next_block();
		}
		assert!(ProofOfCompute::has_open_challenge(&bob), "the challenge outlives the period");
		assert_noop!(
			Collateral::withdraw_unbonded(signed(&bob)),
			pallet_collateral::Error::<Runtime>::WorkInFlight
		);
		while ProofOfCompute::has_open_challenge(&bob) {
			next_block();
			assert!(System::block_number() < 60, "the challenge ends");
		}
		let slash = pallet_proof_of_compute::Configuration::<Runtime>::get().slash_failed_challenge;
		let ledger = pallet_collateral::Ledgers::<Runtime>::get(&bob).unwrap();
		assert_eq!(ledger.active, 100 * KILN - slash, "the slash reached the bond");
		let free = Balances::free_balance(&bob);
		assert_ok!(Collateral::withdraw_unbonded(signed(&bob)));
		assert_eq!(Balances::free_balance(&bob) - free, 50 * KILN);
		Collateral::do_try_state().unwrap();
		ProofOfCompute::do_try_state().unwrap();
	});
}
