//! Proven offences: `pallet-offences` calls [`OnOffenceHandler::on_offence`] once for each new
//! offence (a BABE or GRANDPA equivocation whose proof the chain checked). The offender is
//! reported to the session (its disabling strategy disables it at once: a disabled BABE
//! author's blocks are refused) and taken out of the set, which it leaves at the next change
//! of session. Kiln validators stake nothing, so there is nothing to slash: losing the seat is
//! the penalty. Nobody can be removed without a proof signed by their own session key.

use crate::{Config, Event, Pallet};
use frame_support::{traits::Get, weights::Weight};
use sp_runtime::Perbill;
use sp_staking::{
	offence::{OffenceDetails, OffenceSeverity, OnOffenceHandler},
	SessionIndex,
};

impl<T: Config> OnOffenceHandler<T::AccountId, (T::AccountId, ()), Weight> for Pallet<T> {
	fn on_offence(
		offenders: &[OffenceDetails<T::AccountId, (T::AccountId, ())>],
		slash_fraction: &[Perbill],
		session: SessionIndex,
	) -> Weight {
		let mut weight = Weight::zero();
		for (details, fraction) in offenders.iter().zip(slash_fraction) {
			let who = &details.offender.0;
			// Disabling reads and writes the session's validators and disabled list.
			pallet_session::Pallet::<T>::report_offence(who.clone(), OffenceSeverity(*fraction));
			// A later report of the same offence lists earlier offenders again: they are gone
			// from the set already and nothing more happens to them.
			if !Self::validator_set().contains(who) {
				weight.saturating_accrue(T::DbWeight::get().reads_writes(3, 1));
				continue;
			}
			let event = match Self::take_out(who) {
				Ok(()) => Event::OffenderRemoved { who: who.clone(), session },
				Err(_) => Event::OffenderKept { who: who.clone(), session },
			};
			Self::deposit_event(event);
			weight.saturating_accrue(T::DbWeight::get().reads_writes(4, 3));
		}
		weight
	}
}
