//! `GET /version` over a unix socket, plain TCP or TLS.
//!
//! Unix sockets and plain TCP use a minimal HTTP/1.1 client written here (one request, then
//! `Connection: close`); TLS goes through `reqwest` so that certificates are checked by rustls.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

use super::endpoint::DaemonEndpoint;
use super::tls::tls_get;
use crate::error::{Error, Result};

/// Largest `/version` body accepted; real ones are about 1 KiB.
const MAX_BODY: u64 = 1024 * 1024;
/// Largest status line or header line accepted.
const MAX_LINE: u64 = 16 * 1024;
const MAX_HEADERS: usize = 100;

/// How long to wait for the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To establish the connection (TCP and TLS).
    pub connect: Duration,
    /// For the whole exchange, connection included.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            total: Duration::from_secs(10),
        }
    }
}

/// A daemon's answer, before its body is looked at.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

pub(crate) fn get_version(endpoint: &DaemonEndpoint, timeouts: Timeouts) -> Result<Response> {
    let deadline = Instant::now() + timeouts.total;
    match endpoint {
        DaemonEndpoint::Unix(path) => unix_get(endpoint, path, deadline),
        DaemonEndpoint::Tcp {
            host,
            port,
            tls: None,
        } => {
            let stream = tcp_connect(endpoint, host, *port, timeouts.connect.min(timeouts.total))?;
            exchange(endpoint, stream, host, deadline)
        }
        DaemonEndpoint::Tcp {
            tls: Some(files), ..
        } => tls_get(endpoint, files, timeouts),
    }
}

#[cfg(unix)]
fn unix_get(endpoint: &DaemonEndpoint, path: &Path, deadline: Instant) -> Result<Response> {
    let stream = std::os::unix::net::UnixStream::connect(path).map_err(|e| {
        not_a_socket(endpoint, path).unwrap_or_else(|| io_failure(endpoint, "connect to", e))
    })?;
    exchange(endpoint, stream, "docker", deadline)
}

/// When the path exists but is no socket, that is the problem, whatever connect said (Linux
/// says "connection refused" for a folder).
#[cfg(unix)]
fn not_a_socket(endpoint: &DaemonEndpoint, path: &Path) -> Option<Error> {
    use std::os::unix::fs::FileTypeExt;
    let kind = std::fs::metadata(path).ok()?.file_type();
    if kind.is_socket() {
        return None;
    }
    let what = if kind.is_dir() {
        "a folder"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "a device or pipe"
    };
    let inside = path.join("docker.sock");
    let hint = match std::fs::metadata(&inside) {
        Ok(m) if kind.is_dir() && m.file_type().is_socket() => format!(
            "the socket is probably inside it: set DOCKER_HOST=unix://{}",
            inside.display()
        ),
        _ => "point DOCKER_HOST at the daemon's socket file, e.g. \
              unix:///var/run/docker.sock"
            .to_string(),
    };
    Some(
        Error::daemon(format!(
            "cannot connect to the Docker daemon at {endpoint}: {} is {what}, not a socket",
            path.display()
        ))
        .with_hint(hint),
    )
}

#[cfg(not(unix))]
fn unix_get(endpoint: &DaemonEndpoint, _path: &Path, _deadline: Instant) -> Result<Response> {
    Err(Error::usage(format!(
        "{endpoint}: unix sockets are not available on this system"
    ))
    .with_hint("set DOCKER_HOST=tcp://host:port"))
}

fn tcp_connect(
    endpoint: &DaemonEndpoint,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<TcpStream> {
    let addrs = (host, port).to_socket_addrs().map_err(|e| {
        Error::daemon(format!("cannot resolve the daemon host {host}: {e}"))
            .with_hint("check the host name in DOCKER_HOST")
            .with_source(e)
    })?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the host has no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(io_failure(endpoint, "connect to", last))
}

/// A stream whose reads and writes can be bounded in time.
trait TimedStream: Read + Write {
    fn set_timeouts(&self, limit: Duration) -> io::Result<()>;
}

impl TimedStream for TcpStream {
    fn set_timeouts(&self, limit: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(limit))?;
        self.set_write_timeout(Some(limit))
    }
}

#[cfg(unix)]
impl TimedStream for std::os::unix::net::UnixStream {
    fn set_timeouts(&self, limit: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(limit))?;
        self.set_write_timeout(Some(limit))
    }
}

/// Makes every read wait at most until the deadline, so a trickling server cannot stall us.
struct Deadlined<S> {
    inner: S,
    deadline: Instant,
}

impl<S: TimedStream> Deadlined<S> {
    fn arm(&self) -> io::Result<()> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"));
        }
        self.inner.set_timeouts(left)
    }
}

impl<S: TimedStream> Read for Deadlined<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm()?;
        self.inner.read(buf)
    }
}

