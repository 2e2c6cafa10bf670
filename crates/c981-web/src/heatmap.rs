//! Risk heatmaps as SVG, drawn on the server: the current risk model's matrix (likelihood
//! rows, highest on top; impact columns), each cell in the colour of its risk level with the
//! number of risks rated there. Readable in black and white: every cell also carries the
//! initial of its level's name, and the legend spells the names out. Cells link to the
//! register filtered to their level.

use std::fmt::Write as _;

use c981_app::Ctx;
use c981_app::risk_library::HeatmapGrid;
use c981_domain::SiteId;
use c981_domain::risk_model::{Colour, RiskModel};

use crate::AppState;

/// The fill and text colours of a level colour (a print-friendly palette).
fn fill(c: Colour) -> (&'static str, &'static str) {
    match c {
        Colour::Green => ("#cdebd3", "#14532d"),
        Colour::Yellow => ("#fbefb0", "#5b4300"),
        Colour::Orange => ("#fbd0a4", "#6b2c00"),
        Colour::Red => ("#f5a3a3", "#6b0d0d"),
        Colour::Purple => ("#d9c2ee", "#3b1460"),
        Colour::Blue => ("#c3dbf5", "#0c3460"),
        Colour::Grey => ("#dedede", "#262626"),
    }
}

/// Escapes text for SVG content and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Draws `grid` on `model`'s matrix. `link` gives a cell's address from its risk level.
pub fn render(model: &RiskModel, grid: &HeatmapGrid, title: &str, link: &dyn Fn(u8) -> Option<String>) -> String {
    let nl = model.likelihood.len();
    let ni = model.impact_levels.len();
    let (cell_w, cell_h) = (96, 58);
    let (left, top) = (150, 58);
    let width = left + ni * cell_w + 24;
    let legend_y = top + nl * cell_h + 62;
    let height = legend_y + 30 + 18 * model.risk_levels.len().div_ceil(2) + 30;
    let mut out = String::with_capacity(8 * 1024);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="hm-title" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">"#
    );
    let _ = write!(out, r#"<title id="hm-title">{}</title>"#, esc(title));
    let _ = write!(out, r##"<rect width="{width}" height="{height}" fill="#ffffff"/>"##);
    let _ = write!(out, r##"<text x="12" y="24" font-size="15" font-weight="600" fill="#111">{}</text>"##, esc(title));
    // Axis titles.
    let _ = write!(
        out,
        r##"<text x="{}" y="{}" text-anchor="middle" fill="#333" font-weight="600">Impact</text>"##,
        left + ni * cell_w / 2,
        top + nl * cell_h + 40
    );
    let _ = write!(
        out,
        r##"<text x="14" y="{}" fill="#333" font-weight="600" transform="rotate(-90 14 {})" text-anchor="middle">Likelihood</text>"##,
        top + nl * cell_h / 2,
        top + nl * cell_h / 2
    );
    for row in 0..nl {
        // Highest likelihood on top.
        let l = nl - 1 - row;
        let y = top + row * cell_h;
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#333">{} {}</text>"##,
            left - 8,
            y + cell_h / 2 + 4,
            l + 1,
            esc(model.likelihood[l].name.as_str())
        );
        for i in 0..ni {
            let x = left + i * cell_w;
            let level = model.matrix.get(l).and_then(|r| r.get(i)).copied().unwrap_or(0);
            let lv = model.risk_level(level);
            let (bg, fg) = lv.map_or(("#eeeeee", "#222"), |lv| fill(lv.colour));
            let name = lv.map_or(String::new(), |lv| lv.name.to_string());
            let n = grid.cells.get(l).and_then(|r| r.get(i)).copied().unwrap_or(0);
            let label = format!(
                "Likelihood {} {}, impact {} {}: {n} risk{} at level {level} {name}",
                l + 1,
                model.likelihood[l].name,
                i + 1,
                model.impact_levels[i].name,
                if n == 1 { "" } else { "s" }
            );
            let href = link(level);
            if let Some(h) = &href {
                let _ = write!(out, r#"<a href="{}">"#, esc(h));
            }
            let _ = write!(
                out,
                r##"<g><title>{}</title><rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" fill="{bg}" stroke="#ffffff" stroke-width="2"/>"##,
                esc(&label)
            );
            let initial: String = name.chars().next().map(String::from).unwrap_or_default();
            let _ = write!(
                out,
                r#"<text x="{}" y="{}" fill="{fg}" font-size="10">{}</text>"#,
                x + 6,
                y + 14,
                esc(&initial)
            );
            let (weight, size) = if n > 0 { ("700", 20) } else { ("400", 14) };
            let _ = write!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle" fill="{fg}" font-size="{size}" font-weight="{weight}">{}</text></g>"#,
                x + cell_w / 2,
                y + cell_h / 2 + 7,
                if n > 0 { n.to_string() } else { "·".to_owned() }
            );
            if href.is_some() {
                out.push_str("</a>");
            }
        }
    }
    for (i, lvl) in model.impact_levels.iter().enumerate() {
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#333">{} {}</text>"##,
            left + i * cell_w + cell_w / 2,
            top + nl * cell_h + 18,
            i + 1,
            esc(lvl.name.as_str())
        );
    }
    // Legend: level names with their colour and initial; what is not on the matrix.
    let _ = write!(out, r##"<text x="12" y="{legend_y}" fill="#333" font-weight="600">Risk levels</text>"##);
    for (n, lv) in model.risk_levels.iter().enumerate() {
        let (bg, fg) = fill(lv.colour);
        let x = 12 + (n % 2) * 260;
        let y = legend_y + 12 + (n / 2) * 18;
        let _ = write!(out, r##"<rect x="{x}" y="{y}" width="22" height="14" fill="{bg}" stroke="#999"/>"##);
        let initial: String = lv.name.as_str().chars().next().map(String::from).unwrap_or_default();
        let _ =
            write!(out, r#"<text x="{}" y="{}" fill="{fg}" font-size="10">{}</text>"#, x + 7, y + 11, esc(&initial));
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" fill="#222">{} {}</text>"##,
            x + 30,
            y + 11,
            n + 1,
            esc(lv.name.as_str())
        );
    }
    let foot_y = legend_y + 30 + 18 * model.risk_levels.len().div_ceil(2);
    let _ = write!(
        out,
        r##"<text x="12" y="{foot_y}" fill="#444">Not rated: {}. Rated under an older model and not placed here (re-rate): {}.</text>"##,
        grid.unrated, grid.off_model
    );
    out.push_str("</svg>");
    out
}

/// The heatmap of a site or of the caller's sites as SVG; `residual` picks the rating.
/// `for_page` links cells to the register page; otherwise cells carry no links.
pub async fn svg(
    s: &AppState,
    ctx: &Ctx,
    site: Option<SiteId>,
    residual: bool,
    for_page: bool,
) -> Result<String, c981_app::AppError> {
    let h = s.app.risk_heatmap(ctx, site).await?;
    let model = s.app.risk_model(ctx).await?;
    let which = if residual { "residual" } else { "inherent" };
    let grid = if residual { &h.residual } else { &h.inherent };
    let scope = match site {
        Some(id) => match s.app.get::<c981_domain::Site>(ctx, id.get()).await {
            Ok(r) => format!("{} ({})", r.data.name, r.data.code),
            Err(_) => format!("site {id}"),
        },
        None => "all your sites".to_owned(),
    };
    let title = format!("{} risk, {scope}: {} risks (model version {})", capital(which), h.total, h.model_version);
    let link = |level: u8| -> Option<String> {
        for_page.then(|| {
            let mut href = format!("/risks?{which}_level={level}");
            if let Some(id) = site {
                href.push_str(&format!("&site_id={id}"));
            }
            href
        })
    };
    Ok(render(&model.model, grid, &title, &link))
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(model: &RiskModel) -> HeatmapGrid {
        let mut cells = vec![vec![0; model.impact_levels.len()]; model.likelihood.len()];
        cells[4][4] = 7;
        cells[0][1] = 2;
        HeatmapGrid { cells, off_model: 1, unrated: 3 }
    }

    #[test]
    fn the_heatmap_places_counts_in_their_cells_and_names_every_level() {
        let m = RiskModel::default();
        let svg = render(&m, &grid(&m), "Inherent <risk> & more", &|l| Some(format!("/risks?inherent_level={l}")));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Inherent &lt;risk&gt; &amp; more"), "the title is escaped");
        assert!(svg.contains(">7</text>") && svg.contains(">2</text>"));
        for lv in &m.risk_levels {
            assert!(svg.contains(lv.name.as_str()), "legend names {}", lv.name);
        }
        assert!(svg.contains("Not rated: 3") && svg.contains("(re-rate): 1"));
        assert!(svg.contains(r#"<a href="/risks?inherent_level="#));
        assert_eq!(svg.matches("<rect x=").count(), 25 + m.risk_levels.len());
    }

    #[test]
    fn the_heatmap_is_well_formed_markup() {
        let m = RiskModel::default();
        let svg = render(&m, &grid(&m), "t", &|_| None);
        // Every element opened is closed: a crude but exact check for this writer's output.
        let opens = svg.matches("<g>").count() + svg.matches("<text").count();
        let closes = svg.matches("</g>").count() + svg.matches("</text>").count();
        assert_eq!(opens, closes);
        assert!(!svg.contains("<a "), "no links when none are asked for");
    }
}
