//! The SVG drawings: snapshots of a small plant and of an SL chart, well-formed XML, hostile
//! text, the CSP rules, and no overlapping boxes.
//!
//! Snapshots live in `tests/snapshots/`; run with `UPDATE_SNAPSHOTS=1` to rewrite them after an
//! intended change, then look at the diff (and at the pictures: they are plain `.svg` files).
//! `C981_SVG_DUMP=<dir>` also writes a dense diagram there.

use std::path::PathBuf;

use c981_analysis::svg::{BOX_GAP, Diagram, DiagramConduit, DiagramZone, layout, sl_chart, zone_diagram};

// ---------------------------------------------------------------------------------------------
// Helpers

/// A switch for the person running the tests: `UPDATE_SNAPSHOTS=1` rewrites the snapshots,
/// `C981_SVG_DUMP=<dir>` writes the dense diagram there to look at.
#[allow(clippy::disallowed_methods, reason = "test switches for the developer, not configuration")]
fn test_switch(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name)
}

/// Compares `actual` with `tests/snapshots/<name>`, or rewrites it when `UPDATE_SNAPSHOTS=1`.
fn assert_snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
    if test_switch("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("no snapshot {}; run with UPDATE_SNAPSHOTS=1 to create it", path.display()));
    if expected != actual {
        let (e, a): (Vec<&str>, Vec<&str>) = (split_tags(&expected), split_tags(actual));
        let first = e.iter().zip(&a).position(|(x, y)| x != y).unwrap_or(e.len().min(a.len()));
        let show = |v: &[&str]| v[first.saturating_sub(2)..(first + 3).min(v.len())].join("\n  ");
        panic!(
            "snapshot {} differs (expected {} bytes, got {}) at element {first}:\n\
             expected:\n  {}\nactual:\n  {}\n\
             run with UPDATE_SNAPSHOTS=1 to accept the new output",
            path.display(),
            expected.len(),
            actual.len(),
            show(&e),
            show(&a),
        );
    }
}

/// The document cut before every `<`, for a readable diff of one-line SVG.
fn split_tags(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, _) in s.match_indices('<') {
        if i > start {
            parts.push(&s[start..i]);
        }
        start = i;
    }
    parts.push(&s[start..]);
    parts
}

/// An element as the checker saw it.
#[derive(Debug)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    /// Names of the enclosing elements, outermost first.
    ancestors: Vec<String>,
}

