//! Proof-of-compute duties of a provider: today its hardware challenges ([`challenges`]);
//! the samplings of its own `Gemm` results and the spot-checks it is drawn to verify come
//! with the provider daemon.

pub mod challenges;
pub mod machine;
