//! Kiln's shared vocabulary: the token's units, the hardware a provider offers, what a job
//! requires of it, job specs and the salted result commitment, reputation, and the small
//! traits through which the pallets call each other (wired together in the runtime, mocked in
//! each pallet's tests).
//!
//! `no_std`: the runtime and `kiln-worker` both use this crate, so a fact such as "12 decimals"
//! or "what counts as a valid region" is written once.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod currency;
pub mod draw;
pub mod hardware;
pub mod job;
pub mod poc;
pub mod quote;
pub mod reputation;
pub mod traits;

pub use hardware::{
	validate_endpoint, Backend, Backends, Endpoint, GpuModel, GpuSpec, HardwareProfile,
	Ineligibility, ProfileError, Region, Requirements, MAX_ENDPOINT_LEN, MAX_GPU_KINDS,
	MAX_GPU_MODEL_LEN,
};
pub use job::{
	dispute_answer, result_commitment, ContentError, ContentRef, JobSpec, JobSpecError, Workload,
	MAX_ENTRY_LEN, MAX_GEMM_DIM, MAX_URI_LEN, UNAVAILABLE,
};
pub use quote::{quote, ClearingPrice, PriceRange, Quote, WorkloadKind, QUOTE_WINDOW};
pub use reputation::{Outcome, Reputation};
pub use traits::{
	Collateral, CollateralHooks, CommitDecision, GemmJob, JobEscrow, JobId, JobStage, JobView,
	ProviderRegistry, Rejection, RevealDecision, SlashReason, Verification, VerifiedMarket,
};
