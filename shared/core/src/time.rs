//! Points in time as Unix milliseconds, the unit Meta's webhooks use.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds since the Unix epoch (UTC).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Millis(pub i64);

impl Millis {
    pub const fn new(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn as_i64(self) -> i64 {
        self.0
    }

    pub fn plus_secs(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    pub fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// RFC 3339 with millisecond precision, e.g. `2025-11-24T16:00:00.000Z`.
    /// Outside years 1970 to 9999 it is the number of milliseconds, as text.
    pub fn to_rfc3339(self) -> String {
        if !(0..=253_402_300_799_999).contains(&self.0) {
            return self.0.to_string();
        }
        let nanos = i128::from(self.0) * 1_000_000;
        match ::time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(t) => {
                let fmt = ::time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
                );
                t.format(&fmt).unwrap_or_else(|_| self.0.to_string())
            }
            Err(_) => self.0.to_string(),
        }
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Millis {
    /// The Unix epoch: no event Meta sends is older.
    pub const EARLIEST: Millis = Millis(0);
    /// 2100-01-01T00:00:00Z: no event Meta sends is later.
    pub const LATEST: Millis = Millis(4_102_444_800_000);

    /// A time an event can carry: from 1970 to 2100. Anything else
    /// (2^63-1, a negative number) is a forged or broken field.
    pub fn is_plausible(self) -> bool {
        (Self::EARLIEST..Self::LATEST).contains(&self)
    }

    /// Parse an RFC 3339 timestamp.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let t = ::time::OffsetDateTime::parse(s, &::time::format_description::well_known::Rfc3339)
            .ok()?;
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Self)
    }
}

/// Reads a time written either way: Unix milliseconds, or RFC 3339 text
/// (a time outside what RFC 3339 can show is written as its number as
/// text, see `to_rfc3339`, so what was written always reads back). A
/// visitor, not an untagged enum: stored documents hold many times, and an
/// untagged enum buffers each and builds an error for the form it is not.
struct MillisVisitor;

impl<'de> serde::de::Visitor<'de> for MillisVisitor {
    type Value = Millis;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 time or Unix milliseconds")
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Millis, E> {
        Ok(Millis(n))
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Millis, E> {
        i64::try_from(n)
            .map(Millis)
            .map_err(|_| E::custom(format!("{n} is out of range for a time")))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Millis, E> {
        Millis::parse_rfc3339(s)
            .or_else(|| s.parse().ok().map(Millis))
            .ok_or_else(|| E::custom(format!("{s:?} is not an RFC 3339 time")))
    }
}

/// `Option<Millis>` in either form, `null` for none.
struct OptionMillisVisitor;

impl<'de> serde::de::Visitor<'de> for OptionMillisVisitor {
    type Value = Option<Millis>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 time, Unix milliseconds or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(MillisVisitor).map(Some)
    }
}

/// A `Millis` as an RFC 3339 string (API responses); reads either form back.
pub mod rfc3339 {
    use super::Millis;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(m: &Millis, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&m.to_rfc3339())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Millis, D::Error> {
        d.deserialize_any(super::MillisVisitor)
    }

    pub mod option {
        use super::Millis;
        use serde::{Deserializer, Serializer};

        pub fn serialize<S: Serializer>(m: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
            match m {
                Some(m) => s.serialize_str(&m.to_rfc3339()),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Millis>, D::Error> {
            d.deserialize_option(super::super::OptionMillisVisitor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_with_millis() {
        assert_eq!(
            Millis(1_764_000_000_123).to_rfc3339(),
            "2025-11-24T16:00:00.123Z"
        );
        assert_eq!(Millis(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Millis::parse_rfc3339("2025-11-24T16:00:00.123Z"),
            Some(Millis(1_764_000_000_123))
        );
    }

    #[derive(Serialize, Deserialize)]
    struct At {
        #[serde(with = "rfc3339")]
        at: Millis,
    }

    #[test]
    fn every_time_written_reads_back() {
        for ms in [
            i64::MAX,
            i64::MIN,
            -1,
            0,
            253_402_300_800_000,
            1_764_000_000_123,
        ] {
            let text = serde_json::to_string(&At { at: Millis(ms) }).unwrap();
            let back: At = serde_json::from_str(&text).unwrap();
            assert_eq!(back.at, Millis(ms), "{text}");
        }
    }

    #[test]
    fn plausible_times_lie_between_1970_and_2100() {
        assert!(Millis(1_764_000_000_000).is_plausible());
        assert!(Millis(0).is_plausible());
        assert!(!Millis(i64::MAX).is_plausible());
        assert!(!Millis(-5).is_plausible());
        assert!(!Millis::LATEST.is_plausible());
    }
}
