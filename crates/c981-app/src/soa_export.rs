//! The Statement of Applicability as the auditor takes it away: XLSX (one sheet with a theme
//! column, frozen header and filters, plus the scope and the approvals), CSV (formula-injection
//! safe), PDF (cover with scope, version and signatures, then the 93 controls by theme), OSCAL
//! JSON (a catalog of the controls, a profile of the applicable ones and a system security
//! plan whose control implementations carry the decisions), and the audit evidence bundle.
//!
//! Every export is of a statement: the working one, or a frozen version with its signatures.

use c981_domain::annex_a;
use c981_domain::audit::Action;
use c981_domain::{EntityKind, IsmsScope, Timestamp};
use c981_report::bundle::{self, BundleFile, BundleInput, Period};
use c981_report::colour::Colour;
use c981_report::oscal;
use c981_report::pdf::{Block, Cover, Doc, PdfOptions, SignatureLine};
use c981_report::table::{Cell, Column, ColumnKind, Report, RowStyle, Sheet};
use c981_store::AuditQuery;
use serde_json::json;

use crate::risk_export::{ExportFormat, ExportQuery};
use crate::soa::{SoaDoc, SoaLine, completeness};
use crate::{App, AppError, Ctx, Result};

/// Which statement an export is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The working statement.
    Current,
    /// Frozen version `n`.
    Version(i64),
    /// The latest frozen version.
    Latest,
}

impl Which {
    pub fn parse(s: Option<&str>) -> std::result::Result<Self, String> {
        match s.map(str::trim).filter(|s| !s.is_empty()) {
            None | Some("current") => Ok(Self::Current),
            Some("latest") => Ok(Self::Latest),
            Some(v) => v
                .trim_start_matches(['v', 'V'])
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 1)
                .map(Self::Version)
                .ok_or_else(|| format!("{v:?} is not a version (a number, \"latest\" or \"current\")")),
        }
    }
}

/// A statement ready to render: its content, the version it is (if frozen) and the
/// signatures on that version.
#[derive(Debug, Clone)]
pub struct SoaExport {
    pub doc: SoaDoc,
    pub version: Option<i64>,
    pub version_id: Option<i64>,
    pub signatures: Vec<SignatureLine>,
}

impl SoaExport {
    fn version_label(&self) -> String {
        match self.version {
            Some(n) => format!("Version {n}"),
            None => format!("Working draft as of {}", self.doc.as_of),
        }
    }

    fn state_label(&self) -> String {
        let approved = self.signatures.iter().any(|s| s.meaning == "Approved");
        match (self.version, approved) {
            (Some(_), true) => "Approved".into(),
            (Some(_), false) => "Awaiting approval".into(),
            (None, _) => {
                if completeness(&self.doc).complete {
                    "Draft (complete, not frozen)".into()
                } else {
                    "Draft (incomplete)".into()
                }
            }
        }
    }

    /// A file name stem: `soa-HAM-isms-v3`.
    pub fn stem(&self) -> String {
        let slug: String = self
            .doc
            .scope
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let v = self.version.map_or_else(|| "draft".to_owned(), |n| format!("v{n}"));
        format!("soa-{}-{slug}-{v}", self.doc.site_code)
    }
}

fn applicability_label(s: &str) -> &'static str {
    match s {
        "applicable" => "Applicable",
        "not_applicable" => "Not applicable",
        _ => "Not decided",
    }
}

fn status_label(l: &SoaLine) -> &'static str {
    if l.applicability != "applicable" {
        return "";
    }
    match l.status.as_str() {
        "implemented" => "Implemented",
        "partial" => "Partially implemented",
        "planned" => "Planned",
        _ => "Not started",
    }
}

fn risks_text(l: &SoaLine) -> String {
    l.risks.iter().map(|r| format!("R-{} {}", r.id, r.name)).collect::<Vec<_>>().join("; ")
}

