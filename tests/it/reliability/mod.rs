//! Reliability and security: dvm under concurrency, `kill -9`, server faults, hostile archives,
//! bad input and shim chains, always through the real binary. The default run is short; set
//! `DVM_LONG_TESTS=1` for more iterations and processes (each long test prints a summary line).
//! `DVM_TEST_SEED=N` replays the random choices of an earlier run.

mod common;

mod bad_input;
mod broken_store;
mod concurrency;
mod crash;
mod hostile_archives;
mod network;
mod shim_chains;
