//! Village-wide natural hazards (MODEL.md 2.3): each village's disasters of the year,
//! and the plots and livestock of its households they hit.
//!
//! Hazards are data: `[shocks.hazards.NAME]` tables, in name order. Every draw of a
//! hazard is keyed by its name, so adding or removing one changes no other draw.

use super::{YearContext, YearDraws, YearRecord, stream_year};
use crate::population::{Household, Village};
use crate::rng::{self, Kind, Purpose};
use crate::scenario::Params;
use crate::scenario::params::Hazard;

/// Idiosyncratic disaster loss.
pub const SPREAD: Purpose = Purpose::new("hazards.spread");

/// The most hazards a scenario may have (a household's record keeps one bit each).
pub const MAX_HAZARDS: usize = 8;

/// Whether a hazard strikes a village this year (one uniform per village and hazard).
const STRIKE: Purpose = Purpose::new("hazards.strike");
/// The village's loss share when it strikes (a Beta, drawn only then).
const LOSS: Purpose = Purpose::new("hazards.loss");
/// Whether a struck village's hazard hits a household's plots.
const HIT: Purpose = Purpose::new("hazards.hit");

/// One hazard of a scenario with the purposes of its three draws.
#[derive(Debug, Clone, Copy)]
pub struct HazardDraws<'a> {
    /// Its parameters.
    pub hazard: &'a Hazard,
    /// Whether it strikes a village.
    pub strike: Purpose,
    /// The struck village's loss share.
    pub loss: Purpose,
    /// Whether it hits a household's plots.
    pub hit: Purpose,
}

/// A scenario's hazards in their order (bit `k` of [`YearRecord::hazards`]), each with
/// the purposes of its draws, keyed by its name.
pub fn hazards(p: &Params) -> Vec<HazardDraws<'_>> {
    p.shocks
        .hazards
        .iter()
        .map(|(name, hazard)| HazardDraws {
            hazard,
            strike: STRIKE.of(name),
            loss: LOSS.of(name),
            hit: HIT.of(name),
        })
        .collect()
}

/// The names of the hazards whose bits are set in `bits`, in order.
pub fn hazard_names(p: &Params, bits: u8) -> impl Iterator<Item = &str> {
    p.shocks
        .hazards
        .keys()
        .enumerate()
        .filter(move |(k, _)| bits & (1 << k) != 0)
        .map(|(_, name)| name.as_str())
}

/// A village's disasters in one year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VillageYear {
    /// Share of farm output lost by hit households, per hazard in order (0 if it did
    /// not strike).
    pub loss: [f64; MAX_HAZARDS],
}

/// Draw each village's disasters for year index `t`.
pub fn village_years(
    p: &Params,
    replication: u32,
    t: i32,
    terrain: &[Village],
) -> Vec<VillageYear> {
    let year = stream_year(p, t);
    let streams = rng::Streams::new(p.simulation.seed, replication, Kind::VillageYear);
    let hz = hazards(p);
    terrain
        .iter()
        .enumerate()
        .map(|(v, village)| {
            let key = streams.key(v as u64, year);
            let mut out = VillageYear::default();
            for (k, d) in hz.iter().enumerate() {
                let h = d.hazard;
                let (prob, mean) = if village.dry {
                    (h.probability_dry.get(), h.loss_mean_dry.get())
                } else {
                    (h.probability_irrigated.get(), h.loss_mean_irrigated.get())
                };
                if h.enabled && key.uniform(d.strike) < prob {
                    out.loss[k] = rng::beta(&mut key.stream(d.loss), mean, h.loss_concentration);
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
    d: YearDraws<'_>,
) -> (f64, f64) {
    let village = &ctx.villages[h.village as usize];
    let spread = ctx.p.shocks.disaster_spread;
    let mut keep_farm = 1.0;
    let mut keep_livestock = 1.0;
    // One idiosyncratic spread a year, drawn when a first hazard hits.
    let mut spread_draw = None;
    for (k, hd) in ctx.hazards.iter().enumerate() {
        let hz = hd.hazard;
        if village.loss[k] > 0.0 && d.hit(hd.hit) < hz.affected_share.get() {
            let loss = (village.loss[k]
                * rng::math::exp(
                    spread * *spread_draw.get_or_insert_with(|| d.spread()) - spread * spread / 2.0,
                ))
            .min(1.0);
            keep_farm *= 1.0 - loss;
            keep_livestock *= 1.0 - hz.livestock_loss.get();
            r.hazards |= 1 << k;
        }
    }
    r.farm_loss_share = 1.0 - keep_farm;
    (keep_farm, keep_livestock)
}
