//! A runtime with System, Balances, Session (historical) and Governance as its session
//! manager. Accounts 1–3 validate from genesis; 4 and 5 have session keys but no seat; 6 has
//! no keys. Sessions last `SESSION_LENGTH` blocks.

use crate as pallet_governance;
use codec::Encode;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, Hooks},
};
use sp_runtime::{
	impl_opaque_keys,
	testing::UintAuthorityId,
	traits::{ConvertInto, OpaqueKeys},
	BuildStorage, KeyTypeId, RuntimeAppPublic,
};

impl_opaque_keys! {
	pub struct MockKeys {
		pub dummy: UintAuthorityId,
	}
}

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		// Before Session, as in the runtime: its genesis set is stored when Session asks.
		Governance: pallet_governance,
		Session: pallet_session,
		Historical: pallet_session::historical,
	}
);

parameter_types! {
	pub const ExistentialDeposit: u64 = 1;
}
kiln_test_fixtures::impl_system_and_balances!(Test);

/// Blocks per session.
pub const SESSION_LENGTH: u64 = 5;
/// Root and this account may change the set and authorize upgrades.
pub const ADMIN: u64 = 100;

frame_support::ord_parameter_types! {
	pub const Admin: u64 = ADMIN;
}
type AdminOrigin = frame_support::traits::EitherOfDiverse<
	frame_system::EnsureRoot<u64>,
	frame_system::EnsureSignedBy<Admin, u64>,
>;

pub struct Handler;
impl pallet_session::SessionHandler<u64> for Handler {
	const KEY_TYPE_IDS: &'static [KeyTypeId] = &[UintAuthorityId::ID];
	fn on_genesis_session<K: OpaqueKeys>(_: &[(u64, K)]) {}
	fn on_new_session<K: OpaqueKeys>(_: bool, _: &[(u64, K)], _: &[(u64, K)]) {}
	fn on_disabled(_: u32) {}
}

impl pallet_session::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = u64;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = pallet_session::PeriodicSessions<ConstU64<SESSION_LENGTH>, ConstU64<0>>;
	type NextSessionRotation =
		pallet_session::PeriodicSessions<ConstU64<SESSION_LENGTH>, ConstU64<0>>;
	type SessionManager = pallet_session::historical::NoteHistoricalRoot<Test, Governance>;
	type SessionHandler = Handler;
	type Keys = MockKeys;
	type DisablingStrategy = pallet_session::disabling::UpToLimitDisablingStrategy;
	type WeightInfo = ();
	type Currency = Balances;
	type KeyDeposit = ();
}
use frame_support::traits::ConstU64;

impl pallet_session::historical::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type FullIdentification = ();
	type FullIdentificationOf = crate::Identified;
}

impl pallet_governance::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorOrigin = AdminOrigin;
	type UpgradeOrigin = AdminOrigin;
	type MaxValidators = ConstU32<5>;
	type MinValidators = ConstU32<2>;
	type HistoryDepth = ConstU32<3>;
	type WeightInfo = ();
}

pub fn keys(who: u64) -> MockKeys {
	MockKeys { dummy: UintAuthorityId(who) }
}

/// What `session.set_keys` takes as the proof that `who` holds its key.
pub fn proof(who: u64) -> Vec<u8> {
	UintAuthorityId(who).sign(&who.encode()).expect("a test key signs").encode()
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=6).chain([ADMIN]).map(|a| (a, 1_000)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	pallet_governance::GenesisConfig::<Test> { validators: vec![1, 2, 3] }
		.assimilate_storage(&mut t)
		.unwrap();
	pallet_session::GenesisConfig::<Test> {
		keys: (1..=3).map(|v| (v, v, keys(v))).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.register_extension(sp_core::traits::ReadRuntimeVersionExt::new(NotARuntime));
	ext.execute_with(|| {
		System::set_block_number(1);
		for v in [4, 5] {
			Session::set_keys(RuntimeOrigin::signed(v), keys(v), proof(v)).unwrap();
		}
	});
	ext
}

pub fn try_state() {
	Governance::do_try_state().expect("governance try_state");
}

pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		try_state();
		test();
		try_state();
	});
}

/// Runs blocks until the first block of session `index`.
pub fn run_to_session(index: u32) {
	while Session::current_index() < index {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Session::on_initialize(next);
		try_state();
	}
}

pub fn governance_events() -> Vec<pallet_governance::Event<Test>> {
	System::read_events_for_pallet::<pallet_governance::Event<Test>>()
}

/// Reads no runtime version from any code: what the executor says of bytes that are not a
/// runtime.
struct NotARuntime;
impl sp_core::traits::ReadRuntimeVersion for NotARuntime {
	fn read_runtime_version(
		&self,
		_: &[u8],
		_: &mut dyn sp_externalities::Externalities,
	) -> Result<Vec<u8>, String> {
		Err("not a runtime".into())
	}
}
