//! The docker CLI's contexts: which one is current, and the daemon it names.
//!
//! `docker context use NAME` writes `"currentContext": "NAME"` into `$DOCKER_CONFIG/config.json`
//! (default `~/.docker`); `DOCKER_CONTEXT` overrides it. A context's endpoint lives in
//! `contexts/meta/<sha256 of the name>/meta.json` under that folder, and its TLS files in
//! `contexts/tls/<sha256 of the name>/docker/`.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::endpoint::{
    ContextChoice, DEFAULT_SOCKET, DaemonEndpoint, DaemonTarget, NamedContext, TlsFiles, parse_host,
};
use crate::context::Context;
use crate::error::{Error, Result};

/// The name the docker CLI gives to "`DOCKER_HOST`, or the system socket".
const DEFAULT_CONTEXT: &str = "default";
/// config.json and meta.json are a few KiB; anything far larger is not one.
const MAX_FILE: u64 = 4 * 1024 * 1024;

/// A context chosen by `DOCKER_CONTEXT` or config.json, not yet read.
#[derive(Debug)]
pub(super) struct Selected {
    name: String,
    chosen_by: ContextChoice,
    config_dir: PathBuf,
}

/// `$DOCKER_CONFIG`, else `~/.docker`.
pub(super) fn config_dir(ctx: &Context) -> Option<PathBuf> {
    match ctx.var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => ctx.home.as_ref().map(|h| h.join(".docker")),
    }
}

/// The named context in effect when `DOCKER_HOST` is unset; `None` means the default one.
pub(super) fn selected(ctx: &Context) -> Result<Option<Selected>> {
    let dir = config_dir(ctx);
    if let Some(name) = ctx
        .var("DOCKER_CONTEXT")
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if name == DEFAULT_CONTEXT {
            return Ok(None);
        }
        let Some(config_dir) = dir else {
            return Err(Error::config(format!(
                "DOCKER_CONTEXT={name}, but no docker config folder is known to look it up in"
            ))
            .with_hint("set DOCKER_CONFIG to the folder holding config.json and contexts/"));
        };
        return Ok(Some(Selected {
            name: name.to_string(),
            chosen_by: ContextChoice::EnvVar,
            config_dir,
        }));
    }
    let Some(config_dir) = dir else {
        return Ok(None);
    };
    let config = config_dir.join("config.json");
    let Some(bytes) = read_small(&config, "the docker CLI configuration")? else {
        return Ok(None);
    };
    let value = parse_json(&config, &bytes, "the docker CLI configuration")?;
    let Some(object) = value.as_object() else {
        return Err(garbage(&config, "it is not a JSON object"));
    };
    let name = match object.get("currentContext") {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::String(name)) => name.trim(),
        Some(_) => return Err(garbage(&config, "its currentContext is not a string")),
    };
    if name.is_empty() || name == DEFAULT_CONTEXT {
        return Ok(None);
    }
    Ok(Some(Selected {
        name: name.to_string(),
        chosen_by: ContextChoice::ConfigFile(config),
        config_dir,
    }))
}

/// Reads the context's endpoint (and TLS files) from its meta.json.
pub(super) fn load(selected: Selected) -> Result<DaemonTarget> {
    let Selected {
        name,
        chosen_by,
        config_dir,
    } = selected;
    let id = hex::encode(Sha256::digest(name.as_bytes()));
    let meta = config_dir
        .join("contexts")
        .join("meta")
        .join(&id)
        .join("meta.json");
    let what = format!("docker context '{name}'");
    let Some(bytes) = read_small(&meta, &what)? else {
        let hint = match &chosen_by {
            ContextChoice::EnvVar => {
                "set DOCKER_CONTEXT to a context `docker context ls` lists, or unset it".to_string()
            }
            ContextChoice::ConfigFile(_) => "switch to a context `docker context ls` lists, \
                 e.g. `docker context use default`"
                .to_string(),
        };
        return Err(Error::config(format!(
            "the docker context '{name}' (from {chosen_by}) does not exist: there is no {}",
            meta.display()
        ))
        .with_hint(hint));
    };
    let (host, skip_verify) = docker_endpoint(&meta, &bytes, &what)?;
    let host = host.as_str();
    let context = NamedContext {
        name: name.clone(),
        chosen_by,
        meta: meta.clone(),
    };
    // An empty Host means the system socket, as for the default context.
    if host.is_empty() {
        return Ok(DaemonTarget {
            endpoint: DaemonEndpoint::Unix(PathBuf::from(DEFAULT_SOCKET)),
            context: Some(context),
        });
    }
    let tls_dir = config_dir
        .join("contexts")
        .join("tls")
        .join(&id)
        .join("docker");
    let material = tls_material(&name, &tls_dir)?;
    let label = format!("docker context '{name}' ({}): Host {host}", meta.display());
    let endpoint = parse_host(&label, host, material.is_some(), || {
        material.clone().ok_or_else(|| {
            Error::config(format!(
                "{label} needs TLS, but the context has no certificates in {}",
                tls_dir.display()
            ))
            .with_hint(format!(
                "add them with `docker context update {name} --docker \
                 host={host},ca=ca.pem,cert=cert.pem,key=key.pem`"
            ))
        })
    })?;
    // The docker CLI speaks TLS, unverified, to a TCP endpoint that skips verification.
    if skip_verify && matches!(endpoint, DaemonEndpoint::Tcp { .. }) {
        return Err(Error::config(format!(
            "{label} skips verifying the daemon's certificate (SkipTLSVerify), which dvm \
             does not do"
        ))
        .with_hint(format!(
            "give the context the daemon's CA with `docker context update {name} --docker \
             host={host},ca=ca.pem,cert=cert.pem,key=key.pem`, or set DOCKER_HOST, \
             DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH"
        )));
    }
    Ok(DaemonTarget {
        endpoint,
        context: Some(context),
    })
}

