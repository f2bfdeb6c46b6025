//! `report.html`: one self-contained page (inline CSS and SVG, nothing fetched) that
//! reads well on a screen, a phone and paper.

use std::collections::BTreeMap;

use super::read::{CompareRow, IndexRow, RunData, Stat, SweepData};
use super::{Content, Report, describe, shown_indices};
use crate::metrics::Unit as MetricUnit;
use crate::metrics::registry;

/// The return rate the comparison ranks by, as `povsim compare` prints it.
const RANK: &str = crate::compare::RANK_METRIC;
const REGISTERED: &str = crate::compare::REGISTERED_METRIC;

const STYLE: &str = r#"
:root { --ink: #1d2327; --muted: #5b6770; --rule: #d8dde1; --accent: #0072b2; --soft: #f3f6f8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 .3rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 2px solid var(--rule); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
p.lede { color: var(--muted); margin: 0 0 1rem; }
.brief { background: var(--soft); border-left: 4px solid var(--accent); padding: .8rem 1.1rem; margin: 1rem 0; }
.brief ul { margin: .3rem 0; padding-left: 1.2rem; }
.brief li { margin: .35rem 0; }
.table-wrap { overflow-x: auto; margin: .5rem 0 1rem; }
table { border-collapse: collapse; font-size: .92rem; min-width: 100%; }
p.note { color: var(--muted); font-size: .88rem; margin: -.6rem 0 1rem; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid var(--rule); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: var(--soft); font-weight: 600; vertical-align: bottom; white-space: normal; min-width: 5.5rem; }
td.ci, span.ci { color: var(--muted); }
span.ci { font-size: .82rem; }
tr.base td { font-weight: 600; }
.sig { color: var(--accent); font-weight: 600; }
figure { margin: 1.2rem 0 1.8rem; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .88rem; margin-top: .3rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .5rem 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
code { overflow-wrap: anywhere; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .88em; background: var(--soft); padding: 0 .2em; }
ul.diff { margin: .2rem 0 .8rem; padding-left: 1.2rem; overflow-wrap: anywhere; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--rule); padding-top: .6rem; }
@media (max-width: 640px) {
  body { font-size: 15px; }
  main { padding: 1rem .8rem 2rem; }
  h1 { font-size: 1.35rem; }
  dl.meta { grid-template-columns: 1fr; }
  dl.meta dd { margin-bottom: .3rem; }
}
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure, table, .brief { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// The page, with the charts' SVG in the order of `report.charts`.
pub fn page(report: &Report, svgs: &[String]) -> String {
    let mut body = String::new();
    let (title, lede) = heading(report);
    body.push_str(&format!("<header><h1>{}</h1>\n", esc(&title)));
    if let Some(l) = lede {
        body.push_str(&format!("<p class=\"lede\">{}</p>\n", esc(&l)));
    }
    body.push_str("</header>\n");
    let brief = brief(report);
    if !brief.is_empty() {
        body.push_str(
            "<section class=\"brief\" aria-label=\"In brief\"><strong>In brief</strong><ul>\n",
        );
        for sentence in &brief {
            body.push_str(&format!("<li>{sentence}</li>\n"));
        }
        body.push_str("</ul></section>\n");
    }
    body.push_str("<section><h2>Results</h2>\n");
    body.push_str(&main_tables(report));
    body.push_str("</section>\n<section><h2>Charts</h2>\n");
    for (chart, svg) in report.charts.iter().zip(svgs) {
        let svg = svg.trim_start_matches(|c| c != '<');
        let svg = svg.replacen(
            "<svg ",
            &format!("<svg role=\"img\" aria-label=\"{}\" ", esc(&chart.title)),
            1,
        );
        body.push_str(&format!(
            "<figure class=\"chart\" id=\"chart-{name}\">\n{svg}\n<figcaption>{caption} \
             Also as <a href=\"charts/{name}.png\">PNG</a> and <a href=\"charts/{name}.svg\">SVG</a>.</figcaption>\n</figure>\n",
            name = esc(&chart.name),
            caption = esc(&caption(chart)),
        ));
    }
    body.push_str("</section>\n<section><h2>What was run</h2>\n");
    body.push_str(&what_was_run(report));
    body.push_str("</section>\n");
    let extra = extra_tables(report);
    if !extra.is_empty() {
        body.push_str("<section><h2>More tables</h2>\n");
        body.push_str(&extra);
        body.push_str("</section>\n");
    }
    let version = report
        .manifest
        .as_ref()
        .and_then(|m| m.get("povsim_version"))
        .and_then(|v| v.as_str())
        .unwrap_or(env!("CARGO_PKG_VERSION"));
    body.push_str(&format!(
        "<footer>Made by povsim {} from the CSV, JSON and TOML files in this folder; \
         <code>povsim report DIR</code> rebuilds it from them. Intervals are 95% Student-t \
         intervals over replications unless stated otherwise.</footer>\n",
        esc(version)
    ));
    document(&title, &body)
}

/// A whole self-contained page: the house style, no network loads, `body` inside
/// `<main>`.
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        esc(title)
    )
}

