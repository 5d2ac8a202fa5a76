//! `kiln-worker`: the provider daemon and client commands of Kiln (SPEC §6), as a library
//! with a thin binary (`main.rs`). One module per job:
//!
//! - [`cli`]: the command line and what each command runs;
//! - [`chain`]: the only module that uses subxt: the connection, typed reads at a block
//!   ([`chain::At`] into [`chain::view`]'s plain types), the block follower, and the one
//!   signer ([`chain::Submitter`], which owns the key and the nonce);
//! - [`config`]: `worker.toml`; [`detect`]: what the machine has;
//! - [`provider`]: provider onboarding (bond, register, status…);
//! - [`client`]: the client commands (`job submit | status | watch | fetch | cancel | list`);
//! - [`bidder`]: which open jobs to bid on and at what price ([`bidder::decide`],
//!   [`bidder::price::PricePolicy`]);
//! - [`backend`]: PoC-GEMM backends ([`backend::cpu`], [`backend::cuda`]) behind one trait,
//!   [`backend::GemmBackend`], and the deterministic Wasm sandbox ([`backend::wasm`]);
//! - [`executor`]: a job's state machine ([`executor::machine`]), its driver, the output
//!   store, and content fetching ([`executor::fetch`]);
//! - [`journal`]: the crash-safe record of each step (redb);
//! - [`daemon`]: `kiln-worker run`, which ties them to the chain block by block;
//! - [`gateway`]: the HTTP endpoint (outputs, `/metrics`, `/health`); [`metrics`];
//!   [`logs`]: the `tracing` subscriber;
//! - [`poc`]: proof-of-compute duties (hardware challenges, samplings of `Gemm` results,
//!   spot-checks).

pub mod backend;
pub mod bidder;
pub mod chain;
pub mod cli;
pub mod client;
pub mod config;
pub mod daemon;
pub mod detect;
pub mod executor;
pub mod gateway;
pub mod journal;
pub mod logs;
pub mod metrics;
pub mod poc;
pub mod provider;
