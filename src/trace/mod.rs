//! One household's story, year by year, for teaching.
//!
//! `trace` runs the replication with the engine's own code and records what the
//! inspector hook sees for one household: the story is told from the engine's
//! [`YearRecord`]s, never re-computed.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use crate::cases;
use crate::metrics::{RiskGroup, YearTally};
use crate::model::{YearRecord, hazard_names};
use crate::output::{Csv, OutputError, thousands as cny};
use crate::population::Household;
use crate::runner::{self, Silent};
use crate::scenario::Scenario;

/// Which kind of story to look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Find {
    /// A lifted household that returns to poverty (preferably one monitoring then helps).
    Returned,
    /// A household never poor over the horizon.
    NeverPoor,
    /// A household served by monitoring.
    Monitored,
}

/// One year of the story: the record and the household at the end of the year.
#[derive(Debug, Clone)]
pub struct Year {
    /// What happened.
    pub record: YearRecord,
    /// The household afterwards.
    pub household: Household,
}

/// Run replication `replication` and keep household `id`'s years.
pub fn trace(s: &Scenario, replication: u32, id: u64) -> Vec<Year> {
    let seen = Mutex::new(Vec::new());
    let keep = |_: u32, h: &Household, r: &YearRecord| {
        if u64::from(r.id) == id
            && let Ok(mut v) = seen.lock()
        {
            v.push(Year {
                record: r.clone(),
                household: h.clone(),
            });
        }
    };
    runner::replication(s, replication, &Silent, Some(&keep));
    let mut years = seen.into_inner().unwrap_or_else(PoisonError::into_inner);
    years.sort_by_key(|y| y.record.t);
    years
}

/// What a household's story showed: returned, served after returning, ever poor, served.
type Flags = (bool, bool, bool, bool);

/// The lowest household id whose story shows `what`, if any.
pub fn find(s: &Scenario, replication: u32, what: Find) -> Option<u64> {
    // Per household: (returned, served after returning, ever poor, served).
    let flags: Mutex<BTreeMap<u64, Flags>> = Mutex::new(BTreeMap::new());
    let look = |_: u32, _: &Household, r: &YearRecord| {
        if let Ok(mut m) = flags.lock() {
            let f = m.entry(u64::from(r.id)).or_default();
            f.1 |= f.0 && r.served;
            f.0 |= r.returned;
            f.2 |= r.poor;
            f.3 |= r.served;
        }
    };
    runner::replication(s, replication, &Silent, Some(&look));
    let flags = flags.into_inner().unwrap_or_else(PoisonError::into_inner);
    let pick =
        |pred: &dyn Fn(&Flags) -> bool| flags.iter().find(|(_, f)| pred(f)).map(|(id, _)| *id);
    match what {
        Find::Returned => pick(&|f| f.0 && f.1).or_else(|| pick(&|f| f.0)),
        Find::NeverPoor => pick(&|f| !f.2),
        Find::Monitored => pick(&|f| f.3),
    }
}

