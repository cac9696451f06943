//! The shift report: one page a supervisor reads on paper.
//!
//! [`shift_report`] computes the numbers ([`ShiftReport`], also what the UI shows);
//! [`render`] draws them with plotters as SVG or PNG (A4 landscape at 150 dpi), or as PDF
//! (the SVG converted by svg2pdf, text kept as text):
//!
//! - a header with the day's OEE, availability, performance, quality and output;
//! - OEE by line (by shift when the report covers one line): A, P and Q in light tones
//!   and OEE in the dark one, each labelled with its value;
//! - output against target, same groups;
//! - the downtime Pareto: stop time by reason, longest first, with the cumulative share.
//!
//! The page is laid out by hand with plotters' primitives rather than its chart builder,
//! so SVG needs no font at all (text is left to the viewer); PNG needs one TTF and PDF a
//! font database to embed subsets from, both found at run time (see [`font`]).

use crate::ReportError;
use crate::history::{DayOee, HistoryOptions, LineOee, day_oee};
use chrono::{NaiveDate, TimeZone};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};
use specta::Type;
use std::path::PathBuf;
use std::sync::OnceLock;
use takt_model::{EquipmentPath, Level, TimestampMs};
use takt_oee::{Oee, StopCategory};
use takt_store::Store;

/// Page size in pixels (A4 landscape at 150 dpi) and SVG user units.
pub const PAGE: (u32, u32) = (1754, 1240);
/// Pareto bars drawn; the rest are pooled into one "other reasons" bar.
const PARETO_BARS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    Svg,
    Png,
    Pdf,
}

impl ReportFormat {
    /// The file extension (and the name [`FromStr`](std::str::FromStr) reads).
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Svg => "svg",
            ReportFormat::Png => "png",
            ReportFormat::Pdf => "pdf",
        }
    }
}

impl std::str::FromStr for ReportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "svg" => Ok(ReportFormat::Svg),
            "png" => Ok(ReportFormat::Png),
            "pdf" => Ok(ReportFormat::Pdf),
            other => Err(format!(
                "unknown report format `{other}`: use png, svg or pdf"
            )),
        }
    }
}

/// What the report compares side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Line,
    Shift,
}

/// OEE and output of one group (a line, a shift, or the whole report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct ReportBar {
    pub label: String,
    pub availability: f64,
    pub performance: f64,
    pub quality: f64,
    pub oee: f64,
    /// Good parts of the last work center (summed over lines for totals).
    pub output: u64,
    pub scrap: u64,
    /// At the ideal cycle over planned time; `None` without a known product.
    pub target: Option<u64>,
    pub planned_time_ms: i64,
    /// Planned time without any state data (counted as breakdown).
    pub no_data_ms: i64,
    /// Parts whose product has no ideal cycle: performance does not cover them.
    pub uncosted_parts: u64,
}

/// One line's day and its shifts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct ShiftReportLine {
    pub path: EquipmentPath,
    pub day: ReportBar,
    pub shifts: Vec<ReportBar>,
}

/// One bar of the downtime Pareto.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct ParetoBar {
    pub label: String,
    /// `None` for the pooled "other reasons" bar.
    pub category: Option<StopCategory>,
    pub duration_ms: i64,
    pub events: u32,
    pub share: f64,
    pub cumulative_share: f64,
}

/// Everything the shift report shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct ShiftReport {
    pub scope: EquipmentPath,
    pub title: String,
    pub date: NaiveDate,
    /// The day's shifts, e.g. `early 06:00–14:00` (site time).
    pub shifts: Vec<String>,
    pub group_by: GroupBy,
    /// What the OEE and output charts draw: lines, or the shifts of the one line.
    pub groups: Vec<ReportBar>,
    pub lines: Vec<ShiftReportLine>,
    pub total: ReportBar,
    pub pareto: Vec<ParetoBar>,
    pub generated_ms: TimestampMs,
}

/// Computes the report of production day `date` for `scope` (a line, area, site …).
pub async fn shift_report(
    store: &Store,
    scope: &EquipmentPath,
    date: NaiveDate,
    options: HistoryOptions,
) -> Result<ShiftReport, ReportError> {
    let generated_ms = options.now_ms;
    let day = day_oee(store, scope, date, options).await?;
    let tz = site_timezone(store, scope).await?;
    Ok(build(scope, &day, tz, generated_ms))
}

