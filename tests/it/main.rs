//! dvm's integration tests, as one test binary (one link, one process): each former
//! `tests/*.rs` file is a module here, sharing `support`.

mod support;

mod architecture;
mod archive;
mod archive_cli;
mod auto;
mod bench_smoke;
mod cli;
mod completions;
mod detect;
mod detect_cli;
mod e2e_real_client;
mod error_snapshots;
mod fetch;
mod first_hour;
mod first_hour_2;
mod first_hour_3;
mod help;
mod json_schema;
mod mirror;
mod provenance;
mod prune_cli;
#[cfg(unix)]
mod reliability;
mod remote;
mod repo_locations;
mod shells_e2e;
#[cfg(unix)]
mod shim;
mod signatures;
mod signed_repodata;
mod sources;
mod version_props;
