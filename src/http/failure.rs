//! Why a request failed, in words a user can act on: the host and the cause, and a hint that
//! fits the configuration (the proxy in the way, the mirror the user set, or the network).

use std::time::Duration;

use reqwest::Url;

use super::{Failure, Fetcher, NETWORK_HINT, policy};
use crate::error::Error;

impl Fetcher {
    pub(super) fn request_failure(&self, url: &Url, e: &reqwest::Error) -> Failure {
        let text = describe(e);
        if e.is_redirect() {
            Failure::Fatal(network_error(url, &text).with_hint(
                "the server redirected somewhere dvm will not follow; use an https:// URL or a mirror that serves the files itself",
            ))
        } else if text.contains("certificate") || text.contains("UnknownIssuer") {
            Failure::Fatal(network_error(url, &text).with_hint(
                "the server's TLS certificate is not trusted by this system; behind a TLS-inspecting proxy, add its CA to the system certificate store",
            ))
        } else if text.contains("too large") {
            // hyper's "message head is too large": the same server says the same next time.
            Failure::Fatal(network_error(url, &text).with_hint(
                "the server's response headers are too large to be read, and asking again will \
                 not change that; check the URL or the mirror (DVM_MIRROR)",
            ))
        } else if e.is_builder() {
            Failure::Fatal(Error::internal(format!(
                "cannot build a request for {url}: {text}"
            )))
        } else if e.is_timeout() {
            Failure::Retry(format!(
                "no answer within {}",
                seconds(self.cfg.stall_timeout)
            ))
        } else if e.is_connect() {
            Failure::Retry(self.connect_failure(url, e))
        } else {
            Failure::Retry(text)
        }
    }

    /// "cannot connect to HOST:PORT (through the proxy P): Connection refused": the host and
    /// the last cause, not reqwest's layers of wording.
    fn connect_failure(&self, url: &Url, e: &reqwest::Error) -> String {
        let mut cause: &dyn std::error::Error = e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        let target = format!(
            "{}:{}",
            url.host_str().unwrap_or("?"),
            url.port_or_known_default().unwrap_or(0)
        );
        match self.proxy_for(url) {
            Some((name, proxy)) => {
                format!("cannot connect to {target} through the proxy {name}={proxy}: {cause}")
            }
            None => format!("cannot connect to {target}: {cause}"),
        }
    }

    /// The proxy variable that applies to `url`, if any (loopback always goes direct).
    fn proxy_for(&self, url: &Url) -> Option<(&str, &str)> {
        if policy::is_loopback(url) {
            return None;
        }
        let chosen = match url.scheme() {
            "http" => self.proxy_settings.http.as_ref(),
            _ => self.proxy_settings.https.as_ref(),
        };
        chosen.map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// What to check when `url` cannot be reached, as configured: the proxy in the way, the
    /// mirror the user set, or the network itself.
    fn unreachable_hint(&self, url: &Url) -> String {
        if let Some((name, _)) = self.proxy_for(url) {
            let host = url.host_str().unwrap_or("the host");
            return format!(
                "the connection goes through the proxy in {name}: check that it runs and may \
                 reach {host}, or add {host} to NO_PROXY"
            );
        }
        if let Some(base) = self
            .cfg
            .insecure_allowed
            .iter()
            .find(|b| policy::is_under_prefix(url, b))
        {
            return format!(
                "{base} is the mirror you configured (DVM_MIRROR or a *_url setting): check \
                 that it runs and serves this path, or unset it to use Docker's own hosts"
            );
        }
        NETWORK_HINT.to_string()
    }

    pub(super) fn gave_up(&self, url: &Url, reason: &str) -> Error {
        let retries = match self.cfg.retries {
            1 => "1 retry".to_string(),
            n => format!("{n} retries"),
        };
        network_error(url, &format!("{reason} (gave up after {retries})"))
            .with_hint(self.unreachable_hint(url))
    }
}

pub(super) fn network_error(url: &Url, what: &str) -> Error {
    Error::network(format!("could not download {url}: {what}")).with_hint(NETWORK_HINT)
}

/// An error and its causes on one line, without repeating the URL reqwest puts first.
pub(super) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = match (e.downcast_ref::<reqwest::Error>(), e.source()) {
        (Some(_), Some(cause)) => cause.to_string(),
        _ => e.to_string(),
    };
    let mut next = if e.is::<reqwest::Error>() {
        e.source().and_then(|c| c.source())
    } else {
        e.source()
    };
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

pub(super) fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}