fn exchange<S: TimedStream>(
    endpoint: &DaemonEndpoint,
    stream: S,
    host_header: &str,
    deadline: Instant,
) -> Result<Response> {
    let mut stream = Deadlined {
        inner: stream,
        deadline,
    };
    let host_header = if host_header.contains(':') {
        format!("[{host_header}]")
    } else {
        host_header.to_string()
    };
    let request = format!(
        "GET /version HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: dvm/{}\r\n\
         Accept: application/json\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    stream
        .arm()
        .and_then(|()| stream.inner.write_all(request.as_bytes()))
        .and_then(|()| stream.inner.flush())
        .map_err(|e| io_failure(endpoint, "send the request to", e))?;
    read_response(endpoint, BufReader::new(stream))
}

/// A reason the bytes received are not the HTTP answer expected.
fn malformed(endpoint: &DaemonEndpoint, why: &str) -> Error {
    Error::daemon(format!(
        "{endpoint} did not answer like a Docker daemon: {why}"
    ))
    .with_hint("check that DOCKER_HOST points at a Docker daemon")
}

fn read_line(endpoint: &DaemonEndpoint, r: &mut impl BufRead) -> Result<String> {
    let mut line = Vec::new();
    r.by_ref()
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)
        .map_err(|e| io_failure(endpoint, "read the answer from", e))?;
    if line.last() != Some(&b'\n') {
        return Err(if line.len() as u64 >= MAX_LINE {
            malformed(endpoint, "an HTTP line is too long")
        } else {
            malformed(
                endpoint,
                "the connection closed in the middle of the answer",
            )
        });
    }
    let line =
        String::from_utf8(line).map_err(|_| malformed(endpoint, "the HTTP header is not text"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn read_response(endpoint: &DaemonEndpoint, mut r: impl BufRead) -> Result<Response> {
    let status_line = read_line(endpoint, &mut r)?;
    let mut parts = status_line.split_whitespace();
    let status = match (parts.next(), parts.next()) {
        (Some(proto), Some(code)) if proto.starts_with("HTTP/1.") && code.len() == 3 => {
            code.parse::<u16>().ok()
        }
        _ => None,
    }
    .ok_or_else(|| malformed(endpoint, "the answer is not HTTP"))?;

    let mut content_length = None;
    let mut chunked = false;
    let mut count = 0;
    loop {
        let line = read_line(endpoint, &mut r)?;
        if line.is_empty() {
            break;
        }
        count += 1;
        if count > MAX_HEADERS {
            return Err(malformed(endpoint, "too many HTTP headers"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(malformed(endpoint, "an HTTP header has no ':'"));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(
                value
                    .parse::<u64>()
                    .map_err(|_| malformed(endpoint, "bad Content-Length"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        }
    }

    let body = if chunked {
        read_chunked(endpoint, &mut r)?
    } else if let Some(len) = content_length {
        if len > MAX_BODY {
            return Err(too_big(endpoint));
        }
        let mut body = Vec::new();
        r.take(len)
            .read_to_end(&mut body)
            .map_err(|e| io_failure(endpoint, "read the answer from", e))?;
        if (body.len() as u64) < len {
            return Err(malformed(
                endpoint,
                "the answer is shorter than its Content-Length",
            ));
        }
        body
    } else {
        read_capped(endpoint, r)?
    };
    Ok(Response { status, body })
}

fn too_big(endpoint: &DaemonEndpoint) -> Error {
    malformed(endpoint, "the answer is larger than 1 MiB")
}

/// Reads to end of stream, failing past [`MAX_BODY`].
pub(super) fn read_capped(endpoint: &DaemonEndpoint, r: impl Read) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    r.take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .map_err(|e| io_failure(endpoint, "read the answer from", e))?;
    if body.len() as u64 > MAX_BODY {
        return Err(too_big(endpoint));
    }
    Ok(body)
}

fn read_chunked(endpoint: &DaemonEndpoint, r: &mut impl BufRead) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(endpoint, r)?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = u64::from_str_radix(size, 16)
            .map_err(|_| malformed(endpoint, "bad chunk size in a chunked answer"))?;
        if size == 0 {
            // Trailers, up to the empty line; servers that close right away are tolerated.
            while !read_line(endpoint, r).unwrap_or_default().is_empty() {}
            return Ok(body);
        }
        if body.len() as u64 + size > MAX_BODY {
            return Err(too_big(endpoint));
        }
        let before = body.len();
        r.by_ref()
            .take(size)
            .read_to_end(&mut body)
            .map_err(|e| io_failure(endpoint, "read the answer from", e))?;
        if ((body.len() - before) as u64) < size {
            return Err(malformed(
                endpoint,
                "the connection closed in the middle of a chunk",
            ));
        }
        if !read_line(endpoint, r)?.is_empty() {
            return Err(malformed(endpoint, "a chunk is longer than its size"));
        }
    }
}

/// Turns an OS error while talking to the daemon into an error that says what to do.
pub(super) fn io_failure(endpoint: &DaemonEndpoint, action: &str, e: io::Error) -> Error {
    use io::ErrorKind as K;
    let is_unix = matches!(endpoint, DaemonEndpoint::Unix(_));
    let start_hint = "is the Docker daemon running? Start it (e.g. `sudo systemctl start docker`) \
                      or point DOCKER_HOST at the daemon you use";
    let (message, hint) = match e.kind() {
        K::NotFound if is_unix => (
            format!("cannot {action} the Docker daemon at {endpoint}: no such socket"),
            format!(
                "{start_hint} (rootless Docker listens on unix://$XDG_RUNTIME_DIR/docker.sock)"
            ),
        ),
        K::PermissionDenied => (
            format!("permission denied to {action} the Docker daemon at {endpoint}"),
            if is_unix {
                "add yourself to the docker group: `sudo usermod -aG docker $USER`, then log in again"
                    .to_string()
            } else {
                "check the firewall and DOCKER_HOST".to_string()
            },
        ),
        K::ConnectionRefused => (
            format!("the Docker daemon at {endpoint} refused the connection"),
            if is_unix {
                format!("the socket exists but nothing listens on it; {start_hint}")
            } else {
                format!("{start_hint}; check the port in DOCKER_HOST")
            },
        ),
        K::TimedOut | K::WouldBlock => (
            format!("the Docker daemon at {endpoint} did not answer in time"),
            "check that DOCKER_HOST points at a Docker daemon and that the daemon is not hung"
                .to_string(),
        ),
        _ => (
            format!("cannot {action} the Docker daemon at {endpoint}: {e}"),
            start_hint.to_string(),
        ),
    };
    Error::daemon(message).with_hint(hint).with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> Result<Response> {
        let endpoint = DaemonEndpoint::Unix("/test.sock".into());
        read_response(&endpoint, raw)
    }

    #[test]
    fn reads_content_length_chunked_and_close_delimited_bodies() {
        let r = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));

        let r = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nX-T: 1\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"hello");

        let r = parse(b"HTTP/1.0 404 Not Found\nServer: x\n\n{}").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (404, &b"{}"[..]));
    }

    #[test]
    fn rejects_what_is_not_http() {
        for raw in [
            &b""[..],
            b"SSH-2.0-OpenSSH_9.6\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"\xff\xfe\r\n",
        ] {
            let err = parse(raw).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Daemon, "{raw:?}");
            assert!(err.message().contains("/test.sock"), "{}", err.message());
        }
    }

    #[test]
    fn os_errors_become_daemon_errors_with_a_next_step() {
        let unix = DaemonEndpoint::Unix("/run/docker.sock".into());
        let tcp = DaemonEndpoint::Tcp {
            host: "10.1.2.3".into(),
            port: 2375,
            tls: None,
        };
        let hint = |endpoint: &DaemonEndpoint, kind: io::ErrorKind| {
            let e = io_failure(endpoint, "connect to", io::Error::from(kind));
            assert_eq!(e.kind(), crate::ErrorKind::Daemon);
            assert!(
                e.message().contains(&endpoint.to_string()),
                "{}",
                e.message()
            );
            format!("{} | {}", e.message(), e.hint().unwrap_or_default())
        };
        let denied = hint(&unix, io::ErrorKind::PermissionDenied);
        assert!(denied.contains("permission denied"), "{denied}");
        assert!(denied.contains("sudo usermod -aG docker $USER"), "{denied}");
        assert!(denied.contains("log in again"), "{denied}");
        assert!(!hint(&tcp, io::ErrorKind::PermissionDenied).contains("usermod"));
        assert!(hint(&unix, io::ErrorKind::NotFound).contains("is the Docker daemon running?"));
        assert!(hint(&tcp, io::ErrorKind::WouldBlock).contains("did not answer in time"));
        assert!(hint(&tcp, io::ErrorKind::TimedOut).contains("did not answer in time"));
        assert!(hint(&tcp, io::ErrorKind::ConnectionRefused).contains("refused"));
        assert!(
            hint(&tcp, io::ErrorKind::HostUnreachable).contains("is the Docker daemon running?")
        );
    }

    #[test]
    fn caps_bodies_and_lines() {
        let mut raw = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        raw.resize(raw.len() + MAX_BODY as usize + 1, b'x');
        assert!(parse(&raw).unwrap_err().message().contains("1 MiB"));

        let mut raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..17 {
            raw.extend_from_slice(format!("{:x}\r\n", 64 * 1024).as_bytes());
            raw.resize(raw.len() + 64 * 1024, b'x');
            raw.extend_from_slice(b"\r\n");
        }
        assert!(parse(&raw).unwrap_err().message().contains("1 MiB"));

        let mut raw = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        raw.resize(raw.len() + MAX_LINE as usize, b'x');
        assert!(parse(&raw).unwrap_err().message().contains("too long"));
    }
}