/// Computes and draws the report in one call.
pub async fn render_shift_report(
    store: &Store,
    scope: &EquipmentPath,
    date: NaiveDate,
    format: ReportFormat,
    options: HistoryOptions,
) -> Result<Vec<u8>, ReportError> {
    let report = shift_report(store, scope, date, options).await?;
    render(&report, format)
}

async fn site_timezone(store: &Store, scope: &EquipmentPath) -> Result<chrono_tz::Tz, ReportError> {
    let site = scope.ancestor(Level::Site);
    let from_calendar = match &site {
        Some(site) => store.shift_calendar(site).await?.and_then(|c| c.tz().ok()),
        None => None,
    };
    let from_plant = store.load_plant().await?.and_then(|p| {
        p.sites
            .iter()
            .find(|s| site.as_ref().is_none_or(|site| site.name() == s.name))
            .and_then(|s| s.timezone.parse().ok())
    });
    Ok(from_calendar.or(from_plant).unwrap_or(chrono_tz::UTC))
}

fn bar(label: &str, o: &Oee, output: u64, target: Option<u64>) -> ReportBar {
    ReportBar {
        label: label.to_owned(),
        availability: o.availability,
        performance: o.performance,
        quality: o.quality,
        oee: o.oee,
        output,
        scrap: o.scrap,
        target,
        planned_time_ms: o.planned_time_ms,
        no_data_ms: o.no_data_ms,
        uncosted_parts: o.uncosted_parts,
    }
}

fn line_bar(l: &LineOee, label: &str) -> ReportBar {
    let mut b = bar(label, &l.line_total, l.output, l.target);
    b.scrap = l.scrap;
    b
}

fn sum_targets<'a>(targets: impl Iterator<Item = Option<u64>> + 'a) -> Option<u64> {
    targets.fold(None, |acc, t| match (acc, t) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    })
}

fn hhmm(tz: &chrono_tz::Tz, t: TimestampMs) -> String {
    tz.timestamp_millis_opt(t)
        .single()
        .map_or_else(|| "?".into(), |d| d.format("%H:%M").to_string())
}

fn build(
    scope: &EquipmentPath,
    day: &DayOee,
    tz: chrono_tz::Tz,
    generated_ms: TimestampMs,
) -> ShiftReport {
    let lines: Vec<ShiftReportLine> = day
        .day
        .lines
        .iter()
        .map(|l| ShiftReportLine {
            path: l.line.clone(),
            day: line_bar(l, &l.label),
            shifts: day
                .shifts
                .iter()
                .filter_map(|s| {
                    let r = s.result.lines.iter().find(|r| r.line == l.line)?;
                    Some(line_bar(r, &s.shift.name))
                })
                .collect(),
        })
        .collect();
    let total = {
        let mut b = bar(
            "Total",
            &day.day.total,
            lines.iter().map(|l| l.day.output).sum(),
            sum_targets(lines.iter().map(|l| l.day.target)),
        );
        b.scrap = lines.iter().map(|l| l.day.scrap).sum();
        b
    };
    let (group_by, groups) = match lines.as_slice() {
        [one] if !one.shifts.is_empty() => (GroupBy::Shift, one.shifts.clone()),
        _ => (GroupBy::Line, lines.iter().map(|l| l.day.clone()).collect()),
    };
    let mut pareto: Vec<ParetoBar> = day
        .day
        .pareto
        .iter()
        .map(|r| ParetoBar {
            label: match &r.reason {
                Some(reason) => reason.clone(),
                None => format!("no reason ({})", category_name(r.category)),
            },
            category: Some(r.category),
            duration_ms: r.duration_ms,
            events: r.events,
            share: r.share,
            cumulative_share: r.cumulative_share,
        })
        .collect();
    if pareto.len() > PARETO_BARS {
        let rest = pareto.split_off(PARETO_BARS - 1);
        pareto.push(ParetoBar {
            label: format!("{} other reasons", rest.len()),
            category: None,
            duration_ms: rest.iter().map(|r| r.duration_ms).sum(),
            events: rest.iter().map(|r| r.events).sum(),
            share: rest.iter().map(|r| r.share).sum(),
            cumulative_share: 1.0,
        });
    }
    let shifts = day
        .shifts
        .iter()
        .map(|s| {
            format!(
                "{} {}–{}",
                s.shift.name,
                hhmm(&tz, s.shift.start_ms),
                hhmm(&tz, s.shift.end_ms)
            )
        })
        .collect();
    let title = match lines.as_slice() {
        [one] => one.day.label.clone(),
        _ => scope.to_string(),
    };
    ShiftReport {
        scope: scope.clone(),
        title,
        date: day.date,
        shifts,
        group_by,
        groups,
        lines,
        total,
        pareto,
        generated_ms,
    }
}

