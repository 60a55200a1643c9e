//! A streaming reader for the "new ASCII" cpio format that RPM payloads use (`070701`, and the
//! `070702` variant with a checksum field). Nothing is trusted: name lengths are bounded, sizes
//! are counted, and bytes skipped past are capped.

use std::io::{self, Read};

use crate::error::{Error, Result};

/// Longest entry name we accept, NUL included (PATH_MAX on Linux).
pub(super) const MAX_NAME_LEN: u32 = 4096;

const HEADER_LEN: usize = 110;
const TRAILER: &[u8] = b"TRAILER!!!";

pub(super) const S_IFMT: u32 = 0o170_000;
pub(super) const S_IFREG: u32 = 0o100_000;

#[derive(Debug, Clone)]
pub(super) struct CpioEntry {
    /// The name as stored, without its NUL (RPM writes `./usr/bin/docker`).
    pub name: Vec<u8>,
    pub mode: u32,
    pub nlink: u32,
    pub size: u64,
}

impl CpioEntry {
    pub fn display_name(&self) -> String {
        String::from_utf8_lossy(&self.name)
            .escape_default()
            .to_string()
    }

    /// What kind of file this is, in words, when it is not a plain regular file.
    /// Hard links in newc: every link but the last has size 0 and nlink > 1.
    pub fn non_regular_kind(&self) -> Option<&'static str> {
        match self.mode & S_IFMT {
            S_IFREG if self.nlink > 1 && self.size == 0 => Some("a hard link"),
            S_IFREG => None,
            0o120_000 => Some("a symbolic link"),
            0o040_000 => Some("a directory"),
            0o020_000 => Some("a character device"),
            0o060_000 => Some("a block device"),
            0o010_000 => Some("a FIFO"),
            0o140_000 => Some("a socket"),
            _ => Some("an entry of unknown type"),
        }
    }
}

pub(super) struct CpioReader<R> {
    inner: R,
    /// Data bytes of the current entry not yet read.
    remaining: u64,
    /// Alignment bytes after the current entry's data.
    padding: u64,
    /// How many more bytes may be skipped (a bound on decompression bombs).
    skip_budget: u64,
    finished: bool,
}

impl<R: Read> CpioReader<R> {
    pub fn new(inner: R, skip_budget: u64) -> Self {
        CpioReader {
            inner,
            remaining: 0,
            padding: 0,
            skip_budget,
            finished: false,
        }
    }

    /// The next entry, skipping whatever is left of the current one. `None` after `TRAILER!!!`.
    pub fn next_entry(&mut self) -> Result<Option<CpioEntry>> {
        if self.finished {
            return Ok(None);
        }
        self.skip_rest()?;

        let mut header = [0u8; HEADER_LEN];
        self.read_exact(&mut header, "a cpio header")?;
        let (magic, fields) = header.split_at(6);
        match magic {
            b"070701" | b"070702" => {}
            b"07070X" => {
                return Err(Error::archive(
                    "the RPM payload uses RPM's large-file cpio variant (07070X), which is not \
                     supported",
                ));
            }
            other => {
                return Err(Error::archive(format!(
                    "the archive is truncated or corrupt: expected a cpio header (070701), found \
                     {:?}",
                    String::from_utf8_lossy(other)
                )));
            }
        }
        // Fields: ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor
        // namesize check, eight hex digits each.
        let field = |index: usize| -> Result<u32> {
            let text = fields.get(index * 8..index * 8 + 8).unwrap_or_default();
            std::str::from_utf8(text)
                .ok()
                .filter(|t| t.len() == 8 && t.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|t| u32::from_str_radix(t, 16).ok())
                .ok_or_else(|| {
                    Error::archive(format!(
                        "the archive is truncated or corrupt: bad cpio header field {:?}",
                        String::from_utf8_lossy(text)
                    ))
                })
        };
        let mode = field(1)?;
        let nlink = field(4)?;
        let size = u64::from(field(6)?);
        let name_len = field(11)?;
        if name_len == 0 || name_len > MAX_NAME_LEN {
            return Err(Error::archive(format!(
                "the archive is corrupt or hostile: a cpio entry claims a name of {name_len} bytes \
                 (at most {MAX_NAME_LEN} are allowed)"
            )));
        }

        let mut name = vec![0u8; name_len as usize];
        self.read_exact(&mut name, "a cpio entry name")?;
        if name.pop() != Some(0) || name.contains(&0) {
            return Err(Error::archive(
                "the archive is corrupt or hostile: a cpio entry name does not match its declared \
                 length",
            ));
        }
        let name_padding = pad4(HEADER_LEN as u64 + u64::from(name_len));
        self.discard(name_padding, "cpio padding")?;

        if name == TRAILER {
            self.finished = true;
            return Ok(None);
        }
        self.remaining = size;
        self.padding = pad4(size);
        Ok(Some(CpioEntry {
            name,
            mode,
            nlink,
            size,
        }))
    }

    /// The current entry's data. Reading it to the end is optional.
    pub fn data(&mut self) -> EntryData<'_, R> {
        EntryData { reader: self }
    }

    fn skip_rest(&mut self) -> Result<()> {
        let data = self.remaining;
        if data > self.skip_budget {
            return Err(Error::archive(format!(
                "refusing to read on: more than {} MiB of other files precede the client \
                 (a decompression bomb?)",
                self.skip_budget / (1024 * 1024)
            )));
        }
        self.skip_budget -= data;
        let total = data + self.padding;
        self.remaining = 0;
        self.padding = 0;
        self.discard(total, "cpio entry data")
    }

    fn discard(&mut self, count: u64, what: &str) -> Result<()> {
        let copied = io::copy(&mut (&mut self.inner).take(count), &mut io::sink())
            .map_err(|e| super::corrupt(&format!("while skipping {what}"), &e))?;
        if copied != count {
            return Err(truncated(what));
        }
        Ok(())
    }

    fn read_exact(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        self.inner.read_exact(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                truncated(what)
            } else {
                super::corrupt(&format!("while reading {what}"), &e)
            }
        })
    }
}

