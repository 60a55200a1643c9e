//! Runs `bench/run --smoke`: the whole benchmark on tiny fixtures with few pairs, against the
//! dvm built for these tests. It checks that every measure ran and made it into the table; it
//! never judges the figures (no timed assertions).

use std::path::Path;
use std::process::Command;

fn found(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Why the smoke run cannot happen here, if it cannot.
fn missing_tool(cargo: &str) -> Option<String> {
    if !cfg!(target_os = "linux") {
        return Some("bench/run is written for Linux (GNU stat, /proc)".into());
    }
    for tool in ["bash", "python3", "curl"] {
        if !found(tool) {
            return Some(format!("{tool} is not installed"));
        }
    }
    (!found(cargo)).then(|| format!("cargo is not runnable as {cargo}"))
}

#[test]
fn smoke_run_prints_every_measure_in_the_table() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
    if let Some(reason) = missing_tool(&cargo) {
        eprintln!("skipping the benchmark smoke run: {reason}");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let output = Command::new("bash")
        .arg(root.join("bench/run"))
        .arg("--smoke")
        .env("CARGO", &cargo)
        .env("DVM_BENCH_DVM", env!("CARGO_BIN_EXE_dvm"))
        .env("DVM_BENCH_OUT", out.path())
        .env_remove("DVM_BENCH_PAIRS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "bench/run --smoke failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    println!("{stdout}");
    assert!(
        stdout.contains("| measure | dvm | baseline | difference / ratio | goal | met |"),
        "no table header:\n{stdout}"
    );
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("| ")).collect();
    let row = |title: &str| -> &str {
        rows.iter()
            .find(|r| r.contains(title))
            .unwrap_or_else(|| panic!("no row for {title:?} in:\n{stdout}\nstderr:\n{stderr}"))
    };
    // Measured rows carry a figure in milliseconds (or MiB) and a verdict.
    let measured = |title: &str, unit: &str| {
        let r = row(title);
        let cells: Vec<&str> = r.split(" | ").collect();
        let figure = cells.get(1).copied().unwrap_or_default();
        let number = figure.trim_end_matches(unit).trim();
        assert!(
            number
                .parse::<f64>()
                .is_ok_and(|n| n.is_finite() && n >= 0.0),
            "row {title:?} has no figure: {r}"
        );
        assert!(
            r.ends_with("| yes |") || r.ends_with("| **no** |"),
            "row {title:?} has no verdict: {r}"
        );
    };
    measured("shim: `true` via shim", "ms");
    measured("shim: `true` via shim with `auto`", "ms");
    measured("install tgz", "ms");
    measured("peak memory", "MiB");
    measured("`dvm ls-remote`", "ms");
    measured("`dvm ls-remote --source rpm --refresh`", "ms");
    measured("`dvm current`", "ms");
    measured("`dvm ls`", "ms");
    // These depend on what the machine has; either measured or skipped with the reason.
    for (title, tool) in [
        ("install RPM", "rpm2cpio or cpio missing"),
        ("`docker --version`", "no /usr/local/bin/docker"),
    ] {
        let r = row(title);
        if !r.contains(&format!("skipped: {tool}")) {
            measured(title, "ms");
        }
    }
    assert!(
        stdout.contains("- machine: ") && stdout.contains("smoke"),
        "no machine line or smoke marker:\n{stdout}"
    );
}
