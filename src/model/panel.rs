//! The panel figures of the calibration targets (docs/calibration.md): poverty spells
//! followed at the panel's observations, exits and re-entries, and the transient
//! share of poverty.

use super::{YearContext, YearRecord};
use crate::metrics::{self, PanelTally};
use crate::population::{self, Household, Year8};

/// Observe the household on the panel this year.
pub(super) fn observe(
    h: &mut Household,
    r: &YearRecord,
    ctx: &YearContext<'_>,
    panel: &mut PanelTally,
) {
    let p = ctx.p;
    let recording = ctx.t >= 0;
    // Spells, exits, re-entries and the transient share, for the calibration targets,
    // on the scenario's panel income. Spells are followed from one panel observation
    // to the next (every `panel_interval` years, as a biennial survey sees them); the
    // transient share uses every year.
    let y_panel = r.income_on(p.poverty_line.panel_income, h.size);
    if recording {
        let relative = y_panel / ctx.z;
        h.sum_relative_income += relative as f32;
        h.sum_squared_gap += (1.0 - relative).clamp(0.0, 1.0).powi(2) as f32;
    }
    if ctx.panel_observed {
        follow_spell(h, y_panel < ctx.z, ctx.t, p.simulation.years, panel);
    }
}

/// Follow a household's poverty spell on the panel to an observation in year `t`
/// (negative in burn-in, when nothing is counted): spells that started at the previous
/// observation and end at this one, exits with a full re-entry window inside the
/// `years` of the horizon, and re-entries within that window.
pub(super) fn follow_spell(
    h: &mut Household,
    panel_poor: bool,
    t: i32,
    years: u32,
    panel: &mut PanelTally,
) {
    let recording = t >= 0;
    if recording {
        if panel_poor && h.last_exit.get() >= 0 {
            if t as i16 - h.last_exit.get() <= metrics::REENTRY_WINDOW {
                panel.reentries += 1;
            }
            h.last_exit = Year8::NONE;
        }
        // A spell first seen at the previous observation (`spell` is 0 when the
        // household was not poor then): over by this one or not.
        if h.spell == 1 && h.spell_observed() {
            panel.spells_started += 1;
            panel.spells_one_year += u64::from(!panel_poor);
        }
        if h.panel_poor_prev() && !panel_poor {
            if t as i16 + metrics::REENTRY_WINDOW < years as i16 {
                panel.exits_followed += 1;
                h.last_exit = Year8::new(t as i16);
            } else {
                h.last_exit = Year8::NONE;
            }
        }
    }
    if panel_poor {
        if !h.panel_poor_prev() {
            h.spell = 1;
            h.set_spell_observed(recording);
        } else {
            h.spell = h.spell.saturating_add(1);
        }
    } else {
        h.spell = 0;
    }
    h.set_panel_poor_prev(panel_poor);
}

/// Reset the whole-horizon history at the end of burn-in.
pub fn start_recording(h: &mut Household) {
    h.returns = 0;
    h.first_return = Year8::NONE;
    h.last_exit = Year8::NONE;
    h.sum_relative_income = 0.0;
    h.sum_squared_gap = 0.0;
    h.set_spell_observed(false);
    h.set_ever_monitored(false);
}

/// Close a household's panel figures at the end of the horizon.
pub fn close_panel(h: &Household, years: u32, panel: &mut PanelTally) {
    if h.group == population::Group::Lifted {
        panel.initially_lifted += 1;
        if h.returns > 0 {
            panel.ever_returned += 1;
            panel.years_to_first_return += (h.first_return.get() + 1) as u64;
        }
    }
    // Jalan and Ravallion (1998, J. Dev. Econ. 58): total poverty is the mean over
    // years of FGT2; chronic poverty is FGT2 of the household's mean income; the
    // transient component is the difference.
    let n = f64::from(years);
    panel.total_squared_gap += f64::from(h.sum_squared_gap) / n;
    let mean = f64::from(h.sum_relative_income) / n;
    panel.chronic_squared_gap += (1.0 - mean).clamp(0.0, 1.0).powi(2);
}
