//! The demo itself, as `scripts/demo.sh` runs it (after its set-up): it
//! must exit 0 with the summary table and the community AI's answer.
//! Running it here also builds it with the test suite's features, so CI
//! compiles nothing twice.

use std::process::Command;

#[test]
fn the_demo_runs_end_to_end() {
    let out = Command::new(env!("CARGO_BIN_EXE_computefi-demo")).output().expect("the demo starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    assert!(out.status.success(), "the demo failed ({}):\n{stderr}", out.status);
    for expected in
        ["[10/10]", "principal returned", "credits to the AI's account", "All checks passed"]
    {
        assert!(stdout.contains(expected), "missing {expected:?} in the demo's output");
    }
    let answer = stdout.lines().find_map(|l| l.strip_prefix("A: ")).expect("an answer line");
    assert!(answer.split_whitespace().count() > 3, "a real answer, not {answer:?}");
    let chatted = stdout.lines().filter(|l| l.trim_start().starts_with("AI:  ")).count();
    assert_eq!(chatted, 2, "two turns of chat with the community AI");
}
