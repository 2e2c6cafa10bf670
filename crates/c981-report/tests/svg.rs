//! SVG charts: snapshot comparison, XML well-formedness and escaping.
//!
//! Snapshots live in `tests/snapshots/`. After an intended change, rewrite them with
//! `C981_UPDATE_SNAPSHOTS=1 cargo test --test svg` and review the diff.

// A test reads its own switches from the environment (as the test kit does).
#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;

use c981_report::colour::Colour;
use c981_report::svg::{self, HeatmapSpec};
use quick_xml::Reader;
use quick_xml::events::Event;

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
    if std::env::var("C981_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, actual).unwrap();
        eprintln!("rewrote snapshot {}", path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {}; run with C981_UPDATE_SNAPSHOTS=1", path.display()));
    assert!(expected == actual, "snapshot {name} differs; rerun with C981_UPDATE_SNAPSHOTS=1 to accept:\n{actual}");
}

/// Parses the whole document; returns the text content and element names seen.
fn parse(svg: &str) -> (String, Vec<String>) {
    let mut reader = Reader::from_str(svg);
    reader.config_mut().check_end_names = true;
    let mut text = String::new();
    let mut names = Vec::new();
    let mut depth = 0i32;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                depth += 1;
                names.push(e.name().as_ref().to_owned());
            }
            Event::Empty(e) => names.push(e.name().as_ref().to_owned()),
            Event::End(_) => depth -= 1,
            Event::Text(t) => text.push_str(&t),
            Event::GeneralRef(r) => text.push_str(&format!("&{};", &*r)),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element is closed");
    (text, names)
}

fn risk_matrix() -> HeatmapSpec {
    let levels = ["Rare", "Unlikely", "Possible", "Likely", "Almost certain"];
    let impacts = ["Negligible", "Minor", "Moderate", "Major", "Severe impact on patient safety"];
    let colour = |x: usize, y: usize| match x + y {
        0..=2 => Colour::Green,
        3..=4 => Colour::Yellow,
        5 => Colour::Orange,
        6..=7 => Colour::Red,
        _ => Colour::Purple,
    };
    HeatmapSpec {
        title: "Risk heatmap – Hamburg".into(),
        x_axis_label: "Impact".into(),
        y_axis_label: "Likelihood".into(),
        x_labels: impacts.iter().map(|s| s.to_string()).collect(),
        y_labels: levels.iter().map(|s| s.to_string()).collect(),
        cells: (0..5).map(|y| (0..5).map(|x| ((x * 3 + y * 7) % 6) as u32).collect()).collect(),
        cell_colour: (0..5).map(|y| (0..5).map(|x| colour(x, y)).collect()).collect(),
        links: (0..5)
            .map(|y| (0..5).map(|x| Some(format!("/risks?likelihood={}&impact={}", y + 1, x + 1))).collect())
            .collect(),
    }
}

fn coverage() -> Vec<svg::BarCategory> {
    let seg = |a, b, c, d| {
        vec![
            ("Implemented".to_string(), a, Colour::Green),
            ("Partial".to_string(), b, Colour::Yellow),
            ("Planned".to_string(), c, Colour::Orange),
            ("Not started".to_string(), d, Colour::Red),
        ]
    };
    vec![
        ("Hamburg".into(), seg(61, 17, 9, 6)),
        ("Toulouse".into(), seg(40, 20, 20, 13)),
        ("Cork (new site)".into(), seg(5, 3, 30, 55)),
    ]
}

#[test]
fn the_heatmap_matches_its_snapshot_and_is_well_formed() {
    let out = svg::heatmap(&risk_matrix()).unwrap();
    let (text, names) = parse(&out);
    assert!(text.contains("Risk heatmap – Hamburg"));
    assert!(names.iter().filter(|n| *n == "title").count() >= 26, "one title per cell plus the chart");
    assert_eq!(names.iter().filter(|n| *n == "a").count(), 25);
    assert!(names.contains(&"pattern".to_string()) && names.contains(&"desc".to_string()));
    snapshot("heatmap.svg", &out);
}

#[test]
fn the_stacked_bars_match_their_snapshot_and_are_well_formed() {
    let out = svg::stacked_bars("SoA coverage per site", &coverage());
    let (text, _) = parse(&out);
    for needle in ["Hamburg", "93", "Implemented", "Not started", "Cork (new site)"] {
        assert!(text.contains(needle), "{needle}");
    }
    snapshot("stacked_bars.svg", &out);
}

#[test]
fn hostile_labels_are_escaped_and_unsafe_links_dropped() {
    let mut spec = risk_matrix();
    spec.title = "<script>alert(\"x\")</script> & 'co'".into();
    spec.x_labels[0] = "</text><script>evil()</script>".into();
    spec.y_labels[0] = "a\"b'c&d<e>".into();
    spec.links[0][0] = Some("javascript:alert(document.cookie)".into());
    spec.links[0][1] = Some("https://c981.test/?q=\"><script>".into());
    let out = svg::heatmap(&spec).unwrap();
    let (text, names) = parse(&out);
    assert!(!names.iter().any(|n| n == "script"), "no script element");
    assert!(!out.contains("<script") && !out.contains("javascript:"));
    assert!(out.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;"));
    assert!(text.contains("&lt;"), "escaped text survives as references or characters: {text}");
    assert_eq!(names.iter().filter(|n| *n == "a").count(), 24, "the javascript: link was dropped");
    snapshot("heatmap_hostile.svg", &out);

    let bars = svg::stacked_bars("<b>&</b>", &[("<i>\"x\"</i>".into(), vec![("<s>".into(), 3, Colour::Grey)])]);
    parse(&bars);
    assert!(!bars.contains("<b>") && !bars.contains("<i>") && !bars.contains("<s>"));
}

#[test]
fn mismatched_heatmap_shapes_are_refused() {
    let mut spec = risk_matrix();
    spec.cells[2].pop();
    assert!(svg::heatmap(&spec).unwrap_err().to_string().contains("cells must be 5 rows of 5"));
    let mut spec = risk_matrix();
    spec.cell_colour.pop();
    assert!(svg::heatmap(&spec).is_err());
    let mut spec = risk_matrix();
    spec.links.clear();
    assert!(svg::heatmap(&spec).is_ok(), "links are optional");
}

#[test]
fn empty_bar_charts_still_render() {
    let (text, _) = parse(&svg::stacked_bars("Nothing yet", &[]));
    assert!(text.contains("No data"));
    let zero = svg::stacked_bars("Zeros", &[("Site".into(), vec![("Implemented".into(), 0, Colour::Green)])]);
    parse(&zero);
}