/// HTML-escape text.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A signed number with a true minus sign.
fn signed(v: f64, decimals: usize) -> String {
    let s = format!("{:+.*}", decimals, v);
    s.replacen('-', "\u{2212}", 1)
}

fn minus(s: String) -> String {
    s.replace('-', "\u{2212}")
}

/// A whole number with thousands separators and a true minus sign: `12,345`.
fn thousands(v: f64) -> String {
    minus(crate::output::thousands(v))
}

fn pct(v: f64) -> String {
    minus(format!("{:.2}%", v * 100.0))
}

fn millions(v: f64) -> String {
    minus(format!("{:.2}", v / 1e6))
}

/// A value as tables show it, by its unit (`metrics::registry`): shares in percent,
/// sums of money in millions.
fn value(metric: &str, v: f64) -> String {
    match registry::unit(metric) {
        MetricUnit::Share => pct(v),
        MetricUnit::Cny => millions(v),
        _ => minus(super::charts::number(v)),
    }
}

fn interval(metric: &str, s: &Stat) -> String {
    match s.ci() {
        Some((lo, hi)) => format!("{} to {}", value(metric, lo), value(metric, hi)),
        None => "\u{2014}".into(),
    }
}

/// A metric's label as tables show it, with the unit [`value`] writes money in.
fn metric_label(metric: &str) -> String {
    match registry::get(metric) {
        Some(m) if m.unit == MetricUnit::Cny => {
            format!("{} (million CNY)", super::capitalise(&m.label))
        }
        Some(m) => super::capitalise(&m.label),
        None => metric.replace('_', " "),
    }
}

fn heading(report: &Report) -> (String, Option<String>) {
    let scenario_desc = super::read::description(report.scenario.as_ref());
    match &report.content {
        Content::Run(run) => (
            format!("Return to poverty: the {} scenario", run.name),
            run.description(),
        ),
        Content::Compare { arms, .. } => {
            let study = report
                .manifest
                .as_ref()
                .and_then(|m| m.get("study"))
                .and_then(|s| s.as_str())
                .map(|s| s.replace('_', " "));
            let title = match study {
                Some(s) => format!("Return to poverty: {}", super::capitalise(&s)),
                None => "Return to poverty: scenarios compared".into(),
            };
            let base = arms.first().map(|a| a.name.as_str()).unwrap_or("baseline");
            (
                title,
                Some(format!(
                    "{} variant{} compared with the {base} scenario on the same households and shocks.",
                    arms.len().saturating_sub(1),
                    if arms.len() == 2 { "" } else { "s" }
                )),
            )
        }
        Content::Sweep(s) => (
            format!(
                "Sweep: {}",
                s.keys
                    .iter()
                    .map(|k| super::short(k))
                    .collect::<Vec<_>>()
                    .join(" \u{00d7} ")
            ),
            scenario_desc,
        ),
        Content::Sensitivity { method, .. } => (
            format!("Sensitivity analysis ({})", method_name(method)),
            scenario_desc,
        ),
    }
}

fn method_name(method: &str) -> &str {
    match method {
        "morris" => "Morris elementary effects",
        "sobol" => "Sobol variance decomposition",
        "lhs" => "Latin hypercube with regression",
        other => other,
    }
}

fn households(report: &Report) -> Option<f64> {
    let from_manifest = report
        .manifest
        .as_ref()
        .and_then(|m| m.get("households"))
        .and_then(|h| h.as_f64());
    let from_scenario = || {
        report
            .scenario
            .as_ref()?
            .get("simulation")?
            .get("households")?
            .as_integer()
            .map(|h| h as f64)
    };
    from_manifest.or_else(from_scenario)
}

fn brief(report: &Report) -> Vec<String> {
    match &report.content {
        Content::Run(run) => brief_run(run, households(report)),
        Content::Compare { arms, rows } => {
            brief_compare(arms, rows, households(report), report.independent())
        }
        Content::Sweep(s) => brief_sweep(s, &report.metric()),
        Content::Sensitivity { method, indices } => {
            brief_sensitivity(method, indices, &report.metric())
        }
    }
}

