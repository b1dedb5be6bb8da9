//! Typed IAM values: numbers, dates, booleans, IP ranges, binary.
//!
//! IAM's request context is textual; the operator decides the type. These
//! parsers are shared by the policy side (parsed once at compile time, errors
//! reported) and the request side (parsed per comparison; a value that does
//! not parse simply does not match).

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::net::IpAddr;

/// Numeric operators compare integers and decimals ("Numeric condition
/// operators"). Non-finite values are rejected.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty()
        || s.chars()
            .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Date operators accept ISO 8601 date/time forms and epoch seconds
/// ("Date condition operators": "W3C implementations of the ISO 8601 date
/// formats" or "epoch (UNIX) time").
pub(crate) fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if !s.is_empty()
        && s.bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
    {
        let secs: i64 = s.parse().ok()?;
        return DateTime::<Utc>::from_timestamp(secs, 0);
    }
    // A bare `YYYY-MM-DD` fails every format below but the last (each needs a `T` after the
    // date): go to it straight, as trying them cost several times more than the parse.
    let b = s.as_bytes();
    if b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
    {
        let n = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
        return Some(n.and_hms_opt(0, 0, 0)?.and_utc());
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.fZ",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%MZ",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return Some(n.and_utc());
        }
    }
    for f in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    let n = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(n.and_hms_opt(0, 0, 0)?.and_utc())
}

/// `Bool` compares `true`/`false` case-insensitively.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// `BinaryEquals` values are base-64 encoded.
pub(crate) fn parse_binary(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

/// An IPv4 or IPv6 range in CIDR notation (RFC 4632 / RFC 4291). A bare
/// address is its own /32 or /128 range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                p.parse::<u8>().ok().filter(|v| *v <= max)?
            }
            None => max,
        };
        Some(Cidr { addr, prefix })
    }

    /// Whether `ip` is inside the range; v4 and v6 never match each other.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                prefix_eq(u32::from(n) as u128, u32::from(a) as u128, self.prefix, 32)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                prefix_eq(u128::from(n), u128::from(a), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn prefix_eq(net: u128, addr: u128, prefix: u8, bits: u32) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = bits - u32::from(prefix);
    (net >> shift) == (addr >> shift)
}

/// Parses a request-side IP address (a CIDR suffix, if any, is ignored).
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let a = s.split_once('/').map_or(s, |(a, _)| a);
    a.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Numeric condition operators: integers and decimals.
    #[test]
    fn numbers() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-2.5"), Some(-2.5));
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number(""), None);
    }

    // Date condition operators: ISO 8601 variants and epoch seconds.
    #[test]
    fn dates() {
        let a = parse_date("2020-01-01T00:00:00Z").unwrap_or_default();
        assert_eq!(parse_date("2020-01-01"), Some(a));
        assert_eq!(parse_date("1577836800"), Some(a));
        assert_eq!(parse_date("2020-01-01T01:00:00+01:00"), Some(a));
        assert_eq!(parse_date("2020-01-01T00:00:00.000Z"), Some(a));
        assert_eq!(parse_date("2020-01-01T00:00:00"), Some(a));
        assert_eq!(parse_date("2020-01-01T00:00Z"), Some(a));
        assert_eq!(parse_date("yesterday"), None);
        assert!(parse_date("2020-01-01T00:00:01Z") > Some(a));
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("false"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }

    #[test]
    fn binary() {
        assert_eq!(parse_binary("QmluYXJ5"), Some(b"Binary".to_vec()));
        assert_eq!(parse_binary("!!"), None);
    }

    // IP address condition operators: CIDR, v4 and v6.
    #[test]
    fn cidrs() {
        let c = Cidr::parse("203.0.113.0/24");
        assert!(c.is_some_and(
            |c| c.contains("203.0.113.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])))
        ));
        let c = Cidr::parse("203.0.113.0/24").unwrap_or(Cidr {
            addr: IpAddr::from([0, 0, 0, 0]),
            prefix: 32,
        });
        assert!(!c.contains(IpAddr::from([203, 0, 114, 1])));
        let v6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap_or(c);
        assert!(v6.contains(
            "2001:db8:1234:5678::1"
                .parse()
                .unwrap_or(IpAddr::from([0, 0, 0, 0]))
        ));
        assert!(!v6.contains(
            "2001:db8:1234:5679::1"
                .parse()
                .unwrap_or(IpAddr::from([0, 0, 0, 0]))
        ));
        assert!(!v6.contains(IpAddr::from([203, 0, 113, 7])));
        let host = Cidr::parse("10.0.0.1").unwrap_or(c);
        assert!(host.contains(IpAddr::from([10, 0, 0, 1])));
        assert!(!host.contains(IpAddr::from([10, 0, 0, 2])));
        let all = Cidr::parse("0.0.0.0/0").unwrap_or(c);
        assert!(all.contains(IpAddr::from([1, 2, 3, 4])));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("10.0.0.0/"), None);
        assert_eq!(Cidr::parse("nope"), None);
    }
}
