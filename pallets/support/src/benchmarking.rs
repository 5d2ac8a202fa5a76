//! Helpers the Kiln pallets' benchmarks share (with `runtime-benchmarks` only): amounts in
//! KILN, funded accounts and registered providers, each built through the traits the pallets
//! already use to call each other.

use frame_benchmarking::{account, BenchmarkError};
use frame_support::traits::fungible::Mutate;
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
