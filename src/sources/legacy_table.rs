//! The embedded table of legacy builds (`data/legacy-builds-sha256.tsv`): the published
//! sha256 of every get.docker.com / test.docker.com client build dvm knows of. It stands in
//! for the listing those hosts never had, and vouches for the files it names.

use std::sync::OnceLock;

use crate::digest::valid_sha256;
use crate::select::version::DockerVersion;

const LEGACY_TSV: &str = include_str!("../../data/legacy-builds-sha256.tsv");
const KNOWN_BUILDS: &str = include_str!("../../data/legacy-builds.txt");

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

/// Every legacy build dvm knows was published (data/legacy-builds.txt), with or without a
/// checksum in [`legacy_table`], oldest first; the table's own versions are always among them.
pub fn known_legacy_versions() -> &'static [DockerVersion] {
    static KNOWN: OnceLock<Vec<DockerVersion>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut all = parse_known(KNOWN_BUILDS);
        all.extend(legacy_table().iter().map(|b| b.version));
        all.sort();
        all.dedup();
        all
    })
}

/// One version per line; `#` starts a comment; lines that do not parse are left out (a unit
/// test pins the count of the embedded file).
fn parse_known(text: &str) -> Vec<DockerVersion> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .filter_map(|line| DockerVersion::parse(line).ok())
        .collect()
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
        assert_eq!(table.len(), 73);
        for new in ["17.05.0-ce", "17.05.0-ce-rc2", "17.05.0-ce-rc3"] {
            assert!(table.iter().any(|b| b.version.to_string() == new), "{new}");
        }
        assert!(table.iter().any(|b| b.version.to_string() == "1.12.6"
            && b.url == "https://get.docker.com/builds/Linux/x86_64/docker-1.12.6.tgz"));
        // Paths below the host never repeat, so the path alone identifies an entry.
        let mut paths: Vec<&str> = table
            .iter()
            .filter_map(|b| b.url.splitn(4, '/').nth(3))
            .collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), 73);
    }

    #[test]
    fn every_known_build_parses_and_covers_the_table() {
        let lines = KNOWN_BUILDS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .count();
        assert_eq!(
            parse_known(KNOWN_BUILDS).len(),
            lines,
            "a line did not parse"
        );
        let known = known_legacy_versions();
        assert_eq!(known.len(), 119);
        assert_eq!(known.iter().filter(|v| v.is_prerelease()).count(), 74);
        let without_checksum = known
            .iter()
            .filter(|v| v.is_prerelease())
            .filter(|v| !legacy_table().iter().any(|b| b.version == **v))
            .count();
        assert_eq!(without_checksum, 36);
        for v in [
            "1.0.0",
            "1.12.5-rc1",
            "1.5.0-rc1",
            "17.03.2-ce-rc1",
            "17.05.0-ce",
        ] {
            let v = DockerVersion::parse(v).unwrap();
            assert!(known.contains(&v), "{v}");
        }
        assert!(known.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            parse_known("# c\n1.2.3 # note\nnope\n\n"),
            [DockerVersion::new(1, 2, 3)]
        );
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