/// A minimal XML well-formedness check: one root, properly nested tags, quoted attributes
/// without duplicates, only the five predefined entities and character references, no raw
/// `<` or `&` in text or attributes, no comments, processing instructions or CDATA (we never
/// write any). Returns the elements with their attributes (unescaped) for further checks.
fn parse_xml(s: &str) -> Result<Vec<Element>, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut stack: Vec<String> = Vec::new();
    let mut elements = Vec::new();
    let mut roots = 0;
    let is_name = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':' | b'.');
    let check_text = |t: &str, at: usize| -> Result<String, String> {
        let mut out = String::new();
        let mut rest = t;
        while let Some(p) = rest.find(['&', '<']) {
            out.push_str(&rest[..p]);
            if rest.as_bytes()[p] == b'<' {
                return Err(format!("raw < at {at}"));
            }
            let end = rest[p..].find(';').ok_or(format!("unterminated entity at {at}"))?;
            let ent = &rest[p + 1..p + end];
            let c = match ent {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ if ent.starts_with("#x") => u32::from_str_radix(&ent[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or(format!("bad reference &{ent}; at {at}"))?,
                _ if ent.starts_with('#') => ent[1..]
                    .parse::<u32>()
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or(format!("bad reference &{ent}; at {at}"))?,
                _ => return Err(format!("unknown entity &{ent}; at {at}")),
            };
            out.push(c);
            rest = &rest[p + end + 1..];
        }
        out.push_str(rest);
        if let Some(c) =
            out.chars().find(|&c| (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}')
        {
            return Err(format!("forbidden character {c:?} at {at}"));
        }
        Ok(out)
    };
    while i < b.len() {
        if b[i] != b'<' {
            let end = s[i..].find('<').map_or(b.len(), |p| i + p);
            let text = &s[i..end];
            if stack.is_empty() && !text.trim().is_empty() {
                return Err(format!("text outside the root at {i}"));
            }
            check_text(text, i)?;
            i = end;
            continue;
        }
        i += 1;
        let closing = b.get(i) == Some(&b'/');
        if closing {
            i += 1;
        }
        let start = i;
        while i < b.len() && is_name(b[i]) {
            i += 1;
        }
        let name = &s[start..i];
        if name.is_empty() {
            return Err(format!("bad tag at {start}"));
        }
        if closing {
            while b.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            if b.get(i) != Some(&b'>') {
                return Err(format!("bad closing tag at {i}"));
            }
            i += 1;
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?} at {i}")),
            }
            continue;
        }
        let mut attrs: Vec<(String, String)> = Vec::new();
        loop {
            let ws = i;
            while b.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            match b.get(i) {
                Some(b'>') => {
                    i += 1;
                    if stack.is_empty() {
                        roots += 1;
                    }
                    elements.push(Element { name: name.into(), attrs, ancestors: stack.clone() });
                    stack.push(name.into());
                    break;
                }
                Some(b'/') if b.get(i + 1) == Some(&b'>') => {
                    i += 2;
                    if stack.is_empty() {
                        roots += 1;
                    }
                    elements.push(Element { name: name.into(), attrs, ancestors: stack.clone() });
                    break;
                }
                Some(_) if i > ws => {
                    let a = i;
                    while i < b.len() && is_name(b[i]) {
                        i += 1;
                    }
                    let attr = &s[a..i];
                    if attr.is_empty() || b.get(i) != Some(&b'=') {
                        return Err(format!("bad attribute at {a}"));
                    }
                    i += 1;
                    let q = *b.get(i).ok_or("eof")?;
                    if q != b'"' && q != b'\'' {
                        return Err(format!("unquoted attribute at {i}"));
                    }
                    let v0 = i + 1;
                    let v1 =
                        s[v0..].find(q as char).map(|p| v0 + p).ok_or(format!("unterminated attribute at {v0}"))?;
                    let value = check_text(&s[v0..v1], v0)?;
                    if attrs.iter().any(|(n, _)| n == attr) {
                        return Err(format!("duplicate attribute {attr} at {a}"));
                    }
                    attrs.push((attr.into(), value));
                    i = v1 + 1;
                }
                _ => return Err(format!("bad tag syntax at {i}")),
            }
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(elements)
}

/// What a strict CSP and our own rules forbid, checked on the parsed tree.
fn assert_safe(elements: &[Element]) {
    for e in elements {
        let n = e.name.to_ascii_lowercase();
        assert!(
            !matches!(n.as_str(), "script" | "style" | "foreignobject" | "image" | "use" | "iframe"),
            "element <{}>",
            e.name
        );
        for (a, v) in &e.attrs {
            let a = a.to_ascii_lowercase();
            assert!(a != "style" && !a.starts_with("on"), "attribute {a} on <{}>", e.name);
            if a == "href" || a == "xlink:href" {
                assert!(v.starts_with('/') && !v.starts_with("//"), "link {v:?} is not site-relative");
            }
            if a == "xmlns" {
                assert_eq!(v, "http://www.w3.org/2000/svg");
            } else {
                assert!(!v.to_ascii_lowercase().contains("http"), "{a}={v:?}");
            }
        }
    }
}

fn zone(id: i64, name: &str, kind: &str, rank: Option<u8>, assets: u64) -> DiagramZone {
    DiagramZone {
        id,
        name: name.into(),
        kind_label: kind.into(),
        purdue_rank: rank,
        asset_count: assets,
        sl_target: [2; 7],
        sl_achieved: [2; 7],
        findings: 0,
        href: format!("/zones/{id}"),
    }
}

fn conduit(id: i64, name: &str, zones: &[i64]) -> DiagramConduit {
    DiagramConduit {
        id,
        name: name.into(),
        zone_ids: zones.to_vec(),
        one_way: false,
        encryption_required: false,
        sl_gap: 0,
        findings: 0,
        href: format!("/conduits/{id}"),
    }
}

/// A small plant: enterprise IT, a DMZ, site operations, two control zones, a safety system
/// and a vendor laptop not yet placed.
fn plant() -> Diagram {
    let mut zones = vec![
        zone(1, "Enterprise IT", "Enterprise", Some(50), 420),
        zone(2, "Industrial DMZ", "DMZ", Some(35), 6),
        zone(3, "Site operations", "Operations", Some(30), 24),
        zone(4, "Line 1 control", "Control", Some(20), 38),
        zone(5, "Line 2 control", "Control", Some(20), 12),
        zone(6, "Safety PLCs", "Safety", Some(10), 4),
        zone(7, "Vendor laptop", "Temporary", None, 1),
    ];
    zones[1].sl_target = [3, 3, 3, 2, 3, 2, 2];
    zones[1].sl_achieved = [3, 2, 3, 2, 3, 2, 2]; // gap 1
    zones[2].findings = 2;
    zones[3].sl_target = [2, 2, 3, 1, 3, 1, 2];
    zones[3].sl_achieved = [1, 1, 1, 1, 2, 1, 2]; // gap 2
    zones[3].findings = 5;
    zones[5].sl_target = [3; 7];
    zones[5].sl_achieved = [3; 7];
    zones[6].sl_target = [2, 2, 2, 1, 2, 1, 1];
    zones[6].sl_achieved = [0, 0, 1, 0, 1, 0, 1];
    zones[6].findings = 1;

    let mut c1 = conduit(11, "Enterprise to DMZ", &[1, 2]);
    c1.encryption_required = true;
    let mut c2 = conduit(12, "Historian replication", &[3, 2]);
    c2.one_way = true;
    c2.sl_gap = 1;
    let mut c3 = conduit(13, "Supervisory network", &[3, 4, 5]);
    c3.findings = 1;
    let mut c4 = conduit(14, "Line cross-link", &[4, 5]);
    c4.sl_gap = 2;
    let c5 = conduit(15, "Safety gateway", &[4, 6]);
    let mut c6 = conduit(16, "Vendor access", &[7, 3]);
    c6.encryption_required = true;
    c6.one_way = true;
    c6.findings = 3;
    c6.sl_gap = 2;
    Diagram { title: "Plant Nord — zones and conduits".into(), zones, conduits: vec![c6, c3, c1, c5, c2, c4] }
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn the_plant_diagram_matches_its_snapshot() {
    assert_snapshot("plant.svg", &zone_diagram(&plant()));
}

#[test]
fn the_sl_chart_matches_its_snapshot() {
    let svg = sl_chart("Line 1 control", [2, 2, 3, 1, 3, 1, 2], [1, 1, 1, 1, 2, 1, 4]);
    assert_snapshot("sl_chart.svg", &svg);
}

#[test]
fn the_drawings_are_well_formed_and_respect_the_csp() {
    for svg in
        [zone_diagram(&plant()), zone_diagram(&Diagram::default()), sl_chart("Zone", [4, 3, 2, 1, 0, 5, 9], [0; 7])]
    {
        let elements = parse_xml(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        assert_safe(&elements);
        assert_eq!(elements[0].name, "svg");
        let root = &elements[0].attrs;
        for a in ["viewBox", "width", "height", "font-family"] {
            assert!(root.iter().any(|(n, _)| n == a), "root lacks {a}");
        }
        assert!(!svg.contains("<script") && !svg.contains("style="));
        assert_eq!(svg.matches("http").count(), 1, "only the namespace");
    }
}

#[test]
fn the_input_order_does_not_change_the_output() {
    let d = plant();
    let mut shuffled = d.clone();
    shuffled.zones.reverse();
    shuffled.conduits.rotate_left(2);
    assert_eq!(zone_diagram(&d), zone_diagram(&shuffled));
}

#[test]
fn every_zone_and_conduit_is_a_link_with_a_tooltip() {
    let d = plant();
    let svg = zone_diagram(&d);
    let elements = parse_xml(&svg).unwrap();
    let links: Vec<&Element> = elements.iter().filter(|e| e.name == "a").collect();
    for z in &d.zones {
        assert!(links.iter().any(|a| a.attrs.iter().any(|(n, v)| n == "href" && *v == z.href)));
    }
    for c in &d.conduits {
        let n = links.iter().filter(|a| a.attrs.iter().any(|(n, v)| n == "href" && *v == c.href)).count();
        assert_eq!(n, 2, "{}: the lines and the label", c.name);
    }
    // Every link's first child is its tooltip.
    let anchor_count = links.len();
    let titles_in_links =
        elements.iter().filter(|e| e.name == "title" && e.ancestors.last().is_some_and(|p| p == "a")).count();
    assert_eq!(titles_in_links, anchor_count);
}

#[test]
fn the_plant_shows_levels_gaps_findings_and_conduit_cues_as_text() {
    let svg = zone_diagram(&plant());
    for text in [
        ">Level 5<",
        ">Level 3.5<",
        "Industrial DMZ</tspan>",
        ">Unplaced<",
        ">SL gap 2<",
        ">SL gap 1<",
        ">SL met<",
        ">5 findings<",
        ">no findings<",
        ">420 assets<",
        ">1 asset<",
        "Vendor access — conduit Vendor laptop → Site operations (one-way) · encryption required",
        "Supervisory network — conduit Site operations ↔ Line 1 control, Line 2 control",
        "SL gap 2 · 3 findings</text>",
        "stroke-dasharray",
        "<polygon",
    ] {
        assert!(svg.contains(text), "missing {text:?}");
    }
    // Bands top to bottom.
    let at = |s: &str| svg.find(s).unwrap();
    assert!(at(">Level 5<") < at(">Level 3.5<"));
    assert!(at(">Level 3.5<") < at(">Level 3<"));
    assert!(at(">Level 1<") < at(">Unplaced<"));
}

#[test]
fn hostile_names_are_escaped_and_long_ones_cut() {
    let long = "Ü".repeat(300);
    let mut d = plant();
    d.title = "<script>alert('t')</script> & \"quotes\"".into();
    d.zones[0].name = "<script>alert(\"x\")</script>".into();
    d.zones[1].name = "A & B \"quoted\" 'single' style=\"x\" onload=alert(1)".into();
    d.zones[2].name = long.clone();
    d.zones[3].name = "خط الإنتاج ١ \u{202E}evil\u{202C} 👨‍👩‍👧🏭🇩🇪 界".into();
    d.zones[4].kind_label = "\u{0}\u{1b}[31mred".into();
    d.zones[5].href = "javascript:alert(1)".into();
    d.zones[6].href = "http://evil.example/".into();
    d.conduits[0].name = "</text><script>x</script>".into();
    d.conduits[1].href = "//evil.example/x".into();
    let svg = zone_diagram(&d);
    let elements = parse_xml(&svg).unwrap_or_else(|e| panic!("{e}"));
    assert_safe(&elements);
    assert!(!svg.contains("<script"));
    assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert!(svg.contains("A &amp; B &quot;quoted&quot; &#39;single&#39;"));
    assert!(!svg.contains('\u{202E}') && !svg.contains('\u{0}') && !svg.contains('\u{1b}'));
    assert!(svg.contains("خط الإنتاج"));
    // The long name is cut in its box but whole in its tooltip.
    assert!(svg.contains(&format!("<title>{long} — ")));
    let cut = svg.split('>').find(|t| t.starts_with("ÜÜÜ") && t.contains('…')).unwrap();
    assert!(cut.chars().count() < 40, "{cut}");
    // Unsafe links are left out, not rewritten.
    // Two zones, and the label of the conduit (its lines are the `<a tabindex…>`).
    assert_eq!(svg.matches("<a>").count(), 3);
    assert_eq!(svg.matches("<a tabindex").count(), 1);
    let sl = sl_chart("<b>&'\"", [1; 7], [0; 7]);
    assert_safe(&parse_xml(&sl).unwrap());
    assert!(sl.contains("&lt;b&gt;&amp;&#39;&quot;"));
}

#[test]
fn zones_of_a_band_never_overlap_even_with_forty_in_one_band() {
    let mut d = plant();
    for i in 0..40 {
        d.zones.push(zone(100 + i, &format!("Cell {i} with a rather long name"), "Control", Some(20), (i as u64) * 53));
    }
    let l = layout(&d);
    for row in &l.rows {
        let boxes = &l.zones[row.zones.clone()];
        for (i, a) in boxes.iter().enumerate() {
            assert!(a.rect.y >= row.y && a.rect.bottom() <= row.y + row.h);
            assert!(a.rect.x >= 0 && a.rect.right() <= l.width);
            for b in &boxes[i + 1..] {
                assert!(!a.rect.overlaps(&b.rect), "{a:?} overlaps {b:?}");
                assert!(a.rect.right() + BOX_GAP <= b.rect.x);
            }
        }
    }
    for pair in l.rows.windows(2) {
        assert!(pair[0].y + pair[0].h < pair[1].y, "bands overlap");
    }
    // Labels never sit on a box.
    for label in &l.labels {
        assert!(l.zones.iter().all(|z| !z.rect.overlaps(&label.rect)), "{label:?}");
    }
    assert!(l.width > 40 * 150);
    parse_xml(&zone_diagram(&d)).unwrap();
}

#[test]
fn conduits_with_unknown_zones_are_counted_not_drawn() {
    let mut d = plant();
    d.conduits.push(conduit(99, "Dangling", &[1, 12345]));
    let l = layout(&d);
    assert_eq!(l.undrawn_conduits, vec![d.conduits.len() - 1]);
    assert!(zone_diagram(&d).contains("(1 conduit not drawn: fewer than two known zones)"));
}

/// Every Purdue band, an odd rank, fans and parallel conduits: well-formed, safe, no label on a
/// box, no line beneath one.
#[test]
fn a_dense_plant_over_every_band_is_well_formed_and_uncluttered() {
    let mut d = plant();
    let ranks = [Some(50), Some(40), Some(35), Some(30), Some(25), Some(20), Some(10), Some(0), None];
    for i in 0..45i64 {
        let mut z = zone(
            100 + i,
            &format!("Cell {i} with a rather long name indeed"),
            "Control",
            ranks[(i % 9) as usize],
            (i as u64) * 53,
        );
        z.sl_achieved[(i % 7) as usize] = (i % 3) as u8;
        z.findings = (i % 4) as u32;
        d.zones.push(z);
    }
    for i in 0..60i64 {
        let zones: &[i64] = if i % 10 == 0 {
            &[100 + i % 45, 101 + i % 45, 102 + i % 45, 3]
        } else {
            &[100 + i % 45, 100 + (i * 7 + 3) % 45]
        };
        let mut c = conduit(200 + i, &format!("Conduit {i}"), zones);
        c.one_way = i % 3 == 0;
        c.encryption_required = i % 2 == 0;
        c.sl_gap = (i % 3) as u8;
        c.findings = (i % 5) as u32;
        d.conduits.push(c);
        d.conduits.push(conduit(300 + i, &format!("Parallel {i}"), &[100 + (i * 7 + 3) % 45, 100 + i % 45]));
    }
    let svg = zone_diagram(&d);
    if let Some(dir) = test_switch("C981_SVG_DUMP") {
        std::fs::write(PathBuf::from(dir).join("dense.svg"), &svg).unwrap();
    }
    assert_safe(&parse_xml(&svg).unwrap_or_else(|e| panic!("{e}")));
    assert!(svg.contains("Business planning &amp; logistics"));
    assert!(svg.contains(">Level 2.5<"));
    let l = layout(&d);
    assert_eq!(l.rows.len(), 9);
    for label in &l.labels {
        assert!(l.zones.iter().all(|z| !z.rect.overlaps(&label.rect)), "{label:?}");
    }
    // Lines between bands run vertically inside a band: no segment enters a box except at the
    // two ends of the edge.
    for e in &l.edges {
        let pts = l.polyline(&e.path);
        for (k, seg) in pts.windows(2).enumerate() {
            for (zi, z) in l.zones.iter().enumerate() {
                let is_end = (k == 0 && zi == e.from) || (k + 2 == pts.len() && zi == e.to);
                let inside = |p: &c981_analysis::svg::Point| {
                    p.x > f64::from(z.rect.x)
                        && p.x < f64::from(z.rect.right())
                        && p.y > f64::from(z.rect.y)
                        && p.y < f64::from(z.rect.bottom())
                };
                let mid = c981_analysis::svg::Point { x: (seg[0].x + seg[1].x) / 2.0, y: (seg[0].y + seg[1].y) / 2.0 };
                assert!(is_end || !inside(&mid), "edge {e:?} segment {k} crosses box {zi}");
            }
        }
    }
}
