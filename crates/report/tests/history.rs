//! The history adapter and the shift report on a temporary SQLite file with hand-written
//! history: exact OEE numbers, counter resets, late readings, rendering, errors.

use chrono::NaiveDate;
use takt_model::StateKind;
use takt_report::{
    HistoryOptions, ReportError, ReportFormat, day_oee, render_shift_report, scope_oee,
};

mod common;
use common::*;

#[tokio::test]
async fn exact_oee_from_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = plant(&dir).await;
    standard_day(&store).await;

    let r = scope_oee(&store, &path("acme/s1/a1/l1"), shift(), options())
        .await
        .unwrap();
    assert_eq!(r.lines.len(), 1);
    let line = &r.lines[0];
    assert_eq!(line.label, "Line One");
    assert_eq!(line.work_centers.len(), 1);
    let o = &line.line_total;
    assert_eq!(o.planned_time_ms, 480 * MIN);
    assert_eq!(o.run_time_ms, 420 * MIN);
    assert_eq!((o.good, o.scrap, o.uncosted_parts), (380, 10, 0));
    assert_eq!(o.ideal_time_ms, 390 * MIN);
    assert_eq!(o.fully_productive_time_ms, 380 * MIN);
    assert_eq!(o.losses.breakdowns, 60 * MIN);
    assert_eq!(o.losses.reduced_speed, 30 * MIN);
    assert_eq!(o.losses.production_rejects, 10 * MIN);
    assert_eq!(o.losses.startup_rejects, 0);
    assert_eq!(o.availability, 420.0 / 480.0);
    assert_eq!(o.performance, 390.0 / 420.0);
    assert_eq!(o.quality, 380.0 / 390.0);
    assert_eq!(o.oee, 380.0 / 480.0);
    assert_eq!(line.output, 380);
    assert_eq!(line.target, Some(480));
    // The Pareto: the one stop, with its reason.
    assert_eq!(r.pareto.len(), 1);
    assert_eq!(r.pareto[0].reason.as_deref(), Some("mech/jam"));
    assert_eq!(r.pareto[0].duration_ms, 60 * MIN);
    assert_eq!(r.total, *o);

    // The same day through the per-shift path.
    let date = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    let day = day_oee(&store, &path("acme"), date, options())
        .await
        .unwrap();
    assert_eq!(day.shifts.len(), 1);
    assert_eq!(day.shifts[0].shift.name, "day");
    assert_eq!(day.shifts[0].result.total, *o);
    assert_eq!(day.day.total, *o);
    // A work center as the scope.
    let wc = scope_oee(&store, &path(WC), shift(), options())
        .await
        .unwrap();
    assert_eq!(wc.total, *o);
}

#[tokio::test]
async fn counter_resets_and_late_readings() {
    let dir = tempfile::tempdir().unwrap();
    let store = plant(&dir).await;
    store
        .append_history(&[
            change(
                at(7, 59),
                Some((StateKind::Running, None)),
                Some(1_000),
                None,
            ),
            change(at(10, 0), None, Some(1_120), None),
            // The PLC restarted: the reading after it is the parts made since.
            change(at(11, 0), None, Some(30), None),
            change(at(12, 0), None, Some(80), None),
            change(at(14, 0), None, Some(100), None),
        ])
        .await
        .unwrap();
    // A reading that arrives late, between two stored ones: counted once, not twice.
    store
        .append_history(&[change(at(13, 0), None, Some(90), None)])
        .await
        .unwrap();
    let r = scope_oee(&store, &path("acme/s1"), shift(), options())
        .await
        .unwrap();
    assert_eq!(r.total.good, 120 + 30 + 50 + 20);
}

