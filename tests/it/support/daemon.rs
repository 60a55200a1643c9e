//! Fake Docker daemons for tests: they answer `GET /version` over a unix socket, loopback TCP,
//! or loopback TCP with TLS (client certificates required), and record what they were sent.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// How the body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    ContentLength,
    Chunked,
    /// No length: the body ends when the connection closes.
    UntilClose,
}

#[derive(Debug, Clone)]
pub enum Behaviour {
    Answer {
        status: u16,
        body: Vec<u8>,
        framing: Framing,
    },
    /// Accept the connection and never say anything.
    Silent,
}

impl Behaviour {
    pub fn json(body: &str) -> Self {
        Behaviour::Answer {
            status: 200,
            body: body.as_bytes().to_vec(),
            framing: Framing::ContentLength,
        }
    }

    pub fn status(status: u16, body: &str) -> Self {
        Behaviour::Answer {
            status,
            body: body.as_bytes().to_vec(),
            framing: Framing::ContentLength,
        }
    }

    pub fn framed(self, framing: Framing) -> Self {
        match self {
            Behaviour::Answer { status, body, .. } => Behaviour::Answer {
                status,
                body,
                framing,
            },
            silent => silent,
        }
    }
}

/// `/version` bodies of daemons from several eras.
pub mod eras {
    /// Docker 1.9 answered with its API version (the fields here are all dvm may rely on).
    pub const V1_9: &str = r#"{"ApiVersion":"1.21"}"#;
    pub const V1_12_6: &str = r#"{"Version":"1.12.6","ApiVersion":"1.24","GitCommit":"78d1802","GoVersion":"go1.6.4","Os":"linux","Arch":"amd64","KernelVersion":"3.10.0-514.el7.x86_64","BuildTime":"2016-12-15T20:56:30.000000000+00:00"}"#;
    pub const V17_03_2: &str = r#"{"Version":"17.03.2-ce","ApiVersion":"1.27","MinAPIVersion":"1.12","GitCommit":"f5ec1e2","GoVersion":"go1.7.5","Os":"linux","Arch":"amd64","KernelVersion":"4.9.0","BuildTime":"2017-06-27T02:31:19.000000000+00:00","Experimental":false}"#;
    pub const V20_10_24: &str = r#"{"Platform":{"Name":"Docker Engine - Community"},"Components":[{"Name":"Engine","Version":"20.10.24","Details":{"ApiVersion":"1.41","Arch":"amd64","MinAPIVersion":"1.12","Os":"linux"}}],"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12","GitCommit":"5d6db84","GoVersion":"go1.19.7","Os":"linux","Arch":"amd64","KernelVersion":"6.1.0","BuildTime":"2023-04-04T10:29:56.000000000+00:00"}"#;
    pub const V29_1_0: &str = r#"{"Platform":{"Name":"Docker Engine - Community"},"Version":"29.1.0","ApiVersion":"1.52","MinAPIVersion":"1.44","Os":"linux","Arch":"arm64","KernelVersion":"6.8.0"}"#;
    /// A release from after dvm's table was written.
    pub const FUTURE: &str = r#"{"Version":"40.0.0","ApiVersion":"1.99","MinAPIVersion":"1.44","Os":"linux","Arch":"amd64"}"#;
    pub const SWARM: &str = r#"{"Version":"swarm/1.2.8","ApiVersion":"1.22","GitCommit":"48d86b1","GoVersion":"go1.7.1","Os":"linux","Arch":"amd64"}"#;
    pub const NOT_JSON: &str = "<html><body>It works!</body></html>";
    pub const JSON_WITHOUT_FIELDS: &str = r#"{"status":"ok","uptime":12}"#;
}

/// A running fake daemon; stops when dropped.
pub struct FakeDaemon {
    /// The value to put in `DOCKER_HOST`.
    pub docker_host: String,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    wake: Box<dyn Fn() + Send>,
    thread: Option<JoinHandle<()>>,
}

impl FakeDaemon {
    /// Listens on `<dir>/docker.sock`.
    pub fn unix(dir: &Path, behaviour: Behaviour) -> Self {
        let path = dir.join("docker.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let wake_path = path.clone();
        Self::spawn(
            format!("unix://{}", path.display()),
            move || listener.accept().map(|(s, _)| s),
            |s: &UnixStream| s.set_read_timeout(Some(Duration::from_secs(5))),
            Ok,
            behaviour,
            Box::new(move || drop(UnixStream::connect(&wake_path))),
        )
    }

    pub fn tcp(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        Self::spawn(
            format!("tcp://{addr}"),
            move || listener.accept().map(|(s, _)| s),
            |s: &TcpStream| s.set_read_timeout(Some(Duration::from_secs(5))),
            Ok,
            behaviour,
            wake_tcp(addr),
        )
    }

    /// TLS with the server certificate of `pki`, requiring a client certificate its CA signed.
    pub fn tls(pki: &Pki, behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let config = Arc::new(pki.server_config());
        Self::spawn(
            format!("tcp://{addr}"),
            move || listener.accept().map(|(s, _)| s),
            |s: &TcpStream| s.set_read_timeout(Some(Duration::from_secs(5))),
            move |s| {
                let conn =
                    rustls::ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
                Ok(rustls::StreamOwned::new(conn, s))
            },
            behaviour,
            wake_tcp(addr),
        )
    }

    fn spawn<R, S>(
        docker_host: String,
        accept: impl Fn() -> std::io::Result<R> + Send + 'static,
        prepare: impl Fn(&R) -> std::io::Result<()> + Send + 'static,
        wrap: impl Fn(R) -> std::io::Result<S> + Send + 'static,
        behaviour: Behaviour,
        wake: Box<dyn Fn() + Send>,
    ) -> Self
    where
        R: Send + 'static,
        S: Read + Write,
    {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopping) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            // Silent connections are kept open here until the daemon stops.
            let mut held = Vec::new();
            while let Ok(raw) = accept() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                match &behaviour {
                    Behaviour::Silent => held.push(raw),
                    Behaviour::Answer {
                        status,
                        body,
                        framing,
                    } => {
                        if prepare(&raw).is_err() {
                            continue;
                        }
                        let Ok(mut stream) = wrap(raw) else { continue };
                        if let Some(head) = read_head(&mut stream) {
                            seen.lock().unwrap().push(head);
                            let _ = write_answer(&mut stream, *status, body, *framing);
                        }
                    }
                }
            }
        });
        FakeDaemon {
            docker_host,
            requests,
            stop,
            wake,
            thread: Some(thread),
        }
    }

    /// The request heads received so far (request line and headers).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn wake_tcp(addr: SocketAddr) -> Box<dyn Fn() + Send> {
    Box::new(move || drop(TcpStream::connect(addr)))
}

