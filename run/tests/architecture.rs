//! The module map at the top of `run/src/lib.rs` is the crate's architecture, and this test
//! keeps the code to it: every module of the crate is on exactly one floor of the map, every
//! arrow (a `crate::` or `super::` path in one file naming another file's module) points to
//! the same floor or a lower one, and the files form no cycle.
//!
//! Files are the nodes, as a reader sees them. Comments (doc links included) and
//! `#[cfg(test)]` modules are not arrows: they do not make the code depend on anything.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// The floors, top to bottom, as `lib.rs` names them.
const FLOORS: [&str; 4] = ["faces", "layers", "core", "leaves"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src`, by its path relative to `src` (`core/scope.rs`).
fn files() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in fs::read_dir(dir).expect("src is readable") {
            let path = entry.expect("src is readable").path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let relative = path.strip_prefix(root).unwrap();
                let relative = relative.to_string_lossy().replace('\\', "/");
                out.insert(relative, fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&src(), &src(), &mut out);
    out
}

/// The module path of a file: `core/mod.rs` and `core.rs` are `core`, `lib.rs` is the root.
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The text without comments and without `#[cfg(test)]` modules.
fn code_of(text: &str) -> String {
    let mut code = String::with_capacity(text.len());
    for line in text.lines() {
        // A `//` inside a string literal (a URL) cuts the line short; such a line names no
        // module after it in this crate.
        code.push_str(line.split("//").next().unwrap_or(""));
        code.push('\n');
    }
    let mut out = String::with_capacity(code.len());
    let mut rest = code.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        if let Some(module) = trimmed.strip_prefix("mod ") {
            let open = module.find('{');
            let semi = module.find(';');
            if let Some(open) = open.filter(|open| semi.is_none_or(|semi| *open < semi)) {
                let mut depth = 0usize;
                let mut end = module.len();
                for (index, ch) in module[open..].char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + index + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                rest = &module[end..];
                continue;
            }
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// The paths a file names: every `crate::a::b` and `super::a` path written inline, and every
/// leaf of every `use` tree (`use crate::{a::b, c}` names `crate::a::b` and `crate::c`).
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    // Inline paths.
    let bytes: Vec<char> = code.chars().collect();
    let mut index = 0;
    while index < bytes.len() {
        let starts_word = index == 0 || !is_ident(bytes[index - 1]);
        if starts_word && bytes[index].is_alphabetic() {
            let mut end = index;
            while end < bytes.len() && (is_ident(bytes[end]) || bytes[end] == ':') {
                end += 1;
            }
            let word: String = bytes[index..end].iter().collect();
            let segments: Vec<String> = word
                .split("::")
                .filter(|segment| !segment.is_empty())
                .map(str::to_owned)
                .collect();
            if matches!(
                segments.first().map(String::as_str),
                Some("crate" | "super")
            ) && segments.len() > 1
            {
                paths.push(segments);
            }
            index = end.max(index + 1);
        } else {
            index += 1;
        }
    }
    // `use` trees: a `use` that starts a line (after its visibility, if any), not the word in
    // a comment or a string.
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let line_start = rest[..at].rfind('\n').map_or(0, |newline| newline + 1);
        let lead = rest[line_start..at].trim();
        let starts_item = (lead.is_empty() || lead == "pub" || lead.starts_with("pub("))
            && rest[..at]
                .chars()
                .next_back()
                .is_none_or(|ch| !is_ident(ch));
        let tree_start = &rest[at + 4..];
        if starts_item {
            let end = tree_start.find(';').unwrap_or(tree_start.len());
            flatten(&tree_start[..end], &mut Vec::new(), &mut paths);
            rest = &tree_start[end..];
        } else {
            rest = tree_start;
        }
    }
    paths
}

/// Flattens one use tree into its leaves' paths.
fn flatten(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let tree = tree.replace(" ::", "::").replace(":: ", "::");
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or("");
        let mut segments: Vec<String> = prefix.clone();
        segments.extend(
            path.split("::")
                .map(str::trim)
                .filter(|segment| !segment.is_empty() && *segment != "*" && *segment != "self")
                .map(str::to_owned),
        );
        out.push(segments);
        return;
    };
    let head: Vec<String> = tree[..open]
        .split("::")
        .map(str::trim)
        .filter(|segment| !segment.is_empty())
        .map(str::to_owned)
        .collect();
    let body = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let depth_before = prefix.len();
    prefix.extend(head);
    let mut depth = 0usize;
    let mut start = 0;
    for (index, ch) in body.char_indices().chain([(body.len(), ',')]) {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                let part = body[start..index].trim();
                if !part.is_empty() {
                    flatten(part, prefix, out);
                }
                start = index + 1;
            }
            _ => {}
        }
    }
    prefix.truncate(depth_before);
}

