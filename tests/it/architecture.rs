//! The module graph of `src/`, built from its `crate::…` and `dvm::…` paths: the library's
//! modules form one downward chain of layers with no cycle, and no CLI command module uses
//! another. Also: no file over 600 lines and no function over 80, unless a `length:` comment
//! says why. `DVM_PRINT_MODULE_GRAPH=1 cargo test architecture -- --nocapture` prints the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Lowest first. A module may use modules of its own layer or of lower ones.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundations",
        &[
            "error", "context", "select", "platform", "fsutil", "digest", "layout",
        ],
    ),
    ("capabilities", &["http", "openpgp", "archive", "daemon"]),
    ("sources", &["sources"]),
    ("trust and settings", &["trust", "config"]),
    ("store", &["store"]),
    ("install", &["install"]),
    (
        "operations",
        &["active", "prune", "detect", "uninstall", "mirror"],
    ),
];

/// CLI modules that every command may use; any other `src/cli/*.rs` is a command.
const CLI_SHARED: &[&str] = &[
    "mod",
    "app",
    "args",
    "render",
    "output",
    "exit",
    "completions",
];

/// What the crate root re-exports, and the module each comes from.
const ROOT_REEXPORTS: &[(&str, &str)] = &[
    ("Error", "error"),
    ("ErrorKind", "error"),
    ("Result", "error"),
    ("Context", "context"),
    ("DockerVersion", "select"),
    ("VersionSpec", "select"),
];

const MAX_FILE_LINES: usize = 600;
const MAX_FN_LINES: usize = 80;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// A file's text without comments and string contents, line by line.
fn code_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = 0usize;
    for line in text.lines() {
        let mut code = String::new();
        let mut chars = line.chars().peekable();
        let mut in_str = false;
        while let Some(c) = chars.next() {
            if in_block > 0 {
                if c == '*' && chars.peek() == Some(&'/') {
                    chars.next();
                    in_block -= 1;
                } else if c == '/' && chars.peek() == Some(&'*') {
                    chars.next();
                    in_block += 1;
                }
                continue;
            }
            if in_str {
                if c == '\\' {
                    chars.next();
                } else if c == '"' {
                    in_str = false;
                    code.push('"');
                }
                continue;
            }
            match c {
                '"' => {
                    in_str = true;
                    code.push('"');
                }
                '/' if chars.peek() == Some(&'/') => break,
                '/' if chars.peek() == Some(&'*') => {
                    chars.next();
                    in_block += 1;
                }
                // A char literal such as '{' must not count as a brace.
                '\'' => {
                    let rest: String = chars.clone().take(3).collect();
                    if let Some(end) = rest.find('\'').filter(|&e| e > 0) {
                        for _ in 0..=end {
                            chars.next();
                        }
                        code.push_str("' '");
                    } else if rest.starts_with('\\') {
                        for n in chars.by_ref() {
                            if n == '\'' {
                                break;
                            }
                        }
                        code.push_str("' '");
                    } else {
                        code.push('\'');
                    }
                }
                _ => code.push(c),
            }
        }
        out.push(code);
    }
    out
}

/// The modules named after `prefix::` in `code` (e.g. `crate::` → `store`).
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before_ok = rest[..i]
            .chars()
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let after = &rest[i + prefix.len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if before_ok && !name.is_empty() {
            found.push(name);
        }
        rest = after;
    }
    // `use crate::{a, b::c}` names several modules at once.
    for group in code.split(&format!("{prefix}{{")).skip(1) {
        let inner = group.split('}').next().unwrap_or("");
        for part in inner.split(',') {
            let name: String = part
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != "self" {
                found.push(name);
            }
        }
    }
    found
}

/// A source file: its path relative to `src/` and its text.
struct Source {
    rel: String,
    text: String,
}

fn read_sources(src: &Path) -> Vec<Source> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<Source>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push(Source {
                    rel,
                    text: fs::read_to_string(&path).unwrap(),
                });
            }
        }
    }
    let mut out = Vec::new();
    walk(src, src, &mut out);
    out
}

