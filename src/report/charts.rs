//! Charts drawn with plotters, each as SVG text and as PNG bytes from the same code.
//!
//! Text is measured and, in PNGs, drawn with the bundled DejaVu Sans font
//! (`assets/fonts/`, Bitstream Vera licence), so no system font library is needed.
//! Every chart has a title, axis titles with units, and a legend beside the plot.

use std::sync::Once;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::SegmentValue;
use plotters::coord::ranged1d::{Ranged, SegmentedCoord};
use plotters::coord::types::{RangedCoordf64, RangedCoordu32};
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters_backend::{BackendCoord, DrawingErrorKind};

/// DejaVu Sans, registered as plotters' `sans-serif`.
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Okabe and Ito's palette, readable for colour-blind readers, then four of Tol's
/// muted colours for charts with up to twelve series.
pub const PALETTE: [RGBColor; 12] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(0, 0, 0),
    RGBColor(136, 34, 85),
    RGBColor(68, 170, 153),
    RGBColor(153, 153, 51),
    RGBColor(170, 68, 153),
];

const WIDTH: u32 = 960;
const LEGEND: u32 = 210;

/// How a chart's values read on its value axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// A share, shown as a percentage.
    Percent,
    /// A difference of shares, shown in percentage points.
    Points,
    /// A plain number.
    Number,
}

impl Unit {
    /// A value as the axis shows it.
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Percent => format!("{:.1}%", v * 100.0),
            Unit::Points => format!("{:+.1}", v * 100.0),
            Unit::Number => number(v),
        }
    }
}

/// A number with a sensible count of digits.
pub fn number(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A value and its 95% interval, when there is one.
pub type Estimate = (f64, Option<(f64, f64)>);

/// A point of a line: `(x, mean, 95% interval)`.
pub type Point = (f64, f64, Option<(f64, f64)>);

/// One line of a line chart: points `(x, value, interval)`.
#[derive(Debug, Clone)]
pub struct Line {
    /// Legend entry.
    pub name: String,
    /// `(x, mean, 95% interval)`.
    pub points: Vec<Point>,
}

/// One row of an interval chart: a label and one value per series.
#[derive(Debug, Clone)]
pub struct Row {
    /// Axis label.
    pub label: String,
    /// Per series: the value and its 95% interval.
    pub values: Vec<Option<Estimate>>,
}

/// What a chart shows.
#[derive(Debug, Clone)]
pub enum Kind {
    /// Lines over a numeric x axis, each with a shaded 95% band.
    Lines {
        /// The lines.
        lines: Vec<Line>,
        /// Whether x values are whole numbers (years).
        x_integer: bool,
    },
    /// Vertical stacked bars: `layers[l].1[c]` stacked over category `c`.
    Stacked {
        /// Bar labels.
        categories: Vec<String>,
        /// Layer name and its value in each category.
        layers: Vec<(String, Vec<f64>)>,
    },
    /// Horizontal stacked bars, one per category.
    StackedRows {
        /// Bar labels, top to bottom.
        categories: Vec<String>,
        /// Layer name and its value in each category.
        layers: Vec<(String, Vec<f64>)>,
    },
    /// Horizontal rows, each with one mark per series: bars (tornado) or points with
    /// interval whiskers (forest plot). A vertical line marks zero.
    Intervals {
        /// Rows, top to bottom.
        rows: Vec<Row>,
        /// Series names.
        series: Vec<String>,
        /// Bars from zero rather than points.
        bars: bool,
    },
}

/// A chart: what it shows and how it is labelled.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File stem, e.g. `return_rate`.
    pub name: String,
    /// Title over the chart.
    pub title: String,
    /// Horizontal axis title.
    pub x_label: String,
    /// Vertical axis title.
    pub y_label: String,
    /// How values read.
    pub unit: Unit,
    /// The data.
    pub kind: Kind,
}

/// An error of drawing.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw chart {chart}: {message}")]
pub struct ChartError {
    chart: String,
    message: String,
}

type Drawn = Result<(), String>;

/// A chart of labelled rows over a value axis.
type RowsChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, SegmentedCoord<RangedCoordu32>>>;

fn fail<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bundled file is a valid TrueType font; a failure here would be a build
        // defect that the chart tests catch.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

