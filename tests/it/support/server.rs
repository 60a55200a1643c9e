//! A loopback HTTP/1.1 fixture server for the test suite (std only).
//!
//! Tests fill an in-memory tree `path -> Route` laid out like the real hosts, e.g.
//! `/get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz`, so that `server.url()` works as a
//! mirror base (`<base>/<host>/<path>`). Every connection gets a thread; responses always carry
//! `Connection: close`. Directory paths (ending in `/`) get an nginx-style autoindex.
//!
//! Requests in absolute form (`GET http://host/path`, as sent to an HTTP proxy) are served from
//! `/host/path`, so the same server can stand in for a proxy.
//!
//! Used as `crate::support::server`.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Misbehaviour for a route. It applies to the first `Route::times` requests to the path (all
/// if unset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status (and a tiny text body) instead of the content.
    Status(u16),
    /// Send the headers and this many body bytes, then drop the socket.
    ResetAfter(u64),
    /// Announce the correct Content-Length, send this many body bytes, then close.
    Truncate(u64),
    /// Send `after` body bytes, go silent for `pause`, then send the rest.
    Stall { after: u64, pause: Duration },
    /// Announce this Content-Length, send the real body, close.
    WrongContentLength(u64),
    /// `302 Found` with this `Location`.
    RedirectTo(String),
    /// Answer ranged requests with `200` and the full body.
    IgnoreRange,
    /// Honour `Range` even when `If-Range` names another version of the file.
    IgnoreIfRange,
    /// Send the body one byte per `every` (each read gets something, so no stall fires).
    Drip { every: Duration },
    /// No Content-Length: the body, then this many zero bytes, then close (a server that
    /// keeps sending; bounded, so a client that never stops still ends).
    Unannounced { extra: u64 },
}

/// What the server answers for one path.
#[derive(Debug, Clone)]
pub struct Route {
    pub body: Vec<u8>,
    pub status: u16,
    /// Extra response headers (a `Content-Type` here replaces the default).
    pub headers: Vec<(String, String)>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Honour `Range: bytes=N-` / `bytes=N-M` (and `If-Range`).
    pub ranges: bool,
    pub fault: Option<Fault>,
    /// How many requests the fault applies to; `None` means every request.
    pub fault_times: Option<u32>,
}

impl Route {
    /// `200` with `body`, ETag and Last-Modified derived from the content, ranges on.
    pub fn new(body: impl Into<Vec<u8>>) -> Self {
        let body = body.into();
        Route {
            etag: Some(content_etag(&body)),
            last_modified: Some(content_last_modified(&body)),
            body,
            status: 200,
            headers: Vec::new(),
            ranges: true,
            fault: None,
            fault_times: None,
        }
    }

    /// An HTML page (a parked domain, a captive portal).
    pub fn html(page: &str) -> Self {
        Route::new(page.as_bytes()).header("Content-Type", "text/html; charset=utf-8")
    }

    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn etag(mut self, etag: Option<&str>) -> Self {
        self.etag = etag.map(str::to_string);
        self
    }

    pub fn last_modified(mut self, date: Option<&str>) -> Self {
        self.last_modified = date.map(str::to_string);
        self
    }

    /// Neither ETag nor Last-Modified.
    pub fn without_validators(self) -> Self {
        self.etag(None).last_modified(None)
    }

    pub fn without_ranges(mut self) -> Self {
        self.ranges = false;
        self
    }

    /// Misbehave on every request (or the first `times(k)` ones).
    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// Limit the fault to the first `k` requests for this path.
    pub fn times(mut self, k: u32) -> Self {
        self.fault_times = Some(k);
        self
    }
}

fn content_hash(body: &[u8]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    hasher.finish()
}

/// A strong ETag that changes whenever the content does.
pub fn content_etag(body: &[u8]) -> String {
    format!("\"{:x}-{:016x}\"", body.len(), content_hash(body))
}

/// An HTTP date in 2017–2020 that changes whenever the content does.
pub fn content_last_modified(body: &[u8]) -> String {
    const MAR_1_2017: u64 = 1_488_326_400;
    http_date(MAR_1_2017 + content_hash(body) % (3 * 365 * 86_400))
}

