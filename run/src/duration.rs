//! Humane durations read at run time, such as a drain from the environment: the grammar of
//! the macros' duration options, so that `"1m30s"` means the same in `#[run::main(drain =
//! "...")]` and in `SERVICE_DRAIN=...`.
//!
//! A duration is one or more `<integer><unit>` parts (spaces allowed between parts), with
//! units `ns`, `us`, `ms`, `s`, `m` and `h`; the parts add up.

use std::time::Duration;

/// What a duration looks like, for error messages.
pub(crate) const EXPECTED: &str = "expected a number and a unit, such as \"30s\", \"500ms\" or \"1m30s\" (units: `ns`, `us`, `ms`, `s`, `m`, `h`)";

/// Parses `text`, or says what is wrong with it.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
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
            "" if after.starts_with('.') => {
                return Err(format!(
                    "`{number}.` starts a fraction; use a whole number of a smaller unit"
                ));
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_add_up_in_every_unit() {
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse(" 1h 2m "), Ok(Duration::from_secs(3720)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("3us5ns"), Ok(Duration::from_nanos(3005)));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn each_mistake_is_named() {
        assert_eq!(parse(""), Err("it is empty".into()));
        assert_eq!(parse("s"), Err("`s` does not start with a number".into()));
        assert_eq!(parse("5"), Err("`5` has no unit".into()));
        assert_eq!(parse("5 s"), Err("`5` has no unit".into()));
        assert_eq!(parse("5sec"), Err("`sec` is not a unit".into()));
        assert_eq!(
            parse("1.5s"),
            Err("`1.` starts a fraction; use a whole number of a smaller unit".into())
        );
        assert_eq!(
            parse("99999999999999999999s"),
            Err("`99999999999999999999` is too large".into())
        );
        assert_eq!(
            parse("18446744073709551615h"),
            Err("it is too large".into())
        );
    }
}
