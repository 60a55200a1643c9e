//! Windows builds (`docker-17.09.0-ce.zip`), read as a stream of local file headers: the client
//! is `docker/docker.exe`. Entries we pass over are skipped without being decompressed, but
//! every local header is read, also after the client: an entry that would land outside the
//! archive's folder (`../x`, `/x`, `C:\\x`) makes the whole archive refused.
//!
//! Local headers do not carry Unix modes (those live in the central directory, which a stream
//! reaches last), so a symlink cannot be recognised by its type; instead the client must start
//! like a Windows executable, which a symlink's target path never does.

use std::io::{self, Read};

use ::zip::result::ZipError;

use super::{ClientSink, corrupt, list_entries, match_client_path, refuse_escaping};
use crate::error::{Error, Result};

const CLIENT_PATHS: [&str; 1] = ["docker/docker.exe"];

pub(super) fn extract(mut input: &mut dyn Read, sink: &mut ClientSink<'_>) -> Result<()> {
    let mut seen = Vec::new();
    let mut count = 0usize;
    let mut client: Option<String> = None;
    loop {
        let mut file = match ::zip::read::read_zipfile_from_stream(&mut input) {
            Ok(Some(file)) => file,
            // The central directory: no more entries.
            Ok(None) => break,
            Err(e) => return Err(zip_error(e)),
        };
        let raw_name = file.name_raw().to_vec();
        let shown = String::from_utf8_lossy(&raw_name)
            .escape_default()
            .to_string();
        refuse_escaping(&raw_name, "zip")?;
        if match_client_path(&raw_name, &CLIENT_PATHS)?.is_some() {
            if let Some(first) = &client {
                return Err(Error::archive(format!(
                    "refusing the zip: it holds the client twice ({first}, then {shown})"
                ))
                .with_hint("this archive is malformed or hostile; do not use it"));
            }
            let kind = if file.is_dir() {
                Some("a directory")
            } else if file.is_symlink() {
                Some("a symbolic link")
            } else {
                None
            };
            if let Some(kind) = kind {
                return Err(Error::archive(format!(
                    "refusing {shown}: it is {kind}, not a regular file"
                ))
                .with_hint("this archive is malformed or hostile; do not use it"));
            }
            let size = file.size();
            sink.check_declared_size(&shown, size)?;
            // Reading the entry to its end makes the zip reader compare the entry's CRC32.
            let head = sink.write_client(&shown, &mut file, Some(size))?;
            if !head.starts_with(b"MZ") {
                return Err(Error::archive(format!(
                    "refusing {shown}: it is not a Windows executable (a symbolic link or a \
                     corrupt entry?)"
                ))
                .with_hint("this archive is malformed or hostile; do not use it"));
            }
            client = Some(shown);
            continue;
        }
        count += 1;
        if seen.len() < 8 {
            seen.push(shown);
        }
        // Dropping `file` skips its compressed bytes.
    }
    if client.is_some() {
        return Ok(());
    }
    let listing = list_entries(count, &seen, "the archive is empty");
    Err(Error::archive(format!(
        "no docker client in the zip: looked for {}; {listing}",
        CLIENT_PATHS.join(" and ")
    ))
    .with_hint("this does not look like a Docker Windows build; check the download URL"))
}

fn zip_error(err: ZipError) -> Error {
    match err {
        ZipError::Io(e) => corrupt("while reading the zip", &e),
        ZipError::UnsupportedArchive(what) => Error::archive(format!(
            "unsupported zip archive: {what} (entries must record their sizes in the local \
             header, and must not be encrypted, to be read as a stream)"
        ))
        .with_hint(
            "this Windows zip cannot be read as a stream; please report it with its download URL",
        ),
        other => corrupt(
            "while reading the zip",
            &io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
        ),
    }
}
