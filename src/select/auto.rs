//! `auto`: the client that matches the daemon the docker CLI would talk to. The shim never
//! talks to a daemon; it names the endpoint (by the docker CLI's rules, from the environment
//! and the docker argv) and looks the choice up in a small cache that `dvm detect --for-shim`
//! writes. Both sides use this file, so they agree on the key.
//!
//! The cache (`<data>/auto-cache`) is text: a header line `# dvm auto v1 ttl=SECONDS`, then
//! one line per endpoint, `UNIX_TIME<TAB>VERSION<TAB>KEY<TAB>DETAIL[<TAB>SOCKET]`, where SOCKET
//! identifies a local daemon's socket file (inode and modification time): a daemon restarted (upgraded, say)
//! recreates it, and the choice is made again at the next call. Lines that do not parse are
//! ignored (and dropped by the next write).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::version::DockerVersion;

pub const CACHE_FILE: &str = "auto-cache";
/// Overrides the TTL the cache records (`auto_ttl`), for the shim too, which reads no config.
pub const TTL_VAR: &str = "DVM_AUTO_TTL";
/// How long a choice stands before the daemon is asked again, when the cache says nothing.
pub const DEFAULT_TTL_SECONDS: u64 = 3600;
const HEADER: &str = "# dvm auto v1 ttl=";

/// The docker CLI's own flags that take a value (so the value is not taken for the command).
const FLAGS_WITH_VALUES: [&str; 10] = [
    "-H",
    "--host",
    "-c",
    "--context",
    "--config",
    "-l",
    "--log-level",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
];

/// What the docker argv itself says about the endpoint: `-H`/`--host`, `-c`/`--context`,
/// `--config`, `--tlsverify`. Only options before the command count, as for the CLI.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ArgvEndpoint {
    pub host: Option<OsString>,
    pub context: Option<OsString>,
    pub config: Option<OsString>,
    pub tls_verify: bool,
}

impl ArgvEndpoint {
    pub fn parse(args: &[OsString]) -> ArgvEndpoint {
        let mut found = ArgvEndpoint::default();
        let mut i = 0;
        while let Some(arg) = args.get(i) {
            let text = arg.to_string_lossy();
            if !text.starts_with('-') || text == "-" || text == "--" {
                break;
            }
            let (name, inline) = match text.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(OsString::from(v))),
                _ => (text.to_string(), None),
            };
            // `-Hunix:///x` and `-cname`: a short flag with its value attached.
            let (name, inline) = match (name.as_str(), inline) {
                (n, None) if n.len() > 2 && (n.starts_with("-H") || n.starts_with("-c")) => {
                    (n[..2].to_string(), Some(OsString::from(&n[2..])))
                }
                (_, inline) => (name.clone(), inline),
            };
            let takes_value = FLAGS_WITH_VALUES.contains(&name.as_str());
            let value = match (takes_value, inline) {
                (true, Some(v)) => Some(v),
                (true, None) => {
                    i += 1;
                    args.get(i).cloned()
                }
                (false, _) => None,
            };
            match name.as_str() {
                "-H" | "--host" => found.host = value,
                "-c" | "--context" => found.context = value,
                "--config" => found.config = value,
                "--tlsverify" => found.tls_verify = true,
                _ => {}
            }
            i += 1;
        }
        found
    }
}

