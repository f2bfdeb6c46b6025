//! The report of a calibration: targets against simulated values, and the fitted
//! parameters with their ranges.

use super::{FitRow, at_edge};
use crate::design::Factor;
use crate::output::OutputError;
use crate::report::{Chart, ChartError, Kind, Row, Unit, document, esc};

/// `report.html` and `charts/fit.{svg,png}` of a calibration of `scenario`: `rows` are
/// its targets with their simulated figures, `unit` the fitted point of `factors`.
pub fn calibration_report(
    scenario: &str,
    rows: &[FitRow],
    factors: &[Factor],
    unit: &[f64],
) -> Result<Vec<(String, Vec<u8>)>, OutputError> {
    let chart = Chart {
        name: "fit".into(),
        title: format!("Targets against the calibrated {scenario}"),
        x_label: "miss in tolerances: 0 is the target, within ±1 it is met".into(),
        y_label: String::new(),
        unit: Unit::Number,
        kind: Kind::Intervals {
            rows: rows
                .iter()
                .map(|r| {
                    let (t, sim) = (&r.target, &r.simulated);
                    Row {
                        label: format!("{} ({})", t.name, r.role()),
                        values: vec![Some((
                            t.miss(sim.mean),
                            Some((t.miss(sim.ci.0), t.miss(sim.ci.1))),
                        ))],
                    }
                })
                .collect(),
            series: vec!["simulated, 95% interval".into()],
            bars: false,
        },
    };
    let drawn = |e: ChartError| OutputError::Serialize {
        what: "charts/fit".into(),
        message: e.to_string(),
    };
    let svg = chart.svg().map_err(drawn)?;
    let png = chart.png().map_err(drawn)?;

    let met = rows.iter().filter(|r| r.met()).count();
    let mut body = String::new();
    body.push_str(&format!(
        "<header><h1>Calibration of {}</h1><p class=\"lede\">{met} of {} targets met. \
         Each simulated figure is the mean over replications with its 95% interval; a \
         target is met when the mean lies within its tolerance.</p></header>\n",
        esc(scenario),
        rows.len()
    ));
    body.push_str(
        "<section><h2>Targets</h2><table><thead><tr><th>target</th><th>metric</th><th>years</th>\
         <th>role</th><th>published</th><th>tolerance</th><th>simulated (95% CI)</th><th>met</th>\
         <th>source</th></tr></thead><tbody>\n",
    );
    for r in rows {
        let (t, s) = (&r.target, &r.simulated);
        let years: Vec<String> = t.years.iter().map(i32::to_string).collect();
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>±{}</td>\
             <td>{} ({} to {})</td><td>{}</td><td>{} ({})</td></tr>\n",
            esc(&t.name),
            esc(&t.metric),
            esc(&years.join(", ")),
            r.role(),
            fmt(t.value),
            fmt(t.tolerance),
            fmt(s.mean),
            fmt(s.ci.0),
            fmt(s.ci.1),
            if t.met(s.mean) {
                "yes"
            } else {
                "<strong>no</strong>"
            },
            esc(&t.source),
            esc(&t.confidence),
        ));
    }
    body.push_str("</tbody></table></section>\n<section><h2>Chart</h2>\n");
    let inline = svg.trim_start_matches(|c| c != '<').replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{}\" ", esc(&chart.title)),
        1,
    );
    body.push_str(&format!(
        "<figure class=\"chart\" id=\"chart-fit\">\n{inline}\n<figcaption>Each target's miss in \
         units of its tolerance. Also as <a href=\"charts/fit.png\">PNG</a> and \
         <a href=\"charts/fit.svg\">SVG</a>.</figcaption>\n</figure>\n</section>\n"
    ));
    body.push_str(
        "<section><h2>Fitted parameters</h2><table><thead><tr><th>key</th><th>range</th>\
         <th>fitted</th><th>at an edge</th></tr></thead><tbody>\n",
    );
    for (f, &u) in factors.iter().zip(unit) {
        let edge = at_edge(u);
        body.push_str(&format!(
            "<tr><td>{}</td><td>{} to {}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&f.key),
            fmt(f.value(0.0)),
            fmt(f.value(1.0)),
            fmt(f.value(u)),
            if edge { "<strong>yes</strong>" } else { "no" }
        ));
    }
    body.push_str(
        "</tbody></table><p>A parameter at an edge of its range is one the targets push \
         past what its sources allow: read the fit there with care.</p></section>\n\
         <footer>Made by povsim from <code>fit.csv</code> and <code>parameters.csv</code> in \
         this folder.</footer>\n",
    );
    Ok(vec![
        (
            "report.html".into(),
            document(&format!("Calibration of {scenario}"), &body).into_bytes(),
        ),
        ("charts/fit.svg".into(), svg.into_bytes()),
        ("charts/fit.png".into(), png),
    ])
}

/// Four significant digits, as the tables read.
fn fmt(x: f64) -> String {
    if x.abs() >= 1000.0 {
        format!("{x:.0}")
    } else {
        format!("{:.4}", x)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}
