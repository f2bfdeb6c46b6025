//! Industry programs (MODEL.md 3.2): enrolled households' program income, with the
//! county's program failures; the programs' costs, and leaving a failed program.

use super::{YearContext, YearDraws, YearRecord};
use crate::metrics::{Program, YearTally};
use crate::population::Household;
use crate::rng::{Purpose, math};

/// Leaving a failed program.
pub const PROGRAM_EXIT: Purpose = Purpose::new("industry.exit");
/// Program income.
pub const PROGRAM: Purpose = Purpose::new("industry.income");

/// The year's income from the programs the household is in.
pub(super) fn earn(h: &Household, r: &mut YearRecord, ctx: &YearContext<'_>, d: YearDraws<'_>) {
    let p = ctx.p;
    let g = ctx.growth;
    let ind = &p.policy.industry;
    if ind.enabled {
        // One program-income draw a year, shared by the household's programs.
        let mut draw = None;
        for (i, prog) in ctx.enrolled(h.programs) {
            let s = prog.income_sigma;
            let mut income = prog.income_mean.get()
                * g
                * math::exp(s * *draw.get_or_insert_with(|| d.program()) - s * s / 2.0)
                * (1.0
                    + prog.motivation_effect
                        * (h.m.get() - p.population.motivation_reference.get()));
            if ctx.county.failed & (1 << i) != 0 {
                income *= prog.failure_income_share.get();
                r.programs_failed |= 1 << i;
            }
            r.industry += income.max(0.0);
        }
    }
}

/// Book the programs' costs, and let a household leave a program that failed.
pub(super) fn book(
    h: &mut Household,
    r: &YearRecord,
    ctx: &YearContext<'_>,
    tally: &mut YearTally,
    program_exit_draw: f64,
) {
    let p = ctx.p;
    let ind = &p.policy.industry;
    if ind.enabled {
        for (i, prog) in ctx.enrolled(h.programs) {
            tally.spend(Program::Industry, prog.actor, prog.cost_per_household.get());
            if r.programs_failed & (1 << i) != 0
                && program_exit_draw < prog.failure_exit_share.get()
            {
                h.programs &= !(1 << i);
            }
        }
    }
}