fn brief_run(run: &RunData, households: Option<f64>) -> Vec<String> {
    let mut out = Vec::new();
    let (first, last) = (run.years.first(), run.years.last());
    if let (Some(c), Some(first), Some(last)) =
        (run.summary.get("cumulative_return_prob"), first, last)
    {
        out.push(format!(
            "Over {} years ({first}\u{2013}{last}), {} of households lifted out of poverty \
             returned to poverty at least once (95% CI {}).",
            run.years.len(),
            pct(c.mean),
            interval("cumulative_return_prob", c)
        ));
    }
    if let Some(r) = run.summary.get(RANK) {
        out.push(format!(
            "The return rate averaged {} a year (95% CI {}): the survey measure, lifted \
             households whose income fell below the line.",
            pct(r.mean),
            interval(RANK, r)
        ));
    }
    if let Some(r) = run.summary.get(REGISTERED) {
        out.push(format!(
            "The registered return rate averaged {} a year (95% CI {}): the administrative \
             measure, lifted households the year-end review put back on the register, below \
             the line after support and not rescued by monitoring in time.",
            pct(r.mean),
            interval(REGISTERED, r)
        ));
    }
    let mut causes: Vec<(String, f64)> = run
        .cause_names()
        .into_iter()
        .map(|c| {
            let total = run.years.iter().map(|y| run.cause_returns(*y, &c)).sum();
            (c, total)
        })
        .collect();
    let all: f64 = causes.iter().map(|c| c.1).sum();
    causes.sort_by(|a, b| b.1.total_cmp(&a.1));
    if all > 0.0 && causes.len() >= 2 {
        out.push(format!(
            "The most common cause of return was {} ({:.0}% of returns), then {} ({:.0}%).",
            causes[0].0.replace('_', " "),
            causes[0].1 / all * 100.0,
            causes[1].0.replace('_', " "),
            causes[1].1 / all * 100.0
        ));
    }
    if let Some(c) = run.summary.get("cost_total") {
        let per = households
            .map(|h| format!(", about {} CNY per household", thousands(c.mean / h)))
            .unwrap_or_default();
        out.push(format!(
            "Public spending averaged {} million CNY a year{per}.",
            millions(c.mean)
        ));
    }
    out
}

/// A difference of shares in points with its 95% interval: "−0.94 points, 95% CI
/// −1.09 to −0.78".
fn points_with_ci(d: &Stat) -> String {
    let (lo, hi) = d.ci().unwrap_or((f64::NAN, f64::NAN));
    format!(
        "{} points, 95% CI {} to {}",
        signed(d.mean * 100.0, 2),
        signed(lo * 100.0, 2),
        signed(hi * 100.0, 2)
    )
}

fn brief_compare(
    arms: &[RunData],
    rows: &[CompareRow],
    households: Option<f64>,
    independent: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let find = |scenario: &str, metric: &str| {
        rows.iter()
            .find(|r| r.scenario == scenario && r.metric == metric)
    };
    let mut best: Option<(&str, f64)> = None;
    for arm in arms.iter().skip(1) {
        let Some(r) = find(&arm.name, RANK) else {
            continue;
        };
        let d = &r.diff;
        let p = r
            .p_value
            .map(|p| {
                if p < 0.001 {
                    ", p < 0.001".to_string()
                } else {
                    format!(", p = {p:.3}")
                }
            })
            .unwrap_or_default();
        let change = format!("{}{p}", points_with_ci(d));
        let verb = if d.excludes_zero() {
            if d.mean < 0.0 { "cut" } else { "raised" }
        } else {
            "did not clearly change"
        };
        let cost = find(&arm.name, "cost_total").map(|c| {
            let more = c.diff.mean >= 0.0;
            match households {
                Some(h) => format!(
                    ", at {} CNY {} per household a year",
                    thousands((c.diff.mean / h).abs()),
                    if more { "more" } else { "less" }
                ),
                None => format!(
                    ", at {} million CNY {} a year",
                    millions(c.diff.mean.abs()),
                    if more { "more" } else { "less" }
                ),
            }
        });
        let who = match arm.description() {
            Some(desc) => format!("<strong>{}</strong> ({})", esc(&arm.name), esc(&desc)),
            None => format!("<strong>{}</strong>", esc(&arm.name)),
        };
        let registered = find(&arm.name, REGISTERED)
            .map(|g| {
                format!(
                    "; on the register, from {} to {} ({})",
                    g.base_mean.map(pct).unwrap_or_default(),
                    g.scenario_mean.map(pct).unwrap_or_default(),
                    points_with_ci(&g.diff)
                )
            })
            .unwrap_or_default();
        out.push(format!(
            "{who} {verb} the return rate from {} to {} a year ({change}){registered}{}.",
            r.base_mean.map(pct).unwrap_or_default(),
            r.scenario_mean.map(pct).unwrap_or_default(),
            cost.unwrap_or_default()
        ));
        if d.excludes_zero() && d.mean < best.map(|b| b.1).unwrap_or(0.0) {
            best = Some((&arm.name, d.mean));
        }
    }
    if rows.iter().any(|r| r.metric == REGISTERED) {
        out.push(
            "The return rate is the survey measure: lifted households whose income fell \
             below the line. The register's measure counts those the year-end review put \
             back on the register, below the line after support and not rescued by \
             monitoring in time; the gap between the two is what monitoring catches."
                .to_string(),
        );
    }
    if let Some((name, _)) = best {
        let n = rows.first().map(|r| r.diff.n).unwrap_or(0);
        let how = if independent {
            format!(
                "Each scenario ran with its own seed ({n} replications each), so the \
                 intervals are Welch intervals between independent runs."
            )
        } else {
            format!(
                "Differences are paired: every scenario faced the same households and \
                 shocks in each of {n} replications."
            )
        };
        out.push(format!(
            "The largest reduction came from <strong>{}</strong>. {how}",
            esc(name)
        ));
    }
    out
}

