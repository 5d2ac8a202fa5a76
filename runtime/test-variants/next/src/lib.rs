//! The Kiln runtime with spec_version + 1 (feature next-spec-version), as a Wasm blob for the runtime upgrade test.
//!
//! Natively the crate is only `WASM_BINARY`; the blob is also at
//! `$CARGO_TARGET_DIR/release/wbuild/kiln-runtime-next/kiln_runtime_next.compact.compressed.wasm`.

#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

#[cfg(not(feature = "std"))]
pub use kiln_runtime::*;
