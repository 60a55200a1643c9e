//! The embedded table of static builds (`data/static-builds-sha256.tsv`): sha256 values an
//! independent third party recorded after downloading download.docker.com's static tarballs.
//! Keyed by the path below the host, so it vouches for the same file on a mirror.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::digest::valid_sha256;

const STATIC_TSV: &str = include_str!("../../data/static-builds-sha256.tsv");
const HOST: &str = "https://download.docker.com/";

/// What the table holds for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// One value, or two for a file Docker republished (either is accepted).
    pub sha256s: Vec<String>,
    /// Where the value was first seen (the third party's record).
    pub origin: String,
}

fn table() -> &'static HashMap<String, Recorded> {
    static TABLE: OnceLock<HashMap<String, Recorded>> = OnceLock::new();
    TABLE.get_or_init(|| parse(STATIC_TSV))
}

/// The recorded checksums for `path` (below the host), if the table knows the file.
pub fn recorded(path: &str) -> Option<&'static Recorded> {
    table().get(path)
}

/// `url<TAB>sha256<TAB>first_seen_in`, with a header line; rows that do not parse are left out
/// (a unit test keeps the committed table whole).
fn parse(text: &str) -> HashMap<String, Recorded> {
    let mut table: HashMap<String, Recorded> = HashMap::new();
    for line in text.lines().skip(1) {
        let mut fields = line.split('\t');
        let (Some(url), Some(sha), origin) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let (Some(path), Some(sha)) = (url.strip_prefix(HOST), valid_sha256(sha)) else {
            continue;
        };
        let entry = table.entry(path.to_string()).or_insert_with(|| Recorded {
            sha256s: Vec::new(),
            origin: origin.unwrap_or_default().trim().to_string(),
        });
        if !entry.sha256s.contains(&sha) {
            entry.sha256s.push(sha);
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_the_committed_table_parses() {
        let rows = STATIC_TSV.lines().skip(1).filter(|l| !l.is_empty()).count();
        let values: usize = table().values().map(|r| r.sha256s.len()).sum();
        assert_eq!(rows, 282);
        assert_eq!(values, rows);
    }

    #[test]
    fn the_republished_27_5_0_has_two_values() {
        let republished: Vec<_> = table()
            .iter()
            .filter(|(_, r)| r.sha256s.len() > 1)
            .collect();
        assert!(!republished.is_empty());
        assert!(
            republished
                .iter()
                .all(|(path, _)| path.contains("docker-27.5.0.tgz"))
        );
        let linux = recorded("linux/static/stable/x86_64/docker-20.10.10.tgz").unwrap();
        assert_eq!(
            linux.sha256s,
            ["1719446f99cd56e87d0c67019996af4ea859f11891bfd89de2252d6c916ccaaa"]
        );
    }
}
