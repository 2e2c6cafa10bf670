//! Server-side SVG drawings: the zone-and-conduit diagram of a site ([`zone_diagram`]) and the
//! SL-T against SL-A chart of one zone or conduit ([`sl_chart`]).
//!
//! The inputs are plain structs of this module ([`Diagram`], [`DiagramZone`],
//! [`DiagramConduit`]), filled by the application: nothing here knows the store or the rest of
//! the analysis. Output is a complete `<svg>` document as a `String`, written by hand into one
//! buffer with a small escaping writer.
//!
//! # What the output promises
//! - **Deterministic**: zones are ordered by Purdue rank (Level 5 at the top, unplaced last),
//!   then name, then id; conduits by name, then id. The input order never matters. Geometry
//!   uses only `+ - * / sqrt` and is rounded to one decimal, so the bytes are the same on every
//!   platform (snapshot tests rely on it).
//! - **Safe to inline in a page under a strict CSP**: no scripts, no `style` attributes or
//!   elements, no external references (the only URL is the SVG namespace; patterns are local
//!   `url(#…)` fragments with `c981zd-` / `c981sl-` ids). Text and attribute values are
//!   escaped (`& < > " '`), characters XML forbids become U+FFFD, and bidirectional embedding
//!   or override controls are dropped so a name cannot reorder the text around it. Links only
//!   take site-relative targets (`/…`, `?…`, `#…`); any other `href` (a `javascript:` or
//!   `http:` URL, `//host`) is left out, and the element is drawn as an unlinked `<a>`.
//! - **Readable in print**: colour never carries meaning alone. The SL gap and findings are
//!   written in every box and conduit label; the gap also shows as a hatched band (single
//!   hatch for gap 1, cross-hatch for gap ≥ 2) and a thicker outline; open findings make the
//!   outline dashed. Text is near-black on light fills; the SL chart tells SL-T (hatched, dashed
//!   outline) from SL-A (solid) without colour.
//!
//! # Layout of the zone diagram ([`layout`])
//! One horizontal band per Purdue rank present in the input, by descending rank: Level 5, 4,
//! 3.5 (the DMZ has its own band), 3, 2, 1, 0 (any other rank, say 25, takes its place in that
//! order as "Level 2.5"), then the zones without a level in an "Unplaced" band. Empty levels are
//! not drawn. Each band is labelled on the left. Zones are rounded boxes placed left to right
//! with a fixed gap ([`BOX_GAP`]), so boxes in a band never overlap; the canvas grows as wide as
//! the widest band needs (bands are centred). Box size grows with the asset count on a
//! (piecewise-linear) log scale, from 150 × 112 for none up to 240 × 150 from about a thousand
//! assets. Long names are cut with an ellipsis at a width estimate; the full name is in the
//! tooltip (`<title>`).
//!
//! A conduit of n > 2 zones is drawn as a fan: an edge from its first zone to each other zone
//! (the first zone is the sender of a one-way conduit, so each edge gets its arrowhead at the
//! receiver). Edge ends on the same side of a box are spread along it, ordered by where the
//! other end is, so parallel conduits and fans do not overlap at the box. An edge between bands
//! leaves and enters its boxes vertically, runs straight through the bands in between in a lane
//! of the gap between two boxes, and goes diagonally only across the empty gaps between bands:
//! no line runs beneath a box. An edge within a band arcs through the gap above the band. Each
//! conduit has one label (name; gap and findings; a padlock when encryption is required) on its
//! first edge, in a gap between bands, at the first of a few candidate spots that overlaps no
//! box and no earlier label (else at the one that overlaps least). Conduits with fewer than two
//! known zones are not drawn; the description says how many.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

/// Writes into a `String`, which cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

/// The seven foundational requirements of IEC 62443-3-3: number and abbreviation.
pub const FR_LABELS: [(&str, &str); 7] =
    [("FR1", "IAC"), ("FR2", "UC"), ("FR3", "SI"), ("FR4", "DC"), ("FR5", "RDF"), ("FR6", "TRE"), ("FR7", "RA")];

// ---------------------------------------------------------------------------------------------
// Input

/// A zone to draw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiagramZone {
    pub id: i64,
    pub name: String,
    /// The zone kind as shown to the user ("Control", "Safety", "DMZ", …).
    pub kind_label: String,
    /// Purdue level × 10: 0, 10, 20, 30, 35 (Level 3.5, the industrial DMZ), 40, 50. Other
    /// values get a band of their own ("Level 2.5"); `None` puts the zone in the unplaced band.
    pub purdue_rank: Option<u8>,
    pub asset_count: u64,
    pub sl_target: [u8; 7],
    pub sl_achieved: [u8; 7],
    /// Open conformance findings.
    pub findings: u32,
    /// The zone's page; site-relative (`/zones/7`), anything else is not linked.
    pub href: String,
}

/// A conduit to draw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiagramConduit {
    pub id: i64,
    pub name: String,
    /// At least two zones; with a one-way conduit the first is the sender. Ids that name no
    /// zone of the diagram are skipped.
    pub zone_ids: Vec<i64>,
    pub one_way: bool,
    pub encryption_required: bool,
    /// The largest SL-T minus SL-A over the seven FRs (0 when the target is met).
    pub sl_gap: u8,
    /// Open conformance findings.
    pub findings: u32,
    /// The conduit's page; site-relative, anything else is not linked.
    pub href: String,
}

/// Everything the zone diagram shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagram {
    pub title: String,
    pub zones: Vec<DiagramZone>,
    pub conduits: Vec<DiagramConduit>,
}

/// The SL gap of a zone or conduit: the largest amount by which SL-T exceeds SL-A over the
/// seven FRs, 0 when the target is met in every FR.
pub fn sl_gap(target: [u8; 7], achieved: [u8; 7]) -> u8 {
    target.iter().zip(achieved).map(|(t, a)| t.saturating_sub(a)).max().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Layout

/// An axis-aligned rectangle in SVG user units (pixels at 100 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl Rect {
    pub fn right(&self) -> i32 {
        self.x + self.w
    }

    pub fn bottom(&self) -> i32 {
        self.y + self.h
    }

    /// Whether the two rectangles share interior area (touching edges do not count).
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.right() && other.x < self.right() && self.y < other.bottom() && other.y < self.bottom()
    }

    fn grown(&self, by: i32) -> Rect {
        Rect { x: self.x - by, y: self.y - by, w: self.w + 2 * by, h: self.h + 2 * by }
    }
}

/// A point in SVG user units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    fn new(x: f64, y: f64) -> Self {
        Point { x: round1(x), y: round1(y) }
    }
}

/// One Purdue band of the diagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowBand {
    /// The Purdue rank of the band's zones; `None` for the unplaced band.
    pub rank: Option<u8>,
    /// The band's zone area (boxes are vertically centred in it).
    pub y: i32,
    pub h: i32,
    /// The band's boxes, as a range of [`Layout::zones`], left to right.
    pub zones: std::ops::Range<usize>,
}

/// Where a zone is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneBox {
    /// Index into [`Diagram::zones`].
    pub zone: usize,
    /// Index into [`Layout::rows`].
    pub row: usize,
    pub rect: Rect,
}

/// The course of one conduit edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EdgePath {
    /// Between bands: a polyline in [`Layout::points`] (`count` points from `first`). It leaves
    /// the box vertically through its top or bottom edge, runs straight down (or up) inside
    /// each band, through the free space between boxes, and diagonally only across the gaps
    /// between bands, so it never passes beneath a box.
    Polyline { first: usize, count: usize },
    /// Within a band: a cubic curve from the top of one box to the top of the other, arcing
    /// through the gap above the band.
    Curve { from: Point, c1: Point, c2: Point, to: Point },
}

/// One edge of a conduit: from its first (drawn) zone to one of the others.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdgeLayout {
    /// Index into [`Diagram::conduits`].
    pub conduit: usize,
    /// Indices into [`Layout::zones`].
    pub from: usize,
    pub to: usize,
    pub path: EdgePath,
    /// The arrowhead at the receiving end of a one-way conduit (tip, then the two barbs).
    pub arrow: Option<[Point; 3]>,
}

/// The label of one conduit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelLayout {
    /// Index into [`Diagram::conduits`].
    pub conduit: usize,
    pub rect: Rect,
}

