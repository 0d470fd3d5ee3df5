//! The layering written in `lib.rs` holds in the code: no module names a module of its own or
//! a higher layer (`crate::…` paths, also inside `use crate::{…}`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Module name → layer (0 = top), read from the crate documentation's list.
fn layers(lib_rs: &str) -> BTreeMap<String, usize> {
    let mut ranks = BTreeMap::new();
    let items = lib_rs.lines().skip_while(|l| !l.starts_with("//! Layers")).skip(1).take_while(|l| l.starts_with("//!"));
    for (layer, line) in items.filter(|l| l.starts_with("//! - ")).enumerate() {
        let names = line.split(':').next().unwrap_or("");
        for name in names.split('`').skip(1).step_by(2) {
            ranks.insert(name.to_string(), layer);
        }
    }
    ranks
}

/// The files of module `name`.
fn files_of(src: &Path, name: &str) -> Vec<PathBuf> {
    let single = src.join(format!("{name}.rs"));
    if single.is_file() {
        return vec![single];
    }
    walkdir::WalkDir::new(src.join(name))
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect()
}

/// The crate-level modules a text names.
fn named_modules(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            names.extend(group.split(',').map(|p| p.trim().split("::").next().unwrap_or("").to_string()));
        } else {
            names.push(rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect());
        }
    }
    names.retain(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
    names
}

#[test]
fn no_module_uses_its_own_layer_or_a_higher_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib_rs = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let ranks = layers(&lib_rs);
    let declared: Vec<String> =
        lib_rs.lines().filter_map(|l| l.trim().strip_prefix("pub mod ").map(|n| n.trim_end_matches(';').to_string())).collect();
    assert!(declared.len() > 10, "read the modules of lib.rs");
    let mut wrong = Vec::new();
    for module in &declared {
        let Some(&rank) = ranks.get(module) else {
            wrong.push(format!("module `{module}` is in no layer of the list in src/lib.rs"));
            continue;
        };
        for file in files_of(&root.join("src"), module) {
            let text = std::fs::read_to_string(&file).unwrap();
            for used in named_modules(&text) {
                match ranks.get(&used) {
                    Some(&used_rank) if used_rank > rank => {}
                    Some(_) if used == *module => {}
                    Some(_) => wrong.push(format!("{} (layer of `{module}`) uses `{used}`, which is not below it", file.display())),
                    None => wrong.push(format!("{} uses `{used}`, which is in no layer", file.display())),
                }
            }
        }
    }
    assert!(wrong.is_empty(), "the layers in src/lib.rs do not hold:\n{}", wrong.join("\n"));
}

#[test]
fn reads_grouped_and_plain_paths() {
    assert_eq!(named_modules("use crate::{ledger::X, sql};\nlet a = crate::report::with_causes(e);"), ["ledger", "sql", "report"]);
    let ranks = layers("//! Layers, top first:\n//! - [`cli`]: the command line.\n//! - [`a`], `b`: c: d\n//! - [`z`]: last\n");
    assert_eq!((ranks["cli"], ranks["a"], ranks["b"], ranks["z"]), (0, 1, 1, 2));
}
