//! Where the daemon listens, from `DOCKER_HOST`, `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`, or
//! else from the docker CLI's current context, read the way the docker CLI reads them.

use std::fmt;
use std::path::PathBuf;

use super::contexts;
use crate::context::Context;
use crate::error::{Error, Result};

/// The socket the docker CLI uses when `DOCKER_HOST` is unset.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// Docker's customary ports: plain and TLS.
const PLAIN_PORT: u16 = 2375;
const TLS_PORT: u16 = 2376;

/// The client certificate files `DOCKER_CERT_PATH` (default `~/.docker`) holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The CA that signed the daemon's certificate: the only root trusted.
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A daemon address dvm can talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonEndpoint {
    Unix(PathBuf),
    /// `host` is written without IPv6 brackets.
    Tcp {
        host: String,
        port: u16,
        tls: Option<TlsFiles>,
    },
}

impl DaemonEndpoint {
    /// The endpoint the docker CLI would use; see [`DaemonTarget::from_context`].
    pub fn from_context(ctx: &Context) -> Result<Self> {
        DaemonTarget::from_context(ctx).map(|t| t.endpoint)
    }

    pub fn uses_tls(&self) -> bool {
        matches!(self, DaemonEndpoint::Tcp { tls: Some(_), .. })
    }
}

/// Which docker CLI context chose the endpoint, and where that choice was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedContext {
    pub name: String,
    /// `DOCKER_CONTEXT`, or the `currentContext` of a config.json.
    pub chosen_by: ContextChoice,
    /// The context's `meta.json`.
    pub meta: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextChoice {
    EnvVar,
    ConfigFile(PathBuf),
}

impl fmt::Display for ContextChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextChoice::EnvVar => f.write_str("DOCKER_CONTEXT"),
            ContextChoice::ConfigFile(path) => write!(f, "currentContext in {}", path.display()),
        }
    }
}

/// The daemon to ask, and the named context it came from (none for `DOCKER_HOST` and the
/// default socket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonTarget {
    pub endpoint: DaemonEndpoint,
    pub context: Option<NamedContext>,
}

impl DaemonTarget {
    /// Follows the docker CLI: a non-empty `DOCKER_HOST` wins (with TLS when `DOCKER_TLS_VERIFY`
    /// is non-empty, whatever its value, as the CLI reads it, and the certificates in
    /// `DOCKER_CERT_PATH`, else `$DOCKER_CONFIG`, else `~/.docker`); else the context named by
    /// `DOCKER_CONTEXT`; else `currentContext` in `$DOCKER_CONFIG/config.json` (default
    /// `~/.docker`). The context `default`, or none, means `unix:///var/run/docker.sock`.
    pub fn from_context(ctx: &Context) -> Result<Self> {
        let host = ctx
            .var("DOCKER_HOST")
            .map(str::trim)
            .filter(|h| !h.is_empty());
        if let Some(host) = host {
            let tls_verify = ctx.var("DOCKER_TLS_VERIFY").is_some();
            let endpoint = parse_host(&format!("DOCKER_HOST={host}"), host, tls_verify, || {
                tls_files(ctx)
            })?;
            return Ok(DaemonTarget {
                endpoint,
                context: None,
            });
        }
        match contexts::selected(ctx)? {
            Some(selected) => contexts::load(selected),
            None => Ok(DaemonTarget {
                endpoint: DaemonEndpoint::Unix(PathBuf::from(DEFAULT_SOCKET)),
                context: None,
            }),
        }
    }
}

impl fmt::Display for DaemonTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.context {
            Some(c) => write!(f, "{} (context {})", self.endpoint, c.name),
            None => write!(f, "{}", self.endpoint),
        }
    }
}

/// Parses a docker host address. `label` says where it was written, for errors; `tls` is
/// whether a `tcp://` address uses TLS, and `tls_files` finds the certificates when it does.
pub(super) fn parse_host(
    label: &str,
    host: &str,
    tls: bool,
    tls_files: impl FnOnce() -> Result<TlsFiles>,
) -> Result<DaemonEndpoint> {
    let (scheme, rest) = host.split_once("://").unwrap_or(("tcp", host));
    match scheme.to_ascii_lowercase().as_str() {
        "unix" => parse_unix(label, rest),
        "tcp" | "http" => parse_tcp(label, rest, tls, tls_files),
        // An https:// address only makes sense with TLS, so it implies DOCKER_TLS_VERIFY.
        "https" => parse_tcp(label, rest, true, tls_files),
        "npipe" => Err(npipe_error(label)),
        "ssh" => Err(
            Error::usage(format!("{label}: dvm cannot reach a daemon over SSH")).with_hint(
                "forward the remote socket and point DOCKER_HOST at the copy, e.g. \
                 `ssh -nNT -L /tmp/docker.sock:/var/run/docker.sock user@host` then \
                 DOCKER_HOST=unix:///tmp/docker.sock",
            ),
        ),
        _ => Err(
            Error::usage(format!("{label}: unsupported scheme '{scheme}://'"))
                .with_hint("use unix:///path/to/docker.sock or tcp://host:port"),
        ),
    }
}

