//! Values that cannot be out of range once loaded: a probability or share is in
//! [0, 1], an amount of money is finite and not negative. Each is read from a plain
//! number (`#[serde(try_from = "f64")]`), so a scenario that sets one out of range is
//! refused while it loads, and the loader's message names the file, line and key.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The rule a value broke, as the loader's message gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange(pub &'static str);

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for OutOfRange {}

/// A probability or a share: a number in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Probability(f64);

impl Probability {
    /// What a probability must be.
    pub const RULE: &'static str = "a probability or share must be in [0, 1]";
    /// Never.
    pub const ZERO: Probability = Probability(0.0);
    /// Always.
    pub const ONE: Probability = Probability(1.0);

    /// `p`, if it is in [0, 1].
    pub fn new(p: f64) -> Result<Probability, OutOfRange> {
        if (0.0..=1.0).contains(&p) {
            Ok(Probability(p))
        } else {
            Err(OutOfRange(Self::RULE))
        }
    }

    /// The number.
    #[inline]
    pub const fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Probability {
    type Error = OutOfRange;
    fn try_from(p: f64) -> Result<Self, OutOfRange> {
        Probability::new(p)
    }
}

impl From<Probability> for f64 {
    fn from(p: Probability) -> f64 {
        p.0
    }
}

impl fmt::Display for Probability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An amount of money in CNY: finite, not negative, and at most a trillion.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Money(f64);

impl Money {
    /// What an amount must be.
    pub const RULE: &'static str = "an amount of money must be >= 0 (CNY)";
    /// Nothing.
    pub const ZERO: Money = Money(0.0);

    /// `cny`, if it is finite, not negative and at most 1e12.
    pub fn new(cny: f64) -> Result<Money, OutOfRange> {
        if (0.0..=1e12).contains(&cny) {
            Ok(Money(cny))
        } else {
            Err(OutOfRange(Self::RULE))
        }
    }

    /// The amount (CNY).
    #[inline]
    pub const fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Money {
    type Error = OutOfRange;
    fn try_from(cny: f64) -> Result<Self, OutOfRange> {
        Money::new(cny)
    }
}

impl From<Money> for f64 {
    fn from(m: Money) -> f64 {
        m.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_values_cannot_be_made() {
        for p in [0.0, 0.5, 1.0] {
            assert_eq!(Probability::new(p).unwrap().get(), p);
        }
        for p in [-0.0001, 1.0001, f64::NAN, f64::INFINITY] {
            assert!(Probability::new(p).is_err(), "{p}");
        }
        assert_eq!(Money::new(0.0).unwrap().get(), 0.0);
        for m in [-1.0, f64::NAN, f64::INFINITY, 2e12] {
            assert!(Money::new(m).is_err(), "{m}");
        }
        // Read from TOML: an integer is a number too, and a bad one is refused.
        #[derive(Deserialize)]
        struct T {
            p: Probability,
        }
        assert_eq!(toml::from_str::<T>("p = 1").unwrap().p, Probability::ONE);
        let e = toml::from_str::<T>("p = 1.5").err().unwrap().to_string();
        assert!(e.contains(Probability::RULE), "{e}");
    }
}
