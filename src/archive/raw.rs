//! A bare client binary (ELF, Mach-O, PE): the input itself is the client.

use std::io::Read;

use super::ClientSink;
use crate::error::Result;

pub(super) fn extract(input: &mut dyn Read, sink: &mut ClientSink<'_>) -> Result<()> {
    sink.write_client("binary", input, None)?;
    Ok(())
}
