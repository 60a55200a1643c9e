//! The two halves of a download: a network thread (the pump) that appends to the `.part` and
//! resumes interrupted bodies, and the reader the consumer pulls from, which replays the resumed
//! `.part` bytes first and hashes everything it hands out.
//!
//! When a resume is answered with the whole file (it changed on the server, or the server
//! ignores ranges), the bytes handed out so far belong to another file: the reader fails the
//! consumer, and the transfer ends with [`Failed::Restart`] carrying that answer, for the
//! caller to start over with.

use std::fs::File;
use std::io::{self, Read, Take, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::blocking::Response;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::{Failure, Fetcher, ProgressEvent, content_range, describe, network_error, seconds};
use crate::error::{Error, ErrorKind, Result};

/// Bytes per message from the pump to the reader.
const CHUNK: usize = 256 * 1024;
/// Messages in flight: bounds memory to a few chunks.
const CHANNEL_DEPTH: usize = 4;
/// A partly filled chunk is sent anyway after this long, so slow links still stream.
const FLUSH_AFTER: Duration = Duration::from_millis(100);
/// However much each resume progressed, a download gives up after this many interruptions.
const MAX_INTERRUPTIONS: u32 = 50;
/// Minimum spacing of `Advance` events.
const ADVANCE_EVERY: Duration = Duration::from_millis(100);

enum Msg {
    Data(Vec<u8>),
    Retry {
        attempt: u32,
        reason: String,
    },
    /// Everything arrived and the `.part` is synced.
    End,
    Failed(Error),
    /// The server sent the whole file again: what was handed out must be thrown away.
    Restart,
}

/// Everything one transfer needs, once the first response settled resume vs restart.
pub(super) struct Transfer<'a> {
    pub fetcher: &'a Fetcher,
    pub url: &'a Url,
    pub resp: Response,
    /// The `.part`, positioned at `offset`.
    pub file: File,
    pub part: &'a Path,
    pub offset: u64,
    pub total: Option<u64>,
    /// The most bytes the file may have.
    pub limit: u64,
    pub validator: Option<String>,
    /// The first `offset` bytes of the `.part`, replayed to the consumer.
    pub prefix: Option<Take<File>>,
    pub progress: &'a (dyn Fn(ProgressEvent) + Sync),
    pub consume: &'a mut dyn FnMut(&mut dyn Read) -> Result<()>,
}

pub(super) struct Finished {
    pub size: u64,
    pub sha256: String,
    pub sha1: String,
}

pub(super) enum Failed {
    /// `consume` failed on bytes that were delivered fine.
    Consumer(Error),
    /// The transfer failed; the `.part` holds good bytes to resume from.
    Transfer(Error),
    /// A resume was answered with the whole file (this `200` response): start over from byte
    /// 0, with a fresh consumer.
    Restart(Box<Response>),
}

pub(super) fn run(t: Transfer<'_>) -> std::result::Result<Finished, Failed> {
    let cancel = AtomicBool::new(false);
    let (tx, rx) = sync_channel(CHANNEL_DEPTH);
    let pump = Pump {
        fetcher: t.fetcher,
        url: t.url,
        resp: t.resp,
        file: t.file,
        part: t.part,
        offset: t.offset,
        total: t.total,
        limit: t.limit,
        validator: t.validator,
        tx,
        cancel: &cancel,
    };
    let mut reader = Reader {
        prefix: t.prefix,
        part: t.part,
        rx,
        chunk: Vec::new(),
        pos: 0,
        sha256: Sha256::new(),
        sha1: Sha1::new(),
        size: 0,
        progress: t.progress,
        unreported: 0,
        last_report: Instant::now(),
        ended: false,
        failure: None,
        restart: false,
    };
    let consume = t.consume;
    std::thread::scope(|scope| {
        let network = scope.spawn(move || pump.run());
        let outcome = match consume(&mut reader) {
            Ok(()) => reader.drain().map_err(Failed::Transfer),
            // A consumer that failed because the transfer did reports the transfer's error.
            Err(e) => Err(match reader.failure.take() {
                Some(transfer) => Failed::Transfer(transfer),
                None => Failed::Consumer(e),
            }),
        };
        // Whatever the consumer made of the bytes so far, they were another file's.
        let restart = reader.restart;
        // Dropping the reader closes the channel, which stops a pump blocked on sending.
        let finished = match outcome {
            Ok(()) => Ok(reader.finish()),
            Err(e) => {
                drop(reader);
                Err(e)
            }
        };
        cancel.store(true, Ordering::SeqCst);
        let Ok(whole_file) = network.join() else {
            return Err(Failed::Transfer(Error::internal(format!(
                "the download thread for {} panicked",
                t.url
            ))));
        };
        match (restart, whole_file) {
            (true, Some(resp)) => Err(Failed::Restart(resp)),
            (true, None) => Err(Failed::Transfer(Error::internal(format!(
                "the download of {} must start over, but its new response was lost",
                t.url
            )))),
            (false, _) => finished,
        }
    })
}