/// The geometry of a zone diagram, computed before anything is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub width: i32,
    pub height: i32,
    pub rows: Vec<RowBand>,
    /// Zone boxes in drawing order (band by band, left to right).
    pub zones: Vec<ZoneBox>,
    /// Conduit edges, conduits in drawing order (name, then id); the edges of one conduit are
    /// adjacent.
    pub edges: Vec<EdgeLayout>,
    /// The points of every [`EdgePath::Polyline`], one shared buffer.
    pub points: Vec<Point>,
    /// One label per drawn conduit, in drawing order.
    pub labels: Vec<LabelLayout>,
    /// Conduits with fewer than two known zones, not drawn (indices into
    /// [`Diagram::conduits`]).
    pub undrawn_conduits: Vec<usize>,
    /// The legend box at the bottom.
    pub legend: Rect,
}

impl Layout {
    /// The points of a polyline path (empty for a curve).
    pub fn polyline(&self, path: &EdgePath) -> &[Point] {
        match *path {
            EdgePath::Polyline { first, count } => &self.points[first..first + count],
            EdgePath::Curve { .. } => &[],
        }
    }
}

const MARGIN: i32 = 20;
const TITLE_H: i32 = 44;
/// The column on the left with the band labels.
const LABEL_COL_W: i32 = 190;
/// The vertical gap above every band but the first (crossing lines, curves and conduit labels
/// live here).
const ROW_GAP: i32 = 92;
/// The gap above the first band when no curve needs it.
const TOP_GAP: i32 = 24;
const ROW_PAD: i32 = 12;
/// The horizontal gap between the boxes of a band.
pub const BOX_GAP: i32 = 56;
const BOX_MIN_W: i32 = 150;
const BOX_MAX_W: i32 = 240;
const BOX_MIN_H: i32 = 112;
const BOX_MAX_H: i32 = 150;
const BOX_RADIUS: i32 = 8;
/// The hatched band at the top of a box with an SL gap.
const BOX_BAND_H: i32 = 10;
const MIN_WIDTH: i32 = 960;
const CONDUIT_LABEL_H: i32 = 30;
const CONDUIT_NAME_MAX_EM: f64 = 22.0;
const LOCK_W: i32 = 13;
const LEGEND_LINE_H: i32 = 30;
const LEGEND_SWATCH_W: i32 = 40;

const TEXT: &str = "#111111";
const TEXT_SOFT: &str = "#333333";

/// The size of a zone box for an asset count: linear in a piecewise-linear log2 of
/// `assets + 1`, capped from 1023 assets on. Integer arithmetic, so exact everywhere.
pub fn box_size(assets: u64) -> (i32, i32) {
    let n = u128::from(assets) + 1;
    let k = n.ilog2();
    let frac16 = ((n - (1u128 << k)) << 4) >> k;
    let s16 = (u128::from(k) * 16 + frac16).min(160) as i32;
    (BOX_MIN_W + (BOX_MAX_W - BOX_MIN_W) * s16 / 160, BOX_MIN_H + (BOX_MAX_H - BOX_MIN_H) * s16 / 160)
}

/// Bands top to bottom: higher ranks first, unplaced last.
fn band_key(rank: Option<u8>) -> (u8, std::cmp::Reverse<u8>) {
    match rank {
        Some(r) => (0, std::cmp::Reverse(r)),
        None => (1, std::cmp::Reverse(0)),
    }
}

/// An edge before it has geometry.
struct Pending {
    conduit: usize,
    from: usize,
    to: usize,
    arrow: bool,
    first_of_conduit: bool,
    /// Which of the conduits between the same two boxes this is.
    pair_index: u32,
}

/// Computes where everything goes. [`zone_diagram`] draws exactly this.
pub fn layout(d: &Diagram) -> Layout {
    // Zones: sorted, grouped into bands, measured.
    let mut order: Vec<usize> = (0..d.zones.len()).collect();
    order.sort_by(|&a, &b| {
        let (za, zb) = (&d.zones[a], &d.zones[b]);
        band_key(za.purdue_rank)
            .cmp(&band_key(zb.purdue_rank))
            .then_with(|| za.name.cmp(&zb.name))
            .then_with(|| za.id.cmp(&zb.id))
            .then_with(|| a.cmp(&b))
    });

    let mut rows: Vec<RowBand> = Vec::new();
    let mut zones: Vec<ZoneBox> = Vec::with_capacity(order.len());
    let mut row_widths: Vec<i32> = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let rank = d.zones[order[i]].purdue_rank;
        let start = i;
        let (mut width, mut height) = (0, 0);
        while i < order.len() && d.zones[order[i]].purdue_rank == rank {
            let (w, h) = box_size(d.zones[order[i]].asset_count);
            if i > start {
                width += BOX_GAP;
            }
            width += w;
            height = height.max(h);
            zones.push(ZoneBox { zone: order[i], row: rows.len(), rect: Rect { x: 0, y: 0, w, h } });
            i += 1;
        }
        rows.push(RowBand { rank, y: 0, h: height + 2 * ROW_PAD, zones: start..i });
        row_widths.push(width);
    }

    let (pending, undrawn_conduits) = resolve_conduits(d, &zones);

    let content_x = MARGIN + LABEL_COL_W;
    let content_w = row_widths.iter().copied().max().unwrap_or(0);
    let width = (content_x + content_w + MARGIN).max(MIN_WIDTH);
    let content_w = width - content_x - MARGIN;

    let top_band_has_curve = pending.iter().any(|p| zones[p.from].row == 0 && zones[p.to].row == 0);
    let mut y = TITLE_H;
    for (r, (row, row_w)) in rows.iter_mut().zip(&row_widths).enumerate() {
        y += if r > 0 || top_band_has_curve { ROW_GAP } else { TOP_GAP };
        row.y = y;
        let mut x = content_x + (content_w - row_w) / 2;
        for zb in &mut zones[row.zones.clone()] {
            zb.rect.x = x;
            zb.rect.y = y + (row.h - zb.rect.h) / 2;
            x += zb.rect.w + BOX_GAP;
        }
        y += row.h;
    }
    if rows.is_empty() {
        y += ROW_GAP; // room for the "nothing to draw" note
    }
    y += ROW_GAP / 2;

    let (edges, points, labels) = layout_conduits(d, &pending, &rows, &zones, width);

    let legend_lines = legend_positions(width).1;
    let legend = Rect { x: MARGIN, y, w: width - 2 * MARGIN, h: 34 + legend_lines * LEGEND_LINE_H };
    let height = legend.bottom() + MARGIN;

    Layout { width, height, rows, zones, edges, points, labels, undrawn_conduits, legend }
}

/// Which edges to draw: conduits in drawing order, each a fan from its first known zone.
fn resolve_conduits(d: &Diagram, zones: &[ZoneBox]) -> (Vec<Pending>, Vec<usize>) {
    // Zone id -> box index; with duplicate ids the first box in drawing order wins.
    let mut by_id: Vec<(i64, usize)> = zones.iter().enumerate().map(|(b, zb)| (d.zones[zb.zone].id, b)).collect();
    by_id.sort_unstable();
    let find = |id: i64| -> Option<usize> {
        let at = by_id.partition_point(|&(z, _)| z < id);
        by_id.get(at).filter(|&&(z, _)| z == id).map(|&(_, b)| b)
    };

    let mut order: Vec<usize> = (0..d.conduits.len()).collect();
    order.sort_by(|&a, &b| {
        let (ca, cb) = (&d.conduits[a], &d.conduits[b]);
        ca.name.cmp(&cb.name).then_with(|| ca.id.cmp(&cb.id)).then_with(|| a.cmp(&b))
    });

    let mut pending: Vec<Pending> = Vec::with_capacity(d.conduits.len() + d.conduits.len() / 2);
    let mut undrawn = Vec::new();
    let mut members: Vec<usize> = Vec::new();
    let mut pair_count: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    for &ci in &order {
        let c = &d.conduits[ci];
        members.clear();
        for &id in &c.zone_ids {
            if let Some(b) = find(id)
                && !members.contains(&b)
            {
                members.push(b);
            }
        }
        if members.len() < 2 {
            undrawn.push(ci);
            continue;
        }
        // Arrows only when the declared sender is the drawn hub.
        let sender_known = c.zone_ids.first().and_then(|&id| find(id)) == Some(members[0]);
        let hub = members[0];
        members[1..].sort_unstable();
        for (k, &to) in members[1..].iter().enumerate() {
            let n = pair_count.entry((hub.min(to), hub.max(to))).or_insert(0);
            pending.push(Pending {
                conduit: ci,
                from: hub,
                to,
                arrow: c.one_way && sender_known,
                first_of_conduit: k == 0,
                pair_index: *n,
            });
            *n += 1;
        }
    }
    (pending, undrawn)
}

