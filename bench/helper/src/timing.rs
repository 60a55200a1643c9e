//! Timing in alternating pairs: A then B, then B then A, so that drift (caches, frequency,
//! other load) falls on both sides alike. Medians, not means: one slow outlier does not move them.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Options, Result};

/// What one side runs. `exec:` commands are spawned directly, the rest through `sh -c`.
struct Side {
    label: String,
    setup: Option<String>,
    command: String,
    /// Captures stderr so that a failure can be shown; truncated before each run.
    stderr: File,
}

impl Side {
    fn new(label: &str, command: &str, setup: Option<&str>) -> Result<Side> {
        Ok(Side {
            label: label.to_string(),
            setup: setup.map(str::to_string),
            command: command.to_string(),
            stderr: tempfile()?,
        })
    }

    fn build(&self, command: &str) -> Result<Command> {
        let mut cmd = match command.strip_prefix("exec:") {
            Some(argv) => {
                let mut words = argv.split_whitespace();
                let program = words.next().ok_or("empty exec: command")?;
                let mut cmd = Command::new(program);
                cmd.args(words);
                cmd
            }
            None => {
                let mut cmd = Command::new("/bin/sh");
                cmd.arg("-c").arg(command);
                cmd
            }
        };
        let stderr = self
            .stderr
            .try_clone()
            .map_err(|e| format!("stderr file: {e}"))?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        Ok(cmd)
    }

    fn run(&mut self, command: &str) -> Result<()> {
        self.stderr
            .set_len(0)
            .and_then(|()| self.stderr.seek(SeekFrom::Start(0)).map(|_| ()))
            .map_err(|e| format!("stderr file: {e}"))?;
        let status = self
            .build(command)?
            .status()
            .map_err(|e| format!("cannot run {command:?}: {e}"))?;
        if status.success() {
            return Ok(());
        }
        let mut text = String::new();
        let _ = self.stderr.seek(SeekFrom::Start(0));
        let _ = self.stderr.read_to_string(&mut text);
        Err(format!(
            "{} failed ({status}): {command}\n{}",
            self.label,
            text.trim_end()
        ))
    }

    /// Runs the setup (untimed), then `repeat` runs of the command; returns the time per run.
    fn sample(&mut self, repeat: u32) -> Result<Duration> {
        if let Some(setup) = self.setup.clone() {
            self.run(&setup)?;
        }
        let command = self.command.clone();
        let start = Instant::now();
        for _ in 0..repeat {
            self.run(&command)?;
        }
        Ok(start.elapsed() / repeat)
    }
}

fn tempfile() -> Result<File> {
    let dir = std::env::temp_dir();
    for attempt in 0..100u32 {
        let path = dir.join(format!("dvm-bench-{}-{attempt}.err", std::process::id()));
        if let Ok(file) = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            // Unlinked at once: the open handle is all we need.
            let _ = std::fs::remove_file(&path);
            return Ok(file);
        }
    }
    Err(format!("cannot create a file in {}", dir.display()))
}

fn enter(opts: &Options) -> Result<()> {
    // The process moves, not the children: a spawn without a working directory of its own
    // stays on the fast posix_spawn path.
    if let Some(dir) = opts.get("cwd") {
        std::env::set_current_dir(Path::new(dir)).map_err(|e| format!("cd {dir}: {e}"))?;
    }
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `pairs`: prints `RESULT name a_median_ms b_median_ms ratio median_of_differences_ms pairs`.
pub fn pairs(opts: &Options) -> Result<()> {
    let name = opts.need("name")?;
    let count = opts.number("pairs", 20)? as usize;
    let warmup = opts.number("warmup", 2)? as usize;
    let repeat = opts.number("repeat", 1)?.max(1) as u32;
    let mut a = Side::new(
        opts.get("a-label").unwrap_or("A"),
        opts.need("a")?,
        opts.get("a-setup"),
    )?;
    let mut b = Side::new(
        opts.get("b-label").unwrap_or("B"),
        opts.need("b")?,
        opts.get("b-setup"),
    )?;
    enter(opts)?;
    let (mut times_a, mut times_b, mut diffs) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..warmup + count {
        let (ta, tb) = if i % 2 == 0 {
            let ta = a.sample(repeat)?;
            (ta, b.sample(repeat)?)
        } else {
            let tb = b.sample(repeat)?;
            (a.sample(repeat)?, tb)
        };
        if i >= warmup {
            times_a.push(ms(ta));
            times_b.push(ms(tb));
            diffs.push(ms(ta) - ms(tb));
        }
    }
    let (ma, mb, md) = (
        median(&mut times_a),
        median(&mut times_b),
        median(&mut diffs),
    );
    eprintln!(
        "{name}: {} {ma:.3} ms, {} {mb:.3} ms, ratio {:.3}, difference {md:.3} ms ({count} pairs)",
        a.label,
        b.label,
        ma / mb
    );
    println!(
        "RESULT\t{name}\t{ma:.3}\t{mb:.3}\t{:.3}\t{md:.3}\t{count}",
        ma / mb
    );
    Ok(())
}

/// `time`: prints `RESULT name median_ms max_ms runs`.
pub fn time(opts: &Options) -> Result<()> {
    let name = opts.need("name")?;
    let runs = opts.number("runs", 20)? as usize;
    let warmup = opts.number("warmup", 2)? as usize;
    let mut side = Side::new(name, opts.need("cmd")?, opts.get("setup"))?;
    enter(opts)?;
    let mut times = Vec::new();
    for i in 0..warmup + runs {
        let t = side.sample(1)?;
        if i >= warmup {
            times.push(ms(t));
        }
    }
    let max = times.iter().copied().fold(f64::NAN, f64::max);
    let med = median(&mut times);
    eprintln!("{name}: median {med:.3} ms, max {max:.3} ms ({runs} runs)");
    println!("RESULT\t{name}\t{med:.3}\t{max:.3}\t{runs}");
    Ok(())
}
