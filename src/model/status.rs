//! Poverty status and causes (MODEL.md 2.6, 4): returns and new poverty on the survey
//! measure, the cause of each return, the register's year-end review (the
//! administrative measure), and the year's counts.

use super::{YearContext, YearRecord};
use crate::metrics::{self, Falls, YearTally};
use crate::population::{self, Household, Year8};
use crate::scenario::params::NewlyPoor;

/// Returns and new poverty on the survey measure, and each return's cause.
pub(super) fn update(
    h: &mut Household,
    r: &mut YearRecord,
    ctx: &YearContext<'_>,
    tally: &mut YearTally,
) {
    let size = f64::from(h.size);
    let recording = ctx.t >= 0;
    if h.registered() && !h.poor_prev() {
        tally.lifted_at_risk += 1;
        if r.poor {
            r.returned = true;
            tally.returns += 1;
            tally.returns_persons += u64::from(h.size);
        }
    }
    if !h.registered() && !h.poor_prev() {
        tally.never_registered_at_risk += 1;
        if r.poor {
            r.new_poor = true;
            tally.new_poor += 1;
        }
    }
    if r.returned {
        let labour_fall = if r.working < h.prev_working && h.prev_working > 0 {
            h.prev_wage.get() * f64::from(h.prev_working - r.working) / f64::from(h.prev_working)
        } else {
            0.0
        };
        let wage_fall = h.prev_wage.get() - r.wage;
        let labour = labour_fall.min(wage_fall.max(0.0));
        let cause = metrics::attribute(&Falls {
            illness: r.rigid - h.prev_rigid.get(),
            disaster: r.disaster_loss - h.prev_disaster.get(),
            job: wage_fall - labour,
            program: h.prev_industry.get() - r.industry,
            labour,
            total: (h.prev_y.get() - r.y) * size,
        });
        r.cause = Some(cause);
        tally.causes[cause as usize] += 1;
        if recording {
            if h.returns == 0 {
                h.first_return = Year8::new(ctx.t as i16);
            }
            h.returns = h.returns.saturating_add(1);
        }
    }
}

/// The register's year-end review (`policy.register`): a household whose income after
/// support is below the line is verified poor, unless monitoring is still given time
/// to rescue it (a monitoring object below the line at fewer than `rescue_years`
/// consecutive year-ends). A lifted household verified poor is a registered return; a
/// never-registered one is newly poor, and is put on the register (2013-2020 rules)
/// or made a monitoring object (after 2020). Verified poor households are cleared at
/// the first year-end above the line.
///
/// Who the review sees: every registered household, whose income the register checks
/// each year; under the 2013-2020 rules every other household too (the annual
/// adjustment reviewed whole villages); after 2020 a never-registered household only
/// once monitoring has identified it, since identification is the one way a newly
/// poor household becomes a monitoring object.
pub(super) fn review(
    h: &mut Household,
    r: &mut YearRecord,
    ctx: &YearContext<'_>,
    tally: &mut YearTally,
) {
    let reg = &ctx.p.policy.register;
    let poor = r.income_on(reg.income, h.size) < ctx.z;
    h.below_years = if poor {
        h.below_years.saturating_add(1)
    } else {
        0
    };
    if h.verified_poor() {
        h.set_verified_poor(poor);
        return;
    }
    if h.registered() {
        tally.lifted_on_register += 1;
    } else {
        tally.unregistered_not_poor += 1;
    }
    let rescue = h.monitored() && u32::from(h.below_years) < reg.rescue_years;
    let unseen = !h.registered() && !h.monitored() && reg.newly_poor == NewlyPoor::Monitoring;
    if !poor || rescue || unseen {
        return;
    }
    r.verified_poor = true;
    h.set_verified_poor(true);
    if h.registered() {
        r.registered_return = true;
        tally.registered_returns += 1;
        return;
    }
    r.verified_new_poor = true;
    tally.verified_new_poor += 1;
    // Under the monitoring rules it was seen only once monitored, and stays so.
    if reg.newly_poor == NewlyPoor::Register {
        h.set_registered(true);
    }
}

/// Count monitored and registered households after the review, and the households
/// monitored in some year since the start whose risk has since been eliminated.
pub(super) fn count_register(
    h: &mut Household,
    r: &YearRecord,
    ctx: &YearContext<'_>,
    tally: &mut YearTally,
) {
    tally.monitored += u64::from(h.monitored());
    if ctx.p.policy.monitoring.enabled {
        // Monitored this year: still, or until its risk was eliminated at the year-end.
        h.set_ever_monitored(h.ever_monitored() || h.monitored() || r.exited);
        tally.ever_monitored += u64::from(h.ever_monitored());
        tally.risk_eliminated_stock += u64::from(h.ever_monitored() && !h.monitored());
    }
    if h.registered() {
        tally.registered += 1;
        tally.monitored_lifted += u64::from(h.monitored());
    }
}

/// Count the household in the year's tallies of income, poverty and the initially
/// lifted.
pub(super) fn count(h: &Household, r: &YearRecord, ctx: &YearContext<'_>, tally: &mut YearTally) {
    let size = f64::from(h.size);
    let recording = ctx.t >= 0;
    tally.households += 1;
    tally.income += r.y;
    // The register's income: before medical spending, as the register measures net
    // income (transfers and support included).
    let register = r.y * size + r.rigid;
    let persons = u64::from(h.size);
    let dibao = if r.on_dibao { persons } else { 0 };
    tally.persons += persons;
    tally.register_income += register;
    tally.dibao_persons += dibao;
    if h.registered() {
        tally.lifted_persons += persons;
        tally.lifted_income += register;
        tally.lifted_dibao_persons += dibao;
    }
    tally.poverty(h.group as usize, persons, r.y / ctx.z);

    if recording && h.group == population::Group::Lifted {
        tally.initially_lifted += 1;
        tally.ever_returned += u64::from(h.returns > 0);
    }
}
