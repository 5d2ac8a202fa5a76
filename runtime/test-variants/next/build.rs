// The same build as the fast variant's: only the crate (and so its features) differs.
include!("../fast/build.rs");
