//! The `docker` shim. dvm installs this program as `<data>/shims/docker`; on every call it works
//! out which docker client the working directory asks for and execs it in its own place.
//!
//! It runs before every docker command, so it stays small and quick: std only, the resolution
//! order of `src/resolve.rs` (shared by `#[path]`), one `stat` for an exact version, a folder
//! listing only for partial specs, and nothing that would stop a static build (no NSS lookups
//! such as home-folder queries, no dlopen).
//!
//! Exit codes of the shim itself (a client that runs exits with its own code):
//! - 2: `DVM_DOCKER_VERSION`, a version file, the global default or an alias cannot be
//!   understood; the user must fix it (the same code dvm uses for usage errors).
//! - 126: a client was found but could not be executed.
//! - 127: there is nothing to run (version not installed, no system docker, a loop stopped),
//!   like a shell's "command not found".

// The library's `select` unit, the only code the shim shares with dvm.
#[path = "../src/select/mod.rs"]
#[allow(dead_code)]
mod select;

use std::cell::OnceCell;
use std::convert::Infallible;
use std::env;
use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use select::auto;
use select::resolve::{
    self, DEPTH_VAR, RECURSION_GUARD_VAR, Request, ResolveError, VERSION_VAR,
};
use select::version::VersionSpec;

const HOME_VAR: &str = "DVM_HOME";
/// When truthy, a missing version is installed with `dvm install` before running it.
const AUTO_INSTALL_VAR: &str = "DVM_AUTO_INSTALL";
/// Where the dvm program is, for auto-install; PATH is searched when it is unset.
const DVM_EXE_VAR: &str = "DVM_EXE";

const EXIT_MALFORMED: i32 = 2;
const EXIT_CANNOT_EXECUTE: i32 = 126;
const EXIT_NOTHING_TO_RUN: i32 = 127;

#[cfg(windows)]
const CLIENT_NAME: &str = "docker.exe";
#[cfg(not(windows))]
const CLIENT_NAME: &str = "docker";
#[cfg(windows)]
const DVM_NAME: &str = "dvm.exe";
#[cfg(not(windows))]
const DVM_NAME: &str = "dvm";

/// Why no client runs: printed as `dvm: <message>`, then the process exits with `code`.
struct Failure {
    code: i32,
    message: String,
}

impl Failure {
    fn nothing_to_run(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_NOTHING_TO_RUN,
            message: message.into(),
        }
    }

    fn malformed(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_MALFORMED,
            message: message.into(),
        }
    }

    fn cannot_run(program: &Path, error: &io::Error) -> Self {
        let code = if error.kind() == io::ErrorKind::NotFound {
            EXIT_NOTHING_TO_RUN
        } else {
            EXIT_CANNOT_EXECUTE
        };
        Failure {
            code,
            message: format!("cannot run {}: {error}", program.display()),
        }
    }
}

impl From<ResolveError> for Failure {
    fn from(e: ResolveError) -> Self {
        Failure::malformed(e.to_string())
    }
}

fn main() {
    let failure = match run() {
        Ok(never) => match never {},
        Err(failure) => failure,
    };
    eprintln!("dvm: {}", failure.message);
    std::process::exit(failure.code);
}

/// Resolves and runs the client; returns only when no client could be run.
fn run() -> Result<Infallible, Failure> {
    // A deleted working folder still lets DVM_DOCKER_VERSION and the default work.
    let depth = depth()?;
    let cwd = env::current_dir().unwrap_or_default();
    let shim = Shim::locate(&cwd)?;
    let request = resolve::requested_version(
        env::var_os(VERSION_VAR).as_deref(),
        &cwd,
        &shim.data.join("default"),
    )?;
    let Some(request) = request else {
        return shim.run_system(None, depth);
    };
    let (spec, alias) = shim.follow_alias(&request)?;
    if spec == VersionSpec::System {
        return shim.run_system(Some(&request), depth);
    }
    if spec == VersionSpec::Auto {
        return shim.run_auto(depth);
    }
    let client = match shim.installed_client(&spec) {
        Some(client) => client,
        None if auto_install(&spec)? => shim
            .installed_client(&spec)
            .ok_or_else(|| not_installed(&spec, alias, &request))?,
        None => return Err(not_installed(&spec, alias, &request)),
    };
    let mut command = Command::new(&client);
    // A managed client is a real docker: the system hand-overs it starts count afresh, and
    // only the depth guard follows it.
    if env::var_os(RECURSION_GUARD_VAR).is_some() {
        command.env_remove(RECURSION_GUARD_VAR);
    }
    run_client(command, &client, depth)
}

