//! The risk register as a report an auditor takes away: one row per risk with its scenario,
//! what it affects (by name), both ratings with their level names under the model they were
//! made with, controls, treatment and plan, owner, review date and overdue flags; rendered to
//! XLSX, CSV (formula-injection safe) or PDF by `c981-report`.
//!
//! The register is read page by page (never a million rows at once) and scoped to the caller's
//! sites like every list.

use std::collections::HashMap;

use c981_domain::risk::Rating;
use c981_domain::risk_model::RiskModel;
use c981_domain::{Conduit, EntityKind, Interface, Record, Risk, Site, SiteId, Supplier, Zone};
use c981_report::colour::Colour;
use c981_report::table::{Cell, Column, ColumnKind, Report, RowStyle, Sheet};

use crate::{App, Ctx, ListParams, Result};

/// Which risks an export holds: the register's filters.
#[derive(Debug, Clone, Default)]
pub struct ExportQuery {
    pub site_id: Option<SiteId>,
    /// `(field, value)` filters of the register (`state`, `residual_level`, …).
    pub filters: Vec<(String, String)>,
    pub q: Option<String>,
}

/// The most risks one export reads (XLSX holds about a million rows; CSV is streamed but the
/// register is read into memory for names and ratings).
pub const MAX_EXPORT_RISKS: usize = 1_000_000;

/// The formats a register (or any report) is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv,
    Pdf,
}

impl ExportFormat {
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "xlsx" => Ok(Self::Xlsx),
            "csv" => Ok(Self::Csv),
            "pdf" => Ok(Self::Pdf),
            other => Err(format!("{other:?} is not an export format (xlsx, csv, pdf)")),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Xlsx => "xlsx",
            Self::Csv => "csv",
            Self::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Pdf => "application/pdf",
        }
    }
}

/// Renders a report: XLSX (frozen header, filters), CSV of its first sheet (UTF-8 with a BOM
/// for spreadsheet programs; cells that a spreadsheet would run as formulas are prefixed with
/// `'`), or a printable PDF (landscape).
pub fn render(report: &Report, format: ExportFormat, at: c981_domain::Timestamp, by: &str) -> Result<Vec<u8>> {
    use c981_report::timestamp::Timestamp as T;
    let generated = T::parse(&at.to_string()).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    match format {
        ExportFormat::Xlsx => {
            let mut o = c981_report::xlsx::XlsxOptions::new(generated);
            o.author = by.to_owned();
            c981_report::xlsx::render(report, &o).map_err(|e| crate::AppError::Conflict(e.to_string()))
        }
        ExportFormat::Csv => {
            let sheet = report.sheets.first().ok_or_else(|| crate::AppError::Internal("an empty report".into()))?;
            let o = c981_report::csv::CsvOptions { bom: true, ..Default::default() };
            c981_report::csv::sheet_to_csv(sheet, o).map_err(|e| crate::AppError::Internal(e.to_string()))
        }
        ExportFormat::Pdf => {
            let mut o = c981_report::pdf::PdfOptions::new(generated);
            o.orientation = c981_report::pdf::Orientation::Landscape;
            Ok(c981_report::pdf::render(&c981_report::pdf::Doc::from_report(report), &o))
        }
    }
}

