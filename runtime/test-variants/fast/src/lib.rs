//! The Kiln runtime with 1-minute epochs (feature fast-runtime), as a Wasm blob for the local testnet's governance test: validators change every session.
//!
//! Natively the crate is only `WASM_BINARY`; the blob is also at
//! `$CARGO_TARGET_DIR/release/wbuild/kiln-runtime-fast/kiln_runtime_fast.compact.compressed.wasm`.

#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

#[cfg(not(feature = "std"))]
pub use kiln_runtime::*;