/// How many shims up the process tree ran a `docker` that ran this one. A client that is
/// itself a shim, or a wrapper script that calls `docker`, would otherwise exec forever;
/// docker's own nesting (a plugin that runs `docker`) stays far below the limit.
const MAX_DEPTH: u32 = 8;

fn depth() -> Result<u32, Failure> {
    let depth = env::var_os(DEPTH_VAR)
        .and_then(|v| v.to_str().and_then(|v| v.parse::<u32>().ok()))
        .unwrap_or(0);
    if depth < MAX_DEPTH {
        return Ok(depth);
    }
    Err(Failure::nothing_to_run(format!(
        "stopped a loop: docker was run through dvm's shim {depth} times, each run starting \
         the next. Is an installed client a script that calls `docker`, or a copy of the shim? \
         Check it with `dvm which` and `dvm verify`, and reinstall it: dvm install --force VERSION"
    )))
}

struct Shim {
    data: PathBuf,
    /// Our own executable, looked up only when needed (it costs a readlink).
    own_exe: OnceCell<PathBuf>,
}

impl Shim {
    /// `DVM_HOME` when set, else the grandparent of `<data>/shims/docker`.
    fn locate(cwd: &Path) -> Result<Shim, Failure> {
        if let Some(home) = env::var_os(HOME_VAR).filter(|h| !h.is_empty()) {
            return Ok(Shim {
                data: cwd.join(home),
                own_exe: OnceCell::new(),
            });
        }
        let exe = env::current_exe().map_err(|e| {
            Failure::nothing_to_run(format!(
                "cannot find dvm's data folder: the shim's own path is unknown ({e}); set DVM_HOME"
            ))
        })?;
        let data = exe
            .parent()
            .and_then(Path::parent)
            .ok_or_else(|| {
                Failure::nothing_to_run(format!(
                    "cannot find dvm's data folder from the shim's path {}; set DVM_HOME",
                    exe.display()
                ))
            })?
            .to_path_buf();
        Ok(Shim {
            data,
            own_exe: OnceCell::from(exe),
        })
    }

    fn own_exe(&self) -> &Path {
        self.own_exe.get_or_init(|| {
            env::current_exe().unwrap_or_else(|_| self.data.join("shims").join(CLIENT_NAME))
        })
    }