/// The endpoint key: what tells one daemon from another without asking it. A host address
/// with its TLS material (`host=…;tls=…;certs=…`), or a named context with the folder it is
/// defined in (`context=…;config=…`), or the default socket.
pub fn endpoint_key(
    var: &dyn Fn(&str) -> Option<OsString>,
    argv: &ArgvEndpoint,
    home: Option<&Path>,
) -> String {
    let nonempty = |v: Option<OsString>| v.filter(|v| !v.is_empty());
    let config = nonempty(argv.config.clone())
        .or_else(|| nonempty(var("DOCKER_CONFIG")))
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".docker")));
    let shown = |p: &Option<PathBuf>| {
        p.as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    // A `--context` in argv wins over DOCKER_HOST, as it does for the CLI.
    let host = if argv.context.is_some() {
        None
    } else {
        nonempty(argv.host.clone()).or_else(|| nonempty(var("DOCKER_HOST")))
    };
    if let Some(host) = host {
        let tls = argv.tls_verify || nonempty(var("DOCKER_TLS_VERIFY")).is_some();
        let certs = nonempty(var("DOCKER_CERT_PATH"))
            .map(PathBuf::from)
            .or_else(|| config.clone());
        return format!(
            "host={};tls={};certs={}",
            host.to_string_lossy().trim(),
            if tls { "1" } else { "0" },
            if tls { shown(&certs) } else { String::new() }
        );
    }
    let context = nonempty(argv.context.clone())
        .or_else(|| nonempty(var("DOCKER_CONTEXT")))
        .map(|c| c.to_string_lossy().into_owned())
        .or_else(|| current_context(config.as_deref()?));
    match context.filter(|c| c != "default") {
        Some(name) => format!("context={name};config={}", shown(&config)),
        None => "host=unix:///var/run/docker.sock;tls=0;certs=".to_string(),
    }
}

/// `currentContext` in `<config>/config.json`, found by a plain scan: the shim parses no JSON.
fn current_context(config: &Path) -> Option<String> {
    let bytes = super::resolve::read_small_file(&config.join("config.json"))
        .ok()
        .flatten()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let at = text.find("\"currentContext\"")?;
    let rest = text[at + "\"currentContext\"".len()..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let end = rest.find('"')?;
    let name = &rest[..end];
    (!name.is_empty() && !name.contains('\\')).then(|| name.to_string())
}

/// One remembered choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedChoice {
    pub version: DockerVersion,
    /// Seconds since the Unix epoch.
    pub checked_at: u64,
    pub detail: String,
    /// [`socket_stamp`] when the choice was made, for a daemon on a unix socket.
    pub socket: Option<String>,
}