fn evidence_text(l: &SoaLine) -> String {
    l.evidence
        .iter()
        .map(|e| {
            let mut s = format!("{} ({})", e.title, e.evidence_date);
            if !e.reference.is_empty() {
                s.push_str(&format!(" {}", e.reference));
            }
            if let Some(h) = &e.sha256 {
                s.push_str(&format!(" SHA-256 {h}"));
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn row_style(l: &SoaLine) -> RowStyle {
    let fill = match (l.applicability.as_str(), l.status.as_str()) {
        ("applicable", "implemented") => Some(Colour::Green),
        ("applicable", "partial") => Some(Colour::Yellow),
        ("applicable", "planned") => Some(Colour::Orange),
        ("applicable", _) => Some(Colour::Red),
        ("not_applicable", _) => Some(Colour::Grey),
        _ => None,
    };
    RowStyle { fill, bold: false }
}

/// The statement as a neutral report: the controls (one sheet, theme column), the scope, and
/// the approvals.
pub fn soa_report(e: &SoaExport) -> Report {
    let d = &e.doc;
    let columns = vec![
        Column::new("Control", ColumnKind::Text, 8.0),
        Column::text("Title", 40.0),
        Column::text("Theme", 22.0),
        Column::text("Applicability", 14.0),
        Column::text("Justification", 50.0),
        Column::text("Implementation status", 18.0),
        Column::text("How it is implemented", 50.0),
        Column::text("Owner", 18.0),
        Column::text("Risks treated", 36.0),
        Column::text("Evidence", 50.0),
        Column::text("IEC 62443-3-3 requirements", 22.0),
        Column::new("Next review", ColumnKind::Date, 12.0),
    ];
    let mut controls = Sheet::new("Statement of Applicability", columns);
    for l in &d.lines {
        controls.push_styled_row(
            vec![
                Cell::text(&l.control),
                Cell::text(&l.title),
                Cell::text(&l.theme),
                Cell::text(applicability_label(&l.applicability)),
                Cell::text(&l.justification),
                Cell::text(status_label(l)),
                Cell::text(&l.implementation),
                Cell::text(&l.owner),
                Cell::text(risks_text(l)),
                Cell::text(evidence_text(l)),
                Cell::text(l.requirements.join("; ")),
                l.next_review.clone().map_or(Cell::Empty, Cell::Date),
            ],
            row_style(l),
        );
    }
    let mut scope = Sheet::new("Scope", vec![Column::text("Item", 30.0), Column::text("Value", 100.0)]);
    let s = &d.scope;
    let join = |v: &[String]| v.join("; ");
    for (k, v) in [
        ("Scope", s.name.clone()),
        ("Site", format!("{} ({})", d.site.name, d.site_code)),
        ("Scope statement", s.statement.clone()),
        ("Zones in scope", join(&s.zones.iter().map(|z| z.name.clone()).collect::<Vec<_>>())),
        ("Systems under consideration", join(&s.systems.iter().map(|z| z.name.clone()).collect::<Vec<_>>())),
        ("Systems and services", join(&s.services)),
        ("Teams", join(&s.teams)),
        ("Exclusions", s.exclusions.clone()),
        ("Owner", s.owner.clone()),
        ("Next review", s.next_review.clone().unwrap_or_default()),
    ] {
        scope.push_row(vec![Cell::text(k), Cell::text(v)]);
    }
    let mut interfaces = Sheet::new(
        "Out-of-scope interfaces",
        vec![
            Column::text("Interface", 30.0),
            Column::text("Outside system", 30.0),
            Column::text("Responsible party", 24.0),
            Column::text("Boundary and how its risk is managed", 70.0),
        ],
    );
    for i in &s.interfaces {
        interfaces.push_row(vec![
            Cell::text(&i.name),
            Cell::text(&i.external_system),
            Cell::text(&i.responsible_party),
            Cell::text(&i.boundary),
        ]);
    }
    let mut approvals = Sheet::new(
        "Approvals",
        vec![
            Column::text("Printed name", 30.0),
            Column::text("Meaning", 16.0),
            Column::new("Signed at (UTC)", ColumnKind::Date, 22.0),
            Column::text("Status", 14.0),
        ],
    );
    for g in &e.signatures {
        approvals.push_row(vec![
            Cell::text(&g.name),
            Cell::text(&g.meaning),
            Cell::DateTime(g.at.clone()),
            Cell::text(&g.status),
        ]);
    }
    let c = crate::soa::coverage(d, &d.as_of.to_string()[..10]);
    Report {
        title: "Statement of Applicability".into(),
        subtitle: Some(format!("{} — {} ({})", s.name, d.site.name, d.site_code)),
        meta: vec![
            ("Catalogue".into(), d.catalog.clone()),
            ("Version".into(), e.version_label()),
            ("State".into(), e.state_label()),
            ("Scope record version".into(), s.version.to_string()),
            (
                "Coverage".into(),
                format!(
                    "{} applicable ({} implemented, {} partial, {} planned, {} not started), {} not applicable, {} undecided",
                    c.applicable, c.implemented, c.partial, c.planned, c.not_started, c.not_applicable, c.undecided
                ),
            ),
            ("Produced by".into(), d.by.clone()),
        ],
        sheets: vec![controls, scope, interfaces, approvals],
    }
}

/// The statement as a printable PDF document.
pub fn soa_pdf_doc(e: &SoaExport) -> Doc {
    let d = &e.doc;
    let s = &d.scope;
    let c = crate::soa::coverage(d, &d.as_of.to_string()[..10]);
    let cover = Cover {
        title: "Statement of Applicability".into(),
        subtitle: Some(format!("{} — {}", s.name, d.site.name)),
        lines: vec![
            ("Site".into(), format!("{} ({})", d.site.name, d.site_code)),
            ("Catalogue".into(), d.catalog.clone()),
            ("Version".into(), e.version_label()),
            ("State".into(), e.state_label()),
            ("Scope".into(), s.statement.clone()),
            (
                "Coverage".into(),
                format!(
                    "{} of {} controls applicable: {} implemented, {} partially, {} planned, {} not started; {} not applicable",
                    c.applicable, c.controls, c.implemented, c.partial, c.planned, c.not_started, c.not_applicable
                ),
            ),
            ("Produced by".into(), d.by.clone()),
        ],
        signatures: e.signatures.clone(),
    };
    let mut blocks = vec![Block::Heading(1, "ISMS scope".into())];
    let join = |v: Vec<String>| if v.is_empty() { "—".to_owned() } else { v.join("; ") };
    blocks.push(Block::KeyValues(vec![
        ("Scope statement".into(), s.statement.clone()),
        ("Zones".into(), join(s.zones.iter().map(|z| z.name.clone()).collect())),
        ("Systems under consideration".into(), join(s.systems.iter().map(|z| z.name.clone()).collect())),
        ("Systems and services".into(), join(s.services.clone())),
        ("Teams".into(), join(s.teams.clone())),
        ("Exclusions".into(), s.exclusions.clone()),
        ("Owner".into(), if s.owner.is_empty() { "—".into() } else { s.owner.clone() }),
    ]));
    if !s.interfaces.is_empty() {
        blocks.push(Block::Heading(2, "Interfaces to systems outside the scope".into()));
        blocks.push(Block::Table {
            columns: vec![
                ("Interface".into(), 2.0),
                ("Outside system".into(), 2.0),
                ("Responsible party".into(), 1.5),
                ("Boundary and its risk".into(), 4.0),
            ],
            rows: s
                .interfaces
                .iter()
                .map(|i| {
                    vec![i.name.clone(), i.external_system.clone(), i.responsible_party.clone(), i.boundary.clone()]
                })
                .collect(),
            row_styles: Vec::new(),
        });
    }
    for theme in annex_a::Theme::ALL {
        blocks.push(Block::PageBreak);
        blocks.push(Block::Heading(1, format!("{} ({})", theme.label(), theme.clause())));
        let lines: Vec<&SoaLine> = d.lines.iter().filter(|l| l.theme == theme.label()).collect();
        blocks.push(Block::Table {
            columns: vec![
                ("Control".into(), 0.7),
                ("Title".into(), 2.2),
                ("Decision".into(), 1.1),
                ("Justification".into(), 3.0),
                ("Status".into(), 1.1),
                ("Implementation".into(), 3.0),
                ("Risks".into(), 1.6),
                ("Evidence".into(), 2.2),
            ],
            rows: lines
                .iter()
                .map(|l| {
                    vec![
                        l.control.clone(),
                        l.title.clone(),
                        applicability_label(&l.applicability).to_owned(),
                        l.justification.clone(),
                        status_label(l).to_owned(),
                        l.implementation.clone(),
                        risks_text(l),
                        evidence_text(l),
                    ]
                })
                .collect(),
            row_styles: lines.iter().map(|l| row_style(l)).collect(),
        });
    }
    Doc { title: format!("Statement of Applicability — {}", s.name), cover, blocks }
}

fn report_time(at: Timestamp) -> Result<c981_report::Timestamp> {
    c981_report::Timestamp::parse(&at.to_string()).map_err(|e| AppError::Internal(e.to_string()))
}

/// Renders the statement as XLSX, CSV or PDF.
pub fn render_soa(e: &SoaExport, format: ExportFormat, at: Timestamp, by: &str) -> Result<Vec<u8>> {
    match format {
        ExportFormat::Pdf => {
            let mut o = PdfOptions::new(report_time(at)?);
            o.orientation = c981_report::pdf::Orientation::Landscape;
            Ok(c981_report::pdf::render(&soa_pdf_doc(e), &o))
        }
        other => crate::risk_export::render(&soa_report(e), other, at, by),
    }
}

/// The three OSCAL documents of a statement: catalog, profile (the applicable controls) and
/// system security plan.
#[derive(Debug, Clone)]
pub struct OscalSet {
    pub catalog: String,
    pub profile: String,
    pub ssp: String,
}

fn info(title: String, version: String, at: c981_report::Timestamp, remarks: Option<String>) -> oscal::DocumentInfo {
    oscal::DocumentInfo { title, version, last_modified: at, published: None, remarks }
}

/// Builds the OSCAL documents; `texts` are licensed descriptions and guidance by control id.
pub fn oscal_documents(
    e: &SoaExport,
    texts: &std::collections::HashMap<String, (String, String)>,
    at: Timestamp,
    organisation: &str,
) -> Result<OscalSet> {
    let d = &e.doc;
    let t = report_time(at)?;
    let err = |e: oscal::OscalError| AppError::Internal(e.to_string());
    let catalog = oscal::CatalogInput {
        key: crate::soa::ANNEX_A.into(),
        info: info(
            "ISO/IEC 27001:2022 Annex A".into(),
            "2022".into(),
            t.clone(),
            Some(
                "Control ids and short titles only; the control text of the standard is copyrighted and is included \
                 only where the organisation imported its licensed copy."
                    .into(),
            ),
        ),
        id_prefix: oscal::ANNEX_A_PREFIX.into(),
        controls: annex_a::controls()
            .iter()
            .map(|c| {
                let id = c.id.to_string();
                let (statement, guidance) = texts.get(&id).cloned().unwrap_or_default();
                oscal::Control {
                    id,
                    theme: c.theme.label().to_owned(),
                    title: c.title.to_owned(),
                    statement: (!statement.is_empty()).then_some(statement),
                    guidance: (!guidance.is_empty()).then_some(guidance),
                }
            })
            .collect(),
    };
    let entries: Vec<oscal::SoaEntry> = d
        .lines
        .iter()
        .map(|l| oscal::SoaEntry {
            control_id: l.control.clone(),
            applicable: l.applicability == "applicable",
            justification: l.justification.clone(),
            status: match (l.applicability.as_str(), l.status.as_str()) {
                ("applicable", "implemented") => oscal::ImplementationStatus::Implemented,
                ("applicable", "partial") => oscal::ImplementationStatus::Partial,
                ("applicable", "planned") => oscal::ImplementationStatus::Planned,
                ("applicable", _) => oscal::ImplementationStatus::NotStarted,
                _ => oscal::ImplementationStatus::NotApplicable,
            },
            how_implemented: l.implementation.clone(),
            owner: (!l.owner.is_empty()).then(|| l.owner.clone()),
            risk_ids: l.risks.iter().map(|r| format!("R-{}", r.id)).collect(),
            evidence: l
                .evidence
                .iter()
                .map(|x| oscal::Evidence {
                    title: x.title.clone(),
                    href: if x.kind == "link" {
                        x.reference.clone()
                    } else if !x.file_name.is_empty() {
                        format!("evidence/{}-{}", x.id, x.file_name)
                    } else if !x.reference.is_empty() {
                        x.reference.clone()
                    } else {
                        format!("evidence-{}", x.id)
                    },
                    sha256: x.sha256.clone(),
                    date: Some(x.evidence_date.clone()),
                })
                .collect(),
            requirements: l.requirements.iter().map(|r| format!("IEC 62443-3-3 {r}")).collect(),
        })
        .collect();
    let version = e.version.map_or_else(|| "draft".to_owned(), |n| n.to_string());
    let key = format!("c981-scope-{}", d.scope.id);
    let profile = oscal::ProfileInput {
        key: key.clone(),
        info: info(format!("Applicable controls — {}", d.scope.name), version.clone(), t.clone(), None),
        catalog_href: "catalog.json".into(),
        id_prefix: oscal::ANNEX_A_PREFIX.into(),
        control_ids: oscal::ProfileInput::applicable_ids(&entries),
    };
    let s = &d.scope;
    let mut boundary = s.statement.clone();
    if !s.interfaces.is_empty() {
        boundary.push_str("\n\nInterfaces to systems outside the scope:\n");
        for i in &s.interfaces {
            boundary.push_str(&format!(
                "\n- {} to {} (responsible: {}): {}",
                i.name, i.external_system, i.responsible_party, i.boundary
            ));
        }
    }
    boundary.push_str(&format!("\n\nExclusions: {}", s.exclusions));
    let ssp = oscal::SspInput {
        key,
        info: info(format!("ISMS system security plan — {}", s.name), version, t, None),
        namespace: oscal::DEFAULT_NAMESPACE.into(),
        organisation: organisation.to_owned(),
        profile_href: "profile.json".into(),
        id_prefix: oscal::ANNEX_A_PREFIX.into(),
        system: oscal::SystemInfo {
            id: format!("{}-scope-{}", d.site_code, s.id),
            name: s.name.clone(),
            short_name: None,
            description: s.statement.clone(),
            sensitivity: "moderate".into(),
            information_types: vec![oscal::InformationType {
                title: "Production and control system information".into(),
                description: format!(
                    "Process data, commands, configurations and records of the systems in the ISMS scope of {}.",
                    d.site.name
                ),
                categorizations: Vec::new(),
                confidentiality: oscal::Impact::Moderate,
                integrity: oscal::Impact::High,
                availability: oscal::Impact::High,
            }],
            state: oscal::SystemState::Operational,
            boundary,
        },
        users: s.teams.iter().map(|t| oscal::SystemUser { title: t.clone(), role: None }).collect(),
        entries,
    };
    Ok(OscalSet {
        catalog: oscal::catalog_json(&catalog).map_err(err)?,
        profile: oscal::profile_json(&profile).map_err(err)?,
        ssp: oscal::ssp_json(&ssp).map_err(err)?,
    })
}

/// What an audit evidence bundle holds and says of itself.
#[derive(Debug, Clone)]
pub struct BuiltBundle {
    pub bytes: Vec<u8>,
    pub manifest_sha256: String,
    pub file_name: String,
    pub files: Vec<String>,
}

impl App {
    /// The statement an export is of, with the signatures on the version.
    pub async fn soa_export(&self, ctx: &Ctx, scope_id: i64, which: Which) -> Result<SoaExport> {
        let versions = self.soa_versions(ctx, scope_id).await?;
        let chosen = match which {
            Which::Current => None,
            Which::Latest => Some(versions.last().cloned().ok_or_else(|| {
                AppError::NotFoundText(format!("scope {scope_id} has no frozen statement of applicability yet"))
            })?),
            Which::Version(n) => Some(self.soa_version_by_number(ctx, scope_id, n).await?),
        };
        match chosen {
            None => Ok(SoaExport {
                doc: self.soa_doc(ctx, scope_id).await?,
                version: None,
                version_id: None,
                signatures: Vec::new(),
            }),
            Some(v) => {
                let doc = self.soa_version_doc(ctx, v.id).await?;
                let views = self.signatures::<c981_domain::SoaVersion>(ctx, v.id).await?;
                let signatures = views
                    .iter()
                    .map(|g| SignatureLine {
                        name: g.printed_name.clone(),
                        meaning: g.meaning.label().to_owned(),
                        at: g.signed_at.to_string(),
                        status: g.status.label().to_owned(),
                    })
                    .collect();
                Ok(SoaExport { doc, version: Some(v.number), version_id: Some(v.id), signatures })
            }
        }
    }

    /// Licensed texts imported for Annex A, by control id: (description, guidance).
    pub async fn annex_a_texts(&self, ctx: &Ctx) -> Result<std::collections::HashMap<String, (String, String)>> {
        Ok(self
            .catalog_items(ctx, crate::soa::ANNEX_A, None)
            .await?
            .into_iter()
            .filter(|i| !i.description.is_empty() || !i.guidance.is_empty())
            .map(|i| (i.id, (i.description, i.guidance)))
            .collect())
    }

    /// The OSCAL documents of a statement.
    pub async fn soa_oscal(&self, ctx: &Ctx, scope_id: i64, which: Which) -> Result<OscalSet> {
        let e = self.soa_export(ctx, scope_id, which).await?;
        let texts = self.annex_a_texts(ctx).await?;
        let org = self.store().meta("organisation").await?.unwrap_or_else(|| e.doc.site.name.clone());
        oscal_documents(&e, &texts, self.now(), &org)
    }

    /// Builds the audit evidence bundle of a scope for a period: the statement (XLSX, PDF,
    /// OSCAL), the risk register of the site, the scope, the audit-trail extract of the site
    /// for the period, uploaded evidence files, and the manifest of SHA-256 hashes. The build
    /// is audited with the manifest's SHA-256, so `c981 bundle verify` can tell an edited
    /// manifest from the one this server wrote.
    pub async fn soa_bundle(
        &self,
        ctx: &Ctx,
        scope_id: i64,
        which: Which,
        from: &str,
        to: &str,
    ) -> Result<BuiltBundle> {
        // A scope out of the caller's sites is not found, whatever the role.
        self.get::<IsmsScope>(ctx, scope_id).await?;
        let Some(audit_scope) = ctx.actor.audit_scope() else {
            return Err(AppError::Forbidden(format!(
                "{} may not build an evidence bundle: it holds an audit-trail extract, which needs the auditor, ISMS \
                 manager or administrator role",
                ctx.actor.name
            )));
        };
        let parse_day = |field: &str, s: &str| {
            c981_report::CalendarDate::parse(s.trim())
                .map_err(|_| AppError::field(field, format!("{s:?} is not a date (YYYY-MM-DD)")))
        };
        let period = Period { from: parse_day("from", from)?, to: parse_day("to", to)? };
        if period.to < period.from {
            return Err(AppError::field("to", "the period ends before it starts"));
        }
        let e = self.soa_export(ctx, scope_id, which).await?;
        let now = self.now();
        let stem = e.stem();
        let mut files = vec![
            BundleFile {
                path: format!("soa/{stem}.xlsx"),
                bytes: render_soa(&e, ExportFormat::Xlsx, now, &ctx.actor.name)?,
            },
            BundleFile {
                path: format!("soa/{stem}.pdf"),
                bytes: render_soa(&e, ExportFormat::Pdf, now, &ctx.actor.name)?,
            },
            BundleFile {
                path: format!("soa/{stem}.csv"),
                bytes: render_soa(&e, ExportFormat::Csv, now, &ctx.actor.name)?,
            },
        ];
        let texts = self.annex_a_texts(ctx).await?;
        let org = self.store().meta("organisation").await?.unwrap_or_else(|| e.doc.site.name.clone());
        let o = oscal_documents(&e, &texts, now, &org)?;
        files.push(BundleFile { path: "oscal/catalog.json".into(), bytes: o.catalog.into_bytes() });
        files.push(BundleFile { path: "oscal/profile.json".into(), bytes: o.profile.into_bytes() });
        files.push(BundleFile { path: "oscal/ssp.json".into(), bytes: o.ssp.into_bytes() });
        let site = c981_domain::SiteId::new(e.doc.site.id);
        let register =
            self.risk_register_report(ctx, &ExportQuery { site_id: Some(site), ..Default::default() }).await?;
        files.push(BundleFile {
            path: "risks/risk-register.xlsx".into(),
            bytes: crate::risk_export::render(&register, ExportFormat::Xlsx, now, &ctx.actor.name)?,
        });
        let scope = self.get::<IsmsScope>(ctx, scope_id).await?;
        let scope_json = json!({ "scope": e.doc.scope, "record": scope.data, "record_version": scope.version });
        files.push(BundleFile {
            path: "scope/scope.json".into(),
            bytes: serde_json::to_vec_pretty(&scope_json).map_err(|x| AppError::Internal(x.to_string()))?,
        });
        // The audit trail of the site for the period (entries of the site and of no site).
        let start = Timestamp::parse(&format!("{}T00:00:00Z", period.from)).map_err(AppError::Internal)?;
        let end = Timestamp::parse(&format!("{}T23:59:59.999999Z", period.to)).map_err(AppError::Internal)?;
        let mut entries = Vec::new();
        let mut after = None;
        loop {
            let q = AuditQuery {
                from: Some(start),
                to: Some(end),
                after_seq: after,
                limit: Some(10_000),
                ..Default::default()
            };
            let page = self.store().audit_entries(&audit_scope, &q).await?;
            let n = page.len();
            after = page.last().map(|x| x.seq);
            entries.extend(page.into_iter().filter(|x| x.draft.site_id.is_none_or(|s| s == site.get())));
            if n < 10_000 || entries.len() > 2_000_000 {
                break;
            }
        }
        let mut csv = Vec::new();
        crate::audit::write_csv(&entries, &mut csv)?;
        files.push(BundleFile { path: "audit/audit-trail.csv".into(), bytes: csv });
        let mut jsonl = Vec::new();
        crate::audit::write_json(&entries, &mut jsonl)?;
        files.push(BundleFile { path: "audit/audit-trail.json".into(), bytes: jsonl });
        // Uploaded evidence files the statement links.
        let mut seen = std::collections::HashSet::new();
        for l in &e.doc.lines {
            for x in &l.evidence {
                if x.kind == "file"
                    && seen.insert(x.id)
                    && let Some(f) = self.store().evidence_file(&ctx.actor.scope, x.id).await?
                {
                    let name: String = x
                        .file_name
                        .chars()
                        .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
                        .collect();
                    files.push(BundleFile { path: format!("evidence/{}-{name}", x.id), bytes: f.content });
                }
            }
        }
        let title = format!("ISO/IEC 27001 audit evidence — {} ({})", e.doc.scope.name, e.doc.site_code);
        let input = BundleInput {
            title: title.clone(),
            scope: e.doc.scope.statement.clone(),
            period,
            generated_at: report_time(now)?,
            files,
        };
        let built = bundle::build(&input).map_err(|x| AppError::Internal(x.to_string()))?;
        let names: Vec<String> = input.files.iter().map(|f| f.path.clone()).collect();
        let changes = json!({
            "bundle": { "old": null, "new": title },
            "manifest_sha256": { "old": null, "new": built.manifest_sha256 },
            "period": { "old": null, "new": format!("{} to {}", period.from, period.to) },
            "files": { "old": null, "new": names.len() },
            "version": { "old": null, "new": e.version },
        });
        self.store()
            .append_audit(
                &self.meta(ctx),
                Action::Export,
                EntityKind::Bundle,
                Some(scope_id),
                Some(site.get()),
                changes.to_string(),
            )
            .await?;
        Ok(BuiltBundle {
            bytes: built.bytes,
            manifest_sha256: built.manifest_sha256,
            file_name: format!("{stem}-evidence-{}-{}.zip", period.from, period.to),
            files: names,
        })
    }

    /// Whether this server's audit trail records building a bundle with this manifest hash.
    pub async fn bundle_recorded(
        &self,
        ctx: &Ctx,
        manifest_sha256: &str,
    ) -> Result<Option<c981_domain::audit::AuditEntry>> {
        let Some(scope) = ctx.actor.audit_scope() else { return Ok(None) };
        let q = AuditQuery { entity_type: Some(EntityKind::Bundle), limit: Some(100_000), ..Default::default() };
        let needle = manifest_sha256.trim().to_ascii_lowercase();
        Ok(self.store().audit_entries(&scope, &q).await?.into_iter().find(|e| {
            serde_json::from_str::<serde_json::Value>(&e.draft.changes).ok().is_some_and(|c| {
                c.get("manifest_sha256").and_then(|c| c.get("new")).and_then(|v| v.as_str()) == Some(needle.as_str())
            })
        }))
    }
}