impl Chart {
    /// Pixel size.
    pub fn size(&self) -> (u32, u32) {
        let rows = match &self.kind {
            Kind::Intervals { rows, series, .. } => rows.len() * series.len().max(1),
            Kind::StackedRows { categories, .. } => categories.len(),
            _ => 0,
        };
        if rows == 0 {
            (WIDTH, 440)
        } else {
            (WIDTH, (150 + 30 * rows as u32).max(260))
        }
    }

    /// The chart as an SVG document.
    pub fn svg(&self) -> Result<String, ChartError> {
        register_font();
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, self.size()).into_drawing_area();
            self.draw(&root).map_err(|m| self.error(m))?;
            root.present().map_err(|e| self.error(fail(e)))?;
        }
        Ok(text)
    }

    /// The chart as PNG bytes.
    pub fn png(&self) -> Result<Vec<u8>, ChartError> {
        register_font();
        let (w, h) = self.size();
        let mut pixels = vec![255u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
            self.draw(&root).map_err(|m| self.error(m))?;
            root.present().map_err(|e| self.error(fail(e)))?;
        }
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, w, h);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            // Flat-coloured charts compress well even at the fast setting.
            encoder.set_compression(png::Compression::Fast);
            let mut writer = encoder
                .write_header()
                .map_err(|e| self.error(e.to_string()))?;
            writer
                .write_image_data(&pixels)
                .map_err(|e| self.error(e.to_string()))?;
        }
        Ok(out)
    }

    fn error(&self, message: String) -> ChartError {
        ChartError {
            chart: self.name.clone(),
            message,
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        root.fill(&WHITE).map_err(fail)?;
        let root = root
            .titled(&self.title, ("sans-serif", 22).into_font().color(&BLACK))
            .map_err(fail)?;
        let (w, _) = root.dim_in_pixel();
        let (plot, legend) = root.split_horizontally(w.saturating_sub(LEGEND));
        match &self.kind {
            Kind::Lines { lines, x_integer } => {
                let names: Vec<String> = lines.iter().map(|l| l.name.clone()).collect();
                self.lines(&plot, lines, *x_integer)?;
                draw_legend(&legend, &names, false)
            }
            Kind::Stacked { categories, layers } => {
                self.stacked(&plot, categories, layers)?;
                let names: Vec<String> = layers.iter().map(|l| l.0.clone()).collect();
                draw_legend(&legend, &names, true)
            }
            Kind::StackedRows { categories, layers } => {
                self.stacked_rows(&plot, categories, layers)?;
                let names: Vec<String> = layers.iter().map(|l| l.0.clone()).collect();
                draw_legend(&legend, &names, true)
            }
            Kind::Intervals { rows, series, bars } => {
                self.intervals(&plot, rows, series, *bars)?;
                draw_legend(&legend, series, *bars)
            }
        }
    }

    fn lines<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        lines: &[Line],
        x_integer: bool,
    ) -> Drawn {
        let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
        let (x0, x1) = bounds(xs);
        // A share cannot be negative: a t-interval reaching below zero is cut there.
        let floor = if self.unit == Unit::Percent {
            0.0
        } else {
            f64::NEG_INFINITY
        };
        let ys = lines.iter().flat_map(|l| {
            l.points.iter().flat_map(move |p| {
                let (lo, hi) = p.2.unwrap_or((p.1, p.1));
                [p.1, lo.max(floor), hi]
            })
        });
        let (y0, y1) = padded(ys, self.unit != Unit::Points);
        let (x0, x1) = if x0 == x1 {
            (x0 - 0.5, x1 + 0.5)
        } else {
            (x0, x1)
        };
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(76)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(fail)?;
        let unit = self.unit;
        let x_fmt = |x: &f64| {
            if x_integer {
                if (x - x.round()).abs() < 1e-9 {
                    format!("{}", x.round() as i64)
                } else {
                    String::new()
                }
            } else {
                number(*x)
            }
        };
        let y_fmt = move |y: &f64| unit.format(*y);
        let n_x = lines.iter().map(|l| l.points.len()).max().unwrap_or(2);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_labels(n_x.clamp(2, 12))
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt);
        house_style(&mut mesh).draw().map_err(fail)?;
        // Many overlapping bands are lighter, so that the lines stay readable.
        let band_alpha = if lines.len() > 3 { 0.08 } else { 0.18 };
        for (i, line) in lines.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let band: Vec<(f64, f64, f64)> = line
                .points
                .iter()
                .filter_map(|p| p.2.map(|(lo, hi)| (p.0, lo.max(floor), hi)))
                .collect();
            if band.len() == line.points.len() && band.len() > 1 {
                let mut outline: Vec<(f64, f64)> = band.iter().map(|b| (b.0, b.2)).collect();
                outline.extend(band.iter().rev().map(|b| (b.0, b.1)));
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        outline,
                        color.mix(band_alpha),
                    )))
                    .map_err(fail)?;
            }
            chart
                .draw_series(LineSeries::new(
                    line.points.iter().map(|p| (p.0, p.1)),
                    color.stroke_width(3),
                ))
                .map_err(fail)?;
            chart
                .draw_series(
                    line.points
                        .iter()
                        .map(|p| Circle::new((p.0, p.1), 4, color.filled())),
                )
                .map_err(fail)?;
        }
        if y0 < 0.0 && y1 > 0.0 {
            chart
                .draw_series(LineSeries::new(
                    [(x0, 0.0), (x1, 0.0)],
                    BLACK.stroke_width(1),
                ))
                .map_err(fail)?;
        }
        Ok(())
    }

    fn stacked<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        categories: &[String],
        layers: &[(String, Vec<f64>)],
    ) -> Drawn {
        let n = categories.len() as u32;
        let top = stack_top(categories.len(), layers);
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(76)
            .build_cartesian_2d((0u32..n.max(1) - 1).into_segmented(), 0.0..top)
            .map_err(fail)?;
        let unit = self.unit;
        let x_fmt = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => categories.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        let y_fmt = move |y: &f64| unit.format(*y);
        let mut mesh = chart.configure_mesh();
        mesh.disable_x_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_labels(categories.len() + 1)
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt);
        house_style(&mut mesh).draw().map_err(fail)?;
        let bars = stack(layers, categories.len())
            .into_iter()
            .map(|(l, c, from, to)| {
                let c = c as u32;
                let mut r = Rectangle::new(
                    [
                        (SegmentValue::Exact(c), from),
                        (SegmentValue::Exact(c + 1), to),
                    ],
                    PALETTE[l % PALETTE.len()].filled(),
                );
                r.set_margin(0, 0, 6, 6);
                r
            });
        chart.draw_series(bars).map_err(fail)?;
        Ok(())
    }

    fn stacked_rows<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        categories: &[String],
        layers: &[(String, Vec<f64>)],
    ) -> Drawn {
        let n = categories.len() as u32;
        let top = stack_top(categories.len(), layers);
        let mut chart = self.rows_chart(area, categories, 0.0..top)?;
        let bars = stack(layers, categories.len())
            .into_iter()
            .map(|(l, c, from, to)| {
                let row = n - 1 - c as u32;
                let mut r = Rectangle::new(
                    [
                        (from, SegmentValue::Exact(row)),
                        (to, SegmentValue::Exact(row + 1)),
                    ],
                    PALETTE[l % PALETTE.len()].filled(),
                );
                r.set_margin(5, 5, 0, 0);
                r
            });
        chart.draw_series(bars).map_err(fail)?;
        Ok(())
    }

    /// A chart with one labelled row per category, the first at the top, over a value
    /// axis `x`; its mesh is drawn.
    fn rows_chart<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        labels: &[String],
        x: std::ops::Range<f64>,
    ) -> Result<RowsChart<'a, DB>, String> {
        let n = labels.len() as u32;
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(label_width(labels))
            .build_cartesian_2d(x, (0u32..n.max(1) - 1).into_segmented())
            .map_err(fail)?;
        let unit = self.unit;
        let y_fmt = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) if *i < n => labels[(n - 1 - i) as usize].clone(),
            _ => String::new(),
        };
        let x_fmt = move |x: &f64| unit.format(*x);
        let mut mesh = chart.configure_mesh();
        mesh.disable_y_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .y_labels(labels.len() + 1)
            .x_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt);
        house_style(&mut mesh).draw().map_err(fail)?;
        Ok(chart)
    }

    fn intervals<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        rows: &[Row],
        series: &[String],
        bars: bool,
    ) -> Drawn {
        let n = rows.len() as u32;
        let k = series.len().max(1);
        let values = rows.iter().flat_map(|r| {
            r.values.iter().flatten().flat_map(|(v, ci)| {
                let (lo, hi) = ci.unwrap_or((*v, *v));
                [*v, lo, hi]
            })
        });
        let (lo, hi) = bounds(values.chain([0.0]));
        let pad = ((hi - lo) * 0.06).max(1e-9);
        let (x0, x1) = (lo - pad, hi + pad);
        let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
        let mut chart = self.rows_chart(area, &labels, x0..x1)?;
        // Each row's segment is split into k slots, one per series. Coordinates within a
        // segment are reached through pixel margins on full-segment rectangles.
        let (_, h) = chart.plotting_area().dim_in_pixel();
        let seg = h as f64 / f64::from(n.max(1));
        let slot = seg / k as f64;
        for (i, row) in rows.iter().enumerate() {
            let r = n - 1 - i as u32;
            for (s, value) in row.values.iter().enumerate() {
                let Some((v, ci)) = value else { continue };
                let color = PALETTE[s % PALETTE.len()];
                let top = (slot * s as f64 + slot * 0.18) as u32;
                let bottom = (seg - slot * (s + 1) as f64 + slot * 0.18).max(0.0) as u32;
                if bars {
                    let mut rect = Rectangle::new(
                        [
                            (0.0, SegmentValue::Exact(r)),
                            (*v, SegmentValue::Exact(r + 1)),
                        ],
                        color.filled(),
                    );
                    rect.set_margin(top, bottom, 0, 0);
                    chart.draw_series(std::iter::once(rect)).map_err(fail)?;
                }
                let centre = slot * s as f64 + slot / 2.0;
                let offset = (centre - seg / 2.0) as i32;
                if let Some((lo, hi)) = ci {
                    let whisker = ErrorBarH {
                        lo: *lo,
                        hi: *hi,
                        row: r,
                        offset,
                        color,
                    };
                    chart.draw_series(std::iter::once(whisker)).map_err(fail)?;
                }
                if !bars {
                    let dot = EmptyElement::at((*v, SegmentValue::CenterOf(r)))
                        + Circle::new((0, offset), 6, color.filled());
                    chart.draw_series(std::iter::once(dot)).map_err(fail)?;
                }
            }
        }
        let zero = [
            (0.0, SegmentValue::Exact(0)),
            (0.0, SegmentValue::Exact(n.max(1))),
        ];
        chart
            .draw_series(std::iter::once(PathElement::new(
                zero,
                BLACK.stroke_width(1),
            )))
            .map_err(fail)?;
        Ok(())
    }
}