fn category_name(c: StopCategory) -> &'static str {
    match c {
        StopCategory::Breakdown => "breakdown",
        StopCategory::Setup => "setup",
        StopCategory::MicroStop => "micro-stop",
    }
}

/// Draws the report.
pub fn render(report: &ShiftReport, format: ReportFormat) -> Result<Vec<u8>, ReportError> {
    let (w, h) = PAGE;
    match format {
        ReportFormat::Svg => Ok(svg(report)?.into_bytes()),
        ReportFormat::Pdf => pdf(&svg(report)?),
        ReportFormat::Png => {
            font::ensure()?;
            let mut rgb = vec![0u8; (w * h * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                draw(&root, report)?;
                root.present().map_err(draw_error)?;
            }
            let image = image::RgbImage::from_raw(w, h, rgb)
                .ok_or_else(|| ReportError::Draw("bitmap has the wrong size".into()))?;
            let mut png = std::io::Cursor::new(Vec::new());
            image
                .write_to(&mut png, image::ImageOutputFormat::Png)
                .map_err(|e| ReportError::Draw(e.to_string()))?;
            Ok(png.into_inner())
        }
    }
}

fn svg(report: &ShiftReport) -> Result<String, ReportError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, PAGE).into_drawing_area();
        draw(&root, report)?;
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// The SVG page as a one-page PDF. Converting the SVG (rather than drawing with a PDF
/// backend, which plotters lacks) keeps one layout for every format; svg2pdf embeds subsets
/// of the fonts, so text stays text: sharp at any zoom, searchable, small.
fn pdf(svg: &str) -> Result<Vec<u8>, ReportError> {
    use svg2pdf::usvg;
    let options = usvg::Options {
        fontdb: font::database()?,
        ..usvg::Options::default()
    };
    // svg2pdf panics on states it deems unreachable: the report fails with a message
    // instead of taking the app's command down with it. Unwind-safe in effect: the closure
    // only reads, and the options it borrows are dropped right after.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let tree =
            usvg::Tree::from_str(svg, &options).map_err(|e| ReportError::Pdf(e.to_string()))?;
        // PAGE is A4 at 150 dpi: saying so makes the PDF page A4 too.
        let page = svg2pdf::PageOptions { dpi: 150.0 };
        svg2pdf::to_pdf(&tree, svg2pdf::ConversionOptions::default(), page)
            .map_err(|e| ReportError::Pdf(e.to_string()))
    }))
    .unwrap_or_else(|_| Err(ReportError::Pdf("the converter failed unexpectedly".into())))
}

fn draw_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> ReportError {
    ReportError::Draw(e.to_string())
}

// Calm, print-friendly tones that stay apart in grey scale.
const INK: RGBColor = RGBColor(0x22, 0x2b, 0x36);
const MUTED: RGBColor = RGBColor(0x5f, 0x6b, 0x78);
const RULE: RGBColor = RGBColor(0xd5, 0xdb, 0xe1);
const A_TONE: RGBColor = RGBColor(0xc9, 0xd6, 0xe3);
const P_TONE: RGBColor = RGBColor(0xa0, 0xb6, 0xcb);
const Q_TONE: RGBColor = RGBColor(0x74, 0x93, 0xb0);
const OEE_TONE: RGBColor = RGBColor(0x2c, 0x4a, 0x6b);
const TARGET_TONE: RGBColor = RGBColor(0xe3, 0xe7, 0xeb);
const CUMULATIVE: RGBColor = RGBColor(0xb0, 0x5a, 0x3c);

type Area<'a, DB> = DrawingArea<DB, Shift>;

