//! dvm: a Docker client version manager.
//!
//! The library does all the work and never prints or parses arguments; `src/cli` renders.
//! It never reads `std::env` either: callers pass a [`context::Context`].
//!
//! Data flows one way:
//! `cli → (spec) → index / sources → fetch → verify → archive → store`, and
//! `shim → resolve → exec`.

pub mod active;
pub mod archive;
pub mod config;
pub mod context;
pub mod detect;
pub mod error;
pub mod fetch;
pub mod index;
pub mod install;
pub mod layout;
pub mod prune;
pub mod remote;
pub mod resolve;
pub mod sources;
pub mod store;
pub mod uninstall;
pub mod verify;
pub mod version;

pub use context::Context;
pub use error::{Error, ErrorKind, Result};
pub use version::{DockerVersion, VersionSpec};