fn rating_text(model: &RiskModel, r: &Rating) -> String {
    r.impacts
        .iter()
        .map(|(d, l)| {
            let dim = model.dimension(d).map_or(d.as_str(), |x| x.name.as_str());
            let level = model.impact_levels.get(usize::from(*l).saturating_sub(1)).map_or("", |x| x.name.as_str());
            format!("{dim}: {l} {level}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn level_cell(model: &RiskModel, level: Option<u8>) -> Cell {
    match level {
        Some(l) => Cell::text(model.level_label(l)),
        None => Cell::Empty,
    }
}

fn colour_of(model: &RiskModel, level: Option<u8>) -> Option<Colour> {
    level.and_then(|l| model.risk_level(l)).and_then(|lv| Colour::from_name(lv.colour.as_str()))
}

impl App {
    /// Every risk of the query, page by page.
    async fn all_risks(&self, ctx: &Ctx, q: &ExportQuery) -> Result<Vec<Record<Risk>>> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let p = ListParams {
                site_id: q.site_id,
                filters: q.filters.clone(),
                q: q.q.clone(),
                cursor: cursor.take(),
                limit: Some(1000),
            };
            let page = self.list::<Risk>(ctx, &p).await?;
            out.extend(page.items);
            match page.next_after {
                Some(n) if out.len() < MAX_EXPORT_RISKS => cursor = Some(n.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Names of a kind's records over the sites involved.
    async fn names_in<T: c981_store::Table>(&self, ctx: &Ctx, sites: &[SiteId]) -> Result<HashMap<i64, String>> {
        let mut out = HashMap::new();
        for s in sites {
            let mut cursor = None;
            loop {
                let p =
                    ListParams { site_id: Some(*s), cursor: cursor.take(), limit: Some(1000), ..Default::default() };
                let page = self.list::<T>(ctx, &p).await?;
                for r in &page.items {
                    out.insert(r.id.into(), r.data.display_name());
                }
                match page.next_after {
                    Some(n) => cursor = Some(n.to_string()),
                    None => break,
                }
            }
        }
        Ok(out)
    }

    /// The risk register as a report (one sheet), for XLSX, CSV or PDF.
    pub async fn risk_register_report(&self, ctx: &Ctx, q: &ExportQuery) -> Result<Report> {
        let risks = self.all_risks(ctx, q).await?;
        let current = self.risk_model(ctx).await?;
        let mut models: HashMap<i64, std::sync::Arc<RiskModel>> = HashMap::new();
        models.insert(current.version, current.model.clone());
        for r in &risks {
            if let std::collections::hash_map::Entry::Vacant(e) = models.entry(r.data.model_version)
                && let Ok(v) = self.risk_model_version(ctx, r.data.model_version).await
            {
                e.insert(v.model);
            }
        }
        let sites_page = self.list::<Site>(ctx, &ListParams { limit: Some(1000), ..Default::default() }).await?;
        let site_codes: HashMap<i64, String> =
            sites_page.items.iter().map(|s| (s.id.get(), s.data.code.to_string())).collect();
        let mut involved: Vec<SiteId> = risks.iter().map(|r| r.data.site_id).collect();
        involved.sort();
        involved.dedup();
        let zones = self.names_in::<Zone>(ctx, &involved).await?;
        let conduits = self.names_in::<Conduit>(ctx, &involved).await?;
        let interfaces = self.names_in::<Interface>(ctx, &involved).await?;
        let suppliers = self.names_in::<Supplier>(ctx, &involved).await?;
        let today = self.today();
        let names = |map: &HashMap<i64, String>, kind: EntityKind, ids: Vec<i64>| -> String {
            ids.iter()
                .map(|x| map.get(x).cloned().unwrap_or_else(|| format!("{} {x}", kind.label())))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let columns = vec![
            Column::new("Id", ColumnKind::Number, 7.0),
            Column::text("Site", 8.0),
            Column::text("Risk", 36.0),
            Column::text("State", 14.0),
            Column::text("Threat source", 30.0),
            Column::text("Threat event", 40.0),
            Column::text("Vulnerability", 36.0),
            Column::text("Consequence", 36.0),
            Column::text("Zones", 24.0),
            Column::text("Conduits", 24.0),
            Column::text("Assets (ids)", 14.0),
            Column::text("Data flows (ids)", 14.0),
            Column::text("Interfaces", 20.0),
            Column::text("Suppliers", 20.0),
            Column::new("Inherent likelihood", ColumnKind::Number, 10.0),
            Column::text("Inherent impacts", 34.0),
            Column::text("Inherent level", 14.0),
            Column::text("Existing controls", 30.0),
            Column::text("Annex A controls", 14.0),
            Column::text("Treatment", 16.0),
            Column::text("Treatment plan", 50.0),
            Column::new("Residual likelihood", ColumnKind::Number, 10.0),
            Column::text("Residual impacts", 34.0),
            Column::text("Residual level", 14.0),
            Column::text("Risk owner", 20.0),
            Column::new("Review date", ColumnKind::Date, 12.0),
            Column::new("Overdue", ColumnKind::Bool, 9.0),
            Column::new("Model version", ColumnKind::Number, 9.0),
            Column::new("Needs re-rating", ColumnKind::Bool, 10.0),
            Column::text("Origin", 20.0),
            Column::new("Updated", ColumnKind::Date, 20.0),
        ];
        let mut sheet = Sheet::new("Risk register", columns);
        for r in &risks {
            let d = &r.data;
            let m = models.get(&d.model_version).cloned().unwrap_or_else(|| current.model.clone());
            let plan = d
                .plan
                .iter()
                .map(|p| {
                    format!(
                        "{} (owner {}, due {}, {}{})",
                        p.action.as_str(),
                        p.owner.as_str(),
                        p.due_date,
                        p.status.label().to_lowercase(),
                        p.control_id.as_ref().map(|c| format!(", control {c}")).unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let overdue = d.review_overdue(today) || !d.overdue_actions(today).is_empty();
            let like = |l: Option<u8>| l.map_or(Cell::Empty, |x| Cell::Int(i64::from(x)));
            let row = vec![
                Cell::Int(r.id.get()),
                Cell::text(site_codes.get(&d.site_id.get()).cloned().unwrap_or_default()),
                Cell::text(d.title.to_string()),
                Cell::text(d.state.label()),
                Cell::text(d.threat_source.as_str()),
                Cell::text(d.threat_event.as_str()),
                Cell::text(d.vulnerability.as_str()),
                Cell::text(d.consequence.as_str()),
                Cell::text(names(&zones, EntityKind::Zone, d.zone_ids.iter().map(|x| x.get()).collect())),
                Cell::text(names(&conduits, EntityKind::Conduit, d.conduit_ids.iter().map(|x| x.get()).collect())),
                Cell::text(d.asset_ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
                Cell::text(d.flow_ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
                Cell::text(names(
                    &interfaces,
                    EntityKind::Interface,
                    d.interface_ids.iter().map(|x| x.get()).collect(),
                )),
                Cell::text(names(&suppliers, EntityKind::Supplier, d.supplier_ids.iter().map(|x| x.get()).collect())),
                like(d.inherent.likelihood),
                Cell::text(rating_text(&m, &d.inherent)),
                level_cell(&m, d.inherent_level),
                Cell::text(d.existing_controls.iter().map(|c| c.as_str()).collect::<Vec<_>>().join("\n")),
                Cell::text(d.control_ids.join(", ")),
                d.treatment.map_or(Cell::Empty, |t| Cell::text(t.label())),
                Cell::text(plan),
                like(d.residual.likelihood),
                Cell::text(rating_text(&m, &d.residual)),
                level_cell(&m, d.residual_level),
                Cell::text(d.risk_owner.as_str()),
                d.review_date.map_or(Cell::Empty, |x| Cell::Date(x.to_string())),
                Cell::Bool(overdue),
                Cell::Int(d.model_version),
                Cell::Bool(d.needs_rerating),
                Cell::text(d.origin.as_str()),
                Cell::DateTime(r.updated_at.to_string()),
            ];
            let fill = colour_of(&m, d.residual_level.or(d.inherent_level));
            sheet.push_styled_row(row, RowStyle { fill, bold: false });
        }
        let scope = match q.site_id {
            Some(s) => site_codes.get(&s.get()).cloned().unwrap_or_else(|| s.to_string()),
            None => format!("{} site(s): {}", site_codes.len(), {
                let mut v: Vec<&String> = site_codes.values().collect();
                v.sort();
                v.into_iter().cloned().collect::<Vec<_>>().join(", ")
            }),
        };
        let mut report = Report::new("Risk register");
        report.subtitle = Some(format!("ISO/IEC 27001 6.1.2 and 6.1.3 · {scope}"));
        report.meta = vec![
            ("Scope".into(), scope),
            ("Risks".into(), risks.len().to_string()),
            ("Risk model".into(), format!("version {}", current.version)),
            ("Generated".into(), self.now().to_string()),
            ("Generated by".into(), ctx.actor.name.clone()),
            ("Filters".into(), {
                let mut f: Vec<String> = q.filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
                if let Some(t) = &q.q {
                    f.push(format!("q={t}"));
                }
                if f.is_empty() { "none".into() } else { f.join(", ") }
            }),
        ];
        report.sheets.push(sheet);
        Ok(report)
    }
}
