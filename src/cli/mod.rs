//! The command line: clap definitions, one module per command, and the rendering of results
//! and errors. Commands call the library; the library never prints.

mod alias;
mod args;
mod cache;
mod completions;
mod config;
mod current;
mod detect;
mod doctor;
mod exec;
mod exit;
mod init;
mod install;
mod ls;
mod ls_remote;
mod man;
mod mirror;
mod output;
mod prune;
mod render;
mod setup;
mod trust;
mod uninstall;
mod use_version;
mod verify;
mod which;

use clap::{Parser, Subcommand, ValueEnum};

use dvm::context::Context;
use dvm::error::{Error, Result};
use dvm::layout::Layout;
use dvm::store::Store;

pub use completions::serve_completion_request;
use exit::ExitStatus;
pub use output::Output;

const AFTER_HELP: &str = "\
Examples:
  dvm install 1.12.6            install a client from Docker's download hosts
  dvm install --from ./docker-engine-1.12.6-1.fc24.x86_64.rpm
  dvm use 1.12.6                use it in this shell (needs `dvm init`)
  dvm local 20.10               pin this folder with a .docker-version file
  dvm detect                    pick the client that matches the daemon

Exit codes: 0 ok, 1 check failed, 2 usage, 3 not found, 4 network, 5 integrity,
6 bad archive, 7 filesystem, 8 config, 9 daemon, 70 internal error,
127 nothing to run (the docker shim) or the command could not be run (dvm exec).";

#[derive(Parser)]
#[command(name = "dvm", version, about = "Docker client version manager: install, pin and switch docker CLI versions", after_help = AFTER_HELP)]
pub struct Cli {
    /// When to use colour: auto, always or never (NO_COLOR is respected).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also say what dvm does step by step: each download (with its size and whether it
    /// resumed), each cached file used, each retry. `DVM_LOG=debug` does the same.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
}

#[derive(Subcommand)]
pub enum Command {
    /// Install a docker client: `dvm install 20.10`, or `dvm install --from FILE|URL`.
    Install(install::Args),
    /// Remove an installed version: `dvm uninstall 1.12.6`.
    Uninstall(uninstall::Args),
    /// List installed versions, marking the active one and the default.
    Ls(ls::Args),
    /// List versions available for download.
    #[command(name = "ls-remote")]
    LsRemote(ls_remote::Args),
    /// Use a version in this shell (`--global` sets the default for every shell).
    Use(use_version::UseArgs),
    /// Set the global default version (same as `dvm use --global`).
    Default(use_version::DefaultArgs),
    /// Pin the current folder: writes `.docker-version` here.
    Local(use_version::LocalArgs),
    /// Show the version `docker` runs here, and why.
    Current(current::Args),
    /// Print the path of a version's client (the active one by default).
    Which(which::Args),
    /// Run a command with a version's client first on PATH.
    Exec(exec::Args),
    /// Print the shell integration, for eval in your shell's rc file.
    Init(init::Args),
    /// Ask the Docker daemon for its API version and use the matching client.
    Detect(detect::Args),
    /// Create dvm's folders, place the shim and add the shell integration to your rc files.
    Setup(setup::Args),
    /// Check the installation and say how to fix each problem.
    Doctor(doctor::Args),
    /// Re-check installed clients against the sha256 recorded at install time.
    Verify(verify::Args),
    /// Name a version: `dvm alias work 1.12.6`, then `dvm use work`.
    Alias(alias::AliasArgs),
    /// Remove an alias.
    Unalias(alias::UnaliasArgs),
    /// List aliases.
    Aliases(alias::AliasesArgs),
    /// Read and write settings (config.toml).
    Config(config::Args),
    /// Downloaded archives and listings: `dvm cache dir`, `dvm cache clean`.
    Cache(cache::Args),
    /// Trust-on-first-use records of static tarballs: `dvm trust forget 24.0.7`.
    Trust(trust::Args),
    /// Print shell completions.
    Completions(completions::Args),
    /// Remove versions installed long ago and cached downloads nothing needs.
    Prune(prune::Args),
    /// Write chosen clients into a tree any static web server can serve (DVM_MIRROR).
    Mirror(mirror::Args),
    /// Print the manual page (roff): `dvm man > dvm.1`, or one command's: `dvm man install`.
    Man(man::Args),
}

/// Everything a command needs: the environment, the store and how to print.
pub struct App {
    pub ctx: Context,
    pub layout: Layout,
    pub store: Store,
    pub out: Output,
}