/// Where each edge end meets its box: edge ends on the same side (top or bottom) of a box are
/// spread evenly along it, ordered by the position of the other end so they do not cross.
/// Returns the x of the `from` and the `to` end of every edge.
fn assign_ports(pending: &[Pending], zones: &[ZoneBox]) -> Vec<(f64, f64)> {
    // (box, side: 0 top 1 bottom, x of the other box centre ×2, edge, is the `to` end)
    let mut ends: Vec<(usize, u8, i32, usize, bool)> = Vec::with_capacity(pending.len() * 2);
    for (e, p) in pending.iter().enumerate() {
        let (a, b) = (&zones[p.from], &zones[p.to]);
        let (side_a, side_b) = match a.row.cmp(&b.row) {
            std::cmp::Ordering::Equal => (0, 0),
            std::cmp::Ordering::Less => (1, 0),
            std::cmp::Ordering::Greater => (0, 1),
        };
        ends.push((p.from, side_a, 2 * b.rect.x + b.rect.w, e, false));
        ends.push((p.to, side_b, 2 * a.rect.x + a.rect.w, e, true));
    }
    ends.sort_unstable();
    let mut ports = vec![(0.0, 0.0); pending.len()];
    let mut i = 0;
    while i < ends.len() {
        let (bx, side) = (ends[i].0, ends[i].1);
        let start = i;
        while i < ends.len() && ends[i].0 == bx && ends[i].1 == side {
            i += 1;
        }
        let r = zones[bx].rect;
        let n = (i - start) as f64;
        // Keep clear of the rounded corners.
        let inner = f64::from(r.w - 2 * BOX_RADIUS);
        for (k, &(_, _, _, e, is_to)) in ends[start..i].iter().enumerate() {
            let x = round1(f64::from(r.x + BOX_RADIUS) + inner * (k as f64 + 1.0) / (n + 1.0));
            if is_to {
                ports[e].1 = x;
            } else {
                ports[e].0 = x;
            }
        }
    }
    ports
}

type ConduitGeometry = (Vec<EdgeLayout>, Vec<Point>, Vec<LabelLayout>);

fn layout_conduits(
    d: &Diagram,
    pending: &[Pending],
    rows: &[RowBand],
    zones: &[ZoneBox],
    width: i32,
) -> ConduitGeometry {
    let ports = assign_ports(pending, zones);
    let mut edges = Vec::with_capacity(pending.len());
    let mut points: Vec<Point> = Vec::with_capacity(pending.len() * 6);
    let mut labels: Vec<LabelLayout> = Vec::with_capacity(d.conduits.len());
    let mut scratch = String::new();
    let mut lanes = Lanes::new();
    for (p, &(xa, xb)) in pending.iter().zip(&ports) {
        let (a, b) = (&zones[p.from], &zones[p.to]);
        let (path, arrow) = if a.row == b.row {
            curve_edge(a.rect, xa, b.rect, xb, rows[a.row].y, p.pair_index, p.arrow)
        } else {
            routed_edge(a, xa, b, xb, rows, zones, p.arrow, &mut points, &mut lanes)
        };
        edges.push(EdgeLayout { conduit: p.conduit, from: p.from, to: p.to, path, arrow });
        if p.first_of_conduit {
            let size = conduit_label_size(&d.conduits[p.conduit], &mut scratch);
            let rect = place_label(size, &path, &points, zones, &labels, width);
            labels.push(LabelLayout { conduit: p.conduit, rect });
        }
    }
    (edges, points, labels)
}

const ARROW_LEN: f64 = 11.0;
const ARROW_HALF: f64 = 5.5;

/// An arrowhead with its tip at `tip`, pointing along the unit vector `dir`.
fn arrowhead(tip: Point, dir: (f64, f64)) -> [Point; 3] {
    let base = (tip.x - dir.0 * ARROW_LEN, tip.y - dir.1 * ARROW_LEN);
    let n = (-dir.1 * ARROW_HALF, dir.0 * ARROW_HALF);
    [tip, Point::new(base.0 + n.0, base.1 + n.1), Point::new(base.0 - n.0, base.1 - n.1)]
}

/// Lanes taken in the gaps between boxes: (band, left edge of the gap) -> routes through it.
type Lanes = BTreeMap<(usize, i32), u32>;

/// An x near `guess` at which a line can run vertically through band `r` without touching a
/// box: `guess` itself when it is clear, otherwise a free lane in the nearer gap beside the box
/// in the way (lanes 6 apart from the middle of the gap outwards, reused when all are taken).
fn free_x(r: usize, rows: &[RowBand], zones: &[ZoneBox], guess: f64, lanes: &mut Lanes) -> f64 {
    const CLEAR: f64 = 6.0;
    const LANE: i32 = 6;
    let boxes = &zones[rows[r].zones.clone()];
    // Boxes are sorted by x: the first whose right edge (plus clearance) is past `guess`.
    let at = boxes.partition_point(|z| f64::from(z.rect.right()) + CLEAR < guess);
    match boxes.get(at) {
        Some(z) if f64::from(z.rect.x) - CLEAR <= guess => {
            let left = f64::from(z.rect.x - BOX_GAP);
            let right = f64::from(z.rect.right());
            let gap_left = if guess - left <= right + f64::from(BOX_GAP) - guess { left } else { right };
            let used = lanes.entry((r, gap_left as i32)).or_insert(0);
            let k = (*used % 7) as i32;
            *used += 1;
            let offset = (k + 1) / 2 * LANE * if k % 2 == 1 { 1 } else { -1 };
            gap_left + f64::from(BOX_GAP / 2 + offset)
        }
        _ => guess,
    }
}

#[allow(clippy::too_many_arguments)]
fn routed_edge(
    a: &ZoneBox,
    xa: f64,
    b: &ZoneBox,
    xb: f64,
    rows: &[RowBand],
    zones: &[ZoneBox],
    arrow: bool,
    points: &mut Vec<Point>,
    lanes: &mut Lanes,
) -> (EdgePath, Option<[Point; 3]>) {
    let down = a.row < b.row;
    let sign = if down { 1.0 } else { -1.0 };
    let exit = |r: &RowBand| if down { r.y + r.h } else { r.y };
    let entry = |r: &RowBand| if down { r.y } else { r.y + r.h };
    let first = points.len();
    let ya = f64::from(if down { a.rect.bottom() } else { a.rect.y });
    let yb = f64::from(if down { b.rect.y } else { b.rect.bottom() });
    points.push(Point::new(xa, ya));
    points.push(Point::new(xa, f64::from(exit(&rows[a.row]))));
    // Intermediate bands, in the order the line meets them.
    let (y0, y1) = (f64::from(exit(&rows[a.row])), f64::from(entry(&rows[b.row])));
    let mut r = a.row;
    loop {
        r = if down { r + 1 } else { r - 1 };
        if r == b.row {
            break;
        }
        let row = &rows[r];
        let mid = f64::from(row.y) + f64::from(row.h) / 2.0;
        let guess = xa + (xb - xa) * (mid - y0) / (y1 - y0);
        let x = free_x(r, rows, zones, guess, lanes);
        points.push(Point::new(x, f64::from(entry(row))));
        points.push(Point::new(x, f64::from(exit(row))));
    }
    points.push(Point::new(xb, f64::from(entry(&rows[b.row]))));
    let tip = Point::new(xb, yb);
    let head = if arrow {
        // The line stops inside the arrowhead so a thick stroke does not poke past the tip.
        points.push(Point::new(xb, yb - sign * ARROW_LEN * 0.7));
        Some(arrowhead(tip, (0.0, sign)))
    } else {
        points.push(tip);
        None
    };
    (EdgePath::Polyline { first, count: points.len() - first }, head)
}

