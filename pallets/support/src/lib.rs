//! FRAME helpers shared by the Kiln pallets, written once: the per-block agenda that the
//! market and proof of compute both keep (auction closes, deadlines, settlements; challenge
//! and spot-check steps), with a waiting line for steps that find no room.

#![cfg_attr(not(feature = "std"), no_std)]

pub mod agenda;

pub use agenda::{Agenda, AgendaStorage, Due, AGENDA_SEARCH};
