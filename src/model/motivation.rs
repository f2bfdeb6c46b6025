//! Motivation (MODEL.md 3.4): neighbours' pull, dependency on unconditional support,
//! and the motivation policy's work rewards and training, with their costs.

use super::{YearContext, YearRecord};
use crate::metrics::{Program, YearTally};
use crate::population::{Household, Share16};
use crate::rng::Purpose;
use crate::scenario::params::Actor;

/// Skills training.
pub const TRAIN: Purpose = Purpose::new("motivation.training");

/// Update the household's motivation; `train_draw` says whether it is offered training.
pub(super) fn update(
    h: &mut Household,
    r: &mut YearRecord,
    ctx: &YearContext<'_>,
    tally: &mut YearTally,
    train_draw: bool,
) {
    let p = ctx.p;
    let mut m = h.m.get();
    let beh = &p.behaviour;
    if beh.neighbours.enabled {
        m += beh.neighbours.pull.get() * (ctx.village_motivation[h.village as usize] - m);
    }
    let unconditional = r.dibao > 0.0 || (r.served && r.package.topup > 0.0);
    if unconditional {
        h.support_years = h.support_years.saturating_add(1);
        if beh.dependency.enabled {
            let full = f64::from(beh.dependency.full_after_years);
            m -= beh.dependency.rate.get() * (f64::from(h.support_years).min(full) / full);
        }
    } else {
        h.support_years = 0;
    }
    let mo = &p.policy.motivation;
    if mo.enabled && (h.registered() || h.monitored()) {
        let works = r.employed > 0 || (r.served && r.package.job > 0.0);
        if works && mo.incentive_reward.get() > 0.0 {
            r.rewarded = true;
            m += mo.incentive_motivation_gain.get();
            tally.spend(
                Program::Incentives,
                Actor::Government,
                mo.incentive_reward.get(),
            );
        }
        if h.labour > 0 && train_draw {
            r.trained = true;
            h.skill = (f64::from(h.skill) + mo.training_skill_gain).min(p.population.schooling_max)
                as f32;
            m += mo.training_motivation_gain.get();
            tally.spend(Program::Training, Actor::Government, mo.training_cost.get());
        }
    }
    h.m = Share16::new(m);
    r.motivation = h.m.get();
}
