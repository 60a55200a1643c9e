//! The payload: its compressor, and the cpio stream inside it, walked until the client is out.
//! Entries before the client that climb out of the root with `..` refuse the package; what
//! follows the client is hashed (its digests cover it) but not decompressed, so not checked.

use std::io::{Cursor, Read};

use super::HashingReader;
use super::header::Parsed;
use crate::archive::cpio::CpioReader;
use crate::archive::{
    ClientSink, MAX_SKIPPED_BYTES, corrupt, list_entries, match_client_path, refuse_escaping,
};
use crate::error::{Error, Result};

/// liblzma may use this much memory for its dictionary (xz -9 needs 65 MiB).
const XZ_MEMLIMIT: u64 = 256 * 1024 * 1024;

const CLIENT_PATHS: [&str; 1] = ["usr/bin/docker"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Compressor {
    None,
    Gzip,
    Bzip2,
    Xz,
    Lzma,
    Zstd,
}

impl Compressor {
    pub(super) fn name(self) -> &'static str {
        match self {
            Compressor::None => "none",
            Compressor::Gzip => "gzip",
            Compressor::Bzip2 => "bzip2",
            Compressor::Xz => "xz",
            Compressor::Lzma => "lzma",
            Compressor::Zstd => "zstd",
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        Some(match tag {
            "gzip" => Compressor::Gzip,
            "bzip2" => Compressor::Bzip2,
            "xz" => Compressor::Xz,
            "lzma" => Compressor::Lzma,
            "zstd" => Compressor::Zstd,
            "none" | "" => Compressor::None,
            _ => return None,
        })
    }

    fn sniff(magic: &[u8]) -> Option<Self> {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Some(Compressor::Gzip)
        } else if magic.starts_with(b"BZh") {
            Some(Compressor::Bzip2)
        } else if magic.starts_with(b"\xfd7zXZ\x00") {
            Some(Compressor::Xz)
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compressor::Zstd)
        } else if magic.starts_with(&[0x5d, 0x00, 0x00]) {
            Some(Compressor::Lzma)
        } else if magic.starts_with(b"07070") {
            Some(Compressor::None)
        } else {
            None
        }
    }
}

/// Decompresses the payload and walks its cpio until the client has been written.
pub(super) fn extract_payload<R: Read>(
    hashing: &mut HashingReader<R>,
    parsed: &Parsed,
    package: &str,
    sink: &mut ClientSink<'_>,
) -> Result<Compressor> {
    let mut magic = Vec::with_capacity(6);
    (&mut *hashing)
        .take(6)
        .read_to_end(&mut magic)
        .map_err(|e| corrupt("while reading the RPM payload", &e))?;
    let compressor = match parsed.compressor.as_deref() {
        Some(tag) => Compressor::from_tag(tag).ok_or_else(|| {
            Error::archive(format!(
                "{package}: unsupported payload compressor '{}'",
                tag.escape_default()
            ))
        })?,
        // Old packages leave the tag out; their payload says what it is.
        None => Compressor::sniff(&magic).ok_or_else(|| {
            Error::archive(format!(
                "the archive is truncated or corrupt: {package} has a payload in an unknown \
                 compression format"
            ))
        })?,
    };
    let source = Cursor::new(magic).chain(&mut *hashing);
    let decoder = decoder(compressor, source)?;

    let mut cpio = CpioReader::new(decoder, MAX_SKIPPED_BYTES);
    let mut seen = Vec::new();
    let mut count = 0usize;
    while let Some(entry) = cpio.next_entry().map_err(|e| e.context(package))? {
        let shown = entry.display_name();
        // Payload paths are rooted at `/` by design (`./usr/bin/docker`, and in old packages
        // `/usr/bin/docker`); only a `..` climbing above that root escapes.
        let rooted = entry
            .name
            .get(leading_slashes(&entry.name)..)
            .unwrap_or_default();
        refuse_escaping(rooted, "RPM payload").map_err(|e| e.context(package))?;
        if match_client_path(&entry.name, &CLIENT_PATHS)
            .map_err(|e| e.context(package))?
            .is_some()
        {
            if let Some(kind) = entry.non_regular_kind() {
                return Err(Error::archive(format!(
                    "{package}: refusing {shown}: it is {kind}, not a regular file"
                ))
                .with_hint("this package is malformed or hostile; do not use it"));
            }
            let size = entry.size;
            sink.write_client(&shown, &mut cpio.data(), Some(size))
                .map_err(|e| e.context(package))?;
            return Ok(compressor);
        }
        count += 1;
        if seen.len() < 8 {
            seen.push(shown);
        }
    }
    let listing = list_entries(count, &seen, "its payload is empty");
    Err(
        Error::archive(format!("{package} has no usr/bin/docker; {listing}")).with_hint(
            "this package does not contain the docker client; from 18.09 on the client is in the \
         docker-ce-cli package",
        ),
    )
}

fn leading_slashes(name: &[u8]) -> usize {
    name.iter().take_while(|&&b| b == b'/').count()
}

/// A reader of the decompressed payload.
fn decoder<'a>(compressor: Compressor, source: impl Read + 'a) -> Result<Box<dyn Read + 'a>> {
    Ok(match compressor {
        Compressor::None => Box::new(source),
        Compressor::Gzip => Box::new(flate2::read::MultiGzDecoder::new(source)),
        Compressor::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(source)),
        Compressor::Xz | Compressor::Lzma => {
            let stream = if compressor == Compressor::Xz {
                // xz's own check (a CRC64 of the decompressed bytes, about a tenth of the
                // decoding time) adds nothing here: every package we accept carries an MD5 or
                // payload digest over the compressed bytes, checked before anything is kept,
                // and decoding stops once the client is out, usually before xz would even
                // compare its check.
                liblzma::stream::Stream::new_stream_decoder(
                    XZ_MEMLIMIT,
                    liblzma::stream::CONCATENATED | liblzma::stream::IGNORE_CHECK,
                )
            } else {
                liblzma::stream::Stream::new_lzma_decoder(XZ_MEMLIMIT)
            }
            .map_err(|e| Error::internal(format!("could not start the xz decoder: {e}")))?;
            Box::new(liblzma::read::XzDecoder::new_stream(source, stream))
        }
        Compressor::Zstd => Box::new(
            zstd::stream::read::Decoder::new(source)
                .map_err(|e| Error::internal(format!("could not start the zstd decoder: {e}")))?,
        ),
    })
}
