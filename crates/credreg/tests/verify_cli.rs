//! `credreg verify` and `credreg contexts install` as a user runs them.

use std::path::{Path, PathBuf};
use std::process::Command;

fn conformance() -> Option<PathBuf> {
    let dir = std::env::var_os("CREDREG_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
        });
    if dir.join("contexts/PROVENANCE.txt").is_file() {
        Some(dir)
    } else {
        println!("SKIP: conformance data not found at {}", dir.display());
        None
    }
}

fn credreg(data: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_credreg"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .expect("run credreg");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn install_conformance_contexts(data: &Path, conformance: &Path) {
    let dir = conformance.join("contexts");
    let (code, out) = credreg(data, &["contexts", "install", dir.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{out}");
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("credreg-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn verify_names_missing_context_then_passes_after_install() {
    let Some(c) = conformance() else { return };
    let data = temp_dir("install");
    let good = c.join("ob3-examples/dcc-verifier-core-fixtures/v2EddsaWithValidStatus.json");
    let good = good.to_str().expect("utf8 path");
    let (code, out) = credreg(&data, &["verify", good]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("context-3.0.3.json is not installed"), "{out}");

    // `--contexts DIR` loads a manifest directory for this run only, installing nothing.
    let dir = c.join("contexts");
    let (code, out) = credreg(
        &data,
        &["verify", "--contexts", dir.to_str().expect("utf8"), good],
    );
    assert_eq!(code, 0, "{out}");
    assert!(!data.join("contexts").exists(), "nothing installed");

    install_conformance_contexts(&data, &c);
    let (code, out) = credreg(&data, &["verify", good]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("OK "), "{out}");

    // One bad file makes the exit code non-zero, and every file gets its own line.
    let bad = c.join("ob3-examples/dcc-verifier-core-fixtures/safeModeBreaker.NEGATIVE.json");
    let tampered = data.join("tampered.json");
    let text = std::fs::read_to_string(good).expect("read").replacen(
        "Teamwork Badge",
        "Teamwork Badgf",
        1,
    );
    std::fs::write(&tampered, text).expect("write");
    let garbage = data.join("garbage.json");
    std::fs::write(&garbage, "{not json").expect("write");
    let (code, out) = credreg(
        &data,
        &[
            "verify",
            good,
            bad.to_str().expect("utf8"),
            tampered.to_str().expect("utf8"),
            garbage.to_str().expect("utf8"),
        ],
    );
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("OK "));
    assert!(
        lines[1].contains("[undefined-term]") && lines[1].contains("StatusList2021Entry"),
        "{out}"
    );
    assert!(lines[2].contains("[signature]"), "{out}");
    assert!(lines[3].contains("not JSON"), "{out}");
}

#[test]
fn an_edited_installed_context_is_refused() {
    let Some(c) = conformance() else { return };
    let data = temp_dir("pin");
    install_conformance_contexts(&data, &c);
    let store = data.join("contexts");
    let victim = std::fs::read_dir(&store)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "jsonld"))
        .expect("a context file");
    let text = std::fs::read_to_string(&victim).expect("read");
    std::fs::write(&victim, text.replacen("\"@id\"", " \"@id\"", 1)).expect("write");
    let (code, out) = credreg(&data, &["contexts", "list"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("changed since it was installed"), "{out}");
}
