//! Random interleavings of every market call across many jobs and blocks (added below).