/// Text whose baseline is at `y`. plotters places text differently per backend; anchoring
/// at the bottom of the layout box puts the baseline within a pixel or two of
/// `y` in both the bitmap (ab_glyph) and the SVG backend.
#[allow(clippy::too_many_arguments)]
fn text<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    s: &str,
    (x, y): (i32, i32),
    size: f64,
    h: HPos,
    color: &RGBColor,
    bold: bool,
) -> Result<(), ReportError> {
    let font = if bold {
        ("sans-serif", size, FontStyle::Bold).into_font()
    } else {
        ("sans-serif", size).into_font()
    };
    let style = font.color(color).pos(Pos::new(h, VPos::Bottom));
    let y = y + (size * 0.28).round() as i32;
    area.draw(&Text::new(s.to_owned(), (x, y), style))
        .map_err(draw_error)
}

/// Rough width of `s` at `size` px in DejaVu Sans / Helvetica, for truncation only.
fn approx_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.56
}

/// `s`, shortened with `…` to fit `width` px.
fn fit(s: &str, size: f64, width: f64) -> String {
    if approx_width(s, size) <= width {
        return s.to_owned();
    }
    let keep = ((width / (size * 0.56)) as usize).saturating_sub(1).max(1);
    let mut out: String = s.chars().take(keep).collect();
    out.push('…');
    out
}

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

/// 12345 → `12 345` (thin groups read well on paper in any locale).
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    out
}

fn hours(ms: i64) -> String {
    let h = ms as f64 / 3.6e6;
    if h >= 10.0 {
        format!("{h:.0} h")
    } else if h >= 1.0 {
        format!("{h:.1} h")
    } else {
        format!("{:.0} min", ms as f64 / 60_000.0)
    }
}

fn rect<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    color: &RGBColor,
) -> Result<(), ReportError> {
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], color.filled()))
        .map_err(draw_error)
}

fn hline<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    y: i32,
    x0: i32,
    x1: i32,
    color: &RGBColor,
    width: u32,
) -> Result<(), ReportError> {
    area.draw(&PathElement::new(
        vec![(x0, y), (x1, y)],
        color.stroke_width(width),
    ))
    .map_err(draw_error)
}

fn draw<DB: DrawingBackend>(root: &Area<'_, DB>, r: &ShiftReport) -> Result<(), ReportError> {
    root.fill(&WHITE).map_err(draw_error)?;
    let (w, h) = PAGE;
    let (w, h) = (w as i32, h as i32);
    let margin = 64;

    // Header.
    text(
        root,
        "Shift report",
        (margin, 78),
        20.0,
        HPos::Left,
        &MUTED,
        false,
    )?;
    text(root, &r.title, (margin, 122), 36.0, HPos::Left, &INK, true)?;
    text(
        root,
        &r.date.format("%A %-d %B %Y").to_string(),
        (w - margin, 78),
        20.0,
        HPos::Right,
        &MUTED,
        false,
    )?;
    let shifts = if r.shifts.is_empty() {
        "no shift calendar: whole day".to_owned()
    } else {
        r.shifts.join("   ·   ")
    };
    text(
        root,
        &shifts,
        (w - margin, 122),
        20.0,
        HPos::Right,
        &INK,
        false,
    )?;

    // Key figures.
    let t = &r.total;
    let output_label = match t.target {
        Some(target) if target > 0 => format!(
            "Output · {:.0} % of {}",
            t.output as f64 * 100.0 / target as f64,
            thousands(target)
        ),
        _ => "Output".to_owned(),
    };
    let figures = [
        ("OEE", pct(t.oee)),
        ("Availability", pct(t.availability)),
        ("Performance", pct(t.performance)),
        ("Quality", pct(t.quality)),
        (output_label.as_str(), thousands(t.output)),
        ("Scrap", thousands(t.scrap)),
    ];
    let fig_w = (w - 2 * margin) / figures.len() as i32;
    hline(root, 158, margin, w - margin, &RULE, 1)?;
    for (i, (label, value)) in figures.iter().enumerate() {
        let x = margin + i as i32 * fig_w;
        text(root, label, (x, 196), 17.0, HPos::Left, &MUTED, false)?;
        let color = if i == 0 { OEE_TONE } else { INK };
        text(root, value, (x, 246), 38.0, HPos::Left, &color, true)?;
    }
    hline(root, 276, margin, w - margin, &RULE, 1)?;

    // Two charts side by side, the Pareto below.
    let gap = 72;
    let half = (w - 2 * margin - gap) / 2;
    let top = 360;
    let chart_h = 310;
    oee_chart(root, r, (margin, top), (half, chart_h))?;
    output_chart(root, r, (margin + half + gap, top), (half, chart_h))?;
    pareto_chart(
        root,
        r,
        (margin, top + chart_h + 150),
        (w - 2 * margin, 250),
    )?;

    // Footer: how to read it.
    let mut notes = vec![
        "OEE = availability × performance × quality over planned time (shifts minus breaks). \
         Target: parts at the ideal cycle over planned time."
            .to_owned(),
    ];
    if t.no_data_ms > 0 {
        notes.push(format!(
            "{} of planned time has no machine data and is counted as breakdown.",
            hours(t.no_data_ms)
        ));
    }
    if t.uncosted_parts > 0 {
        notes.push(format!(
            "{} parts have no product with an ideal cycle time: performance leaves them out.",
            thousands(t.uncosted_parts)
        ));
    }
    let generated = chrono::DateTime::from_timestamp_millis(r.generated_ms)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let mut y = h - 40 - 24 * notes.len() as i32;
    hline(root, y - 30, margin, w - margin, &RULE, 1)?;
    for n in &notes {
        text(root, n, (margin, y), 15.0, HPos::Left, &MUTED, false)?;
        y += 24;
    }
    text(
        root,
        &format!("{} · generated by Takt {generated}", r.scope),
        (margin, y),
        15.0,
        HPos::Left,
        &MUTED,
        false,
    )?;
    Ok(())
}