/// The story as text a teacher could read aloud.
pub fn narrative(s: &Scenario, id: u64, years: &[Year]) -> String {
    let Some(first) = years.first() else {
        return format!("household {id}: no recorded years\n");
    };
    let h = &first.household;
    let mut out = format!(
        "Household {id} ({}), scenario `{}`: {} persons, {} able to work, head aged {}, {:.1} mu of land ({:.0}% irrigated), {} CNY of livestock and tools.\n",
        match h.group {
            crate::population::Group::Lifted => format!(
                "lifted out of poverty before {}",
                s.params.simulation.start_year
            ),
            crate::population::Group::Marginal => "a marginal household, never registered".into(),
            crate::population::Group::Other => "an ordinary household".into(),
        },
        s.name,
        h.size,
        h.labour,
        h.head_age,
        h.land,
        h.irrigated.get() * 100.0,
        cny(f64::from(h.assets)),
    );
    for y in years {
        let r = &y.record;
        let year = s.year(r.t.max(0) as usize);
        let z = r.poverty_line;
        let mut parts: Vec<String> = Vec::new();
        for name in hazard_names(&s.params, r.hazards) {
            parts.push(format!("{name} hit the fields"));
        }
        if r.hazards != 0 {
            parts.push(format!(
                "farm output −{:.0}% ({} CNY lost)",
                r.farm_loss_share * 100.0,
                cny(r.disaster_loss)
            ));
            if r.agri.indemnity > 0.0 {
                parts.push(format!(
                    "agricultural insurance paid {}",
                    cny(r.agri.indemnity)
                ));
            }
        }
        if r.ill {
            parts.push(format!(
                "serious illness: bill {} CNY, insurance and assistance paid {}, {} left to the family",
                cny(r.medical_bill),
                cny(r.cover.basic + r.cover.serious + r.cover.assistance),
                cny(r.cover.out_of_pocket)
            ));
            if r.labour_lost {
                parts.push("a worker could not work".into());
            }
        }
        if r.job_shock {
            parts.push("migrant jobs collapsed across the county".into());
        }
        if r.programs_failed != 0 {
            parts.push("an industry program failed".into());
        }
        if r.from_savings > 0.0 {
            parts.push(format!("{} CNY came out of savings", cny(r.from_savings)));
        }
        if r.borrowed > 0.0 {
            parts.push(format!("{} CNY was borrowed", cny(r.borrowed)));
        }
        if r.on_dibao {
            parts.push(format!("dibao paid {}", cny(r.dibao)));
        }
        parts.push(format!(
            "{} of {} workers had jobs; income {} CNY per person (line {})",
            r.employed,
            r.working,
            cny(r.y),
            cny(z)
        ));
        if r.returned {
            let cause = r
                .cause
                .map(|c| c.name().replace('_', " "))
                .unwrap_or_else(|| "other".into());
            parts.push(format!(
                "fell below the line: returned to poverty (main cause: {cause})"
            ));
        } else if r.new_poor {
            parts.push("fell below the line for the first time and was put on the register".into());
        } else if r.poor {
            parts.push("still below the line".into());
        }
        if r.at_risk {
            let group = match r.risk_group {
                Some(RiskGroup::UnstableLifted) => "an unstable lifted household",
                Some(RiskGroup::Marginal) => "a marginal household",
                Some(RiskGroup::Sudden) => "a household in sudden severe difficulty",
                None => "a household",
            };
            if r.detected && r.newly_detected {
                parts.push(format!("detected by monitoring as {group}"));
            } else if r.refused {
                parts.push(format!(
                    "identified as {group} but not admitted: monitoring was at its scale limit"
                ));
            } else if !r.detected {
                parts.push(format!("at risk as {group}, but not detected"));
            }
            if r.served {
                let pk = &r.package;
                let mut help = Vec::new();
                if pk.topup + pk.conditional > 0.0 {
                    help.push(format!("top-up {}", cny(pk.topup + pk.conditional)));
                }
                if pk.job > 0.0 {
                    help.push(format!("public-welfare job {}", cny(pk.job)));
                }
                if pk.medical > 0.0 {
                    help.push(format!("extra medical help {}", cny(pk.medical)));
                }
                if !help.is_empty() {
                    parts.push(format!("support: {}", help.join(", ")));
                }
            } else if r.detected {
                parts.push(
                    "detected, but given no measure (no package to pay, no program to join)".into(),
                );
            }
        }
        if r.registered_return {
            parts.push(
                "put back on the register at the year-end review (a registered return)".into(),
            );
        } else if r.verified_new_poor {
            parts.push("verified newly poor at the year-end review".into());
        }
        if r.enrolled {
            parts.push("placed in an industry program from next year".into());
        }
        if r.exited {
            parts.push("left monitoring: risk eliminated".into());
        }
        if r.trained {
            parts.push("took skills training".into());
        }
        out.push_str(&format!("{year}: {}.\n", parts.join("; ")));
    }
    out
}

/// The story as CSV: one row a year, the values a rule case can check.
pub fn csv(s: &Scenario, id: u64, years: &[Year]) -> Result<Vec<u8>, OutputError> {
    let rows: Vec<BTreeMap<String, f64>> = years
        .iter()
        .map(|y| cases::values(&y.record, &YearTally::default(), &y.household))
        .collect();
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let keys: Vec<&String> = first
        .keys()
        .filter(|k| crate::metrics::registry::unit(k) != crate::metrics::Unit::Cny)
        .collect();
    let header = ["scenario", "household", "year"].map(String::from);
    let mut out = Csv::new("the trace", header.iter().chain(keys.iter().copied()))?;
    for (y, row) in years.iter().zip(&rows) {
        let head = [
            s.name.clone(),
            id.to_string(),
            s.year(y.record.t.max(0) as usize).to_string(),
        ];
        out.row(
            head.into_iter()
                .chain(keys.iter().map(|k| row[*k].to_string())),
        )?;
    }
    out.finish()
}
