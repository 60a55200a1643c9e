//! What some bytes look like, for "this is not an archive" messages.

/// Says what some bytes look like, for "this is not an archive" messages.
pub(super) fn describe_bytes(prefix: &[u8]) -> String {
    if prefix.is_empty() {
        return "the input is empty (0 bytes)".into();
    }
    let text = prefix.strip_prefix(b"\xef\xbb\xbf").unwrap_or(prefix);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let trimmed = &text[start..];
    let lower: Vec<u8> = trimmed
        .iter()
        .take(64)
        .map(u8::to_ascii_lowercase)
        .collect();
    let looks = |what: &str| format!("the data looks like {what}");
    if lower.starts_with(b"<!doctype html")
        || lower.starts_with(b"<html")
        || contains(&prefix.to_ascii_lowercase(), b"<html")
    {
        return looks("an HTML page (perhaps an error or login page served instead of the file)");
    }
    if lower.starts_with(b"<?xml") || lower.starts_with(b"<error") {
        return looks("an XML document (perhaps an S3 or mirror error response)");
    }
    if lower.starts_with(b"{") || lower.starts_with(b"[") {
        return looks("JSON (perhaps an API error response)");
    }
    let magics: [(&[u8], &str); 5] = [
        (b"BZh", "a bare bzip2 stream, not a tar.gz"),
        (b"\xfd7zXZ\x00", "a bare xz stream, not a tar.gz"),
        (b"\x28\xb5\x2f\xfd", "a bare zstd stream, not a tar.gz"),
        (b"07070", "a bare cpio archive, not an RPM"),
        (b"PK", "a zip file that does not start with a file entry"),
    ];
    if let Some((_, what)) = magics.iter().find(|(m, _)| prefix.starts_with(m)) {
        return looks(what);
    }
    if prefix.get(257..262) == Some(b"ustar") {
        return looks("an uncompressed tar archive (only .tgz is supported)");
    }
    if prefix.starts_with(b"#!") {
        return looks(&format!("a script: {}", first_line(prefix)));
    }
    let printable = prefix
        .iter()
        .filter(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
        .count();
    if printable * 10 >= prefix.len() * 9 {
        return looks(&format!("text: {}", first_line(trimmed)));
    }
    let shown: Vec<String> = prefix.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("unrecognised binary data starting with {}", shown.join(" "))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn first_line(bytes: &[u8]) -> String {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let shown: String = String::from_utf8_lossy(line).chars().take(60).collect();
    format!("\"{}\"", shown.trim().escape_default())
}