fn chart_title<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    title: &str,
    (x, y): (i32, i32),
) -> Result<(), ReportError> {
    text(area, title, (x, y - 34), 22.0, HPos::Left, &INK, true)
}

/// Horizontal grid lines at 0, 25, 50, 75 and 100 % of `max`, labelled by `label`.
fn grid<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    (x, y): (i32, i32),
    (w, h): (i32, i32),
    label: impl Fn(f64) -> String,
) -> Result<(), ReportError> {
    for i in 0..=4 {
        let f = f64::from(i) / 4.0;
        let gy = y + h - (f * f64::from(h)).round() as i32;
        let color = if i == 0 { MUTED } else { RULE };
        hline(area, gy, x, x + w, &color, 1)?;
        text(
            area,
            &label(f),
            (x - 10, gy),
            14.0,
            HPos::Right,
            &MUTED,
            false,
        )?;
    }
    Ok(())
}

fn legend<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    items: &[(&str, RGBColor)],
    (x, y): (i32, i32),
) -> Result<(), ReportError> {
    let mut x = x;
    for (label, color) in items.iter().rev() {
        let lw = approx_width(label, 15.0) as i32;
        x -= lw;
        text(area, label, (x, y), 15.0, HPos::Left, &MUTED, false)?;
        rect(area, (x - 22, y - 12), (x - 8, y + 2), color)?;
        x -= 42;
    }
    Ok(())
}