fn npipe_error(label: &str) -> Error {
    let e = Error::usage(format!(
        "{label}: npipe:// is a Windows named pipe, which dvm cannot open"
    ));
    if cfg!(windows) {
        e.with_hint("expose the daemon on tcp:// and set DOCKER_HOST=tcp://127.0.0.1:2375")
    } else {
        e.with_hint(
            "npipe:// is a Windows named pipe; set DOCKER_HOST=unix:///var/run/docker.sock \
             or tcp://host:port",
        )
    }
}

fn parse_unix(label: &str, path: &str) -> Result<DaemonEndpoint> {
    if path.is_empty() {
        return Err(Error::usage(format!("{label}: no socket path"))
            .with_hint("write it as unix:///var/run/docker.sock"));
    }
    Ok(DaemonEndpoint::Unix(PathBuf::from(path)))
}

fn parse_tcp(
    label: &str,
    rest: &str,
    tls: bool,
    tls_files: impl FnOnce() -> Result<TlsFiles>,
) -> Result<DaemonEndpoint> {
    let bad = |why: &str| {
        Error::usage(format!("{label}: {why}"))
            .with_hint("write it as tcp://host:port, e.g. tcp://127.0.0.1:2376")
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains('/') {
        return Err(bad("a path after the address is not supported"));
    }
    let (name, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (name, after) = bracketed
            .split_once(']')
            .ok_or_else(|| bad("unclosed '[' in the IPv6 address"))?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(|| bad("expected :port"))?),
        };
        (name, port)
    } else {
        match authority.rsplit_once(':') {
            Some((name, _)) if name.contains(':') => {
                return Err(bad("write IPv6 addresses in brackets: tcp://[::1]:2376"));
            }
            Some((name, port)) => (name, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => {
            if tls {
                TLS_PORT
            } else {
                PLAIN_PORT
            }
        }
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| bad(&format!("'{p}' is not a port number")))?,
    };
    // The docker CLI reads an empty host as the local machine.
    let name = if name.is_empty() { "127.0.0.1" } else { name };
    let tls = if tls { Some(tls_files()?) } else { None };
    Ok(DaemonEndpoint::Tcp {
        host: name.to_string(),
        port,
        tls,
    })
}

fn tls_files(ctx: &Context) -> Result<TlsFiles> {
    let dir = match ctx.var_os("DOCKER_CERT_PATH").filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => contexts::config_dir(ctx).ok_or_else(|| {
            Error::config("DOCKER_TLS_VERIFY is set but no certificate folder is known").with_hint(
                "set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem",
            )
        })?,
    };
    Ok(TlsFiles {
        ca: dir.join("ca.pem"),
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    })
}

