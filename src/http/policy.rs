//! What dvm is willing to talk to: https by default, plain http only to loopback or to a mirror
//! the user configured, redirects that never downgrade, and proxies taken from the Context.

use std::net::IpAddr;

use reqwest::Url;

use crate::context::Context;
use crate::error::{Error, Result};

pub const MAX_REDIRECTS: usize = 5;

/// Always bypass the proxy for these, whatever NO_PROXY says.
const LOOPBACK_NO_PROXY: &str = "localhost,127.0.0.0/8,::1";

/// 127.0.0.0/8, ::1 and `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// True when `url` lies under the configured `prefix` (same scheme, host and port; the path
/// continues at a `/` boundary, so `http://m/dvm` does not cover `http://m/dvm-evil`).
pub fn is_under_prefix(url: &Url, prefix: &str) -> bool {
    let Ok(prefix) = Url::parse(prefix) else {
        return false;
    };
    if prefix.scheme() != url.scheme()
        || prefix.host_str() != url.host_str()
        || prefix.port_or_known_default() != url.port_or_known_default()
    {
        return false;
    }
    let base = prefix.path().trim_end_matches('/');
    let path = url.path();
    base.is_empty() || path == base || path.starts_with(&format!("{base}/"))
}

fn plain_http_allowed(url: &Url, insecure_allowed: &[String]) -> bool {
    is_loopback(url) || insecure_allowed.iter().any(|p| is_under_prefix(url, p))
}

/// Parses `url` and refuses anything but https, loopback http, or http under a configured prefix.
pub fn check_url(url: &str, insecure_allowed: &[String]) -> Result<Url> {
    let parsed = Url::parse(url).map_err(|e| {
        Error::config(format!("invalid download URL {url:?}: {e}"))
            .with_hint("check the mirror URL you configured (DVM_MIRROR or the config file)")
    })?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if plain_http_allowed(&parsed, insecure_allowed) => Ok(parsed),
        "http" => Err(Error::config(format!(
            "refusing to download {url} over plain http: dvm only uses https unless you name the host yourself"
        ))
        .with_hint(
            "use an https:// URL, or configure this server explicitly as a mirror (DVM_MIRROR=http://host/path) to allow plain http for it",
        )),
        other => Err(Error::config(format!(
            "cannot download {url}: unsupported URL scheme {other:?} (only https and http)"
        ))
        .with_hint("check the mirror URL you configured (DVM_MIRROR or the config file)")),
    }
}

/// Whether to follow a redirect from `from` to `to`, the `hop`-th one (1-based) of a request.
pub fn redirect_verdict(
    from: &Url,
    to: &Url,
    hop: usize,
    insecure_allowed: &[String],
) -> std::result::Result<(), String> {
    if hop > MAX_REDIRECTS {
        return Err(format!(
            "too many redirects (more than {MAX_REDIRECTS}) ending at {to}"
        ));
    }
    match (from.scheme(), to.scheme()) {
        ("https", "http") => Err(format!(
            "refusing redirect from {from} to {to}: it would downgrade https to plain http"
        )),
        (_, "https") => Ok(()),
        (_, "http") if plain_http_allowed(to, insecure_allowed) => Ok(()),
        (_, "http") => Err(format!(
            "refusing redirect from {from} to {to}: plain http is only allowed for loopback and configured mirrors"
        )),
        (_, other) => Err(format!(
            "refusing redirect from {from} to {to}: unsupported scheme {other:?}"
        )),
    }
}

/// Proxies as the Context's variables describe them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySettings {
    /// For http:// URLs: `(variable name, proxy URL)`.
    pub http: Option<(String, String)>,
    /// For https:// URLs.
    pub https: Option<(String, String)>,
    /// NO_PROXY plus the loopback entries that always bypass.
    pub no_proxy: String,
}