/// The inode and modification time of the unix socket a `host=unix://…` key names: one `stat`, which tells a
/// restarted daemon from the one a choice was made for. `None` for other endpoints.
pub fn socket_stamp(key: &str) -> Option<String> {
    let rest = key.strip_prefix("host=unix://")?;
    let path = rest.split(';').next()?;
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // The inode may be reused at once; the nanoseconds tell two sockets apart.
        Some(format!(
            "{}:{}.{}",
            meta.ino(),
            meta.mtime(),
            meta.mtime_nsec()
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// The cache as read: its TTL and the choice for each key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    pub ttl: u64,
    pub entries: Vec<(String, CachedChoice)>,
}

impl Cache {
    pub fn parse(bytes: &[u8]) -> Cache {
        let text = String::from_utf8_lossy(bytes);
        let mut cache = Cache {
            ttl: DEFAULT_TTL_SECONDS,
            entries: Vec::new(),
        };
        for line in text.lines() {
            if let Some(ttl) = line.strip_prefix(HEADER) {
                cache.ttl = ttl.trim().parse().unwrap_or(DEFAULT_TTL_SECONDS);
                continue;
            }
            let mut fields = line.splitn(5, '\t');
            let (Some(time), Some(version), Some(key)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let (Ok(checked_at), Ok(version)) = (time.parse(), DockerVersion::parse(version))
            else {
                continue;
            };
            let detail = fields.next().unwrap_or("").to_string();
            let socket = fields.next().filter(|s| !s.is_empty()).map(str::to_string);
            cache.entries.retain(|(k, _)| k != key);
            cache.entries.push((
                key.to_string(),
                CachedChoice {
                    version,
                    checked_at,
                    detail,
                    socket,
                },
            ));
        }
        cache
    }

    /// Reads `<data>/auto-cache`; a missing or unreadable file is an empty cache.
    pub fn load(data: &Path) -> Cache {
        let bytes = super::resolve::read_small_file(&data.join(CACHE_FILE))
            .ok()
            .flatten()
            .unwrap_or_default();
        Cache::parse(&bytes)
    }

    /// `DVM_AUTO_TTL`'s value, when it holds a number, wins over the TTL the cache records.
    pub fn override_ttl(&mut self, value: Option<&str>) {
        if let Some(ttl) = value.and_then(|v| v.trim().parse().ok()) {
            self.ttl = ttl;
        }
    }

    pub fn get(&self, key: &str) -> Option<&CachedChoice> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, c)| c)
    }

    /// The choice for `key` if it was made less than `ttl` seconds before `now`, and (for a
    /// local daemon) for the daemon whose socket is there now.
    pub fn fresh(&self, key: &str, now: u64) -> Option<&CachedChoice> {
        self.get(key).filter(|c| {
            now.saturating_sub(c.checked_at) < self.ttl
                && c.checked_at <= now
                && (c.socket.is_none() || c.socket == socket_stamp(key))
        })
    }

    /// The text to write back: the header, then every entry (keys and details on one line).
    pub fn render(&self) -> String {
        let mut out = format!("{HEADER}{}\n", self.ttl);
        for (key, c) in &self.entries {
            let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\n",
                c.checked_at,
                c.version,
                clean(key),
                clean(&c.detail),
                c.socket.as_deref().map(clean).unwrap_or_default()
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn only_the_options_before_the_command_name_the_endpoint() {
        let parsed = ArgvEndpoint::parse(&args(&[
            "--log-level",
            "debug",
            "-Htcp://a:2375",
            "--context=ignored-by-host?",
            "--tlsverify",
            "ps",
            "-H",
            "tcp://not-an-option:1",
        ]));
        assert_eq!(parsed.host, Some(OsString::from("tcp://a:2375")));
        assert_eq!(parsed.context, Some(OsString::from("ignored-by-host?")));
        assert!(parsed.tls_verify);
        let parsed = ArgvEndpoint::parse(&args(&["-c", "prod", "--config", "/cfg", "ps"]));
        assert_eq!(parsed.context, Some(OsString::from("prod")));
        assert_eq!(parsed.config, Some(OsString::from("/cfg")));
        assert_eq!(
            ArgvEndpoint::parse(&args(&["ps", "-a"])),
            ArgvEndpoint::default()
        );
    }

    #[test]
    fn the_key_follows_the_docker_cli_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let none = ArgvEndpoint::default();
        let home = Some(Path::new("/home/u"));
        let host = env(&[("DOCKER_HOST", "tcp://h:2376"), ("DOCKER_TLS_VERIFY", "1")]);
        assert_eq!(
            endpoint_key(&host, &none, home),
            "host=tcp://h:2376;tls=1;certs=/home/u/.docker"
        );
        let context = env(&[("DOCKER_HOST", "tcp://h:2376"), ("DOCKER_CONTEXT", "x")]);
        assert!(endpoint_key(&context, &none, home).starts_with("host=tcp://h:2376;"));
        let argv = ArgvEndpoint {
            context: Some("prod".into()),
            ..ArgvEndpoint::default()
        };
        assert_eq!(
            endpoint_key(&context, &argv, home),
            "context=prod;config=/home/u/.docker"
        );
        assert_eq!(
            endpoint_key(&env(&[("DOCKER_CONTEXT", "default")]), &none, home),
            "host=unix:///var/run/docker.sock;tls=0;certs="
        );
    }

    #[test]
    fn the_cache_round_trips_and_drops_garbage() {
        let text = "# dvm auto v1 ttl=60\n100\t1.12.6\tk1\tdaemon at x\n\
                    junk\n200\tnot-a-version\tk2\t\n300\t20.10.24\tk1\tnewer\tsock\n";
        let cache = Cache::parse(text.as_bytes());
        assert_eq!(cache.ttl, 60);
        assert_eq!(cache.entries.len(), 1);
        let c = cache.get("k1").unwrap();
        assert_eq!(
            (c.version.to_string().as_str(), c.checked_at),
            ("20.10.24", 300)
        );
        assert_eq!(c.socket.as_deref(), Some("sock"));
        assert_eq!(Cache::parse(cache.render().as_bytes()), cache);
        // A socket stamp that no longer matches (no socket at all here) is not fresh.
        assert!(cache.fresh("k1", 301).is_none());
        let mut plain = cache.clone();
        plain.entries[0].1.socket = None;
        assert!(plain.fresh("k1", 301).is_some());
        assert!(plain.fresh("k1", 360).is_none(), "ttl 60 is over");
    }
}
