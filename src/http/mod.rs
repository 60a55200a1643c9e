//! HTTP downloads: streaming, hashing as bytes arrive, resume from `.part`, retries, timeouts,
//! progress events. The only module that talks HTTP to download hosts.
//!
//! A download is read by a network thread that appends to `dest.part` and hands chunks over a
//! bounded channel to the reader the caller's `consume` pulls from, so unpacking overlaps the
//! transfer and memory stays bounded. Whether a `.part` is resumed or restarted is settled by
//! the first response, before `consume` sees a byte; later failures are resumed inside the
//! reader with ranged requests validated by `If-Range`. A resume answered with the whole file
//! (it changed meanwhile) starts the download and `consume` over, within the retry budget.

mod document;
mod failure;
pub mod folder;
mod partial;
pub mod policy;
mod stream;

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use reqwest::header::{CONTENT_RANGE, IF_RANGE, RANGE};
use reqwest::{StatusCode, Url};

use crate::context::Context;
use crate::error::{Error, ErrorKind, IoContext, Result};
use failure::{describe, network_error, seconds};
use partial::PartMeta;

const USER_AGENT: &str = concat!("dvm/", env!("CARGO_PKG_VERSION"));
const NETWORK_HINT: &str = "check your internet connection and proxy settings (HTTPS_PROXY, NO_PROXY), or set DVM_MIRROR to a mirror you can reach";

/// No artifact dvm downloads may be larger: about four times the largest Docker client
/// archive (the static tarballs of recent releases are 70 to 80 MB). A hostile server cannot
/// fill the disk by sending forever.
pub const MAX_ARTIFACT_SIZE: u64 = 320 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Retries after a failed request or an interrupted body (the counter restarts whenever an
    /// attempt made progress).
    pub retries: u32,
    pub connect_timeout: Duration,
    /// A response or body that delivers nothing for this long counts as failed.
    pub stall_timeout: Duration,
    /// Never touch the network.
    pub offline: bool,
    /// URL prefixes the user configured (mirrors) for which plain http:// is allowed.
    pub insecure_allowed: Vec<String>,
    /// Wait before retry n is `retry_backoff * 2^(n-1)`.
    pub retry_backoff: Duration,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            retries: 3,
            connect_timeout: Duration::from_secs(15),
            stall_timeout: Duration::from_secs(60),
            offline: false,
            insecure_allowed: Vec::new(),
            retry_backoff: Duration::from_millis(200),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    /// `total` is the full size when known; `resumed_from` bytes came from an earlier `.part`.
    Start {
        url: String,
        total: Option<u64>,
        resumed_from: u64,
    },
    /// Bytes received since the previous `Advance`.
    Advance {
        bytes: u64,
    },
    Retry {
        attempt: u32,
        reason: String,
    },
    Finish,
}

/// A finished download, now at `path` in the cache.
#[derive(Debug, Clone)]
pub struct Downloaded {
    pub path: PathBuf,
    pub size: u64,
    /// Lowercase hex of every byte from offset 0.
    pub sha256: String,
    pub sha1: String,
}

pub struct Fetcher {
    /// Built on first use: setting up TLS (loading the system's CA certificates) and the
    /// client's runtime costs more than a warm `ls-remote` does in all, and it needs neither.
    client: OnceLock<Client>,
    proxies: Vec<reqwest::Proxy>,
    /// The proxies as configured, to name the one in the way when a connection fails.
    proxy_settings: policy::ProxySettings,
    /// Told of each request before it is sent (`--verbose`).
    observer: Option<RequestObserver>,
    cfg: NetConfig,
}

/// Why a request did not give a usable response.
enum Failure {
    /// Worth another try (connect error, timeout, 5xx, interrupted body).
    Retry(String),
    Fatal(Error),
}

/// The response that starts a download, and where it starts.
struct Opened {
    resp: Response,
    offset: u64,
    total: Option<u64>,
    meta: PartMeta,
}

impl Opened {
    /// A `200`: the whole file, from byte 0.
    fn whole(url: &Url, resp: Response) -> Self {
        let total = resp.content_length();
        let meta = PartMeta::from_headers(url.as_str(), resp.headers(), total);
        Opened {
            resp,
            offset: 0,
            total,
            meta,
        }
    }
}

