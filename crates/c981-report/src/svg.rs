//! SVG charts for reports and dashboards: a risk heatmap and stacked bars.
//!
//! Both charts are made to survive a black-and-white printer: every colour class
//! also has a hatch pattern and a letter ([`Colour::letter`]), counts are printed
//! as numbers, and a legend explains the letters. All text is XML-escaped, the
//! root carries `role="img"` with a `<title>` and `<desc>`, and every cell or
//! segment has its own `<title>` (shown as a tooltip and read by screen readers).
//! Links are only emitted for `http`, `https`, `mailto`, relative and `#fragment`
//! targets; anything else (`javascript:`, `data:` …) is dropped.
//!
//! Output is deterministic (fixed layout arithmetic, one decimal), so it can be
//! snapshot-tested. Text widths are estimated with the Helvetica metrics of the PDF
//! module; the SVG asks for `Helvetica, Arial, sans-serif`.

use std::fmt::{self, Write as _};

use crate::colour::Colour;
use crate::pdf::{Font, text_width};

/// Input for [`heatmap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatmapSpec {
    /// Chart title.
    pub title: String,
    /// Label of the horizontal axis, e.g. "Impact".
    pub x_axis_label: String,
    /// Label of the vertical axis, e.g. "Likelihood".
    pub y_axis_label: String,
    /// Column labels, left to right (e.g. impact levels).
    pub x_labels: Vec<String>,
    /// Row labels, bottom to top (e.g. likelihood levels).
    pub y_labels: Vec<String>,
    /// `cells[y][x]`: the count in row `y` (0 = bottom) and column `x`.
    pub cells: Vec<Vec<u32>>,
    /// Colour class of each cell, same shape as `cells`.
    pub cell_colour: Vec<Vec<Colour>>,
    /// Optional link of each cell (e.g. to the filtered risk list); empty or the
    /// same shape as `cells`.
    pub links: Vec<Vec<Option<String>>>,
}

/// One bar of [`stacked_bars`]: its label and its `(segment label, count, colour)`s.
pub type BarCategory = (String, Vec<(String, u32, Colour)>);

/// The heatmap's inputs do not fit together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SvgError(pub String);

impl fmt::Display for SvgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SVG: {}", self.0)
    }
}

impl std::error::Error for SvgError {}

const FONT: &str = "Helvetica, Arial, sans-serif";
const CELL_W: f32 = 96.0;
const CELL_H: f32 = 64.0;

/// Escapes text for XML content and attribute values, dropping characters XML 1.0
/// does not allow.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

/// The link target if it is safe to put in an `href`, else `None`.
pub fn safe_href(url: &str) -> Option<&str> {
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    // Browsers ignore tabs and newlines inside a scheme ("java\tscript:").
    let squeezed: String = url.chars().filter(|c| !c.is_ascii_whitespace() && !c.is_control()).collect();
    let scheme_end = squeezed.find(':');
    let first_delim = squeezed.find(['/', '?', '#']);
    match scheme_end {
        Some(i) if first_delim.is_none_or(|d| i < d) => {
            let scheme = squeezed[..i].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto").then_some(url)
        }
        _ => Some(url),
    }
}

fn num(v: f32) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 { format!("{}", r as i64) } else { format!("{r:.1}") }
}