impl App {
    fn new(ctx: Context, cli: &Cli) -> Result<Self> {
        let layout = Layout::from_context(&ctx)?;
        let verbose = cli.verbose
            || ctx
                .var("DVM_LOG")
                .is_some_and(|v| matches!(v.trim(), "debug" | "trace" | "1" | "verbose"));
        let mut out = Output::new(&ctx, cli.color, cli.quiet);
        out.verbose = verbose && !cli.quiet;
        Ok(App {
            store: Store::new(layout.clone()),
            layout,
            ctx,
            out,
        })
    }

    /// The running dvm executable, by its absolute path.
    pub fn exe(&self) -> Result<std::path::PathBuf> {
        std::env::current_exe().map_err(|e| {
            Error::internal(format!("cannot find the dvm executable: {e}"))
                .with_hint("run dvm by its full path")
        })
    }

    /// Places or refreshes the shim, warning when others could replace it.
    pub fn ensure_shim(&self) -> Result<()> {
        self.store.ensure_shim()?;
        for path in self.store.writable_by_others(false) {
            self.out.warn(format!(
                "{} is writable by other users, who could replace the docker you run; fix: chmod go-w {}",
                path.display(),
                path.display()
            ));
        }
        Ok(())
    }
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match parse_command_line() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let ctx = Context::from_process();
    let quiet = cli.quiet;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(ctx, cli)));
    match result {
        Ok(Ok(status)) => status.code(),
        Ok(Err(e)) => {
            output::print_error(&e);
            e.exit_code()
        }
        Err(_) => {
            if !quiet {
                eprintln!("dvm: this is a bug in dvm; please report it with the command you ran");
            }
            dvm::ErrorKind::Internal.exit_code()
        }
    }
}

/// Parses the arguments, or prints clap's help, version or usage error and returns its exit
/// code. Under `--shell-eval` the shell function evaluates stdout, so all of that goes to stderr.
fn parse_command_line() -> std::result::Result<Cli, i32> {
    let shell_eval = std::env::args_os().any(|arg| {
        arg.to_str()
            .is_some_and(|a| a == "--shell-eval" || a.starts_with("--shell-eval="))
    });
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) if shell_eval => {
            eprint!("{}", e.render());
            Err(e.exit_code())
        }
        Err(e) => e.exit(),
    }
}

fn run(ctx: Context, cli: Cli) -> Result<ExitStatus> {
    if let Command::Completions(args) = &cli.command {
        return completions::run(args);
    }
    if let Command::Man(args) = &cli.command {
        return man::run(args);
    }
    let app = App::new(ctx, &cli)?;
    match cli.command {
        Command::Install(args) => install::run(&app, args),
        Command::Uninstall(args) => uninstall::run(&app, args),
        Command::Ls(args) => ls::run(&app, args),
        Command::LsRemote(args) => ls_remote::run(&app, args),
        Command::Use(args) => use_version::run_use(&app, args),
        Command::Default(args) => use_version::run_default(&app, args),
        Command::Local(args) => use_version::run_local(&app, args),
        Command::Current(args) => current::run(&app, args),
        Command::Which(args) => which::run(&app, args),
        Command::Exec(args) => exec::run(&app, args),
        Command::Init(args) => init::run(&app, args),
        Command::Detect(args) => detect::run(&app, args),
        Command::Setup(args) => setup::run(&app, args),
        Command::Doctor(args) => doctor::run(&app, args),
        Command::Verify(args) => verify::run(&app, args),
        Command::Alias(args) => alias::run_alias(&app, args),
        Command::Unalias(args) => alias::run_unalias(&app, args),
        Command::Aliases(args) => alias::run_aliases(&app, args),
        Command::Config(args) => config::run(&app, args),
        Command::Cache(args) => cache::run(&app, args),
        Command::Trust(args) => trust::run(&app, args),
        Command::Completions(args) => completions::run(&args),
        Command::Prune(args) => prune::run(&app, args),
        Command::Mirror(args) => mirror::run(&app, args),
        Command::Man(args) => man::run(&args),
    }
}

/// Parses a version spec argument into a usage error that names it.
pub fn parse_spec(text: &str) -> Result<dvm::VersionSpec> {
    dvm::VersionSpec::parse(text).map_err(|e| {
        Error::usage(e.to_string())
            .with_hint("versions look like 1.12.6, 20.10, 17.03.0-ce or latest")
    })
}
