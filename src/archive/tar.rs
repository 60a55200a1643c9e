//! Static tarballs (`docker-17.03.2-ce.tgz` and friends), streamed through gzip and `tar`.
//! The client is `docker/docker` (1.11 on, and the mac builds) or `usr/local/bin/docker`
//! (the 1.9/1.10 layout); a leading `./` is fine, anything reaching those through `..` is not.
//! Every entry is read, also after the client: one that would land outside the archive's
//! folder (`../x`, `/x`) makes the whole archive refused, since its maker meant harm.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use ::tar::EntryType;

use super::{
    ClientSink, MAX_SKIPPED_BYTES, corrupt, list_entries, match_client_path, refuse_escaping,
};
use crate::error::{Error, Result};

const CLIENT_PATHS: [&str; 2] = ["docker/docker", "usr/local/bin/docker"];

/// How many bytes the `tar` crate may read on its own between two entries: headers, GNU long
/// names and pax records. It buffers those whole, so they must not be allowed to be huge.
const MAX_METADATA_BYTES: u64 = 1024 * 1024;

type Decoder<'a> = BudgetReader<flate2::read::MultiGzDecoder<&'a mut dyn Read>>;

pub(super) fn extract(input: &mut dyn Read, sink: &mut ClientSink<'_>) -> Result<()> {
    let budget = Rc::new(Cell::new(MAX_METADATA_BYTES));
    let reader = BudgetReader {
        inner: flate2::read::MultiGzDecoder::new(input),
        budget: Rc::clone(&budget),
    };
    let mut archive = ::tar::Archive::new(reader);
    let skip_budget = write_client_entry(&mut archive, &budget, sink)?;
    drain_to_the_end(archive.into_inner().inner, skip_budget)
}

/// Walks every entry: writes the client, passes over the rest, and refuses the whole archive
/// if any entry escapes it (an absolute path, or `..` above the top) or the client comes twice.
/// Returns how much of the skip budget is left.
fn write_client_entry(
    archive: &mut ::tar::Archive<Decoder<'_>>,
    budget: &Cell<u64>,
    sink: &mut ClientSink<'_>,
) -> Result<u64> {
    let mut entries = archive
        .entries()
        .map_err(|e| corrupt("while reading the tar stream", &e))?;
    let mut skip_budget = MAX_SKIPPED_BYTES;
    let mut seen = Vec::new();
    let mut count = 0usize;
    let mut client: Option<String> = None;
    loop {
        budget.set(MAX_METADATA_BYTES);
        let Some(entry) = entries.next() else { break };
        let mut entry = entry.map_err(|e| corrupt("while reading a tar header", &e))?;
        budget.set(u64::MAX);

        let raw_path = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw_path)
            .escape_default()
            .to_string();
        refuse_escaping(&raw_path, "tar.gz")?;
        if match_client_path(&raw_path, &CLIENT_PATHS)?.is_some() {
            if let Some(first) = &client {
                return Err(Error::archive(format!(
                    "refusing the tar.gz: it holds the client twice ({first}, then {shown})"
                ))
                .with_hint("this archive is malformed or hostile; do not use it"));
            }
            refuse_non_regular(&entry, &shown)?;
            let size = entry.size();
            sink.check_declared_size(&shown, size)?;
            sink.write_client(&shown, &mut entry, Some(size))?;
            client = Some(shown);
            continue;
        }

        count += 1;
        if seen.len() < 8 {
            seen.push(shown);
        }
        // Read past the entry ourselves, so the metadata budget only sees metadata.
        let skipped = io::copy(&mut (&mut entry).take(skip_budget + 1), &mut io::sink())
            .map_err(|e| corrupt("while reading the tar stream", &e))?;
        if skipped > skip_budget {
            return Err(too_much_besides_the_client());
        }
        skip_budget -= skipped;
    }
    if client.is_some() {
        return Ok(skip_budget);
    }
    let listing = list_entries(count, &seen, "the archive is empty");
    Err(Error::archive(format!(
        "no docker client in the tar.gz: looked for {}; {listing}",
        CLIENT_PATHS.join(" and ")
    ))
    .with_hint("this does not look like a Docker static build; check the download URL"))
}

/// Decompresses the rest of the gzip stream (every member) so that the decoder compares each
/// member's CRC32 and length with its trailer. A tarball carries no other checksum, and the
/// client was decompressed before the trailer that covers it: stopping at the client would
/// install whatever a corrupt stream produced. The tar entries after the client need no
/// parsing, only decompressing; the skip budget still bounds a bomb hidden there.
fn drain_to_the_end(mut rest: impl Read, skip_budget: u64) -> Result<()> {
    let drained =
        io::copy(&mut (&mut rest).take(skip_budget + 1), &mut io::sink()).map_err(|e| {
            corrupt(
                "checking the gzip stream to its end, whose CRC covers the client",
                &e,
            )
        })?;
    if drained > skip_budget {
        return Err(too_much_besides_the_client());
    }
    Ok(())
}

fn too_much_besides_the_client() -> Error {
    Error::archive(format!(
        "refusing to read on: the archive holds more than {} MiB besides the client \
         (a decompression bomb?)",
        MAX_SKIPPED_BYTES / (1024 * 1024)
    ))
}

fn refuse_non_regular<R: Read>(entry: &::tar::Entry<'_, R>, shown: &str) -> Result<()> {
    let header = entry.header();
    let target = || {
        entry
            .link_name_bytes()
            .map(|t| format!(" to {}", String::from_utf8_lossy(&t).escape_default()))
            .unwrap_or_default()
    };
    let kind = match header.entry_type() {
        EntryType::Regular | EntryType::Continuous => return Ok(()),
        EntryType::Symlink => format!("a symbolic link{}", target()),
        EntryType::Link => format!("a hard link{}", target()),
        EntryType::Char => "a character device".to_string(),
        EntryType::Block => "a block device".to_string(),
        EntryType::Fifo => "a FIFO".to_string(),
        EntryType::Directory => "a directory".to_string(),
        other => format!("an unsupported entry type ({other:?})"),
    };
    Err(Error::archive(format!(
        "refusing {shown}: it is {kind}, not a regular file"
    ))
    .with_hint("this archive is malformed or hostile; do not use it"))
}

/// Limits how much can be read while `budget` is low; the extractor raises it while it reads
/// entry data itself and lowers it whenever the `tar` crate reads on its own.
struct BudgetReader<R> {
    inner: R,
    budget: Rc<Cell<u64>>,
}

impl<R: Read> Read for BudgetReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.budget.get();
        if left == 0 {
            return Err(io::Error::other(format!(
                "a tar header, long name or pax record is larger than {} KiB",
                MAX_METADATA_BYTES / 1024
            )));
        }
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        let n = self.inner.read(buf.get_mut(..want).unwrap_or_default())?;
        self.budget.set(left - n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draining_after_the_client_is_bounded_by_the_skip_budget() {
        let rest = [0u8; 100];
        assert!(drain_to_the_end(&rest[..], 100).is_ok());
        let err = drain_to_the_end(&rest[..], 99).unwrap_err();
        assert!(err.message().contains("decompression bomb"), "{err}");
    }
}