/// Reads the current entry's data, and fails (rather than ending early) if the stream does.
pub(super) struct EntryData<'a, R> {
    reader: &'a mut CpioReader<R>,
}

impl<R: Read> Read for EntryData<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = usize::try_from(self.reader.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        let n = self
            .reader
            .inner
            .read(buf.get_mut(..want).unwrap_or_default())?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the payload ends inside a file",
            ));
        }
        self.reader.remaining -= n as u64;
        Ok(n)
    }
}

fn pad4(len: u64) -> u64 {
    (4 - len % 4) % 4
}

fn truncated(what: &str) -> Error {
    Error::archive(format!(
        "the archive is truncated or corrupt: the payload ends inside {what}"
    ))
    .with_hint("the file is damaged or incomplete: get a fresh copy")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, mode: u32, nlink: u32, data: &[u8]) -> Vec<u8> {
        let name_len = name.len() + 1;
        let mut out = format!(
            "070701{:08x}{mode:08x}{:08x}{:08x}{nlink:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{name_len:08x}{:08x}",
            1, 0, 0, 0, data.len(), 0, 0, 0, 0, 0
        )
        .into_bytes();
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.resize(out.len() + pad4(out.len() as u64) as usize, 0);
        out.extend_from_slice(data);
        out.resize(out.len() + pad4(data.len() as u64) as usize, 0);
        out
    }

    fn archive(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut out: Vec<u8> = entries.concat();
        out.extend(entry("TRAILER!!!", 0, 1, b""));
        out
    }

    #[test]
    fn walks_entries_and_reads_data() {
        let bytes = archive(&[
            entry("./usr/bin/dockerd", 0o100_755, 1, b"daemon!"),
            entry("./usr/bin/docker", 0o100_755, 1, b"client"),
        ]);
        let mut reader = CpioReader::new(&bytes[..], 1024);
        let first = reader.next_entry().unwrap().unwrap();
        assert_eq!(first.name, b"./usr/bin/dockerd");
        let second = reader.next_entry().unwrap().unwrap();
        assert_eq!(second.name, b"./usr/bin/docker");
        assert_eq!(second.non_regular_kind(), None);
        let mut data = Vec::new();
        reader.data().read_to_end(&mut data).unwrap();
        assert_eq!(data, b"client");
        assert!(reader.next_entry().unwrap().is_none());
        assert!(reader.next_entry().unwrap().is_none());
    }

    #[test]
    fn refuses_lying_name_lengths() {
        let mut bytes = entry("./usr/bin/docker", 0o100_755, 1, b"client");
        bytes[94..102].copy_from_slice(b"00100000");
        let err = CpioReader::new(&bytes[..], 1024).next_entry().unwrap_err();
        assert!(err.message().contains("name of 1048576 bytes"), "{err}");

        let mut bytes = entry("./usr/bin/docker", 0o100_755, 1, b"client");
        bytes[94..102].copy_from_slice(b"00000005");
        let err = CpioReader::new(&bytes[..], 1024).next_entry().unwrap_err();
        assert!(err.message().contains("declared length"), "{err}");
    }

    #[test]
    fn refuses_bad_magic_and_truncation() {
        let err = CpioReader::new(&b"07070Z"[..], 1024)
            .next_entry()
            .unwrap_err();
        assert!(err.message().contains("truncated"), "{err}");
        let mut bad = entry("x", 0o100_644, 1, b"");
        bad[..6].copy_from_slice(b"123456");
        let err = CpioReader::new(&bad[..], 1024).next_entry().unwrap_err();
        assert!(err.message().contains("expected a cpio header"), "{err}");

        let bytes = entry("./usr/bin/docker", 0o100_755, 1, b"client-bytes");
        let cut = &bytes[..bytes.len() - 8];
        let mut reader = CpioReader::new(cut, 1024);
        reader.next_entry().unwrap().unwrap();
        assert!(reader.data().read_to_end(&mut Vec::new()).is_err());
    }

    #[test]
    fn bounds_skipped_bytes() {
        let bytes = archive(&[
            entry("big", 0o100_644, 1, &[7u8; 100]),
            entry("next", 0o100_644, 1, b""),
        ]);
        let mut reader = CpioReader::new(&bytes[..], 50);
        reader.next_entry().unwrap().unwrap();
        let err = reader.next_entry().unwrap_err();
        assert!(err.message().contains("decompression bomb"), "{err}");
    }

    #[test]
    fn names_non_regular_files() {
        let kind = |mode, nlink, size| {
            CpioEntry {
                name: b"x".to_vec(),
                mode,
                nlink,
                size,
            }
            .non_regular_kind()
        };
        assert_eq!(kind(0o120_777, 1, 11), Some("a symbolic link"));
        assert_eq!(kind(0o100_755, 2, 0), Some("a hard link"));
        assert_eq!(kind(0o100_755, 2, 10), None);
        assert_eq!(kind(0o020_644, 1, 0), Some("a character device"));
        assert_eq!(kind(0o040_755, 2, 0), Some("a directory"));
    }
}