/// The `.part` and its meta sidecar.
#[derive(Clone, Copy)]
struct PartFiles<'a> {
    part: &'a Path,
    meta: &'a Path,
}

/// One pass of a download: the response it starts from, where it goes, and how long the
/// file may be.
struct Pass<'a> {
    opened: Opened,
    files: PartFiles<'a>,
    limit: u64,
}

/// Called with a line for each request (`GET URL`), for `--verbose`.
pub type RequestObserver = Box<dyn Fn(&str) + Send + Sync>;

impl Fetcher {
    /// Tells `observer` of every request from now on.
    pub fn observe_requests(&mut self, observer: RequestObserver) {
        self.observer = Some(observer);
    }

    pub fn new(ctx: &Context, cfg: NetConfig) -> Result<Self> {
        // Proxy settings are checked now, so that a bad one is reported before anything else.
        let proxy_settings = policy::ProxySettings::from_context(ctx)?;
        Ok(Fetcher {
            client: OnceLock::new(),
            proxies: proxy_settings.to_reqwest()?,
            proxy_settings,
            observer: None,
            cfg,
        })
    }

    fn client(&self) -> Result<&Client> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let allowed = self.cfg.insecure_allowed.clone();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            let from = attempt.previous().last().cloned();
            let hop = attempt.previous().len();
            let verdict = match from {
                Some(from) => policy::redirect_verdict(&from, attempt.url(), hop, &allowed),
                None => Err("redirect without a previous URL".to_string()),
            };
            match verdict {
                Ok(()) => attempt.follow(),
                Err(why) => attempt.error(why),
            }
        });
        let mut builder = Client::builder()
            .no_proxy()
            .user_agent(USER_AGENT)
            .connect_timeout(self.cfg.connect_timeout)
            // In the blocking client this bounds the wait for the headers and for each read,
            // not the whole transfer: exactly a stall timeout.
            .timeout(self.cfg.stall_timeout)
            .redirect(redirects);
        for proxy in &self.proxies {
            builder = builder.proxy(proxy.clone());
        }
        let client = builder.build().map_err(|e| {
            Error::internal(format!("cannot set up the HTTP client: {}", describe(&e)))
        })?;
        // Another thread may have won the race; either client will do.
        Ok(self.client.get_or_init(|| client))
    }

    /// A small document (listing, checksum file, repodata). `Ok(None)` on 404/403/410.
    pub fn get_bytes(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let url = self.prepare(url)?;
        let fetched = self.with_retries(&url, &|_, _| {}, || {
            let resp = self.send(&url, None)?;
            if resp.status() != StatusCode::OK {
                return Err(Failure::Fatal(network_error(
                    &url,
                    &format!("unexpected HTTP {}", resp.status()),
                )));
            }
            document::read_limited(&url, resp, limit, self.document_deadline())
        });
        match fetched {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == crate::error::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// How long a small document (a listing, a `.sha256`) may take in all.
    fn document_deadline(&self) -> Duration {
        self.cfg.stall_timeout.saturating_mul(4)
    }

    /// Downloads `url` to `dest` (through `dest.part`, resuming it when the server allows),
    /// handing every byte from offset 0 to `consume` as it arrives, then draining the rest.
    /// A file longer than `limit` (announced or sent) is an archive error, and its `.part` is
    /// removed.
    ///
    /// When the file changes on the server mid-download (a resume is answered with the whole
    /// new file), the download starts over within the retry budget, and `consume` is called
    /// again with the new file from byte 0: each call must start afresh. The earlier call has
    /// then failed (its reads return an error), unless it had already returned `Ok`.
    pub fn download(
        &self,
        url: &str,
        dest: &Path,
        limit: u64,
        progress: &(dyn Fn(ProgressEvent) + Sync),
        consume: &mut dyn FnMut(&mut dyn Read) -> Result<()>,
    ) -> Result<Downloaded> {
        let parsed = self.prepare(url)?;
        let (part, meta_path) = partial::part_paths(dest);
        let folder = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // Until the file is in place, `cache clean` and `prune` leave the `.part` alone.
        let _in_use = folder::hold_shared(folder)?;
        let resumable = partial::find_resumable(&part, &meta_path, parsed.as_str());
        let mut opened = self.open_download(&parsed, resumable, progress)?;
        let discard = |e: Error| {
            let _ = partial::remove_if_exists(&part);
            let _ = partial::remove_if_exists(&meta_path);
            e
        };
        let mut restarts = 0;
        // Whether a restart came with a new ETag/Last-Modified: a changing file rather than a
        // server that ignores ranges on a connection that keeps breaking.
        let mut file_changed = false;
        let finished = loop {
            let files = PartFiles {
                part: &part,
                meta: &meta_path,
            };
            let validator = opened.meta.validator().map(str::to_owned);
            let pass = Pass {
                opened,
                files,
                limit,
            };
            match self.transfer(url, &parsed, pass, progress, &mut *consume)? {
                Ok(f) => break f,
                Err(stream::Failed::Restart(resp)) if restarts < self.cfg.retries => {
                    restarts += 1;
                    opened = Opened::whole(&parsed, *resp);
                    file_changed |= opened.meta.validator() != validator.as_deref();
                }
                Err(stream::Failed::Restart(_)) => {
                    let why = if file_changed {
                        "the file kept changing on the server while it was downloaded"
                    } else {
                        "the connection kept breaking and the server does not resume downloads \
                         (it ignores range requests)"
                    };
                    return Err(network_error(
                        &parsed,
                        &format!("{why} (started over {restarts} times)"),
                    ));
                }
                // What the consumer saw is suspect, or the file is longer than it may be (the
                // only transfer failure of kind Archive): never resume from it.
                Err(stream::Failed::Consumer(e)) => return Err(discard(e)),
                Err(stream::Failed::Transfer(e)) if e.kind() == ErrorKind::Archive => {
                    return Err(discard(e));
                }
                // The .part and its meta stay for the next attempt to resume.
                Err(stream::Failed::Transfer(e)) => return Err(e),
            }
        };
        fs::rename(&part, dest).with_path("move into place", dest)?;
        partial::remove_if_exists(&meta_path)?;
        sync_parent(dest);
        progress(ProgressEvent::Finish);
        Ok(Downloaded {
            path: dest.to_path_buf(),
            size: finished.size,
            sha256: finished.sha256,
            sha1: finished.sha1,
        })
    }

    /// One pass of the body through the `.part` and `consume`, from where `opened` starts.
    fn transfer(
        &self,
        url: &str,
        parsed: &Url,
        pass: Pass<'_>,
        progress: &(dyn Fn(ProgressEvent) + Sync),
        consume: &mut dyn FnMut(&mut dyn Read) -> Result<()>,
    ) -> Result<std::result::Result<stream::Finished, stream::Failed>> {
        let Pass {
            opened,
            files: PartFiles {
                part,
                meta: meta_path,
            },
            limit,
        } = pass;
        let mut file = fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(part)
            .with_path("open", part)?;
        let prefix = if opened.offset == 0 {
            // Meta first out, then the bytes: a kill in between leaves nothing resumable.
            partial::remove_if_exists(meta_path)?;
            file.set_len(0).with_path("truncate", part)?;
            if opened.meta.validator().is_some() {
                partial::write_meta(meta_path, &opened.meta)?;
            }
            None
        } else {
            file.seek(SeekFrom::Start(opened.offset))
                .with_path("seek in", part)?;
            let earlier = fs::File::open(part).with_path("open", part)?;
            Some(earlier.take(opened.offset))
        };
        progress(ProgressEvent::Start {
            url: url.to_string(),
            total: opened.total,
            resumed_from: opened.offset,
        });
        Ok(stream::run(stream::Transfer {
            fetcher: self,
            url: parsed,
            resp: opened.resp,
            file,
            part,
            offset: opened.offset,
            total: opened.total,
            limit,
            validator: opened.meta.validator().map(str::to_string),
            prefix,
            progress,
            consume,
        }))
    }

    fn prepare(&self, url: &str) -> Result<Url> {
        if self.cfg.offline {
            return Err(Error::network(format!("--offline: not downloading {url}"))
                .with_hint("run again without --offline to allow downloads"));
        }
        policy::check_url(url, &self.cfg.insecure_allowed)
    }

    /// The first request of a download: a ranged one when a `.part` can be resumed. A 200 means
    /// start over; a 206 that does not line up, or a 416, means drop the `.part` and ask again.
    fn open_download(
        &self,
        url: &Url,
        mut resumable: Option<partial::Resumable>,
        progress: &(dyn Fn(ProgressEvent) + Sync),
    ) -> Result<Opened> {
        let on_retry = |attempt, reason: &str| {
            progress(ProgressEvent::Retry {
                attempt,
                reason: reason.to_string(),
            })
        };
        loop {
            let range = resumable.as_ref().map(|r| (r.offset, r.meta.validator()));
            let resp = self.with_retries(url, &on_retry, || self.send(url, range))?;
            match (resp.status().as_u16(), resumable.take()) {
                (200, _) => return Ok(Opened::whole(url, resp)),
                (206, Some(r)) => {
                    let lines_up = content_range(&resp).is_some_and(|(start, total)| {
                        start == r.offset && (r.meta.total.is_none() || total == r.meta.total)
                    }) && partial::continues(r.meta.validator(), resp.headers());
                    if lines_up {
                        let total = content_range(&resp)
                            .and_then(|(_, t)| t)
                            .or_else(|| resp.content_length().map(|n| r.offset + n));
                        return Ok(Opened {
                            resp,
                            offset: r.offset,
                            total,
                            meta: PartMeta { total, ..r.meta },
                        });
                    }
                }
                (416, Some(_)) => {}
                (status, _) => {
                    return Err(network_error(
                        url,
                        &format!("unexpected HTTP {status} to a download request"),
                    ));
                }
            }
        }
    }

    /// One GET. Successful and 416 responses come back; other statuses become failures.
    fn send(&self, url: &Url, range: Option<(u64, Option<&str>)>) -> Result<Response, Failure> {
        if let Some(observe) = &self.observer {
            match range {
                Some((from, _)) => observe(&format!("GET {url} (from byte {from})")),
                None => observe(&format!("GET {url}")),
            }
        }
        let mut request = self.client().map_err(Failure::Fatal)?.get(url.clone());
        if let Some((from, validator)) = range {
            request = request.header(RANGE, format!("bytes={from}-"));
            if let Some(v) = validator {
                request = request.header(IF_RANGE, v);
            }
        }
        let resp = request.send().map_err(|e| self.request_failure(url, &e))?;
        let status = resp.status();
        match status.as_u16() {
            200..=299 | 416 => Ok(resp),
            403 | 404 | 410 => Err(Failure::Fatal(
                Error::not_found(format!("{url} is not available (HTTP {status})")).with_hint(
                    "check the version (`dvm ls-remote`) and, if you use one, your mirror (DVM_MIRROR)",
                ),
            )),
            408 | 429 | 500..=599 => Err(Failure::Retry(format!("HTTP {status}"))),
            _ => Err(Failure::Fatal(network_error(
                url,
                &format!("the server answered HTTP {status}"),
            ))),
        }
    }

    /// Runs `op` until it succeeds, fails for good, or used up the retries.
    fn with_retries<T>(
        &self,
        url: &Url,
        on_retry: &dyn Fn(u32, &str),
        mut op: impl FnMut() -> Result<T, Failure>,
    ) -> Result<T> {
        let mut attempt = 0;
        loop {
            match op() {
                Ok(v) => return Ok(v),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry(reason)) => {
                    if attempt >= self.cfg.retries {
                        return Err(self.gave_up(url, &reason));
                    }
                    attempt += 1;
                    on_retry(attempt, &reason);
                    std::thread::sleep(self.backoff(attempt));
                }
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.cfg
            .retry_backoff
            .saturating_mul(1 << attempt.saturating_sub(1).min(6))
    }
}

/// `Content-Range: bytes START-END/TOTAL` as `(START, TOTAL)`; `*` gives no total.
fn content_range(resp: &Response) -> Option<(u64, Option<u64>)> {
    let value = resp.headers().get(CONTENT_RANGE)?.to_str().ok()?;
    let (range, total) = value.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    let start = start.trim().parse().ok()?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start, total))
}

/// Makes the rename durable; best effort (not every platform can open a directory).
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .and_then(|p| fs::File::open(p).ok())
    {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests;
