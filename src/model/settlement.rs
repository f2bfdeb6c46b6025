//! Settlement (MODEL.md 2.5): out-of-pocket medical spending and debt service are paid
//! from savings, then from income up to a limit, and the rest is borrowed; what is paid
//! from income counts against the year's net income.

use super::{YearContext, YearRecord};
use crate::population::Household;

/// The result of paying rigid spending for the year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settlement {
    /// Rigid spending counted against the year's income.
    pub rigid: f64,
    /// Paid from savings.
    pub from_savings: f64,
    /// Newly borrowed.
    pub borrowed: f64,
    /// Savings afterwards.
    pub savings: f64,
    /// Debt afterwards.
    pub debt: f64,
    /// Per-capita net income.
    pub y: f64,
}

/// Pay out-of-pocket medical spending and debt service: from savings first, then from
/// income up to `borrowing_threshold` of gross income; the rest is borrowed and repaid
/// in later years. What is paid from income counts against `y`.
pub fn settle(h: &Household, out_of_pocket: f64, gross: f64, ctx: &YearContext<'_>) -> Settlement {
    let f = &ctx.p.finance;
    let size = f64::from(h.size);
    if !f.enabled {
        return Settlement {
            rigid: out_of_pocket,
            from_savings: 0.0,
            borrowed: 0.0,
            savings: f64::from(h.savings),
            debt: f64::from(h.debt),
            y: (gross - out_of_pocket) / size,
        };
    }
    let savings = f64::from(h.savings);
    let debt = f64::from(h.debt);
    let service = debt * f.debt_repayment_rate.get();
    let rigid = out_of_pocket + service;
    let from_savings = rigid.min(savings);
    let rest = rigid - from_savings;
    let borrowed = (rest - f.borrowing_threshold.get() * gross.max(0.0)).max(0.0);
    let counted = rest - borrowed;
    let net = gross - counted;
    let surplus = net - f.consumption_floor_ratio * ctx.z * size;
    Settlement {
        rigid: counted,
        from_savings,
        borrowed,
        savings: savings - from_savings + f.saving_rate.get() * surplus.max(0.0),
        debt: debt - service + borrowed,
        y: net / size,
    }
}

/// The year settled before monitoring support (`y_pre`), without changing savings or
/// debt.
pub(super) fn before_support(h: &Household, r: &mut YearRecord, ctx: &YearContext<'_>) {
    let pre = settle(h, r.cover.out_of_pocket, r.gross, ctx);
    r.y_pre = pre.y;
}

/// Settle the year with the support paid: monitoring's top-ups and job wage count as
/// income, and its `medical_relief` lowers the medical spending to pay.
pub(super) fn settle_year(
    h: &mut Household,
    r: &mut YearRecord,
    ctx: &YearContext<'_>,
    medical_relief: f64,
) {
    let pk = r.package;
    let extra_income = pk.topup + pk.conditional + pk.job;
    let s = settle(
        h,
        r.cover.out_of_pocket - medical_relief,
        r.gross + extra_income,
        ctx,
    );
    r.rigid = s.rigid;
    r.from_savings = s.from_savings;
    r.borrowed = s.borrowed;
    r.y = s.y;
    h.savings = s.savings as f32;
    h.debt = s.debt as f32;
    r.poor = r.y < ctx.z;
}