fn curve_edge(
    a: Rect,
    xa: f64,
    b: Rect,
    xb: f64,
    band_top: i32,
    index: u32,
    arrow: bool,
) -> (EdgePath, Option<[Point; 3]>) {
    let lift = f64::from(band_top) - 44.0 - 12.0 * f64::from(index.min(3));
    let from = Point::new(xa, f64::from(a.y));
    let tip = Point::new(xb, f64::from(b.y));
    let c1 = Point::new(from.x, lift);
    let c2 = Point::new(tip.x, lift);
    if arrow {
        let to = Point::new(tip.x, tip.y - ARROW_LEN * 0.7);
        (EdgePath::Curve { from, c1, c2, to }, Some(arrowhead(tip, (0.0, 1.0))))
    } else {
        (EdgePath::Curve { from, c1, c2, to: tip }, None)
    }
}

/// Width and height of a conduit label.
fn conduit_label_size(c: &DiagramConduit, scratch: &mut String) -> (i32, i32) {
    let name = fit(&c.name, CONDUIT_NAME_MAX_EM / BOLD);
    let name_w = name.em * 11.0 * BOLD + if c.encryption_required { f64::from(LOCK_W) } else { 0.0 };
    scratch.clear();
    write_conduit_status(scratch, c);
    let status_w = fit(scratch, f64::INFINITY).em * 10.0;
    ((name_w.max(status_w) + 12.0).ceil() as i32, CONDUIT_LABEL_H)
}

/// Puts a label on its edge: in a gap between bands (on the diagonal of a routed edge, at the
/// top of a curve), at the first of a few candidate spots that overlaps no box and no earlier
/// label, or else at the one that overlaps earlier labels least.
fn place_label(
    (w, h): (i32, i32),
    path: &EdgePath,
    points: &[Point],
    zones: &[ZoneBox],
    placed: &[LabelLayout],
    width: i32,
) -> Rect {
    let at = |cx: f64, cy: f64| -> Rect {
        let x = (cx - f64::from(w) / 2.0).round() as i32;
        let x = x.clamp(MARGIN + LABEL_COL_W, (width - MARGIN - w).max(MARGIN + LABEL_COL_W));
        Rect { x, y: (cy - f64::from(h) / 2.0).round() as i32, w, h }
    };
    // Overlap with earlier labels, in square units; a box counts as fully taken.
    let clash = |r: &Rect| -> i64 {
        let g = r.grown(2);
        if zones.iter().any(|z| z.rect.overlaps(&g)) {
            return i64::MAX;
        }
        placed
            .iter()
            .filter(|l| l.rect.overlaps(&g))
            .map(|l| {
                let w = i64::from(g.right().min(l.rect.right()) - g.x.max(l.rect.x));
                let h = i64::from(g.bottom().min(l.rect.bottom()) - g.y.max(l.rect.y));
                w * h
            })
            .sum()
    };
    let mut best: Option<(i64, Rect)> = None;
    let mut consider = |r: Rect| -> Option<Rect> {
        let c = clash(&r);
        if c == 0 {
            return Some(r);
        }
        if best.is_none_or(|(b, _)| c < b) {
            best = Some((c, r));
        }
        None
    };
    match *path {
        EdgePath::Curve { from, c1, c2, to } => {
            let mid_x = (from.x + to.x) / 2.0;
            let apex = (from.y + to.y) / 8.0 + 0.375 * (c1.y + c2.y);
            for dy in [0.0, -18.0, 12.0, -34.0, 24.0] {
                if let Some(r) = consider(at(mid_x, apex + dy)) {
                    return r;
                }
            }
        }
        EdgePath::Polyline { first: p0, count } => {
            // Gap crossings are the segments (1, 2), (3, 4), … of the polyline.
            let pts = &points[p0..p0 + count];
            for k in (1..count.saturating_sub(2)).step_by(2) {
                let (s, e) = (pts[k], pts[k + 1]);
                for frac in [0.5, 0.3, 0.7, 0.18, 0.82] {
                    let p = (s.x + (e.x - s.x) * frac, s.y + (e.y - s.y) * frac);
                    if let Some(r) = consider(at(p.0, p.1)) {
                        return r;
                    }
                }
            }
        }
    }
    best.expect("at least one candidate was considered").1
}

// ---------------------------------------------------------------------------------------------
// Text: escaping, width estimates, truncation

/// Bold text is a little wider.
const BOLD: f64 = 1.07;
const ELLIPSIS: char = '…';
const ELLIPSIS_EM: f64 = 1.0;

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters allowed by XML 1.0 that are also not C0/C1 controls or noncharacters.
fn is_clean_char(c: char) -> bool {
    matches!(c,
        '\u{20}'..='\u{7E}'
        | '\u{A0}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// Appends `s` escaped for both text content and (double- or single-quoted) attribute values.
/// Tabs and line breaks become spaces, bidi embedding and override controls are dropped,
/// other characters XML or HTML forbid become U+FFFD.
fn push_esc(out: &mut String, s: &str) {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let rep = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&#39;",
            '\t' | '\n' | '\r' => " ",
            c if is_bidi_control(c) => "",
            c if !is_clean_char(c) => "\u{FFFD}",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(rep);
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
}

fn is_zero_width(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{200B}'..='\u{200F}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FE20}'..='\u{FE2F}'
        | '\u{1F3FB}'..='\u{1F3FF}'
        | '\u{E0000}'..='\u{E01EF}')
        || is_bidi_control(c)
}

/// A rough advance width in em for a generic sans-serif face; generous rather than tight, so
/// text estimated to fit does fit.
fn char_em(c: char) -> f64 {
    match c {
        ' ' | '.' | ',' | ':' | ';' | '\'' | '!' | '|' | 'i' | 'j' | 'l' | 'I' | 'f' | 't' | '(' | ')' | '[' | ']' => {
            0.34
        }
        'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.88,
        'A'..='Z' => 0.7,
        '\u{21}'..='\u{7E}' => 0.58,
        c if is_zero_width(c) => 0.0,
        c if (c as u32) < 0x1100 => 0.64,
        _ => 1.0,
    }
}

/// How much of a string to show in `max_em`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fit {
    /// Byte length of the prefix shown.
    end: usize,
    truncated: bool,
    /// Estimated width of what is shown, the ellipsis included.
    em: f64,
}

/// The longest prefix of `s` that fits in `max_em` with an ellipsis after it, or all of `s`
/// when it fits. Cuts only before a character with width that does not continue a cluster
/// (not after a zero-width joiner, not inside a flag pair), so emoji sequences stay whole.
fn fit(s: &str, max_em: f64) -> Fit {
    let mut em = 0.0;
    let mut cut = (0, 0.0);
    let mut prev_zwj = false;
    let mut regional_run = 0u32;
    for (i, c) in s.char_indices() {
        let w = char_em(c);
        let regional = ('\u{1F1E6}'..='\u{1F1FF}').contains(&c);
        let boundary = w > 0.0 && !prev_zwj && !(regional && regional_run % 2 == 1);
        if boundary && em + ELLIPSIS_EM <= max_em {
            cut = (i, em);
        }
        em += w;
        if em > max_em {
            let shown = s[..cut.0].trim_end();
            let trimmed_em: f64 = s[shown.len()..cut.0].chars().map(char_em).sum();
            return Fit { end: shown.len(), truncated: true, em: cut.1 - trimmed_em + ELLIPSIS_EM };
        }
        prev_zwj = c == '\u{200D}';
        regional_run = if regional { regional_run + 1 } else { 0 };
    }
    Fit { end: s.len(), truncated: false, em }
}

/// Appends `s`, escaped, cut with an ellipsis to fit `max_em`.
fn push_fitted(out: &mut String, s: &str, max_em: f64) {
    let f = fit(s, max_em);
    push_esc(out, &s[..f.end]);
    if f.truncated {
        out.push(ELLIPSIS);
    }
}

/// A number with at most one decimal, without a trailing `.0` and without `-0`.
struct N(f64);

