//! Helpers shared by the test modules.

pub mod archives;
pub mod daemon;
pub mod env;
pub mod replica;
pub mod server;
pub mod shim;
pub mod signing;