impl ProxySettings {
    pub fn from_context(ctx: &Context) -> Result<Self> {
        let pick = |names: &[&str]| -> Result<Option<(String, String)>> {
            let Some((name, value)) = names
                .iter()
                .find_map(|n| ctx.var(n).map(|v| (n.to_string(), v.trim().to_string())))
            else {
                return Ok(None);
            };
            let value = if value.contains("://") {
                value
            } else {
                format!("http://{value}")
            };
            match Url::parse(&value) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                    Ok(Some((name, value)))
                }
                _ => Err(Error::config(format!(
                    "{name}={value:?} is not a usable proxy (dvm supports http:// and https:// proxies)"
                ))
                .with_hint(format!("fix or unset {name}"))),
            }
        };
        let all = pick(&["ALL_PROXY", "all_proxy"])?;
        let http = pick(&["HTTP_PROXY", "http_proxy"])?.or_else(|| all.clone());
        let https = pick(&["HTTPS_PROXY", "https_proxy"])?.or(all);
        let user = ctx
            .var("NO_PROXY")
            .or_else(|| ctx.var("no_proxy"))
            .unwrap_or("");
        let no_proxy = if user.trim().is_empty() {
            LOOPBACK_NO_PROXY.to_string()
        } else {
            format!("{},{LOOPBACK_NO_PROXY}", user.trim())
        };
        Ok(ProxySettings {
            http,
            https,
            no_proxy,
        })
    }

    /// The reqwest proxies to install on a client built with `.no_proxy()`.
    pub fn to_reqwest(&self) -> Result<Vec<reqwest::Proxy>> {
        let no_proxy = || reqwest::NoProxy::from_string(&self.no_proxy);
        let mut out = Vec::new();
        if let Some((name, url)) = &self.http {
            let p = reqwest::Proxy::http(url.as_str()).map_err(|e| bad_proxy(name, url, e))?;
            out.push(p.no_proxy(no_proxy()));
        }
        if let Some((name, url)) = &self.https {
            let p = reqwest::Proxy::https(url.as_str()).map_err(|e| bad_proxy(name, url, e))?;
            out.push(p.no_proxy(no_proxy()));
        }
        Ok(out)
    }
}