/// The `Host` and `SkipTLSVerify` of a context's `Endpoints.docker`.
fn docker_endpoint(meta: &Path, bytes: &[u8], what: &str) -> Result<(String, bool)> {
    let value = parse_json(meta, bytes, what)?;
    let Some(docker) = value
        .get("Endpoints")
        .and_then(|e| e.get("docker"))
        .filter(|d| d.is_object())
    else {
        return Err(garbage(meta, "it has no Endpoints.docker"));
    };
    let host = match docker.get("Host") {
        None | Some(serde_json::Value::Null) => "",
        Some(serde_json::Value::String(host)) => host.trim(),
        Some(_) => return Err(garbage(meta, "its Endpoints.docker.Host is not a string")),
    };
    let skip_verify = match docker.get("SkipTLSVerify") {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(_) => {
            return Err(garbage(
                meta,
                "its Endpoints.docker.SkipTLSVerify is not true or false",
            ));
        }
    };
    Ok((host.to_string(), skip_verify))
}

/// The context's ca.pem, cert.pem and key.pem: all three, or none (plain TCP).
fn tls_material(name: &str, dir: &Path) -> Result<Option<TlsFiles>> {
    let files = TlsFiles {
        ca: dir.join("ca.pem"),
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    let missing: Vec<&str> = [
        (&files.ca, "ca.pem"),
        (&files.cert, "cert.pem"),
        (&files.key, "key.pem"),
    ]
    .into_iter()
    .filter(|(path, _)| !path.exists())
    .map(|(_, file)| file)
    .collect();
    match missing.len() {
        0 => Ok(Some(files)),
        3 => Ok(None),
        _ => Err(Error::config(format!(
            "the docker context '{name}' has TLS files in {} but no {}: dvm needs the CA \
             (ca.pem) and a client certificate (cert.pem, key.pem)",
            dir.display(),
            missing.join(" or ")
        ))
        .with_hint(
            "put the missing files there, or set DOCKER_HOST, DOCKER_TLS_VERIFY=1 and \
             DOCKER_CERT_PATH to reach the daemon without the context",
        )),
    }
}

/// The file's bytes, or `None` when it does not exist.
fn read_small(path: &Path, what: &str) -> Result<Option<Vec<u8>>> {
    let unreadable = |e: io::Error| {
        Error::config(format!("cannot read {what} {}: {e}", path.display()))
            .with_hint(format!(
                "check the permissions of {}, or set DOCKER_HOST to choose the daemon without it",
                path.display()
            ))
            .with_source(e)
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(garbage(path, "it is larger than 4 MiB"));
    }
    Ok(Some(bytes))
}

fn parse_json(path: &Path, bytes: &[u8], what: &str) -> Result<serde_json::Value> {
    serde_json::from_slice(bytes).map_err(|e| {
        Error::config(format!(
            "{} ({what}) is not valid JSON: {e}",
            path.display()
        ))
        .with_hint(format!(
            "fix or remove {}, or set DOCKER_HOST to choose the daemon without it",
            path.display()
        ))
        .with_source(e)
    })
}

fn garbage(path: &Path, why: &str) -> Error {
    Error::config(format!(
        "{} is not a docker CLI file dvm understands: {why}",
        path.display()
    ))
    .with_hint(format!(
        "fix or remove {}, or set DOCKER_HOST to choose the daemon without it",
        path.display()
    ))
}
