//! The embedded table of legacy builds (`data/legacy-builds-sha256.tsv`): the published
//! sha256 of every get.docker.com / test.docker.com client build dvm knows of. It stands in
//! for the listing those hosts never had, and vouches for the files it names.

use std::sync::OnceLock;

use crate::digest::valid_sha256;
use crate::select::version::DockerVersion;

const LEGACY_TSV: &str = include_str!("../../data/legacy-builds-sha256.tsv");

/// One row of the embedded table: the official URL of a legacy build and its sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyBuild {
    pub version: DockerVersion,
    pub url: String,
    pub sha256: String,
}

/// The embedded table of legacy builds (data/legacy-builds-sha256.tsv), parsed once.
pub fn legacy_table() -> &'static [LegacyBuild] {
    static TABLE: OnceLock<Vec<LegacyBuild>> = OnceLock::new();
    TABLE.get_or_init(|| parse_legacy_tsv(LEGACY_TSV))
}

/// Rows that do not parse are left out (a unit test pins the row count of the embedded file).
fn parse_legacy_tsv(text: &str) -> Vec<LegacyBuild> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let version = DockerVersion::parse(cols.next()?).ok()?;
            let url = cols.next()?.trim();
            let sha256 = valid_sha256(cols.next()?.trim())?;
            url.starts_with("https://").then(|| LegacyBuild {
                version,
                url: url.to_string(),
                sha256,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_parses_completely() {
        let table = legacy_table();
        assert_eq!(table.len(), 70);
        assert!(table.iter().any(|b| b.version.to_string() == "1.12.6"
            && b.url == "https://get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz"));
        // Paths below the host never repeat, so the path alone identifies an entry.
        let mut paths: Vec<&str> = table
            .iter()
            .filter_map(|b| b.url.splitn(4, '/').nth(3))
            .collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), 70);
    }

    #[test]
    fn bad_rows_are_left_out() {
        let tsv = "version\turl\tsha256\n1.0.0\thttps://x/a\tzz\nnope\thttps://x/b\t{}\n1.0.1\thttps://x/c\t{}\n"
            .replace("{}", &"a".repeat(64));
        let rows = parse_legacy_tsv(&tsv);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].url, "https://x/c");
    }
}
