//! `simulate --age`: how long ago the customer sent the message, as a
//! whole number and one unit (`45s`, `90m`, `30h`, `8d`), in milliseconds.

/// The longest age accepted: a year (Meta keeps no window that long).
const MAX_MS: u64 = 366 * 24 * 3_600_000;

/// Parse an age such as `30h` into milliseconds (clap's value parser).
pub fn parse(s: &str) -> Result<u64, String> {
    let hint = "give a whole number and a unit: 45s, 90m, 30h or 8d";
    let s = s.trim();
    let unit_at = s
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map(|(i, _)| i)
        .ok_or_else(|| format!("{s:?} has no unit; {hint}"))?;
    let (number, unit) = s.split_at(unit_at);
    let per: u64 = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("{s:?} is not an age; {hint}")),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not an age; {hint}"))?;
    n.checked_mul(per)
        .filter(|ms| *ms <= MAX_MS)
        .ok_or_else(|| format!("{s:?} is longer than a year; {hint}"))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn each_unit() {
        assert_eq!(parse("45s"), Ok(45_000));
        assert_eq!(parse("90m"), Ok(90 * 60_000));
        assert_eq!(parse("30h"), Ok(30 * 3_600_000));
        assert_eq!(parse("8d"), Ok(8 * 86_400_000));
        assert_eq!(parse("0s"), Ok(0));
    }

    #[test]
    fn anything_else_says_what_to_give() {
        for bad in [
            "30",
            "h",
            "30x",
            "1.5h",
            "-3h",
            "30 h",
            "30hours",
            "",
            "99999999999999d",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("45s, 90m, 30h or 8d"), "{bad}: {e}");
        }
    }
}