impl fmt::Display for DaemonEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DaemonEndpoint::Unix(path) => write!(f, "unix://{}", path.display()),
            DaemonEndpoint::Tcp { host, port, .. } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            DaemonEndpoint::Tcp { host, port, .. } => write!(f, "tcp://{host}:{port}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn ctx(vars: &[(&str, &str)]) -> Context {
        let mut c = Context::empty("/");
        c.home = Some(PathBuf::from("/home/u"));
        // Never this machine's docker contexts.
        c.set_var("DOCKER_CONFIG", "/nonexistent/dvm-test/.docker");
        for (k, v) in vars {
            c.set_var(*k, *v);
        }
        c
    }

    fn endpoint(vars: &[(&str, &str)]) -> Result<DaemonEndpoint> {
        DaemonEndpoint::from_context(&ctx(vars))
    }

    /// The certificate files a TLS endpoint from `vars` uses.
    fn tls_files_for(vars: &[(&str, &str)]) -> TlsFiles {
        match endpoint(vars).unwrap() {
            DaemonEndpoint::Tcp {
                tls: Some(files), ..
            } => files,
            other => panic!("expected TLS: {other:?}"),
        }
    }

    fn tcp(host: &str, port: u16) -> DaemonEndpoint {
        DaemonEndpoint::Tcp {
            host: host.into(),
            port,
            tls: None,
        }
    }

    #[test]
    fn defaults_to_the_system_socket() {
        assert_eq!(
            endpoint(&[]).unwrap(),
            DaemonEndpoint::Unix(DEFAULT_SOCKET.into())
        );
        assert_eq!(
            endpoint(&[("DOCKER_HOST", "")]).unwrap(),
            DaemonEndpoint::Unix(DEFAULT_SOCKET.into())
        );
    }

    #[test]
    fn parses_the_spellings_docker_accepts() {
        let cases = [
            (
                "unix:///run/user/1000/docker.sock",
                DaemonEndpoint::Unix("/run/user/1000/docker.sock".into()),
            ),
            ("tcp://10.0.0.5:2375", tcp("10.0.0.5", 2375)),
            ("tcp://10.0.0.5:2375/", tcp("10.0.0.5", 2375)),
            ("http://example.org:8080", tcp("example.org", 8080)),
            ("tcp://example.org", tcp("example.org", 2375)),
            ("tcp://:2375", tcp("127.0.0.1", 2375)),
            ("tcp://[::1]:2375", tcp("::1", 2375)),
            ("tcp://[::1]", tcp("::1", 2375)),
            ("10.0.0.5:2375", tcp("10.0.0.5", 2375)),
        ];
        for (host, want) in cases {
            assert_eq!(endpoint(&[("DOCKER_HOST", host)]).unwrap(), want, "{host}");
        }
        assert_eq!(tcp("::1", 2375).to_string(), "tcp://[::1]:2375");
        assert_eq!(
            DaemonEndpoint::Unix(DEFAULT_SOCKET.into()).to_string(),
            "unix:///var/run/docker.sock"
        );
    }

    #[test]
    fn tls_takes_certificates_from_the_cert_path_or_home() {
        let e = endpoint(&[("DOCKER_HOST", "tcp://h:2376"), ("DOCKER_TLS_VERIFY", "1")]).unwrap();
        let DaemonEndpoint::Tcp {
            tls: Some(files), ..
        } = &e
        else {
            panic!("expected TLS: {e:?}");
        };
        // The test context's DOCKER_CONFIG.
        assert_eq!(
            files.ca,
            PathBuf::from("/nonexistent/dvm-test/.docker/ca.pem")
        );
        assert_eq!(
            files.key,
            PathBuf::from("/nonexistent/dvm-test/.docker/key.pem")
        );
        assert!(e.uses_tls());
        // Without DOCKER_CONFIG, ~/.docker.
        let files = tls_files_for(&[
            ("DOCKER_HOST", "tcp://h:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CONFIG", ""),
        ]);
        assert_eq!(files.cert, PathBuf::from("/home/u/.docker/cert.pem"));

        let e = endpoint(&[
            ("DOCKER_HOST", "tcp://h"),
            ("DOCKER_TLS_VERIFY", "yes"),
            ("DOCKER_CERT_PATH", "/certs"),
        ])
        .unwrap();
        let DaemonEndpoint::Tcp {
            port,
            tls: Some(files),
            ..
        } = &e
        else {
            panic!("expected TLS: {e:?}");
        };
        assert_eq!(*port, 2376);
        assert_eq!(files.cert, PathBuf::from("/certs/cert.pem"));

        // Like the docker CLI, any non-empty value means TLS, "0" included; empty means off.
        let e = endpoint(&[("DOCKER_HOST", "tcp://h:1"), ("DOCKER_TLS_VERIFY", "0")]).unwrap();
        assert!(e.uses_tls());
        let e = endpoint(&[("DOCKER_HOST", "tcp://h:1"), ("DOCKER_TLS_VERIFY", "")]).unwrap();
        assert!(!e.uses_tls());
        // Without DOCKER_CERT_PATH the certificates sit in the docker config folder.
        let files = tls_files_for(&[
            ("DOCKER_HOST", "tcp://h:1"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CONFIG", "/etc/docker-client"),
        ]);
        assert_eq!(files.ca, PathBuf::from("/etc/docker-client/ca.pem"));
        // Unix sockets never use TLS.
        let e = endpoint(&[("DOCKER_HOST", "unix:///s"), ("DOCKER_TLS_VERIFY", "1")]).unwrap();
        assert!(!e.uses_tls());
        assert!(
            endpoint(&[("DOCKER_HOST", "https://h:1")])
                .unwrap()
                .uses_tls()
        );

        let mut no_home = ctx(&[
            ("DOCKER_HOST", "tcp://h:1"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CONFIG", ""),
        ]);
        no_home.home = None;
        let err = DaemonEndpoint::from_context(&no_home).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.hint().unwrap().contains("DOCKER_CERT_PATH"));
    }

    #[test]
    fn windows_pipes_and_ssh_are_refused_with_a_way_out() {
        let err = endpoint(&[("DOCKER_HOST", "npipe:////./pipe/docker_engine")]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Usage);
        assert!(err.message().contains("named pipe"), "{}", err.message());
        assert!(err.hint().unwrap().contains("DOCKER_HOST="));

        let err = endpoint(&[("DOCKER_HOST", "ssh://me@box")]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Usage);
        assert!(err.message().contains("SSH"));
        assert!(err.hint().unwrap().contains("ssh -nNT -L"));
    }

    #[test]
    fn rejects_malformed_hosts() {
        for bad in [
            "unix://",
            "fd://",
            "tcp://h:port",
            "tcp://h:0",
            "tcp://h:70000",
            "tcp://h:1/base",
            "tcp://::1:2375",
            "tcp://[::1",
            "tcp://[::1]x",
            "gopher://h",
        ] {
            let err = endpoint(&[("DOCKER_HOST", bad)]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Usage, "{bad}");
            assert!(err.message().contains(bad), "{bad}: {}", err.message());
            assert!(err.hint().is_some(), "{bad}");
        }
    }
}
