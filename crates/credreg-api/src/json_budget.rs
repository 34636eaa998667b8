//! A pass over a JSON body that counts its values before any of them is built.
//!
//! `serde_json::Value` costs about 80 bytes a value here (`preserve_order` maps), so a 4 MB
//! body of two million `0`s became some 300 MB of values (and twice that while the array
//! grew) before anything could look at it. The pass below walks the same bytes with serde's
//! visitor machinery, allocating nothing, and stops at the budget.

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::fmt;

/// Checks that `bytes` is JSON of at most `max_values` values. `Err` says why not, in a
/// sentence (syntax errors included, with their position).
pub(crate) fn check(bytes: &[u8], max_values: usize) -> Result<(), String> {
    let left = Cell::new(max_values);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Counted { left: &left }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| {
            if left.get() == 0 {
                format!("the body holds more than {max_values} JSON values")
            } else {
                format!("the body is not valid JSON: {e}")
            }
        })
}

#[derive(Clone, Copy)]
struct Counted<'a> {
    left: &'a Cell<usize>,
}

impl Counted<'_> {
    fn take<E: serde::de::Error>(&self) -> Result<(), E> {
        match self.left.get() {
            0 => Err(E::custom("too many values")),
            n => {
                self.left.set(n - 1);
                Ok(())
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for Counted<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Counted<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.take()
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.take()
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.take()
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.take()
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.take()
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.take()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.take()?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.take()?;
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_values_and_reports_syntax() {
        assert!(super::check(br#"{"a": [1, 2, {"b": null}], "c": "d"}"#, 7).is_ok());
        let e = super::check(br#"{"a": [1, 2, {"b": null}], "c": "d"}"#, 6).expect_err("budget");
        assert!(e.contains("more than 6"), "{e}");
        let e = super::check(b"{not json", 100).expect_err("syntax");
        assert!(e.contains("not valid JSON"), "{e}");
        assert!(super::check(b"[1] [2]", 100).is_err(), "trailing data");
    }
}
