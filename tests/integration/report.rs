//! Charts and report.html: valid files, nothing loaded from outside, rebuilt from the
//! CSV files alone, and rendered in a real browser.

use std::path::{Path, PathBuf};

use super::common::{povsim, read, skip, small_run, stdout_of};

fn compared(dir: &Path) -> PathBuf {
    let out = dir.join("cmp");
    povsim()
        .arg("compare")
        .args(["--households", "600", "--replications", "3"])
        .args(["--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    out
}

fn charts(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// Decode a PNG and return its size and the count of dark pixels.
fn decode_png(path: &Path) -> ((u32, u32), usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let dark = buf
        .chunks(channels)
        .filter(|p| p.iter().take(3).all(|&c| c < 100))
        .count();
    ((info.width, info.height), dark)
}

/// The `<table class="data">` blocks of a report.
fn data_tables(html: &str) -> Vec<String> {
    html.split("<table class=\"data\">")
        .skip(1)
        .map(|t| t.split("</table>").next().unwrap().to_string())
        .collect()
}

#[test]
fn run_writes_valid_png_and_svg_charts_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = small_run(dir.path());
    let pngs = charts(&out, "png");
    let svgs = charts(&out, "svg");
    let names: Vec<String> = svgs
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "return_rate",
        "cumulative_return_share",
        "causes_by_year_baseline",
        "costs_by_year_baseline",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    assert_eq!(pngs.len(), svgs.len());
    for png in &pngs {
        let ((w, h), dark) = decode_png(png);
        assert!(w >= 600 && h >= 250, "{}: {w}x{h}", png.display());
        assert!(dark > 2000, "{}: only {dark} dark pixels", png.display());
    }
    for svg in &svgs {
        let text = read(svg);
        assert!(text.starts_with("<svg"), "{}", svg.display());
        assert!(text.trim_end().ends_with("</svg>"), "{}", svg.display());
        assert!(text.contains("viewBox"), "scalable: {}", svg.display());
        assert!(
            text.matches("<text").count() >= 5,
            "labels: {}",
            svg.display()
        );
    }
    let html = read(&out.join("report.html"));
    assert_eq!(html.matches("<figure class=\"chart\"").count(), svgs.len());
    assert!(html.contains("Seed</dt><dd>20200101"));
    assert!(html.contains("Households</dt><dd>800"));
    // Shares read as percentages, from the metric registry's units: the registered
    // return rate and the monitored share were plain numbers before it.
    let summary = read(&out.join("summary.csv"));
    for (metric, label) in [
        ("registered_return_rate", "Registered return rate"),
        ("monitored_share", "Monitored share"),
    ] {
        let mean: f64 = summary
            .lines()
            .find_map(|l| l.strip_prefix(&format!("baseline,{metric},")))
            .and_then(|rest| rest.split(',').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{metric} in summary.csv"));
        let row = format!("<tr><td>{label}</td><td>{:.2}%</td>", mean * 100.0);
        assert!(html.contains(&row), "{row} in the report");
    }
}

#[test]
fn report_loads_nothing_from_outside() {
    let dir = tempfile::tempdir().unwrap();
    let out = compared(dir.path());
    let html = read(&out.join("report.html"));
    assert!(html.contains("Content-Security-Policy"));
    assert!(html.contains("default-src 'none'"));
    for banned in [
        "<script", "<link", "<iframe", "@import", "url(", "http://", "https://",
    ] {
        // SVG's xmlns is a name, not a load.
        let count = html.matches(banned).count()
            - html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
                * usize::from(banned == "http://");
        assert_eq!(count, 0, "report.html contains {banned}");
    }
    for attr in ["src=\"", "href=\""] {
        for link in html.split(attr).skip(1) {
            let target = link.split('"').next().unwrap();
            assert!(
                target.starts_with("charts/") && !target.contains(".."),
                "{attr}{target} is not a file beside the report"
            );
            assert!(out.join(target).exists(), "{target} exists");
        }
    }
}

#[test]
fn compare_report_states_each_variant_with_its_interval() {
    let dir = tempfile::tempdir().unwrap();
    let out = compared(dir.path());
    let html = read(&out.join("report.html"));
    let comparison = read(&out.join("comparison.csv"));
    let row = comparison
        .lines()
        .find(|l| l.starts_with("baseline,monitoring,return_rate,"))
        .unwrap();
    let f: Vec<f64> = row
        .split(',')
        .skip(3)
        .take(5)
        .map(|x| x.parse().unwrap())
        .collect();
    let sentence = html
        .split("<li>")
        .find(|l| l.starts_with("<strong>monitoring</strong>"))
        .expect("a sentence for monitoring");
    let pct = |v: f64| format!("{:.2}%", v * 100.0);
    assert!(sentence.contains(&pct(f[0])), "{sentence}");
    assert!(sentence.contains(&pct(f[1])), "{sentence}");
    let points = |v: f64| format!("{:+.2}", v * 100.0).replace('-', "\u{2212}");
    for v in [f[2], f[3], f[4]] {
        assert!(sentence.contains(&points(v)), "{} in {sentence}", points(v));
    }
    assert!(sentence.contains("CNY"), "cost: {sentence}");
    // The registered measure beside the survey one, and a sentence saying which is which.
    let registered = comparison
        .lines()
        .find(|l| l.starts_with("baseline,monitoring,registered_return_rate,"))
        .unwrap();
    let g: Vec<f64> = registered
        .split(',')
        .skip(3)
        .take(3)
        .map(|x| x.parse().unwrap())
        .collect();
    let on_register = format!("on the register, from {} to {}", pct(g[0]), pct(g[1]));
    assert!(
        sentence.contains(&on_register),
        "{on_register} in {sentence}"
    );
    assert!(sentence.contains(&points(g[2])), "{sentence}");
    assert!(html.contains("The return rate is the survey measure"));
    assert!(
        html.contains("Registered return rate a year"),
        "the table's column"
    );
    // The forest plot has one row per variant.
    let forest = read(&out.join("charts/forest.svg"));
    for v in super::common::VARIANTS {
        assert!(forest.contains(v), "{v} in the forest plot");
    }
    // What was run: the parameter in which monitoring differs.
    assert!(html.contains("policy.monitoring.detection_rate</code>: 0.81 \u{2192} 0.95"));
}

#[test]
fn report_rebuilds_the_same_tables_from_the_csv_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = compared(dir.path());
    let copy = dir.path().join("copy");
    let mut copied = 0;
    for entry in walk(&out) {
        let rel = entry.strip_prefix(&out).unwrap();
        if entry.extension().is_some_and(|e| e == "csv") {
            let target = copy.join(rel);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(&entry, &target).unwrap();
            copied += 1;
        }
    }
    assert!(copied >= 29, "comparison.csv and 4 CSVs per scenario");
    let said = stdout_of(povsim().arg("report").arg(&copy));
    assert!(said.contains("report.html"), "{said}");
    let original = read(&out.join("report.html"));
    let rebuilt = read(&copy.join("report.html"));
    let tables = data_tables(&original);
    assert!(tables.len() >= 3, "results and yearly tables");
    assert_eq!(tables, data_tables(&rebuilt));
    assert_eq!(
        charts(&out, "svg")
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect::<Vec<_>>(),
        charts(&copy, "svg")
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect::<Vec<_>>()
    );
    assert!(
        rebuilt.contains("not recorded"),
        "says the settings are missing"
    );
}

#[test]
fn no_report_writes_the_tables_alone_and_report_builds_the_rest_later() {
    let dir = tempfile::tempdir().unwrap();
    let small = ["--households", "300", "--replications", "2"];
    let run = dir.path().join("run");
    let cmp = dir.path().join("cmp");
    let sweep = dir.path().join("sweep");
    for (args, out, table) in [
        (vec!["run"], &run, "summary.csv"),
        (vec!["compare"], &cmp, "comparison.csv"),
        (
            vec![
                "sweep",
                "--vary",
                "policy.monitoring.detection_rate=0.2:1:2",
            ],
            &sweep,
            "sweep.csv",
        ),
    ] {
        povsim()
            .args(&args)
            .args(small)
            .args(["--quiet", "--no-report", "--out"])
            .arg(out)
            .assert()
            .success();
        assert!(out.join(table).is_file(), "{args:?} wrote no {table}");
        assert!(!out.join("report.html").exists(), "{args:?} wrote a report");
        assert!(!out.join("charts").exists(), "{args:?} drew charts");
    }
    assert!(read(&run.join("summary.csv")).contains("baseline,return_rate,"));
    for out in [&run, &cmp, &sweep] {
        let said = stdout_of(povsim().arg("report").arg(out));
        assert!(said.contains("report.html"), "{said}");
        assert!(out.join("report.html").is_file());
        assert!(!charts(out, "svg").is_empty());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn report_refuses_what_is_not_an_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    povsim()
        .arg("report")
        .arg(dir.path().join("missing"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no such directory"));
    povsim()
        .arg("report")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("yearly.csv, comparison.csv"));
    let out = small_run(dir.path());
    let yearly = read(&out.join("yearly.csv"));
    let broken = yearly.replacen(",2020,return_rate,0", ",2020,return_rate,zero0", 1);
    assert_ne!(broken, yearly);
    std::fs::write(out.join("yearly.csv"), broken).unwrap();
    let before = read(&out.join("report.html"));
    povsim()
        .arg("report")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "yearly.csv: line 2, column `mean`",
        ));
    assert_eq!(
        read(&out.join("report.html")),
        before,
        "the old report is kept"
    );
}

#[test]
fn sweep_and_sensitivity_write_their_charts() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = dir.path().join("sweep");
    povsim()
        .args([
            "sweep",
            "--vary",
            "policy.monitoring.detection_rate=0.2:1:3",
        ])
        .args(["--households", "300", "--replications", "2", "--years", "3"])
        .args(["--quiet", "--out"])
        .arg(&sweep)
        .assert()
        .success();
    let svg = read(&sweep.join("charts/sweep_return_rate.svg"));
    assert!(
        svg.contains("policy.monitoring.detection_rate"),
        "x axis title"
    );
    let html = read(&sweep.join("report.html"));
    assert!(html.contains("Moving <code>policy.monitoring.detection_rate</code> from 0.2 to 1"));
    let morris = dir.path().join("morris");
    povsim()
        .args(["sensitivity", "--method", "morris", "--samples", "2"])
        .args(["--households", "300", "--replications", "2", "--years", "3"])
        .args(["--quiet", "--out"])
        .arg(&morris)
        .assert()
        .success();
    let svg = read(&morris.join("charts/morris_indices.svg"));
    assert!(svg.contains("mu_star") && svg.contains("sigma"), "legend");
    assert!(svg.contains("shocks.illness.probability"), "factor labels");
    let html = read(&morris.join("report.html"));
    assert!(html.contains("Ranked by mu_star"));
}

/// Chromium, from `POVSIM_CHROMIUM` or the Debian package. `scripts/test.sh` installs it
/// and sets `POVSIM_REQUIRE_BROWSER`, under which a missing browser fails the test.
fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("POVSIM_CHROMIUM").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
    ];
    let found = candidates.into_iter().flatten().find(|p| p.exists());
    if found.is_none() {
        skip(
            "POVSIM_REQUIRE_BROWSER",
            "the report's browser check",
            "no Chromium (scripts/test.sh installs it; or set POVSIM_CHROMIUM)",
        );
    }
    found
}