impl fmt::Display for N {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = (self.0 * 10.0).round() as i64;
        if t < 0 {
            f.write_str("-")?;
            t = -t;
        }
        if t % 10 == 0 { write!(f, "{}", t / 10) } else { write!(f, "{}.{}", t / 10, t % 10) }
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Plural of a count: "1 asset", "3 assets".
fn push_count(out: &mut String, n: u64, one: &str, many: &str) {
    w!(out, "{n} {}", if n == 1 { one } else { many });
}

/// A link target we accept: site-relative only.
fn safe_href(href: &str) -> Option<&str> {
    let ok = match href.as_bytes() {
        [b'/', b'/' | b'\\', ..] => false,
        [b'/' | b'?' | b'#', ..] => true,
        _ => false,
    };
    (ok && href.chars().all(|c| !c.is_control() && !c.is_whitespace())).then_some(href)
}

fn open_link(out: &mut String, href: &str, extra: &str) {
    out.push_str("<a");
    if let Some(h) = safe_href(href) {
        out.push_str(" href=\"");
        push_esc(out, h);
        out.push('"');
    }
    out.push_str(extra);
    out.push('>');
}

// ---------------------------------------------------------------------------------------------
// Colours and line styles by gap

struct GapStyle {
    fill: &'static str,
    stroke: &'static str,
    /// Pattern for the band at the top of the box (the black-and-white cue).
    band: Option<&'static str>,
    zone_stroke_w: f64,
}

fn gap_style(gap: u8) -> GapStyle {
    match gap {
        0 => GapStyle { fill: "#e6f4ea", stroke: "#1e7b34", band: None, zone_stroke_w: 1.5 },
        1 => GapStyle { fill: "#fff4d6", stroke: "#9a5800", band: Some("url(#c981zd-gap1)"), zone_stroke_w: 2.0 },
        _ => GapStyle { fill: "#fde7e7", stroke: "#b3261e", band: Some("url(#c981zd-gap2)"), zone_stroke_w: 2.5 },
    }
}

fn push_gap_text(out: &mut String, gap: u8) {
    if gap == 0 {
        out.push_str("SL met");
    } else {
        w!(out, "SL gap {gap}");
    }
}

fn push_vector(out: &mut String, v: [u8; 7]) {
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        w!(out, "{x}");
    }
}

/// "Level 3.5" / "Unplaced", then the description, either as one line ("Level 3.5 — Industrial
/// DMZ") or as the two parts.
fn level_name(rank: Option<u8>) -> (Option<(u8, u8)>, &'static str) {
    match rank {
        None => (None, "no Purdue level"),
        Some(r) => {
            let desc = match r {
                50 => "Enterprise",
                40 => "Business planning & logistics",
                35 => "Industrial DMZ",
                30 => "Site operations",
                20 => "Area supervisory control",
                10 => "Basic control",
                0 => "Process / field",
                _ => "",
            };
            (Some((r / 10, r % 10)), desc)
        }
    }
}

fn push_level_short(out: &mut String, rank: Option<u8>) {
    match level_name(rank).0 {
        None => out.push_str("Unplaced"),
        Some((l, 0)) => w!(out, "Level {l}"),
        Some((l, f)) => w!(out, "Level {l}.{f}"),
    }
}

fn push_level_full(out: &mut String, rank: Option<u8>) {
    push_level_short(out, rank);
    let desc = level_name(rank).1;
    if !desc.is_empty() {
        out.push_str(" — ");
        push_esc(out, desc);
    }
}

// ---------------------------------------------------------------------------------------------
// Zone diagram

/// The zone-and-conduit diagram of a site as a standalone SVG document. See the module
/// documentation for the layout and the conventions.
pub fn zone_diagram(d: &Diagram) -> String {
    let mut out = String::with_capacity(6_000 + d.zones.len() * 1_500 + d.conduits.len() * 1_200);
    write_zone_diagram(&mut out, d);
    out
}

/// [`zone_diagram`] into a buffer the caller owns (appends).
pub fn write_zone_diagram(out: &mut String, d: &Diagram) {
    let l = layout(d);
    w!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         role=\"img\" font-family=\"sans-serif\" font-size=\"12\">",
        w = l.width,
        h = l.height
    );
    out.push_str("<title>");
    push_esc(out, &d.title);
    out.push_str("</title><desc>Zones and conduits by Purdue level: ");
    push_count(out, d.zones.len() as u64, "zone", "zones");
    out.push_str(" in ");
    push_count(out, l.rows.len() as u64, "band", "bands");
    out.push_str(", ");
    push_count(out, l.labels.len() as u64, "conduit", "conduits");
    if !l.undrawn_conduits.is_empty() {
        out.push_str(" (");
        push_count(out, l.undrawn_conduits.len() as u64, "conduit", "conduits");
        out.push_str(" not drawn: fewer than two known zones)");
    }
    out.push_str(".</desc>");
    out.push_str(concat!(
        "<defs>",
        "<pattern id=\"c981zd-gap1\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">",
        "<rect width=\"6\" height=\"6\" fill=\"#fff4d6\"/>",
        "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#9a5800\" stroke-width=\"2.5\"/>",
        "</pattern>",
        "<pattern id=\"c981zd-gap2\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">",
        "<rect width=\"6\" height=\"6\" fill=\"#fde7e7\"/>",
        "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#b3261e\" stroke-width=\"2\"/>",
        "<line x1=\"0\" y1=\"0\" x2=\"6\" y2=\"0\" stroke=\"#b3261e\" stroke-width=\"2\"/>",
        "</pattern>",
        "</defs>"
    ));
    w!(out, "<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>", l.width, l.height);
    w!(out, "<text x=\"{MARGIN}\" y=\"30\" font-size=\"18\" font-weight=\"bold\" fill=\"{TEXT}\">");
    push_fitted(out, &d.title, f64::from(l.width - 2 * MARGIN) / 18.0 / BOLD);
    out.push_str("</text>");

    if l.rows.is_empty() {
        w!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"14\" fill=\"{TEXT_SOFT}\">No zones to draw.</text>",
            MARGIN + LABEL_COL_W,
            TITLE_H + ROW_GAP / 2
        );
    }

    // Bands and their labels.
    for row in &l.rows {
        out.push_str("<g><title>");
        push_level_full(out, row.rank);
        out.push_str("</title>");
        w!(
            out,
            "<rect x=\"{MARGIN}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\" fill=\"#f3f5f7\" stroke=\"#b9c0c7\" stroke-width=\"1\"{}/>",
            row.y,
            l.width - 2 * MARGIN,
            row.h,
            if row.rank.is_none() { " stroke-dasharray=\"6 4\"" } else { "" }
        );
        let cy = row.y + row.h / 2;
        w!(
            out,
            "<text x=\"{}\" y=\"{}\" fill=\"{TEXT}\"><tspan font-size=\"14\" font-weight=\"bold\">",
            MARGIN + 10,
            cy - 3
        );
        push_level_short(out, row.rank);
        out.push_str("</tspan>");
        let desc = level_name(row.rank).1;
        if !desc.is_empty() {
            w!(out, "<tspan x=\"{}\" dy=\"17\" font-size=\"11\" fill=\"{TEXT_SOFT}\">", MARGIN + 10);
            push_fitted(out, desc, f64::from(LABEL_COL_W - 16) / 11.0);
            out.push_str("</tspan>");
        }
        out.push_str("</text></g>");
    }

    // Each conduit's edges are contiguous in `l.edges`, in label order.
    let mut spans: Vec<std::ops::Range<usize>> = Vec::with_capacity(l.labels.len());
    let mut e = 0;
    for label in &l.labels {
        let start = e;
        while e < l.edges.len() && l.edges[e].conduit == label.conduit {
            e += 1;
        }
        spans.push(start..e);
    }

    // Conduit lines beneath the boxes; their labels come last, on top.
    for (label, span) in l.labels.iter().zip(&spans) {
        let c = &d.conduits[label.conduit];
        let edges = &l.edges[span.clone()];
        let style = gap_style(c.sl_gap);
        let (sw, dash) = if c.findings > 0 { (3.5, " stroke-dasharray=\"8 5\"") } else { (2.5, "") };
        open_link(out, &c.href, " tabindex=\"-1\" aria-hidden=\"true\"");
        write_conduit_title(out, c, d, &l, edges);
        for edge in edges {
            out.push_str("<path d=\"");
            match edge.path {
                EdgePath::Polyline { .. } => {
                    for (k, p) in l.polyline(&edge.path).iter().enumerate() {
                        w!(out, "{}{} {}", if k == 0 { "M" } else { " L" }, N(p.x), N(p.y));
                    }
                }
                EdgePath::Curve { from, c1, c2, to } => w!(
                    out,
                    "M{} {} C{} {} {} {} {} {}",
                    N(from.x),
                    N(from.y),
                    N(c1.x),
                    N(c1.y),
                    N(c2.x),
                    N(c2.y),
                    N(to.x),
                    N(to.y)
                ),
            }
            w!(out, "\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"{dash}/>", style.stroke, N(sw));
            if let Some([a, b, c3]) = edge.arrow {
                w!(
                    out,
                    "<polygon points=\"{},{} {},{} {},{}\" fill=\"{}\"/>",
                    N(a.x),
                    N(a.y),
                    N(b.x),
                    N(b.y),
                    N(c3.x),
                    N(c3.y),
                    style.stroke
                );
            }
        }
        out.push_str("</a>");
    }

    // Zones.
    for zb in &l.zones {
        write_zone(out, &d.zones[zb.zone], zb.rect, l.rows[zb.row].rank);
    }

    // Conduit labels.
    for (label, span) in l.labels.iter().zip(&spans) {
        let c = &d.conduits[label.conduit];
        let style = gap_style(c.sl_gap);
        let r = label.rect;
        open_link(out, &c.href, "");
        write_conduit_title(out, c, d, &l, &l.edges[span.clone()]);
        w!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\" fill=\"#ffffff\" fill-opacity=\"0.94\" stroke=\"{}\" stroke-width=\"1.2\"{}/>",
            r.x,
            r.y,
            r.w,
            r.h,
            style.stroke,
            if c.findings > 0 { " stroke-dasharray=\"4 2\"" } else { "" }
        );
        let mut tx = r.x + 6;
        if c.encryption_required {
            write_lock(out, tx, r.y + 3);
            tx += LOCK_W;
        }
        w!(out, "<text x=\"{tx}\" y=\"{}\" font-size=\"11\" font-weight=\"bold\" fill=\"{TEXT}\">", r.y + 12);
        push_fitted(out, &c.name, CONDUIT_NAME_MAX_EM / BOLD);
        w!(out, "</text><text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"{TEXT}\">", r.x + 6, r.y + 25);
        write_conduit_status(out, c);
        out.push_str("</text></a>");
    }

    write_legend(out, &l);
    out.push_str("</svg>");
}