fn oee_chart<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    r: &ShiftReport,
    (x, y): (i32, i32),
    (w, h): (i32, i32),
) -> Result<(), ReportError> {
    let title = match r.group_by {
        GroupBy::Line => "OEE by line",
        GroupBy::Shift => "OEE by shift",
    };
    chart_title(area, title, (x, y))?;
    legend(
        area,
        &[
            ("Availability", A_TONE),
            ("Performance", P_TONE),
            ("Quality", Q_TONE),
            ("OEE", OEE_TONE),
        ],
        (x + w, y - 34),
    )?;
    let axis = 52;
    let (px, pw) = (x + axis, w - axis);
    grid(area, (px, y), (pw, h), |f| format!("{:.0} %", f * 100.0))?;
    let n = r.groups.len().max(1) as i32;
    let slot = pw / n;
    let bar_w = ((slot - 24) / 4).clamp(6, 40);
    for (i, g) in r.groups.iter().enumerate() {
        let cx = px + slot * i as i32 + slot / 2;
        let x0 = cx - 2 * bar_w;
        let values = [
            (g.availability, A_TONE),
            (g.performance, P_TONE),
            (g.quality, Q_TONE),
            (g.oee, OEE_TONE),
        ];
        for (k, (v, color)) in values.iter().enumerate() {
            let bx = x0 + k as i32 * bar_w;
            let top = y + h - (v.clamp(0.0, 1.0) * f64::from(h)).round() as i32;
            rect(area, (bx + 1, top), (bx + bar_w - 1, y + h), color)?;
        }
        // One number per group, OEE, above the tallest bar: four numbers per group crowd
        // the chart, and A, P and Q are written under it.
        let tallest = values
            .iter()
            .map(|(v, _)| v.clamp(0.0, 1.0))
            .fold(0.0, f64::max);
        let top = y + h - (tallest * f64::from(h)).round() as i32;
        text(
            area,
            &pct(g.oee),
            (cx, top - 10),
            17.0,
            HPos::Center,
            &OEE_TONE,
            true,
        )?;
        let label = fit(&g.label, 16.0, f64::from(slot - 8));
        text(
            area,
            &label,
            (cx, y + h + 30),
            16.0,
            HPos::Center,
            &INK,
            false,
        )?;
        let apq = format!(
            "A {:.0} · P {:.0} · Q {:.0}",
            g.availability * 100.0,
            g.performance * 100.0,
            g.quality * 100.0
        );
        // Left out rather than cut off when the groups are narrow.
        if approx_width(&apq, 14.0) <= f64::from(slot - 8) {
            text(
                area,
                &apq,
                (cx, y + h + 54),
                14.0,
                HPos::Center,
                &MUTED,
                false,
            )?;
        }
    }
    Ok(())
}

fn output_chart<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    r: &ShiftReport,
    (x, y): (i32, i32),
    (w, h): (i32, i32),
) -> Result<(), ReportError> {
    chart_title(area, "Output against target", (x, y))?;
    legend(
        area,
        &[("Target", TARGET_TONE), ("Good parts", OEE_TONE)],
        (x + w, y - 34),
    )?;
    let max = r
        .groups
        .iter()
        .map(|g| g.output.max(g.target.unwrap_or(0)))
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = nice_ceiling(max as f64);
    let axis = 72;
    let (px, pw) = (x + axis, w - axis);
    grid(area, (px, y), (pw, h), |f| {
        thousands((f * scale).round() as u64)
    })?;
    let n = r.groups.len().max(1) as i32;
    let slot = pw / n;
    let bar_w = ((slot - 24) / 2).clamp(8, 80);
    let height = |v: u64| ((v as f64 / scale) * f64::from(h)).round() as i32;
    for (i, g) in r.groups.iter().enumerate() {
        let cx = px + slot * i as i32 + slot / 2;
        // Target as a wide pale bar behind a narrower output bar: the gap reads at a glance.
        if let Some(target) = g.target {
            rect(
                area,
                (cx - bar_w, y + h - height(target)),
                (cx + bar_w, y + h),
                &TARGET_TONE,
            )?;
        }
        let top = y + h - height(g.output);
        rect(
            area,
            (cx - bar_w / 2, top),
            (cx + bar_w / 2, y + h),
            &OEE_TONE,
        )?;
        // Above the bars: the share of target (the count when there is no target).
        let value = match g.target {
            Some(t) if t > 0 => format!("{:.0} %", g.output as f64 * 100.0 / t as f64),
            _ => thousands(g.output),
        };
        let label_y = (y + h - height(g.output.max(g.target.unwrap_or(0)))) - 10;
        text(
            area,
            &value,
            (cx, label_y),
            17.0,
            HPos::Center,
            &OEE_TONE,
            true,
        )?;
        let label = fit(&g.label, 16.0, f64::from(slot - 8));
        text(
            area,
            &label,
            (cx, y + h + 30),
            16.0,
            HPos::Center,
            &INK,
            false,
        )?;
        // Below: output of target, or as much of it as fits.
        let room = f64::from(slot - 8);
        let detail = [
            g.target
                .map(|t| format!("{} of {}", thousands(g.output), thousands(t))),
            g.target
                .map(|t| format!("{}/{}", thousands(g.output), thousands(t))),
            Some(thousands(g.output)),
        ]
        .into_iter()
        .flatten()
        .find(|d| approx_width(d, 14.0) <= room);
        if let Some(detail) = detail {
            text(
                area,
                &detail,
                (cx, y + h + 54),
                14.0,
                HPos::Center,
                &MUTED,
                false,
            )?;
        }
    }
    Ok(())
}