/// Unix seconds as an IMF-fixdate (`Wed, 01 Mar 2017 00:00:00 GMT`).
pub fn http_date(unix: u64) -> String {
    let (days, secs) = (unix / 86_400, unix % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    /// The path without the query string (absolute-form targets mapped to `/host/path`).
    pub path: String,
    /// The raw `Range` header, if any.
    pub range: Option<String>,
    /// The raw `If-Range` header, if any.
    pub if_range: Option<String>,
    /// The status line the server sent.
    pub status: u16,
}

/// The routes of one path: request n gets `routes[n]`, the last one repeats.
struct Entry {
    routes: Vec<Route>,
    hits: u32,
}

impl Entry {
    fn current(&self) -> Option<&Route> {
        let last = self.routes.len().checked_sub(1)?;
        self.routes.get((self.hits as usize).min(last))
    }
}

#[derive(Default)]
struct State {
    routes: Mutex<BTreeMap<String, Entry>>,
    log: Mutex<Vec<RequestRecord>>,
    served: Mutex<HashMap<String, u64>>,
    /// When set, every path gets this answer, whatever its routes (a captive portal).
    everything: Mutex<Option<Route>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking connection thread must not poison the whole fixture.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct FixtureServer {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl FixtureServer {
    pub fn start() -> FixtureServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(State::default());
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let state = Arc::clone(&state);
                    thread::spawn(move || handle(conn, &state));
                }
            })
        };
        FixtureServer {
            addr,
            state,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `url() + path`.
    pub fn url_for(&self, path: &str) -> String {
        format!("{}{}", self.url(), path)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn add(&self, path: &str, body: impl Into<Vec<u8>>) {
        self.add_with(path, Route::new(body));
    }

    /// Adds or replaces the route at `path` (its fault counter starts again).
    pub fn add_with(&self, path: &str, route: Route) {
        self.add_sequence(path, vec![route]);
    }

    /// Request n to `path` gets `routes[n]`; the last route answers all later requests.
    pub fn add_sequence(&self, path: &str, routes: Vec<Route>) {
        assert!(!routes.is_empty(), "a sequence needs at least one route");
        lock(&self.state.routes).insert(path.to_string(), Entry { routes, hits: 0 });
    }

    /// Answers every request with `route` (like a proxy login page or captive portal) until
    /// called again with `None`; the routes themselves are kept.
    pub fn answer_everything_with(&self, route: Option<Route>) {
        *lock(&self.state.everything) = route;
    }

    pub fn remove(&self, path: &str) {
        lock(&self.state.routes).remove(path);
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.state.log).clone()
    }

    pub fn clear_log(&self) {
        lock(&self.state.log).clear();
        lock(&self.state.served).clear();
    }

    /// Requests logged for `path`.
    pub fn count(&self, path: &str) -> usize {
        lock(&self.state.log)
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// Body bytes the server handed to the socket for `path`, over all requests.
    pub fn bytes_served(&self, path: &str) -> u64 {
        lock(&self.state.served).get(path).copied().unwrap_or(0)
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let target = target.split('?').next().unwrap_or("");
    let path = match target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
    {
        Some(rest) => match rest.find('/') {
            Some(i) => format!("/{}{}", &rest[..i], &rest[i..]),
            None => format!("/{rest}/"),
        },
        None => target.to_string(),
    };
    let req = Request {
        method,
        path,
        headers,
    };
    // Drain a request body so the client does not see a reset while still sending.
    if let Some(len) = req
        .header("Content-Length")
        .and_then(|v| v.parse::<u64>().ok())
    {
        let _ = std::io::copy(&mut reader.take(len), &mut std::io::sink());
    }
    Some(req)
}

/// What to send: status, headers, body, and how to misbehave while sending it.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    content_length: u64,
    /// Stop after this many body bytes and close.
    cut_after: Option<u64>,
    stall: Option<(u64, Duration)>,
    /// Send no Content-Length, and this many zero bytes after the body.
    unannounced: Option<u64>,
    drip: Option<Duration>,
}

impl Reply {
    fn new(status: u16, body: Vec<u8>) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            content_length: body.len() as u64,
            body,
            cut_after: None,
            stall: None,
            unannounced: None,
            drip: None,
        }
    }

    fn text(status: u16, text: &str) -> Self {
        let mut r = Reply::new(status, text.as_bytes().to_vec());
        r.headers
            .push(("Content-Type".into(), "text/plain; charset=utf-8".into()));
        r
    }
}

