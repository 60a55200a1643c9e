//! dvm detect: ask a daemon for its version and pick the matching client.
//!
//! A docker client newer than the daemon's API is refused by the daemon, and since 17.09 the
//! CLI also refuses to go below API 1.24; so an old daemon needs an old client. The choice
//! prefers the daemon's own release, then the newest release with the same API, then the
//! newest release with an older API (old daemons accept older clients).

mod api_table;
pub mod auto;

pub use crate::daemon::{
    ContextChoice, DEFAULT_SOCKET, DaemonEndpoint, DaemonTarget, NamedContext, Timeouts, TlsFiles,
    query_daemon, query_daemon_with, query_endpoint, query_target,
};
pub use api_table::{ApiRow, ApiVersion, api_range_for, newest_api, table};

use serde::{Serialize, Serializer};

pub use crate::daemon::DaemonVersion;
use crate::error::{Error, Result};
use crate::select::version::DockerVersion;

/// Why a client release was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChoiceReason {
    /// The daemon's own release.
    DaemonVersion,
    /// The newest release speaking exactly the daemon's API.
    SameMaxApi,
    /// No release speaks the daemon's API; the newest one speaking an older API.
    OlderMaxApi,
    /// The daemon speaks an API newer than dvm's table; the newest release known.
    NewerThanTable,
}

/// The client dvm recommends for a daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    #[serde(serialize_with = "serialize_display")]
    pub version: DockerVersion,
    pub reason: ChoiceReason,
    pub daemon_api: ApiVersion,
    /// Something the user should know about the choice, in one sentence.
    pub note: Option<String>,
}

/// The start of a string, printable, for error messages.
fn snippet(text: &[u8]) -> String {
    let shown: String = String::from_utf8_lossy(&text[..text.len().min(120)])
        .chars()
        .flat_map(char::escape_default)
        .take(160)
        .collect();
    shown
}