/// The first of 1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8 × 10ⁿ at or above `v`: its quarters
/// are round numbers, and the tallest bar fills most of the chart.
fn nice_ceiling(v: f64) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    [1.0, 1.2, 1.6, 2.0, 2.4, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * p)
}

fn pareto_chart<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    r: &ShiftReport,
    (x, y): (i32, i32),
    (w, h): (i32, i32),
) -> Result<(), ReportError> {
    chart_title(area, "Downtime by reason", (x, y))?;
    legend(
        area,
        &[("Stop time", Q_TONE), ("Cumulative share", CUMULATIVE)],
        (x + w, y - 34),
    )?;
    if r.pareto.is_empty() {
        text(
            area,
            "No stops recorded in planned time.",
            (x, y + 40),
            18.0,
            HPos::Left,
            &MUTED,
            false,
        )?;
        return Ok(());
    }
    let axis = 72;
    let right_axis = 60;
    let (px, pw) = (x + axis, w - axis - right_axis);
    let max_ms = r
        .pareto
        .iter()
        .map(|b| b.duration_ms)
        .max()
        .unwrap_or(1)
        .max(1);
    let scale_h = nice_ceiling(max_ms as f64 / 3.6e6);
    grid(area, (px, y), (pw, h), |f| {
        let v = f * scale_h;
        if scale_h >= 4.0 {
            format!("{v:.0} h")
        } else {
            format!("{v:.1} h")
        }
    })?;
    for i in 0..=4 {
        let f = f64::from(i) / 4.0;
        let gy = y + h - (f * f64::from(h)).round() as i32;
        text(
            area,
            &format!("{:.0} %", f * 100.0),
            (px + pw + 10, gy),
            14.0,
            HPos::Left,
            &CUMULATIVE,
            false,
        )?;
    }
    let n = r.pareto.len() as i32;
    let slot = pw / n;
    let bar_w = (slot * 3 / 5).min(120);
    let mut points = Vec::new();
    let mut value_labels = Vec::new();
    for (i, b) in r.pareto.iter().enumerate() {
        let cx = px + slot * i as i32 + slot / 2;
        let bh = ((b.duration_ms as f64 / 3.6e6 / scale_h) * f64::from(h)).round() as i32;
        let tone = if b.category.is_none() { A_TONE } else { Q_TONE };
        rect(
            area,
            (cx - bar_w / 2, y + h - bh),
            (cx + bar_w / 2, y + h),
            &tone,
        )?;
        let value = format!("{} · {}×", hours(b.duration_ms), b.events);
        value_labels.push((value, (cx, y + h - bh - 10)));
        let (name, detail) = match (&b.category, b.label.strip_prefix("no reason (")) {
            (Some(c), Some(_)) => ("no reason".to_owned(), category_name(*c).to_owned()),
            (Some(c), None) => (b.label.clone(), category_name(*c).to_owned()),
            (None, _) => (b.label.clone(), String::new()),
        };
        let room = f64::from(slot - 6);
        text(
            area,
            &fit(&name, 15.0, room),
            (cx, y + h + 28),
            15.0,
            HPos::Center,
            &INK,
            false,
        )?;
        text(
            area,
            &fit(&detail, 14.0, room),
            (cx, y + h + 50),
            14.0,
            HPos::Center,
            &MUTED,
            false,
        )?;
        let cy = y + h - (b.cumulative_share * f64::from(h)).round() as i32;
        points.push((cx, cy));
    }
    area.draw(&PathElement::new(
        points.clone(),
        CUMULATIVE.stroke_width(2),
    ))
    .map_err(draw_error)?;
    for p in points {
        area.draw(&Circle::new(p, 4, CUMULATIVE.filled()))
            .map_err(draw_error)?;
    }
    // Bar values last, on a white ground, so the cumulative line never runs through them.
    for (value, (vx, vy)) in value_labels {
        let half = (approx_width(&value, 15.0) / 2.0) as i32 + 4;
        rect(area, (vx - half, vy - 17), (vx + half, vy + 5), &WHITE)?;
        text(area, &value, (vx, vy), 15.0, HPos::Center, &INK, false)?;
    }
    Ok(())
}

/// The TTF that PNG text is drawn with and the fonts the PDF embeds, found at run time
/// (never bundled).
pub mod font {
    use super::*;
    use std::sync::Arc;
    use svg2pdf::usvg::fontdb;

