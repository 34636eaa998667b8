//! A short schemathesis pass over the served OpenAPI document against a real `credreg
//! serve` (`scripts/api-fuzz` runs the long one), once with an admin token and once with a
//! person's session: no 5xx, every status and content type documented. Needs schemathesis on PATH (`.ci/run` installs it and sets
//! CREDREG_REQUIRE_API_FUZZ=1, so there it cannot be skipped).

use std::path::Path;
use std::process::Command;

#[test]
fn schemathesis_finds_no_undocumented_answer() {
    let available = Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var_os("CREDREG_REQUIRE_API_FUZZ").is_none(),
            "CREDREG_REQUIRE_API_FUZZ is set but schemathesis is not installed"
        );
        println!("SKIP api fuzzing: schemathesis is not installed (pip install schemathesis)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut cmd = Command::new("bash");
    cmd.arg(root.join("scripts/api-fuzz"))
        .arg("10")
        .env("CREDREG_BIN", env!("CARGO_BIN_EXE_credreg"));
    if let Some(dir) = credreg_testkit::conformance() {
        cmd.env("CREDREG_CONFORMANCE", dir);
    }
    let out = cmd.output().expect("run scripts/api-fuzz");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text.matches("No issues found").count(),
        2,
        "a pass with the admin token and one with a person's session: {text}"
    );
}