/// The library node a file belongs to (`store/mod.rs` → `store`); `None` for the binary.
fn library_node(rel: &str) -> Option<String> {
    if rel == "main.rs" || rel == "lib.rs" || rel.starts_with("cli/") {
        return None;
    }
    let first = rel.split('/').next()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// The CLI module a file under `cli/` is (`cli/install.rs` → `install`).
fn cli_module(rel: &str) -> Option<String> {
    let rest = rel.strip_prefix("cli/")?;
    Some(rest.split('/').next()?.trim_end_matches(".rs").to_string())
}

struct Findings {
    graph: Graph,
    problems: Vec<String>,
}

fn check(sources: &[Source]) -> Findings {
    let mut graph = Graph::new();
    let mut problems = Vec::new();
    let cli_modules: BTreeSet<String> = sources.iter().filter_map(|s| cli_module(&s.rel)).collect();
    for source in sources {
        let lines = code_lines(&source.text);
        if let Some(node) = library_node(&source.rel) {
            let deps = graph.entry(node.clone()).or_default();
            for line in &lines {
                for dep in paths_after(line, "crate::") {
                    let dep = ROOT_REEXPORTS
                        .iter()
                        .find(|(name, _)| *name == dep)
                        .map_or(dep, |(_, module)| module.to_string());
                    if dep != node {
                        deps.insert(dep);
                    }
                }
            }
        } else if let Some(module) = cli_module(&source.rel) {
            if CLI_SHARED.contains(&module.as_str()) {
                continue;
            }
            for (n, line) in lines.iter().enumerate() {
                let used = paths_after(line, "super::")
                    .into_iter()
                    .chain(paths_after(line, "crate::cli::"));
                let used: BTreeSet<String> = used.collect();
                for other in used {
                    if other != module
                        && cli_modules.contains(&other)
                        && !CLI_SHARED.contains(&other.as_str())
                    {
                        problems.push(format!(
                            "src/{}:{}: the command module `{module}` uses the command module `{other}`; move what they share into a shared CLI module",
                            source.rel,
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    problems.extend(layer_problems(&graph));
    problems.extend(cycles(&graph));
    problems.extend(length_problems(sources));
    Findings { graph, problems }
}

fn layer_of(node: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, nodes)| nodes.contains(&node))
}

fn layer_problems(graph: &Graph) -> Vec<String> {
    let mut problems = Vec::new();
    for (node, deps) in graph {
        let Some(mine) = layer_of(node) else {
            problems.push(format!(
                "the library module `{node}` is in no layer: add it to LAYERS"
            ));
            continue;
        };
        for dep in deps {
            match layer_of(dep) {
                Some(theirs) if theirs > mine => problems.push(format!(
                    "`{node}` ({}) uses `{dep}` ({}), a higher layer",
                    LAYERS[mine].0, LAYERS[theirs].0
                )),
                _ => {}
            }
        }
    }
    problems
}

/// Every cycle, each reported once as the path that closes it.
fn cycles(graph: &Graph) -> Vec<String> {
    fn visit(
        node: &str,
        graph: &Graph,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<String>,
    ) {
        if let Some(start) = stack.iter().position(|n| n == node) {
            let mut path = stack[start..].to_vec();
            path.push(node.to_string());
            found.push(format!("module cycle: {}", path.join(" -> ")));
            return;
        }
        if !done.insert(node.to_string()) {
            return;
        }
        stack.push(node.to_string());
        for dep in graph.get(node).into_iter().flatten() {
            if graph.contains_key(dep) {
                visit(dep, graph, stack, done, found);
            }
        }
        stack.pop();
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

fn length_problems(sources: &[Source]) -> Vec<String> {
    let mut problems = Vec::new();
    for source in sources {
        let raw: Vec<&str> = source.text.lines().collect();
        let excused_file = raw.iter().take(12).any(|l| l.contains("length:"));
        if raw.len() > MAX_FILE_LINES && !excused_file {
            problems.push(format!(
                "src/{} has {} lines (at most {MAX_FILE_LINES}, unless a `length:` comment at its top says why)",
                source.rel,
                raw.len()
            ));
        }
        let code = code_lines(&source.text);
        for (start, line) in code.iter().enumerate() {
            let Some(name) = fn_name(line) else { continue };
            let Some(len) = fn_length(&code, start) else {
                continue;
            };
            let excused = start > 0 && raw[start - 1].contains("length:");
            if len > MAX_FN_LINES && !excused {
                problems.push(format!(
                    "src/{}:{}: fn {name} has {len} lines (at most {MAX_FN_LINES}, unless a `length:` comment above it says why)",
                    source.rel,
                    start + 1
                ));
            }
        }
    }
    problems
}

fn fn_name(line: &str) -> Option<String> {
    let mut words = line.split_whitespace().peekable();
    while let Some(w) = words.next() {
        if w == "fn" {
            let name: String = words
                .next()?
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            return (!name.is_empty()).then_some(name);
        }
        let modifier = w.starts_with("pub") || matches!(w, "const" | "unsafe" | "async" | "extern");
        if !modifier {
            return None;
        }
    }
    None
}

/// Lines from a `fn` line to its closing brace; `None` for a declaration without a body.
fn fn_length(code: &[String], start: usize) -> Option<usize> {
    let mut depth = 0i64;
    let mut opened = false;
    for (i, line) in code.iter().enumerate().skip(start) {
        for c in line.chars() {
            match c {
                '{' => {
                    depth += 1;
                    opened = true;
                }
                '}' => depth -= 1,
                ';' if !opened && depth == 0 => return None,
                _ => {}
            }
        }
        if opened && depth <= 0 {
            return Some(i - start + 1);
        }
    }
    None
}

fn render(graph: &Graph) -> String {
    let mut out = String::new();
    for (layer, nodes) in LAYERS {
        out.push_str(&format!("{layer}:\n"));
        for node in *nodes {
            if let Some(deps) = graph.get(*node) {
                let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
                out.push_str(&format!("  {node} -> {}\n", deps.join(", ")));
            }
        }
    }
    out
}

#[test]
fn the_module_graph_flows_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let findings = check(&read_sources(&src));
    if std::env::var_os("DVM_PRINT_MODULE_GRAPH").is_some() {
        println!("{}", render(&findings.graph));
    }
    assert!(
        findings.problems.is_empty(),
        "{} architecture problem(s):\n- {}\n\nmodule graph:\n{}",
        findings.problems.len(),
        findings.problems.join("\n- "),
        render(&findings.graph)
    );
}

fn sources(files: &[(&str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(rel, text)| Source {
            rel: rel.to_string(),
            text: text.to_string(),
        })
        .collect()
}

#[test]
fn the_checker_finds_a_cycle_and_an_upward_use() {
    let found = check(&sources(&[
        ("error.rs", "use crate::layout::Layout;"),
        ("layout.rs", "fn f() { crate::error::Error::new(); }"),
        ("store/mod.rs", "use crate::{error, install::x};"),
        ("install/mod.rs", "use crate::store::Store;"),
    ]));
    let text = found.problems.join("\n");
    assert!(
        text.contains("module cycle: error -> layout -> error"),
        "{text}"
    );
    assert!(
        text.contains("`store` (store) uses `install` (install), a higher layer"),
        "{text}"
    );
    assert!(
        text.contains("module cycle: install -> store -> install"),
        "{text}"
    );
}

#[test]
fn the_checker_ignores_comments_and_strings() {
    let found = check(&sources(&[
        (
            "error.rs",
            "// crate::store is only mentioned\nconst S: &str = \"crate::store\";\n/* crate::install */",
        ),
        ("store/mod.rs", "use crate::error::Error;"),
    ]));
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    assert_eq!(found.graph["store"], BTreeSet::from(["error".to_string()]));
}

#[test]
fn the_checker_finds_commands_using_each_other_and_unknown_modules() {
    let found = check(&sources(&[
        (
            "cli/install.rs",
            "use super::render::line;\nuse super::detect::api;",
        ),
        ("cli/detect.rs", "use super::args::SourceArgs;"),
        ("cli/render.rs", "use super::install::x;"),
        ("mystery.rs", ""),
    ]));
    assert_eq!(found.problems.len(), 2, "{:?}", found.problems);
    assert!(
        found.problems[0].contains("src/cli/install.rs:2"),
        "{:?}",
        found.problems
    );
    assert!(
        found.problems[1].contains("`mystery` is in no layer"),
        "{:?}",
        found.problems
    );
}

#[test]
fn the_checker_measures_files_and_functions() {
    let long_fn = format!("fn big() {{\n{}}}\n", "    let x = '{';\n".repeat(85));
    let excused = format!(
        "// length: one table\nfn table() {{\n{}}}\n",
        "    1;\n".repeat(90)
    );
    let found = check(&sources(&[
        ("error.rs", &long_fn),
        ("layout.rs", &excused),
        ("digest.rs", &"\n".repeat(601)),
    ]));
    let text = found.problems.join("\n");
    assert!(
        text.contains("src/error.rs:1: fn big has 87 lines"),
        "{text}"
    );
    assert!(!text.contains("table"), "{text}");
    assert!(text.contains("src/digest.rs has 601 lines"), "{text}");
    assert_eq!(found.problems.len(), 2, "{text}");
}
