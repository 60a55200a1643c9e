//! Which Engine API versions each Docker release speaks, from `data/engine-api-versions.tsv`.
//!
//! A row holds from its release until the next row: `17.03.2-ce` falls under the `17.03.1` row,
//! `20.10.24` under `20.10`. Releases are written with one to three numbers in the file.

use std::cmp::Ordering;
use std::sync::OnceLock;

use serde::{Serialize, Serializer};

pub use crate::daemon::ApiVersion;
use crate::select::version::DockerVersion;

const TABLE_TSV: &str = include_str!("../../data/engine-api-versions.tsv");

/// One row of the table: releases from `release` onwards speak `max` and accept down to `min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ApiRow {
    /// The first release of the row as `(major, minor, patch)`; the file may omit the patch.
    #[serde(serialize_with = "serialize_release")]
    pub release: (u32, u32, u32),
    pub max: ApiVersion,
    pub min: ApiVersion,
}

fn serialize_release<S: Serializer>(r: &(u32, u32, u32), s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{}.{}.{}", r.0, r.1, r.2))
}

fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `1.13.1`, `17.03`, `1.0` → `(major, minor, patch)`, a missing patch being 0.
fn parse_release(s: &str) -> Option<(u32, u32, u32)> {
    let mut parts = s.split('.');
    let major = parse_u32(parts.next()?)?;
    let minor = parse_u32(parts.next()?)?;
    let patch = match parts.next() {
        Some(p) => parse_u32(p)?,
        None => 0,
    };
    parts.next().is_none().then_some((major, minor, patch))
}

/// Parses the embedded file; malformed lines are reported so a unit test can catch them.
fn parse_table(tsv: &str) -> (Vec<ApiRow>, Vec<String>) {
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for line in tsv.lines().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let mut cols = line.split('\t');
        let row = (|| {
            Some(ApiRow {
                release: parse_release(cols.next()?.trim())?,
                max: ApiVersion::parse(cols.next()?)?,
                min: ApiVersion::parse(cols.next()?)?,
            })
        })();
        match row {
            Some(r) => rows.push(r),
            None => bad.push(line.to_string()),
        }
    }
    // Lookups rely on release order; the file is ordered, sorting keeps that true regardless.
    rows.sort_by_key(|r| r.release);
    (rows, bad)
}

/// The API table, ordered by release.
pub fn table() -> &'static [ApiRow] {
    static TABLE: OnceLock<Vec<ApiRow>> = OnceLock::new();
    TABLE.get_or_init(|| parse_table(TABLE_TSV).0)
}

/// The row `v` falls under: the last row whose release is not after `v`.
fn row_for(v: &DockerVersion) -> Option<&'static ApiRow> {
    let key = (v.major, v.minor, v.patch);
    table()
        .iter()
        .take_while(|r| r.release.cmp(&key) != Ordering::Greater)
        .last()
}

/// `(max, min)` API versions of release `v`, or `None` when `v` predates the table.
pub fn api_range_for(v: &DockerVersion) -> Option<(ApiVersion, ApiVersion)> {
    row_for(v).map(|r| (r.max, r.min))
}

/// The highest API version any release in the table speaks.
pub fn newest_api() -> Option<ApiVersion> {
    table().iter().map(|r| r.max).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(s: &str) -> Option<(String, String)> {
        let v = DockerVersion::parse(s).unwrap();
        api_range_for(&v).map(|(max, min)| (max.to_string(), min.to_string()))
    }

    fn max(s: &str) -> String {
        range(s).unwrap().0
    }

    #[test]
    fn every_line_of_the_embedded_file_parses_in_order() {
        let (rows, bad) = parse_table(TABLE_TSV);
        assert!(bad.is_empty(), "malformed lines: {bad:?}");
        assert!(rows.len() > 40);
        assert!(rows.windows(2).all(|w| w[0].release < w[1].release));
        // The API never went backwards from one release to the next.
        assert!(rows.windows(2).all(|w| w[0].max <= w[1].max));
        assert_eq!(table().len(), rows.len());
    }

    #[test]
    fn a_row_holds_until_the_next_one() {
        assert_eq!(max("1.0.0"), "1.12");
        assert_eq!(max("1.9.1"), "1.21");
        assert_eq!(max("1.12.6"), "1.24");
        assert_eq!(max("1.13.0"), "1.25");
        assert_eq!(max("1.13.1"), "1.26");
        assert_eq!(max("17.03.0-ce"), "1.26");
        assert_eq!(max("17.03.1-ce"), "1.27");
        assert_eq!(max("17.03.2-ce"), "1.27");
        assert_eq!(max("17.3.2"), "1.27");
        assert_eq!(max("17.06.2-ce"), "1.30");
        assert_eq!(max("18.09.9"), "1.39");
        assert_eq!(max("20.10.24"), "1.41");
        assert_eq!(range("25.0.5"), Some(("1.44".into(), "1.24".into())));
        assert_eq!(range("29.1.0"), Some(("1.52".into(), "1.44".into())));
        // Past the last row: the last row still holds.
        let last = table().last().unwrap().max.to_string();
        assert_eq!(max("99.0.0"), last);
    }

    #[test]
    fn releases_before_the_table_have_no_range() {
        assert_eq!(range("0.11.1"), None);
    }

    #[test]
    fn api_versions_order_numerically_and_reject_garbage() {
        let a = ApiVersion::parse("1.9").unwrap();
        let b = ApiVersion::parse(" 1.12 ").unwrap();
        assert!(a < b);
        assert_eq!(b.to_string(), "1.12");
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"1.12\"");
        for bad in [
            "",
            "1",
            "1.",
            ".1",
            "1.x",
            "1.2.3",
            "v1.41",
            "-1.2",
            "1.99999999999",
        ] {
            assert_eq!(ApiVersion::parse(bad), None, "{bad}");
        }
        assert!(newest_api().unwrap() >= ApiVersion::new(1, 52));
    }

    #[test]
    fn release_spellings_in_the_file() {
        assert_eq!(parse_release("1.0"), Some((1, 0, 0)));
        assert_eq!(parse_release("17.03.1"), Some((17, 3, 1)));
        assert_eq!(parse_release("17.03.1.4"), None);
        assert_eq!(parse_release("17"), None);
    }
}