    /// An alias names a spec in `<data>/aliases/<name>`; it is followed one level only.
    fn follow_alias<'r>(
        &self,
        request: &'r Request,
    ) -> Result<(VersionSpec, Option<&'r str>), Failure> {
        let VersionSpec::Alias(name) = &request.spec else {
            return Ok((request.spec.clone(), None));
        };
        let file = self.data.join("aliases").join(name);
        let Some(bytes) = resolve::read_small_file(&file)? else {
            return Err(Failure::nothing_to_run(format!(
                "alias '{name}' is requested by {} but does not exist ({}); run: dvm alias {name} VERSION",
                request.origin,
                file.display()
            )));
        };
        let Some((spec, line)) = resolve::parse_version_file(&file, &bytes, false)? else {
            return Err(Failure::malformed(format!(
                "{}: alias '{name}' holds no version; run: dvm alias {name} VERSION",
                file.display()
            )));
        };
        if let VersionSpec::Alias(inner) = &spec {
            return Err(Failure::malformed(format!(
                "{}:{line}: alias '{name}' names another alias ('{inner}'); an alias must name a version",
                file.display()
            )));
        }
        Ok((spec, Some(name)))
    }

    fn installed_client(&self, spec: &VersionSpec) -> Option<PathBuf> {
        let mut path = self.data.join("versions");
        let version = resolve::find_installed(&path, spec)?;
        path.push(version.to_string());
        path.push(CLIENT_NAME);
        Some(path)
    }

    /// Hands over to the next `docker` on PATH that is not a dvm shim, marking the hand-over so
    /// that a chain leading back to a shim (a second dvm installation, a wrapper script) stops
    /// at the next shim instead of looping.
    fn run_system(&self, request: Option<&Request>, depth: u32) -> Result<Infallible, Failure> {
        let own = self.own_exe();
        let (hops, first_shim) = match env::var_os(RECURSION_GUARD_VAR).filter(|v| !v.is_empty()) {
            None => (0, own.as_os_str().to_os_string()),
            Some(guard) => match parse_guard(&guard) {
                Some((hops, first_shim)) if hops < MAX_SYSTEM_HOPS => (hops, first_shim.into()),
                Some((_, first_shim)) => return Err(self.loop_stopped(OsStr::new(first_shim))),
                None => return Err(self.loop_stopped(&guard)),
            },
        };
        let path_var = env::var_os("PATH");
        let shims = self.data.join("shims");
        let Some(docker) = resolve::find_system_docker(path_var.as_deref(), &shims, own) else {
            if hops > 0 {
                // Another shim's "system docker" led here, and there is nowhere further to go.
                return Err(self.loop_stopped(&first_shim));
            }
            return Err(Failure::nothing_to_run(match request {
                None => "no docker version is selected and no system docker was found on PATH; \
                         run: dvm install <version> && dvm use --global <version>"
                    .to_string(),
                Some(request) => format!(
                    "the system docker is requested by {} but no docker outside dvm's shims was \
                     found on PATH; install docker, or pick a version: dvm use <version>",
                    request.origin
                ),
            }));
        };
        let mut guard = std::ffi::OsString::from(format!("{}:", hops + 1));
        guard.push(first_shim);
        let mut command = Command::new(&docker);
        command.env(RECURSION_GUARD_VAR, guard);
        run_client(command, &docker, depth)
    }

    /// `auto`: the client the cache remembers for the endpoint this call talks to, while the
    /// choice is fresh; otherwise dvm probes the daemon, remembers, and runs the client
    /// (`dvm detect --for-shim -- ARGS`, in our place).
    fn run_auto(&self, depth: u32) -> Result<Infallible, Failure> {
        let args: Vec<std::ffi::OsString> = env::args_os().skip(1).collect();
        let key = auto::endpoint_key(
            &|name| env::var_os(name),
            &auto::ArgvEndpoint::parse(&args),
            env::var_os("HOME").map(PathBuf::from).as_deref(),
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut cache = auto::Cache::load(&self.data);
        cache.override_ttl(env::var_os(auto::TTL_VAR).as_deref().and_then(OsStr::to_str));
        if let Some(hit) = cache.fresh(&key, now)
            && let Some(client) = self.installed_client(&VersionSpec::Exact(hit.version))
        {
            return run_client(Command::new(&client), &client, depth);
        }
        let Some(dvm) = find_dvm() else {
            return Err(Failure::nothing_to_run(format!(
                "`auto` asks dvm to find the client for the daemon, but the dvm program was not \
                 found (set {DVM_EXE_VAR} to its path or put it on PATH)"
            )));
        };
        let mut command = Command::new(&dvm);
        command
            .args(["detect", "--for-shim", "--"])
            .args(&args)
            .env(DEPTH_VAR, (depth + 1).to_string());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            let error = command.exec();
            Err(Failure::cannot_run(&dvm, &error))
        }
        #[cfg(not(unix))]
        match command.status() {
            Ok(status) => std::process::exit(status.code().unwrap_or(1)),
            Err(error) => Err(Failure::cannot_run(&dvm, &error)),
        }
    }

    fn loop_stopped(&self, from: &OsStr) -> Failure {
        let path_var = env::var_os("PATH").unwrap_or_default();
        Failure::nothing_to_run(format!(
            "stopped a loop: the dvm shim {} handed over to a system docker that led back to \
             a dvm shim ({}). Is a second dvm installation's shims folder on PATH? Remove it \
             from PATH, or select an installed version: dvm use <version>\n  PATH={}",
            Path::new(from).display(),
            self.own_exe().display(),
            path_var.to_string_lossy()
        ))
    }
}