/// The arrows between files: from each file to the files whose modules it names.
fn arrows(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let by_module: BTreeMap<Vec<String>, String> = files
        .keys()
        .map(|file| (module_of(file), file.clone()))
        .collect();
    let resolve = |segments: &[String]| {
        (1..=segments.len())
            .rev()
            .find_map(|len| by_module.get(&segments[..len]).cloned())
    };
    let mut arrows = BTreeMap::new();
    for (file, text) in files {
        let here = module_of(file);
        let mut to = BTreeSet::new();
        for path in paths_in(&code_of(text)) {
            let full: Vec<String> = match path[0].as_str() {
                "crate" => path[1..].to_vec(),
                "super" | "self" => {
                    let ups = path.iter().take_while(|s| *s == "super").count();
                    let skip = path
                        .iter()
                        .take_while(|s| *s == "super" || *s == "self")
                        .count();
                    let keep = here.len().saturating_sub(ups);
                    here[..keep]
                        .iter()
                        .cloned()
                        .chain(path[skip..].iter().cloned())
                        .collect()
                }
                _ => continue,
            };
            if let Some(target) = resolve(&full) {
                if &target != file {
                    to.insert(target);
                }
            }
        }
        arrows.insert(file.clone(), to);
    }
    arrows
}

/// The top-level modules `lib.rs` declares, by name, with the file stem each one lives in
/// (`#[path = "private.rs"] pub mod __private;` lives in `private`).
fn declared_modules(lib: &str) -> BTreeMap<String, String> {
    let mut modules = BTreeMap::new();
    let mut path_attribute: Option<String> = None;
    for line in lib.lines().map(str::trim) {
        if let Some(path) = line.strip_prefix("#[path = \"") {
            path_attribute = path
                .split('"')
                .next()
                .map(|p| p.trim_end_matches(".rs").to_owned());
            continue;
        }
        let declaration = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "))
            .and_then(|rest| rest.strip_suffix(';'));
        if let Some(name) = declaration {
            let stem = path_attribute.take().unwrap_or_else(|| name.to_owned());
            modules.insert(name.to_owned(), stem);
        } else if !line.starts_with("#[") {
            path_attribute = None;
        }
    }
    modules
}

/// The floor of each top-level module (by file stem), read from the map in `lib.rs`: one
/// line per floor, its modules in parentheses: ``//! - **faces** (`group`, ...): ...``.
fn floors(lib: &str, modules: &BTreeMap<String, String>) -> BTreeMap<String, usize> {
    let mut floors = BTreeMap::new();
    for line in lib.lines() {
        let Some(entry) = line.trim_start().strip_prefix("//! - **") else {
            continue;
        };
        let Some((floor, rest)) = entry.split_once("**") else {
            continue;
        };
        let Some(level) = FLOORS.iter().position(|name| *name == floor) else {
            continue;
        };
        let listed = rest
            .trim_start()
            .strip_prefix('(')
            .and_then(|rest| rest.split_once(')'))
            .map_or("", |(names, _)| names);
        for name in listed.split('`').skip(1).step_by(2) {
            let stem = modules.get(name).unwrap_or_else(|| {
                panic!("lib.rs's map lists `{name}`, which lib.rs does not declare")
            });
            let before = floors.insert(stem.clone(), level);
            assert!(before.is_none(), "lib.rs's map lists `{name}` twice");
        }
    }
    floors
}

fn lib() -> String {
    fs::read_to_string(src().join("lib.rs")).unwrap()
}

#[test]
fn every_module_is_on_one_floor_of_the_map() {
    let lib = lib();
    let modules = declared_modules(&lib);
    let floors = floors(&lib, &modules);
    let unplaced: Vec<&String> = modules
        .iter()
        .filter(|(_, stem)| !floors.contains_key(*stem))
        .map(|(name, _)| name)
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules missing from the map at the top of lib.rs: {unplaced:?}"
    );
}

