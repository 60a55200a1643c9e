//! The `--json` outputs are a documented, stable interface: these snapshots pin their exact
//! shape (field names, order, types). Temp paths, the mirror's port and install times are
//! replaced by placeholders; everything else is compared byte for byte.
//!
//! Snapshots live in tests/it/snapshots/ and are committed. A missing or different snapshot fails
//! the test (insta never accepts on its own; `INSTA_UPDATE=always` is for a developer who
//! changed the schema on purpose and reviews the diff).

use crate::support::archives;
use crate::support::env;
use crate::support::server;

use std::path::Path;

use env::{Run, TestEnv, fixture_rpm};
use server::FixtureServer;

/// Every snapshot this file asserts; each must be committed.
const SNAPSHOTS: &[&str] = &[
    "ls_empty",
    "ls_two_versions",
    "current_version_file",
    "current_env_var",
    "current_default",
    "current_nothing_selected",
    "which_active",
    "which_spec",
    "doctor_healthy",
    "ls_remote_static",
];

/// Placeholders for what changes from run to run.
struct Redactions {
    pairs: Vec<(String, &'static str)>,
}

impl Redactions {
    fn for_env(t: &TestEnv) -> Self {
        let mut pairs = vec![
            (t.home.display().to_string(), "[DVM_HOME]"),
            (t.cwd.display().to_string(), "[CWD]"),
            (t.files.display().to_string(), "[FILES]"),
            (t.user_home.display().to_string(), "[HOME]"),
        ];
        // Longest first, so that a path is never half-replaced by a prefix of it.
        pairs.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        Redactions { pairs }
    }

    fn with(mut self, from: String, to: &'static str) -> Self {
        self.pairs.insert(0, (from, to));
        self
    }

    /// The output of a successful run with placeholders; it must still be valid JSON.
    fn apply(&self, run: &Run) -> String {
        self.apply_exiting(run, 0)
    }

    fn apply_exiting(&self, run: &Run, code: i32) -> String {
        assert_eq!(run.code, code, "stderr: {}", run.stderr);
        serde_json::from_str::<serde_json::Value>(&run.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout));
        let mut text = run.stdout.clone();
        for (from, to) in &self.pairs {
            text = text.replace(from.as_str(), to);
        }
        let text: Vec<String> = text.lines().map(redact_timestamp).collect();
        let text = text.join("\n");
        serde_json::from_str::<serde_json::Value>(&text)
            .unwrap_or_else(|e| panic!("redaction broke the JSON ({e}):\n{text}"));
        text
    }
}

/// `"installed_at": 1795625353,` → `"installed_at": "[timestamp]",` (pretty JSON, one per line).
fn redact_timestamp(line: &str) -> String {
    let key = "\"installed_at\": ";
    match line.find(key) {
        Some(at) => {
            let (head, rest) = line.split_at(at + key.len());
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            if digits == 0 {
                return line.to_string();
            }
            format!("{head}\"[timestamp]\"{}", &rest[digits..])
        }
        None => line.to_string(),
    }
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "snapshots",
        prepend_module_to_snapshot => true,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

/// 1.12.6 from the committed RPM, 17.03.2-ce from a static tarball; default 1.12.6.
fn two_versions() -> TestEnv {
    let t = TestEnv::new();
    t.dvm(["install", "--from", fixture_rpm("gz").to_str().unwrap()])
        .success();
    let tgz = t.file(
        "docker-17.03.2-ce.tgz",
        &archives::docker_tgz("docker/docker", &archives::fake_client_script("17.03.2-ce")),
    );
    t.dvm(["install", "--from", tgz.to_str().unwrap()])
        .success();
    t.dvm(["use", "--global", "1.12.6"]).success();
    t
}

#[test]
fn every_snapshot_is_committed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
    for name in SNAPSHOTS {
        let path = dir.join(format!("it__json_schema__{name}.snap"));
        assert!(path.is_file(), "{} is not committed", path.display());
    }
}

#[test]
fn ls_json() {
    let t = TestEnv::new();
    let r = Redactions::for_env(&t);
    snapshot("ls_empty", &r.apply(&t.dvm(["ls", "--json"])));

    let t = two_versions();
    std::fs::write(t.cwd.join(".docker-version"), "17.03\n").unwrap();
    let r = Redactions::for_env(&t);
    snapshot("ls_two_versions", &r.apply(&t.dvm(["ls", "--json"])));
}

#[test]
fn current_json() {
    let mut t = two_versions();
    let r = Redactions::for_env(&t);
    snapshot("current_default", &r.apply(&t.dvm(["current", "--json"])));

    std::fs::write(
        t.cwd.join(".docker-version"),
        "# the project's client\n17.03\n",
    )
    .unwrap();
    snapshot(
        "current_version_file",
        &r.apply(&t.dvm(["current", "--json"])),
    );

    t.env("DVM_DOCKER_VERSION", "1.12");
    snapshot("current_env_var", &r.apply(&t.dvm(["current", "--json"])));

    // Nothing selected and no system docker: PATH has only dvm's shims and an empty folder.
    let mut t = TestEnv::new();
    let empty = t.files.join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let path = format!("{}:{}", t.home.join("shims").display(), empty.display());
    t.env("PATH", path);
    let r = Redactions::for_env(&t);
    // Nothing can run: the JSON says so, and the exit code agrees with `dvm current`'s.
    snapshot(
        "current_nothing_selected",
        &r.apply_exiting(&t.dvm(["current", "--json"]), 3),
    );
}

#[test]
fn which_json() {
    let t = two_versions();
    let r = Redactions::for_env(&t);
    snapshot("which_active", &r.apply(&t.dvm(["which", "--json"])));
    snapshot("which_spec", &r.apply(&t.dvm(["which", "17", "--json"])));
}

#[test]
fn doctor_json() {
    let t = two_versions();
    // The permissions check reads the folder modes, which the umask would otherwise decide.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for dir in [t.home.clone(), t.home.join("shims")] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    let r = Redactions::for_env(&t);
    snapshot("doctor_healthy", &r.apply(&t.dvm(["doctor", "--json"])));
}

#[test]
fn ls_remote_json() {
    let srv = FixtureServer::start();
    let dir = "/download.docker.com/linux/static/stable/x86_64/";
    for v in ["17.03.2-ce", "20.10.25"] {
        srv.add(
            &format!("{dir}docker-{v}.tgz"),
            archives::docker_tgz("docker/docker", &archives::fake_client_script(v)),
        );
    }
    srv.add(
        &format!("{dir}docker-rootless-extras-20.10.25.tgz"),
        b"x".to_vec(),
    );
    let mut t = TestEnv::new();
    t.env("DVM_MIRROR", srv.url())
        .env("DVM_PLATFORM", "linux/x86_64");
    let tgz = t.file(
        "docker-20.10.25.tgz",
        &archives::docker_tgz("docker/docker", &archives::fake_client_script("20.10.25")),
    );
    t.dvm(["install", "--from", tgz.to_str().unwrap()])
        .success();
    let r = Redactions::for_env(&t).with(srv.url(), "[MIRROR]");
    snapshot(
        "ls_remote_static",
        &r.apply(&t.dvm(["ls-remote", "--source", "static", "--json"])),
    );
}