/// A horizontal interval whisker `lo..hi` with end caps, drawn in row `row` at a pixel
/// `offset` from the row's centre.
struct ErrorBarH {
    lo: f64,
    hi: f64,
    row: u32,
    offset: i32,
    color: RGBColor,
}

impl<'a> PointCollection<'a, (f64, SegmentValue<u32>)> for &'a ErrorBarH {
    type Point = (f64, SegmentValue<u32>);
    type IntoIter = [(f64, SegmentValue<u32>); 2];
    fn point_iter(self) -> Self::IntoIter {
        [
            (self.lo, SegmentValue::CenterOf(self.row)),
            (self.hi, SegmentValue::CenterOf(self.row)),
        ]
    }
}

impl<DB: DrawingBackend> Drawable<DB> for ErrorBarH {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut points: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let (Some(a), Some(b)) = (points.next(), points.next()) else {
            return Ok(());
        };
        let y = a.1 + self.offset;
        let style = self.color.stroke_width(2);
        backend.draw_line((a.0, y), (b.0, y), &style)?;
        backend.draw_line((a.0, y - 6), (a.0, y + 6), &style)?;
        backend.draw_line((b.0, y - 6), (b.0, y + 6), &style)
    }
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    names: &[String],
    boxes: bool,
) -> Drawn {
    let style = ("sans-serif", 14).into_font().color(&BLACK);
    for (i, name) in names.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let y = 40 + 26 * i as i32;
        if boxes {
            area.draw(&Rectangle::new([(8, y - 7), (26, y + 7)], color.filled()))
                .map_err(fail)?;
        } else {
            area.draw(&PathElement::new(
                vec![(6, y), (28, y)],
                color.stroke_width(3),
            ))
            .map_err(fail)?;
            area.draw(&Circle::new((17, y), 4, color.filled()))
                .map_err(fail)?;
        }
        let text: String = if name.chars().count() > 24 {
            name.chars().take(23).chain(['…']).collect()
        } else {
            name.clone()
        };
        area.draw(&Text::new(text, (34, y - 8), style.clone()))
            .map_err(fail)?;
    }
    Ok(())
}