#[tokio::test]
async fn report_renders_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let (store, date, scope) = report_day(&dir).await;
    let svg = render_shift_report(&store, &scope, date, ReportFormat::Svg, options())
        .await
        .unwrap();
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..100]);
    assert!(svg.contains("Line One"));
    assert!(svg.contains("mech/jam"));
    assert!(svg.contains("79 %"), "OEE of the day");

    match render_shift_report(&store, &scope, date, ReportFormat::Png, options()).await {
        Ok(png) => {
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            assert_eq!(&png[12..16], b"IHDR");
            let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
            let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
            assert_eq!((width, height), takt_report::shift_report::PAGE);
            assert!(png.len() > 20_000, "a page with text and charts");
        }
        // Machines without a TTF: the error says what to install; SVG worked above.
        Err(e @ ReportError::FontMissing { .. }) => {
            assert!(e.to_string().contains("fonts-dejavu-core"));
            eprintln!("skipping the PNG check: {e}");
        }
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn report_renders_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let (store, date, scope) = report_day(&dir).await;
    let pdf = match render_shift_report(&store, &scope, date, ReportFormat::Pdf, options()).await {
        Ok(pdf) => pdf,
        // Machines without any font: the same advice as for PNG.
        Err(e @ ReportError::FontMissing { .. }) => {
            assert!(e.to_string().contains("fonts-dejavu-core"));
            eprintln!("skipping the PDF check: {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert!(pdf.starts_with(b"%PDF-"));
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.trim_end().ends_with("%%EOF"));
    // One A4 landscape page (PAGE at 150 dpi, in points).
    assert_eq!(raw.matches("/Type /Page\n").count(), 1, "one page");
    let media_box = raw
        .split("/MediaBox [")
        .nth(1)
        .and_then(|r| r.split(']').next())
        .unwrap();
    let size: Vec<f64> = media_box
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(
        (size[2] - 841.9).abs() < 1.0 && (size[3] - 595.3).abs() < 1.0,
        "{size:?}"
    );
    // Text stays text: an embedded font, and its glyph-to-Unicode map (never compressed)
    // covers every character of the title, the stop reason and the day's OEE.
    assert!(
        raw.contains("/FontFile2") || raw.contains("/FontFile3"),
        "embedded font"
    );
    let chars = mapped_chars(&raw);
    for expected in ["Line One", "mech/jam", "79 %", "Shift report"] {
        let missing: String = expected.chars().filter(|c| !chars.contains(c)).collect();
        assert!(
            missing.is_empty(),
            "no glyph for {missing:?} of {expected:?}"
        );
    }
    assert!(
        pdf.len() < 200_000,
        "a subset font keeps the page small: {}",
        pdf.len()
    );
}

/// The characters the PDF's ToUnicode maps give its glyphs (`<gid> <UTF-16BE>` pairs).
fn mapped_chars(pdf: &str) -> std::collections::HashSet<char> {
    let mut out = std::collections::HashSet::new();
    for section in pdf.split("beginbfchar").skip(1) {
        let section = section.split("endbfchar").next().unwrap();
        for line in section.lines() {
            let Some(hex) = line.split_whitespace().nth(1) else {
                continue;
            };
            let hex = hex.trim_matches(|c| c == '<' || c == '>');
            let units: Vec<u16> = (0..hex.len() / 4)
                .map(|i| u16::from_str_radix(&hex[4 * i..4 * i + 4], 16).unwrap())
                .collect();
            out.extend(char::decode_utf16(units).map(|c| c.unwrap()));
        }
    }
    out
}

#[test]
fn report_formats_parse_and_name_their_files() {
    for (name, format) in [
        ("svg", ReportFormat::Svg),
        ("PNG", ReportFormat::Png),
        (" pdf ", ReportFormat::Pdf),
    ] {
        assert_eq!(name.parse::<ReportFormat>(), Ok(format));
        assert_eq!(format.extension(), name.trim().to_ascii_lowercase());
    }
    let err = "docx".parse::<ReportFormat>().unwrap_err();
    assert!(err.contains("png, svg or pdf"), "{err}");
}

#[tokio::test]
async fn unknown_scope_and_empty_day_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = plant(&dir).await;
    standard_day(&store).await;
    let date = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    let err = day_oee(&store, &path("acme/s1/a1/nope"), date, options())
        .await
        .unwrap_err();
    assert!(matches!(err, ReportError::UnknownScope { .. }), "{err}");
    assert!(err.to_string().contains("acme/s1/a1/nope"));
    // Before the first record (the last state carries on afterwards, as on the shop floor).
    let other_day = NaiveDate::from_ymd_opt(2026, 6, 20).unwrap();
    let late = HistoryOptions {
        now_ms: at(24 * 30, 0),
        ..options()
    };
    let err = day_oee(&store, &path("acme/s1/a1/l1"), other_day, late)
        .await
        .unwrap_err();
    assert!(matches!(err, ReportError::NoHistory { .. }), "{err}");
    assert!(err.to_string().contains("2026-06-20"));
}
