//! Proof-of-compute duties of a provider: its hardware challenges ([`challenges`]), the
//! samplings of its own `Gemm` results ([`samplings`]), and the spot-checks it is drawn to
//! verify or, as a provider, to answer in a dispute ([`spot_checks`]).

pub mod challenges;
pub mod machine;
pub mod samplings;
pub mod spot_checks;
