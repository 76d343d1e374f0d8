//! Humane durations in option values: `"30s"`, `"500ms"`, `"1m30s"`.
//!
//! A duration is one or more `<integer><unit>` parts (spaces allowed between parts), with
//! units `ns`, `us`, `ms`, `s`, `m` and `h`; the parts add up. It is turned into a
//! `Duration::new(secs, nanos)` at compile time, so a bad one is a compile error on the
//! literal.

use std::time::Duration;

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

const UNITS: &str = "`ns`, `us`, `ms`, `s`, `m`, `h`";

/// Parses the literal's value, or an error on the literal saying what was expected.
pub(crate) fn parse(lit: &LitStr) -> syn::Result<Duration> {
    parse_str(&lit.value()).map_err(|reason| {
        syn::Error::new(
            lit.span(),
            format!(
                "invalid duration {:?}: {reason}; expected a number and a unit, such as \"30s\", \"500ms\" or \"1m30s\" (units: {UNITS})",
                lit.value()
            ),
        )
    })
}

fn parse_str(text: &str) -> Result<Duration, String> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("it is empty".into());
    }
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("`{rest}` does not start with a number"));
        }
        let (number, after) = rest.split_at(digits);
        if after.starts_with('.') {
            return Err(format!(
                "`{number}.` starts a fraction; use a whole number of a smaller unit"
            ));
        }
        let unit_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(unit_len);
        let number: u64 = number
            .parse()
            .map_err(|_| format!("`{number}` is too large"))?;
        let part = match unit {
            "ns" => Some(Duration::from_nanos(number)),
            "us" => Some(Duration::from_micros(number)),
            "ms" => Some(Duration::from_millis(number)),
            "s" => Some(Duration::from_secs(number)),
            "m" => number.checked_mul(60).map(Duration::from_secs),
            "h" => number.checked_mul(3600).map(Duration::from_secs),
            "" => return Err(format!("`{number}` has no unit")),
            other => return Err(format!("`{other}` is not a unit")),
        };
        total = part
            .and_then(|part| total.checked_add(part))
            .ok_or_else(|| "it is too large".to_string())?;
        rest = after.trim_start();
    }
    Ok(total)
}

/// Parses a backoff range `"<initial>..<max>"`, such as `"100ms..5s"`, or an error on the
/// literal saying what was expected.
pub(crate) fn parse_range(lit: &LitStr) -> syn::Result<(Duration, Duration)> {
    let value = lit.value();
    let fail = |reason: String| {
        syn::Error::new(
            lit.span(),
            format!(
                "invalid backoff {value:?}: {reason}; expected an initial and a maximum delay, such as \"100ms..5s\""
            ),
        )
    };
    let Some((initial, max)) = value.split_once("..") else {
        return Err(fail("it has no `..`".into()));
    };
    let initial =
        parse_str(initial).map_err(|reason| fail(format!("the initial delay: {reason}")))?;
    let max = parse_str(max).map_err(|reason| fail(format!("the maximum: {reason}")))?;
    if initial > max {
        return Err(fail("the initial delay is above the maximum".into()));
    }
    Ok((initial, max))
}

/// `::core::time::Duration::new(secs, nanos)`.
pub(crate) fn expand(duration: Duration) -> TokenStream {
    let secs = proc_macro2::Literal::u64_unsuffixed(duration.as_secs());
    let nanos = proc_macro2::Literal::u32_unsuffixed(duration.subsec_nanos());
    quote!(::core::time::Duration::new(#secs, #nanos))
}

#[cfg(test)]
mod tests {
    use super::parse_str;
    use std::time::Duration;

    #[test]
    fn parts_add_up() {
        assert_eq!(parse_str("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_str("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_str("1h 2m"), Ok(Duration::from_secs(3720)));
        assert_eq!(parse_str("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_str("7us"), Ok(Duration::from_micros(7)));
        assert_eq!(parse_str("9ns"), Ok(Duration::from_nanos(9)));
        assert_eq!(parse_str("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn bad_durations_say_why() {
        assert_eq!(parse_str(""), Err("it is empty".to_string()));
        assert_eq!(parse_str("30"), Err("`30` has no unit".to_string()));
        assert_eq!(parse_str("30 s"), Err("`30` has no unit".to_string()));
        assert_eq!(parse_str("3x"), Err("`x` is not a unit".to_string()));
        assert_eq!(
            parse_str("s"),
            Err("`s` does not start with a number".to_string())
        );
        assert_eq!(
            parse_str("1.5s"),
            Err("`1.` starts a fraction; use a whole number of a smaller unit".to_string())
        );
        assert!(parse_str("99999999999999999999s").is_err());
        assert!(parse_str("18446744073709551615h").is_err());
    }
}
