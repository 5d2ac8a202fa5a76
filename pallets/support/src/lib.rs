//! FRAME helpers shared by the Kiln pallets, written once: the per-block agenda that the
//! market and proof of compute both keep (auction closes, deadlines, settlements; challenge
//! and spot-check steps), with a waiting line for steps that find no room; and the helpers
//! the pallets' benchmarks share (`benchmarking`, with `runtime-benchmarks`).

#![cfg_attr(not(feature = "std"), no_std)]

pub mod agenda;
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
pub mod migrations;

pub use agenda::{Agenda, AgendaStorage, Due, Placed, Searched, AGENDA_SEARCH};