fn brief_sweep(sweep: &SweepData, metric: &str) -> Vec<String> {
    let mut out = Vec::new();
    let key = sweep.keys.first().cloned().unwrap_or_default();
    let with_metric: Vec<_> = sweep
        .points
        .iter()
        .filter_map(|p| Some((p, p.metrics.get(metric)?)))
        .collect();
    if sweep.keys.len() == 1 && with_metric.len() >= 2 {
        let (p0, s0) = with_metric[0];
        let (p1, s1) = with_metric[with_metric.len() - 1];
        let (title, _, _) = describe(metric);
        out.push(format!(
            "Moving <code>{}</code> from {} to {} changed the {} from {} (95% CI {}) to {} (95% CI {}).",
            esc(&key),
            esc(&p0.values[0]),
            esc(&p1.values[0]),
            esc(&title.to_lowercase()),
            value(metric, s0.mean),
            interval(metric, s0),
            value(metric, s1.mean),
            interval(metric, s1)
        ));
        let (lo, hi) = with_metric
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (_, s)| {
                (a.min(s.mean), b.max(s.mean))
            });
        out.push(format!(
            "Across the {} values it ranged from {} to {}.",
            with_metric.len(),
            value(metric, lo),
            value(metric, hi)
        ));
    } else if !with_metric.is_empty() {
        let (best, s) = with_metric
            .iter()
            .min_by(|a, b| a.1.mean.total_cmp(&b.1.mean))
            .copied()
            .unwrap_or(with_metric[0]);
        let at: Vec<String> = sweep
            .keys
            .iter()
            .zip(&best.values)
            .map(|(k, v)| format!("<code>{}</code> = {}", esc(k), esc(v)))
            .collect();
        out.push(format!(
            "The lowest {} ({}) came at {}, over {} points.",
            esc(&describe(metric).0.to_lowercase()),
            value(metric, s.mean),
            at.join(", "),
            sweep.points.len()
        ));
    }
    out
}

fn brief_sensitivity(method: &str, indices: &[IndexRow], metric: &str) -> Vec<String> {
    let primary = shown_indices(method)[0];
    let mut rows: Vec<&IndexRow> = indices.iter().filter(|r| r.index == primary).collect();
    rows.sort_by(|a, b| b.stat.mean.abs().total_cmp(&a.stat.mean.abs()));
    let mut out = Vec::new();
    if rows.is_empty() {
        return out;
    }
    let top: Vec<String> = rows
        .iter()
        .take(3)
        .map(|r| {
            format!(
                "<code>{}</code> ({primary} {})",
                esc(&r.factor),
                minus(super::charts::number(r.stat.mean))
            )
        })
        .collect();
    out.push(format!(
        "Ranked by {primary}, the {} is most sensitive to {}.",
        esc(&describe(metric).0.to_lowercase()),
        top.join(", ")
    ));
    let least: Vec<String> = rows
        .iter()
        .rev()
        .take(3)
        .map(|r| format!("<code>{}</code>", esc(&r.factor)))
        .collect();
    out.push(format!(
        "The least influential of the {} factors are {}.",
        rows.len(),
        least.join(", ")
    ));
    if method == "sobol" {
        out.push(
            "Sobol intervals are bootstrap 95% intervals; where they are wide, more samples \
             (<code>--samples</code>) narrow them."
                .into(),
        );
    }
    out
}