fn bad_proxy(name: &str, url: &str, e: reqwest::Error) -> Error {
    Error::config(format!("{name}={url:?} is not a usable proxy: {e}"))
        .with_hint(format!("fix or unset {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn https_always_allowed() {
        assert!(check_url("https://download.docker.com/x.tgz", &[]).is_ok());
    }

    #[test]
    fn http_to_public_host_refused_with_hint() {
        let e = check_url("http://get.docker.com/builds/x.tgz", &[]).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Config);
        assert!(e.message().contains("http://get.docker.com/builds/x.tgz"));
        assert!(e.hint().unwrap().contains("mirror"));
    }

    #[test]
    fn http_to_loopback_allowed() {
        for url in [
            "http://127.0.0.1:8080/a",
            "http://127.1.2.3/a",
            "http://[::1]:9/a",
            "http://localhost/a",
            "http://LOCALHOST:1/a",
        ] {
            assert!(check_url(url, &[]).is_ok(), "{url}");
        }
        assert!(check_url("http://128.0.0.1/a", &[]).is_err());
        assert!(check_url("http://localhost.evil.com/a", &[]).is_err());
    }

    #[test]
    fn http_under_configured_prefix_allowed_on_a_path_boundary() {
        let allowed = vec!["http://mirror.lan/dvm/".to_string()];
        assert!(check_url("http://mirror.lan/dvm/x.tgz", &allowed).is_ok());
        assert!(check_url("http://mirror.lan/dvm-evil/x.tgz", &allowed).is_err());
        assert!(check_url("http://mirror.lan/other/x.tgz", &allowed).is_err());
        assert!(check_url("http://mirror.lan:81/dvm/x.tgz", &allowed).is_err());
        assert!(check_url("http://mirror.lan.evil.com/dvm/x.tgz", &allowed).is_err());
        let whole_host = vec!["http://mirror.lan".to_string()];
        assert!(check_url("http://mirror.lan/anything", &whole_host).is_ok());
    }

    #[test]
    fn other_schemes_refused() {
        assert!(check_url("ftp://example.com/x", &[]).is_err());
        assert!(check_url("file:///etc/passwd", &[]).is_err());
        assert!(check_url("not a url", &[]).is_err());
    }

    #[test]
    fn redirect_never_downgrades() {
        let err = redirect_verdict(&u("https://a.example/x"), &u("http://a.example/x"), 1, &[])
            .unwrap_err();
        assert!(err.contains("downgrade"), "{err}");
        // Not even to loopback or a configured mirror.
        assert!(
            redirect_verdict(&u("https://a.example/x"), &u("http://127.0.0.1/x"), 1, &[]).is_err()
        );
        let allowed = vec!["http://m.lan/".to_string()];
        assert!(
            redirect_verdict(&u("https://a.example/x"), &u("http://m.lan/x"), 1, &allowed).is_err()
        );
    }

    #[test]
    fn redirect_to_other_host_only_over_https_or_allowed_http() {
        assert!(
            redirect_verdict(
                &u("https://a.example/x"),
                &u("https://cdn.example/x"),
                1,
                &[]
            )
            .is_ok()
        );
        assert!(
            redirect_verdict(
                &u("http://127.0.0.1:1/x"),
                &u("http://127.0.0.1:2/x"),
                1,
                &[]
            )
            .is_ok()
        );
        assert!(
            redirect_verdict(
                &u("http://127.0.0.1:1/x"),
                &u("http://evil.example/x"),
                1,
                &[]
            )
            .is_err()
        );
        let allowed = vec!["http://m.lan/".to_string()];
        assert!(
            redirect_verdict(&u("http://127.0.0.1/x"), &u("http://m.lan/x"), 1, &allowed).is_ok()
        );
        assert!(
            redirect_verdict(&u("http://127.0.0.1/x"), &u("ftp://m.lan/x"), 1, &allowed).is_err()
        );
    }

    #[test]
    fn redirect_hops_are_limited() {
        let (a, b) = (u("https://a.example/x"), u("https://b.example/x"));
        assert!(redirect_verdict(&a, &b, MAX_REDIRECTS, &[]).is_ok());
        let err = redirect_verdict(&a, &b, MAX_REDIRECTS + 1, &[]).unwrap_err();
        assert!(err.contains("too many redirects"), "{err}");
    }

    #[test]
    fn proxies_come_from_the_context_with_loopback_bypassed() {
        let ctx = Context::empty("/")
            .with_var("https_proxy", "proxy.corp:3128")
            .with_var("HTTP_PROXY", "http://p2.corp:8080")
            .with_var("NO_PROXY", "internal.corp, 10.0.0.0/8");
        let p = ProxySettings::from_context(&ctx).unwrap();
        assert_eq!(
            p.https,
            Some(("https_proxy".into(), "http://proxy.corp:3128".into()))
        );
        assert_eq!(
            p.http,
            Some(("HTTP_PROXY".into(), "http://p2.corp:8080".into()))
        );
        assert!(p.no_proxy.starts_with("internal.corp, 10.0.0.0/8,"));
        for entry in ["localhost", "127.0.0.0/8", "::1"] {
            assert!(p.no_proxy.split(',').any(|e| e == entry), "{entry}");
        }
        assert_eq!(p.to_reqwest().unwrap().len(), 2);
    }

    #[test]
    fn all_proxy_is_the_fallback_and_nothing_means_no_proxy() {
        let none = ProxySettings::from_context(&Context::empty("/")).unwrap();
        assert_eq!((none.http, none.https), (None, None));
        assert_eq!(none.no_proxy, LOOPBACK_NO_PROXY);
        let ctx = Context::empty("/").with_var("ALL_PROXY", "http://all.corp:1");
        let p = ProxySettings::from_context(&ctx).unwrap();
        assert_eq!(p.http.unwrap().1, "http://all.corp:1");
        assert_eq!(p.https.unwrap().1, "http://all.corp:1");
    }

    #[test]
    fn unsupported_proxy_is_a_config_error_naming_the_variable() {
        let ctx = Context::empty("/").with_var("HTTPS_PROXY", "socks5://s.corp:1080");
        let e = ProxySettings::from_context(&ctx).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Config);
        assert!(e.message().contains("HTTPS_PROXY"));
    }
}