fn handle(conn: TcpStream, state: &State) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
    let Ok(read_half) = conn.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let Some(req) = read_request(&mut reader) else {
        return;
    };
    let reply = respond(&req, state);
    lock(&state.log).push(RequestRecord {
        method: req.method.clone(),
        path: req.path.clone(),
        range: req.header("Range").map(str::to_string),
        if_range: req.header("If-Range").map(str::to_string),
        status: reply.status,
    });
    send(conn, &req, reply, state);
}

fn respond(req: &Request, state: &State) -> Reply {
    if let Some(route) = lock(&state.everything).clone() {
        return serve_route(req, &route, None);
    }
    let mut routes = lock(&state.routes);
    if let Some(entry) = routes.get_mut(&req.path) {
        let Some(route) = entry.current().cloned() else {
            return Reply::text(500, "empty route sequence\n");
        };
        let fault = route
            .fault
            .clone()
            .filter(|_| route.fault_times.is_none_or(|k| entry.hits < k));
        entry.hits = entry.hits.saturating_add(1);
        return serve_route(req, &route, fault);
    }
    let dir = if req.path.ends_with('/') {
        req.path.clone()
    } else {
        format!("{}/", req.path)
    };
    let children = children_of(&routes, &dir);
    if children.is_empty() {
        return Reply::text(404, "not found\n");
    }
    if !req.path.ends_with('/') {
        let mut r = Reply::text(301, "moved\n");
        r.headers.push(("Location".into(), dir));
        return r;
    }
    let mut r = Reply::new(200, autoindex(&dir, &children).into_bytes());
    r.headers.push(("Content-Type".into(), "text/html".into()));
    r
}

/// Direct children of `dir`: `(name, Some(size))` for files, `(name/, None)` for folders.
fn children_of(routes: &BTreeMap<String, Entry>, dir: &str) -> Vec<(String, Option<u64>)> {
    let mut out: Vec<(String, Option<u64>)> = Vec::new();
    for (path, entry) in routes.range(dir.to_string()..) {
        let Some(rest) = path.strip_prefix(dir) else {
            break;
        };
        if rest.is_empty() {
            continue;
        }
        let child = match rest.find('/') {
            Some(i) => (format!("{}/", &rest[..i]), None),
            None => (
                rest.to_string(),
                entry.current().map(|r| r.body.len() as u64),
            ),
        };
        if out.last().map(|(n, _)| n) != Some(&child.0) {
            out.push(child);
        }
    }
    out
}

/// An nginx-style `autoindex on;` page.
fn autoindex(dir: &str, children: &[(String, Option<u64>)]) -> String {
    let mut page = format!(
        "<html>\r\n<head><title>Index of {dir}</title></head>\r\n<body>\r\n<h1>Index of {dir}</h1><hr><pre><a href=\"../\">../</a>\r\n"
    );
    for (name, size) in children {
        let pad = " ".repeat(51usize.saturating_sub(name.len()));
        let size = size.map_or_else(|| "-".to_string(), |s| s.to_string());
        page.push_str(&format!(
            "<a href=\"{name}\">{name}</a>{pad}01-Mar-2017 16:44 {size:>19}\r\n"
        ));
    }
    page.push_str("</pre><hr></body>\r\n</html>\r\n");
    page
}

