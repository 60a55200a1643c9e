//! Directory listings served as HTML (nginx, Apache, S3-style index pages).

/// The `docker-*.tgz` / `docker-*.zip` files an autoindex page links to, in page order,
/// without duplicates. Only plain relative links count: parent links, sort links with query
/// strings, absolute paths and URLs pointing elsewhere are ignored. Never panics.
pub fn parse(html: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in hrefs(html).iter().filter_map(|href| file_link(href)) {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// The numbered release folders of a distribution's listing (`<a href="41/">`), such as
/// download.docker.com/linux/fedora/.
pub fn release_folders(html: &str) -> Vec<u32> {
    let mut out: Vec<u32> = hrefs(html)
        .iter()
        .filter_map(|href| {
            let href = href.trim();
            let name = href.strip_prefix("./").unwrap_or(href).strip_suffix('/')?;
            (!name.is_empty() && name.len() <= 4 && name.bytes().all(|b| b.is_ascii_digit()))
                .then(|| name.parse().ok())
                .flatten()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Every `href` value in the page, entities decoded.
fn hrefs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = html.as_bytes();
    let mut pos = 0;
    while let Some(found) = find_ci(bytes, pos, b"href") {
        pos = found + 4;
        let Some((value, end)) = attribute_value(bytes, pos) else {
            continue;
        };
        pos = end;
        out.push(decode_entities(value));
    }
    out
}

/// Position of `needle` (ASCII, matched case-insensitively) at or after `from`.
fn find_ci(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let rest = haystack.get(from..)?;
    rest.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|i| i + from)
}

/// After `href`: optional spaces, `=`, optional spaces, then a quoted or bare value.
fn attribute_value(bytes: &[u8], mut pos: usize) -> Option<(&str, usize)> {
    let skip_spaces = |mut p: usize| {
        while bytes.get(p).is_some_and(|b| b.is_ascii_whitespace()) {
            p += 1;
        }
        p
    };
    pos = skip_spaces(pos);
    if *bytes.get(pos)? != b'=' {
        return None;
    }
    pos = skip_spaces(pos + 1);
    let (start, end) = match *bytes.get(pos)? {
        q @ (b'"' | b'\'') => {
            let start = pos + 1;
            let len = bytes.get(start..)?.iter().position(|&b| b == q)?;
            (start, start + len)
        }
        _ => {
            let len = bytes
                .get(pos..)?
                .iter()
                .position(|&b| b.is_ascii_whitespace() || b == b'>')
                .unwrap_or(bytes.len() - pos);
            (pos, pos + len)
        }
    };
    // Both ends sit next to ASCII bytes, so they are char boundaries.
    let value = std::str::from_utf8(bytes.get(start..end)?).ok()?;
    Some((value, end))
}

fn decode_entities(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&#43;", "+")
        .replace("%2B", "+")
        .replace("%2b", "+")
}

fn file_link(href: &str) -> Option<String> {
    let href = href.trim();
    let name = href.strip_prefix("./").unwrap_or(href);
    let plain = !name.contains(['/', '\\', '?', '#', ':', '%', '&', '<', '>', '"', '\''])
        && !name.chars().any(|c| c.is_whitespace() || c.is_control());
    let is_docker_archive =
        name.starts_with("docker-") && (name.ends_with(".tgz") || name.ends_with(".zip"));
    (plain && is_docker_archive && name.len() <= 200).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_panics_on_truncated_or_odd_input() {
        for s in [
            "",
            "href",
            "href=",
            "href =\"",
            "HREF='docker-1.tgz",
            "<a href=docker-1.tgz",
            "héllo href=\"ü\"",
            "href=\"docker-\u{1F600}.tgz\"",
        ] {
            let _ = parse(s);
        }
        assert_eq!(
            parse("<a href=docker-1.2.3.tgz>x</a>"),
            ["docker-1.2.3.tgz"]
        );
        assert_eq!(parse("<a HREF = 'docker-1.2.3.zip'>"), ["docker-1.2.3.zip"]);
    }
}
