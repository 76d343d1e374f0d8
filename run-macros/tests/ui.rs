//! The macros' compile-time contract: `pass/` must compile without warnings, each `fail/`
//! case must fail with exactly its `.stderr` (one misuse per file).
//!
//! Regenerate the `.stderr` files after a deliberate change with
//! `TRYBUILD=overwrite cargo test -p run-macros --test ui`, then review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