/// Load `page` in headless Chromium at `width` pixels; return the DOM after load and
/// what the browser logged to its console.
fn browse(chrome: &Path, page: &Path, width: u32) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
            &format!("--window-size={width},900"),
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed: {:?}", out.status);
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

/// The report with a probe that, once the page has loaded, measures every chart and
/// records errors; only this copy allows the probe's inline script.
const PROBE: &str = r#"<script>
window.__errors = [];
window.addEventListener('error', e => __errors.push('error: ' + (e.message || (e.target && (e.target.src || e.target.href)) || 'resource')), true);
document.addEventListener('securitypolicyviolation', e => __errors.push('blocked: ' + e.blockedURI));
for (const k of ['error', 'warn']) { const o = console[k]; console[k] = (...a) => { __errors.push(k + ': ' + a.join(' ')); o.apply(console, a); }; }
window.addEventListener('load', () => {
  const charts = [...document.querySelectorAll('figure.chart')].map(f => {
    const s = f.querySelector('svg');
    const r = s ? s.getBoundingClientRect() : { width: 0, height: 0 };
    const b = s ? s.getBBox() : { width: 0, height: 0 };
    return [f.id, Math.round(r.width), Math.round(r.height), Math.round(b.width), Math.round(b.height)];
  });
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({ charts, errors: __errors, width: window.innerWidth,
    overflow: document.documentElement.scrollWidth > window.innerWidth + 1 });
  document.body.appendChild(out);
});
</script>"#;