/// "SL gap 2 · 3 findings" / "SL met".
fn write_conduit_status(out: &mut String, c: &DiagramConduit) {
    push_gap_text(out, c.sl_gap);
    if c.findings > 0 {
        out.push_str(" · ");
        push_count(out, u64::from(c.findings), "finding", "findings");
    }
}

fn write_conduit_title(out: &mut String, c: &DiagramConduit, d: &Diagram, l: &Layout, edges: &[EdgeLayout]) {
    out.push_str("<title>");
    push_esc(out, &c.name);
    out.push_str(" — conduit ");
    let sep = if c.one_way { " → " } else { " ↔ " };
    // The zones as drawn: the hub, then the receivers.
    let mut first = true;
    for edge in edges {
        if first {
            push_esc(out, &d.zones[l.zones[edge.from].zone].name);
            out.push_str(sep);
            first = false;
        } else {
            out.push_str(", ");
        }
        push_esc(out, &d.zones[l.zones[edge.to].zone].name);
    }
    if c.one_way {
        out.push_str(" (one-way)");
    }
    if c.encryption_required {
        out.push_str(" · encryption required");
    }
    out.push_str(" · ");
    push_gap_text(out, c.sl_gap);
    out.push_str(" · ");
    push_count(out, u64::from(c.findings), "finding", "findings");
    out.push_str("</title>");
}

/// A small padlock, 9 × 12, with its top left corner at (x, y).
fn write_lock(out: &mut String, x: i32, y: i32) {
    w!(
        out,
        "<path d=\"M{} {} v-3 a3 3 0 0 1 6 0 v3\" fill=\"none\" stroke=\"{TEXT}\" stroke-width=\"1.6\"/>\
         <rect x=\"{x}\" y=\"{}\" width=\"9\" height=\"7\" rx=\"1\" fill=\"{TEXT}\"/>",
        N(f64::from(x) + 1.5),
        y + 5,
        y + 5
    );
}

/// The outline of a zone box with its gap band; shared with the legend.
fn write_zone_shape(out: &mut String, r: Rect, gap: u8, findings: bool) {
    let s = gap_style(gap);
    let (sw, dash) =
        if findings { (s.zone_stroke_w + 1.0, " stroke-dasharray=\"7 4\"") } else { (s.zone_stroke_w, "") };
    let radius = BOX_RADIUS.min(r.h / 3);
    w!(
        out,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{radius}\" fill=\"{}\"/>",
        r.x,
        r.y,
        r.w,
        r.h,
        s.fill
    );
    if let Some(pattern) = s.band {
        let band = BOX_BAND_H.min(r.h / 2).max(radius);
        w!(
            out,
            "<path d=\"M{x} {yb} V{yr} A{radius} {radius} 0 0 1 {xr} {y} H{xl} A{radius} {radius} 0 0 1 {x2} {yr} V{yb} Z\" fill=\"{pattern}\"/>",
            x = r.x,
            y = r.y,
            yb = r.y + band,
            yr = r.y + radius,
            xr = r.x + radius,
            xl = r.right() - radius,
            x2 = r.right(),
        );
    }
    w!(
        out,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{radius}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"{dash}/>",
        r.x,
        r.y,
        r.w,
        r.h,
        s.stroke,
        N(sw)
    );
}

fn write_zone(out: &mut String, z: &DiagramZone, r: Rect, rank: Option<u8>) {
    let gap = sl_gap(z.sl_target, z.sl_achieved);
    open_link(out, &z.href, "");
    out.push_str("<title>");
    push_esc(out, &z.name);
    out.push_str(" — ");
    push_esc(out, &z.kind_label);
    out.push_str(" · ");
    push_level_full(out, rank);
    out.push_str(" · ");
    push_count(out, z.asset_count, "asset", "assets");
    out.push_str(" · SL-T ");
    push_vector(out, z.sl_target);
    out.push_str(" · SL-A ");
    push_vector(out, z.sl_achieved);
    out.push_str(" · ");
    push_gap_text(out, gap);
    if gap > 0 {
        out.push_str(" (");
        let mut first = true;
        for (i, (t, a)) in z.sl_target.iter().zip(z.sl_achieved).enumerate() {
            if *t > a {
                if !first {
                    out.push_str(", ");
                }
                first = false;
                w!(out, "{} {} gap {}", FR_LABELS[i].0, FR_LABELS[i].1, t - a);
            }
        }
        out.push(')');
    }
    out.push_str(" · ");
    push_count(out, u64::from(z.findings), "finding", "findings");
    out.push_str("</title>");

    write_zone_shape(out, r, gap, z.findings > 0);

    let cx = r.x + r.w / 2;
    let text_w = f64::from(r.w - 16);
    let top = r.y + BOX_BAND_H + (r.h - BOX_BAND_H - 88) / 2;
    w!(
        out,
        "<text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\" fill=\"{TEXT}\">",
        top + 14
    );
    push_fitted(out, &z.name, text_w / 13.0 / BOLD);
    w!(out, "</text><text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{TEXT_SOFT}\">", top + 30);
    push_fitted(out, &z.kind_label, text_w / 11.0);
    w!(out, "</text><text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{TEXT}\">", top + 46);
    push_count(out, z.asset_count, "asset", "assets");
    w!(
        out,
        "</text><text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\" fill=\"{TEXT}\">",
        top + 64
    );
    push_gap_text(out, gap);
    w!(out, "</text><text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{TEXT}\">", top + 80);
    if z.findings == 0 {
        out.push_str("no findings");
    } else {
        push_count(out, u64::from(z.findings), "finding", "findings");
    }
    out.push_str("</text></a>");
}

#[derive(Clone, Copy)]
enum LegendMark {
    Zone(u8, bool),
    OneWay,
    Lock,
    Note,
}

