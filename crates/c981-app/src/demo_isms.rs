//! The ISMS of the demo and synthetic estates: one scope per site (its zones, systems and
//! out-of-scope interfaces), evidence, and Statements of Applicability at three stages: the
//! first site's complete and frozen as version 1, the second's two thirds decided, the third's
//! not started. A synthetic estate gets every site's statement complete, so the dashboard has
//! the group to roll up.
//!
//! Decisions are deterministic and follow the estate: a control is selected for the risks of
//! the register that name it (their ids are the justification), excluded only where the demo
//! plants have nothing it could apply to (with the reason), and otherwise justified by the
//! clause of the ISMS or the kind of systems in scope that need it.

use std::collections::BTreeMap;

use c981_domain::annex_a::{self, Theme};
use c981_domain::{
    Evidence, EvidenceInput, Interface, IsmsScope, IsmsScopeInput, Record, Risk, Site, SoaEntry, SoaEntryInput,
    SystemUnderConsideration, Zone,
};

use c981_domain::Entity as _;

use crate::{App, Ctx, ListParams, Result};

/// How far a site's statement is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Every control decided, frozen as version 1.
    Frozen,
    /// Every control decided, not frozen.
    Complete,
    /// Two thirds decided.
    InProgress,
    /// Scope only.
    Scoped,
}

/// Controls the demo plants exclude, with the reason.
const EXCLUSIONS: &[(&str, &str)] = &[
    (
        "8.11",
        "The systems in scope hold process data, recipes and machine states but no personal or customer data that \
         masking would protect; operator names in batch records are needed in clear by GMP.",
    ),
    (
        "8.30",
        "No software for the systems in scope is developed by others on our behalf: vendor firmware and SCADA \
         packages are bought as products and governed as supplier relationships (5.19 to 5.22).",
    ),
];

fn baseline(theme: Theme) -> &'static str {
    match theme {
        Theme::Organizational => {
            "Required to run the ISMS (clauses 5 to 10) across the plant and by the group information security policy."
        }
        Theme::People => {
            "Applies to everyone with access to the plant networks: staff, contractors and vendor technicians."
        }
        Theme::Physical => "The control rooms, network cabinets and field devices in scope sit in the plant buildings.",
        Theme::Technological => {
            "Needed by the systems in scope: IIoT gateways, SCADA servers, PLCs and the networks between them."
        }
    }
}

fn implementation(theme: Theme, control: &str) -> String {
    match theme {
        Theme::Organizational => format!(
            "Plant procedure QP-ISMS-{} under the group policy, owned by the ISMS manager.",
            control.replace('.', "")
        ),
        Theme::People => {
            "HR onboarding and contractor induction with the OT security briefing; yearly refresher.".into()
        }
        Theme::Physical => "Badge access to control rooms and cabinets, CCTV at the network rooms, visitor log.".into(),
        Theme::Technological => format!(
            "Implemented in the zones of the scope as described in the zone and conduit model (control {control})."
        ),
    }
}

async fn all<T: c981_store::Table>(app: &App, ctx: &Ctx, site: &Record<Site>) -> Result<Vec<Record<T>>> {
    Ok(app.list::<T>(ctx, &ListParams { site_id: Some(site.id), limit: Some(1000), ..Default::default() }).await?.items)
}

/// What an ISMS load created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IsmsCounts {
    pub scopes: usize,
    pub evidence: usize,
    pub entries: usize,
    pub versions: usize,
}

impl IsmsCounts {
    fn add(&mut self, o: IsmsCounts) {
        self.scopes += o.scopes;
        self.evidence += o.evidence;
        self.entries += o.entries;
        self.versions += o.versions;
    }

    /// Adds the counts to a load's summary.
    pub fn add_to(self, s: &mut crate::demo::DemoSummary) {
        s.scopes += self.scopes;
        s.evidence += self.evidence;
        s.soa_entries += self.entries;
        s.soa_versions += self.versions;
    }
}