fn serialize_display<S: Serializer>(v: &DockerVersion, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Picks the client release for `daemon` among `known` (the stable releases dvm can install).
///
/// In order: the daemon's own release when `known` has it and the table agrees on its API;
/// else the newest release whose max API is the daemon's; else the newest with a lower max
/// API. A daemon whose API is above the table gets the newest known release (a modern CLI
/// negotiates down). A daemon whose API is below every known release's gets an error: every
/// such client is newer than the daemon and would be refused, so there is nothing to install.
pub fn choose_client(daemon: &DaemonVersion, known: &[DockerVersion]) -> Result<Choice> {
    let (daemon_api, api_note) = daemon_api(daemon)?;
    let newest_known = known.iter().filter(|v| !v.is_prerelease()).max().copied();
    let Some(newest_known) = newest_known else {
        return Err(
            Error::not_found("no Docker release is known to choose from")
                .with_hint("run `dvm ls-remote` to refresh the list of releases"),
        );
    };
    let beyond_table = newest_api().is_none_or(|top| daemon_api > top);
    let table_note = |picked: &str| {
        beyond_table.then(|| {
            format!(
                "the daemon speaks API {daemon_api}, newer than dvm's table; {picked} \
                 (a newer dvm may know a closer client)"
            )
        })
    };
    let choice = |version: DockerVersion, reason, note: Option<String>| Choice {
        version,
        reason,
        daemon_api,
        note: note
            .or_else(|| api_note.clone())
            .or_else(|| min_api_note(daemon, &version)),
    };

    // The daemon's own release, unless its API contradicts the table (a patched or
    // Docker-compatible daemon reusing a version number), when only the API can be trusted.
    if let Some(own) = daemon
        .version
        .as_deref()
        .and_then(|v| DockerVersion::parse(v).ok())
    {
        let in_known = known
            .iter()
            .filter(|k| k.same_release(&own))
            .max_by_key(|k| own.edition.is_some() && k.edition == own.edition);
        if let Some(found) = in_known {
            let api_agrees = api_range_for(found).is_some_and(|(max, _)| max == daemon_api);
            if api_agrees || beyond_table {
                let note = table_note(&format!("picking the daemon's own release, {found}"));
                return Ok(choice(*found, ChoiceReason::DaemonVersion, note));
            }
        }
    }

    if beyond_table {
        let note = table_note(&format!(
            "picking the newest release dvm knows, {newest_known}"
        ));
        return Ok(choice(newest_known, ChoiceReason::NewerThanTable, note));
    }

    let with_api = |keep: &dyn Fn(ApiVersion) -> bool| {
        known
            .iter()
            .filter(|v| !v.is_prerelease())
            .filter(|v| api_range_for(v).is_some_and(|(max, _)| keep(max)))
            .max()
            .copied()
    };
    if let Some(v) = with_api(&|max| max == daemon_api) {
        return Ok(choice(v, ChoiceReason::SameMaxApi, None));
    }
    if let Some(v) = with_api(&|max| max < daemon_api) {
        return Ok(choice(v, ChoiceReason::OlderMaxApi, None));
    }

    Err(nothing_old_enough(known, daemon_api))
}

/// No known client is as old as the daemon: every one would be refused.
fn nothing_old_enough(known: &[DockerVersion], daemon_api: ApiVersion) -> Error {
    let oldest = known
        .iter()
        .filter(|v| !v.is_prerelease())
        .filter_map(|v| api_range_for(v).map(|(max, _)| (*v, max)))
        .min();
    let what = match oldest {
        Some((v, max)) => format!("the oldest known, {v}, already speaks API {max}"),
        None => "no known release is in dvm's API table".to_string(),
    };
    Error::not_found(format!(
        "no known Docker client speaks API {daemon_api} or older: {what}, and the daemon \
         refuses clients newer than itself"
    ))
    .with_hint(
        "upgrade the Docker daemon, or install a client by hand with `dvm install <version>`",
    )
}

/// The daemon's API: its `ApiVersion`, or else the table's for its `Version` (with a note).
fn daemon_api(daemon: &DaemonVersion) -> Result<(ApiVersion, Option<String>)> {
    if let Some(api) = daemon.api() {
        return Ok((api, None));
    }
    let version = daemon.version.as_deref().unwrap_or_default();
    let mapped = DockerVersion::parse(version)
        .ok()
        .and_then(|v| api_range_for(&v))
        .map(|(max, _)| max);
    match mapped {
        Some(api) => Ok((
            api,
            Some(format!(
                "the daemon did not report its API version; Docker {version} speaks API {api} \
                 by dvm's table"
            )),
        )),
        None => Err(Error::daemon(format!(
            "the daemon reported no usable ApiVersion, and its Version '{}' is not a Docker \
             release dvm's table knows",
            snippet(version.as_bytes())
        ))
        .with_hint("check that DOCKER_HOST points at a Docker daemon")),
    }
}

/// Warns when the chosen client is below the daemon's minimum API, which it would refuse.
fn min_api_note(daemon: &DaemonVersion, chosen: &DockerVersion) -> Option<String> {
    let min = ApiVersion::parse(daemon.min_api_version.as_deref()?)?;
    let (max, _) = api_range_for(chosen)?;
    (max < min).then(|| {
        format!(
            "{chosen} speaks at most API {max} but the daemon accepts API {min} and newer only; \
             no closer release is known"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn v(s: &str) -> DockerVersion {
        DockerVersion::parse(s).unwrap()
    }

    fn known() -> Vec<DockerVersion> {
        [
            "1.9.0",
            "1.9.1",
            "1.10.3",
            "1.11.2",
            "1.12.5",
            "1.12.6",
            "1.13.1",
            "17.03.0-ce",
            "17.03.1-ce",
            "17.03.2-ce",
            "17.06.2-ce",
            "18.09.9",
            "19.03.15",
            "20.10.23",
            "20.10.24",
            "24.0.9",
            "28.5.2",
            "29.0.0",
            "29.1.0",
            "29.1.3",
        ]
        .iter()
        .map(|s| v(s))
        .collect()
    }

    fn daemon(version: Option<&str>, api: &str) -> DaemonVersion {
        DaemonVersion {
            version: version.map(str::to_string),
            api_version: api.into(),
            min_api_version: None,
            os: None,
            arch: None,
        }
    }

    fn pick(d: &DaemonVersion) -> (String, ChoiceReason) {
        let c = choose_client(d, &known()).unwrap();
        assert_eq!(c.daemon_api, d.api().unwrap());
        (c.version.to_string(), c.reason)
    }

    #[test]
    fn prefers_the_daemons_own_release() {
        use ChoiceReason::*;
        assert_eq!(
            pick(&daemon(Some("1.12.6"), "1.24")),
            ("1.12.6".into(), DaemonVersion)
        );
        assert_eq!(
            pick(&daemon(Some("17.03.2-ce"), "1.27")),
            ("17.03.2-ce".into(), DaemonVersion)
        );
        // Spelled without the edition, as some packagers do.
        assert_eq!(
            pick(&daemon(Some("17.3.2"), "1.27")),
            ("17.03.2-ce".into(), DaemonVersion)
        );
        assert_eq!(
            pick(&daemon(Some("20.10.24"), "1.41")),
            ("20.10.24".into(), DaemonVersion)
        );
        assert_eq!(
            pick(&daemon(Some("29.1.0"), "1.52")),
            ("29.1.0".into(), DaemonVersion)
        );
    }

    #[test]
    fn falls_back_to_the_newest_release_with_the_same_api() {
        use ChoiceReason::*;
        assert_eq!(pick(&daemon(None, "1.21")), ("1.9.1".into(), SameMaxApi));
        assert_eq!(
            pick(&daemon(Some("swarm/1.2.8"), "1.22")),
            ("1.10.3".into(), SameMaxApi)
        );
        // 20.10.20 is not known: the newest 20.10 is.
        assert_eq!(
            pick(&daemon(Some("20.10.20"), "1.41")),
            ("20.10.24".into(), SameMaxApi)
        );
        // A distro build whose version does not parse.
        assert_eq!(
            pick(&daemon(Some("20.10.24+dfsg1"), "1.41")),
            ("20.10.24".into(), SameMaxApi)
        );
        // A Docker-compatible daemon reusing a known version number: the API wins.
        assert_eq!(
            pick(&daemon(Some("1.12.6"), "1.41")),
            ("20.10.24".into(), SameMaxApi)
        );
    }

    #[test]
    fn falls_back_to_the_newest_release_with_an_older_api() {
        // API 1.40 is 19.03's; with 19.03 unknown, 18.09 (API 1.39) is next below.
        let mut k = known();
        k.retain(|x| x.major != 19);
        let c = choose_client(&daemon(Some("19.03.15"), "1.40"), &k).unwrap();
        assert_eq!(
            (c.version.to_string(), c.reason),
            ("18.09.9".into(), ChoiceReason::OlderMaxApi)
        );
        assert_eq!(c.note, None);
    }

    #[test]
    fn a_daemon_newer_than_the_table_gets_the_newest_release_and_a_note() {
        let top = newest_api().unwrap();
        let api = format!("{}.{}", top.major, top.minor + 5);
        let c = choose_client(&daemon(Some("99.0.0"), &api), &known()).unwrap();
        assert_eq!(c.version, v("29.1.3"));
        assert_eq!(c.reason, ChoiceReason::NewerThanTable);
        assert!(c.note.as_deref().unwrap().contains(&api), "{:?}", c.note);

        // When the list already knows that future release, it is taken as is.
        let mut k = known();
        k.push(v("99.0.0"));
        let c = choose_client(&daemon(Some("99.0.0"), &api), &k).unwrap();
        assert_eq!(
            (c.version, c.reason),
            (v("99.0.0"), ChoiceReason::DaemonVersion)
        );
        assert!(c.note.is_some());
    }

    #[test]
    fn a_daemon_older_than_every_known_client_is_an_error() {
        let err = choose_client(&daemon(Some("0.11.1"), "1.11"), &known()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.message().contains("1.11"), "{}", err.message());
        assert!(err.message().contains("1.9.0"), "{}", err.message());
        assert!(err.hint().is_some());

        let err = choose_client(&daemon(None, "1.24"), &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn warns_when_the_choice_is_below_the_daemons_minimum_api() {
        let mut d = daemon(Some("29.1.5"), "1.52");
        d.min_api_version = Some("1.44".into());
        let k = vec![v("20.10.24"), v("24.0.9")];
        let c = choose_client(&d, &k).unwrap();
        assert_eq!(
            (c.version, c.reason),
            (v("24.0.9"), ChoiceReason::OlderMaxApi)
        );
        assert!(c.note.as_deref().unwrap().contains("1.44"), "{:?}", c.note);

        d.min_api_version = Some("1.24".into());
        assert_eq!(choose_client(&d, &k).unwrap().note, None);
    }

    #[test]
    fn prereleases_are_never_chosen_by_api() {
        let k = vec![v("20.10.24"), v("23.0.0-rc.1")];
        let c = choose_client(&daemon(None, "1.42"), &k).unwrap();
        assert_eq!(c.version, v("20.10.24"));
    }

    #[test]
    fn reads_version_json_of_every_era() {
        let d = DaemonVersion::from_json(br#"{"ApiVersion":"1.21"}"#, "d").unwrap();
        assert_eq!(d, daemon(None, "1.21"));
        let d = DaemonVersion::from_json(
            br#"{"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64","Components":[]}"#,
            "d",
        )
        .unwrap();
        assert_eq!(d.min_api_version.as_deref(), Some("1.12"));
        assert_eq!(d.os.as_deref(), Some("linux"));
        assert_eq!(d.arch.as_deref(), Some("amd64"));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["api_version"], "1.41");
    }

    #[test]
    fn rejects_answers_that_are_not_from_a_daemon() {
        for (body, expect) in [
            (&b"<html>hi</html>"[..], "not JSON"),
            (b"", "not JSON"),
            (br#"{"hello":"world"}"#, "neither ApiVersion nor Version"),
            (br#"[1,2]"#, "neither ApiVersion nor Version"),
            (br#"{"ApiVersion":"latest"}"#, "not an API version"),
            (br#"{"ApiVersion":141}"#, "neither"),
        ] {
            let err = DaemonVersion::from_json(body, "the daemon at tcp://x:1").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Daemon);
            assert!(err.message().contains(expect), "{}", err.message());
            assert!(err.message().contains("tcp://x:1"), "{}", err.message());
        }
    }

    #[test]
    fn an_answer_without_api_version_maps_its_version_through_the_table() {
        let d = DaemonVersion::from_json(br#"{"Version":"1.12.6"}"#, "d").unwrap();
        let c = choose_client(&d, &known()).unwrap();
        assert_eq!(
            (c.version, c.reason),
            (v("1.12.6"), ChoiceReason::DaemonVersion)
        );
        assert_eq!(c.daemon_api.to_string(), "1.24");
        assert!(
            c.note.as_deref().unwrap().contains("did not report"),
            "{:?}",
            c.note
        );
        // A Version the table cannot map is refused.
        let d = DaemonVersion::from_json(br#"{"Version":"swarm/1.2.8"}"#, "d").unwrap();
        let err = choose_client(&d, &known()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Daemon);
        assert!(
            err.message().contains("no usable ApiVersion"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn api_1_54_gets_29_5_and_api_1_55_gets_29_7() {
        let mut k = known();
        k.extend(["29.5.3", "29.6.1", "29.7.2"].map(v));
        let c = choose_client(&daemon(None, "1.54"), &k).unwrap();
        assert_eq!(
            (c.version, c.reason),
            (v("29.5.3"), ChoiceReason::SameMaxApi)
        );
        let c = choose_client(&daemon(Some("29.7.2"), "1.55"), &k).unwrap();
        assert_eq!(
            (c.version, c.reason),
            (v("29.7.2"), ChoiceReason::DaemonVersion)
        );
        assert_eq!(c.note, None);
        // A daemon newer than the table: its own release if known, else the newest, noted.
        let c = choose_client(&daemon(Some("40.0.0"), "1.99"), &k).unwrap();
        assert_eq!(
            (c.version, c.reason),
            (v("29.7.2"), ChoiceReason::NewerThanTable)
        );
        assert!(c.note.as_deref().unwrap().contains("1.99"), "{:?}", c.note);
        k.push(v("40.0.0"));
        let c = choose_client(&daemon(Some("40.0.0"), "1.99"), &k).unwrap();
        assert_eq!(
            (c.version, c.reason),
            (v("40.0.0"), ChoiceReason::DaemonVersion)
        );
        assert!(c.note.is_some());
    }

    #[test]
    fn choices_serialize_for_json_output() {
        let c = choose_client(&daemon(Some("17.03.2-ce"), "1.27"), &known()).unwrap();
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["version"], "17.03.2-ce");
        assert_eq!(json["reason"], "daemon-version");
        assert_eq!(json["daemon_api"], "1.27");
        assert!(json["note"].is_null());
    }
}
