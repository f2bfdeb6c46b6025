//! Village-wide natural hazards (MODEL.md 2.3): each village's disasters of the year,
//! and the plots and livestock of its households they hit.

use super::{Draws, YearContext, YearRecord, stream_year};
use crate::population::{self, Household, Village};
use crate::rng::{self, Kind};
use crate::scenario::Params;
use crate::scenario::params::Hazard;

/// Number of natural hazards, in the order drought, hail, frost, sandstorm.
pub const HAZARDS: usize = 4;
/// Hazard names, in order.
pub const HAZARD_NAMES: [&str; HAZARDS] = ["drought", "hail", "frost", "sandstorm"];

/// The hazards of a parameter set, in order.
pub fn hazards(p: &Params) -> [&Hazard; HAZARDS] {
    [
        &p.shocks.drought,
        &p.shocks.hail,
        &p.shocks.frost,
        &p.shocks.sandstorm,
    ]
}

/// A village's disasters in one year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VillageYear {
    /// Share of farm output lost by hit households, per hazard (0 if it did not strike).
    pub loss: [f64; HAZARDS],
}

/// Draw each village's disasters for year index `t`. Each hazard of each village has
/// its own stream, so changing one hazard leaves the others' draws unchanged.
pub fn village_years(
    p: &Params,
    replication: u32,
    t: i32,
    terrain: &[Village],
) -> Vec<VillageYear> {
    let year = stream_year(p, t);
    let hz = hazards(p);
    terrain
        .iter()
        .enumerate()
        .map(|(v, village)| {
            let mut out = VillageYear::default();
            for (k, h) in hz.iter().enumerate() {
                let id = (v as u64) * HAZARDS as u64 + k as u64;
                let mut s =
                    rng::stream(p.simulation.seed, replication, Kind::VillageYear, id, year);
                let u = rng::uniform(&mut s);
                let (prob, mean) = if village.dry {
                    (h.probability_dry.get(), h.loss_mean_dry.get())
                } else {
                    (h.probability_irrigated.get(), h.loss_mean_irrigated.get())
                };
                // The loss is the stream's last draw, so it is drawn only when the
                // hazard strikes: the same value as if always drawn, for less work.
                if h.enabled && u < prob {
                    out.loss[k] = population::beta(&mut s, mean, h.loss_concentration);
                }
            }
            out
        })
        .collect()
}

/// Which of the village's disasters hit the household's plots this year; returns the
/// shares of farm output and of livestock returns it keeps.
pub(super) fn strike(
    h: &Household,
    r: &mut YearRecord,
    ctx: &YearContext<'_>,
    d: &Draws,
) -> (f64, f64) {
    let p = ctx.p;
    let village = ctx.villages[h.village as usize];
    let spread = p.shocks.disaster_spread;
    let mut keep_farm = 1.0;
    let mut keep_livestock = 1.0;
    for (k, hz) in hazards(p).iter().enumerate() {
        if village.loss[k] > 0.0 && d.hit[k] < hz.affected_share.get() {
            let loss =
                (village.loss[k] * (spread * d.spread - spread * spread / 2.0).exp()).min(1.0);
            keep_farm *= 1.0 - loss;
            keep_livestock *= 1.0 - hz.livestock_loss.get();
            r.hazards |= 1 << k;
        }
    }
    r.farm_loss_share = 1.0 - keep_farm;
    (keep_farm, keep_livestock)
}