/// Small deterministic hash for element ids (so two charts on a page do not clash).
fn id_prefix(kind: &str, seed: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in kind.bytes().chain(seed.bytes()) {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("c981-{kind}-{h:08x}")
}

fn pattern_defs(out: &mut String, prefix: &str, colours: &[Colour]) {
    let _ = write!(out, "<defs>");
    for c in colours {
        let id = format!("{prefix}-{}", c.name());
        let body = match c {
            Colour::Green => String::new(),
            Colour::Yellow => "<circle cx=\"3\" cy=\"3\" r=\"1.2\" fill=\"#000\"/>".to_owned(),
            Colour::Orange => "<path d=\"M0 8L8 0\" stroke=\"#000\" stroke-width=\"1\"/>".to_owned(),
            Colour::Red => "<path d=\"M0 8L8 0M0 0L8 8\" stroke=\"#000\" stroke-width=\"1\"/>".to_owned(),
            Colour::Purple => {
                "<path d=\"M0 4H8M4 0V8M0 8L8 0M0 0L8 8\" stroke=\"#000\" stroke-width=\"1\"/>".to_owned()
            }
            Colour::Grey => "<path d=\"M0 4H8\" stroke=\"#000\" stroke-width=\"1\"/>".to_owned(),
        };
        let _ = write!(
            out,
            "<pattern id=\"{id}\" width=\"{w}\" height=\"{w}\" patternUnits=\"userSpaceOnUse\"><g opacity=\"0.35\">{body}</g></pattern>",
            w = if *c == Colour::Yellow { 6 } else { 8 }
        );
    }
    let _ = write!(out, "</defs>");
}

/// A swatch: the colour, its hatch, and an outline.
fn swatch(out: &mut String, prefix: &str, c: Colour, x: f32, y: f32, w: f32, h: f32) {
    let _ = write!(
        out,
        "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{fill}\"/>\
         <rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"url(#{prefix}-{name})\" stroke=\"#333\" stroke-width=\"1\"/>",
        x = num(x),
        y = num(y),
        w = num(w),
        h = num(h),
        fill = c.chart_hex(),
        name = c.name()
    );
}

fn text(out: &mut String, x: f32, y: f32, size: f32, anchor: &str, bold: bool, content: &str) {
    let weight = if bold { " font-weight=\"bold\"" } else { "" };
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{anchor}\"{weight}>{}</text>",
        num(x),
        num(y),
        num(size),
        escape(content)
    );
}

/// Splits a label into at most `max_lines` lines that fit `width` (estimated).
fn wrap_label(label: &str, size: f32, width: f32, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in label.split_whitespace() {
        match lines.last_mut() {
            Some(line) if text_width(&format!("{line} {word}"), Font::Regular, size) <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    if lines.len() > max_lines {
        let rest = lines.split_off(max_lines - 1).join(" ");
        lines.push(rest);
    }
    lines
}

fn legend(out: &mut String, prefix: &str, items: &[(String, Colour)], x0: f32, y0: f32, width: f32) -> f32 {
    let (mut x, mut y) = (x0, y0);
    for (label, c) in items {
        let shown = format!("{} {}", c.letter(), label);
        let w = 18.0 + 6.0 + text_width(&shown, Font::Regular, 12.0) + 18.0;
        if x > x0 && x + w > x0 + width {
            x = x0;
            y += 24.0;
        }
        swatch(out, prefix, *c, x, y, 18.0, 18.0);
        text(out, x + 24.0, y + 13.5, 12.0, "start", false, &shown);
        x += w;
    }
    y + 18.0
}

fn colours_in_order(used: impl IntoIterator<Item = Colour>) -> Vec<Colour> {
    let used: Vec<Colour> = used.into_iter().collect();
    Colour::ALL.into_iter().filter(|c| used.contains(c)).collect()
}

/// Renders a likelihood × impact heatmap (see [`HeatmapSpec`]).
pub fn heatmap(spec: &HeatmapSpec) -> Result<String, SvgError> {
    let (nx, ny) = (spec.x_labels.len(), spec.y_labels.len());
    if nx == 0 || ny == 0 {
        return Err(SvgError("a heatmap needs at least one x label and one y label".into()));
    }
    let shape_ok = |lens: Vec<usize>| lens.len() == ny && lens.iter().all(|&l| l == nx);
    if !shape_ok(spec.cells.iter().map(Vec::len).collect()) {
        return Err(SvgError(format!("cells must be {ny} rows of {nx} counts")));
    }
    if !shape_ok(spec.cell_colour.iter().map(Vec::len).collect()) {
        return Err(SvgError(format!("cell_colour must be {ny} rows of {nx} colours")));
    }
    if !spec.links.is_empty() && !shape_ok(spec.links.iter().map(Vec::len).collect()) {
        return Err(SvgError(format!("links must be empty or {ny} rows of {nx} entries")));
    }
    let prefix = id_prefix("heatmap", &spec.title);
    let label_w = spec.y_labels.iter().map(|l| text_width(l, Font::Regular, 12.0)).fold(0.0_f32, f32::max);
    let label_w = (label_w * 1.15).clamp(30.0, 200.0);
    let grid_x = 16.0 + 18.0 + 8.0 + label_w + 8.0;
    let grid_y = 52.0;
    let grid_w = nx as f32 * CELL_W;
    let grid_h = ny as f32 * CELL_H;
    let x_label_lines: Vec<Vec<String>> = spec.x_labels.iter().map(|l| wrap_label(l, 12.0, CELL_W - 8.0, 2)).collect();
    let tick_lines = x_label_lines.iter().map(Vec::len).max().unwrap_or(1) as f32;
    let axis_y = grid_y + grid_h + 10.0 + tick_lines * 14.0 + 16.0;
    let width = (grid_x + grid_w + 16.0).max(320.0);
    let colours = colours_in_order(spec.cell_colour.iter().flatten().copied());

    let mut body = String::new();
    pattern_defs(&mut body, &prefix, &colours);
    text(&mut body, 16.0, 28.0, 16.0, "start", true, &spec.title);
    let total: u64 = spec.cells.iter().flatten().map(|&c| u64::from(c)).sum();
    for y in 0..ny {
        let top = grid_y + (ny - 1 - y) as f32 * CELL_H;
        text(&mut body, grid_x - 8.0, top + CELL_H / 2.0 + 4.0, 12.0, "end", false, &spec.y_labels[y]);
        for x in 0..nx {
            let left = grid_x + x as f32 * CELL_W;
            let count = spec.cells[y][x];
            let colour = spec.cell_colour[y][x];
            let link = spec.links.get(y).and_then(|r| r[x].as_deref()).and_then(safe_href);
            let tip = format!(
                "{}: {}; {}: {}; {} {}; class {} ({})",
                spec.y_axis_label,
                spec.y_labels[y],
                spec.x_axis_label,
                spec.x_labels[x],
                count,
                if count == 1 { "item" } else { "items" },
                colour.name(),
                colour.letter()
            );
            if let Some(href) = link {
                let h = escape(href);
                let _ = write!(body, "<a href=\"{h}\" xlink:href=\"{h}\">");
            }
            let _ = write!(body, "<g><title>{}</title>", escape(&tip));
            swatch(&mut body, &prefix, colour, left, top, CELL_W, CELL_H);
            let (cx, cy) = (left + CELL_W / 2.0, top + CELL_H / 2.0);
            let digits = count.to_string();
            let box_w = text_width(&digits, Font::Bold, 18.0) + 14.0;
            let _ = write!(
                body,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"24\" rx=\"4\" fill=\"#fff\" stroke=\"#333\" stroke-width=\"0.5\"/>",
                num(cx - box_w / 2.0),
                num(cy - 12.0),
                num(box_w)
            );
            text(&mut body, cx, cy + 6.5, 18.0, "middle", true, &digits);
            let _ = write!(
                body,
                "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"14\" fill=\"#fff\"/>",
                num(left + 3.0),
                num(top + 3.0)
            );
            text(&mut body, left + 10.0, top + 14.0, 10.0, "middle", true, &colour.letter().to_string());
            body.push_str("</g>");
            if link.is_some() {
                body.push_str("</a>");
            }
        }
    }
    for (x, lines) in x_label_lines.iter().enumerate() {
        let cx = grid_x + x as f32 * CELL_W + CELL_W / 2.0;
        for (i, line) in lines.iter().enumerate() {
            text(&mut body, cx, grid_y + grid_h + 22.0 + i as f32 * 14.0, 12.0, "middle", false, line);
        }
    }
    text(&mut body, grid_x + grid_w / 2.0, axis_y, 13.0, "middle", true, &format!("{} \u{2192}", spec.x_axis_label));
    let ymid = grid_y + grid_h / 2.0;
    let _ = write!(
        body,
        "<text x=\"{x}\" y=\"{y}\" font-size=\"13\" text-anchor=\"middle\" font-weight=\"bold\" transform=\"rotate(-90 {x} {y})\">{}</text>",
        escape(&format!("{} \u{2192}", spec.y_axis_label)),
        x = num(30.0),
        y = num(ymid)
    );
    let items: Vec<(String, Colour)> = colours.iter().map(|c| (c.name().to_owned(), *c)).collect();
    let bottom = legend(&mut body, &prefix, &items, 16.0, axis_y + 16.0, width - 32.0);
    let height = bottom + 16.0;

    let desc = format!(
        "{} by {} ({} columns) and {} ({} rows); {} items in total. Each cell shows its count and a colour letter; the legend explains the letters.",
        spec.title, spec.x_axis_label, nx, spec.y_axis_label, ny, total
    );
    Ok(wrap_svg(&prefix, width, height, &spec.title, &desc, &body))
}

fn wrap_svg(prefix: &str, width: f32, height: f32, title: &str, desc: &str, body: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\" \
         width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"{prefix}-title {prefix}-desc\" \
         font-family=\"{FONT}\" fill=\"#000\">\n<title id=\"{prefix}-title\">{}</title>\n<desc id=\"{prefix}-desc\">{}</desc>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n{body}\n</svg>\n",
        escape(title),
        escape(desc),
        w = num(width),
        h = num(height)
    )
}

/// Renders horizontal stacked bars, one per category, e.g. SoA coverage per site.
///
/// Each category is `(label, segments)` and each segment `(label, count, colour)`.
/// Bars share one scale (the largest total); each bar ends with its total, segments
/// wide enough show their count, and the legend lists each segment label once.
pub fn stacked_bars(title: &str, categories: &[BarCategory]) -> String {
    let prefix = id_prefix("bars", title);
    let label_w = categories.iter().map(|(l, _)| text_width(l, Font::Regular, 12.0)).fold(0.0_f32, f32::max);
    let label_w = (label_w * 1.15).clamp(30.0, 220.0);
    let bar_x = 16.0 + label_w + 12.0;
    let bar_area = 480.0;
    let (bar_h, gap) = (24.0, 12.0);
    let top = 52.0;
    let width = bar_x + bar_area + 56.0;
    let max_total =
        categories.iter().map(|(_, s)| s.iter().map(|(_, n, _)| u64::from(*n)).sum::<u64>()).max().unwrap_or(0);

    let mut items: Vec<(String, Colour)> = Vec::new();
    for (_, segments) in categories {
        for (label, _, c) in segments {
            if !items.iter().any(|(l, ic)| l == label && ic == c) {
                items.push((label.clone(), *c));
            }
        }
    }
    let colours = colours_in_order(items.iter().map(|(_, c)| *c));
    let mut body = String::new();
    pattern_defs(&mut body, &prefix, &colours);
    text(&mut body, 16.0, 28.0, 16.0, "start", true, title);
    if categories.is_empty() {
        text(&mut body, 16.0, top + 16.0, 12.0, "start", false, "No data");
    }
    for (i, (label, segments)) in categories.iter().enumerate() {
        let y = top + i as f32 * (bar_h + gap);
        text(&mut body, bar_x - 12.0, y + bar_h / 2.0 + 4.0, 12.0, "end", false, label);
        let total: u64 = segments.iter().map(|(_, n, _)| u64::from(*n)).sum();
        let mut x = bar_x;
        for (seg_label, count, colour) in segments {
            let w = if max_total == 0 { 0.0 } else { *count as f32 / max_total as f32 * bar_area };
            let share = if total == 0 { 0.0 } else { f64::from(*count) * 100.0 / total as f64 };
            let tip = format!("{label} \u{2013} {seg_label}: {count} of {total} ({share:.0}%)");
            let _ = write!(body, "<g><title>{}</title>", escape(&tip));
            if w > 0.0 {
                swatch(&mut body, &prefix, *colour, x, y, w, bar_h);
                let digits = count.to_string();
                let needed = text_width(&digits, Font::Bold, 11.0) + 10.0;
                if w >= needed {
                    let box_w = needed - 2.0;
                    let _ = write!(
                        body,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" rx=\"3\" fill=\"#fff\"/>",
                        num(x + w / 2.0 - box_w / 2.0),
                        num(y + bar_h / 2.0 - 7.0),
                        num(box_w)
                    );
                    text(&mut body, x + w / 2.0, y + bar_h / 2.0 + 4.0, 11.0, "middle", true, &digits);
                }
            }
            body.push_str("</g>");
            x += w;
        }
        text(&mut body, x + 6.0, y + bar_h / 2.0 + 4.0, 12.0, "start", true, &total.to_string());
    }
    let rows = categories.len().max(1) as f32;
    let legend_y = top + rows * (bar_h + gap) + 8.0;
    let legend_items: Vec<(String, Colour)> = items.iter().map(|(l, c)| (l.clone(), *c)).collect();
    let bottom = legend(&mut body, &prefix, &legend_items, 16.0, legend_y, width - 32.0);
    let desc = format!(
        "Stacked bars for {} categories; each bar is split into counted segments and ends with its total.",
        categories.len()
    );
    wrap_svg(&prefix, width, bottom + 16.0, title, &desc, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c\td"), "abc d");
    }

    #[test]
    fn only_safe_link_schemes_survive() {
        assert_eq!(safe_href("https://c981.test/risks?l=4&i=5"), Some("https://c981.test/risks?l=4&i=5"));
        assert_eq!(safe_href("/risks?cell=4-5"), Some("/risks?cell=4-5"));
        assert_eq!(safe_href("#r-1"), Some("#r-1"));
        assert_eq!(safe_href("mailto:isms@acme.test"), Some("mailto:isms@acme.test"));
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "",
        ] {
            assert_eq!(safe_href(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn numbers_are_printed_with_at_most_one_decimal() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.349), "12.3");
        assert_eq!(num(-0.04), "0");
    }

    #[test]
    fn labels_wrap_to_at_most_the_requested_lines() {
        let lines = wrap_label("Very high impact on product quality", 12.0, 88.0, 2);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines.join(" "), "Very high impact on product quality");
    }
}
