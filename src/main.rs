//! The `dvm` binary: parse the arguments, run one command, map the error to its exit code.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