enum Stop {
    /// The reader is gone; nobody to tell.
    Cancelled,
    Failed(Error),
    /// A resume got this `200` with the whole file.
    Restart(Box<Response>),
}

struct Pump<'a> {
    fetcher: &'a Fetcher,
    url: &'a Url,
    resp: Response,
    file: File,
    part: &'a Path,
    offset: u64,
    total: Option<u64>,
    limit: u64,
    validator: Option<String>,
    tx: SyncSender<Msg>,
    cancel: &'a AtomicBool,
}

impl Pump<'_> {
    /// Returns the response to start over with, when a resume got the whole file.
    fn run(mut self) -> Option<Box<Response>> {
        let (last, whole_file) = match self.transfer() {
            Ok(()) => (Msg::End, None),
            Err(Stop::Failed(e)) => (Msg::Failed(e), None),
            Err(Stop::Restart(resp)) => (Msg::Restart, Some(resp)),
            Err(Stop::Cancelled) => return None,
        };
        let _ = self.tx.send(last);
        whole_file
    }

    fn transfer(&mut self) -> std::result::Result<(), Stop> {
        let mut buf = vec![0u8; CHUNK];
        let mut attempts = 0;
        let mut interruptions = 0;
        let mut offset_at_last_failure = self.offset;
        if let Some(total) = self.total.filter(|t| *t > self.limit) {
            return Err(Stop::Failed(
                self.too_large(&format!("it announces {total} bytes")),
            ));
        }
        loop {
            let (filled, ended) = self.fill(&mut buf);
            if let Some(data) = buf.get(..filled).filter(|d| !d.is_empty()) {
                if self.offset + data.len() as u64 > self.limit {
                    let sent = format!("the server sent more than {} bytes", self.limit);
                    return Err(Stop::Failed(self.too_large(&sent)));
                }
                self.file
                    .write_all(data)
                    .map_err(|e| Stop::Failed(Error::io("write", self.part, e)))?;
                self.offset += data.len() as u64;
                self.tx
                    .send(Msg::Data(data.to_vec()))
                    .map_err(|_| Stop::Cancelled)?;
            }
            let reason = match ended {
                Ok(false) => continue,
                Ok(true) => match self.total {
                    Some(total) if self.offset < total => format!(
                        "the connection closed after {} of {total} bytes",
                        self.offset
                    ),
                    Some(total) if self.offset > total => {
                        return Err(Stop::Failed(network_error(
                            self.url,
                            &format!(
                                "the server sent {} bytes but announced {total}",
                                self.offset
                            ),
                        )));
                    }
                    _ => {
                        self.file
                            .sync_all()
                            .map_err(|e| Stop::Failed(Error::io("sync", self.part, e)))?;
                        return Ok(());
                    }
                },
                Err(e) => self.read_failure(&e),
            };
            // Retries are counted per stretch without progress, so a long download on a flaky
            // line is not doomed by a few separate hiccups; the total is still bounded.
            if self.offset > offset_at_last_failure {
                attempts = 0;
            }
            interruptions += 1;
            if interruptions > MAX_INTERRUPTIONS {
                return Err(Stop::Failed(network_error(
                    self.url,
                    &format!("{reason} (interrupted {MAX_INTERRUPTIONS} times, giving up)"),
                )));
            }
            offset_at_last_failure = self.offset;
            self.resp = self.resume(&mut attempts, reason)?;
        }
    }

    fn too_large(&self, what: &str) -> Error {
        Error::new(
            ErrorKind::Archive,
            format!(
                "{} is too large: {what}, and it may have at most {} bytes",
                self.url, self.limit
            ),
        )
        .with_hint(
            "the server is not serving a Docker client archive; nothing was kept. Check the \
             mirror (DVM_MIRROR) or the URL",
        )
    }

    /// Reads until the chunk is full, the body ended (`Ok(true)`), a while passed, or a failure.
    fn fill(&mut self, buf: &mut [u8]) -> (usize, io::Result<bool>) {
        let started = Instant::now();
        let mut filled = 0;
        loop {
            let Some(space) = buf.get_mut(filled..).filter(|s| !s.is_empty()) else {
                return (filled, Ok(false));
            };
            match self.resp.read(space) {
                Ok(0) => return (filled, Ok(true)),
                Ok(n) => {
                    filled += n;
                    if started.elapsed() >= FLUSH_AFTER {
                        return (filled, Ok(false));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (filled, Err(e)),
            }
        }
    }

    fn read_failure(&self, e: &io::Error) -> String {
        let text = describe(e);
        if e.kind() == io::ErrorKind::TimedOut || text.contains("timed out") {
            format!(
                "no data for {} after {} bytes",
                seconds(self.fetcher.cfg.stall_timeout),
                self.offset
            )
        } else {
            format!("the transfer broke off after {} bytes: {text}", self.offset)
        }
    }

    /// A ranged request from the current offset, retried with backoff.
    fn resume(
        &mut self,
        attempts: &mut u32,
        mut reason: String,
    ) -> std::result::Result<Response, Stop> {
        loop {
            if *attempts >= self.fetcher.cfg.retries {
                return Err(Stop::Failed(self.fetcher.gave_up(self.url, &reason)));
            }
            *attempts += 1;
            self.tx
                .send(Msg::Retry {
                    attempt: *attempts,
                    reason,
                })
                .map_err(|_| Stop::Cancelled)?;
            self.pause(self.fetcher.backoff(*attempts))?;
            if self.validator.is_none() && self.total.is_none() {
                return Err(Stop::Failed(self.cannot_resume(
                    "the server gave neither a validator (ETag, Last-Modified) nor a size",
                )));
            }
            let range = Some((self.offset, self.validator.as_deref()));
            match self.fetcher.send(self.url, range) {
                Ok(resp) => return self.accept_resumed(resp),
                Err(Failure::Retry(why)) => reason = why,
                Err(Failure::Fatal(e)) => return Err(Stop::Failed(e)),
            }
        }
    }

    /// Only a 206 that starts exactly at our offset, for the same file, may continue the stream.
    fn accept_resumed(&mut self, resp: Response) -> std::result::Result<Response, Stop> {
        match resp.status().as_u16() {
            // Another version of the file (a server that ignores If-Range): start over.
            206 if !super::partial::continues(self.validator.as_deref(), resp.headers()) => {
                match self.fetcher.send(self.url, None) {
                    Ok(whole) if whole.status().as_u16() == 200 => {
                        Err(Stop::Restart(Box::new(whole)))
                    }
                    _ => Err(Stop::Failed(self.cannot_resume(
                        "the file changed on the server, and asking for it afresh failed",
                    ))),
                }
            }
            206 => match content_range(&resp) {
                Some((start, total))
                    if start == self.offset
                        && (self.total.is_none() || total.is_none() || total == self.total) =>
                {
                    self.total = self.total.or(total);
                    Ok(resp)
                }
                _ => Err(Stop::Failed(self.cannot_resume(
                    "the server answered with a different byte range",
                ))),
            },
            // The file changed meanwhile (If-Range did not match), or ranges are ignored.
            200 => Err(Stop::Restart(Box::new(resp))),
            416 => Err(Stop::Failed(network_error(
                self.url,
                &format!(
                    "the server has no bytes after offset {}, though it announced {}: the file is shorter than its announced length",
                    self.offset,
                    self.total
                        .map_or_else(|| "more".to_string(), |t| t.to_string())
                ),
            ))),
            status => Err(Stop::Failed(network_error(
                self.url,
                &format!(
                    "unexpected HTTP {status} when resuming at byte {}",
                    self.offset
                ),
            ))),
        }
    }

    fn cannot_resume(&self, why: &str) -> Error {
        Error::network(format!(
            "could not download {}: the transfer broke off at byte {} and cannot be resumed: {why}",
            self.url, self.offset
        ))
        .with_hint("run the command again; the download will resume or start over")
    }

    /// Sleeps, waking early when the consumer is gone.
    fn pause(&self, wait: Duration) -> std::result::Result<(), Stop> {
        let until = Instant::now() + wait;
        loop {
            if self.cancel.load(Ordering::SeqCst) {
                return Err(Stop::Cancelled);
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }
}

struct Reader<'a> {
    prefix: Option<Take<File>>,
    part: &'a Path,
    rx: Receiver<Msg>,
    chunk: Vec<u8>,
    pos: usize,
    sha256: Sha256,
    sha1: Sha1,
    size: u64,
    progress: &'a (dyn Fn(ProgressEvent) + Sync),
    unreported: u64,
    last_report: Instant,
    ended: bool,
    failure: Option<Error>,
    /// The pump said the file must be read again from byte 0.
    restart: bool,
}

impl Read for Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(failure) = &self.failure {
                return Err(io::Error::other(failure.to_string()));
            }
            if let Some(prefix) = &mut self.prefix {
                match prefix.read(buf) {
                    Ok(0) if prefix.limit() > 0 => {
                        self.failure = Some(Error::io(
                            "read",
                            self.part,
                            io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "the partial download shrank while being read",
                            ),
                        ));
                    }
                    Ok(0) => self.prefix = None,
                    Ok(n) => return Ok(self.hand_out(buf, n)),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => self.failure = Some(Error::io("read", self.part, e)),
                }
                continue;
            }
            let rest = self.chunk.get(self.pos..).unwrap_or_default();
            if !rest.is_empty() {
                let n = rest.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.pos += n;
                return Ok(self.hand_out(buf, n));
            }
            if self.ended {
                return Ok(0);
            }
            self.receive();
        }
    }
}