#[test]
fn arrows_point_down_only() {
    let lib = lib();
    let floors = floors(&lib, &declared_modules(&lib));
    let floor_of = |file: &str| {
        let top = module_of(file).into_iter().next()?;
        floors.get(&top).copied()
    };
    let mut upward = Vec::new();
    for (from, targets) in arrows(&files()) {
        let Some(from_floor) = floor_of(&from) else {
            continue; // lib.rs: the root re-exports every floor
        };
        for to in targets {
            match floor_of(&to) {
                Some(to_floor) if to_floor >= from_floor => {}
                Some(to_floor) => upward.push(format!(
                    "{from} ({}) -> {to} ({})",
                    FLOORS[from_floor], FLOORS[to_floor]
                )),
                None => upward.push(format!(
                    "{from} ({}) -> {to} (the root)",
                    FLOORS[from_floor]
                )),
            }
        }
    }
    assert!(
        upward.is_empty(),
        "arrows against the map in lib.rs:\n{}",
        upward.join("\n")
    );
}

/// The sets of files that reach each other through their arrows (Tarjan's strongly
/// connected components of more than one file).
fn cycles(arrows: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Search<'a> {
        arrows: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        cycles: Vec<Vec<String>>,
    }
    impl<'a> Search<'a> {
        fn visit(&mut self, file: &'a str) {
            let at = self.index.len();
            self.index.insert(file, at);
            self.low.insert(file, at);
            self.stack.push(file);
            for to in self.arrows.get(file).into_iter().flatten() {
                let to = to.as_str();
                if !self.index.contains_key(to) {
                    self.visit(to);
                    let low = self.low[file].min(self.low[to]);
                    self.low.insert(file, low);
                } else if self.stack.contains(&to) {
                    let low = self.low[file].min(self.index[to]);
                    self.low.insert(file, low);
                }
            }
            if self.low[file] == self.index[file] {
                let mut component = Vec::new();
                loop {
                    let member = self.stack.pop().unwrap();
                    component.push(member.to_owned());
                    if member == file {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort_unstable();
                    self.cycles.push(component);
                }
            }
        }
    }
    let mut search = Search {
        arrows,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        cycles: Vec::new(),
    };
    for file in arrows.keys() {
        if !search.index.contains_key(file.as_str()) {
            search.visit(file);
        }
    }
    search.cycles
}

#[test]
fn the_files_form_no_cycle() {
    let cycles = cycles(&arrows(&files()));
    assert!(cycles.is_empty(), "module cycles: {cycles:?}");
}

/// The checks can fail: a made-up cycle and an upward arrow are found.
#[test]
fn the_checks_see_a_cycle_and_an_upward_arrow() {
    let files: BTreeMap<String, String> = [
        ("a.rs", "use crate::b::{Thing, other::Else};"),
        ("b.rs", "fn f() { super::a::g(); }"),
        ("b/other.rs", "// use crate::a; is a comment, not an arrow"),
    ]
    .into_iter()
    .map(|(file, text)| (file.to_owned(), text.to_owned()))
    .collect();
    let arrows = arrows(&files);
    assert_eq!(
        arrows["a.rs"],
        BTreeSet::from(["b.rs".to_owned(), "b/other.rs".to_owned()])
    );
    assert_eq!(arrows["b.rs"], BTreeSet::from(["a.rs".to_owned()]));
    assert!(arrows["b/other.rs"].is_empty());
    assert_eq!(
        cycles(&arrows),
        vec![vec!["a.rs".to_owned(), "b.rs".to_owned()]]
    );
    let lib = "mod a;\n#[path = \"b_file.rs\"]\npub mod b;\n//! - **core** (`a`): the core\n//! - **leaves** (`b`): below `a`\n";
    let floors = floors(lib, &declared_modules(lib));
    assert_eq!(floors["a"], 2);
    assert_eq!(floors["b_file"], 3);
    let code = code_of("use crate::x;\n#[cfg(test)]\nmod tests { use crate::y; }\n");
    assert!(code.contains("crate::x") && !code.contains("crate::y"));
}
