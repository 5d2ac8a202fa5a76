//! `kiln-worker`: the provider daemon and client commands of Kiln (SPEC §6), as a library
//! with a thin binary (`main.rs`). One module per job:
//!
//! - [`cli`]: the command line and what each command runs;
//! - [`chain`]: the connection to a node, the typed API generated from the runtime's
//!   metadata, queries and signing;
//! - [`config`]: `worker.toml`;
//! - [`provider`]: provider onboarding (bond, register, status…);
//! - [`backend`]: PoC-GEMM backends ([`backend::cpu`], [`backend::cuda`]) behind one trait,
//!   [`backend::GemmBackend`];
//! - [`poc`]: proof-of-compute duties (hardware challenges).

pub mod backend;
pub mod chain;
pub mod cli;
pub mod config;
pub mod poc;
pub mod provider;