fn table(head: &[String], rows: &[Vec<(String, &str)>], caption: &str) -> String {
    let mut t = String::from("<div class=\"table-wrap\"><table class=\"data\">\n");
    t.push_str("<thead><tr>");
    for h in head {
        t.push_str(&format!("<th scope=\"col\">{h}</th>"));
    }
    t.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        let class = if row.first().is_some_and(|c| c.1 == "base") {
            " class=\"base\""
        } else {
            ""
        };
        t.push_str(&format!("<tr{class}>"));
        for (cell, kind) in row {
            match *kind {
                "ci" => {
                    t.push_str(&format!("<td class=\"ci\">{cell}</td>"));
                }
                _ => {
                    t.push_str(&format!("<td>{cell}</td>"));
                }
            }
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</tbody></table></div>\n");
    if !caption.is_empty() {
        t.push_str(&format!("<p class=\"note\">{caption}</p>\n"));
    }
    t
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const RUN_METRICS: &[&str] = &[
    "cumulative_return_prob",
    "return_rate",
    "registered_return_rate",
    "mean_return_rate",
    "mean_years_to_first_return",
    "headcount_rate",
    "new_poverty_rate",
    "verified_new_poverty_rate",
    "poverty_gap",
    "monitored",
    "monitored_share",
    "served",
    "served_share",
    "mean_income_lifted",
    "cost_total",
    "total_cost",
    "transient_share",
    "exit_after_one_year",
    "reentry_within_5y",
];

fn main_tables(report: &Report) -> String {
    match &report.content {
        Content::Run(run) => {
            let rows: Vec<Vec<(String, &str)>> = RUN_METRICS
                .iter()
                .filter_map(|m| {
                    let s = run.summary.get(*m)?;
                    Some(vec![
                        (esc(&metric_label(m)), ""),
                        (value(m, s.mean), ""),
                        (interval(m, s), "ci"),
                    ])
                })
                .collect();
            table(
                &strings(&["Whole horizon", "Mean", "95% CI"]),
                &rows,
                &format!(
                    "Means over {} replications; yearly figures are averaged over the years.",
                    run.summary.values().next().map(|s| s.n).unwrap_or(0)
                ),
            )
        }
        Content::Compare { arms, rows } => compare_table(arms, rows, report.independent()),
        Content::Sweep(s) => sweep_table(s, &report.metric()),
        Content::Sensitivity { method, indices } => indices_table(method, indices),
    }
}

fn compare_table(arms: &[RunData], rows: &[CompareRow], independent: bool) -> String {
    let find = |scenario: &str, metric: &str| {
        rows.iter()
            .find(|r| r.scenario == scenario && r.metric == metric)
    };
    let head = strings(&[
        "Scenario",
        "Return rate a year (survey)",
        "Change, points (95% CI)",
        "Registered return rate a year",
        "Change, points (95% CI)",
        "Returned at least once",
        "Cost a year, million CNY",
        "Change (95% CI)",
        "Returns averted per million CNY (95% CI)",
    ]);
    // A difference with its interval beneath it, scaled by `k`.
    let change = |r: Option<&CompareRow>, k: f64, decimals: usize| {
        r.map(|r| {
            let mark = if r.diff.excludes_zero() {
                "<span class=\"sig\" title=\"95% interval excludes zero\">*</span>"
            } else {
                ""
            };
            let ci = r
                .diff
                .ci()
                .map(|(lo, hi)| {
                    format!(
                        "<br><span class=\"ci\">{} to {}</span>",
                        signed(lo * k, decimals),
                        signed(hi * k, decimals)
                    )
                })
                .unwrap_or_default();
            format!("{}{mark}{ci}", signed(r.diff.mean * k, decimals))
        })
        .unwrap_or_default()
    };
    let mut body = Vec::new();
    if let Some(base) = arms.first() {
        let get = |m: &str| base.summary.get(m).map(|s| s.mean);
        body.push(vec![
            (esc(&base.name), "base"),
            (get(RANK).map(pct).unwrap_or_default(), ""),
            ("baseline".into(), "ci"),
            (get(REGISTERED).map(pct).unwrap_or_default(), ""),
            (String::new(), ""),
            (
                get("cumulative_return_prob").map(pct).unwrap_or_default(),
                "",
            ),
            (get("cost_total").map(millions).unwrap_or_default(), ""),
            (String::new(), ""),
            (String::new(), ""),
        ]);
    }
    // A ratio whose cost change cannot be told from zero has no finite interval; a
    // negative one says whether the variant dominates the baseline or is dominated.
    let averted = |r: Option<&CompareRow>, cost: Option<&CompareRow>| {
        let extra = cost.map_or(0.0, |c| c.diff.mean);
        let shown = match r {
            Some(row) if row.diff.ci().is_none() => format!(
                "{}<br><span class=\"ci\">interval unbounded</span>",
                signed(row.diff.mean, 1)
            ),
            _ => change(r, 1.0, 1),
        };
        match r.and_then(|row| crate::compare::dominance(row.diff.mean, extra)) {
            Some(word) => format!("{shown}<br><span class=\"ci\">{word}</span>"),
            None => shown,
        }
    };
    // Variants ordered by their change in the return rate, best first.
    let mut order: Vec<&RunData> = arms.iter().skip(1).collect();
    let effect = |a: &RunData| find(&a.name, RANK).map(|r| r.diff.mean).unwrap_or(0.0);
    order.sort_by(|a, b| effect(a).total_cmp(&effect(b)));
    for arm in order {
        let rr = find(&arm.name, RANK);
        let registered = find(&arm.name, REGISTERED);
        let cum = find(&arm.name, "cumulative_return_prob");
        let cost = find(&arm.name, "cost_total");
        let mean = |r: Option<&CompareRow>, f: fn(f64) -> String| {
            r.and_then(|r| r.scenario_mean).map(f).unwrap_or_default()
        };
        body.push(vec![
            (esc(&arm.name), ""),
            (mean(rr, pct), ""),
            (change(rr, 100.0, 2), ""),
            (mean(registered, pct), ""),
            (change(registered, 100.0, 2), ""),
            (mean(cum, pct), ""),
            (mean(cost, millions), ""),
            (change(cost, 1e-6, 2), ""),
            (
                averted(find(&arm.name, "returns_averted_per_million"), cost),
                "",
            ),
        ]);
    }
    let how = if independent {
        "Differences from the baseline between independent runs (each scenario its own \
         seed), Welch 95% intervals beneath"
    } else {
        "Paired differences from the baseline (same seed, same households and shocks), \
         95% intervals beneath"
    };
    table(
        &head,
        &body,
        &format!(
            "{how}; * marks an interval that excludes zero. The return rate is the survey \
             measure (income below the line), the registered one the register's (put back \
             on it at the year-end review). A negative ratio of returns averted per million \
             CNY is marked: a variant that dominates has fewer returns at lower cost, a \
             dominated one more returns at higher cost. Variants are ordered by their \
             change in the return rate."
        ),
    )
}

fn sweep_table(sweep: &SweepData, metric: &str) -> String {
    let mut head: Vec<String> = sweep
        .keys
        .iter()
        .map(|k| {
            format!(
                "<code title=\"{}\">{}</code>",
                esc(k),
                esc(k.rsplit('.').next().unwrap_or(k))
            )
        })
        .collect();
    let metrics = {
        let mut m = vec![metric.to_string()];
        for extra in ["cumulative_return_prob", "total_cost"] {
            if extra != metric {
                m.push(extra.into());
            }
        }
        m
    };
    for m in &metrics {
        head.push(esc(&metric_label(m)));
        head.push("95% CI".into());
    }
    let rows: Vec<Vec<(String, &str)>> = sweep
        .points
        .iter()
        .map(|p| {
            let mut row: Vec<(String, &str)> = p.values.iter().map(|v| (esc(v), "")).collect();
            for m in &metrics {
                match p.metrics.get(m) {
                    Some(s) => {
                        row.push((value(m, s.mean), ""));
                        row.push((interval(m, s), "ci"));
                    }
                    None => {
                        row.push((String::new(), ""));
                        row.push((String::new(), "ci"));
                    }
                }
            }
            row
        })
        .collect();
    table(&head, &rows, "One row per point; means over replications.")
}

fn indices_table(method: &str, indices: &[IndexRow]) -> String {
    let shown = shown_indices(method);
    let mut by_factor: Vec<(String, BTreeMap<String, Stat>)> = Vec::new();
    for r in indices {
        match by_factor.iter_mut().find(|(f, _)| *f == r.factor) {
            Some((_, m)) => {
                m.insert(r.index.clone(), r.stat);
            }
            None => by_factor.push((
                r.factor.clone(),
                BTreeMap::from([(r.index.clone(), r.stat)]),
            )),
        }
    }
    let primary = shown[0];
    by_factor.sort_by(|a, b| {
        let v = |m: &BTreeMap<String, Stat>| m.get(primary).map(|s| s.mean.abs()).unwrap_or(0.0);
        v(&b.1).total_cmp(&v(&a.1))
    });
    let names: Vec<String> = {
        let mut n: Vec<String> = shown.iter().map(|s| s.to_string()).collect();
        for r in indices {
            if !n.contains(&r.index) {
                n.push(r.index.clone());
            }
        }
        n
    };
    let with_ci = indices.iter().any(|r| r.stat.ci().is_some());
    let mut head = vec!["Factor".to_string()];
    for n in &names {
        head.push(esc(n));
        if with_ci {
            head.push("95% CI".into());
        }
    }
    let rows: Vec<Vec<(String, &str)>> = by_factor
        .iter()
        .map(|(f, m)| {
            let mut row = vec![(format!("<code>{}</code>", esc(f)), "")];
            for n in &names {
                let s = m.get(n);
                row.push((
                    s.map(|s| minus(format!("{:.4}", s.mean)))
                        .unwrap_or_default(),
                    "",
                ));
                if with_ci {
                    row.push((
                        s.and_then(|s| s.ci())
                            .map(|(lo, hi)| minus(format!("{lo:.3} to {hi:.3}")))
                            .unwrap_or_else(|| "\u{2014}".into()),
                        "ci",
                    ));
                }
            }
            row
        })
        .collect();
    table(
        &head,
        &rows,
        &format!("Factors ordered by {primary}, most influential first."),
    )
}

fn extra_tables(report: &Report) -> String {
    let arms: Vec<&RunData> = match &report.content {
        Content::Run(run) => vec![run],
        Content::Compare { arms, .. } => arms.iter().collect(),
        _ => return String::new(),
    };
    let Some(first) = arms.first() else {
        return String::new();
    };
    let mut out = String::new();
    if arms.len() == 1 {
        let run = first;
        let head = strings(&[
            "Year",
            "Return rate",
            "95% CI",
            "Returned at least once",
            "Returns",
            "Headcount",
            "Monitored",
            "Cost (million CNY)",
        ]);
        let rows: Vec<Vec<(String, &str)>> = run
            .years
            .iter()
            .map(|y| {
                let at = |m: &str| run.yearly_at(m, *y);
                let show = |m: &str| at(m).map(|s| value(m, s.mean)).unwrap_or_default();
                vec![
                    (y.to_string(), ""),
                    (show("return_rate"), ""),
                    (
                        at("return_rate")
                            .map(|s| interval("return_rate", &s))
                            .unwrap_or_default(),
                        "ci",
                    ),
                    (show("cumulative_return_share"), ""),
                    (show("returns"), ""),
                    (show("headcount_rate"), ""),
                    (show("monitored"), ""),
                    (show("cost_total"), ""),
                ]
            })
            .collect();
        out.push_str("<h3>By year</h3>\n");
        out.push_str(&table(&head, &rows, "Means over replications."));
    } else {
        for (metric, title) in [
            ("return_rate", "Return rate by year"),
            ("cumulative_return_share", "Returned at least once, by year"),
        ] {
            let mut head = vec!["Year".to_string()];
            head.extend(arms.iter().map(|a| esc(&a.name)));
            let rows: Vec<Vec<(String, &str)>> = first
                .years
                .iter()
                .map(|y| {
                    let mut row = vec![(y.to_string(), "")];
                    for a in &arms {
                        row.push((
                            a.yearly_at(metric, *y)
                                .map(|s| pct(s.mean))
                                .unwrap_or_default(),
                            "",
                        ));
                    }
                    row
                })
                .collect();
            out.push_str(&format!("<h3>{title}</h3>\n"));
            out.push_str(&table(&head, &rows, "Means over replications."));
        }
    }
    out
}

fn caption(chart: &super::Chart) -> String {
    match &chart.kind {
        super::Kind::Lines { .. } => format!(
            "{}. Lines are means over replications; shaded bands are 95% intervals.",
            chart.title
        ),
        super::Kind::Intervals { bars: false, .. } => format!(
            "{}. Points are differences from the baseline; whiskers are 95% intervals; a whisker \
             that does not cross zero marks a clear change.",
            chart.title
        ),
        super::Kind::Intervals { bars: true, .. } => format!(
            "{}. Longer bars mean more influence; whiskers, where shown, are bootstrap \
             95% intervals.",
            chart.title
        ),
        _ => format!("{}. Bars are means over replications.", chart.title),
    }
}

/// A TOML table flattened to `dotted.key = value`, values as TOML writes them.
fn flatten(table: &toml::Table) -> BTreeMap<String, String> {
    let mut leaves = BTreeMap::new();
    crate::scenario::tree::flatten_value("", &toml::Value::Table(table.clone()), &mut leaves);
    leaves
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect()
}

fn settings(dl: &mut String, pairs: &[(&str, String)]) {
    dl.push_str("<dl class=\"meta\">\n");
    for (k, v) in pairs {
        if !v.is_empty() {
            dl.push_str(&format!("<dt>{}</dt><dd>{v}</dd>\n", esc(k)));
        }
    }
    dl.push_str("</dl>\n");
}

fn manifest_pairs(
    m: Option<&serde_json::Value>,
    scenario: Option<&toml::Table>,
) -> Vec<(&'static str, String)> {
    let get = |k: &str| -> String {
        if let Some(v) = m.and_then(|m| m.get(k)) {
            return match v {
                serde_json::Value::String(s) => esc(s),
                serde_json::Value::Null => String::new(),
                other => esc(&other.to_string()),
            };
        }
        scenario
            .and_then(|s| s.get("simulation"))
            .and_then(|s| s.get(k))
            .map(|v| esc(&v.to_string()))
            .unwrap_or_default()
    };
    let wall = m
        .and_then(|m| m.get("wall_seconds"))
        .and_then(|w| w.as_f64())
        .map(|w| format!("{w:.1} s"))
        .unwrap_or_default();
    let command = m
        .and_then(|m| m.get("command_line"))
        .and_then(|c| c.as_array())
        .map(|c| {
            let words: Vec<String> = c
                .iter()
                .filter_map(|w| w.as_str())
                .enumerate()
                .map(|(i, w)| {
                    if i == 0 {
                        "povsim".to_string()
                    } else {
                        w.to_string()
                    }
                })
                .collect();
            format!("<code>{}</code>", esc(&words.join(" ")))
        })
        .unwrap_or_default();
    let mut pairs = vec![
        ("Seed", get("seed")),
        ("Households", get("households")),
        ("Years", get("years")),
        ("Replications", get("replications")),
        ("Threads", get("threads")),
        ("povsim version", get("povsim_version")),
        ("Wall time", wall),
        ("Command", command),
    ];
    if m.is_none() && scenario.is_none() {
        pairs.push((
            "Settings",
            "not recorded: manifest.json and scenario.toml are not in this folder".into(),
        ));
    }
    pairs
}

fn what_was_run(report: &Report) -> String {
    let mut out = String::new();
    match &report.content {
        Content::Run(run) => {
            let mut pairs = vec![("Scenario", esc(&run.name))];
            if let Some(d) = run.description() {
                pairs.push(("Description", esc(&d)));
            }
            pairs.extend(manifest_pairs(
                report.manifest.as_ref(),
                run.scenario.as_ref(),
            ));
            settings(&mut out, &pairs);
            out.push_str(
                "<p>The resolved scenario is <code>scenario.toml</code> in this folder; \
                 <code>povsim run scenario.toml</code> reproduces the run.</p>\n",
            );
        }
        Content::Compare { arms, .. } => {
            let pairs = manifest_pairs(
                report.manifest.as_ref(),
                arms.first().and_then(|a| a.scenario.as_ref()),
            );
            settings(&mut out, &pairs);
            let Some(base) = arms.first() else {
                return out;
            };
            let base_flat = base.scenario.as_ref().map(flatten).unwrap_or_default();
            out.push_str(&format!(
                "<h3>Scenarios</h3>\n<p><strong>{}</strong>{}: the baseline.</p>\n",
                esc(&base.name),
                base.description()
                    .map(|d| format!(" \u{2014} {}", esc(&d)))
                    .unwrap_or_default()
            ));
            for arm in arms.iter().skip(1) {
                out.push_str(&format!(
                    "<p><strong>{}</strong>{}. Differs from the baseline in:</p>\n",
                    esc(&arm.name),
                    arm.description()
                        .map(|d| format!(" \u{2014} {}", esc(&d)))
                        .unwrap_or_default()
                ));
                let Some(t) = &arm.scenario else {
                    out.push_str("<p>(its scenario.toml is not in this folder)</p>\n");
                    continue;
                };
                let flat = flatten(t);
                out.push_str("<ul class=\"diff\">\n");
                let mut any = false;
                for (k, v) in &flat {
                    if k == "name" || k == "description" {
                        continue;
                    }
                    let b = base_flat.get(k).map(String::as_str).unwrap_or("(unset)");
                    if b != v {
                        any = true;
                        out.push_str(&format!(
                            "<li><code>{}</code>: {} \u{2192} {}</li>\n",
                            esc(k),
                            esc(b),
                            esc(v)
                        ));
                    }
                }
                if !any {
                    out.push_str("<li>nothing: the same parameters</li>\n");
                }
                out.push_str("</ul>\n");
            }
        }
        Content::Sweep(_) | Content::Sensitivity { .. } => {
            let mut pairs: Vec<(&str, String)> = Vec::new();
            if let Some(plan) = &report.plan {
                for (label, key) in [
                    ("Method", "method"),
                    ("Metric", "metric"),
                    ("Samples", "samples"),
                ] {
                    if let Some(v) = plan.get(key) {
                        let text = v.as_str().map(str::to_string).unwrap_or(v.to_string());
                        pairs.push((label, esc(&text)));
                    }
                }
            }
            if let Some(name) = report
                .scenario
                .as_ref()
                .and_then(|s| s.get("name"))
                .and_then(|n| n.as_str())
            {
                pairs.push(("Scenario", esc(name)));
            }
            pairs.extend(manifest_pairs(None, report.scenario.as_ref()));
            pairs.retain(|(k, _)| *k != "Settings" || report.plan.is_none());
            settings(&mut out, &pairs);
            out.push_str(&varied(report));
        }
    }
    out
}

/// The factors a sweep or sensitivity study varied, from its plan.
fn varied(report: &Report) -> String {
    let mut out = String::new();
    let Some(plan) = &report.plan else {
        return out;
    };
    let mut items = Vec::new();
    if let Some(v) = plan.get("varied").and_then(|v| v.as_array()) {
        for entry in v {
            let key = entry.get("key").and_then(|k| k.as_str()).unwrap_or("");
            let values = entry
                .get("values")
                .map(|v| v.to_string())
                .unwrap_or_default();
            items.push(format!("<code>{}</code>: {}", esc(key), esc(&values)));
        }
    }
    if let Some(f) = plan.get("factors").and_then(|v| v.as_array()) {
        for entry in f {
            let key = entry.get("key").and_then(|k| k.as_str()).unwrap_or("");
            let dist = entry
                .get("distribution")
                .and_then(|d| d.as_table())
                .map(|d| {
                    let name = d
                        .get("distribution")
                        .and_then(|n| n.as_str())
                        .unwrap_or("uniform");
                    let params: Vec<String> = d
                        .iter()
                        .filter(|(k, _)| *k != "distribution")
                        .map(|(k, v)| format!("{k} {v}"))
                        .collect();
                    format!("{name} ({})", params.join(", "))
                })
                .unwrap_or_default();
            items.push(format!("<code>{}</code>: {}", esc(key), esc(&dist)));
        }
    }
    if !items.is_empty() {
        out.push_str("<h3>Varied</h3>\n<ul class=\"diff\">\n");
        for i in items {
            out.push_str(&format!("<li>{i}</li>\n"));
        }
        out.push_str("</ul>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(5068.4), "5,068");
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(-1500.0), "\u{2212}1,500");
        assert_eq!(signed(-0.5, 2), "\u{2212}0.50");
        assert_eq!(signed(0.5, 1), "+0.5");
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
