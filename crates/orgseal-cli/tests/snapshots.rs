//! The CLI's output pinned: stdout, stderr and exit code of each case under
//! `tests/cmd/` (trycmd). After an intended change of wording, refresh the
//! snapshots with `TRYCMD=overwrite cargo test -p orgseal-cli --test snapshots`
//! and review the diff.

#[test]
fn cli_snapshots() {
    trycmd::TestCases::new()
        .register_bin("orgseal", std::path::Path::new(env!("CARGO_BIN_EXE_orgseal")))
        .case("tests/cmd/*.toml")
        .case("tests/cmd/*.trycmd");
}
