//! Bad input: every case gets exit code 2, no panic, a message of a few lines naming
//! the file, line and key and the fix, and nothing written.
//!
//! Most cases are the corpus in tests/bad_inputs: each gets a message containing every
//! `# expect:` line of the case. Cases that need more than one file, or a file that
//! cannot be in the corpus, are tests here.
//!
//! A case is `NAME.toml` with `# expect: TEXT` lines (or a sidecar `NAME.expect` when
//! the case must stay empty) and, for command-line cases, `# args: ...`, which are
//! given to `povsim run` instead of the file.

use std::path::{Path, PathBuf};

use super::common::{povsim, scenario, write};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("bad_inputs")
}

fn fails(args: &[&str], file: Option<&Path>, expects: &[String], label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = povsim();
    match file {
        Some(f) => cmd.arg("validate").arg(f),
        None => cmd
            .args(["run", "--quiet", "--out"])
            .arg(dir.path().join("out")),
    };
    let out = cmd.args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{label}: exit code; stderr: {err}"
    );
    assert!(!err.contains("panicked"), "{label}: {err}");
    assert!(
        err.lines().count() <= 4,
        "{label}: a message of a few lines: {err}"
    );
    for e in expects {
        assert!(
            err.contains(e.as_str()),
            "{label}: message lacks {e:?}: {err}"
        );
    }
    assert!(!dir.path().join("out").exists(), "{label}: nothing written");
}

fn directives(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(&format!("# {key}: ")))
        .map(|s| s.trim().to_string())
        .collect()
}

#[test]
fn every_case_of_the_corpus_is_refused_clearly() {
    let mut n = 0;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let label = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let sidecar = path.with_extension("expect");
        let spec = if sidecar.exists() {
            std::fs::read_to_string(&sidecar).unwrap()
        } else {
            text.clone()
        };
        let expects = directives(&spec, "expect");
        assert!(!expects.is_empty(), "{label} states what it expects");
        let args = directives(&spec, "args");
        match args.first() {
            Some(a) => fails(
                &a.split_whitespace().collect::<Vec<_>>(),
                None,
                &expects,
                &label,
            ),
            None => {
                let mut expects = expects;
                if !label.starts_with("extends_ring")
                    && !label.starts_with("extends_self")
                    && !label.starts_with("empty")
                    && !label.starts_with("only_")
                {
                    expects.push(label.clone());
                }
                fails(&[], Some(&path), &expects, &label)
            }
        }
        n += 1;
    }
    assert!(n >= 40, "the corpus has {n} cases");
}

#[test]
fn binary_and_invalid_utf8_files() {
    for name in ["binary.toml.bin", "invalid_utf8.toml.bin"] {
        fails(
            &[],
            Some(&corpus().join(name)),
            &["not UTF-8".into(), name.into()],
            name,
        );
    }
}

#[test]
fn a_30_megabyte_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    let line = "# padding padding padding padding padding padding padding padding\n";
    std::fs::write(&big, line.repeat(30 * 1024 * 1024 / line.len())).unwrap();
    fails(
        &[],
        Some(&big),
        &["big.toml".into(), "at most".into()],
        "30 MB",
    );
}

#[test]
fn a_very_deep_extends_chain_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..100 {
        std::fs::write(
            dir.path().join(format!("c{i}.toml")),
            format!("extends = \"c{}.toml\"\n", i + 1),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("c100.toml"), "name = \"deep\"\n").unwrap();
    fails(
        &[],
        Some(&dir.path().join("c0.toml")),
        &["deeper than 32".into()],
        "deep chain",
    );
}

#[test]
fn an_extends_cycle_across_two_files_names_both() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.toml", "extends = \"b.toml\"\n");
    let b = write(dir.path(), "b.toml", "extends = \"a.toml\"\n");
    fails(
        &[],
        Some(&b),
        &["cycle".into(), "a.toml".into(), "b.toml".into()],
        "a <-> b",
    );
}

#[test]
fn a_missing_scenario_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    fails(
        &[],
        Some(&dir.path().join("absent.toml")),
        &["cannot read scenario file".into(), "absent.toml".into()],
        "absent file",
    );
}

#[test]
fn a_complete_new_program_is_accepted_where_an_incomplete_one_is_not() {
    // tests/bad_inputs/new_program_incomplete.toml is refused; the baseline's goji
    // block under another name is a complete program and passes.
    let goji = std::fs::read_to_string(scenario("baseline.toml")).unwrap();
    let start = goji.find("[policy.industry.programs.goji]").unwrap();
    let block: String = goji[start..]
        .lines()
        .take_while(|l| !l.starts_with("[policy.industry.programs.") || l.contains("goji"))
        .collect::<Vec<_>>()
        .join("\n");
    let text = block.replace("programs.goji", "programs.apples");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "ok.toml", &text);
    let resolved = String::from_utf8(
        povsim()
            .arg("validate")
            .arg(&file)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap();
    assert!(
        resolved.contains("[policy.industry.programs.apples]"),
        "{resolved}"
    );
}
