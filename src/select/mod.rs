//! What a bare `docker` runs here: the version grammar ([`version`]) and the resolution order
//! ([`resolve`]). The one unit the library shares with the shim, which includes this folder by
//! a single `#[path]`; so everything below is std-only and reads no more files than the order
//! needs.

pub mod auto;
pub mod resolve;
pub mod version;