impl Reader<'_> {
    fn receive(&mut self) {
        match self.rx.recv() {
            Ok(Msg::Data(data)) => {
                self.unreported += data.len() as u64;
                self.chunk = data;
                self.pos = 0;
                if self.last_report.elapsed() >= ADVANCE_EVERY {
                    self.report();
                }
            }
            Ok(Msg::Retry { attempt, reason }) => {
                self.report();
                (self.progress)(ProgressEvent::Retry { attempt, reason });
            }
            Ok(Msg::End) => {
                self.report();
                self.ended = true;
            }
            Ok(Msg::Failed(e)) => self.failure = Some(e),
            Ok(Msg::Restart) => {
                self.restart = true;
                self.failure = Some(Error::network(
                    "the file changed on the server during the download; starting over",
                ));
            }
            Err(_) => {
                self.failure = Some(Error::internal(
                    "the download thread stopped without finishing",
                ))
            }
        }
    }

    fn report(&mut self) {
        if self.unreported > 0 {
            (self.progress)(ProgressEvent::Advance {
                bytes: self.unreported,
            });
            self.unreported = 0;
        }
        self.last_report = Instant::now();
    }

    fn hand_out(&mut self, buf: &[u8], n: usize) -> usize {
        let given = buf.get(..n).unwrap_or_default();
        self.sha256.update(given);
        self.sha1.update(given);
        self.size += given.len() as u64;
        given.len()
    }

    /// Reads what the consumer left, to the end, still hashing.
    fn drain(&mut self) -> std::result::Result<(), Error> {
        match io::copy(self, &mut io::sink()) {
            Ok(_) => Ok(()),
            Err(e) => Err(self
                .failure
                .take()
                .unwrap_or_else(|| Error::internal(format!("reading the download failed: {e}")))),
        }
    }

    fn finish(self) -> Finished {
        Finished {
            size: self.size,
            sha256: hex::encode(self.sha256.finalize()),
            sha1: hex::encode(self.sha1.finalize()),
        }
    }
}
