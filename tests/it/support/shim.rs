//! The shipped shim, taken from the dvm binary itself: the shim is built only by build.rs and
//! embedded into dvm, which places it as `<DVM_HOME>/shims/docker` (`dvm init` calls
//! `Store::ensure_shim`). Once per test process, a real `dvm init bash` runs against a temporary
//! DVM_HOME and HOME, and the placed shim is copied to a fixed file under CARGO_TARGET_TMPDIR
//! (same filesystem as the tests' scratch folders, so they can hardlink it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The path of the shipped shim, extracted on first use.
pub fn shim_exe() -> &'static Path {
    static SHIM: OnceLock<PathBuf> = OnceLock::new();
    SHIM.get_or_init(extract)
}

fn extract() -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let tmp = tempfile::tempdir_in(base).expect("temp dir for dvm init");
    let home = tmp.path().join("dvm-home");
    let user = tmp.path().join("user");
    std::fs::create_dir_all(&user).expect("mkdir user home");
    let out = Command::new(env!("CARGO_BIN_EXE_dvm"))
        .args(["init", "bash"])
        .env_clear()
        .env("HOME", &user)
        .env("DVM_HOME", &home)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("run dvm init bash");
    assert!(
        out.status.success(),
        "dvm init bash failed\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let placed = home.join("shims/docker");
    assert!(
        placed.is_file(),
        "dvm init placed no shim at {}",
        placed.display()
    );
    // One file per test process: another process (an earlier or concurrent run) may be
    // executing a copy under the fixed name, so write to a unique name and rename over it.
    let target = base.join("dvm-shim-from-dvm");
    let staging = base.join(format!("dvm-shim-from-dvm.{}", std::process::id()));
    // Copied by a separate `install` process so no write handle of ours can leak into a child
    // another test thread forks meanwhile (ETXTBSY).
    let status = Command::new("install")
        .arg("-m")
        .arg("755")
        .arg(&placed)
        .arg(&staging)
        .status()
        .expect("run install");
    assert!(
        status.success(),
        "install the shim to {}",
        staging.display()
    );
    std::fs::rename(&staging, &target).expect("rename the shim into place");
    target
}
