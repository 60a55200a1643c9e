//! Small documents (listings, `.sha256` files): read whole, within a size limit and a total
//! deadline.

use std::io::Read;
use std::time::Duration;

use reqwest::Url;
use reqwest::blocking::Response;

use super::{Failure, describe, network_error, seconds};

/// Reads a small document whole, within `deadline`: the stall timeout bounds each read, so a
/// server sending a byte at a time would otherwise hold a listing open for ever.
pub(super) fn read_limited(
    url: &Url,
    resp: Response,
    limit: u64,
    deadline: Duration,
) -> Result<Vec<u8>, Failure> {
    let too_big = || {
        Failure::Fatal(network_error(
            url,
            &format!("the document is larger than the {limit} bytes expected"),
        ))
    };
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(too_big());
    }
    let started = std::time::Instant::now();
    let mut reader = resp.take(limit.saturating_add(1));
    let mut body = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = reader
            .read(&mut chunk)
            .map_err(|e| Failure::Retry(describe(&e)))?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
        if started.elapsed() > deadline {
            return Err(Failure::Fatal(network_error(
                url,
                &format!(
                    "the server took more than {} to send it ({} bytes so far); a listing \
                     or checksum file is given 4 times the stall timeout in all",
                    seconds(deadline),
                    body.len()
                ),
            )));
        }
    }
    if body.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(body)
}
