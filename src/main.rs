//! The `dvm` binary: parse the arguments, run one command, map the error to its exit code.

mod cli;

fn main() {
    // A shell asking for completions (DVM_COMPLETE set) is answered here, before anything else
    // runs; otherwise this returns at once.
    cli::serve_completion_request();
    std::process::exit(cli::main());
}