/// The segments of stacked bars, `(layer, category, from, to)`, layer by layer;
/// negative values are drawn as zero.
fn stack(layers: &[(String, Vec<f64>)], categories: usize) -> Vec<(usize, usize, f64, f64)> {
    let mut base = vec![0.0; categories];
    let mut out = Vec::new();
    for (l, (_, values)) in layers.iter().enumerate() {
        for (c, v) in values.iter().enumerate().take(categories) {
            let from = base[c];
            base[c] += v.max(0.0);
            out.push((l, c, from, base[c]));
        }
    }
    out
}

/// The value axis' end for stacked bars: the tallest stack and a margin.
fn stack_top(n: usize, layers: &[(String, Vec<f64>)]) -> f64 {
    let top = stack(layers, n).iter().map(|s| s.3).fold(0.0, f64::max);
    if top > 0.0 { top * 1.08 } else { 1.0 }
}

/// The look every chart shares: label and axis-title fonts, a light grid.
fn house_style<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(225, 225, 225))
}

fn label_width(labels: &[String]) -> u32 {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(4) as u32;
    (longest * 8 + 24).clamp(60, 280)
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) }
}

/// Value-axis bounds with a margin; from zero when `from_zero` and every value is
/// positive.
fn padded(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (lo, hi) = bounds(values);
    let lo = if from_zero && lo >= 0.0 { 0.0 } else { lo };
    let pad = if hi > lo {
        (hi - lo) * 0.08
    } else {
        hi.abs().max(1e-3) * 0.5
    };
    let lo = if from_zero && lo == 0.0 {
        0.0
    } else {
        lo - pad
    };
    (lo, hi + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_chart() -> Chart {
        Chart {
            name: "return_rate".into(),
            title: "Return rate".into(),
            x_label: "Year".into(),
            y_label: "Returns per lifted household".into(),
            unit: Unit::Percent,
            kind: Kind::Lines {
                lines: vec![Line {
                    name: "baseline".into(),
                    points: (0..5)
                        .map(|t| (2020.0 + t as f64, 0.03, Some((0.02, 0.04))))
                        .collect(),
                }],
                x_integer: true,
            },
        }
    }

    #[test]
    fn svg_has_title_axis_titles_and_legend() {
        let svg = line_chart().svg().unwrap();
        assert!(svg.starts_with("<svg"));
        for text in [
            "Return rate",
            "Year",
            "Returns per lifted household",
            "baseline",
        ] {
            assert!(svg.contains(text), "{text} missing");
        }
        assert!(svg.contains("2020") && svg.contains("2024"));
        assert!(
            svg.contains("3.0%") || svg.contains("2.0%"),
            "percent labels"
        );
    }

    #[test]
    fn png_is_a_png_of_the_stated_size_with_ink() {
        let chart = line_chart();
        let bytes = chart.png().unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), chart.size());
        let dark = buf.chunks(3).filter(|p| p.iter().all(|&c| c < 80)).count();
        assert!(dark > 1000, "text and axes drawn: {dark} dark pixels");
    }

    #[test]
    fn every_kind_draws() {
        let rows = vec![
            Row {
                label: "monitoring".into(),
                values: vec![Some((-0.008, Some((-0.01, -0.006))))],
            },
            Row {
                label: "industry".into(),
                values: vec![Some((0.002, None))],
            },
        ];
        let layers = vec![
            ("illness".to_string(), vec![1.0, 2.0]),
            ("disaster".to_string(), vec![0.5, 0.0]),
        ];
        let kinds = [
            Kind::Stacked {
                categories: vec!["2020".into(), "2021".into()],
                layers: layers.clone(),
            },
            Kind::StackedRows {
                categories: vec!["baseline".into(), "monitoring".into()],
                layers,
            },
            Kind::Intervals {
                rows: rows.clone(),
                series: vec!["difference".into()],
                bars: false,
            },
            Kind::Intervals {
                rows,
                series: vec!["S1".into()],
                bars: true,
            },
        ];
        for kind in kinds {
            let chart = Chart {
                kind,
                ..line_chart()
            };
            let svg = chart.svg().unwrap();
            assert!(svg.contains("<rect") || svg.contains("<circle"), "{svg}");
            assert!(!chart.png().unwrap().is_empty());
        }
    }
}