impl Drop for FakeDaemon {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        (self.wake)();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn read_head(stream: &mut impl Read) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        // Not HTTP (say, a TLS handshake): hang up, as dockerd's HTTP server would.
        if head.is_empty() && !byte[0].is_ascii_uppercase() {
            return None;
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).ok()
}

fn write_answer(
    stream: &mut impl Write,
    status: u16,
    body: &[u8],
    framing: Framing,
) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {status} Whatever\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nServer: Docker/fake (linux)\r\n"
    )
    .into_bytes();
    match framing {
        Framing::ContentLength => {
            out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            out.extend_from_slice(body);
        }
        Framing::Chunked => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            for chunk in body.chunks(7) {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
        }
        Framing::UntilClose => {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(body);
        }
    }
    stream.write_all(&out)?;
    stream.flush()
}

/// A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all fresh.
pub struct Pki {
    pub ca_pem: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
    ca_der: CertificateDer<'static>,
    server_cert_der: CertificateDer<'static>,
    server_key_der: Vec<u8>,
}

impl Pki {
    pub fn generate() -> Self {
        let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "dvm test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let mut server =
            CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
        server
            .distinguished_name
            .push(DnType::CommonName, "dockerd");
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = KeyPair::generate().unwrap();
        let server_cert = server.signed_by(&server_key, &issuer).unwrap();

        let mut client = CertificateParams::new(Vec::new()).unwrap();
        client.distinguished_name.push(DnType::CommonName, "client");
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_key = KeyPair::generate().unwrap();
        let client_cert = client.signed_by(&client_key, &issuer).unwrap();

        Pki {
            ca_pem: ca_cert.pem(),
            client_cert_pem: client_cert.pem(),
            client_key_pem: client_key.serialize_pem(),
            ca_der: ca_cert.der().clone(),
            server_cert_der: server_cert.der().clone(),
            server_key_der: server_key.serialize_der(),
        }
    }

    /// Writes `ca.pem`, `cert.pem` and `key.pem` into `dir`, as `DOCKER_CERT_PATH` holds them.
    pub fn write_cert_path(&self, dir: &Path) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("ca.pem"), &self.ca_pem).unwrap();
        std::fs::write(dir.join("cert.pem"), &self.client_cert_pem).unwrap();
        std::fs::write(dir.join("key.pem"), &self.client_key_pem).unwrap();
        dir.to_path_buf()
    }

    fn server_config(&self) -> rustls::ServerConfig {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der.clone()).unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
            .build()
            .unwrap();
        rustls::ServerConfig::builder()
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![self.server_cert_der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key_der.clone())),
            )
            .unwrap()
    }
}

/// A docker CLI configuration folder (what `DOCKER_CONFIG` names, `~/.docker` by default)
/// holding contexts the way `docker context create` writes them.
pub struct DockerConfigDir {
    pub path: PathBuf,
}

impl DockerConfigDir {
    pub fn new(path: &Path) -> Self {
        std::fs::create_dir_all(path).unwrap();
        DockerConfigDir {
            path: path.to_path_buf(),
        }
    }

    /// The folder name docker derives from a context name: the sha256 of the name, in hex.
    pub fn context_id(name: &str) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(name.as_bytes()))
    }

    pub fn meta_path(&self, name: &str) -> PathBuf {
        self.path
            .join("contexts/meta")
            .join(Self::context_id(name))
            .join("meta.json")
    }

    pub fn tls_dir(&self, name: &str) -> PathBuf {
        self.path
            .join("contexts/tls")
            .join(Self::context_id(name))
            .join("docker")
    }

    /// Writes the context's meta.json as the docker CLI does; returns its path.
    pub fn add_context(&self, name: &str, host: &str) -> PathBuf {
        let meta = serde_json::json!({
            "Name": name,
            "Metadata": {"Description": format!("{name} test context")},
            "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}},
        });
        self.write_meta(name, &meta.to_string())
    }

    /// Writes any text as the context's meta.json; returns its path.
    pub fn write_meta(&self, name: &str, text: &str) -> PathBuf {
        let path = self.meta_path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The context's TLS files, from `pki`.
    pub fn add_tls(&self, name: &str, pki: &Pki) {
        pki.write_cert_path(&self.tls_dir(name));
    }

    /// What `docker context use NAME` does; returns config.json's path.
    pub fn use_context(&self, name: &str) -> PathBuf {
        let config = serde_json::json!({"auths": {}, "currentContext": name});
        self.write_config(&config.to_string())
    }

    pub fn write_config(&self, text: &str) -> PathBuf {
        let path = self.path.join("config.json");
        std::fs::write(&path, text).unwrap();
        path
    }
}
