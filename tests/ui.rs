//! Compile-time checks: every misuse is an error on the user's token (tests/ui/fail/*.stderr).
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test --test ui` and read the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
