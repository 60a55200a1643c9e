//! Reliability and security: dvm under concurrency, `kill -9`, server faults, hostile archives,
//! bad input and shim chains, always through the real binary. The default run is short; set
//! `DVM_LONG_TESTS=1` for more iterations and processes (each long test prints a summary line).
//! `DVM_TEST_SEED=N` replays the random choices of an earlier run.
#![cfg(unix)]

#[path = "support/archives.rs"]
mod archives;
#[path = "support/env.rs"]
mod env;
#[path = "support/server.rs"]
mod server;

#[path = "reliability/common.rs"]
mod common;

#[path = "reliability/bad_input.rs"]
mod bad_input;
#[path = "reliability/concurrency.rs"]
mod concurrency;
#[path = "reliability/crash.rs"]
mod crash;
#[path = "reliability/archives.rs"]
mod hostile_archives;
#[path = "reliability/network.rs"]
mod network;
#[path = "reliability/shim_chains.rs"]
mod shim_chains;
