//! Helpers the Kiln pallets' benchmarks share (with `runtime-benchmarks` only): amounts in
//! KILN, funded accounts and registered providers, each built through the traits the pallets
//! already use to call each other, and the origin of a signed call.

use frame_benchmarking::{account, BenchmarkError};
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;
use kiln_primitives::{Collateral, ProviderRegistry};
use sp_runtime::traits::Saturating;

/// `n` KILN (10^12 planck each) in any balance type.
pub fn units<B: From<u32> + Saturating>(n: u32) -> B {
	let unit: B = 1_000_000u32.into();
	unit.saturating_mul(1_000_000u32.into()).saturating_mul(n.into())
}

/// Benchmark account `i` of `name`, holding `balance`.
pub fn funded<AccountId: codec::Decode + Eq, C: Mutate<AccountId>>(
	name: &'static str,
	i: u32,
	balance: C::Balance,
) -> AccountId {
	let who: AccountId = account(name, i, 0);
	C::set_balance(&who, balance);
	who
}

/// Benchmark account `i` of `name`, holding `balance`, with `bond` bonded, registered with the
/// largest machine the registry's benchmark helper makes.
pub fn registered_provider<AccountId, C, Col, Reg>(
	name: &'static str,
	i: u32,
	balance: C::Balance,
	bond: Col::Balance,
) -> Result<AccountId, BenchmarkError>
where
	AccountId: codec::Decode + Eq,
	C: Mutate<AccountId>,
	Col: Collateral<AccountId>,
	Reg: ProviderRegistry<AccountId>,
{
	let who = funded::<AccountId, C>(name, i, balance);
	Col::bond_for_benchmark(&who, bond)?;
	Reg::register_for_benchmark(&who)?;
	Ok(who)
}

/// The origin of a call `who` signs, with `who`'s `System::Account` whitelisted (the SDK's
/// `whitelist_account!`). `CheckNonce` and `ChargeTransactionPayment` read and write the
/// signer's account in every signed transaction, and their weights charge it; the call's own
/// reads and writes of it then hit the overlay, and the block writes it once. Counting them
/// again in the call's weight charges the signer's account twice. The SDK's benchmarks do the
/// same with `whitelisted_caller`. Call it in the setup, before `#[extrinsic_call]`.
pub fn signed<T: frame_system::Config>(who: &T::AccountId) -> RawOrigin<T::AccountId> {
	frame_benchmarking::benchmarking::add_to_whitelist(
		frame_system::Account::<T>::hashed_key_for(who).into(),
	);
	RawOrigin::Signed(who.clone())
}