/// How many hand-overs to a system docker may nest. A docker plugin script that runs `docker`
/// again nests two; a loop (a wrapper script that calls `docker`, a second dvm's shim) stops
/// after a few cheap hops instead of running forever.
const MAX_SYSTEM_HOPS: u32 = 4;

/// `<hops>:<path of the first shim>`; anything else (say, from an older dvm) stops the chain.
fn parse_guard(guard: &OsStr) -> Option<(u32, &str)> {
    let (hops, first_shim) = guard.to_str()?.split_once(':')?;
    Some((hops.parse().ok()?, first_shim))
}

fn not_installed(spec: &VersionSpec, alias: Option<&str>, request: &Request) -> Failure {
    let alias = alias.map(|a| format!(" (alias '{a}')")).unwrap_or_default();
    Failure::nothing_to_run(format!(
        "docker {spec}{alias} is requested by {} but is not installed; run: dvm install {spec}",
        request.origin
    ))
}

/// Installs a missing version when auto-install is on; `Ok(false)` when it is off.
///
/// `DVM_AUTO_INSTALL` decides when it is set. Otherwise the setting may sit in a config file,
/// which the shim does not parse: dvm itself is asked to install only if its settings say so
/// (this costs a process, but only when the version is missing anyway).
fn auto_install(spec: &VersionSpec) -> Result<bool, Failure> {
    let from_env = env::var_os(AUTO_INSTALL_VAR).filter(|v| !v.is_empty());
    let from_env = from_env.map(|v| {
        matches!(
            v.to_string_lossy().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    });
    if from_env == Some(false) {
        return Ok(false);
    }
    let Some(dvm) = find_dvm() else {
        if from_env.is_none() {
            return Ok(false);
        }
        return Err(Failure::nothing_to_run(format!(
            "{AUTO_INSTALL_VAR} is set but the dvm program was not found (set {DVM_EXE_VAR} to \
             its path or put it on PATH); run: dvm install {spec}"
        )));
    };
    // Its stdout goes to our stderr so that the output of the docker command being run
    // (perhaps piped into another program) stays clean.
    let ask_first = from_env.is_none();
    let shown = format!(
        "{} install{} {spec}",
        dvm.display(),
        if ask_first { " --if-auto-install" } else { "" }
    );
    let mut command = Command::new(&dvm);
    command.arg("install");
    if ask_first {
        command.arg("--if-auto-install");
    }
    let status = command
        .arg(spec.to_string())
        .stdin(Stdio::null())
        .stdout(io::stderr())
        .status()
        .map_err(|e| Failure::nothing_to_run(format!("cannot run {shown}: {e}")))?;
    match status.code() {
        Some(0) => Ok(true),
        // `--if-auto-install` found the setting off.
        Some(1) if ask_first => Ok(false),
        _ => Err(Failure::nothing_to_run(format!(
            "could not install docker {spec} automatically: {shown} failed ({status})"
        ))),
    }
}

fn find_dvm() -> Option<PathBuf> {
    if let Some(exe) = env::var_os(DVM_EXE_VAR).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(exe));
    }
    env::split_paths(&env::var_os("PATH")?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(DVM_NAME))
        .find(|candidate| is_executable_file(candidate))
}

#[cfg(unix)]
fn is_executable_file(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable_file(path: &Path) -> bool {
    path.is_file()
}

/// Runs `program` with our arguments and environment, in our place where the OS allows it.
fn run_client(mut command: Command, program: &Path, depth: u32) -> Result<Infallible, Failure> {
    command.args(env::args_os().skip(1));
    command.env(DEPTH_VAR, (depth + 1).to_string());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.arg0("docker");
        let error = command.exec();
        Err(Failure::cannot_run(program, &error))
    }
    #[cfg(not(unix))]
    {
        match command.status() {
            Ok(status) => std::process::exit(status.code().unwrap_or(1)),
            Err(error) => Err(Failure::cannot_run(program, &error)),
        }
    }
}
