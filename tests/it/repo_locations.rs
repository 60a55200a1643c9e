//! `<location xml:base="…" href="…"/>` in repodata, in the shapes real repositories write:
//! `createrepo_c --baseurl` and Nexus (an absolute base), `../pool` layouts, and upstream
//! repodata copied verbatim to a mirror. The real binary against the loopback replica.

use crate::remote::env_for;
use crate::support::replica::{self, Location, Package, Replica, RepoChecksum};

fn cli(ver: &'static str) -> Package {
    Package {
        name: "docker-ce-cli",
        ver,
        rel: "1.el7",
        client_version: Some(ver),
    }
}

fn rpm_requests(r: &Replica) -> Vec<String> {
    let mut out: Vec<String> = r
        .requests()
        .into_iter()
        .map(|q| q.path)
        .filter(|p| p.ends_with(".rpm"))
        .collect();
    out.dedup();
    out
}

#[test]
fn an_absolute_base_below_the_configured_source_is_followed() {
    // Nexus names every package by an absolute URL below its own repository URL.
    let r = Replica::empty();
    let nexus = "/nexus/repository/docker-ce";
    r.add_repo_at(
        &format!("{nexus}/linux/centos/7/x86_64/stable"),
        RepoChecksum::Sha256,
        &[cli("20.10.23")],
        |file| Location {
            xml_base: Some(r.url(&format!("{nexus}/blobs"))),
            href: format!("docker-ce-cli/{file}"),
            served: format!("{nexus}/blobs/docker-ce-cli/{file}"),
        },
    );
    let mut t = env_for(&r);
    t.env("DVM_RPM_URL", r.url(nexus));
    t.dvm(["ls-remote", "20.10", "--source", "rpm"])
        .success()
        .stdout_has("20.10.23");
    t.dvm(["install", "20.10.23", "--source", "rpm"]).success();
    assert_eq!(t.installed(), ["20.10.23"]);
    assert_eq!(
        rpm_requests(&r),
        [format!(
            "{nexus}/blobs/docker-ce-cli/docker-ce-cli-20.10.23-1.el7.x86_64.rpm"
        )]
    );
}

#[test]
fn pool_layouts_resolve_dot_dot_by_href_or_by_relative_base() {
    for relative_base in [false, true] {
        let r = Replica::empty();
        let pool = format!("{}/linux/pool/stable", replica::RPM_HOST);
        r.add_repo_at(
            &replica::docker_ce_repo_base("centos/7", "stable"),
            RepoChecksum::Sha256,
            &[cli("24.0.7")],
            |file| Location {
                xml_base: relative_base.then(|| "../../../../pool/stable".to_string()),
                href: if relative_base {
                    file.to_string()
                } else {
                    format!("../../../../pool/stable/{file}")
                },
                served: format!("{pool}/{file}"),
            },
        );
        let t = env_for(&r);
        t.dvm(["install", "24.0.7", "--source", "rpm"]).success();
        assert_eq!(t.installed(), ["24.0.7"], "relative base: {relative_base}");
        assert_eq!(
            rpm_requests(&r),
            [format!("{pool}/docker-ce-cli-24.0.7-1.el7.x86_64.rpm")]
        );
    }
}

#[test]
fn upstream_repodata_copied_to_a_mirror_is_served_by_the_mirror() {
    // The official host's absolute base maps onto the mirror, as every official URL does.
    let r = Replica::empty();
    let repo = replica::docker_ce_repo_base("centos/7", "stable");
    r.add_repo_at(&repo, RepoChecksum::Sha256, &[cli("24.0.7")], |file| {
        Location {
            xml_base: Some("https://download.docker.com/linux/centos/7/x86_64/stable/".into()),
            href: format!("Packages/{file}"),
            served: format!("{repo}/Packages/{file}"),
        }
    });
    let t = env_for(&r);
    t.dvm(["install", "24.0.7", "--source", "rpm"]).success();
    assert_eq!(
        rpm_requests(&r),
        [format!(
            "{repo}/Packages/docker-ce-cli-24.0.7-1.el7.x86_64.rpm"
        )]
    );
}

#[test]
fn an_absolute_base_on_another_host_is_refused_and_nothing_is_fetched() {
    let r = Replica::empty();
    let repo = replica::docker_ce_repo_base("centos/7", "stable");
    r.add_repo_at(&repo, RepoChecksum::Sha256, &[cli("24.0.7")], |file| {
        Location {
            xml_base: Some("https://nexus.example/repository/docker/".into()),
            href: file.to_string(),
            served: format!("{repo}/Packages/{file}"),
        }
    });
    let t = env_for(&r);
    let run = t.dvm(["install", "24.0.7", "--source", "rpm"]);
    run.failure(8)
        .stderr_has("docker-ce-cli-24.0.7-1.el7")
        .stderr_has("https://nexus.example/repository/docker/docker-ce-cli-24.0.7-1.el7.x86_64.rpm")
        .stderr_has("hint: if you trust the host it names, point DVM_RPM_URL");
    assert_eq!(t.installed(), Vec::<String>::new());
    assert_eq!(rpm_requests(&r), Vec::<String>::new());
}