/// Creates the scope of a site, its evidence and its statement up to `stage`.
pub async fn load_site_isms(app: &App, ctx: &Ctx, site: &Record<Site>, stage: Stage) -> Result<IsmsCounts> {
    let mut counts = IsmsCounts { scopes: 1, ..Default::default() };
    let zones = all::<Zone>(app, ctx, site).await?;
    let systems = all::<SystemUnderConsideration>(app, ctx, site).await?;
    let interfaces = all::<Interface>(app, ctx, site).await?;
    let risks = all::<Risk>(app, ctx, site).await?;
    let name = site.data.name.as_str();
    let scope = app
        .create::<IsmsScope>(
            ctx,
            &IsmsScopeInput {
                site_id: Some(site.id.to_string()),
                name: Some(format!("ISMS of {name}")),
                statement: Some(format!(
                    "The information security management system for the operation and maintenance of the production \
                     control systems and the industrial IoT platform of {name}: the plant networks and their \
                     zones, the IIoT gateways and their MQTT broker, SCADA and historian, and the teams that run them."
                )),
                zone_ids: zones.iter().map(|z| z.id.to_string()).collect(),
                system_ids: systems.iter().map(|s| s.id.to_string()).collect(),
                services: vec![
                    "IIoT platform (edge gateways, Sparkplug B broker)".into(),
                    "Plant historian".into(),
                    "Remote access jump host".into(),
                ],
                teams: vec!["OT security".into(), "Controls engineering".into(), "Plant IT operations".into()],
                interface_ids: interfaces.iter().map(|i| i.id.to_string()).collect(),
                exclusions: Some(
                    "The corporate ERP and MES and the group data centre are run under the group IT ISMS and are \
                     outside this scope; the interfaces to them are listed with their responsible parties. Office IT \
                     at the plant is outside the scope."
                        .into(),
                ),
                owner: Some("Plant ISMS manager".into()),
                next_review: Some("2027-06-30".into()),
            },
        )
        .await?;
    if stage == Stage::Scoped {
        return Ok(counts);
    }
    // Evidence of the plant.
    let mut evidence: BTreeMap<&str, i64> = BTreeMap::new();
    for (key, title, kind, reference, date) in [
        ("policy", "Information security policy, plant edition", "document", "QP-ISMS-001 rev. 4", "2026-09-15"),
        ("firewall", "Firewall rule review of the plant conduits", "record", "CHG-2026-0412", "2026-10-02"),
        ("backup", "Restore test of the SCADA and PLC backups", "record", "TST-2026-031", "2026-08-20"),
        (
            "training",
            "OT security awareness training records",
            "link",
            "https://lms.example.com/ot-security/2026",
            "2026-11-01",
        ),
    ] {
        let e = app
            .create::<Evidence>(
                ctx,
                &EvidenceInput {
                    site_id: Some(site.id.to_string()),
                    title: Some(title.into()),
                    kind: Some(kind.into()),
                    reference: Some(reference.into()),
                    evidence_date: Some(date.into()),
                    ..Default::default()
                },
            )
            .await?;
        evidence.insert(key, e.id.get());
        counts.evidence += 1;
    }
    let evidence_for = |control: &str| -> Vec<String> {
        let key = match control {
            "5.1" | "5.2" | "5.4" => Some("policy"),
            "8.20" | "8.21" | "8.22" => Some("firewall"),
            "8.13" | "5.30" => Some("backup"),
            "6.3" => Some("training"),
            _ => None,
        };
        key.and_then(|k| evidence.get(k)).map(|id| vec![id.to_string()]).unwrap_or_default()
    };
    let controls = annex_a::controls();
    let decide = match stage {
        Stage::InProgress => controls.len() * 2 / 3,
        _ => controls.len(),
    };
    let mut entries = Vec::new();
    for (n, c) in controls.iter().take(decide).enumerate() {
        let id = c.id.to_string();
        let treating: Vec<&Record<Risk>> = risks.iter().filter(|r| r.data.control_ids.contains(&id)).collect();
        let excluded = EXCLUSIONS.iter().find(|(x, _)| *x == id).map(|(_, why)| *why);
        let input = match excluded {
            Some(why) => SoaEntryInput {
                applicability: Some("not_applicable".into()),
                justification: Some(why.into()),
                ..Default::default()
            },
            None => {
                let justification = if treating.is_empty() {
                    baseline(c.theme).to_owned()
                } else {
                    format!(
                        "Selected to treat {}.",
                        treating
                            .iter()
                            .map(|r| format!("R-{} ({})", r.id, r.data.display_name()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                let status =
                    ["implemented", "implemented", "partial", "implemented", "planned", "implemented", "not_started"]
                        [n % 7];
                SoaEntryInput {
                    applicability: Some("applicable".into()),
                    justification: Some(justification),
                    status: Some(status.into()),
                    implementation: Some(if status == "not_started" {
                        String::new()
                    } else {
                        implementation(c.theme, &id)
                    }),
                    owner: Some(
                        match c.theme {
                            Theme::Organizational => "ISMS manager",
                            Theme::People => "HR business partner",
                            Theme::Physical => "Facility manager",
                            Theme::Technological => "OT security lead",
                        }
                        .into(),
                    ),
                    risk_ids: treating.iter().map(|r| r.id.to_string()).collect(),
                    evidence_ids: evidence_for(&id),
                    next_review: Some(if n % 17 == 5 { "2026-11-30".into() } else { "2027-09-30".into() }),
                    ..Default::default()
                }
            }
        };
        let input = SoaEntryInput {
            site_id: Some(site.id.to_string()),
            scope_id: Some(scope.id.to_string()),
            control: Some(id),
            ..input
        };
        entries.push(SoaEntry::parse(&input)?);
    }
    counts.entries = entries.len();
    app.bulk_create::<SoaEntry>(ctx, &entries).await?;
    if stage == Stage::Frozen {
        app.freeze_soa(ctx, scope.id.get(), "First complete statement for the certification audit").await?;
        counts.versions = 1;
    }
    Ok(counts)
}

/// The ISMS of the demo estate: the first site frozen, the second in progress, the others
/// scoped.
pub async fn load_demo_isms(app: &App, ctx: &Ctx) -> Result<IsmsCounts> {
    let sites = app.list::<Site>(ctx, &ListParams { limit: Some(1000), ..Default::default() }).await?.items;
    let mut n = IsmsCounts::default();
    for (i, site) in sites.iter().enumerate() {
        let stage = match i {
            0 => Stage::Frozen,
            1 => Stage::InProgress,
            _ => Stage::Scoped,
        };
        n.add(load_site_isms(app, ctx, site, stage).await?);
    }
    Ok(n)
}

/// The ISMS of a synthetic estate: every site's statement complete, one in three frozen.
pub async fn load_synthetic_isms(app: &App, ctx: &Ctx) -> Result<IsmsCounts> {
    let mut n = IsmsCounts::default();
    let mut cursor = None;
    let mut i = 0;
    loop {
        let page = app
            .list::<Site>(ctx, &ListParams { cursor: cursor.take(), limit: Some(1000), ..Default::default() })
            .await?;
        for site in &page.items {
            let stage = if i % 3 == 0 { Stage::Frozen } else { Stage::Complete };
            n.add(load_site_isms(app, ctx, site, stage).await?);
            i += 1;
        }
        match page.next_after {
            Some(x) => cursor = Some(x.to_string()),
            None => break,
        }
    }
    Ok(n)
}
