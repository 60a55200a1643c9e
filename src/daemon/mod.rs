//! Talking to a Docker daemon: where it listens (`DOCKER_HOST`, `DOCKER_CONTEXT`, the docker
//! CLI's contexts and TLS files), `GET /version` over a unix socket, TCP or TLS, and what the
//! answer says. Which client suits the daemon is [`crate::detect`]'s business, not this one's.

mod answer;
mod client;
mod contexts;
mod endpoint;
mod tls;

pub use answer::{ApiVersion, DaemonVersion};
pub use client::Timeouts;
pub use endpoint::{
    ContextChoice, DEFAULT_SOCKET, DaemonEndpoint, DaemonTarget, NamedContext, TlsFiles,
};

use crate::context::Context;
use crate::error::{Error, Result};
use answer::snippet;

/// Asks the daemon the docker CLI would use (see [`DaemonTarget::from_context`]) for its
/// version, waiting at most 5 s to connect and 10 s in all.
pub fn query_daemon(ctx: &Context) -> Result<DaemonVersion> {
    query_daemon_with(ctx, Timeouts::default())
}

/// [`query_daemon`] with explicit timeouts.
pub fn query_daemon_with(ctx: &Context, timeouts: Timeouts) -> Result<DaemonVersion> {
    query_target(&DaemonTarget::from_context(ctx)?, timeouts)
}

/// `GET /version` from a target; errors say which docker context chose it.
pub fn query_target(target: &DaemonTarget, timeouts: Timeouts) -> Result<DaemonVersion> {
    query_endpoint(&target.endpoint, timeouts).map_err(|e| match &target.context {
        Some(c) => e.context(format!(
            "docker context '{}' (from {})",
            c.name, c.chosen_by
        )),
        None => e,
    })
}

/// `GET /version` from one endpoint.
pub fn query_endpoint(endpoint: &DaemonEndpoint, timeouts: Timeouts) -> Result<DaemonVersion> {
    let response = client::get_version(endpoint, timeouts)?;
    let source = format!("the daemon at {endpoint}");
    if response.status != 200 {
        let detail = serde_json::from_slice::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| snippet(&response.body));
        let hint = if !endpoint.uses_tls() && detail.contains("HTTPS") {
            "this daemon uses TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH"
        } else {
            "check that DOCKER_HOST points at a Docker daemon"
        };
        return Err(Error::daemon(format!(
            "{source} answered /version with HTTP {}: {detail}",
            response.status
        ))
        .with_hint(hint));
    }
    DaemonVersion::from_json(&response.body, &source)
}
