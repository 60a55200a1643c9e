//! Checksum sources: published .sha256 files, the embedded legacy table, repodata, trust on first use, pins.
