//! Where a package named by repodata really is. `<location xml:base="…" href="…"/>` is
//! resolved as dnf does: `xml:base`, when present, is the folder the `href` is relative to
//! (an absolute URL, as Nexus and `createrepo --baseurl` write, or a path relative to the
//! repository), and `..` in either is allowed (`../pool` layouts). The result is then held to
//! the host rules every download obeys: it must lie below the source's configured base, or
//! below Docker's official host for that source, which a mirror then stands in for.

use reqwest::Url;

use super::SourceKind;
use super::hosts::{OFFICIAL_DOWNLOAD, OFFICIAL_YUM};
use super::repodata::Repo;

/// A package's download URL, and its path below the source base (the key mirrors and the
/// embedded tables share).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Located {
    pub url: String,
    pub path: String,
}

/// Resolves a package location in `repo`; `Err` says why it is refused.
pub(super) fn locate(
    repo: &Repo<'_>,
    xml_base: Option<&str>,
    href: &str,
) -> std::result::Result<Located, String> {
    if href.is_empty() || href.starts_with('/') || href.contains("://") || !plain(href) {
        return Err(format!(
            "its href '{}' is not a relative path",
            href.escape_default()
        ));
    }
    let unparsable = |what: &str| format!("{what} is not a URL");
    let repo_dir =
        Url::parse(&format!("{}/", repo.url)).map_err(|_| unparsable("the repository"))?;
    let folder = match xml_base.map(str::trim) {
        None | Some("") => repo_dir,
        Some(base) if !plain(base) => {
            return Err(format!(
                "its xml:base '{}' is not a URL",
                base.escape_default()
            ));
        }
        Some(base) => {
            // A base names a folder even without its trailing slash, as in dnf.
            let folder = if base.ends_with('/') {
                base.to_string()
            } else {
                format!("{base}/")
            };
            repo_dir
                .join(&folder)
                .map_err(|_| unparsable("its xml:base"))?
        }
    };
    let url = folder.join(href).map_err(|_| unparsable("its location"))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!("it is a {} URL, not http(s)", url.scheme()));
    }
    let official = match repo.source {
        SourceKind::Yum => OFFICIAL_YUM,
        _ => OFFICIAL_DOWNLOAD,
    };
    // Below the official host, a mirror serves the same path: the mirror rule of every source.
    let path = below(&url, repo.base).or_else(|| below(&url, official));
    match path {
        Some(path) => Ok(Located {
            url: format!("{}/{path}", repo.base.trim_end_matches('/')),
            path,
        }),
        None => Err(format!(
            "it resolves to {url}, which is not below {}",
            repo.base.trim_end_matches('/')
        )),
    }
}

/// No whitespace, control characters, backslashes, queries or fragments.
fn plain(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '\\' | '?' | '#'))
}

/// `url`'s path below `base` (same scheme, host and port; at a `/` boundary), if any.
fn below(url: &Url, base: &str) -> Option<String> {
    let base = Url::parse(base).ok()?;
    let base = base.as_str().trim_end_matches('/');
    let rest = url.as_str().strip_prefix(base)?.strip_prefix('/')?;
    let clean = !rest.is_empty() && rest.split('/').all(|seg| !seg.is_empty());
    clean.then(|| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openpgp::LazyKeyring;
    use crate::sources::Channel;

    static KEYS: LazyKeyring = LazyKeyring::new(Vec::new());

    fn repo<'a>(base: &'a str, url: &'a str, source: SourceKind) -> Repo<'a> {
        Repo {
            base,
            url,
            source,
            channel: Channel::Stable,
            keys: &KEYS,
        }
    }

    const CE: &str = "https://download.docker.com/linux/centos/7/x86_64/stable";

    fn ok(url: &str, path: &str) -> std::result::Result<Located, String> {
        Ok(Located {
            url: url.into(),
            path: path.into(),
        })
    }

    #[test]
    fn a_plain_href_is_relative_to_the_repository() {
        let r = repo("https://download.docker.com", CE, SourceKind::Rpm);
        assert_eq!(
            locate(&r, None, "Packages/docker-ce-cli-24.0.7-1.el7.x86_64.rpm"),
            ok(
                &format!("{CE}/Packages/docker-ce-cli-24.0.7-1.el7.x86_64.rpm"),
                "linux/centos/7/x86_64/stable/Packages/docker-ce-cli-24.0.7-1.el7.x86_64.rpm"
            )
        );
    }

    #[test]
    fn dot_dot_and_relative_bases_resolve_within_the_host() {
        let r = repo("https://download.docker.com", CE, SourceKind::Rpm);
        let pool = "https://download.docker.com/linux/centos/7/pool/d.rpm";
        assert_eq!(
            locate(&r, None, "../../pool/d.rpm"),
            ok(pool, "linux/centos/7/pool/d.rpm")
        );
        assert_eq!(
            locate(&r, Some("../../pool"), "d.rpm"),
            ok(pool, "linux/centos/7/pool/d.rpm")
        );
    }

    #[test]
    fn an_absolute_base_on_the_official_host_is_served_by_the_mirror() {
        let mirror = "http://127.0.0.1:9/m/download.docker.com";
        let url = format!("{mirror}/linux/centos/7/x86_64/stable");
        let r = repo(mirror, &url, SourceKind::Rpm);
        assert_eq!(
            locate(
                &r,
                Some("https://download.docker.com/linux/centos/7/x86_64/stable/"),
                "Packages/d.rpm"
            ),
            ok(
                &format!("{url}/Packages/d.rpm"),
                "linux/centos/7/x86_64/stable/Packages/d.rpm"
            )
        );
    }

    #[test]
    fn other_hosts_schemes_and_escapes_are_refused() {
        let mirror = "http://127.0.0.1:9/m/yum.dockerproject.org";
        let url = format!("{mirror}/repo/main/centos/7");
        let r = repo(mirror, &url, SourceKind::Yum);
        for (base, href) in [
            (Some("https://nexus.example/repository/docker/"), "d.rpm"),
            (Some("ftp://127.0.0.1:9/m/yum.dockerproject.org/"), "d.rpm"),
            (None, "../../../../../etc/d.rpm"),
            (None, "/etc/d.rpm"),
            (None, "https://evil.example/d.rpm"),
            (None, "Packages/d.rpm?x=1"),
            (
                Some("http://127.0.0.1:9/m/yum.dockerproject.org.evil/"),
                "d.rpm",
            ),
            (Some("bad base"), "d.rpm"),
            (None, ""),
        ] {
            assert!(locate(&r, base, href).is_err(), "{base:?} {href}");
        }
    }
}