const LEGEND: [(LegendMark, &str); 7] = [
    (LegendMark::Zone(0, false), "SL met: SL-A ≥ SL-T in every FR"),
    (LegendMark::Zone(1, false), "SL gap 1: single hatch"),
    (LegendMark::Zone(2, false), "SL gap ≥ 2: cross-hatch, thicker outline"),
    (LegendMark::Zone(0, true), "Dashed outline or line: open findings"),
    (LegendMark::OneWay, "One-way conduit, arrow at the receiver"),
    (LegendMark::Lock, "Encryption required"),
    (LegendMark::Note, "Box size grows with the asset count; a conduit of 3+ zones fans out from its first zone"),
];

/// Top-left corners of the legend items relative to the legend box, and the number of lines.
fn legend_positions(width: i32) -> ([(i32, i32); LEGEND.len()], i32) {
    let avail = width - 2 * MARGIN - 24;
    let mut pos = [(0, 0); LEGEND.len()];
    let (mut x, mut line) = (0, 0);
    for (i, (mark, text)) in LEGEND.iter().enumerate() {
        let swatch = match mark {
            LegendMark::Note => 0,
            _ => LEGEND_SWATCH_W + 8,
        };
        let item_w = swatch + (fit(text, f64::INFINITY).em * 11.0).ceil() as i32 + 28;
        if x > 0 && x + item_w > avail {
            x = 0;
            line += 1;
        }
        pos[i] = (12 + x, 30 + line * LEGEND_LINE_H);
        x += item_w;
    }
    (pos, line + 1)
}

fn write_legend(out: &mut String, l: &Layout) {
    let r = l.legend;
    w!(
        out,
        "<g><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\" fill=\"#ffffff\" stroke=\"#b9c0c7\" stroke-width=\"1\"/>\
         <text x=\"{}\" y=\"{}\" font-size=\"12\" font-weight=\"bold\" fill=\"{TEXT}\">Legend</text>",
        r.x,
        r.y,
        r.w,
        r.h,
        r.x + 12,
        r.y + 19
    );
    let (pos, _) = legend_positions(l.width);
    for ((mark, text), (dx, dy)) in LEGEND.iter().zip(pos) {
        let (x, y) = (r.x + dx, r.y + dy);
        let text_x = match *mark {
            LegendMark::Zone(gap, findings) => {
                let s = Rect { x, y, w: LEGEND_SWATCH_W, h: 22 };
                write_zone_shape(out, s, gap, findings);
                x + LEGEND_SWATCH_W + 8
            }
            LegendMark::OneWay => {
                let tip = Point::new(f64::from(x + LEGEND_SWATCH_W), f64::from(y + 11));
                let [a, b, c] = arrowhead(tip, (1.0, 0.0));
                w!(
                    out,
                    "<path d=\"M{x} {} H{}\" stroke=\"{TEXT_SOFT}\" stroke-width=\"2.5\"/>\
                     <polygon points=\"{},{} {},{} {},{}\" fill=\"{TEXT_SOFT}\"/>",
                    y + 11,
                    N(tip.x - ARROW_LEN * 0.7),
                    N(a.x),
                    N(a.y),
                    N(b.x),
                    N(b.y),
                    N(c.x),
                    N(c.y)
                );
                x + LEGEND_SWATCH_W + 8
            }
            LegendMark::Lock => {
                write_lock(out, x + 15, y + 4);
                x + LEGEND_SWATCH_W + 8
            }
            LegendMark::Note => x,
        };
        w!(out, "<text x=\"{text_x}\" y=\"{}\" font-size=\"11\" fill=\"{TEXT}\">", y + 15);
        push_esc(out, text);
        out.push_str("</text>");
    }
    out.push_str("</g>");
}

// ---------------------------------------------------------------------------------------------
// SL chart

const CH_LEFT: i32 = 64;
const CH_GROUP_W: i32 = 84;
const CH_TOP: i32 = 76;
const CH_LEVEL_H: i32 = 48;
const CH_BAR_W: i32 = 24;
const CH_BAR_GAP: i32 = 6;
const CH_WIDTH: i32 = CH_LEFT + 7 * CH_GROUP_W + 24;
const CH_BOTTOM: i32 = CH_TOP + 4 * CH_LEVEL_H;
const CH_HEIGHT: i32 = CH_BOTTOM + 92;
const TARGET_STROKE: &str = "#1f4e8c";
const ACHIEVED_FILL: &str = "#7da7d9";

/// The SL-T against SL-A chart of one zone or conduit as a standalone SVG document: the seven
/// FRs on the x axis, levels 0–4 on the y axis, SL-T as a hatched bar with a dashed outline and
/// SL-A as a solid bar beside it, values above the bars, "gap n" above every FR whose target is
/// not met. Values above 4 are drawn at 4 and written as they are.
pub fn sl_chart(title: &str, target: [u8; 7], achieved: [u8; 7]) -> String {
    let mut out = String::with_capacity(9_000);
    write_sl_chart(&mut out, title, target, achieved);
    out
}

