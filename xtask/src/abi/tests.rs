//! The committed `abi/*.json` against the contracts' Rust sources, without
//! building anything: every event and error a contract declares reaches its
//! exported ABI, and every output name the ABI carries is the one the source
//! declares (see `names`). `cargo xtask abi --check` compares the whole
//! files after building the printers; these tests say what is wrong in
//! words, and run with the contract tests.

use std::{collections::BTreeSet, fs, path::Path};

use serde_json::Value;

use crate::{names, workspace::Workspace};

/// The contract's own Rust sources (its tests excluded), as one text with
/// comments removed.
fn sources(src: &Path) -> String {
    let mut text = String::new();
    for (path, source) in names::rust_sources(src).unwrap() {
        let is_test = |part: &std::ffi::OsStr| part == "tests" || part == "tests.rs";
        if path.strip_prefix(src).unwrap().iter().any(is_test) {
            continue;
        }
        for line in source.lines() {
            text.push_str(line.split("//").next().unwrap_or_default());
            text.push('\n');
        }
    }
    text
}

/// The names that follow `keyword` as a declaration (`event Name(`), in
/// `sol!` text.
fn declared(text: &str, keyword: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, _) in text.match_indices(keyword) {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
            continue;
        }
        let rest = text[i + keyword.len()..].trim_start();
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !name.is_empty() && rest[name.len()..].trim_start().starts_with('(') {
            names.insert(name);
        }
    }
    names
}

/// The items of `kind` in an exported JSON ABI, by name.
fn exported<'a>(abi: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> {
    abi.iter().filter(move |item| item["type"] == kind)
}

fn abi_of(ws: &Workspace, name: &str) -> Vec<Value> {
    let path = ws.abi_dir().join(format!("{name}.json"));
    serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn every_event_and_error_of_a_contract_reaches_its_exported_abi() {
    let ws = Workspace::load().unwrap();
    assert!(ws.contracts.len() >= 11, "found {} contracts", ws.contracts.len());
    let mut missing = Vec::new();
    for contract in &ws.contracts {
        let text = sources(&contract.src);
        let abi = abi_of(&ws, &contract.name);
        for (keyword, kind) in [("event ", "event"), ("error ", "error")] {
            let have: BTreeSet<_> =
                exported(&abi, kind).filter_map(|i| i["name"].as_str()).collect();
            for name in declared(&text, keyword) {
                if !have.contains(name.as_str()) {
                    missing.push(format!("{kind} {name} of {}", contract.name));
                }
            }
        }
    }
    assert!(missing.is_empty(), "not in abi/*.json: {missing:#?}");
}

#[test]
fn every_tuple_output_in_the_abi_is_named_as_the_source_says() {
    let ws = Workspace::load().unwrap();
    let mut wrong = Vec::new();
    for contract in &ws.contracts {
        let names = names::declared_in(&contract.src).unwrap();
        for function in exported(&abi_of(&ws, &contract.name), "function") {
            let name = function["name"].as_str().unwrap();
            let got: Vec<&str> = function["outputs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["name"].as_str().unwrap_or_default())
                .collect();
            let want: Option<Vec<&str>> =
                names.get(name).map(|n| n.iter().map(String::as_str).collect());
            let agrees = match &want {
                Some(want) => *want == got,
                None => got.len() < 2,
            };
            if !agrees {
                wrong.push(format!("{}.{name}: abi {got:?}, source {want:?}", contract.name));
            }
        }
    }
    assert!(wrong.is_empty(), "output names differ (run `cargo xtask abi`): {wrong:#?}");
}

#[test]
fn declarations_are_found_in_sol_text_only_as_declarations() {
    let text = "sol! { event Paid(address a); error Late(uint64 t); }\nlet x = self.event (1);\nmy_event(2);\nerror Bare;\n";
    assert_eq!(declared(text, "event "), BTreeSet::from(["Paid".to_owned()]));
    assert_eq!(declared(text, "error "), BTreeSet::from(["Late".to_owned()]));
}

#[test]
fn every_error_the_sources_declare_has_its_parameter_names_in_the_abi() {
    let ws = Workspace::load().unwrap();
    let mut wrong = Vec::new();
    for contract in &ws.contracts {
        let declared = super::declared_errors(&ws, &contract.src).unwrap();
        for error in exported(&abi_of(&ws, &contract.name), "error") {
            let name = error["name"].as_str().unwrap();
            let Some(params) = declared.get(name) else { continue };
            let got: Vec<(&str, &str)> = error["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| (i["type"].as_str().unwrap(), i["name"].as_str().unwrap_or_default()))
                .collect();
            let want: Vec<(&str, &str)> =
                params.iter().map(|(t, n)| (t.as_str(), n.as_str())).collect();
            if got != want {
                wrong.push(format!("{}.{name}: abi {got:?}, source {want:?}", contract.name));
            }
        }
    }
    assert!(wrong.is_empty(), "error parameters differ (run `cargo xtask abi`): {wrong:#?}");
}