fn probe(chrome: &Path, report: &Path, width: u32) -> serde_json::Value {
    let html = read(report).replacen(
        "default-src 'none';",
        "default-src 'none'; script-src 'unsafe-inline';",
        1,
    );
    let html = html.replacen("<head>", &format!("<head>\n{PROBE}"), 1);
    let probed = report.with_file_name("probe.html");
    std::fs::write(&probed, html).unwrap();
    let (dom, _) = browse(chrome, &probed, width);
    std::fs::remove_file(&probed).unwrap();
    let json = dom
        .split("<pre id=\"probe\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| panic!("probe did not run: {dom}"));
    let json = json.replace("&quot;", "\"").replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

#[test]
fn report_renders_in_a_browser_without_console_errors() {
    let Some(chrome) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = compared(dir.path());
    let report = out.join("report.html");

    // The page as it is: the browser logs nothing to the console.
    let (dom, console) = browse(&chrome, &report, 1200);
    assert!(dom.contains("In brief"), "the page loaded");
    assert!(console.is_empty(), "console messages: {console:#?}");

    // Every chart renders with a nonzero size, on a desktop and on a phone.
    let n_charts = charts(&out, "svg").len();
    for width in [1200, 390] {
        let result = probe(&chrome, &report, width);
        let charts = result["charts"].as_array().unwrap();
        let viewport = result["width"].as_i64().unwrap();
        assert!(viewport <= i64::from(width) + 150, "{result}");
        assert_eq!(charts.len(), n_charts, "{result}");
        for c in charts {
            let size: Vec<i64> = (1..5).map(|i| c[i].as_i64().unwrap()).collect();
            assert!(size.iter().all(|&v| v > 50), "{c} at width {width}");
            assert!(size[0] <= viewport, "{c} fits the width {viewport}");
        }
        assert_eq!(result["errors"], serde_json::json!([]), "at width {width}");
        assert_eq!(
            result["overflow"], false,
            "no sideways scrolling at {width}"
        );
    }
}

#[test]
fn the_browser_check_catches_a_page_that_loads_from_outside() {
    // The check above must be able to fail: a page with an external image and a
    // console error is caught.
    let Some(chrome) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("report.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" \
         content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"></head>\
         <body><img src=\"http://example.invalid/x.png\"><figure class=\"chart\" id=\"c\"><svg></svg></figure></body></html>",
    )
    .unwrap();
    let (_, console) = browse(&chrome, &bad, 800);
    assert!(!console.is_empty(), "the blocked load is logged");
    let result = probe(&chrome, &bad, 800);
    assert_ne!(result["errors"], serde_json::json!([]), "{result}");
    assert_eq!(
        result["charts"][0][3], 0,
        "an empty svg draws nothing: {result}"
    );
}

#[test]
fn report_of_an_unfinished_study_says_how_to_finish_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plan.toml"),
        "method = \"sweep\"\nmetric = \"return_rate\"\n",
    )
    .unwrap();
    povsim()
        .arg("report")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("povsim sweep --resume"));
}

#[test]
fn independent_comparisons_are_not_called_paired() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ind");
    povsim()
        .args([
            "compare",
            "--independent",
            "--households",
            "400",
            "--replications",
            "3",
        ])
        .args(["--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let html = read(&out.join("report.html"));
    assert!(
        html.contains("independent runs"),
        "says how it was compared"
    );
    assert!(!html.contains("Paired differences"), "not called paired");
    assert!(read(&out.join("charts/forest.svg")).contains("difference (independent)"));
    let paired = compared(dir.path());
    assert!(read(&paired.join("report.html")).contains("Paired differences"));
}
