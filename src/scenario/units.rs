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

/// A number that is in `[LOW, HIGH]` once made: the type, its range, the rule its
/// message gives, and the accessor and conversions every such type has.
macro_rules! bounded {
    ($(#[$doc:meta])* $name:ident in $low:literal ..= $high:literal, $rule:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
        #[serde(try_from = "f64", into = "f64")]
        pub struct $name(f64);

        impl $name {
            /// What a value must be.
            pub const RULE: &'static str = $rule;

            /// `x`, if it is in range (NaN never is).
            pub fn new(x: f64) -> Result<$name, OutOfRange> {
                if ($low..=$high).contains(&x) {
                    Ok($name(x))
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

        impl TryFrom<f64> for $name {
            type Error = OutOfRange;
            fn try_from(x: f64) -> Result<Self, OutOfRange> {
                $name::new(x)
            }
        }

        impl From<$name> for f64 {
            fn from(x: $name) -> f64 {
                x.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

bounded!(
    /// A probability or a share: a number in [0, 1].
    Probability in 0.0 ..= 1.0, "a probability or share must be in [0, 1]"
);

bounded!(
    /// An amount of money in CNY: finite, not negative, and at most a trillion.
    Money in 0.0 ..= 1e12, "an amount of money must be >= 0 (CNY)"
);

impl Probability {
    /// Never.
    pub const ZERO: Probability = Probability(0.0);
    /// Always.
    pub const ONE: Probability = Probability(1.0);
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
