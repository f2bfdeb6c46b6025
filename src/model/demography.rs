//! Demography (MODEL.md 2.1): the head ages and is succeeded; a member reaches pension
//! age; a worker retires, or a member enters working age.

use super::{YearDraws, YearRecord};
use crate::population::Household;
use crate::rng::Purpose;
use crate::scenario::Params;

/// Retirement of a labour unit.
pub const RETIRE: Purpose = Purpose::new("demography.retire");
/// A member entering working age.
pub const ENTRY: Purpose = Purpose::new("demography.entry");

/// Age the household by a year.
pub(super) fn age(h: &mut Household, r: &mut YearRecord, p: &Params, d: YearDraws<'_>) {
    let dem = &p.demography;
    if dem.enabled {
        h.head_age = h.head_age.saturating_add(1);
        if f64::from(h.head_age) >= dem.succession_age {
            h.head_age = dem.successor_age.round() as u8;
            r.succession = true;
        }
        if f64::from(h.head_age) >= dem.elderly_age && h.elderly == 0 {
            h.elderly = 1;
        }
        if f64::from(h.head_age) >= dem.retirement_age
            && h.labour > 0
            && d.retire() < dem.retirement_probability.get()
        {
            h.labour -= 1;
            r.retired = true;
        } else if h.labour + h.elderly < h.size && d.entry() < dem.labour_entry_probability.get() {
            h.labour += 1;
            r.entered = true;
        }
    }
}