    /// Where fonts are looked for, after `TAKT_FONT`: Debian/Ubuntu (fonts-dejavu-core),
    /// Fedora, Arch, macOS, Windows.
    const CANDIDATES: &[&str] = &[
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/Library/Fonts/Arial.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        "C:\\Windows\\Fonts\\arial.ttf",
    ];

    static LOADED: OnceLock<Result<PathBuf, Vec<PathBuf>>> = OnceLock::new();

    fn candidates() -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::env::var_os("TAKT_FONT")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .into_iter()
            .collect();
        out.extend(CANDIDATES.iter().map(PathBuf::from));
        out
    }

    /// The bold face next to a regular one, if the family ships it.
    fn bold_of(regular: &std::path::Path) -> Option<PathBuf> {
        let name = regular.file_name()?.to_str()?;
        let bold = if let Some(stem) = name.strip_suffix("-Regular.ttf") {
            format!("{stem}-Bold.ttf")
        } else if let Some(stem) = name.strip_suffix(".ttf") {
            format!("{stem}-Bold.ttf")
        } else {
            return None;
        };
        Some(regular.with_file_name(bold)).filter(|p| p.exists())
    }

    fn register(path: &std::path::Path, style: FontStyle) -> bool {
        let Ok(bytes) = std::fs::read(path) else {
            return false;
        };
        // plotters keeps fonts for the life of the process; this runs once per process.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        plotters::style::register_font("sans-serif", style, bytes).is_ok()
    }

    /// The fonts the PDF embeds: the system's, with the PNG's font (`TAKT_FONT` or the first
    /// candidate found) as `sans-serif`, the family plotters writes into the SVG. Built
    /// once per process: scanning the system fonts takes a moment.
    pub fn database() -> Result<Arc<fontdb::Database>, ReportError> {
        static DATABASE: OnceLock<Result<Arc<fontdb::Database>, Vec<PathBuf>>> = OnceLock::new();
        DATABASE
            .get_or_init(|| {
                let tried = candidates();
                let mut db = fontdb::Database::new();
                // The PNG's font in memory and first, so it wins over its copy among the
                // system fonts: faces from files are mapped anew for every text run.
                let preferred = tried.iter().find_map(|path| {
                    let family = load(&mut db, path)?;
                    if let Some(bold) = bold_of(path) {
                        load(&mut db, &bold);
                    }
                    Some(family)
                });
                // The system's fonts: glyphs the preferred font lacks (other scripts in
                // names), or all the text when no candidate exists.
                db.load_system_fonts();
                let sans = fontdb::Query {
                    families: &[fontdb::Family::SansSerif],
                    ..fontdb::Query::default()
                };
                // Without a candidate: the system's sans-serif (fontconfig's alias, Arial
                // elsewhere), else any face rather than a page without text.
                let family = preferred.or_else(|| match db.query(&sans) {
                    Some(_) => None,
                    None => db
                        .faces()
                        .find_map(|f| f.families.first().map(|(n, _)| n.clone())),
                });
                if let Some(family) = family {
                    db.set_sans_serif_family(family);
                }
                if db.is_empty() {
                    Err(tried)
                } else {
                    Ok(Arc::new(db))
                }
            })
            .clone()
            .map_err(|tried| ReportError::FontMissing { tried })
    }

    /// Loads the font file at `path` into memory; the family of its first face.
    fn load(db: &mut fontdb::Database, path: &std::path::Path) -> Option<String> {
        let bytes = std::fs::read(path).ok()?;
        let ids = db.load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
        let face = db.face(*ids.first()?)?;
        face.families.first().map(|(name, _)| name.clone())
    }

    /// Loads the font once; the path used, or the paths tried.
    pub fn ensure() -> Result<PathBuf, ReportError> {
        LOADED
            .get_or_init(|| {
                let tried = candidates();
                for path in &tried {
                    if register(path, FontStyle::Normal) {
                        let bold = bold_of(path).unwrap_or_else(|| path.clone());
                        if !register(&bold, FontStyle::Bold) {
                            register(path, FontStyle::Bold);
                        }
                        return Ok(path.clone());
                    }
                }
                Err(tried)
            })
            .clone()
            .map_err(|tried| ReportError::FontMissing { tried })
    }
}