/// [`sl_chart`] into a buffer the caller owns (appends).
pub fn write_sl_chart(out: &mut String, title: &str, target: [u8; 7], achieved: [u8; 7]) {
    w!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{CH_WIDTH}\" height=\"{CH_HEIGHT}\" \
         viewBox=\"0 0 {CH_WIDTH} {CH_HEIGHT}\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\"><title>"
    );
    push_esc(out, title);
    out.push_str(" — SL-T against SL-A</title><desc>SL-T ");
    push_vector(out, target);
    out.push_str("; SL-A ");
    push_vector(out, achieved);
    out.push_str("; ");
    push_gap_text(out, sl_gap(target, achieved));
    out.push_str(".</desc>");
    w!(
        out,
        concat!(
            "<defs><pattern id=\"c981sl-target\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">",
            "<rect width=\"6\" height=\"6\" fill=\"#ffffff\"/>",
            "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"{}\" stroke-width=\"2\"/>",
            "</pattern></defs>"
        ),
        TARGET_STROKE
    );
    w!(
        out,
        "<rect width=\"{CH_WIDTH}\" height=\"{CH_HEIGHT}\" fill=\"#ffffff\"/>\
         <text x=\"{MARGIN}\" y=\"28\" font-size=\"16\" font-weight=\"bold\" fill=\"{TEXT}\">"
    );
    push_fitted(out, title, f64::from(CH_WIDTH - 2 * MARGIN) / 16.0 / BOLD);
    out.push_str("</text>");

    // FRs with a gap get a tinted column, beneath the gridlines.
    for (i, (t, a)) in target.iter().zip(achieved).enumerate() {
        if *t > a {
            w!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fdecec\"/>",
                CH_LEFT + i as i32 * CH_GROUP_W + 3,
                CH_TOP - 26,
                CH_GROUP_W - 6,
                CH_BOTTOM - CH_TOP + 26
            );
        }
    }

    // Axes and gridlines.
    let plot_right = CH_LEFT + 7 * CH_GROUP_W;
    for level in 0..=4 {
        let y = CH_BOTTOM - level * CH_LEVEL_H;
        w!(
            out,
            "<line x1=\"{CH_LEFT}\" y1=\"{y}\" x2=\"{plot_right}\" y2=\"{y}\" stroke=\"{}\" stroke-width=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"11\" fill=\"{TEXT}\">{level}</text>",
            if level == 0 { TEXT_SOFT } else { "#c9ced4" },
            if level == 0 { "1.5" } else { "1" },
            CH_LEFT - 8,
            y + 4
        );
    }
    let mid = (CH_TOP + CH_BOTTOM) / 2;
    w!(
        out,
        "<text x=\"22\" y=\"{mid}\" transform=\"rotate(-90 22 {mid})\" text-anchor=\"middle\" font-size=\"11\" fill=\"{TEXT}\">Security level</text>"
    );

    let bar_h = |v: u8| i32::from(v.min(4)) * CH_LEVEL_H;
    for (i, (fr, abbr)) in FR_LABELS.iter().enumerate() {
        let (t, a) = (target[i], achieved[i]);
        let gap = t.saturating_sub(a);
        let gx = CH_LEFT + i as i32 * CH_GROUP_W;
        let cx = gx + CH_GROUP_W / 2;
        w!(out, "<g><title>{fr} {abbr}: SL-T {t}, SL-A {a}");
        if gap > 0 {
            w!(out, ", gap {gap}");
        }
        out.push_str("</title>");
        let tx = cx - CH_BAR_W - CH_BAR_GAP / 2;
        let ax = cx + CH_BAR_GAP / 2;
        let (th, ah) = (bar_h(t), bar_h(a));
        if th > 0 {
            w!(
                out,
                "<rect x=\"{tx}\" y=\"{}\" width=\"{CH_BAR_W}\" height=\"{th}\" fill=\"url(#c981sl-target)\" stroke=\"{TARGET_STROKE}\" stroke-width=\"1.5\" stroke-dasharray=\"4 2\"/>",
                CH_BOTTOM - th
            );
        }
        if ah > 0 {
            w!(
                out,
                "<rect x=\"{ax}\" y=\"{}\" width=\"{CH_BAR_W}\" height=\"{ah}\" fill=\"{ACHIEVED_FILL}\" stroke=\"{TARGET_STROKE}\" stroke-width=\"1.5\"/>",
                CH_BOTTOM - ah
            );
        }
        w!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{TEXT}\">{t}</text>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{TEXT}\">{a}</text>",
            tx + CH_BAR_W / 2,
            CH_BOTTOM - th - 5,
            ax + CH_BAR_W / 2,
            CH_BOTTOM - ah - 5
        );
        if gap > 0 {
            w!(
                out,
                "<text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\" fill=\"#b3261e\">gap {gap}</text>",
                CH_BOTTOM - th.max(ah) - 20
            );
        }
        w!(
            out,
            "<text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\" fill=\"{TEXT}\">{fr}</text>\
             <text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{TEXT_SOFT}\">{abbr}</text></g>",
            CH_BOTTOM + 18,
            CH_BOTTOM + 32
        );
    }

    // Legend.
    let ly = CH_BOTTOM + 52;
    w!(
        out,
        "<g><rect x=\"{CH_LEFT}\" y=\"{ly}\" width=\"18\" height=\"14\" fill=\"url(#c981sl-target)\" stroke=\"{TARGET_STROKE}\" stroke-width=\"1.5\" stroke-dasharray=\"4 2\"/>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{TEXT}\">SL-T (target): hatched, dashed outline</text>\
         <rect x=\"{}\" y=\"{ly}\" width=\"18\" height=\"14\" fill=\"{ACHIEVED_FILL}\" stroke=\"{TARGET_STROKE}\" stroke-width=\"1.5\"/>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{TEXT}\">SL-A (achieved): solid</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{TEXT}\"><tspan font-weight=\"bold\" fill=\"#b3261e\">gap n</tspan>: SL-T above SL-A by n</text></g>",
        CH_LEFT + 24,
        ly + 11,
        CH_LEFT + 260,
        CH_LEFT + 284,
        ly + 11,
        CH_LEFT + 430,
        ly + 11
    );
    out.push_str("</svg>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(id: i64, name: &str, rank: Option<u8>, assets: u64) -> DiagramZone {
        DiagramZone {
            id,
            name: name.into(),
            kind_label: "Control".into(),
            purdue_rank: rank,
            asset_count: assets,
            sl_target: [2; 7],
            sl_achieved: [2; 7],
            findings: 0,
            href: format!("/zones/{id}"),
        }
    }

    #[test]
    fn escaping_covers_markup_quotes_and_forbidden_characters() {
        let mut s = String::new();
        push_esc(&mut s, "a<b>&\"c\"'d'\u{0}\u{7}\u{202E}x\ny");
        assert_eq!(s, "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;\u{FFFD}\u{FFFD}x y");
    }

    #[test]
    fn short_text_is_not_cut_and_long_text_is_cut_with_an_ellipsis() {
        assert!(!fit("PLC", 10.0).truncated);
        let f = fit("a very long zone name indeed", 8.0);
        assert!(f.truncated && f.em <= 8.0 && f.end > 0);
        let mut s = String::new();
        push_fitted(&mut s, "a very long zone name indeed", 8.0);
        assert!(s.ends_with('…') && !s.contains(" …"));
    }

    #[test]
    fn cutting_never_splits_an_emoji_sequence() {
        let family = "👨\u{200D}👩\u{200D}👧";
        let s = format!("{family}{family}{family}{family}");
        for max in 1..8 {
            let f = fit(&s, f64::from(max));
            let shown = &s[..f.end];
            assert!(!shown.ends_with('\u{200D}'), "cut after a joiner at {max}");
            assert_eq!(shown.matches('👧').count() * 3, shown.chars().filter(|c| *c != '\u{200D}').count());
        }
    }

    #[test]
    fn only_site_relative_links_are_accepted() {
        assert_eq!(safe_href("/zones/1"), Some("/zones/1"));
        assert_eq!(safe_href("?tab=x"), Some("?tab=x"));
        for bad in [
            "javascript:alert(1)",
            "http://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "",
            "zones/1",
            "/a b",
            "/a\nb",
        ] {
            assert_eq!(safe_href(bad), None, "{bad}");
        }
    }

    #[test]
    fn boxes_grow_with_assets_within_bounds() {
        let mut prev = box_size(0);
        assert_eq!(prev, (BOX_MIN_W, BOX_MIN_H));
        for n in [1, 2, 5, 10, 100, 1000, 5000, u64::MAX] {
            let s = box_size(n);
            assert!(s.0 >= prev.0 && s.1 >= prev.1);
            assert!(s.0 <= BOX_MAX_W && s.1 <= BOX_MAX_H);
            prev = s;
        }
        assert_eq!(box_size(u64::MAX), (BOX_MAX_W, BOX_MAX_H));
    }

    #[test]
    fn numbers_are_written_with_at_most_one_decimal() {
        assert_eq!(N(3.0).to_string(), "3");
        assert_eq!(N(-0.04).to_string(), "0");
        assert_eq!(N(-2.55).to_string(), "-2.6");
        assert_eq!(N(12.25).to_string(), "12.3");
    }

    #[test]
    fn sl_gap_is_the_largest_shortfall() {
        assert_eq!(sl_gap([2, 2, 3, 1, 3, 1, 2], [2, 1, 1, 4, 3, 1, 2]), 2);
        assert_eq!(sl_gap([1; 7], [3; 7]), 0);
    }

    #[test]
    fn a_large_plant_renders_without_overlaps() {
        let ranks = [Some(50), Some(40), Some(35), Some(30), Some(20), Some(10), Some(0), None];
        let zones: Vec<DiagramZone> = (0..200)
            .map(|i| {
                let mut z = zone(i, &format!("Zone {i:03}"), ranks[i as usize % 8], (i as u64 * 37) % 2000);
                z.sl_achieved[(i % 7) as usize] = (i % 3) as u8;
                z.findings = (i % 4) as u32;
                z
            })
            .collect();
        let conduits: Vec<DiagramConduit> = (0..400)
            .map(|i| DiagramConduit {
                id: i,
                name: format!("Conduit {i:03}"),
                zone_ids: if i % 25 == 0 {
                    vec![i % 200, (i + 1) % 200, (i + 9) % 200]
                } else {
                    vec![i % 200, (i * 7 + 3) % 200]
                },
                one_way: i % 3 == 0,
                encryption_required: i % 2 == 0,
                sl_gap: (i % 3) as u8,
                findings: (i % 5) as u32,
                href: format!("/conduits/{i}"),
            })
            .collect();
        let d = Diagram { title: "Large plant".into(), zones, conduits };
        let l = layout(&d);
        assert_eq!(l.zones.len(), 200);
        assert_eq!(l.rows.len(), 8);
        assert_eq!(l.labels.len(), 400);
        assert!(l.undrawn_conduits.is_empty());
        for row in &l.rows {
            for pair in l.zones[row.zones.clone()].windows(2) {
                assert!(pair[0].rect.right() + BOX_GAP <= pair[1].rect.x);
            }
        }
        for zb in &l.zones {
            assert!(zb.rect.right() <= l.width - MARGIN && zb.rect.bottom() < l.legend.y);
        }
        let svg = zone_diagram(&d);
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<a ").count(), 200 + 2 * 400);
        assert_eq!(svg, zone_diagram(&d), "deterministic");
    }
}