fn serve_route(req: &Request, route: &Route, fault: Option<Fault>) -> Reply {
    match &fault {
        Some(Fault::Status(code)) => return Reply::text(*code, "injected failure\n"),
        Some(Fault::RedirectTo(to)) => {
            let mut r = Reply::text(302, "found\n");
            r.headers.push(("Location".into(), to.clone()));
            return r;
        }
        _ => {}
    }
    let len = route.body.len() as u64;
    let honour_range = route.ranges && route.status == 200 && fault != Some(Fault::IgnoreRange);
    let range = req
        .header("Range")
        .filter(|_| honour_range)
        .and_then(parse_range)
        .filter(|_| {
            fault == Some(Fault::IgnoreIfRange) || if_range_matches(req.header("If-Range"), route)
        });
    let mut reply = match range {
        Some((start, _)) if start >= len => {
            let mut r = Reply::text(416, "range not satisfiable\n");
            r.headers
                .push(("Content-Range".into(), format!("bytes */{len}")));
            return r;
        }
        Some((start, end)) => {
            let end = end.map_or(len - 1, |e| e.min(len - 1));
            let body = route
                .body
                .get(start as usize..=end as usize)
                .unwrap_or_default()
                .to_vec();
            let mut r = Reply::new(206, body);
            r.headers
                .push(("Content-Range".into(), format!("bytes {start}-{end}/{len}")));
            r
        }
        None => Reply::new(route.status, route.body.clone()),
    };
    if !route
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("Content-Type"))
    {
        reply
            .headers
            .push(("Content-Type".into(), "application/octet-stream".into()));
    }
    if route.ranges {
        reply.headers.push(("Accept-Ranges".into(), "bytes".into()));
    }
    if let Some(etag) = &route.etag {
        reply.headers.push(("ETag".into(), etag.clone()));
    }
    if let Some(date) = &route.last_modified {
        reply.headers.push(("Last-Modified".into(), date.clone()));
    }
    reply.headers.extend(route.headers.iter().cloned());
    match fault {
        Some(Fault::ResetAfter(n)) | Some(Fault::Truncate(n)) => reply.cut_after = Some(n),
        Some(Fault::Stall { after, pause }) => reply.stall = Some((after, pause)),
        Some(Fault::WrongContentLength(n)) => reply.content_length = n,
        Some(Fault::Unannounced { extra }) => reply.unannounced = Some(extra),
        Some(Fault::Drip { every }) => reply.drip = Some(every),
        _ => {}
    }
    reply
}

/// `bytes=N-` or `bytes=N-M` (a single range; anything else is ignored like many servers do).
fn parse_range(value: &str) -> Option<(u64, Option<u64>)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let start = start.trim().parse().ok()?;
    let end = match end.trim() {
        "" => None,
        e => Some(e.parse().ok()?),
    };
    if end.is_some_and(|e| e < start) {
        return None;
    }
    Some((start, end))
}

fn if_range_matches(if_range: Option<&str>, route: &Route) -> bool {
    match if_range {
        None => true,
        Some(v) => route.etag.as_deref() == Some(v) || route.last_modified.as_deref() == Some(v),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        416 => "Range Not Satisfiable",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn send(mut conn: TcpStream, req: &Request, reply: Reply, state: &State) {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    if reply.unannounced.is_none() {
        head.push_str(&format!("Content-Length: {}\r\n", reply.content_length));
    }
    head.push_str("Connection: close\r\n");
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    if conn.write_all(head.as_bytes()).is_err() {
        return;
    }
    let body: &[u8] = if req.method.eq_ignore_ascii_case("HEAD") {
        &[]
    } else {
        &reply.body
    };
    let limit = reply
        .cut_after
        .map_or(body.len(), |n| (n as usize).min(body.len()));
    let body = &body[..limit];
    let (first, rest) = match reply.stall {
        Some((after, _)) => body.split_at((after as usize).min(body.len())),
        None => (body, &[][..]),
    };
    if let Some(every) = reply.drip {
        for byte in body.chunks(1) {
            if write_counted(&mut conn, byte, &req.path, state).is_err() || conn.flush().is_err() {
                return;
            }
            thread::sleep(every);
        }
        return;
    }
    if write_counted(&mut conn, first, &req.path, state).is_ok() {
        if let Some((_, pause)) = reply.stall {
            let _ = conn.flush();
            thread::sleep(pause);
        }
        let _ = write_counted(&mut conn, rest, &req.path, state);
    }
    if let Some(extra) = reply.unannounced {
        let zeros = vec![0u8; 64 * 1024];
        let mut left = extra;
        while left > 0 {
            let n = left.min(zeros.len() as u64);
            if write_counted(&mut conn, &zeros[..n as usize], &req.path, state).is_err() {
                break;
            }
            left -= n;
        }
    }
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Both);
}

/// Counts bytes before writing them, so a client that has read them always sees them counted.
fn write_counted(
    conn: &mut TcpStream,
    bytes: &[u8],
    path: &str,
    state: &State,
) -> std::io::Result<()> {
    for chunk in bytes.chunks(16 * 1024) {
        *lock(&state.served).entry(path.to_string()).or_insert(0) += chunk.len() as u64;
        conn.write_all(chunk)?;
    }
    Ok(())
}
