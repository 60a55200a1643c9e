//! `dvm-bench`: what `bench/run` needs besides the shell.
//!
//! Fixtures:
//!   dvm-bench client --size BYTES --out FILE        an ELF-looking client, compressible like one
//!   dvm-bench rpm --client FILE --out FILE [--level N] [--version V --release R]
//!   dvm-bench tgz --client FILE --out FILE
//!   dvm-bench mirror --out DIR                      a static replica for `DVM_MIRROR`
//!   dvm-bench big-repo --out DIR --packages N       a docker-ce repository of N builds
//! Timing (prints `RESULT<TAB>name<TAB>...` on stdout, a readable line on stderr):
//!   dvm-bench pairs --name N --pairs P --warmup W [--repeat K] [--cwd DIR]
//!       --a-label L --a CMD [--a-setup CMD] --b-label L --b CMD [--b-setup CMD]
//!   dvm-bench time --name N --runs P --warmup W [--cwd DIR] --cmd CMD [--setup CMD]
//! A CMD starting with `exec:` is split on spaces and spawned directly; any other CMD (and every
//! setup) runs through `/bin/sh -c`. Setups are not timed. A failing command stops the run.

mod fixtures;
mod timing;

use std::collections::HashMap;
use std::process::ExitCode;

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("usage: dvm-bench client|rpm|tgz|mirror|big-repo|pairs|time [--option value]...");
        return ExitCode::from(2);
    };
    let outcome = Options::parse(rest).and_then(|opts| match command.as_str() {
        "client" => fixtures::client(&opts),
        "rpm" => fixtures::rpm(&opts),
        "tgz" => fixtures::tgz(&opts),
        "mirror" => fixtures::mirror(&opts),
        "big-repo" => fixtures::big_repo(&opts),
        "pairs" => timing::pairs(&opts),
        "time" => timing::time(&opts),
        other => Err(format!("unknown command {other:?}")),
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dvm-bench {command}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--key value` pairs; every option takes a value.
pub struct Options(HashMap<String, String>);

impl Options {
    fn parse(args: &[String]) -> Result<Options> {
        let mut map = HashMap::new();
        let mut it = args.iter();
        while let Some(key) = it.next() {
            let name = key
                .strip_prefix("--")
                .ok_or_else(|| format!("expected --option, got {key:?}"))?;
            let value = it.next().ok_or_else(|| format!("{key} needs a value"))?;
            map.insert(name.to_string(), value.clone());
        }
        Ok(Options(map))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn need(&self, key: &str) -> Result<&str> {
        self.get(key).ok_or_else(|| format!("--{key} is required"))
    }

    pub fn number(&self, key: &str, default: u64) -> Result<u64> {
        match self.get(key) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| format!("--{key} {text:?} is not a whole number")),
        }
    }
}
