//! dvm: a Docker client version manager.
//!
//! The library does all the work and never prints or parses arguments; `src/cli` renders.
//! It never reads `std::env` either: callers pass a [`context::Context`].
//!
//! Modules form one downward chain (a module uses only those on its own line or above):
//!
//! - foundations: `error`, `context`, `select` (version grammar and resolution order, shared
//!   with the shim), `platform`, `fsutil`, `digest`, `layout`
//! - capabilities: `http` (streaming downloads), `archive` (finding the client inside an RPM,
//!   tarball, zip or raw binary)
//! - `sources`: where each release lives, the listings and their cache
//! - `trust` (the one verification policy) and `config` (settings)
//! - `store`: the versions on disk, locks, atomic commits, aliases and the default
//! - `install`: from a source, a URL or a file
//! - operations: `active`, `prune`, `detect` (asking the daemon, choosing its client),
//!   `uninstall`
//!
//! An install streams once: `http` downloads into the cache while `archive` extracts the client
//! into a staging folder and both hash as they go; then `trust` checks the digests against what
//! `sources` gathered, and `store` renames the staged version into place.
//! The shim runs `select::resolve` and execs.

pub mod active;
pub mod archive;
pub mod config;
pub mod context;
pub mod daemon;
pub mod detect;
pub mod digest;
pub mod error;
pub mod fsutil;
pub mod http;
pub mod install;
pub mod layout;
pub mod mirror;
pub mod openpgp;
pub mod platform;
pub mod prune;
pub mod select;
pub mod sources;
pub mod store;
pub mod trust;
pub mod uninstall;

pub use context::Context;
pub use error::{Error, ErrorKind, Result};
pub use select::version::{DockerVersion, VersionSpec};
