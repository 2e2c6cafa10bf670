//! The demo estate and the synthetic estates: ways to fill an empty database without a
//! customer's data.
//!
//! - [`load_demo`] loads a realistic estate written by hand from domain knowledge (no copied
//!   data): a sterile fill-finish plant in France (pharma, GxP, 21 CFR Part 11, EU GMP Annex 11,
//!   NIS2), an aerostructures machining plant in the United States (AS9100, export control) and
//!   a bottling plant in Spain (food safety, NIS2). Each is organised by the Purdue model into
//!   IEC 62443 zones (enterprise, industrial DMZ, site operations, supervisory, control cells,
//!   safety, field, vendor remote access, cloud, temporary and wireless) joined by conduits
//!   with their allowed services, and holds some 150 to 250 assets of real-world makes, dozens
//!   of documented and observed data flows, and the interfaces to the MES, ERP and other
//!   systems outside the ISMS scope. Like a real brownfield plant it has things to find:
//!   controllers past their end of support, an OEM gateway cabled into a machine network,
//!   devices and flows seen in traffic that nobody declared. Each site also holds a few rated
//!   risks (vendor remote access, ransomware from IT, writes to safety controllers, engineering
//!   laptops, a cloud platform outage) at various stages of treatment.
//! - [`load_synthetic`] loads a deterministic estate of any size (100 sites × 10,000 assets
//!   and beyond) for benchmarks, generated from a seed by a small PRNG.
//! - [`write_synthetic_csv`] writes the same synthetic estate as CSV files, without a database.
//!
//! Both loaders refuse a database that already holds sites, and write through the use cases
//! ([`App::create`] for sites, zones and conduits, [`App::bulk_create`] for assets, flows and
//! interfaces), so that every record is authorized and audited like any other write. Both are
//! deterministic: the same call gives the same estate, record for record.
//!
//! # CSV files
//!
//! [`write_synthetic_csv`] writes one UTF-8 file per entity, comma-separated with a header
//! row, for the importer to read back. The columns are the fields of the entity's input
//! (`SiteInput`, `ZoneInput`, …), in the order below, except that references name things
//! instead of giving database ids:
//!
//! | file | columns |
//! |---|---|
//! | `sites.csv` | `code, name, country, time_zone, industry, regulations, description` |
//! | `zones.csv` | `site, name, kind, purdue_level, subnets, sl_target, criticality, description` |
//! | `conduits.csv` | `site, name, zones, services, direction, encryption_required, sl_target, description` |
//! | `assets.csv` | `site, zone, name, kind, vendor, model, serial, firmware, ip_addresses, mac_addresses, protocols, purdue_level, criticality, owner, in_service, end_of_support, legacy, in_scope, provenance, sources, first_seen, last_seen, tags, description, safety_related, wireless, temporarily_connected, externally_reached, sl_capability` |
//! | `flows.csv` | `site, source, source_external, destination, destination_external, protocol, port, direction, encrypted, purpose, documented, observed, first_seen, last_seen, connection_count, byte_count` |
//! | `interfaces.csv` | `site, name, system_kind, external_system, responsible_party, boundary, asset, zone, protocols, direction, data_exchanged` |
//!
//! - `site` is the site's code; `zone` the name of a zone of that site (empty: no zone);
//!   `zones` the names of a conduit's zones, the sending zone first on a one-way conduit;
//! - `source` and `destination` name an asset of the site; an endpoint outside the inventory
//!   is given in `source_external` / `destination_external` instead (exactly one of each pair
//!   is filled); `asset` names the asset that terminates an interface (empty: none);
//! - lists (`regulations`, `subnets`, `zones`, `services`, addresses, `protocols`, `sources`,
//!   `tags`) are joined with `;`; booleans are `true` or `false`; dates and times are RFC 3339;
//!   an empty cell is an absent value.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io;
use std::net::Ipv4Addr;
use std::path::Path;

use c981_domain::entity::Entity;
use c981_domain::{
    Asset, AssetId, AssetInput, Conduit, ConduitDirection, ConduitInput, DataFlow, FlowDirection, FlowInput, Industry,
    Interface, InterfaceDirection, InterfaceInput, InterfaceKind, Provenance, Regulation, Site, SiteInput, Timestamp,
    ValidationError, Zone, ZoneId, ZoneInput, ZoneKind,
};
use c981_domain::{AssetKind as K, Criticality as C, PurdueLevel as L};
use serde::Serialize;
use serde_json::Value;

use crate::{App, AppError, Ctx, ListParams, Result};

/// What a load created, or what a CSV export wrote, by entity.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DemoSummary {
    pub sites: usize,
    pub zones: usize,
    pub conduits: usize,
    pub assets: usize,
    pub flows: usize,
    pub interfaces: usize,
    pub requirement_statuses: usize,
    pub risks: usize,
    pub suppliers: usize,
    pub scopes: usize,
    pub evidence: usize,
    pub soa_entries: usize,
    pub soa_versions: usize,
}

/// Records where the IEC 62443-3-3 requirements stand in the zones of every site, so that
/// achieved levels and gaps have something to show: in zones that hold control, safety and
/// DMZ systems most requirements their target asks for are implemented, some only planned
/// (deterministically, one in five), SR 1.6 (wireless) does not apply where there is no
/// wireless, and network segmentation is met in part by a compensating countermeasure.
async fn requirement_statuses(app: &App, ctx: &Ctx) -> Result<usize> {
    use c981_domain::iec62443;
    use c981_domain::{RequirementStatus, RequirementStatusInput, Zone, ZoneKind};
    let mut total = 0;
    let mut cursor = None;
    loop {
        let page = app
            .list::<Zone>(ctx, &crate::ListParams { cursor: cursor.clone(), limit: Some(1000), ..Default::default() })
            .await?;
        let mut items = Vec::new();
        for z in &page.items {
            if !matches!(z.data.kind, ZoneKind::Control | ZoneKind::Safety | ZoneKind::Dmz | ZoneKind::Supervisory) {
                continue;
            }
            let zid: i64 = z.id.into();
            for (i, r) in iec62443::required_for(z.data.sl_target).enumerate() {
                let (status, why) = if r.id.fr == 1 && r.id.sr == 6 && z.data.kind != ZoneKind::Wireless {
                    ("not_applicable", "no wireless access in this zone")
                } else if r.id.fr == 5 && r.id.sr == 1 && r.id.re == Some(1) {
                    ("compensated", "unidirectional gateway towards the DMZ; VLAN separation inside the cell")
                } else if (zid as usize + i).is_multiple_of(5) {
                    ("planned", "")
                } else {
                    ("implemented", "")
                };
                let input = RequirementStatusInput {
                    site_id: Some(z.data.site_id.to_string()),
                    zone_id: Some(zid.to_string()),
                    requirement: Some(r.id.to_string()),
                    status: Some(status.into()),
                    justification: Some(why.into()),
                    owner: Some("OT security lead".into()),
                    ..Default::default()
                };
                items.push(RequirementStatus::parse(&input)?);
            }
        }
        for chunk in items.chunks(2000) {
            total += app.bulk_create(ctx, chunk).await?.len();
        }
        match page.next_after {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    Ok(total)
}

/// Records a few risks of every demo site, as an OT security lead would write them after a
/// first assessment: vendor remote access into supervisory systems, ransomware from enterprise
/// IT, unauthenticated writes to safety-related controllers, engineering laptops, and an
/// outage of the cloud IIoT platform; in various states, some with actions or reviews overdue
/// (the demo is loaded at any date, so fixed dates end up past). Each names the site's own
/// zones, conduits and interfaces, found by kind and name.
/// How many suppliers [`demo_suppliers`] creates per site.
const DEMO_SUPPLIERS: usize = 3;

/// The suppliers of a demo site: a machine builder that reaches the plant remotely, the cloud
/// IIoT platform provider, and the system integrator.
async fn demo_suppliers(app: &App, ctx: &Ctx, site: &c981_domain::Record<Site>) -> Result<(i64, i64)> {
    use c981_domain::{Supplier, SupplierInput};
    let plant = site.data.name.to_string();
    let items = [
        serde_json::json!({
            "name": "Machine builder field service",
            "kind": "machine_builder",
            "services": format!("Maintenance, remote diagnostics and program changes of the packaging and filling machines of {plant}."),
            "contact": "service-desk@machine-builder.example",
            "contract": "Service agreement SA-2024-117, security annex B",
            "criticality": "high",
            "remote_access": true,
            "patching": "supplier",
            "monitoring": "us",
            "incident_notice_hours": 24,
            "security_requirements": "Named accounts per technician; sessions approved by the shift lead and recorded; no standing access; IEC 62443-2-4 SP.07 (remote access) and SP.11 (patch management) capabilities.",
            "certifications": ["IEC 62443-2-4 (maturity level 2)"],
            "assessed_on": "2026-03-12",
            "next_review": "2027-03-31",
        }),
        serde_json::json!({
            "name": "Cloud IIoT platform provider",
            "kind": "cloud_provider",
            "services": "Hosted MQTT ingestion, condition-monitoring analytics and dashboards for the edge gateways.",
            "contact": "security@iiot-platform.example",
            "contract": "Subscription agreement with data processing and security schedule",
            "criticality": "medium",
            "remote_access": false,
            "patching": "supplier",
            "monitoring": "shared",
            "incident_notice_hours": 72,
            "security_requirements": "Tenant isolation; TLS 1.2 or later for device connections; customer-managed device certificates; export of logs on request.",
            "certifications": ["ISO/IEC 27001", "SOC 2 Type II"],
            "assessed_on": "2025-11-20",
            "next_review": "2026-11-30",
        }),
        serde_json::json!({
            "name": "Automation system integrator",
            "kind": "system_integrator",
            "services": "Engineering of PLC and SCADA changes, commissioning of new lines, on-site support.",
            "contact": "projects@integrator.example",
            "contract": "Framework agreement FA-2023-08",
            "criticality": "high",
            "remote_access": false,
            "patching": "shared",
            "monitoring": "nobody",
            "security_requirements": "Laptops scanned before connection; project files exchanged through the plant's file transfer only.",
            "certifications": [],
            "next_review": "2027-01-31",
        }),
    ];
    let mut ids = Vec::new();
    for mut v in items {
        v["site_id"] = Value::from(site.id.get());
        let input: SupplierInput =
            serde_json::from_value(v).map_err(|e| AppError::Internal(format!("demo supplier: {e}")))?;
        ids.push(app.create::<Supplier>(ctx, &input).await?.id.get());
    }
    Ok((ids[0], ids[1]))
}

/// The demo's risks and suppliers of every site: `(risks, suppliers)`.
async fn demo_risks(app: &App, ctx: &Ctx) -> Result<(usize, usize)> {
    use c981_domain::{Conduit, Risk, RiskInput, ZoneKind};
    let sites = app.list::<Site>(ctx, &ListParams { limit: Some(1000), ..Default::default() }).await?;
    let mut total = 0;
    let mut suppliers = 0;
    for site in &sites.items {
        let here = ListParams { site_id: Some(site.id), limit: Some(1000), ..Default::default() };
        let zones = app.list::<Zone>(ctx, &here).await?.items;
        let conduits = app.list::<Conduit>(ctx, &here).await?.items;
        let interfaces = app.list::<Interface>(ctx, &here).await?.items;
        let zone = |k: ZoneKind| zones.iter().find(|z| z.data.kind == k).map(|z| z.id.get());
        let supervisory = zones
            .iter()
            .filter(|z| z.data.kind == ZoneKind::Supervisory)
            .find(|z| z.data.purdue_level == Some(L::L2))
            .map(|z| z.id.get());
        let operations = zones
            .iter()
            .filter(|z| z.data.kind == ZoneKind::Supervisory)
            .find(|z| z.data.purdue_level == Some(L::L3))
            .map(|z| z.id.get());
        let conduit = |prefix: &str| {
            conduits
                .iter()
                .find(|c| c.data.name.as_str().starts_with(prefix) && !c.data.name.as_str().ends_with("DMZ"))
                .map(|c| c.id.get())
        };
        let vendor = interfaces.iter().find(|i| i.data.system_kind == InterfaceKind::VendorSystem).map(|i| i.id.get());
        let ids = |v: &[Option<i64>]| -> Vec<Value> { v.iter().flatten().map(|x| Value::from(*x)).collect() };
        let site_id = site.id.get();
        let (machine_builder, cloud_provider) = demo_suppliers(app, ctx, site).await?;
        suppliers += DEMO_SUPPLIERS;
        let risks = [
            serde_json::json!({
                "title": "Compromised vendor remote access reaches supervisory systems",
                "threat_source": "An attacker holding a machine builder's service credentials, or the builder's own compromised support network.",
                "threat_event": "Logs in through the remote access gateway outside a planned intervention, then moves from the vendor's jump host to the HMIs and engineering stations of the supervisory network.",
                "vulnerability": "Standing accounts on the gateway without per-session approval; RDP and VNC allowed from the remote access zone to supervisory hosts.",
                "consequence": "Changed recipes or setpoints on running lines; production stopped to requalify; possible loss of batches.",
                "zone_ids": ids(&[zone(ZoneKind::RemoteAccess), supervisory]),
                "conduit_ids": ids(&[conduit("Vendor remote access")]),
                "interface_ids": ids(&[vendor]),
                "supplier_ids": [machine_builder],
                "inherent_likelihood": 4,
                "inherent_impacts": { "safety": 3, "production_continuity": 4, "integrity": 4, "product_quality": 3 },
                "existing_controls": ["Remote access gateway with individual accounts", "Vendor contract with a security clause"],
                "control_ids": ["5.20", "8.5", "8.16"],
                "treatment": "modify",
                "plan": [
                    { "action": "Just-in-time approval of every vendor session by the shift lead, with session recording", "owner": "OT infrastructure lead", "due_date": "2026-10-31", "status": "in_progress", "control_id": "8.5" },
                    { "action": "Remove standing RDP and VNC rules; reach supervisory hosts only through the jump host", "owner": "OT infrastructure lead", "due_date": "2027-03-31", "status": "planned", "control_id": "8.22" },
                ],
                "risk_owner": "Head of production",
                "review_date": "2027-06-30",
                "state": "treatment_planned",
            }),
            serde_json::json!({
                "title": "Ransomware spreads from enterprise IT to the historian and site servers",
                "threat_source": "A criminal ransomware group, after phishing an office user.",
                "threat_event": "Encrypts file shares and servers reachable from enterprise IT, including the DMZ replicas and the site operations servers behind them.",
                "vulnerability": "SMB and RDP reachable from the DMZ into site operations; shared service accounts between IT and OT.",
                "consequence": "Historian and batch records unavailable; lines run without supervision or stop; records must be rebuilt for release.",
                "zone_ids": ids(&[zone(ZoneKind::Enterprise), zone(ZoneKind::Dmz), operations]),
                "conduit_ids": ids(&[conduit("Enterprise – DMZ")]),
                "inherent_likelihood": 3,
                "inherent_impacts": { "production_continuity": 5, "integrity": 3, "product_quality": 4, "financial": 4 },
                "existing_controls": ["Endpoint protection on Windows servers", "Nightly backups to the corporate backup system"],
                "control_ids": ["8.7", "8.13", "8.22"],
                "treatment": "modify",
                "plan": [
                    { "action": "Offline, immutable backups of the historian and batch servers, restore tested every quarter", "owner": "OT infrastructure lead", "due_date": "2026-06-30", "status": "done", "control_id": "8.13" },
                    { "action": "Close SMB and RDP from the DMZ to site operations; separate OT service accounts", "owner": "OT security lead", "due_date": "2027-02-28", "status": "in_progress", "control_id": "8.22" },
                ],
                "residual_likelihood": 2,
                "residual_impacts": { "production_continuity": 3, "integrity": 2, "product_quality": 3 },
                "risk_owner": "Site director",
                "review_date": "2027-03-31",
                "state": "treatment_planned",
            }),
            serde_json::json!({
                "title": "Unauthenticated writes to safety-related controllers from the control network",
                "threat_source": "Malware or a careless engineer on a host of the control network.",
                "threat_event": "Sends writes over an unauthenticated industrial protocol to the safety controllers through the control-to-safety conduit.",
                "vulnerability": "Legacy protocols without authentication; the safety zone shares a conduit with several control cells.",
                "consequence": "A safety function bypassed or tripped; injury to people in the worst case, production stopped in the best.",
                "zone_ids": ids(&[zone(ZoneKind::Control), zone(ZoneKind::Safety)]),
                "conduit_ids": ids(&[conduit("Control – Safety")]),
                "inherent_likelihood": 2,
                "inherent_impacts": { "safety": 5, "production_continuity": 3 },
                "existing_controls": ["Safety controllers in RUN mode with the key removed", "Write protection of the safety program"],
                "control_ids": ["8.20", "8.22"],
                "treatment": "modify",
                "plan": [
                    { "action": "Allow only the safety PLC's peer communication through the control-to-safety conduit", "owner": "Automation engineering", "due_date": "2026-05-31", "status": "done", "control_id": "8.20" },
                    { "action": "Monitor the conduit passively and alarm on any write to the safety controllers", "owner": "OT security lead", "due_date": "2026-07-31", "status": "done", "control_id": "8.16" },
                ],
                "residual_likelihood": 1,
                "residual_impacts": { "safety": 4, "production_continuity": 2 },
                "risk_owner": "EHS manager",
                "review_date": "2026-09-30",
                "state": "treated",
            }),
            serde_json::json!({
                "title": "Infected engineering laptop connected to a control cell",
                "threat_source": "Malware picked up by a contractor's or an engineer's laptop outside the plant.",
                "threat_event": "The laptop is plugged into the control network for a program change and infects engineering software and controllers.",
                "vulnerability": "Temporarily connected devices are not checked before connection; the engineering conduit allows broad protocols.",
                "consequence": "Controller logic changed or lost; line stopped while programs are restored and checked.",
                "zone_ids": ids(&[zone(ZoneKind::Temporary), zone(ZoneKind::Control)]),
                "conduit_ids": ids(&[conduit("Engineering laptops")]),
                "inherent_likelihood": 3,
                "inherent_impacts": { "integrity": 4, "production_continuity": 3 },
                "existing_controls": ["Laptops registered in the asset inventory"],
                "control_ids": ["8.1", "7.10"],
                "risk_owner": "Head of maintenance",
                "review_date": "2027-01-31",
                "state": "assessed",
            }),
            serde_json::json!({
                "title": "Outage of the cloud IIoT platform stops condition monitoring",
                "threat_source": "The platform provider (an outage, an expired certificate) or a denial of service against it.",
                "threat_event": "Vibration and energy data no longer reach the cloud analytics for hours or days.",
                "vulnerability": "Condition monitoring runs only in the cloud; the edge gateways buffer a few hours.",
                "consequence": "Maintenance planned without fresh data for the duration; no effect on control.",
                "zone_ids": ids(&[zone(ZoneKind::Cloud), zone(ZoneKind::Dmz)]),
                "supplier_ids": [cloud_provider],
                "origin": "template:T-CLOUD-OUTAGE",
                "inherent_likelihood": 3,
                "inherent_impacts": { "production_continuity": 2, "integrity": 2 },
                "existing_controls": ["Edge gateways buffer 12 hours of data", "Provider SLA of 99.9 %"],
                "control_ids": ["5.23", "5.30"],
                "treatment": "retain",
                "residual_likelihood": 3,
                "residual_impacts": { "production_continuity": 2, "integrity": 2 },
                "risk_owner": "Reliability engineering lead",
                "review_date": "2027-09-30",
                "state": "treated",
            }),
        ];
        for mut v in risks {
            v["site_id"] = Value::from(site_id);
            let input: RiskInput =
                serde_json::from_value(v).map_err(|e| AppError::Internal(format!("demo risk: {e}")))?;
            app.create::<Risk>(ctx, &input).await?;
            total += 1;
        }
    }
    Ok((total, suppliers))
}

/// `count` synthetic risks of `site`, numbered from `first`: ratings spread over the default
/// model's scales and dimensions, owners, review dates over a year, half identified and half
/// assessed. Deterministic, for benchmarks of the register.
pub fn synthetic_risks(site: c981_domain::SiteId, first: usize, count: usize) -> Result<Vec<c981_domain::Risk>> {
    let dims = ["safety", "production_continuity", "product_quality", "integrity", "confidentiality", "financial"];
    let controls = c981_domain::annex_a::controls();
    (first..first + count)
        .map(|k| {
            let mut inherent = serde_json::Map::new();
            inherent.insert(dims[k % 6].into(), Value::from(1 + (k / 5) % 5));
            inherent.insert(dims[(k + 1) % 6].into(), Value::from(1 + (k / 7) % 5));
            let mut residual = serde_json::Map::new();
            residual.insert(dims[k % 6].into(), Value::from(1 + (k / 11) % 3));
            let v = serde_json::json!({
                "site_id": site.get(),
                "title": format!("Risk {k}"),
                "inherent_likelihood": 1 + k % 5,
                "inherent_impacts": inherent,
                "residual_likelihood": 1 + (k / 3) % 3,
                "residual_impacts": residual,
                "risk_owner": format!("Owner {}", k % 40),
                "review_date": format!("2026-{:02}-15", 1 + k % 12),
                "state": if k.is_multiple_of(2) { "identified" } else { "assessed" },
                // Two Annex A controls per risk, spread over the catalogue.
                "control_ids": [controls[k % controls.len()].id.to_string(), controls[(k + 1 + (k / controls.len()) % (controls.len() - 1)) % controls.len()].id.to_string()],
            });
            let input = serde_json::from_value(v).map_err(|e| AppError::Internal(format!("synthetic risk: {e}")))?;
            c981_domain::Risk::parse(&input).map_err(|e| bad_data("risk", &format!("Risk {k}"), &e))
        })
        .collect()
}

/// The shape of a synthetic estate. The same options give the same estate, record for record.
#[derive(Debug, Clone)]
pub struct SyntheticOptions {
    /// Number of sites, coded `S001`, `S002`, … (1 to [`MAX_SYNTHETIC_SITES`]).
    pub sites: usize,
    /// Assets per site, spread over the zones (at most [`MAX_SYNTHETIC_ASSETS_PER_SITE`]);
    /// each site also gets `flows_per_10_assets` data flows per ten assets.
    pub assets_per_site: usize,
    /// Seed of the generator.
    pub seed: u64,
    /// Data flows per ten assets (1 by default: a tenth as many flows as assets; 30 gives three
    /// flows per asset).
    pub flows_per_10_assets: usize,
}

impl Default for SyntheticOptions {
    fn default() -> Self {
        Self { sites: 3, assets_per_site: 1_000, seed: 981, flows_per_10_assets: 1 }
    }
}

/// The most sites a synthetic estate has (site codes stay short).
pub const MAX_SYNTHETIC_SITES: usize = 9_999;

/// The most assets a synthetic site has: each site numbers its assets within one IPv4 /16.
pub const MAX_SYNTHETIC_ASSETS_PER_SITE: usize = 60_000;

/// Records per `bulk_create` call: one transaction each, so memory and lock time stay bounded.
const BULK_CHUNK: usize = 5_000;

/// Loads the demo estate into an empty database; refused (with [`AppError::Conflict`]) when
/// any site exists.
pub async fn load_demo(app: &App, ctx: &Ctx) -> Result<DemoSummary> {
    refuse_non_empty(app, ctx, "the demo estate").await?;
    let plans = demo_plans()?;
    let mut summary = DemoSummary::default();
    for plan in plans {
        let code = plan.site.code.clone().unwrap_or_default();
        load_plan(app, ctx, plan, &mut summary).await?;
        tracing::info!(site = %code, "demo site loaded");
    }
    summary.requirement_statuses = requirement_statuses(app, ctx).await?;
    (summary.risks, summary.suppliers) = demo_risks(app, ctx).await?;
    crate::demo_isms::load_demo_isms(app, ctx).await?.add_to(&mut summary);
    app.store().optimize().await?;
    tracing::info!(?summary, "demo estate loaded");
    Ok(summary)
}

/// Loads a synthetic estate into an empty database; refused (with [`AppError::Conflict`])
/// when any site exists. Assets go to the store in chunks, one transaction each.
pub async fn load_synthetic(app: &App, ctx: &Ctx, opts: &SyntheticOptions) -> Result<DemoSummary> {
    check_options(opts).map_err(|(field, message)| AppError::field(field, message))?;
    refuse_non_empty(app, ctx, "a synthetic estate").await?;
    let mut summary = DemoSummary::default();
    for index in 0..opts.sites {
        let plan = synthetic_site(opts, index);
        let code = plan.site.code.clone().unwrap_or_default();
        load_plan(app, ctx, plan, &mut summary).await?;
        tracing::info!(site = %code, done = index + 1, of = opts.sites, assets = summary.assets, "synthetic site loaded");
    }
    summary.requirement_statuses = requirement_statuses(app, ctx).await?;
    crate::demo_isms::load_synthetic_isms(app, ctx).await?.add_to(&mut summary);
    app.store().optimize().await?;
    Ok(summary)
}

/// Writes the synthetic estate of `opts` as CSV files in `dir` (created when missing); see
/// the module documentation for the columns. Touches no database.
pub fn write_synthetic_csv(dir: &Path, opts: &SyntheticOptions) -> io::Result<DemoSummary> {
    check_options(opts)
        .map_err(|(field, message)| io::Error::new(io::ErrorKind::InvalidInput, format!("{field}: {message}")))?;
    std::fs::create_dir_all(dir)?;
    let mut files = CsvFiles::create(dir)?;
    let mut summary = DemoSummary::default();
    for index in 0..opts.sites {
        let plan = synthetic_site(opts, index);
        files.write(&plan, &mut summary)?;
        tracing::info!(
            site = plan.site.code.as_deref().unwrap_or(""),
            done = index + 1,
            of = opts.sites,
            "synthetic site written"
        );
    }
    files.flush()?;
    Ok(summary)
}

async fn refuse_non_empty(app: &App, ctx: &Ctx, what: &str) -> Result<()> {
    if app.count::<Site>(ctx, &ListParams::default()).await? > 0 {
        return Err(AppError::Conflict(format!(
            "the database already holds sites: {what} is loaded only into an empty database"
        )));
    }
    Ok(())
}

fn check_options(opts: &SyntheticOptions) -> std::result::Result<(), (&'static str, String)> {
    if !(1..=MAX_SYNTHETIC_SITES).contains(&opts.sites) {
        return Err(("sites", format!("must be between 1 and {MAX_SYNTHETIC_SITES}")));
    }
    if opts.assets_per_site > MAX_SYNTHETIC_ASSETS_PER_SITE {
        return Err(("assets_per_site", format!("must be at most {MAX_SYNTHETIC_ASSETS_PER_SITE}")));
    }
    if !(1..=50).contains(&opts.flows_per_10_assets) {
        return Err(("flows_per_10_assets", "must be between 1 and 50".into()));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A site's estate before ids exist, and how it is loaded.
// ---------------------------------------------------------------------------------------------

/// One site's estate with references by name. The inputs' id fields are left empty and filled
/// in when the records they refer to exist.
#[derive(Debug, Clone, Default)]
struct SitePlan {
    site: SiteInput,
    zones: Vec<ZoneInput>,
    conduits: Vec<ConduitPlan>,
    assets: Vec<AssetPlan>,
    flows: Vec<FlowPlan>,
    interfaces: Vec<InterfacePlan>,
}

#[derive(Debug, Clone)]
struct ConduitPlan {
    input: ConduitInput,
    zones: Vec<String>,
}

#[derive(Debug, Clone)]
struct AssetPlan {
    input: AssetInput,
    zone: Option<String>,
}

#[derive(Debug, Clone)]
struct FlowPlan {
    input: FlowInput,
    source: End,
    destination: End,
}

#[derive(Debug, Clone)]
struct InterfacePlan {
    input: InterfaceInput,
    asset: Option<String>,
    zone: Option<String>,
}

/// One end of a planned flow: an asset of the site by name, or something outside the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum End {
    Asset(String),
    External(String),
}

/// A flow end that is an asset of the site.
fn node(name: &str) -> End {
    End::Asset(name.to_owned())
}

/// A flow end outside the inventory (a host name, an address, a cloud endpoint).
fn ext(name: &str) -> End {
    End::External(name.to_owned())
}

/// Generated data that does not validate is a defect of this module, not of the caller's input.
fn bad_data(what: &str, name: &str, e: &ValidationError) -> AppError {
    AppError::Internal(format!("the generated {what} {name:?} is invalid: {e}"))
}

fn unknown(what: &str, name: &str, owner: &str) -> AppError {
    AppError::Internal(format!("{owner} refers to the {what} {name:?}, which the estate does not define"))
}

/// Creates one site's records: the site, its zones and conduits one by one (their ids are
/// needed for references), then its assets, flows and interfaces in bulk.
async fn load_plan(app: &App, ctx: &Ctx, plan: SitePlan, summary: &mut DemoSummary) -> Result<()> {
    let SitePlan { site, zones, conduits, assets, flows, interfaces } = plan;
    let site_id = app.create::<Site>(ctx, &site).await?.id.to_string();
    summary.sites += 1;

    let mut zone_ids: HashMap<String, ZoneId> = HashMap::with_capacity(zones.len());
    for mut input in zones {
        input.site_id = Some(site_id.clone());
        let record = app.create::<Zone>(ctx, &input).await?;
        zone_ids.insert(record.data.name.as_str().to_owned(), record.id);
        summary.zones += 1;
    }
    let zone_id = |name: &str, owner: &str| -> Result<String> {
        zone_ids.get(name).map(ToString::to_string).ok_or_else(|| unknown("zone", name, owner))
    };

    for ConduitPlan { mut input, zones } in conduits {
        let owner = format!("conduit {:?}", input.name.as_deref().unwrap_or(""));
        input.site_id = Some(site_id.clone());
        input.zone_ids = zones.iter().map(|z| zone_id(z, &owner)).collect::<Result<_>>()?;
        app.create::<Conduit>(ctx, &input).await?;
        summary.conduits += 1;
    }

    let mut asset_ids: HashMap<String, AssetId> = HashMap::with_capacity(assets.len());
    let mut pending = assets.into_iter().peekable();
    while pending.peek().is_some() {
        let mut items = Vec::with_capacity(BULK_CHUNK);
        for AssetPlan { mut input, zone } in pending.by_ref().take(BULK_CHUNK) {
            let name = input.name.clone().unwrap_or_default();
            input.site_id = Some(site_id.clone());
            input.zone_id = zone.as_deref().map(|z| zone_id(z, &format!("asset {name:?}"))).transpose()?;
            items.push(Asset::parse(&input).map_err(|e| bad_data("asset", &name, &e))?);
        }
        let ids = app.bulk_create::<Asset>(ctx, &items).await?;
        for (item, id) in items.iter().zip(ids) {
            asset_ids.insert(item.name.as_str().to_owned(), AssetId::new(id));
        }
        summary.assets += items.len();
    }
    let end = |end: &End, owner: &str| -> Result<(Option<String>, Option<String>)> {
        match end {
            End::Asset(name) => match asset_ids.get(name) {
                Some(id) => Ok((Some(id.to_string()), None)),
                None => Err(unknown("asset", name, owner)),
            },
            End::External(name) => Ok((None, Some(name.clone()))),
        }
    };

    for chunk in flows.chunks(BULK_CHUNK) {
        let mut items = Vec::with_capacity(chunk.len());
        for plan in chunk {
            let what = format!("{:?} → {:?}", plan.source, plan.destination);
            let mut input = plan.input.clone();
            input.site_id = Some(site_id.clone());
            (input.source_asset_id, input.source_external) = end(&plan.source, &format!("flow {what}"))?;
            (input.destination_asset_id, input.destination_external) = end(&plan.destination, &format!("flow {what}"))?;
            items.push(DataFlow::parse(&input).map_err(|e| bad_data("flow", &what, &e))?);
        }
        app.bulk_create::<DataFlow>(ctx, &items).await?;
        summary.flows += items.len();
    }

    let mut items = Vec::with_capacity(interfaces.len());
    for InterfacePlan { mut input, asset, zone } in interfaces {
        let name = input.name.clone().unwrap_or_default();
        let owner = format!("interface {name:?}");
        input.site_id = Some(site_id.clone());
        input.asset_id = match asset {
            Some(a) => Some(asset_ids.get(&a).ok_or_else(|| unknown("asset", &a, &owner))?.to_string()),
            None => None,
        };
        input.zone_id = zone.as_deref().map(|z| zone_id(z, &owner)).transpose()?;
        items.push(Interface::parse(&input).map_err(|e| bad_data("interface", &name, &e))?);
    }
    app.bulk_create::<Interface>(ctx, &items).await?;
    summary.interfaces += items.len();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A tiny deterministic generator.
// ---------------------------------------------------------------------------------------------

/// SplitMix64 (Steele, Lea and Flood, 2014): a few lines, fast, and plenty to vary generated
/// data. Never for anything secret.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; 0 when `n` is 0.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next_u64() % n as u64) as usize }
    }

    /// An item of a non-empty slice.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with a probability of `percent` in 100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Six bytes of a MAC address: the vendor's OUI and 24 bits unique for each `n` below 2^24
/// (multiplying by an odd constant is a bijection modulo 2^24).
fn mac(oui: [u8; 3], n: u32) -> String {
    let s = n.wrapping_mul(0x009E_3779) & 0x00FF_FFFF;
    format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", oui[0], oui[1], oui[2], s >> 16, (s >> 8) & 0xFF, s & 0xFF)
}

/// Organizationally unique identifiers (IEEE MA-L blocks) of the vendors in the estates, so that
/// generated MAC addresses point at the right maker as they would in a capture.
mod oui {
    pub const SIEMENS: [u8; 3] = [0x00, 0x1b, 0x1b];
    pub const SIEMENS_IA: [u8; 3] = [0x28, 0x63, 0x36];
    pub const SIEMENS_ET: [u8; 3] = [0x00, 0x0e, 0x8c];
    pub const ROCKWELL: [u8; 3] = [0x00, 0x00, 0xbc];
    pub const ROCKWELL_2: [u8; 3] = [0xe4, 0x90, 0x69];
    pub const SCHNEIDER: [u8; 3] = [0x00, 0x80, 0xf4];
    pub const PHOENIX: [u8; 3] = [0x00, 0xa0, 0x45];
    pub const WAGO: [u8; 3] = [0x00, 0x30, 0xde];
    pub const BECKHOFF: [u8; 3] = [0x00, 0x01, 0x05];
    pub const MOXA: [u8; 3] = [0x00, 0x90, 0xe8];
    pub const HIRSCHMANN: [u8; 3] = [0x00, 0x80, 0x63];
    pub const CISCO: [u8; 3] = [0x00, 0x1a, 0xa1];
    pub const FORTINET: [u8; 3] = [0x00, 0x09, 0x0f];
    pub const PALO_ALTO: [u8; 3] = [0x00, 0x1b, 0x17];
    pub const HMS: [u8; 3] = [0x00, 0x30, 0x11];
    pub const DELL: [u8; 3] = [0x00, 0x14, 0x22];
    pub const VMWARE: [u8; 3] = [0x00, 0x50, 0x56];
    pub const SICK: [u8; 3] = [0x00, 0x06, 0x77];
    pub const FESTO: [u8; 3] = [0x00, 0x0e, 0xf0];
    pub const SEW: [u8; 3] = [0x00, 0x0f, 0x69];
    pub const COGNEX: [u8; 3] = [0x00, 0xd0, 0x24];
    pub const FANUC: [u8; 3] = [0x00, 0xe0, 0xe4];
    pub const ADVANTECH: [u8; 3] = [0x00, 0xd0, 0xc9];
    pub const B_AND_R: [u8; 3] = [0x00, 0x60, 0x65];
}

/// A vendor-style serial number.
fn serial_for(vendor: &str, rng: &mut SplitMix64) -> String {
    let r = rng.next_u64();
    match vendor {
        "Siemens" => {
            let letters: String = (0..3).map(|i| char::from(b'A' + ((r >> (8 * i)) % 26) as u8)).collect();
            format!("S C-{letters}{:08}", (r >> 24) % 100_000_000)
        }
        "Rockwell Automation" => format!("{:08X}", (r >> 16) as u32),
        // A service tag: seven characters without vowels.
        "Dell" => {
            (0..7).map(|i| char::from(b"0123456789BCDFGHJKLMNPQRSTVWXYZ"[((r >> (5 * i)) % 31) as usize])).collect()
        }
        _ => {
            let initials: String =
                vendor.chars().filter(char::is_ascii_alphabetic).take(3).map(|c| c.to_ascii_uppercase()).collect();
            format!("{initials}{:09}", r % 1_000_000_000)
        }
    }
}

/// An RFC 3339 time `seconds` after 2026-01-05T00:00:00Z.
fn time_after_jan_5(seconds: u64) -> String {
    const JAN_5_2026: i64 = 1_767_571_200;
    Timestamp::from_micros((JAN_5_2026 + seconds as i64) * 1_000_000).to_string()
}

// ---------------------------------------------------------------------------------------------
// The hand-written demo estate: specifications and a builder.
// ---------------------------------------------------------------------------------------------

struct SiteSpec {
    code: &'static str,
    name: &'static str,
    country: &'static str,
    time_zone: &'static str,
    industry: Industry,
    regulations: &'static [Regulation],
    description: &'static str,
    /// The asset register every declared asset comes from.
    register: &'static str,
}

struct ZoneSpec {
    name: &'static str,
    kind: ZoneKind,
    level: Option<L>,
    subnets: &'static [&'static str],
    sl: &'static str,
    criticality: C,
    /// The team that owns the zone's assets unless an asset says otherwise.
    owner: &'static str,
    description: &'static str,
}

struct ConduitSpec {
    name: &'static str,
    zones: &'static [&'static str],
    services: &'static [&'static str],
    one_way: bool,
    encrypted: bool,
    sl: &'static str,
    description: &'static str,
}

struct InterfaceSpec {
    name: &'static str,
    kind: InterfaceKind,
    external: &'static str,
    responsible: &'static str,
    boundary: &'static str,
    asset: Option<&'static str>,
    zone: Option<&'static str>,
    protocols: &'static [&'static str],
    direction: InterfaceDirection,
    data: &'static str,
}

/// The target security levels used across the demo (FR1 to FR7).
mod sl {
    pub const ENTERPRISE: &str = "1,1,1,2,1,1,1";
    pub const DMZ: &str = "2,2,2,2,3,2,2";
    pub const OPERATIONS: &str = "2,2,2,2,2,2,2";
    pub const SUPERVISORY: &str = "2,2,2,1,2,2,2";
    pub const CONTROL: &str = "2,2,3,1,3,1,2";
    pub const SAFETY: &str = "3,3,3,2,3,2,3";
    pub const FIELD: &str = "1,1,2,1,2,1,2";
    pub const REMOTE: &str = "3,3,2,3,3,2,1";
    pub const CLOUD: &str = "2,2,2,3,2,2,2";
    pub const TEMPORARY: &str = "2,2,2,1,2,1,1";
    pub const WIRELESS: &str = "2,2,2,3,2,1,1";
    pub const DIODE: &str = "2,2,3,2,4,2,2";
}

/// An asset being described; [`Builder::add`] fills in what the zone implies.
struct Dev {
    zone: &'static str,
    input: AssetInput,
    auto_ip: bool,
    oui: Option<[u8; 3]>,
}

fn dev(zone: &'static str, name: impl Into<String>, kind: K, vendor: &str, model: &str, firmware: &str) -> Dev {
    Dev {
        zone,
        input: AssetInput {
            name: Some(name.into()),
            kind: Some(kind.as_str().into()),
            vendor: Some(vendor.into()),
            model: Some(model.into()),
            firmware: Some(firmware.into()),
            ..Default::default()
        },
        auto_ip: true,
        oui: None,
    }
}

impl Dev {
    fn level(mut self, level: L) -> Self {
        self.input.purdue_level = Some(level.as_str().into());
        self
    }

    fn crit(mut self, criticality: C) -> Self {
        self.input.criticality = Some(criticality.as_str().into());
        self
    }

    fn owner(mut self, owner: &str) -> Self {
        self.input.owner = Some(owner.into());
        self
    }

    fn protocols(mut self, protocols: &[&str]) -> Self {
        self.input.protocols = protocols.iter().map(|p| (*p).to_owned()).collect();
        self
    }

    /// A MAC address with this vendor OUI.
    fn mac(mut self, oui: [u8; 3]) -> Self {
        self.oui = Some(oui);
        self
    }

    /// No IP address (a 4–20 mA/HART instrument, a SaaS service).
    fn no_ip(mut self) -> Self {
        self.auto_ip = false;
        self
    }

    /// This IPv4 address instead of the next free one of the zone.
    fn ip(mut self, ip: &str) -> Self {
        self.auto_ip = false;
        self.input.ip_addresses.push(ip.into());
        self
    }

    /// An IPv6 address besides the IPv4 one.
    fn ip6(mut self, ip: &str) -> Self {
        self.input.ip_addresses.push(ip.into());
        self
    }

    /// Legacy, with the date its support ended.
    fn legacy(mut self, end_of_support: &str) -> Self {
        self.input.legacy = Some("true".into());
        self.input.end_of_support = Some(end_of_support.into());
        self.tags(&["legacy"])
    }

    fn end_of_support(mut self, date: &str) -> Self {
        self.input.end_of_support = Some(date.into());
        self
    }

    /// Known only from traffic: not in the register.
    fn observed(mut self, first: &str, last: &str, source: &str) -> Self {
        self.input.provenance = Some(Provenance::Observed.as_str().into());
        self.input.sources = vec![source.into()];
        self.input.first_seen = Some(first.into());
        self.input.last_seen = Some(last.into());
        self
    }

    /// Declared in the register and confirmed in traffic.
    fn confirmed(mut self, first: &str, last: &str, source: &str) -> Self {
        self.input.provenance = Some(Provenance::Confirmed.as_str().into());
        self.input.sources.push(source.into());
        self.input.first_seen = Some(first.into());
        self.input.last_seen = Some(last.into());
        self
    }

    /// Another source besides the register (an engineering document).
    fn source(mut self, source: &str) -> Self {
        self.input.sources.push(source.into());
        self
    }

    fn tags(mut self, tags: &[&str]) -> Self {
        self.input.tags.extend(tags.iter().map(|t| (*t).to_owned()));
        self
    }

    fn desc(mut self, description: impl Into<String>) -> Self {
        self.input.description = Some(description.into());
        self
    }

    fn out_of_scope(mut self) -> Self {
        self.input.in_scope = Some("false".into());
        self
    }
}

/// A data flow being described.
struct Flow {
    source: End,
    destination: End,
    input: FlowInput,
}

fn flow(source: End, destination: End, protocol: &str, port: Option<u16>, purpose: impl Into<String>) -> Flow {
    Flow {
        source,
        destination,
        input: FlowInput {
            protocol: Some(protocol.into()),
            port: port.map(|p| p.to_string()),
            purpose: Some(purpose.into()),
            ..Default::default()
        },
    }
}

impl Flow {
    /// Data goes both ways (a client reads and writes).
    fn both(mut self) -> Self {
        self.input.direction = Some(FlowDirection::Bidirectional.as_str().into());
        self
    }

    fn encrypted(mut self) -> Self {
        self.input.encrypted = Some("true".into());
        self
    }

    /// Also seen in traffic.
    fn seen(mut self, first: &str, last: &str, connections: u64, bytes: u64) -> Self {
        self.input.observed = Some("true".into());
        self.input.first_seen = Some(first.into());
        self.input.last_seen = Some(last.into());
        self.input.connection_count = Some(connections.to_string());
        self.input.byte_count = Some(bytes.to_string());
        self
    }

    /// Seen in traffic and documented nowhere.
    fn undocumented(mut self, first: &str, last: &str, connections: u64, bytes: u64) -> Self {
        self.input.documented = Some("false".into());
        self.seen(first, last, connections, bytes)
    }
}

/// The IPv4 addresses a zone hands out, and what its assets inherit.
struct ZoneDefaults {
    level: Option<L>,
    criticality: C,
    owner: &'static str,
    next_host: u32,
    last_host: u32,
}

/// The first and last host address handed out in an IPv4 CIDR block (the first ten addresses
/// of a block of 64 or more stay for gateways and infrastructure); `None` for IPv6.
fn ipv4_hosts(cidr: &str) -> Option<(u32, u32)> {
    let (addr, prefix) = cidr.split_once('/')?;
    let addr: Ipv4Addr = addr.parse().ok()?;
    let prefix: u32 = prefix.parse().ok().filter(|p| *p <= 30)?;
    let base = u32::from(addr);
    let size = 1u32 << (32 - prefix);
    Some((base + if size >= 64 { 10 } else { 1 }, base + size - 2))
}

/// Assembles a hand-written site, filling in what follows from the zones (addresses, Purdue
/// level, criticality, owner), serials and MAC addresses, and checking every reference.
struct Builder {
    code: &'static str,
    register: &'static str,
    plan: SitePlan,
    zones: HashMap<&'static str, ZoneDefaults>,
    assets: HashSet<String>,
    flow_keys: HashSet<(End, End, String, Option<String>)>,
    /// Serial numbers.
    rng: SplitMix64,
    /// The last MAC address suffix handed out; each site starts in its own range.
    macs: u32,
    /// Inconsistencies found while building; [`Builder::finish`] reports them all.
    errors: Vec<String>,
}

impl Builder {
    fn new(spec: &SiteSpec, seed: u64) -> Self {
        let site = SiteInput {
            code: Some(spec.code.into()),
            name: Some(spec.name.into()),
            country: Some(spec.country.into()),
            time_zone: Some(spec.time_zone.into()),
            industry: Some(spec.industry.as_str().into()),
            regulations: spec.regulations.iter().map(|r| r.as_str().to_owned()).collect(),
            description: Some(spec.description.into()),
        };
        Self {
            code: spec.code,
            register: spec.register,
            plan: SitePlan { site, ..Default::default() },
            zones: HashMap::new(),
            assets: HashSet::new(),
            flow_keys: HashSet::new(),
            rng: SplitMix64::new(seed),
            macs: seed as u32 & 0x000F_0000,
            errors: Vec::new(),
        }
    }

    fn zones(&mut self, specs: &[ZoneSpec]) {
        for z in specs {
            let hosts = z.subnets.iter().find_map(|s| ipv4_hosts(s));
            let (next_host, last_host) = hosts.unwrap_or((1, 0));
            if self
                .zones
                .insert(
                    z.name,
                    ZoneDefaults { level: z.level, criticality: z.criticality, owner: z.owner, next_host, last_host },
                )
                .is_some()
            {
                self.errors.push(format!("zone {:?} is defined twice", z.name));
            }
            self.plan.zones.push(ZoneInput {
                site_id: None,
                name: Some(z.name.into()),
                kind: Some(z.kind.as_str().into()),
                purdue_level: z.level.map(|l| l.as_str().into()),
                subnets: z.subnets.iter().map(|s| (*s).to_owned()).collect(),
                sl_target: Some(z.sl.into()),
                criticality: Some(z.criticality.as_str().into()),
                description: Some(z.description.into()),
            });
        }
    }

    fn conduits(&mut self, specs: &[ConduitSpec]) {
        for c in specs {
            for z in c.zones {
                if !self.zones.contains_key(z) {
                    self.errors.push(format!("conduit {:?}: no zone {z:?}", c.name));
                }
            }
            let direction = if c.one_way { ConduitDirection::Unidirectional } else { ConduitDirection::Bidirectional };
            self.plan.conduits.push(ConduitPlan {
                input: ConduitInput {
                    name: Some(c.name.into()),
                    services: c.services.iter().map(|s| (*s).to_owned()).collect(),
                    direction: Some(direction.as_str().into()),
                    encryption_required: Some(c.encrypted.to_string()),
                    sl_target: Some(c.sl.into()),
                    description: Some(c.description.into()),
                    ..Default::default()
                },
                zones: c.zones.iter().map(|z| (*z).to_owned()).collect(),
            });
        }
    }

    /// Adds an asset and returns its name, for flows.
    fn add(&mut self, mut d: Dev) -> String {
        let name = d.input.name.clone().unwrap_or_default();
        if !self.assets.insert(name.clone()) {
            self.errors.push(format!("asset {name:?} is defined twice"));
        }
        match self.zones.get_mut(d.zone) {
            None => self.errors.push(format!("asset {name:?}: no zone {:?}", d.zone)),
            Some(z) => {
                let i = &mut d.input;
                i.purdue_level = i.purdue_level.take().or_else(|| z.level.map(|l| l.as_str().into()));
                i.criticality = i.criticality.take().or_else(|| Some(z.criticality.as_str().into()));
                i.owner = i.owner.take().or_else(|| Some(z.owner.into()));
                if d.auto_ip {
                    if z.next_host > z.last_host {
                        self.errors.push(format!("asset {name:?}: zone {:?} has no IPv4 address left", d.zone));
                    } else {
                        i.ip_addresses.insert(0, Ipv4Addr::from(z.next_host).to_string());
                        z.next_host += 1;
                    }
                }
            }
        }
        if let Some(oui) = d.oui {
            self.macs += 1;
            d.input.mac_addresses.push(mac(oui, self.macs));
        }
        let kind = d.input.kind.as_deref().unwrap_or("");
        let hardware = ![K::VirtualMachine, K::CloudService, K::Application].iter().any(|k| k.as_str() == kind);
        if hardware && d.input.serial.is_none() {
            d.input.serial = Some(serial_for(d.input.vendor.as_deref().unwrap_or(""), &mut self.rng));
        }
        if d.input.provenance.as_deref() != Some(Provenance::Observed.as_str()) {
            d.input.sources.insert(0, self.register.into());
        }
        self.plan.assets.push(AssetPlan { input: d.input, zone: Some(d.zone.into()) });
        name
    }

    fn flow(&mut self, f: Flow) {
        let key = (
            f.source.clone(),
            f.destination.clone(),
            f.input.protocol.clone().unwrap_or_default(),
            f.input.port.clone(),
        );
        if !self.flow_keys.insert(key) {
            self.errors.push(format!("flow {:?} → {:?} is defined twice", f.source, f.destination));
        }
        self.plan.flows.push(FlowPlan { input: f.input, source: f.source, destination: f.destination });
    }

    fn interfaces(&mut self, specs: &[InterfaceSpec]) {
        for s in specs {
            self.plan.interfaces.push(InterfacePlan {
                input: InterfaceInput {
                    name: Some(s.name.into()),
                    system_kind: Some(s.kind.as_str().into()),
                    external_system: Some(s.external.into()),
                    responsible_party: Some(s.responsible.into()),
                    boundary: Some(s.boundary.into()),
                    protocols: s.protocols.iter().map(|p| (*p).to_owned()).collect(),
                    direction: Some(s.direction.as_str().into()),
                    data_exchanged: Some(s.data.into()),
                    ..Default::default()
                },
                asset: s.asset.map(str::to_owned),
                zone: s.zone.map(str::to_owned),
            });
        }
    }

    /// The plan, once every reference has been checked.
    fn finish(mut self) -> Result<SitePlan> {
        for f in &self.plan.flows {
            for end in [&f.source, &f.destination] {
                if let End::Asset(a) = end
                    && !self.assets.contains(a)
                {
                    self.errors.push(format!("a flow names the unknown asset {a:?}"));
                }
            }
        }
        for i in &self.plan.interfaces {
            if let Some(a) = &i.asset
                && !self.assets.contains(a)
            {
                self.errors.push(format!("an interface names the unknown asset {a:?}"));
            }
            if let Some(z) = &i.zone
                && !self.zones.contains_key(z.as_str())
            {
                self.errors.push(format!("an interface names the unknown zone {z:?}"));
            }
        }
        if self.errors.is_empty() {
            Ok(self.plan)
        } else {
            Err(AppError::Internal(format!("the demo site {} is inconsistent: {}", self.code, self.errors.join("; "))))
        }
    }
}

/// The demo estate, site by site.
fn demo_plans() -> Result<Vec<SitePlan>> {
    Ok(vec![lyon()?, wichita()?, valencia()?])
}

// ---------------------------------------------------------------------------------------------
// Demo site 1: sterile fill-finish, Lyon (pharma).
// ---------------------------------------------------------------------------------------------

#[rustfmt::skip]
fn lyon() -> Result<SitePlan> {
    const ENT: &str = "Enterprise IT";
    const DMZ: &str = "Industrial DMZ";
    const OPS: &str = "Site operations";
    const SUP: &str = "Supervisory";
    const FILL: &str = "Aseptic filling control";
    const LYO: &str = "Lyophilisation control";
    const PACK: &str = "Inspection and packaging control";
    const UTIL: &str = "Clean utilities control";
    const SIS: &str = "Safety systems";
    const FIELD: &str = "Field devices";
    const VRA: &str = "Vendor remote access";
    const CLOUD: &str = "Cloud IIoT platform (Azure)";
    const TEMP: &str = "Engineering laptops";
    const WIFI: &str = "Plant Wi-Fi";
    const NDR: &str = "Nozomi Guardian LYO-NDR-01";
    const SAP: &str = "SAP S/4HANA PRD (sap-prd.corp.example)";
    const TALK2M: &str = "Talk2M (HMS remote access cloud)";

    let mut b = Builder::new(
        &SiteSpec {
            code: "LYO",
            name: "Lyon sterile fill-finish plant",
            country: "FR",
            time_zone: "Europe/Paris",
            industry: Industry::Pharma,
            regulations: &[Regulation::Gxp, Regulation::Part11, Regulation::Annex11, Regulation::Nis2],
            description: "Aseptic filling of biologics in vials and prefilled syringes: three isolator filling lines, four \
                freeze dryers, automated visual inspection, packaging with serialisation (EU FMD, DSCSA). Clean utilities \
                (WFI, pure steam) and GMP HVAC. Supplies the EU and the US; inspected by ANSM and FDA. Computerised systems \
                are validated; a security change to them goes through GMP change control.",
            register: "LYO asset register 2026-03.xlsx",
        },
        0x4C59_4F01,
    );

    b.zones(&[
        ZoneSpec { name: ENT, kind: ZoneKind::Enterprise, level: Some(L::L4), subnets: &["10.10.0.0/22"], sl: sl::ENTERPRISE, criticality: C::Medium, owner: "Corporate IT – workplace",
            description: "Site office network run by corporate IT: QA review workstations, LIMS and QMS clients. Reaches the plant only through the industrial DMZ." },
        ZoneSpec { name: DMZ, kind: ZoneKind::Dmz, level: Some(L::L35), subnets: &["10.10.100.0/24"], sl: sl::DMZ, criticality: C::High, owner: "OT Infrastructure",
            description: "Between the north (Palo Alto) and south (FortiGate) firewall pairs: PI replica and PI Vision, remote desktop gateway and jump hosts, patch and antivirus relays, MQTT broker and IIoT gateway, MES integration server. No traffic crosses without terminating on a host here." },
        ZoneSpec { name: OPS, kind: ZoneKind::Supervisory, level: Some(L::L3), subnets: &["10.10.110.0/24"], sl: sl::OPERATIONS, criticality: C::High, owner: "OT Infrastructure",
            description: "Level 3: PI Data Archive and AF, PAS-X MES servers (operated by manufacturing IT), OT Active Directory, WSUS, backup, time, serialisation site server, virtualisation hosts." },
        ZoneSpec { name: SUP, kind: ZoneKind::Supervisory, level: Some(L::L2), subnets: &["10.10.120.0/24"], sl: sl::SUPERVISORY, criticality: C::High, owner: "Automation & Controls",
            description: "WinCC SCADA (redundant pair) and operator stations, environmental monitoring (viewLinc), building management (Desigo CC), engineering workstations, PI connector nodes." },
        ZoneSpec { name: FILL, kind: ZoneKind::Control, level: Some(L::L1), subnets: &["10.10.130.0/24"], sl: sl::CONTROL, criticality: C::Critical, owner: "Automation & Controls",
            description: "Three isolator filling lines (FL1, FL2 vials; FL3 syringes): filler, isolator and capping controllers with their panels. An intrusion can stop a batch or put sterility assurance in doubt." },
        ZoneSpec { name: LYO, kind: ZoneKind::Control, level: Some(L::L1), subnets: &["10.10.131.0/24"], sl: sl::CONTROL, criticality: C::Critical, owner: "Automation & Controls",
            description: "Four freeze dryers (LY1–LY4) and two automatic loading systems. A lost cycle record means a rejected batch." },
        ZoneSpec { name: PACK, kind: ZoneKind::Control, level: Some(L::L1), subnets: &["10.10.132.0/24"], sl: sl::CONTROL, criticality: C::High, owner: "Packaging Engineering",
            description: "Automated visual inspection, labelling, cartoning, serialisation and aggregation, case packing (two packaging lines)." },
        ZoneSpec { name: UTIL, kind: ZoneKind::Control, level: Some(L::L1), subnets: &["10.10.133.0/24"], sl: sl::CONTROL, criticality: C::High, owner: "Facilities & Utilities",
            description: "WFI and pure steam generation, CIP/SIP skids, autoclaves, vial washer, GMP air handling units and chillers." },
        ZoneSpec { name: SIS, kind: ZoneKind::Safety, level: Some(L::L1), subnets: &["10.10.140.0/24"], sl: sl::SAFETY, criticality: C::Critical, owner: "EHS – process safety",
            description: "Fail-safe controllers for isolator VHP decontamination, autoclave doors, clean steam boiler burner management and machine guarding; independent of basic process control." },
        ZoneSpec { name: FIELD, kind: ZoneKind::Field, level: Some(L::L0), subnets: &["10.10.144.0/22"], sl: sl::FIELD, criticality: C::High, owner: "Maintenance",
            description: "PROFINET and EtherNet/IP devices: remote I/O, drives, valve terminals, instruments, particle counters, cameras and code readers." },
        ZoneSpec { name: VRA, kind: ZoneKind::RemoteAccess, level: None, subnets: &["10.10.200.0/24"], sl: sl::REMOTE, criticality: C::High, owner: "OT Infrastructure",
            description: "Vendor and OEM access: SINEMA Remote Connect, Ewon gateways of OEM machines, cellular backup router. Sessions are enabled per ticket by the shift leader and recorded." },
        ZoneSpec { name: CLOUD, kind: ZoneKind::Cloud, level: None, subnets: &["10.210.16.0/24"], sl: sl::CLOUD, criticality: C::Medium, owner: "Digital Manufacturing",
            description: "Azure subscription of the digital manufacturing team (West Europe): IoT Hub, Data Explorer, Key Vault, private endpoints in a VNet reached over ExpressRoute. Process data leaves the site read-only; there is no command path back." },
        ZoneSpec { name: TEMP, kind: ZoneKind::Temporary, level: Some(L::L2), subnets: &["10.10.210.0/24"], sl: sl::TEMPORARY, criticality: C::High, owner: "Automation & Controls",
            description: "Laptops of automation engineers and OEM technicians, connected for commissioning and troubleshooting on dedicated ports; scanned at the kiosk first." },
        ZoneSpec { name: WIFI, kind: ZoneKind::Wireless, level: Some(L::L3), subnets: &["10.10.220.0/24"], sl: sl::WIRELESS, criticality: C::Medium, owner: "OT Infrastructure",
            description: "WPA3-Enterprise handhelds for weighing and dispensing, tablets for electronic logbooks." },
    ]);

    b.conduits(&[
        ConduitSpec { name: "Enterprise – DMZ", zones: &[ENT, DMZ], services: &["https/443", "sql/1433"], one_way: false, encrypted: true, sl: sl::DMZ,
            description: "North firewall pair (PA-3220). Users reach PI Vision and the remote desktop gateway; SAP integration ends on the MES integration server." },
        ConduitSpec { name: "DMZ – Site operations", zones: &[DMZ, OPS], services: &["https/443", "https/8531", "rdp/3389", "sql/1433", "mqtt/8883"], one_way: false, encrypted: false, sl: sl::DMZ,
            description: "South firewall pair (FortiGate 100F): jump hosts to OT servers, WSUS and antivirus downstream, MES integration, edge to broker." },
        ConduitSpec { name: "Historian replication (unidirectional gateway)", zones: &[OPS, DMZ], services: &["pi/5450"], one_way: true, encrypted: false, sl: sl::DIODE,
            description: "Waterfall unidirectional gateway: the PI Data Archive replicates to the DMZ replica; nothing can flow back." },
        ConduitSpec { name: "Site operations – Supervisory", zones: &[OPS, SUP], services: &["opcua/4840", "pi/5450", "rdp/3389", "sql/1433", "https/8531", "kerberos/88", "ldaps/636", "ntp/123"], one_way: false, encrypted: false, sl: sl::OPERATIONS,
            description: "Level 3 to Level 2 firewall: MES to SCADA, historian collection, domain services, patches." },
        ConduitSpec { name: "Supervisory – Filling", zones: &[SUP, FILL], services: &["s7comm/102", "opcua/4840", "ntp/123"], one_way: false, encrypted: false, sl: sl::CONTROL,
            description: "Cell firewall of the filling lines." },
        ConduitSpec { name: "Supervisory – Lyophilisation", zones: &[SUP, LYO], services: &["s7comm/102", "opcua/4840", "ethernet-ip/44818"], one_way: false, encrypted: false, sl: sl::CONTROL,
            description: "Cell firewall of the freeze dryers." },
        ConduitSpec { name: "Supervisory – Inspection and packaging", zones: &[SUP, PACK], services: &["ethernet-ip/44818", "opcua/4840", "s7comm/102"], one_way: false, encrypted: false, sl: sl::CONTROL,
            description: "Cell firewall of inspection and packaging." },
        ConduitSpec { name: "Serialisation (site server – line controllers)", zones: &[OPS, PACK], services: &["https/443", "sql/1433"], one_way: false, encrypted: true, sl: sl::CONTROL,
            description: "Serial number lists down, commissioning and aggregation events up (Level 4 of the serialisation model is SAP ATTP)." },
        ConduitSpec { name: "Supervisory – Clean utilities", zones: &[SUP, UTIL], services: &["s7comm/102", "opcua/4840", "bacnet/47808", "modbus/502", "ethernet-ip/44818"], one_way: false, encrypted: false, sl: sl::CONTROL,
            description: "Utilities SCADA, building management and chiller supervision." },
        ConduitSpec { name: "Environmental monitoring (cleanrooms)", zones: &[SUP, FIELD], services: &["modbus/502"], one_way: false, encrypted: false, sl: sl::CONTROL,
            description: "viewLinc polls the particle counters of grades A and B directly (dedicated VLAN)." },
        ConduitSpec { name: "Control – Safety", zones: &[FILL, UTIL, SIS], services: &["profinet", "s7comm/102", "modbus/502"], one_way: false, encrypted: false, sl: sl::SAFETY,
            description: "PROFIsafe over PROFINET between standard and fail-safe CPUs; read-only status. Safety programs change only from the safety workstation." },
        ConduitSpec { name: "Control – Field", zones: &[FILL, LYO, PACK, UTIL, FIELD], services: &["profinet", "ethernet-ip/44818", "ethernet-ip/2222", "modbus/502", "hart-ip/5094"], one_way: false, encrypted: false, sl: sl::FIELD,
            description: "Cell networks down to the devices (PROFINET rings, EtherNet/IP DLR)." },
        ConduitSpec { name: "Vendor remote access – Supervisory", zones: &[VRA, SUP], services: &["rdp/3389", "https/443", "vnc/5900"], one_way: false, encrypted: true, sl: sl::REMOTE,
            description: "SINEMA Remote Connect sessions with individual accounts and MFA land on engineering workstations, never on controllers. Time-boxed and recorded." },
        ConduitSpec { name: "Vendor remote access – DMZ", zones: &[VRA, DMZ], services: &["https/443", "openvpn/1194"], one_way: false, encrypted: true, sl: sl::REMOTE,
            description: "Outbound tunnels of the remote access gateways through the north firewall." },
        ConduitSpec { name: "DMZ – Cloud IIoT", zones: &[DMZ, CLOUD], services: &["mqtt/8883", "amqps/5671", "https/443"], one_way: false, encrypted: true, sl: sl::CLOUD,
            description: "IIoT gateway to Azure IoT Hub over TLS 1.2 with X.509 device certificates, ExpressRoute private peering." },
        ConduitSpec { name: "Engineering laptops – Supervisory and filling", zones: &[TEMP, SUP, FILL], services: &["s7comm/102", "rdp/3389", "https/443", "profinet"], one_way: false, encrypted: false, sl: sl::TEMPORARY,
            description: "Ports enabled only during planned interventions (change request), bound to the laptop's MAC address, disabled afterwards." },
        ConduitSpec { name: "Plant Wi-Fi – Site operations", zones: &[WIFI, OPS], services: &["https/443"], one_way: false, encrypted: true, sl: sl::WIRELESS,
            description: "Handhelds and tablets reach the MES web clients only." },
    ]);

    // Industrial DMZ.
    for n in 1..=2 {
        b.add(dev(DMZ, format!("LYO-FW-N-0{n}"), K::Firewall, "Palo Alto Networks", "PA-3220", "PAN-OS 10.2.9-h1")
            .crit(C::Critical).owner("Site IT – network").mac(oui::PALO_ALTO).protocols(&["https", "ssh", "syslog", "snmp"])
            .tags(&["ha-pair"]).desc("Enterprise-side firewall of the industrial DMZ (active/passive pair)."));
    }
    for n in 1..=2 {
        b.add(dev(DMZ, format!("LYO-FW-S-0{n}"), K::Firewall, "Fortinet", "FortiGate 100F", "FortiOS 7.2.8")
            .crit(C::Critical).mac(oui::FORTINET).protocols(&["https", "ssh", "syslog", "snmp"])
            .tags(&["ha-pair"]).desc("OT-side firewall of the industrial DMZ (active/passive pair)."));
    }
    b.add(dev(DMZ, "LYO-DIODE-01", K::NetworkDevice, "Waterfall Security Solutions", "Unidirectional Security Gateway WF-600", "7.4.1")
        .crit(C::Critical).protocols(&["pi"]).desc("Hardware-enforced one-way replication of the PI Data Archive to the DMZ replica."));
    b.add(dev(DMZ, "LYO-SW-DMZ-01", K::NetworkDevice, "Cisco", "Catalyst 9300-24T", "IOS XE 17.9.4a").mac(oui::CISCO).protocols(&["snmp", "ssh"]));
    let pi_dmz = b.add(dev(DMZ, "LYO-PI-DMZ-01", K::Historian, "AVEVA", "PI Data Archive (DMZ replica)", "PI Server 2018 SP3 Patch 5")
        .mac(oui::VMWARE).protocols(&["pi", "https"]).tags(&["gxp"]).desc("Read-only replica for enterprise users; fed by the unidirectional gateway."));
    let pivision = b.add(dev(DMZ, "LYO-PIVISION-01", K::Application, "AVEVA", "PI Vision", "2023 Patch 1").protocols(&["https", "pi"]));
    let rdg = b.add(dev(DMZ, "LYO-RDG-01", K::VirtualMachine, "Microsoft", "Remote Desktop Gateway", "Windows Server 2022 (20348.2340)")
        .mac(oui::VMWARE).protocols(&["https", "rdp"]).desc("Entry point for corporate users; MFA through the corporate identity provider."));
    let jump: Vec<String> = (1..=2)
        .map(|n| b.add(dev(DMZ, format!("LYO-JUMP-0{n}"), K::VirtualMachine, "Microsoft", "Jump host", "Windows Server 2022 (20348.2340)")
            .mac(oui::VMWARE).protocols(&["rdp"]).desc("Hardened jump host; sessions recorded.")))
        .collect();
    let wsus_dmz = b.add(dev(DMZ, "LYO-WSUS-DMZ-01", K::VirtualMachine, "Microsoft", "WSUS upstream server", "Windows Server 2019 (17763.5576)")
        .mac(oui::VMWARE).protocols(&["https"]));
    let av_relay = b.add(dev(DMZ, "LYO-AVR-01", K::Application, "Trellix", "ePolicy Orchestrator agent handler", "5.10 Update 16").protocols(&["https"]));
    let mqtt = b.add(dev(DMZ, "LYO-MQTT-01", K::Application, "HiveMQ", "HiveMQ Enterprise broker", "4.28.1").protocols(&["mqtt"])
        .desc("Site broker: the Level 3 edge publishes, the IIoT gateway subscribes."));
    let iiot_gw = b.add(dev(DMZ, "LYO-IIOT-GW-01", K::IiotGateway, "Siemens", "SIMATIC IOT2050 Advanced", "Industrial OS 1.5.2 (Azure IoT Edge 1.4)")
        .mac(oui::SIEMENS_IA).protocols(&["mqtt", "amqps", "https"]).owner("Digital Manufacturing")
        .desc("Forwards site topics to Azure IoT Hub; device certificate in the TPM."));
    let mes_int = b.add(dev(DMZ, "LYO-MES-INT-01", K::Application, "Körber", "PAS-X MSI integration server", "3.3.1")
        .owner("Manufacturing IT – MES").out_of_scope().protocols(&["https"]).desc("Integration of PAS-X with SAP and LIMS."));
    b.add(dev(DMZ, "LYO-SFTP-01", K::Application, "Progress", "MOVEit Transfer", "2024.0.2").protocols(&["sftp", "https"])
        .desc("File exchange with OEMs (recipes, manuals). Patched after the 2023 vulnerabilities; internet exposure removed."));

    // Site operations (Level 3).
    for n in 1..=2 {
        b.add(dev(OPS, format!("LYO-SW-CORE-0{n}"), K::NetworkDevice, "Cisco", "Catalyst 9500-16X", "IOS XE 17.9.4a")
            .crit(C::Critical).mac(oui::CISCO).protocols(&["snmp", "ssh"]));
    }
    let pi_da = b.add(dev(OPS, "LYO-PI-DA-01", K::Historian, "AVEVA", "PI Data Archive", "PI Server 2018 SP3 Patch 5")
        .crit(C::Critical).mac(oui::VMWARE).protocols(&["pi"]).tags(&["gxp", "validated"])
        .confirmed("2026-01-12T08:00:00Z", "2026-03-27T23:58:00Z", NDR)
        .desc("Primary process historian. Holds GxP data (environmental monitoring, lyophilisation cycles); validated (CSV-LYO-PI-002)."));
    let pi_af = b.add(dev(OPS, "LYO-PI-AF-01", K::Application, "AVEVA", "PI Asset Framework server", "2018 SP3 Patch 5").protocols(&["pi", "sql"]));
    let mes_app: Vec<String> = (1..=2)
        .map(|n| b.add(dev(OPS, format!("LYO-MES-APP-0{n}"), K::Application, "Körber", "PAS-X MES application server", "3.3.1")
            .crit(C::Critical).owner("Manufacturing IT – MES").out_of_scope().protocols(&["https", "opcua", "sql"]).tags(&["gxp"])
            .desc("Electronic batch records. Validated; changes under the MES change control, outside the ISMS scope.")))
        .collect();
    let mes_db = b.add(dev(OPS, "LYO-MES-DB-01", K::VirtualMachine, "Microsoft", "SQL Server 2019 (PAS-X database)", "15.0.4355.3")
        .crit(C::Critical).owner("Manufacturing IT – MES").out_of_scope().mac(oui::VMWARE).protocols(&["sql"]));
    let ad: Vec<String> = (1..=2)
        .map(|n| b.add(dev(OPS, format!("LYO-AD-OT-0{n}"), K::VirtualMachine, "Microsoft", "OT domain controller", "Windows Server 2022 (20348.2340)")
            .crit(C::Critical).mac(oui::VMWARE).protocols(&["kerberos", "ldaps", "dns"]).desc("OT forest, no trust to the corporate domain.")))
        .collect();
    let wsus = b.add(dev(OPS, "LYO-WSUS-01", K::VirtualMachine, "Microsoft", "WSUS downstream server", "Windows Server 2019 (17763.5576)")
        .mac(oui::VMWARE).protocols(&["https"]).desc("Patches are approved per validated system after vendor qualification (e.g. Siemens compatibility list)."));
    let av = b.add(dev(OPS, "LYO-AV-01", K::Application, "Trellix", "ePolicy Orchestrator", "5.10 Update 16").protocols(&["https"]));
    b.add(dev(OPS, "LYO-BKP-01", K::Application, "Veeam", "Backup & Replication", "12.1.2").protocols(&["https", "smb"])
        .desc("Nightly images of SCADA, historian and engineering workstations; immutable copy on a hardened repository."));
    for n in 1..=3 {
        b.add(dev(OPS, format!("LYO-ESX-0{n}"), K::EdgeServer, "Dell", "PowerEdge R750 (VMware ESXi)", "ESXi 7.0 Update 3p")
            .crit(C::Critical).mac(oui::DELL).protocols(&["https"]).end_of_support("2027-04-02"));
    }
    let ntp = b.add(dev(OPS, "LYO-NTP-01", K::NetworkDevice, "Meinberg", "LANTIME M300/GPS", "7.08.007").protocols(&["ntp", "ptp"])
        .desc("Stratum-1 time source of the OT network; GxP audit trails depend on it."));
    let ser_site = b.add(dev(OPS, "LYO-SER-SITE-01", K::Application, "Systech", "UniSeries site server", "8.2.1").owner("Packaging Engineering")
        .protocols(&["https", "sql"]).tags(&["serialisation", "gxp"]));
    let edge = b.add(dev(OPS, "LYO-EDGE-01", K::EdgeServer, "Siemens", "SIMATIC IPC227E (Industrial Edge)", "Industrial Edge Device 1.17")
        .mac(oui::SIEMENS_IA).owner("Digital Manufacturing").protocols(&["opcua", "mqtt"]).desc("OEE and energy apps; reads SCADA over OPC UA, publishes to the DMZ broker."));
    b.add(dev(OPS, "LYO-NDR-01", K::NetworkDevice, "Nozomi Networks", "Guardian NG-500", "24.1.0").protocols(&["https"])
        .desc("Passive monitoring on SPAN ports of the core and cell switches."));
    let jump_ot = b.add(dev(OPS, "LYO-JUMP-OT-01", K::VirtualMachine, "Microsoft", "OT jump host", "Windows Server 2022 (20348.2340)")
        .mac(oui::VMWARE).protocols(&["rdp"]));

    // Supervisory (Level 2).
    b.add(dev(SUP, "LYO-SW-L2-01", K::NetworkDevice, "Cisco", "IE-3400-8T2S", "IOS XE 17.9.4").mac(oui::CISCO).protocols(&["snmp"]));
    let scada: Vec<String> = (1..=2)
        .map(|n| b.add(dev(SUP, format!("LYO-SCADA-0{n}"), K::ScadaServer, "Siemens", "WinCC V7.5 server (SIMATIC IPC847E)", "V7.5 SP2 Update 13")
            .crit(C::Critical).mac(oui::SIEMENS_IA).protocols(&["s7comm", "opcua"]).tags(&["gxp", "validated"])
            .confirmed("2026-01-12T08:00:00Z", "2026-03-27T23:59:00Z", NDR).desc("Redundant SCADA server pair of filling, lyophilisation and utilities.")))
        .collect();
    let clients: Vec<String> = (1..=6)
        .map(|n| b.add(dev(SUP, format!("LYO-SCADA-CL-0{n}"), K::Hmi, "Siemens", "WinCC V7.5 client (SIMATIC IPC677E)", "V7.5 SP2 Update 13")
            .mac(oui::SIEMENS_IA).protocols(&["opcua"]).tags(&["gxp"])))
        .collect();
    let ems = b.add(dev(SUP, "LYO-EMS-01", K::ScadaServer, "Vaisala", "viewLinc Enterprise Server", "5.1.3").crit(C::Critical)
        .owner("Quality Assurance – EM").protocols(&["modbus", "https"]).tags(&["gxp", "annex-1"])
        .desc("Continuous environmental monitoring of grade A/B cleanrooms (particles, pressure differentials, temperature, humidity)."));
    let bms = b.add(dev(SUP, "LYO-BMS-01", K::ScadaServer, "Siemens", "Desigo CC", "V6.0 QU2").owner("Facilities & Utilities").protocols(&["bacnet"]).tags(&["gxp"]));
    let ews_tia: Vec<String> = (1..=2)
        .map(|n| b.add(dev(SUP, format!("LYO-EWS-TIA-0{n}"), K::EngineeringWorkstation, "Siemens", "SIMATIC Field PG M6 (TIA Portal V18)", "TIA Portal V18 Update 3, Windows 10 LTSC 2019")
            .mac(oui::SIEMENS_IA).protocols(&["s7comm", "profinet"])))
        .collect();
    let ews_s7 = b.add(dev(SUP, "LYO-EWS-S7-01", K::EngineeringWorkstation, "Siemens", "SIMATIC Field PG M4 (STEP 7 V5.6)", "Windows 7 SP1")
        .legacy("2020-01-14").mac(oui::SIEMENS_IA).protocols(&["s7comm"])
        .desc("Kept for the S7-300 controllers of the FL1 capping machine and the vial washer; no longer receives security updates."));
    b.add(dev(SUP, "LYO-EWS-RA-01", K::EngineeringWorkstation, "Rockwell Automation", "Studio 5000 Logix Designer v33 (Dell Precision 3660)", "Windows 10 Enterprise LTSC 2021")
        .mac(oui::DELL).protocols(&["ethernet-ip"]).owner("Packaging Engineering"));
    let piconn: Vec<String> = (1..=2)
        .map(|n| b.add(dev(SUP, format!("LYO-PICONN-0{n}"), K::Application, "AVEVA", "PI Connector for OPC UA", "2.4.0.6").protocols(&["opcua", "pi"])))
        .collect();

    // Aseptic filling lines.
    let lines = [
        ("FL1", "vial filling line FL1 (Bausch+Ströbel)", "V2.9.7"),
        ("FL2", "vial filling line FL2 (Bausch+Ströbel)", "V2.9.7"),
        ("FL3", "syringe filling line FL3 (Groninger)", "V3.1.1"),
    ];
    let mut fill_plc = Vec::new();
    let mut iso_plc = Vec::new();
    let mut cap_plc = Vec::new();
    let mut fill_hmi = Vec::new();
    for (i, (line, what, firmware)) in lines.iter().enumerate() {
        let n = i + 1;
        fill_plc.push(b.add(dev(FILL, format!("LYO-PLC-FILL-0{n}"), K::Plc, "Siemens", "S7-1500 CPU 1516-3 PN/DP (6ES7516-3AN02-0AB0)", firmware)
            .mac(oui::SIEMENS).protocols(&["s7comm", "profinet", "opcua"]).tags(&["gxp", line]).source(&format!("TIA Portal project {line} v4.2"))
            .desc(format!("Filler controller of the {what}."))));
        fill_hmi.push(b.add(dev(FILL, format!("LYO-HMI-FILL-0{n}"), K::Hmi, "Siemens", "SIMATIC TP1200 Comfort (6AV2124-0MC01-0AX0)", "WinCC V17 Update 6 image")
            .level(L::L2).mac(oui::SIEMENS_ET).protocols(&["s7comm", "profinet"]).tags(&["gxp", line])));
        iso_plc.push(b.add(dev(FILL, format!("LYO-PLC-ISO-0{n}"), K::Plc, "Siemens", "S7-1500 CPU 1515-2 PN (6ES7515-2AM02-0AB0)", "V2.9.4")
            .mac(oui::SIEMENS).protocols(&["s7comm", "profinet"]).tags(&["gxp", line]).desc(format!("Isolator (SKAN) of the {what}: pressure cascade, glove integrity, VHP cycle sequencing."))));
        b.add(dev(FILL, format!("LYO-HMI-ISO-0{n}"), K::Hmi, "Siemens", "SIMATIC TP900 Comfort (6AV2124-0JC01-0AX0)", "WinCC V16 Update 5 image")
            .level(L::L2).mac(oui::SIEMENS_ET).protocols(&["s7comm"]).tags(&[line]));
        b.add(dev(FILL, format!("LYO-SW-FILL-0{n}"), K::NetworkDevice, "Hirschmann", "RSP35 (ring redundancy)", "HiOS 09.1.02")
            .mac(oui::HIRSCHMANN).protocols(&["snmp", "mrp"]).tags(&[line]));
        let cap = if n == 1 {
            dev(FILL, "LYO-PLC-CAP-01", K::Plc, "Siemens", "S7-300 CPU 315-2 PN/DP (6ES7315-2EH14-0AB0)", "V3.2.17")
                .legacy("2023-10-01").mac(oui::SIEMENS).protocols(&["s7comm", "profinet"]).tags(&["gxp", line])
                .desc("Capping machine of FL1 (2009). S7-300 discontinued; spare parts from stock only; migration planned with the 2027 shutdown.")
        } else {
            dev(FILL, format!("LYO-PLC-CAP-0{n}"), K::Plc, "Siemens", "S7-1500 CPU 1513-1 PN (6ES7513-1AL02-0AB0)", "V2.9.4")
                .mac(oui::SIEMENS).protocols(&["s7comm", "profinet"]).tags(&["gxp", line]).desc(format!("Capping of the {what}."))
        };
        cap_plc.push(b.add(cap));
    }

    // Lyophilisation.
    let mut lyo_plc = Vec::new();
    let mut lyo_hmi = Vec::new();
    for (i, firmware) in ["V2.9.7", "V2.9.7", "V3.1.1", "V3.1.1"].iter().enumerate() {
        let n = i + 1;
        lyo_plc.push(b.add(dev(LYO, format!("LYO-PLC-LYO-0{n}"), K::Plc, "Siemens", "S7-1500 CPU 1516-3 PN/DP (6ES7516-3AN02-0AB0)", firmware)
            .mac(oui::SIEMENS).protocols(&["s7comm", "profinet", "opcua"]).tags(&["gxp", "validated"])
            .desc(format!("Freeze dryer LY{n} (GEA LYOVAC): shelf temperature, chamber pressure, condenser; cycle records are batch records."))));
        lyo_hmi.push(b.add(dev(LYO, format!("LYO-HMI-LYO-0{n}"), K::Hmi, "Siemens", "SIMATIC IPC477E (WinCC Runtime Advanced V17)", "V17 Update 6, Windows 10 IoT Enterprise LTSC 2019")
            .level(L::L2).mac(oui::SIEMENS_IA).protocols(&["s7comm"]).tags(&["gxp"])));
    }
    let mut als_plc = Vec::new();
    let mut als_hmi = Vec::new();
    for n in 1..=2 {
        als_plc.push(b.add(dev(LYO, format!("LYO-PLC-ALS-0{n}"), K::Plc, "Rockwell Automation", "CompactLogix 5380 (5069-L330ER)", "v33.011")
            .mac(oui::ROCKWELL_2).protocols(&["ethernet-ip"]).desc(format!("Automatic loading system of LY{} and LY{}.", 2 * n - 1, 2 * n))));
        als_hmi.push(b.add(dev(LYO, format!("LYO-HMI-ALS-0{n}"), K::Hmi, "Rockwell Automation", "PanelView 5500 (2715P-T10CD)", "v8.011")
            .level(L::L2).mac(oui::ROCKWELL).protocols(&["ethernet-ip"])));
    }
    b.add(dev(LYO, "LYO-SW-LYO-01", K::NetworkDevice, "Siemens", "SCALANCE XC208 (6GK5208-0BA00-2AC2)", "V4.5").mac(oui::SIEMENS_ET).protocols(&["snmp", "profinet"]));

    // Inspection and packaging.
    let mut avi = Vec::new();
    for n in 1..=2 {
        let plc = b.add(dev(PACK, format!("LYO-PLC-AVI-0{n}"), K::Plc, "Rockwell Automation", "ControlLogix 5580 (1756-L83E)", "v33.011")
            .mac(oui::ROCKWELL).protocols(&["ethernet-ip"]).tags(&["gxp"]).desc(format!("Automated visual inspection machine AVI{n} (Körber Seidenader).")));
        let hmi = b.add(dev(PACK, format!("LYO-HMI-AVI-0{n}"), K::Hmi, "Rockwell Automation", "PanelView 5500 (2715P-T15CD)", "v8.011")
            .level(L::L2).mac(oui::ROCKWELL).protocols(&["ethernet-ip"]));
        let vision = b.add(dev(PACK, format!("LYO-VIS-AVI-0{n}"), K::EdgeServer, "Körber", "Seidenader vision server", "Windows 10 IoT Enterprise LTSC 2019")
            .level(L::L2).protocols(&["ethernet-ip", "smb"]).tags(&["gxp"]).desc("Image processing of particle and cosmetic defects; reject decisions are GMP records."));
        avi.push((plc, hmi, vision));
    }
    let mut pack = Vec::new();
    for n in 1..=2 {
        let labeller = b.add(dev(PACK, format!("LYO-PLC-LBL-0{n}"), K::Plc, "Rockwell Automation", "CompactLogix 5380 (5069-L320ER)", "v33.011")
            .mac(oui::ROCKWELL_2).protocols(&["ethernet-ip"]).desc(format!("Labeller of packaging line PK{n}.")));
        let cartoner = b.add(dev(PACK, format!("LYO-PLC-CTN-0{n}"), K::Plc, "Rockwell Automation", "ControlLogix 5570 (1756-L73)", "v32.013")
            .mac(oui::ROCKWELL).protocols(&["ethernet-ip"]).desc(format!("Cartoner of packaging line PK{n}.")));
        let case_packer = b.add(dev(PACK, format!("LYO-PLC-CSP-0{n}"), K::Plc, "Schneider Electric", "Modicon M580 (BMEP582040)", "SV4.10")
            .mac(oui::SCHNEIDER).protocols(&["modbus", "ethernet-ip"]).desc(format!("Case packer of packaging line PK{n}.")));
        let hmi = b.add(dev(PACK, format!("LYO-HMI-PK-0{n}"), K::Hmi, "Rockwell Automation", "PanelView 5500 (2715P-T12WD)", "v8.011")
            .level(L::L2).mac(oui::ROCKWELL).protocols(&["ethernet-ip"]));
        let line_ctrl = b.add(dev(PACK, format!("LYO-SER-LINE-0{n}"), K::EdgeServer, "Systech", "Sentri line controller", "8.2.1")
            .level(L::L2).protocols(&["https", "ethernet-ip"]).tags(&["serialisation", "gxp"]).desc(format!("Serialisation and aggregation of line PK{n}.")));
        pack.push((labeller, cartoner, case_packer, hmi, line_ctrl));
    }
    b.add(dev(PACK, "LYO-SW-PK-01", K::NetworkDevice, "Cisco", "IE-3400-8P2S", "IOS XE 17.9.4").mac(oui::CISCO).protocols(&["snmp"]));

    // Clean utilities.
    let wfi = b.add(dev(UTIL, "LYO-PLC-WFI-01", K::Plc, "Siemens", "S7-1500 CPU 1513-1 PN (6ES7513-1AL02-0AB0)", "V2.9.4")
        .crit(C::Critical).mac(oui::SIEMENS).protocols(&["s7comm", "profinet", "opcua"]).tags(&["gxp"]).desc("WFI multiple-effect still and distribution loop (BWT)."));
    let pure_steam = b.add(dev(UTIL, "LYO-PLC-PS-01", K::Plc, "Siemens", "S7-1200 CPU 1215C DC/DC/DC (6ES7215-1AG40-0XB0)", "V4.5.2")
        .mac(oui::SIEMENS).protocols(&["s7comm", "profinet", "modbus"]).tags(&["gxp"]).desc("Pure steam generator."));
    let cip: Vec<String> = (1..=2)
        .map(|n| b.add(dev(UTIL, format!("LYO-PLC-CIP-0{n}"), K::Plc, "Rockwell Automation", "CompactLogix 5380 (5069-L320ER)", "v32.012")
            .mac(oui::ROCKWELL_2).protocols(&["ethernet-ip"]).tags(&["gxp"]).desc(format!("CIP/SIP skid {n}."))))
        .collect();
    let autoclave: Vec<String> = (1..=2)
        .map(|n| b.add(dev(UTIL, format!("LYO-PLC-AC-0{n}"), K::Plc, "Siemens", "S7-1500 CPU 1511-1 PN (6ES7511-1AK02-0AB0)", "V2.9.4")
            .mac(oui::SIEMENS).protocols(&["s7comm", "profinet"]).tags(&["gxp"]).desc(format!("Steam autoclave AC{n} (Getinge)."))))
        .collect();
    let washer = b.add(dev(UTIL, "LYO-PLC-WASH-01", K::Plc, "Siemens", "S7-300 CPU 315-2 PN/DP (6ES7315-2EH14-0AB0)", "V3.2.14")
        .legacy("2023-10-01").mac(oui::SIEMENS).protocols(&["s7comm", "profinet"]).desc("Vial washer (2008)."));
    let ahu: Vec<String> = (1..=8)
        .map(|n| b.add(dev(UTIL, format!("LYO-AHU-0{n}"), K::Plc, "Siemens", "Desigo PXC4.E16 automation station", "V6.0.120")
            .protocols(&["bacnet"]).tags(&["gxp", "hvac"]).desc(format!("Air handling unit AHU-{n} (grade {} areas).", if n <= 3 { "A/B" } else { "C/D" }))))
        .collect();
    let chillers: Vec<String> = (1..=2)
        .map(|n| b.add(dev(UTIL, format!("LYO-CHILLER-0{n}"), K::Plc, "Carrier", "AquaForce 30XW chiller controller (PRO-DIALOG+)", "V3.10")
            .crit(C::Medium).protocols(&["modbus"])))
        .collect();
    let util_hmi: Vec<String> = (1..=2)
        .map(|n| b.add(dev(UTIL, format!("LYO-HMI-UTIL-0{n}"), K::Hmi, "Siemens", "SIMATIC TP1200 Comfort (6AV2124-0MC01-0AX0)", "WinCC V17 Update 6 image")
            .level(L::L2).mac(oui::SIEMENS_ET).protocols(&["s7comm"])))
        .collect();
    b.add(dev(UTIL, "LYO-SW-UTIL-01", K::NetworkDevice, "Moxa", "EDS-518E", "V6.1").mac(oui::MOXA).protocols(&["snmp"]));
    let mgate = b.add(dev(UTIL, "LYO-GW-MB-01", K::NetworkDevice, "Moxa", "MGate 5105-MB-EIP", "4.3").mac(oui::MOXA).protocols(&["modbus", "ethernet-ip", "mqtt"])
        .desc("Modbus to EtherNet/IP gateway for the chillers."));
    for n in 1..=2 {
        b.add(dev(UTIL, format!("LYO-NPORT-0{n}"), K::NetworkDevice, "Moxa", "NPort 5150", "3.11").mac(oui::MOXA).protocols(&["tcp-serial"])
            .desc("Serial device server for the autoclave chart recorders (RS-485)."));
    }

    // Safety systems.
    let vhp: Vec<String> = (1..=3)
        .map(|n| b.add(dev(SIS, format!("LYO-SIS-VHP-0{n}"), K::SafetyController, "Siemens", "S7-1500F CPU 1516F-3 PN/DP (6ES7516-3FN02-0AB0)", "V2.9.7")
            .mac(oui::SIEMENS).protocols(&["profinet", "profisafe", "s7comm"])
            .desc(format!("VHP (hydrogen peroxide) decontamination safety of isolator FL{n}: door locks, concentration, aeration interlocks."))))
        .collect();
    let ac_sis: Vec<String> = (1..=2)
        .map(|n| b.add(dev(SIS, format!("LYO-SIS-AC-0{n}"), K::SafetyController, "Siemens", "S7-1200F CPU 1215FC (6ES7215-1AF40-0XB0)", "V4.5.2")
            .mac(oui::SIEMENS).protocols(&["profinet", "profisafe"]).desc(format!("Door interlock and pressure safety of autoclave AC{n}."))))
        .collect();
    let burner = b.add(dev(SIS, "LYO-SIS-BMS-01", K::SafetyController, "HIMA", "HIMax (X-CPU 01)", "CPU OS V10.42")
        .protocols(&["safeethernet", "modbus"]).desc("Burner management of the clean steam boiler (SIL 2)."));
    for n in 1..=3 {
        b.add(dev(SIS, format!("LYO-SIS-PILZ-0{n}"), K::SafetyController, "Pilz", "PNOZmulti 2 (PNOZ m B1)", "1.6").protocols(&["modbus"])
            .desc(format!("Machine guarding of filling line FL{n}.")));
    }
    let ews_safe = b.add(dev(SIS, "LYO-EWS-SAFE-01", K::EngineeringWorkstation, "Siemens", "SIMATIC Field PG M6 (STEP 7 Safety Advanced V18)", "TIA Portal V18 Update 3, Windows 10 LTSC 2019")
        .level(L::L2).mac(oui::SIEMENS_IA).protocols(&["s7comm", "profinet"]).desc("The only workstation allowed to change safety programs; locked away when not in use."));
    b.add(dev(SIS, "LYO-SW-SAFE-01", K::NetworkDevice, "Hirschmann", "RSP20", "HiOS 09.1.02").mac(oui::HIRSCHMANN).protocols(&["snmp", "mrp"]));

    // Field devices.
    let mut fill_io = Vec::new();
    let mut particle = Vec::new();
    for (i, (line, _, _)) in lines.iter().enumerate() {
        let n = i + 1;
        for side in ["A", "B"] {
            fill_io.push(b.add(dev(FIELD, format!("LYO-IO-FILL-0{n}{side}"), K::Rtu, "Siemens", "ET 200SP IM 155-6 PN HF (remote I/O)", "V4.2")
                .mac(oui::SIEMENS_ET).protocols(&["profinet"]).tags(&[line])));
        }
        for d in 1..=3 {
            b.add(dev(FIELD, format!("LYO-DRV-FILL-0{n}-{d}"), K::Actuator, "SEW-Eurodrive", "MOVIDRIVE B (MDX61B) with DFE32B", "V1.40")
                .mac(oui::SEW).protocols(&["profinet"]).tags(&[line]));
        }
        b.add(dev(FIELD, format!("LYO-VT-FILL-0{n}"), K::Actuator, "Festo", "CPX-AP-I valve terminal (VTUG)", "1.6.3").mac(oui::FESTO).protocols(&["profinet"]).tags(&[line]));
        for side in ["A", "B"] {
            particle.push(b.add(dev(FIELD, format!("LYO-PC-FILL-0{n}{side}"), K::Sensor, "Lighthouse Worldwide Solutions", "ApexR3 remote particle counter", "2.4.6")
                .crit(C::Critical).owner("Quality Assurance – EM").protocols(&["modbus"]).tags(&["gxp", "annex-1", line])
                .desc("Grade A particle monitoring at the filling needles.")));
        }
        b.add(dev(FIELD, format!("LYO-WT-FILL-0{n}"), K::Sensor, "Mettler Toledo", "WMS weigh module (in-process control)", "2.0.5").protocols(&["profinet"]).tags(&["gxp", line]));
        b.add(dev(FIELD, format!("LYO-PT-FILL-0{n}"), K::Sensor, "Endress+Hauser", "Cerabar PMP51B (isolator pressure)", "01.00.zz").no_ip().protocols(&["hart"]).tags(&[line])
            .desc("4–20 mA/HART into the isolator I/O."));
    }
    for n in 1..=4 {
        b.add(dev(FIELD, format!("LYO-IO-LYO-0{n}"), K::Rtu, "Siemens", "ET 200SP IM 155-6 PN HF (remote I/O)", "V4.2").mac(oui::SIEMENS_ET).protocols(&["profinet"]));
        b.add(dev(FIELD, format!("LYO-DRV-VAC-0{n}"), K::Actuator, "Danfoss", "VLT AutomationDrive FC 302 (vacuum pump)", "5.02").protocols(&["profinet"]));
        b.add(dev(FIELD, format!("LYO-PT-LYO-0{n}"), K::Sensor, "MKS Instruments", "Baratron 627F capacitance manometer", "").no_ip().tags(&["gxp"])
            .desc("Chamber pressure, analogue into the dryer I/O."));
        b.add(dev(FIELD, format!("LYO-TT-LYO-0{n}"), K::Sensor, "Endress+Hauser", "iTEMP TMT82 (shelf temperature)", "01.01.zz").no_ip().protocols(&["hart"]).tags(&["gxp"]));
    }
    let mut pack_cams = Vec::new();
    for n in 1..=2 {
        for side in ["A", "B"] {
            pack_cams.push(b.add(dev(FIELD, format!("LYO-CAM-PK-0{n}{side}"), K::Sensor, "Cognex", "In-Sight 3800 (code verification)", "6.3.1")
                .mac(oui::COGNEX).protocols(&["ethernet-ip"]).tags(&["serialisation"])));
        }
        b.add(dev(FIELD, format!("LYO-PRN-PK-0{n}"), K::Other, "Videojet", "8520 thermal inkjet printer", "3.9").protocols(&["tcp-raw"]).tags(&["serialisation"]));
        b.add(dev(FIELD, format!("LYO-RD-PK-0{n}"), K::Sensor, "SICK", "Lector 642 (aggregation reader)", "1.5.0").mac(oui::SICK).protocols(&["ethernet-ip"]));
        for d in 1..=2 {
            b.add(dev(FIELD, format!("LYO-DRV-PK-0{n}-{d}"), K::Actuator, "SEW-Eurodrive", "MOVIMOT advanced", "V1.10").mac(oui::SEW).protocols(&["ethernet-ip"]));
        }
    }
    for n in 1..=2 {
        b.add(dev(FIELD, format!("LYO-FT-WFI-0{n}"), K::Sensor, "Endress+Hauser", "Promag H 300 (WFI loop flow)", "01.04.zz").protocols(&["profinet"]).tags(&["gxp"]));
        b.add(dev(FIELD, format!("LYO-LT-WFI-0{n}"), K::Sensor, "VEGA", "VEGAPULS 64 (WFI tank level)", "1.3.0").no_ip().protocols(&["hart"]));
        b.add(dev(FIELD, format!("LYO-DRV-WFI-0{n}"), K::Actuator, "Danfoss", "VLT AquaDrive FC 202 (loop pump)", "5.02").protocols(&["profinet"]));
        b.add(dev(FIELD, format!("LYO-EM-0{n}"), K::Plc, "WAGO", "PFC200 (750-8212) energy metering", "FW 26").mac(oui::WAGO).protocols(&["modbus", "mqtt"]));
    }
    let toc = b.add(dev(FIELD, "LYO-TOC-01", K::Sensor, "Veolia (Sievers)", "M500 TOC analyzer", "2.1.0").protocols(&["modbus"]).tags(&["gxp"])
        .desc("Online TOC of the WFI loop (USP <643>)."));
    let plcnext = b.add(dev(FIELD, "LYO-PLCNEXT-01", K::Plc, "Phoenix Contact", "AXC F 2152 (PLCnext Control)", "2024.0.4 LTS").mac(oui::PHOENIX)
        .protocols(&["profinet", "opcua", "mqtt"]).owner("Digital Manufacturing").desc("Utility consumption metering (steam, WFI, compressed air)."));

    // Vendor remote access.
    let src = b.add(dev(VRA, "LYO-SRC-01", K::Application, "Siemens", "SINEMA Remote Connect server", "V3.2 SP1").protocols(&["https", "openvpn"]));
    let mut ewons = Vec::new();
    for (tag, what) in [("FL1", "filling line FL1 (Bausch+Ströbel)"), ("FL2", "filling line FL2 (Bausch+Ströbel)"), ("FL3", "filling line FL3 (Groninger)"), ("LY1", "freeze dryer LY1 (GEA)")] {
        ewons.push(b.add(dev(VRA, format!("LYO-EWON-{tag}"), K::IiotGateway, "HMS", "Ewon Flexy 205", "14.8s2").mac(oui::HMS).protocols(&["https", "openvpn"])
            .desc(format!("OEM gateway of {what} (Talk2M); enabled per ticket."))));
    }
    b.add(dev(VRA, "LYO-M876-01", K::NetworkDevice, "Siemens", "SCALANCE M876-4 (4G router)", "V8.1").mac(oui::SIEMENS_ET).protocols(&["ipsec", "https"])
        .desc("Cellular backup for GEA remote service; powered off by default."));
    let rogue_ewon = b.add(dev(VRA, "Unregistered Ewon 10.10.200.77", K::IiotGateway, "HMS", "Ewon Cosy 131 (fingerprint)", "").ip("10.10.200.77").mac(oui::HMS)
        .owner("").protocols(&["openvpn"]).tags(&["to-review"]).observed("2026-02-19T09:12:44Z", "2026-03-24T16:03:10Z", NDR)
        .desc("Seen talking to Talk2M; not in the asset register. Owner and purpose to be confirmed (ticket OT-2026-041)."));

    // Cloud.
    let iot_hub = b.add(dev(CLOUD, "IIoT platform (Azure IoT Hub)", K::CloudService, "Microsoft", "Azure IoT Hub (S2, West Europe)", "")
        .protocols(&["mqtt", "amqps", "https"]).desc("Device registry and telemetry ingestion; private endpoint."));
    let adx = b.add(dev(CLOUD, "Azure Data Explorer (process data)", K::CloudService, "Microsoft", "Azure Data Explorer", "").protocols(&["https", "amqps"]));
    b.add(dev(CLOUD, "Azure Key Vault (device certificates)", K::CloudService, "Microsoft", "Azure Key Vault", "").protocols(&["https"]));
    b.add(dev(CLOUD, "Power BI (OEE dashboards)", K::CloudService, "Microsoft", "Power BI Premium", "").no_ip().out_of_scope().crit(C::Low).protocols(&["https"]));

    // Engineering laptops, Wi-Fi, enterprise.
    let laptops: Vec<String> = (1..=4)
        .map(|n| b.add(dev(TEMP, format!("LYO-LT-ENG-0{n}"), K::EngineeringWorkstation, "Dell", "Latitude 5430 Rugged", "Windows 11 Enterprise 23H2 (TIA Portal V18, Studio 5000 v33)")
            .mac(oui::DELL).protocols(&["s7comm", "ethernet-ip", "rdp"])))
        .collect();
    let oem_laptop = b.add(dev(TEMP, "LYO-LT-OEM-GEA", K::EngineeringWorkstation, "GEA", "OEM service laptop", "Windows 10 Enterprise 22H2").owner("GEA Lyophilization service")
        .protocols(&["s7comm"]).observed("2026-03-03T06:55:02Z", "2026-03-03T11:48:30Z", NDR).desc("Seen during the LY3 maintenance; kiosk scan on record (ticket OT-2026-033)."));
    b.add(dev(WIFI, "LYO-WLC-01", K::NetworkDevice, "Cisco", "Catalyst 9800-L wireless controller", "IOS XE 17.9.5").mac(oui::CISCO).protocols(&["capwap", "radius"]));
    for n in 1..=4 {
        b.add(dev(WIFI, format!("LYO-AP-0{n}"), K::NetworkDevice, "Cisco", "Catalyst 9120AXI access point", "17.9.5").mac(oui::CISCO).protocols(&["capwap"]));
    }
    let handhelds: Vec<String> = (1..=4)
        .map(|n| b.add(dev(WIFI, format!("LYO-HH-0{n}"), K::Other, "Zebra", "TC52 handheld (weighing and dispensing)", "Android 11").protocols(&["https"])))
        .collect();
    for n in 1..=2 {
        b.add(dev(WIFI, format!("LYO-TAB-0{n}"), K::Other, "Microsoft", "Surface Go 3 (electronic logbook)", "Windows 11 Enterprise 23H2").protocols(&["https"]));
    }
    let qa_ws: Vec<String> = (1..=4)
        .map(|n| b.add(dev(ENT, format!("LYO-QA-WS-0{n}"), K::Other, "Dell", "OptiPlex 7010 (batch record review)", "Windows 11 Enterprise 23H2")
            .mac(oui::DELL).out_of_scope().crit(C::Low).protocols(&["https", "rdp"])))
        .collect();

    // Flows: filling.
    for n in 0..3 {
        let line = lines[n].0;
        b.flow(flow(node(&fill_hmi[n]), node(&fill_plc[n]), "s7comm", Some(102), format!("Operator control of filler {line}")).both());
        b.flow(flow(node(&format!("LYO-HMI-ISO-0{}", n + 1)), node(&iso_plc[n]), "s7comm", Some(102), "Operator control of the isolator").both());
        b.flow(flow(node(&fill_plc[n]), node(&iso_plc[n]), "profinet", None, "Interlocks between filler and isolator (I-device)").both());
        b.flow(flow(node(&fill_plc[n]), node(&cap_plc[n]), "profinet", None, "Handshake filler to capping").both());
        b.flow(flow(node(&scada[0]), node(&fill_plc[n]), "opcua", Some(4840), "SCADA process values, alarms and batch events").both()
            .seen("2026-01-12T08:00:00Z", "2026-03-27T23:59:00Z", 1_204 + 31 * n as u64, 9_812_334_102));
        b.flow(flow(node(&scada[1]), node(&fill_plc[n]), "opcua", Some(4840), "Redundant SCADA server").both());
        b.flow(flow(node(&piconn[0]), node(&fill_plc[n]), "opcua", Some(4840), "Fill weights and isolator pressures to PI"));
        b.flow(flow(node(&fill_plc[n]), node(&fill_io[2 * n]), "profinet", None, "Cyclic I/O").both());
        b.flow(flow(node(&fill_plc[n]), node(&fill_io[2 * n + 1]), "profinet", None, "Cyclic I/O").both());
        b.flow(flow(node(&vhp[n]), node(&iso_plc[n]), "profinet", None, "PROFIsafe: VHP safety state and safe stop of the isolator").both());
        b.flow(flow(node(&ems), node(&particle[2 * n]), "modbus", Some(502), "Continuous grade A particle monitoring (EU GMP Annex 1)"));
        b.flow(flow(node(&ems), node(&particle[2 * n + 1]), "modbus", Some(502), "Continuous grade A particle monitoring (EU GMP Annex 1)"));
    }
    // Lyophilisation.
    for n in 0..4 {
        b.flow(flow(node(&lyo_hmi[n]), node(&lyo_plc[n]), "s7comm", Some(102), "Operator control of the freeze dryer").both());
        b.flow(flow(node(&scada[0]), node(&lyo_plc[n]), "opcua", Some(4840), "Cycle supervision and recipe selection").both());
        b.flow(flow(node(&piconn[1]), node(&lyo_plc[n]), "opcua", Some(4840), "Cycle data (shelf temperature, chamber pressure) to PI for batch release"));
    }
    for n in 0..2 {
        b.flow(flow(node(&als_hmi[n]), node(&als_plc[n]), "ethernet-ip", Some(44818), "Operator control of the loading system").both());
    }
    // Inspection and packaging.
    for (plc, hmi, vision) in &avi {
        b.flow(flow(node(hmi), node(plc), "ethernet-ip", Some(44818), "Operator control of the inspection machine").both());
        b.flow(flow(node(vision), node(plc), "ethernet-ip", Some(44818), "Inspection results and reject signals").both());
    }
    for (n, (labeller, cartoner, case_packer, hmi, line_ctrl)) in pack.iter().enumerate() {
        b.flow(flow(node(hmi), node(cartoner), "ethernet-ip", Some(44818), "Operator control of the cartoner").both());
        b.flow(flow(node(hmi), node(labeller), "ethernet-ip", Some(44818), "Operator control of the labeller").both());
        b.flow(flow(node(cartoner), node(case_packer), "ethernet-ip", Some(44818), "Line synchronisation (produced and consumed tags)").both());
        b.flow(flow(node(&ser_site), node(line_ctrl), "https", Some(443), "Serial number lists down, commissioning and aggregation events up").both().encrypted());
        b.flow(flow(node(line_ctrl), node(&pack_cams[2 * n]), "ethernet-ip", Some(2222), "Code verification results"));
        b.flow(flow(node(line_ctrl), node(&pack_cams[2 * n + 1]), "ethernet-ip", Some(2222), "Code verification results"));
    }
    // Utilities.
    for unit in &ahu {
        b.flow(flow(node(&bms), node(unit), "bacnet", Some(47808), "GMP HVAC supervision: pressure cascades, setpoints, alarms").both());
    }
    for target in [&wfi, &pure_steam, &autoclave[0], &autoclave[1]] {
        b.flow(flow(node(&scada[0]), node(target), "s7comm", Some(102), "Utilities supervision").both());
    }
    b.flow(flow(node(&util_hmi[0]), node(&wfi), "s7comm", Some(102), "Local operation of the WFI still").both());
    b.flow(flow(node(&util_hmi[1]), node(&cip[0]), "ethernet-ip", Some(44818), "Local operation of the CIP skids").both());
    b.flow(flow(node(&util_hmi[1]), node(&cip[1]), "ethernet-ip", Some(44818), "Local operation of the CIP skids").both());
    b.flow(flow(node(&wfi), node(&toc), "modbus", Some(502), "TOC and conductivity of the WFI loop"));
    b.flow(flow(node(&piconn[1]), node(&wfi), "opcua", Some(4840), "WFI loop data to PI (GxP)"));
    for chiller in &chillers {
        b.flow(flow(node(&mgate), node(chiller), "modbus", Some(502), "Chiller status and setpoints").both());
    }
    b.flow(flow(node(&cip[0]), node(&mgate), "ethernet-ip", Some(44818), "Chilled water demand").both());
    // Safety.
    for n in 0..2 {
        b.flow(flow(node(&ac_sis[n]), node(&autoclave[n]), "profinet", None, "PROFIsafe: door interlock and safe depressurisation").both());
    }
    b.flow(flow(node(&pure_steam), node(&burner), "modbus", Some(502), "Read-only boiler status for the pure steam generator"));
    b.flow(flow(node(&ews_safe), node(&vhp[0]), "s7comm", Some(102), "Safety program download under change control (last: CR-2025-118)").both());
    // Level 3, DMZ and enterprise.
    for connector in &piconn {
        b.flow(flow(node(connector), node(&pi_da), "pi", Some(5450), "Buffered data to the PI Data Archive")
            .seen("2026-01-12T08:00:00Z", "2026-03-27T23:59:00Z", 412, 48_221_903_411));
    }
    b.flow(flow(node(&pi_da), node(&pi_dmz), "pi", Some(5450), "Replication to the DMZ replica through the unidirectional gateway"));
    b.flow(flow(node(&pi_af), node(&pi_da), "pi", Some(5450), "Asset framework analyses"));
    b.flow(flow(node(&pivision), node(&pi_dmz), "pi", Some(5450), "Displays for enterprise users"));
    for ws in &qa_ws[..2] {
        b.flow(flow(node(ws), node(&pivision), "https", Some(443), "Batch review of lyophilisation cycles").encrypted());
    }
    b.flow(flow(ext("Corporate users (RD gateway clients)"), node(&rdg), "https", Some(443), "Remote desktop over HTTPS with MFA").both().encrypted());
    b.flow(flow(node(&rdg), node(&jump[0]), "rdp", Some(3389), "Sessions to the jump host").both().encrypted());
    b.flow(flow(node(&jump[0]), node(&pi_da), "rdp", Some(3389), "Historian administration").both().encrypted());
    b.flow(flow(node(&jump[1]), node(&jump_ot), "rdp", Some(3389), "Second hop into Level 3").both().encrypted());
    b.flow(flow(node(&jump_ot), node(&ews_tia[0]), "rdp", Some(3389), "Engineering sessions").both().encrypted());
    for (app, server) in mes_app.iter().zip(&scada) {
        b.flow(flow(node(app), node(server), "opcua", Some(4840), "Process orders, recipe download and batch events (PAS-X to WinCC)").both().encrypted()
            .seen("2026-01-12T08:00:00Z", "2026-03-27T23:59:00Z", 96, 1_118_203_004));
        b.flow(flow(node(app), node(&mes_db), "sql", Some(1433), "MES database").both());
    }
    b.flow(flow(node(&mes_app[0]), node(&mes_int), "https", Some(443), "Integration messages to ERP and LIMS").both().encrypted());
    b.flow(flow(ext(SAP), node(&mes_int), "https", Some(443), "Process orders, bills of materials and master data from ERP").encrypted());
    b.flow(flow(node(&mes_int), ext(SAP), "https", Some(443), "Goods movements, confirmations and batch status to ERP").encrypted());
    b.flow(flow(node(&mes_int), ext("LabWare LIMS (lims.corp.example)"), "https", Some(443), "Sample requests at batch start, results back").both().encrypted());
    b.flow(flow(node(&ser_site), ext("SAP ATTP (attp.corp.example)"), "https", Some(443), "Serial numbers and EU FMD reporting; crosses the DMZ by a reverse proxy rule").both().encrypted());
    // Domain, time, patches, antivirus.
    b.flow(flow(node(&scada[0]), node(&ad[0]), "kerberos", Some(88), "Operator authentication").both());
    b.flow(flow(node(&scada[0]), node(&ad[0]), "ldaps", Some(636), "Group membership for WinCC roles").both().encrypted());
    b.flow(flow(node(&ews_tia[0]), node(&ad[1]), "kerberos", Some(88), "Engineer authentication").both());
    for client in [&scada[0], &pi_da, &ems] {
        b.flow(flow(node(client), node(&ntp), "ntp", Some(123), "Time synchronisation").both());
    }
    b.flow(flow(node(&scada[0]), node(&wsus), "https", Some(8531), "Approved patches").encrypted());
    b.flow(flow(node(&wsus), node(&wsus_dmz), "https", Some(8531), "Patch synchronisation").encrypted());
    b.flow(flow(node(&wsus_dmz), ext("Microsoft Update (update.microsoft.com)"), "https", Some(443), "Patch download").encrypted());
    b.flow(flow(node(&av), node(&av_relay), "https", Some(443), "Signature updates").encrypted());
    // IIoT.
    b.flow(flow(node(&edge), node(&scada[0]), "opcua", Some(4840), "Read-only subscription for OEE and energy").encrypted());
    b.flow(flow(node(&edge), node(&mqtt), "mqtt", Some(8883), "OEE and energy topics").encrypted());
    b.flow(flow(node(&iiot_gw), node(&mqtt), "mqtt", Some(8883), "Subscribes to the site topics").encrypted());
    b.flow(flow(node(&iiot_gw), node(&iot_hub), "mqtt", Some(8883), "Telemetry to Azure IoT Hub (X.509 device certificate)").encrypted()
        .seen("2026-01-12T08:00:00Z", "2026-03-27T23:59:00Z", 88, 2_904_118_220));
    b.flow(flow(node(&iot_hub), node(&adx), "amqps", Some(5671), "Ingestion into the process data store").encrypted());
    b.flow(flow(node(&plcnext), node(&mqtt), "mqtt", Some(8883), "Utility metering published straight to the DMZ broker (firewall exception EX-2025-07, to be removed)").encrypted());
    // Remote access.
    b.flow(flow(ext("GEA service (SINEMA RC client)"), node(&src), "https", Some(443), "OEM technician connects with an individual account and MFA").both().encrypted());
    b.flow(flow(node(&src), node(&ews_tia[1]), "rdp", Some(3389), "OEM sessions land on an engineering workstation, never on controllers").both().encrypted());
    for gateway in &ewons {
        b.flow(flow(node(gateway), ext(TALK2M), "openvpn", Some(1194), "OEM remote access tunnel (outbound)").both().encrypted());
    }
    b.flow(flow(node(&ewons[0]), node(&fill_plc[0]), "s7comm", Some(102), "Bausch+Ströbel diagnostics; the Ewon LAN port is cabled into the FL1 machine network").both());
    b.flow(flow(node(&ewons[3]), node(&lyo_hmi[0]), "vnc", Some(5900), "GEA screen sessions on the LY1 panel through the OEM gateway, bypassing SINEMA Remote Connect").both());
    // Seen in traffic, documented nowhere.
    b.flow(flow(node(&laptops[1]), node(&lyo_plc[2]), "s7comm", Some(102), "Engineering laptop online to the LY3 controller outside any change request")
        .both().undocumented("2026-03-03T07:02:11Z", "2026-03-03T11:47:56Z", 41, 1_842_110));
    b.flow(flow(node(&oem_laptop), node(&lyo_plc[2]), "s7comm", Some(102), "OEM laptop online to the LY3 controller")
        .both().undocumented("2026-03-03T07:15:40Z", "2026-03-03T11:40:02Z", 17, 655_902));
    b.flow(flow(node(&ews_s7), ext("8.8.8.8"), "dns", Some(53), "Public DNS queries from the Windows 7 workstation")
        .both().undocumented("2026-02-02T10:31:00Z", "2026-03-26T15:12:44Z", 2_214, 301_884));
    b.flow(flow(node(&clients[2]), node(&washer), "s7comm", Some(102), "Operator station reads the vial washer directly")
        .both().undocumented("2026-01-20T05:59:12Z", "2026-03-27T21:04:33Z", 8_812, 74_220_118));
    b.flow(flow(node(&rogue_ewon), ext(TALK2M), "openvpn", Some(1194), "Unregistered remote access tunnel")
        .both().undocumented("2026-02-19T09:12:44Z", "2026-03-24T16:03:10Z", 63, 18_442_907));
    b.flow(flow(node(&handhelds[1]), node(&pi_da), "https", Some(443), "Handheld browses the historian's web services")
        .encrypted().undocumented("2026-03-10T13:22:09Z", "2026-03-10T13:25:51Z", 6, 48_220));
    b.flow(flow(node(&qa_ws[2]), node(&scada[0]), "rdp", Some(3389), "Enterprise workstation reaches the SCADA server directly (firewall rule too broad)")
        .both().encrypted().undocumented("2026-02-27T16:40:18Z", "2026-02-27T16:58:02Z", 3, 9_823_110));

    b.interfaces(&[
        InterfaceSpec { name: "MES – Körber PAS-X (electronic batch records)", kind: InterfaceKind::Mes, external: "Körber PAS-X MES 3.3 (site instance, validated)",
            responsible: "Manufacturing IT – MES product team",
            boundary: "The PAS-X application and database servers are operated by manufacturing IT under their own validated change control and are outside the ISMS scope. The boundary is the OPC UA client connection from the MES application servers to the WinCC servers (certificate per client, writable nodes limited to order and recipe download) and the MSI integration server in the DMZ. Interface agreement IA-LYO-004.",
            asset: Some("LYO-SCADA-01"), zone: Some(SUP), protocols: &["opcua", "https"], direction: InterfaceDirection::Bidirectional,
            data: "Process orders, master recipes and parameter sets to the lines; batch events, process values, alarms and EBR signatures back." },
        InterfaceSpec { name: "ERP – SAP S/4HANA", kind: InterfaceKind::Erp, external: "SAP S/4HANA 2022 (corporate, PRD client 100)",
            responsible: "Corporate IT – SAP Centre of Excellence",
            boundary: "SAP runs in the corporate data centre. Integration goes through SAP Integration Suite to the PAS-X MSI server in the industrial DMZ over HTTPS with mutual TLS; no SAP connection reaches Level 3 or below.",
            asset: Some("LYO-MES-INT-01"), zone: Some(DMZ), protocols: &["https"], direction: InterfaceDirection::Bidirectional,
            data: "Process orders, bills of materials, goods movements, batch status and usage decisions." },
        InterfaceSpec { name: "LIMS – LabWare", kind: InterfaceKind::Lims, external: "LabWare LIMS 8 (QC laboratory)",
            responsible: "Quality Control – LIMS administrator",
            boundary: "The LIMS is hosted by corporate IT. The MSI integration server exchanges sample requests and results with it; results only become GMP data once reviewed in the LIMS.",
            asset: Some("LYO-MES-INT-01"), zone: Some(DMZ), protocols: &["https"], direction: InterfaceDirection::Bidirectional,
            data: "Sample requests at batch start; in-process control results and release status back." },
        InterfaceSpec { name: "QMS – Veeva Vault Quality", kind: InterfaceKind::Qms, external: "Veeva Vault QMS (SaaS)",
            responsible: "Quality Assurance – QMS business owner",
            boundary: "SaaS without a technical connection to OT: deviations, CAPAs and change controls reference OT assets by name (SOP-QA-012). The risk is managed procedurally.",
            asset: None, zone: None, protocols: &["https"], direction: InterfaceDirection::Outbound,
            data: "Deviation, CAPA and change control records that cite OT assets and security events." },
        InterfaceSpec { name: "Vendor – GEA remote service", kind: InterfaceKind::VendorSystem, external: "GEA lyophilisation remote service",
            responsible: "GEA Lyophilization service (contract SC-2024-118)",
            boundary: "Sessions terminate on SINEMA Remote Connect in the vendor remote access zone; GEA technicians use individual accounts with MFA; sessions are enabled per ticket and recorded. GEA reports incidents affecting the site within 24 hours (contract annex 3).",
            asset: Some("LYO-SRC-01"), zone: Some(VRA), protocols: &["https", "rdp"], direction: InterfaceDirection::Inbound,
            data: "Screen sessions to the freeze-dryer panels and the engineering workstation; alarm and recipe diagnostics." },
        InterfaceSpec { name: "Serialisation – SAP ATTP and EU hub", kind: InterfaceKind::Other, external: "SAP Advanced Track and Trace for Pharmaceuticals (corporate) and EMVS EU hub",
            responsible: "Corporate IT – serialisation team",
            boundary: "The site server requests serial numbers from and reports commissioning to SAP ATTP, which reports to the EU hub. The connection crosses the DMZ through a reverse proxy rule (finding F-LYO-2026-07).",
            asset: Some("LYO-SER-SITE-01"), zone: Some(OPS), protocols: &["https"], direction: InterfaceDirection::Bidirectional,
            data: "Serial number ranges in; commissioning, aggregation and decommissioning events out." },
    ]);
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// Demo site 2: aerostructures machining, Wichita (aerospace).
// ---------------------------------------------------------------------------------------------

#[rustfmt::skip]
fn wichita() -> Result<SitePlan> {
    const ENT: &str = "Enterprise IT";
    const DMZ: &str = "Industrial DMZ";
    const OPS: &str = "Site operations";
    const SUP: &str = "Supervisory";
    const MACH: &str = "Machining cells";
    const COMP: &str = "Composites and autoclave control";
    const HT: &str = "Heat treatment and inspection control";
    const SIS: &str = "Safety systems";
    const FIELD: &str = "Field devices";
    const VRA: &str = "Vendor remote access";
    const CLOUD: &str = "Cloud IIoT platform (AWS GovCloud)";
    const TEMP: &str = "Engineering laptops";
    const WIFI: &str = "Shop-floor wireless";
    const CTD: &str = "Claroty xDome ICT-NDR-01";

    let mut b = Builder::new(
        &SiteSpec {
            code: "ICT",
            name: "Wichita aerostructures machining plant",
            country: "US",
            time_zone: "America/Chicago",
            industry: Industry::Aerospace,
            regulations: &[Regulation::As9100, Regulation::ExportControl],
            description: "Five-axis machining of titanium and aluminium wing and fuselage parts, composite layup and autoclave \
                curing, vacuum heat treatment, NDT and CMM inspection. NC programs and models are export-controlled technical \
                data (ITAR/EAR): only authorised US persons may access them, on the shop floor too. AS9100D certified; \
                customer flow-down of NIST SP 800-171 for controlled unclassified information.",
            register: "ICT OT inventory 2026-02.xlsx",
        },
        0x4943_5402,
    );

    b.zones(&[
        ZoneSpec { name: ENT, kind: ZoneKind::Enterprise, level: Some(L::L4), subnets: &["10.20.0.0/22"], sl: sl::ENTERPRISE, criticality: C::Medium, owner: "Corporate IT – workplace",
            description: "Site office network: planning, quality and programming workstations. CAM programming happens here, inside the export-control enclave of corporate IT." },
        ZoneSpec { name: DMZ, kind: ZoneKind::Dmz, level: Some(L::L35), subnets: &["10.20.100.0/24"], sl: sl::DMZ, criticality: C::High, owner: "OT Infrastructure",
            description: "Between the Cisco (north) and FortiGate (south) firewall pairs: PLM file cache, ERP integration, secure file transfer, read-only dashboards, AWS Greengrass gateways, jump host for US persons." },
        ZoneSpec { name: OPS, kind: ZoneKind::Supervisory, level: Some(L::L3), subnets: &["10.20.110.0/24"], sl: sl::OPERATIONS, criticality: C::High, owner: "OT Infrastructure",
            description: "Level 3: DNC server (controlled copy of NC programs), MES, tool management, historian, quality data, AGV fleet manager, OT domain, virtualisation." },
        ZoneSpec { name: SUP, kind: ZoneKind::Supervisory, level: Some(L::L2), subnets: &["10.20.120.0/24"], sl: sl::SUPERVISORY, criticality: C::High, owner: "Manufacturing Engineering – controls",
            description: "Ignition SCADA (redundant), shop-floor terminals, MTConnect agent, FactoryTalk View for the autoclaves, engineering workstations." },
        ZoneSpec { name: MACH, kind: ZoneKind::Control, level: Some(L::L1), subnets: &["10.20.130.0/23"], sl: sl::CONTROL, criticality: C::Critical, owner: "Manufacturing Engineering – controls",
            description: "Twelve CNC machining centres (SINUMERIK, FANUC, HEIDENHAIN, Haas, one 1998 profiler on RS-232 through a serial server), a pallet system, deburring and drilling robots." },
        ZoneSpec { name: COMP, kind: ZoneKind::Control, level: Some(L::L1), subnets: &["10.20.132.0/24"], sl: sl::CONTROL, criticality: C::Critical, owner: "Manufacturing Engineering – controls",
            description: "Two autoclaves, automated fibre placement, ply cutter, cleanroom HVAC and prepreg freezer." },
        ZoneSpec { name: HT, kind: ZoneKind::Control, level: Some(L::L1), subnets: &["10.20.133.0/24"], sl: sl::CONTROL, criticality: C::High, owner: "Special Processes",
            description: "Vacuum furnaces with AMS2750 pyrometry recorders, penetrant line, ultrasonic C-scan, CMMs. Special process records are quality records." },
        ZoneSpec { name: SIS, kind: ZoneKind::Safety, level: Some(L::L1), subnets: &["10.20.140.0/24"], sl: sl::SAFETY, criticality: C::Critical, owner: "EHS – machine safety",
            description: "Autoclave pressure-vessel safety, furnace burner management, robot cell safety, fibre placement machine safety, safety laser scanners." },
        ZoneSpec { name: FIELD, kind: ZoneKind::Field, level: Some(L::L0), subnets: &["10.20.144.0/22"], sl: sl::FIELD, criticality: C::High, owner: "Maintenance",
            description: "IO-Link masters, tool RFID, remote I/O, drives, valve terminals, pressure transmitters." },
        ZoneSpec { name: VRA, kind: ZoneKind::RemoteAccess, level: None, subnets: &["10.20.200.0/24"], sl: sl::REMOTE, criticality: C::High, owner: "OT Infrastructure",
            description: "Privileged remote access appliance and OEM gateways (Makino, Fastems, FANUC ZDT). Access for US persons only; sessions recorded." },
        ZoneSpec { name: CLOUD, kind: ZoneKind::Cloud, level: None, subnets: &["10.220.8.0/24"], sl: sl::CLOUD, criticality: C::Medium, owner: "Digital Manufacturing",
            description: "AWS GovCloud (US-West) account for machine data: IoT Core, IoT SiteWise, S3 data lake, Managed Grafana. Chosen for export-controlled data; outbound only." },
        ZoneSpec { name: TEMP, kind: ZoneKind::Temporary, level: Some(L::L2), subnets: &["10.20.210.0/24"], sl: sl::TEMPORARY, criticality: C::High, owner: "Manufacturing Engineering – controls",
            description: "Engineering and OEM laptops on dedicated ports, enabled per work order." },
        ZoneSpec { name: WIFI, kind: ZoneKind::Wireless, level: Some(L::L3), subnets: &["10.20.220.0/24", "fd3a:20:220::/64"], sl: sl::WIRELESS, criticality: C::Medium, owner: "OT Infrastructure",
            description: "Industrial Wi-Fi (dual stack) for autonomous mobile robots and electronic traveller tablets." },
    ]);

    b.conduits(&[
        ConduitSpec { name: "Enterprise – DMZ", zones: &[ENT, DMZ], services: &["https/443", "https/8043"], one_way: false, encrypted: true, sl: sl::DMZ,
            description: "North firewall pair (Cisco Secure Firewall 3110): dashboards, file transfer, ERP and PLM integration." },
        ConduitSpec { name: "DMZ – Site operations", zones: &[DMZ, OPS], services: &["https/443", "https/4544", "https/8060", "rdp/3389", "mqtt/8883", "https/8531"], one_way: false, encrypted: false, sl: sl::DMZ,
            description: "South firewall pair (FortiGate 200F): PLM cache to DNC, MES integration, historian to gateways, jump host, patches." },
        ConduitSpec { name: "Site operations – Supervisory", zones: &[OPS, SUP], services: &["https/8043", "https/8060", "canary/55291", "sql/1433", "rdp/3389", "kerberos/88", "ldaps/636", "ntp/123"], one_way: false, encrypted: false, sl: sl::OPERATIONS,
            description: "MES to SCADA, SCADA to historian, domain and time services." },
        ConduitSpec { name: "DNC and machine data", zones: &[OPS, MACH], services: &["smb/445", "focas/8193", "lsv2/19000", "tcp-serial/4001", "sql/1433"], one_way: false, encrypted: false, sl: sl::CONTROL,
            description: "NC program distribution from the DNC server and tool data from the presetter. Programs are export-controlled: SMB signing enforced, shares per machine." },
        ConduitSpec { name: "Supervisory – Machining", zones: &[SUP, MACH], services: &["opcua/4840", "s7comm/102", "ethernet-ip/44818", "focas/8193", "mtconnect/7878", "vnc/5900"], one_way: false, encrypted: false, sl: sl::CONTROL,
            description: "Machine monitoring and cell control." },
        ConduitSpec { name: "Supervisory – Composites, heat treatment and inspection", zones: &[SUP, COMP, HT], services: &["ethernet-ip/44818", "modbus/502", "opcua/4840", "https/443"], one_way: false, encrypted: false, sl: sl::CONTROL,
            description: "Autoclave SCADA, furnace and recorder collection." },
        ConduitSpec { name: "Quality data (inspection – site operations)", zones: &[HT, OPS], services: &["smb/445"], one_way: false, encrypted: false, sl: sl::CONTROL,
            description: "CMM and C-scan results to the quality data server." },
        ConduitSpec { name: "Control – Safety", zones: &[MACH, COMP, HT, SIS], services: &["profinet", "ethernet-ip/44818", "ethernet-ip/2222", "modbus/502"], one_way: false, encrypted: false, sl: sl::SAFETY,
            description: "CIP Safety and PROFIsafe between standard and safety controllers; read-only trip status." },
        ConduitSpec { name: "Control – Field", zones: &[MACH, COMP, HT, FIELD], services: &["profinet", "ethernet-ip/44818", "ethernet-ip/2222", "modbus/502", "tcp-serial/4001"], one_way: false, encrypted: false, sl: sl::FIELD,
            description: "Cell networks down to the devices." },
        ConduitSpec { name: "Vendor remote access – Supervisory and machining", zones: &[VRA, SUP, MACH], services: &["rdp/3389", "vnc/5900", "focas/8193", "http/80"], one_way: false, encrypted: true, sl: sl::REMOTE,
            description: "Privileged remote access to engineering workstations; OEM gateways to their machines (enabled per ticket)." },
        ConduitSpec { name: "Vendor remote access – DMZ", zones: &[VRA, DMZ], services: &["https/443"], one_way: false, encrypted: true, sl: sl::REMOTE,
            description: "Outbound connections of the remote access appliance and gateways." },
        ConduitSpec { name: "DMZ – Cloud IIoT (outbound only)", zones: &[DMZ, CLOUD], services: &["mqtt/8883", "https/443"], one_way: true, encrypted: true, sl: sl::CLOUD,
            description: "Greengrass gateways publish to AWS GovCloud; no cloud-to-device commands are configured or allowed." },
        ConduitSpec { name: "Engineering laptops – Supervisory and machining", zones: &[TEMP, SUP, MACH], services: &["s7comm/102", "ethernet-ip/44818", "focas/8193", "smb/445", "rdp/3389"], one_way: false, encrypted: false, sl: sl::TEMPORARY,
            description: "Per work order, MAC-bound ports." },
        ConduitSpec { name: "Shop-floor wireless – Site operations", zones: &[WIFI, OPS], services: &["https/443", "https/8043"], one_way: false, encrypted: true, sl: sl::WIRELESS,
            description: "Robots to their fleet manager, tablets to the MES." },
    ]);

    // Industrial DMZ.
    for n in 1..=2 {
        b.add(dev(DMZ, format!("ICT-FW-N-0{n}"), K::Firewall, "Cisco", "Secure Firewall 3110", "FTD 7.2.5").crit(C::Critical).owner("Site IT – network")
            .mac(oui::CISCO).protocols(&["https", "ssh", "syslog"]).tags(&["ha-pair"]));
        b.add(dev(DMZ, format!("ICT-FW-S-0{n}"), K::Firewall, "Fortinet", "FortiGate 200F", "FortiOS 7.2.8").crit(C::Critical)
            .mac(oui::FORTINET).protocols(&["https", "ssh", "syslog"]).tags(&["ha-pair"]));
    }
    b.add(dev(DMZ, "ICT-SW-DMZ-01", K::NetworkDevice, "Cisco", "Catalyst 9300-24T", "IOS XE 17.9.4a").mac(oui::CISCO).protocols(&["snmp", "ssh"]));
    let ign_dmz = b.add(dev(DMZ, "ICT-IGN-DMZ-01", K::Application, "Inductive Automation", "Ignition gateway (read-only dashboards)", "8.1.43").protocols(&["https"]));
    let jump = b.add(dev(DMZ, "ICT-JUMP-01", K::VirtualMachine, "Microsoft", "Jump host (US persons only)", "Windows Server 2022 (20348.2340)")
        .mac(oui::VMWARE).protocols(&["rdp"]).tags(&["itar"]));
    b.add(dev(DMZ, "ICT-KW-01", K::Application, "Kiteworks", "Kiteworks secure file transfer", "8.4").protocols(&["https", "sftp"]).tags(&["itar", "cui"])
        .desc("Exchange of export-controlled files with customers and suppliers."));
    let fms_cache = b.add(dev(DMZ, "ICT-FMS-CACHE-01", K::Application, "Siemens", "Teamcenter FMS cache server", "14.1").protocols(&["https"]).tags(&["itar"])
        .desc("Cache of released models and NC packages from the corporate PLM."));
    let erp_int = b.add(dev(DMZ, "ICT-INT-01", K::Application, "Infor", "ION connection point", "12.0.44").out_of_scope().owner("Corporate IT – ERP").protocols(&["https"]));
    let greengrass: Vec<String> = (1..=2)
        .map(|n| b.add(dev(DMZ, format!("ICT-GG-0{n}"), K::IiotGateway, "Advantech", "UNO-2484G (AWS IoT Greengrass V2)", "Greengrass nucleus 2.12.6")
            .mac(oui::ADVANTECH).owner("Digital Manufacturing").protocols(&["mqtt", "https"])))
        .collect();
    b.add(dev(DMZ, "ICT-WSUS-DMZ-01", K::VirtualMachine, "Microsoft", "WSUS upstream server", "Windows Server 2019 (17763.5576)").mac(oui::VMWARE).protocols(&["https"]));

    // Site operations.
    for n in 1..=2 {
        b.add(dev(OPS, format!("ICT-SW-CORE-0{n}"), K::NetworkDevice, "Cisco", "Catalyst 9500-16X", "IOS XE 17.9.4a").crit(C::Critical).mac(oui::CISCO).protocols(&["snmp", "ssh"]));
    }
    let mes: Vec<String> = (1..=2)
        .map(|n| b.add(dev(OPS, format!("ICT-MES-APP-0{n}"), K::Application, "Siemens", "Opcenter Execution Discrete (application server)", "4.3")
            .crit(C::Critical).owner("Manufacturing IT").out_of_scope().protocols(&["https", "sql"])))
        .collect();
    let mes_db = b.add(dev(OPS, "ICT-MES-DB-01", K::VirtualMachine, "Microsoft", "SQL Server 2019 (Opcenter database)", "15.0.4355.3")
        .owner("Manufacturing IT").out_of_scope().mac(oui::VMWARE).protocols(&["sql"]));
    let dnc = b.add(dev(OPS, "ICT-DNC-01", K::Application, "CIMCO", "DNC-Max server", "8.12.10").crit(C::Critical).protocols(&["smb", "focas", "lsv2", "tcp-serial"])
        .tags(&["itar", "ear"]).confirmed("2026-01-06T06:00:00Z", "2026-02-26T22:10:00Z", CTD)
        .desc("Distributes NC programs (export-controlled technical data) to the machines; its library is the controlled copy."));
    let tms = b.add(dev(OPS, "ICT-TMS-01", K::Application, "ZOLLER", "TMS Tool Management Solutions", "1.22").protocols(&["sql", "https"]));
    let qdas = b.add(dev(OPS, "ICT-QDAS-01", K::Application, "Hexagon", "Q-DAS O-QIS (SPC data server)", "13").protocols(&["smb", "sql"]).tags(&["quality-record"]));
    let hist = b.add(dev(OPS, "ICT-HIST-01", K::Historian, "Canary Labs", "Canary Historian", "24.1").crit(C::High).protocols(&["canary", "https", "mqtt"]));
    let ad: Vec<String> = (1..=2)
        .map(|n| b.add(dev(OPS, format!("ICT-AD-OT-0{n}"), K::VirtualMachine, "Microsoft", "OT domain controller", "Windows Server 2022 (20348.2340)")
            .crit(C::Critical).mac(oui::VMWARE).protocols(&["kerberos", "ldaps", "dns"])))
        .collect();
    b.add(dev(OPS, "ICT-WSUS-01", K::VirtualMachine, "Microsoft", "WSUS downstream server", "Windows Server 2019 (17763.5576)").mac(oui::VMWARE).protocols(&["https"]));
    b.add(dev(OPS, "ICT-BKP-01", K::Application, "Veeam", "Backup & Replication", "12.1.2").protocols(&["https", "smb"]));
    for n in 1..=2 {
        b.add(dev(OPS, format!("ICT-ESX-0{n}"), K::EdgeServer, "Dell", "PowerEdge R650 (VMware ESXi)", "ESXi 8.0 Update 2").crit(C::Critical).mac(oui::DELL).protocols(&["https"]));
    }
    let ntp = b.add(dev(OPS, "ICT-NTP-01", K::NetworkDevice, "Meinberg", "LANTIME M300/GPS", "7.08.007").protocols(&["ntp"]));
    b.add(dev(OPS, "ICT-NDR-01", K::NetworkDevice, "Claroty", "xDome edge collector", "4.9.2").protocols(&["https"]).desc("Passive monitoring of the core and cell switches."));
    let fleet = b.add(dev(OPS, "ICT-FLEET-01", K::Application, "Mobile Industrial Robots", "MiR Fleet", "3.4.1").protocols(&["https"]));

    // Supervisory.
    b.add(dev(SUP, "ICT-SW-L2-01", K::NetworkDevice, "Cisco", "IE-3400-8T2S", "IOS XE 17.9.4").mac(oui::CISCO).protocols(&["snmp"]));
    let ign: Vec<String> = (1..=2)
        .map(|n| b.add(dev(SUP, format!("ICT-IGN-0{n}"), K::ScadaServer, "Inductive Automation", "Ignition gateway (redundant pair)", "8.1.43")
            .crit(C::Critical).mac(oui::DELL).protocols(&["opcua", "ethernet-ip", "modbus", "s7comm", "https"])
            .confirmed("2026-01-06T06:00:00Z", "2026-02-26T22:10:00Z", CTD)))
        .collect();
    let mtc = b.add(dev(SUP, "ICT-MTC-01", K::Application, "MTConnect Institute", "MTConnect agent (cppagent)", "2.3.0.4").protocols(&["mtconnect", "http"]));
    let ftv = b.add(dev(SUP, "ICT-FTV-01", K::ScadaServer, "Rockwell Automation", "FactoryTalk View SE server (autoclaves)", "13.0").mac(oui::DELL).protocols(&["ethernet-ip", "opcua"]));
    let terminals: Vec<String> = (1..=8)
        .map(|n| b.add(dev(SUP, format!("ICT-TERM-0{n}"), K::Hmi, "Advantech", "TPC-315 panel PC (Ignition Perspective)", "Windows 10 IoT Enterprise LTSC 2021")
            .mac(oui::ADVANTECH).protocols(&["https"])))
        .collect();
    let ews_sin = b.add(dev(SUP, "ICT-EWS-SIN-01", K::EngineeringWorkstation, "Siemens", "SIMATIC Field PG M6 (TIA Portal V17, SinuCom)", "Windows 10 Enterprise LTSC 2019")
        .mac(oui::SIEMENS_IA).protocols(&["s7comm", "profinet", "smb"]));
    b.add(dev(SUP, "ICT-EWS-RA-01", K::EngineeringWorkstation, "Rockwell Automation", "Studio 5000 v33 (Dell Precision 3660)", "Windows 10 Enterprise LTSC 2021").mac(oui::DELL).protocols(&["ethernet-ip"]));
    let ews_fanuc = b.add(dev(SUP, "ICT-EWS-FAN-01", K::EngineeringWorkstation, "FANUC", "LADDER-III and ROBOGUIDE workstation", "Windows 10 Enterprise 22H2").protocols(&["focas"]));

    // Machining cells.
    struct Machine {
        tag: &'static str,
        machine: &'static str,
        vendor: &'static str,
        control: &'static str,
        firmware: &'static str,
        protocol: (&'static str, u16),
    }
    const SINUMERIK: (&str, u16) = ("smb", 445);
    const FOCAS: (&str, u16) = ("focas", 8193);
    const LSV2: (&str, u16) = ("lsv2", 19000);
    let machines = [
        Machine { tag: "5AX-01", machine: "DMG MORI DMU 125 monoBLOCK", vendor: "Siemens", control: "SINUMERIK 840D sl (NCU 730.3B PN)", firmware: "CNC SW 4.95 SP1", protocol: SINUMERIK },
        Machine { tag: "5AX-02", machine: "DMG MORI DMU 125 monoBLOCK", vendor: "Siemens", control: "SINUMERIK 840D sl (NCU 730.3B PN)", firmware: "CNC SW 4.95 SP1", protocol: SINUMERIK },
        Machine { tag: "5AX-03", machine: "Starrag STC 1250", vendor: "Siemens", control: "SINUMERIK ONE (NCU 1760)", firmware: "CNC SW 6.20", protocol: SINUMERIK },
        Machine { tag: "5AX-04", machine: "Starrag STC 1250", vendor: "Siemens", control: "SINUMERIK ONE (NCU 1760)", firmware: "CNC SW 6.15 SP2", protocol: SINUMERIK },
        Machine { tag: "HMC-01", machine: "Makino a81nx", vendor: "FANUC", control: "Series 31i-B5", firmware: "G4B1 edition 18.0", protocol: FOCAS },
        Machine { tag: "HMC-02", machine: "Makino a81nx", vendor: "FANUC", control: "Series 31i-B5", firmware: "G4B1 edition 18.0", protocol: FOCAS },
        Machine { tag: "HMC-03", machine: "Makino MAG4", vendor: "FANUC", control: "Series 31i-B5", firmware: "G4B1 edition 16.0", protocol: FOCAS },
        Machine { tag: "HMC-04", machine: "Makino MAG4", vendor: "FANUC", control: "Series 31i-B", firmware: "G421 edition 12.0", protocol: FOCAS },
        Machine { tag: "VMC-01", machine: "Hermle C 42 U", vendor: "HEIDENHAIN", control: "TNC 640", firmware: "34059x-18 SP1", protocol: LSV2 },
        Machine { tag: "VMC-02", machine: "Hermle C 42 U", vendor: "HEIDENHAIN", control: "TNC 640", firmware: "34059x-17 SP3", protocol: LSV2 },
        Machine { tag: "VMC-03", machine: "Haas VF-4SS", vendor: "Haas Automation", control: "Next Generation Control", firmware: "100.23.000.1011", protocol: SINUMERIK },
    ];
    let mut cnc = Vec::new();
    for m in &machines {
        let protocols: &[&str] = match m.protocol.0 {
            "focas" => &["focas", "mtconnect"],
            "lsv2" => &["lsv2", "mtconnect"],
            _ if m.vendor == "Siemens" => &["smb", "opcua", "s7comm", "mtconnect"],
            _ => &["smb", "mtconnect"],
        };
        let mut d = dev(MACH, format!("ICT-CNC-{}", m.tag), K::Plc, m.vendor, m.control, m.firmware)
            .protocols(protocols).tags(&["cnc", "itar"]).desc(format!("{} machining centre.", m.machine));
        d = match m.vendor {
            "Siemens" => d.mac(oui::SIEMENS),
            "FANUC" => d.mac(oui::FANUC),
            _ => d,
        };
        cnc.push((b.add(d), m.protocol));
    }
    b.add(dev(MACH, "ICT-CNC-LEG-01", K::Plc, "Cincinnati Milacron", "Acramatic 2100", "A2100 4.3").no_ip().legacy("2010-12-31")
        .protocols(&["rs-232"]).tags(&["cnc", "itar"]).desc("1998 five-axis profiler for wing skins; programs drip-fed over RS-232 through a serial server."));
    for n in 1..=2 {
        b.add(dev(MACH, format!("ICT-PCU-5AX-0{n}"), K::Hmi, "Siemens", "SINUMERIK PCU 50.5-C (HMI Operate)", "Windows 7 Ultimate SP1, Operate 4.7 SP6")
            .level(L::L2).legacy("2020-01-14").mac(oui::SIEMENS_IA).protocols(&["smb", "vnc"]).tags(&["itar"])
            .desc(format!("Operator panel PC of 5AX-0{n}; Windows 7 cannot be upgraded without replacing the PCU.")));
    }
    let fms = b.add(dev(MACH, "ICT-FMS-01", K::EdgeServer, "Fastems", "Manufacturing Management Software cell controller", "MMS 6.9").level(L::L2).protocols(&["s7comm", "focas", "vnc"])
        .desc("Pallet system of HMC-01 and HMC-02: schedules jobs and calls NC programs."));
    let fms_plc = b.add(dev(MACH, "ICT-PLC-FMS-01", K::Plc, "Siemens", "S7-1500 CPU 1515-2 PN (6ES7515-2AM02-0AB0)", "V2.9.4").mac(oui::SIEMENS).protocols(&["s7comm", "profinet"]));
    let robots: Vec<String> = [
        ("ICT-RBT-01", "FANUC", "R-30iB Plus controller (M-710iC deburring)", "V9.40P/30"),
        ("ICT-RBT-02", "FANUC", "R-30iB Plus controller (M-710iC deburring)", "V9.40P/30"),
        ("ICT-RBT-03", "KUKA", "KR C4 (KR QUANTEC, drilling end effector)", "KSS 8.6.7"),
    ]
    .iter()
    .map(|(name, vendor, model, firmware)| {
        let d = dev(MACH, *name, K::Plc, vendor, model, firmware).protocols(&["ethernet-ip"]).tags(&["robot"]);
        b.add(if *vendor == "FANUC" { d.mac(oui::FANUC) } else { d })
    })
    .collect();
    let robot_plc = b.add(dev(MACH, "ICT-PLC-RBT-01", K::Plc, "Rockwell Automation", "CompactLogix 5380 (5069-L340ERM)", "v33.011").mac(oui::ROCKWELL_2).protocols(&["ethernet-ip"]));
    let presetter = b.add(dev(MACH, "ICT-PRESET-01", K::Other, "ZOLLER", "venturion 450 tool presetter", "pilot 4.0").protocols(&["sql"]));
    for n in 1..=3 {
        b.add(dev(MACH, format!("ICT-SW-MACH-0{n}"), K::NetworkDevice, "Cisco", "IE-3400-8P2S", "IOS XE 17.9.4").mac(oui::CISCO).protocols(&["snmp"]));
    }

    // Composites and autoclaves.
    let mut autoclave = Vec::new();
    let mut autoclave_hmi = Vec::new();
    let mut daq = Vec::new();
    for n in 1..=2 {
        autoclave.push(b.add(dev(COMP, format!("ICT-PLC-AC-0{n}"), K::Plc, "Rockwell Automation", "ControlLogix 5580 (1756-L83E)", "v33.011").mac(oui::ROCKWELL)
            .protocols(&["ethernet-ip"]).tags(&["special-process"]).desc(format!("Autoclave AC{n} (ASC Process Systems): cure cycle control, up to 96 part thermocouples."))));
        autoclave_hmi.push(b.add(dev(COMP, format!("ICT-HMI-AC-0{n}"), K::Hmi, "Rockwell Automation", "PanelView 5500 (2715P-T15CD)", "v8.011").level(L::L2).mac(oui::ROCKWELL).protocols(&["ethernet-ip"])));
        daq.push(b.add(dev(COMP, format!("ICT-DAQ-AC-0{n}"), K::Sensor, "Yokogawa", "SMARTDAC+ GX20 (part thermocouples)", "R4.06").protocols(&["modbus", "https"]).tags(&["quality-record"])));
    }
    let afp = b.add(dev(COMP, "ICT-CNC-AFP-01", K::Plc, "Siemens", "SINUMERIK 840D sl (fibre placement, Electroimpact)", "CNC SW 4.94 SP3").mac(oui::SIEMENS).protocols(&["s7comm", "opcua", "profinet"]).tags(&["itar"]));
    b.add(dev(COMP, "ICT-PLC-CUT-01", K::Plc, "Beckhoff", "CX5140 embedded PC (ply cutter)", "TwinCAT 3.1.4024.53").mac(oui::BECKHOFF).protocols(&["ads", "ethercat"]));
    let cleanroom = b.add(dev(COMP, "ICT-PLC-CR-01", K::Plc, "Schneider Electric", "Modicon M340 (BMXP342020)", "V3.40").mac(oui::SCHNEIDER).protocols(&["modbus"]).desc("Cleanroom HVAC (layup room)."));
    let freezer = b.add(dev(COMP, "ICT-PLC-FRZ-01", K::Plc, "WAGO", "PFC200 (750-8212)", "FW 26").mac(oui::WAGO).protocols(&["modbus", "mqtt"]).desc("Prepreg freezer temperature and out-time tracking."));
    b.add(dev(COMP, "ICT-SW-COMP-01", K::NetworkDevice, "Moxa", "EDS-G516E", "V6.1").mac(oui::MOXA).protocols(&["snmp"]));

    // Heat treatment and inspection.
    let mut furnaces = Vec::new();
    let mut recorders = Vec::new();
    for n in 1..=3 {
        furnaces.push(b.add(dev(HT, format!("ICT-FURN-0{n}"), K::Plc, "Honeywell", "HC900 controller (C75 CPU)", "R7.2").protocols(&["modbus"]).tags(&["special-process", "ams2750"])
            .desc(format!("Ipsen vacuum furnace VF{n}: solution treatment and ageing of titanium."))));
        recorders.push(b.add(dev(HT, format!("ICT-REC-0{n}"), K::Sensor, "Yokogawa", "SMARTDAC+ GX20 (load thermocouples)", "R4.06").protocols(&["modbus", "https"]).tags(&["ams2750", "quality-record"])));
    }
    let penetrant = b.add(dev(HT, "ICT-PLC-PEN-01", K::Plc, "Rockwell Automation", "CompactLogix 5370 (1769-L33ER)", "v30.014").mac(oui::ROCKWELL).protocols(&["ethernet-ip"]).desc("Fluorescent penetrant line."));
    b.add(dev(HT, "ICT-NDT-01", K::EdgeServer, "Zetec", "UltraVision workstation (immersion C-scan)", "UltraVision 3.11").level(L::L2).protocols(&["smb"]).tags(&["quality-record"]));
    let cmm: Vec<String> = (1..=2)
        .map(|n| b.add(dev(HT, format!("ICT-CMM-0{n}"), K::Sensor, "ZEISS", "PRISMO CMM with CALYPSO", "CALYPSO 2023").level(L::L2).protocols(&["smb"]).tags(&["quality-record"])))
        .collect();
    b.add(dev(HT, "ICT-SW-HT-01", K::NetworkDevice, "Hirschmann", "BOBCAT BRS40", "HiOS 09.0.06").mac(oui::HIRSCHMANN).protocols(&["snmp"]));

    // Safety.
    let ac_sis: Vec<String> = (1..=2)
        .map(|n| b.add(dev(SIS, format!("ICT-SIS-AC-0{n}"), K::SafetyController, "Rockwell Automation", "GuardLogix 5580 (1756-L83ES)", "v33.011").mac(oui::ROCKWELL)
            .protocols(&["ethernet-ip", "cip-safety"]).desc(format!("Pressure-vessel and door safety of autoclave AC{n} (SIL 2)."))))
        .collect();
    let furnace_sis = b.add(dev(SIS, "ICT-SIS-FURN-01", K::SafetyController, "Yokogawa", "ProSafe-RS (SSC60D)", "R4.07.10").protocols(&["vnet-ip", "modbus"])
        .desc("Burner management and over-temperature protection of the furnaces."));
    let robot_sis: Vec<String> = (1..=2)
        .map(|n| b.add(dev(SIS, format!("ICT-SIS-RBT-0{n}"), K::SafetyController, "Pilz", "PNOZmulti 2 (PNOZ m B1)", "1.6").protocols(&["ethernet-ip"]).desc(format!("Guarding of robot cell {n}."))))
        .collect();
    let afp_sis = b.add(dev(SIS, "ICT-SIS-AFP-01", K::SafetyController, "Siemens", "S7-1500F CPU 1516F-3 PN/DP", "V2.9.7").mac(oui::SIEMENS).protocols(&["profinet", "profisafe"]));
    for n in 1..=4 {
        b.add(dev(SIS, format!("ICT-SCN-0{n}"), K::Sensor, "SICK", "microScan3 Pro PROFINET (safety laser scanner)", "1.5.2").level(L::L0).mac(oui::SICK).protocols(&["profinet", "profisafe"]));
    }

    // Field devices.
    let io_link: Vec<String> = (1..=6)
        .map(|n| b.add(dev(FIELD, format!("ICT-IOL-0{n}"), K::Rtu, "ifm", "AL1350 IO-Link master", "2.6.6").protocols(&["ethernet-ip", "io-link"])))
        .collect();
    for n in 1..=4 {
        b.add(dev(FIELD, format!("ICT-RFID-0{n}"), K::Sensor, "Balluff", "BIS V-6108 RFID processor (tool ID)", "1.2").protocols(&["profinet"]));
    }
    let nports: Vec<String> = (1..=3)
        .map(|n| b.add(dev(MACH, format!("ICT-NPORT-0{n}"), K::NetworkDevice, "Moxa", "NPort 5110 (RS-232 DNC link)", "2.10").mac(oui::MOXA).protocols(&["tcp-serial"])))
        .collect();
    let drives: Vec<String> = (1..=6)
        .map(|n| b.add(dev(FIELD, format!("ICT-DRV-0{n}"), K::Actuator, "Siemens", "SINAMICS G120 (CU250S-2 PN) coolant and chip conveyors", "V4.7 SP13").mac(oui::SIEMENS_ET).protocols(&["profinet"])))
        .collect();
    for n in 1..=2 {
        b.add(dev(FIELD, format!("ICT-VT-0{n}"), K::Actuator, "Festo", "CPX-AP-I valve terminal (autoclave vacuum)", "1.6.3").mac(oui::FESTO).protocols(&["ethernet-ip"]));
    }
    let ac_io: Vec<String> = (1..=4)
        .map(|n| b.add(dev(FIELD, format!("ICT-IO-AC-0{n}"), K::Rtu, "Rockwell Automation", "FLEX 5000 I/O (5094-AEN2TR)", "v2.011").mac(oui::ROCKWELL_2).protocols(&["ethernet-ip"])))
        .collect();
    for n in 1..=3 {
        b.add(dev(FIELD, format!("ICT-IO-HT-0{n}"), K::Rtu, "WAGO", "750-352 fieldbus coupler (EtherNet/IP)", "FW 11").mac(oui::WAGO).protocols(&["ethernet-ip", "modbus"]));
    }
    for n in 1..=2 {
        b.add(dev(FIELD, format!("ICT-PM-0{n}"), K::Plc, "Phoenix Contact", "AXC F 2152 (energy monitoring)", "2024.0.4 LTS").mac(oui::PHOENIX).protocols(&["profinet", "opcua"]));
        b.add(dev(FIELD, format!("ICT-PT-AC-0{n}"), K::Sensor, "Endress+Hauser", "Cerabar PMP71B (autoclave pressure)", "01.00.zz").no_ip().protocols(&["hart"]));
    }

    // Vendor remote access.
    let pra = b.add(dev(VRA, "ICT-PRA-01", K::Application, "BeyondTrust", "Privileged Remote Access B300 appliance", "23.3.2").protocols(&["https", "rdp"])
        .desc("Vendor sessions for vetted US persons only; approval per session, recorded."));
    let ewons: Vec<String> = (1..=2)
        .map(|n| b.add(dev(VRA, format!("ICT-EWON-0{n}"), K::IiotGateway, "HMS", "Ewon Cosy 131", "14.8s2").mac(oui::HMS).protocols(&["https", "openvpn"]).desc("Makino remote service.")))
        .collect();
    let secomea = b.add(dev(VRA, "ICT-SECO-01", K::IiotGateway, "Secomea", "SiteManager 1149", "11.2").protocols(&["https"]).desc("Fastems remote support."));
    let zdt = b.add(dev(VRA, "ICT-ZDT-01", K::IiotGateway, "FANUC", "ZDT data collector (ZERO DownTime)", "5.2").protocols(&["https", "http"])
        .desc("Robot health data to FANUC America; outbound HTTPS only."));

    // Cloud.
    let iot_core = b.add(dev(CLOUD, "AWS IoT Core (GovCloud US-West)", K::CloudService, "Amazon Web Services", "AWS IoT Core", "").protocols(&["mqtt", "https"]));
    let sitewise = b.add(dev(CLOUD, "AWS IoT SiteWise (GovCloud US-West)", K::CloudService, "Amazon Web Services", "AWS IoT SiteWise", "").protocols(&["https"]));
    let lake = b.add(dev(CLOUD, "Machine data lake (Amazon S3, GovCloud)", K::CloudService, "Amazon Web Services", "Amazon S3", "").protocols(&["https"]).tags(&["itar"]));
    let grafana = b.add(dev(CLOUD, "Amazon Managed Grafana (OEE dashboards)", K::CloudService, "Amazon Web Services", "Amazon Managed Grafana", "").no_ip().protocols(&["https"]));

    // Laptops, wireless, enterprise.
    for n in 1..=4 {
        b.add(dev(TEMP, format!("ICT-LT-ENG-0{n}"), K::EngineeringWorkstation, "Dell", "Latitude 7330 Rugged Extreme", "Windows 11 Enterprise 23H2").mac(oui::DELL)
            .protocols(&["s7comm", "ethernet-ip", "focas"]));
    }
    let makino_laptop = b.add(dev(TEMP, "ICT-LT-OEM-MAKINO", K::EngineeringWorkstation, "Makino", "OEM service laptop", "Windows 10 Enterprise 22H2").owner("Makino field service")
        .protocols(&["focas"]).observed("2026-02-10T14:02:51Z", "2026-02-10T19:30:12Z", CTD));
    for n in 1..=4 {
        b.add(dev(WIFI, format!("ICT-AP-0{n}"), K::NetworkDevice, "Cisco", "Catalyst IW9167E", "17.12.2").mac(oui::CISCO).protocols(&["capwap"]));
    }
    let agvs: Vec<String> = (1..=6)
        .map(|n| b.add(dev(WIFI, format!("ICT-AGV-0{n}"), K::Other, "Mobile Industrial Robots", "MiR250 (shelf lift)", "3.4.1").protocols(&["https"])))
        .collect();
    let tablets: Vec<String> = (1..=4)
        .map(|n| b.add(dev(WIFI, format!("ICT-TAB-0{n}"), K::Other, "Zebra", "ET40 enterprise tablet (electronic travellers)", "Android 13").ip6(&format!("fd3a:20:220::{:x}", 0x20 + n)).protocols(&["https"])))
        .collect();
    let ent_ws: Vec<String> = (1..=3)
        .map(|n| b.add(dev(ENT, format!("ICT-WS-0{n}"), K::Other, "Dell", "OptiPlex 7010 (planning and quality)", "Windows 11 Enterprise 23H2").mac(oui::DELL).out_of_scope().crit(C::Low).protocols(&["https", "smb"])))
        .collect();

    // Flows: NC programs and machine data.
    for (name, (protocol, port)) in &cnc {
        if *protocol == "smb" {
            b.flow(flow(node(name), node(&dnc), protocol, Some(*port), "The machine pulls released NC programs from its DNC share (SMB signing enforced)").both());
        } else {
            b.flow(flow(node(&dnc), node(name), protocol, Some(*port), "DNC-Max transfers and drip-feeds NC programs").both());
        }
        b.flow(flow(node(&mtc), node(name), "mtconnect", Some(7878), "Machine state, spindle load and alarms (MTConnect adapter)"));
    }
    b.flow(flow(node(&dnc), node(&nports[0]), "tcp-serial", Some(4001), "RS-232 drip feed to the Acramatic 2100 profiler").both());
    b.flow(flow(node(&dnc), node(&fms_cache), "https", Some(4544), "Released NC program packages from PLM").encrypted());
    b.flow(flow(node(&fms_cache), ext("Teamcenter PLM (plm.corp.example, ITAR enclave)"), "https", Some(4544), "FMS transfers of released models and NC packages").both().encrypted());
    b.flow(flow(node(&presetter), node(&tms), "sql", Some(1433), "Measured tool lengths and radii").both());
    b.flow(flow(node(&ign[0]), node(&mtc), "http", Some(5000), "Machine data into SCADA"));
    b.flow(flow(node(&fms), node(&fms_plc), "s7comm", Some(102), "Pallet system control").both());
    for (name, _) in cnc.iter().skip(4).take(2) {
        b.flow(flow(node(&fms), node(name), "focas", Some(8193), "Job calls and machine status for the pallet system").both());
    }
    for robot in &robots {
        b.flow(flow(node(&robot_plc), node(robot), "ethernet-ip", Some(2222), "Robot cell I/O").both());
    }
    for (robot, sis) in robots.iter().zip(&robot_sis) {
        b.flow(flow(node(sis), node(robot), "ethernet-ip", Some(2222), "Safe stop and guard status").both());
    }
    b.flow(flow(node(&robot_plc), node(&io_link[0]), "ethernet-ip", Some(2222), "Gripper and fixture sensors").both());
    b.flow(flow(node(&robot_plc), node(&io_link[1]), "ethernet-ip", Some(2222), "Gripper and fixture sensors").both());
    b.flow(flow(node(&cnc[0].0), node(&drives[0]), "profinet", None, "Coolant pump").both());
    b.flow(flow(node(&cnc[1].0), node(&drives[1]), "profinet", None, "Chip conveyor").both());
    // SCADA and composites.
    for (n, plc) in autoclave.iter().enumerate() {
        b.flow(flow(node(&ign[0]), node(plc), "ethernet-ip", Some(44818), "Cure cycle data to SCADA").both());
        b.flow(flow(node(&ign[1]), node(plc), "ethernet-ip", Some(44818), "Redundant SCADA").both());
        b.flow(flow(node(&ftv), node(plc), "ethernet-ip", Some(44818), "Autoclave supervision").both());
        b.flow(flow(node(&autoclave_hmi[n]), node(plc), "ethernet-ip", Some(44818), "Operator control of the autoclave").both());
        b.flow(flow(node(plc), node(&ac_io[2 * n]), "ethernet-ip", Some(2222), "Thermocouple inputs").both());
        b.flow(flow(node(plc), node(&ac_io[2 * n + 1]), "ethernet-ip", Some(2222), "Vacuum and pressure I/O").both());
        b.flow(flow(node(&ac_sis[n]), node(plc), "ethernet-ip", Some(44818), "CIP Safety: pressure-vessel trip status").both());
        b.flow(flow(node(&ign[0]), node(&daq[n]), "modbus", Some(502), "Part thermocouple records (quality record)"));
    }
    b.flow(flow(node(&afp_sis), node(&afp), "profinet", None, "PROFIsafe: safe stop of the fibre placement head").both());
    b.flow(flow(node(&ign[0]), node(&afp), "opcua", Some(4840), "Fibre placement machine state").both().encrypted());
    b.flow(flow(node(&ign[0]), node(&cleanroom), "modbus", Some(502), "Layup room temperature, humidity and particle counts"));
    b.flow(flow(node(&ign[0]), node(&freezer), "modbus", Some(502), "Prepreg freezer temperatures (out-time tracking)"));
    b.flow(flow(node(&ign[0]), node(&fms_plc), "s7comm", Some(102), "Pallet system status"));
    b.flow(flow(node(&ign[0]), node(&penetrant), "ethernet-ip", Some(44818), "Penetrant line parameters").both());
    for (furnace, recorder) in furnaces.iter().zip(&recorders) {
        b.flow(flow(node(&ign[0]), node(furnace), "modbus", Some(502), "Furnace cycle supervision").both());
        b.flow(flow(node(&ign[0]), node(recorder), "modbus", Some(502), "Load thermocouple records (AMS2750)"));
        b.flow(flow(node(&furnace_sis), node(furnace), "modbus", Some(502), "Trip status to the furnace controller"));
    }
    for machine in &cmm {
        b.flow(flow(node(machine), node(&qdas), "smb", Some(445), "Measurement results to SPC").both());
    }
    for terminal in &terminals {
        b.flow(flow(node(terminal), node(&ign[0]), "https", Some(8043), "Ignition Perspective session").both().encrypted());
    }
    b.flow(flow(node(&ign[0]), node(&hist), "canary", Some(55291), "Tag history to the historian").seen("2026-01-06T06:00:00Z", "2026-02-26T22:10:00Z", 57, 88_201_994_320));
    b.flow(flow(node(&ign[1]), node(&hist), "canary", Some(55291), "Tag history to the historian (redundant gateway)"));
    for app in &mes {
        b.flow(flow(node(app), node(&ign[0]), "https", Some(8043), "Work orders, operation start and complete, machine states (REST)").both().encrypted());
        b.flow(flow(node(app), node(&mes_db), "sql", Some(1433), "MES database").both());
    }
    b.flow(flow(node(&mes[0]), node(&erp_int), "https", Some(443), "Production confirmations and material movements").both().encrypted());
    b.flow(flow(ext("Infor LN ERP (ln.corp.example)"), node(&erp_int), "https", Some(443), "Production orders and routings").encrypted());
    b.flow(flow(node(&erp_int), ext("Infor LN ERP (ln.corp.example)"), "https", Some(443), "Confirmations and goods movements").encrypted());
    // IIoT and dashboards.
    b.flow(flow(node(&hist), node(&greengrass[0]), "mqtt", Some(8883), "Selected machine and cure data for the cloud").encrypted());
    b.flow(flow(node(&hist), node(&ign_dmz), "https", Some(8060), "Gateway network: history for the read-only dashboards").encrypted());
    b.flow(flow(node(&greengrass[0]), node(&sitewise), "https", Some(443), "SiteWise asset property values").encrypted());
    b.flow(flow(node(&greengrass[1]), node(&iot_core), "mqtt", Some(8883), "Machine events").encrypted().seen("2026-01-06T06:00:00Z", "2026-02-26T22:10:00Z", 31, 1_220_419_003));
    b.flow(flow(node(&iot_core), node(&lake), "https", Some(443), "Rules engine to the data lake").encrypted());
    b.flow(flow(node(&grafana), node(&sitewise), "https", Some(443), "OEE dashboards").encrypted());
    for ws in &ent_ws[..2] {
        b.flow(flow(node(ws), node(&ign_dmz), "https", Some(8043), "Shop-floor dashboards").encrypted());
    }
    // Remote access, domain, time.
    b.flow(flow(ext("OEM technicians (BeyondTrust portal)"), node(&pra), "https", Some(443), "Vendor session request, approved per session").both().encrypted());
    b.flow(flow(node(&pra), node(&ews_sin), "rdp", Some(3389), "Siemens and DMG MORI support on the engineering workstation").both().encrypted());
    b.flow(flow(node(&pra), node(&ews_fanuc), "rdp", Some(3389), "FANUC support on the engineering workstation").both().encrypted());
    for (gateway, (machine, _)) in ewons.iter().zip([&cnc[4], &cnc[6]]) {
        b.flow(flow(node(gateway), ext("Talk2M (HMS remote access cloud)"), "https", Some(443), "Makino remote service tunnel").both().encrypted());
        b.flow(flow(node(gateway), node(machine), "focas", Some(8193), "Makino remote diagnostics").both());
    }
    b.flow(flow(node(&secomea), ext("Secomea GateManager (Fastems)"), "https", Some(443), "Fastems remote support tunnel").both().encrypted());
    b.flow(flow(node(&secomea), node(&fms), "vnc", Some(5900), "Fastems screen sessions on the cell controller").both());
    b.flow(flow(node(&zdt), ext("FANUC ZDT cloud (zdt.fanucamerica.com)"), "https", Some(443), "Robot health data").encrypted());
    for robot in &robots[..2] {
        b.flow(flow(node(&zdt), node(robot), "http", Some(80), "ZDT collector polls the robot's diagnostics pages"));
    }
    b.flow(flow(node(&jump), node(&dnc), "rdp", Some(3389), "DNC administration by US persons").both().encrypted());
    b.flow(flow(node(&jump), node(&hist), "rdp", Some(3389), "Historian administration").both().encrypted());
    b.flow(flow(node(&ign[0]), node(&ad[0]), "ldaps", Some(636), "SCADA user roles").both().encrypted());
    b.flow(flow(node(&ews_sin), node(&ad[1]), "kerberos", Some(88), "Engineer authentication").both());
    for client in [&ign[0], &dnc, &hist] {
        b.flow(flow(node(client), node(&ntp), "ntp", Some(123), "Time synchronisation").both());
    }
    for agv in &agvs {
        b.flow(flow(node(agv), node(&fleet), "https", Some(443), "Missions and positions").both().encrypted());
    }
    for tablet in &tablets {
        b.flow(flow(node(tablet), node(&mes[0]), "https", Some(443), "Electronic travellers (Opcenter)").both().encrypted());
    }
    // Seen in traffic, documented nowhere.
    b.flow(flow(node(&makino_laptop), node(&cnc[5].0), "focas", Some(8193), "OEM laptop on HMC-02 during a spindle repair").both()
        .undocumented("2026-02-10T14:05:33Z", "2026-02-10T19:28:40Z", 212, 3_910_442));
    b.flow(flow(node(&ent_ws[2]), node(&dnc), "smb", Some(445), "Enterprise workstation opens the DNC share: export-controlled programs leave the shop floor")
        .both().undocumented("2026-02-03T15:11:07Z", "2026-02-24T16:40:51Z", 14, 48_118_930));
    b.flow(flow(node(&cnc[10].0), ext("Haas Connect (myhaascnc.com)"), "https", Some(443), "Haas control phones home through the shop-floor network")
        .encrypted().undocumented("2026-01-08T07:00:12Z", "2026-02-26T21:59:48Z", 1_480, 2_204_881));
    b.flow(flow(node(&agvs[2]), ext("8.8.4.4"), "dns", Some(53), "Public DNS queries from a mobile robot")
        .both().undocumented("2026-01-15T10:22:18Z", "2026-02-25T09:14:02Z", 3_880, 402_114));

    b.interfaces(&[
        InterfaceSpec { name: "MES – Siemens Opcenter Execution Discrete", kind: InterfaceKind::Mes, external: "Siemens Opcenter Execution Discrete 4.3 (site instance)",
            responsible: "Manufacturing IT – MES",
            boundary: "The MES servers are run by manufacturing IT and are outside the ISMS scope. The boundary is the REST interface of the Ignition gateways (service account per MES node, TLS, writable tags limited to work order status).",
            asset: Some("ICT-IGN-01"), zone: Some(SUP), protocols: &["https"], direction: InterfaceDirection::Bidirectional,
            data: "Work orders and operations to the shop floor; start, complete, scrap and machine states back." },
        InterfaceSpec { name: "ERP – Infor LN", kind: InterfaceKind::Erp, external: "Infor LN (corporate, multi-site)",
            responsible: "Corporate IT – ERP",
            boundary: "Infor LN runs in the corporate data centre; Infor ION exchanges business object documents with the ION connection point in the DMZ. Nothing from the ERP reaches Level 3 directly.",
            asset: Some("ICT-INT-01"), zone: Some(DMZ), protocols: &["https"], direction: InterfaceDirection::Bidirectional,
            data: "Production orders and routings in; confirmations, scrap and goods movements out." },
        InterfaceSpec { name: "PLM – Siemens Teamcenter", kind: InterfaceKind::Plm, external: "Siemens Teamcenter 14 (corporate ITAR enclave)",
            responsible: "Engineering IT – PLM",
            boundary: "Released models and NC packages are export-controlled technical data. They reach the site only through the FMS cache in the DMZ, which only US-person service accounts can read; the DNC server pulls from the cache.",
            asset: Some("ICT-FMS-CACHE-01"), zone: Some(DMZ), protocols: &["https"], direction: InterfaceDirection::Inbound,
            data: "Released CAD models, NC program packages, setup sheets." },
        InterfaceSpec { name: "QMS – ETQ Reliance", kind: InterfaceKind::Qms, external: "ETQ Reliance (corporate QMS, SaaS)",
            responsible: "Quality Engineering",
            boundary: "Nonconformances are raised from Q-DAS results by quality engineers; the export is a nightly file transfer from the SPC server through the secure file transfer in the DMZ.",
            asset: Some("ICT-QDAS-01"), zone: Some(OPS), protocols: &["https", "sftp"], direction: InterfaceDirection::Outbound,
            data: "Nonconformance data, first article inspection results." },
        InterfaceSpec { name: "Vendor – FANUC ZERO DownTime", kind: InterfaceKind::VendorSystem, external: "FANUC ZDT cloud (FANUC America)",
            responsible: "FANUC America – ZDT service",
            boundary: "The ZDT collector in the vendor remote access zone polls the robots and sends health data outbound over HTTPS. FANUC has no inbound access. Data excludes programs and part data (export-control review EC-2025-14).",
            asset: Some("ICT-ZDT-01"), zone: Some(VRA), protocols: &["https"], direction: InterfaceDirection::Outbound,
            data: "Robot reducer and servo health, alarms, cycle counts." },
        InterfaceSpec { name: "CMMS – IBM Maximo", kind: InterfaceKind::Cmms, external: "IBM Maximo Application Suite (corporate EAM)",
            responsible: "Maintenance planning",
            boundary: "Work requests are created in Maximo from the read-only dashboards by maintenance planners; no system-to-system connection to OT.",
            asset: None, zone: None, protocols: &["https"], direction: InterfaceDirection::Outbound,
            data: "Work requests referencing machines and alarms." },
    ]);
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// Demo site 3: soft drinks and water bottling, Valencia (food and beverage).
// ---------------------------------------------------------------------------------------------

#[rustfmt::skip]
fn valencia() -> Result<SitePlan> {
    const ENT: &str = "Enterprise IT";
    const DMZ: &str = "Industrial DMZ";
    const OPS: &str = "Site operations";
    const SUP: &str = "Supervisory";
    const PET: &str = "PET bottling lines";
    const GLASS: &str = "Glass and can lines";
    const PROC: &str = "Process (syrup room, water treatment, CIP)";
    const SIS: &str = "Safety systems";
    const FIELD: &str = "Field devices";
    const VRA: &str = "Vendor remote access";
    const CLOUD: &str = "Cloud IIoT platform (Insights Hub)";
    const TEMP: &str = "Engineering laptops";
    const WIFI: &str = "Warehouse Wi-Fi";
    const CV: &str = "Cisco Cyber Vision VLC-NDR-01";

    let mut b = Builder::new(
        &SiteSpec {
            code: "VLC",
            name: "Valencia bottling plant",
            country: "ES",
            time_zone: "Europe/Madrid",
            industry: Industry::FoodBeverage,
            regulations: &[Regulation::FoodSafety, Regulation::Nis2],
            description: "Soft drinks and mineral water: two PET lines (Krones, Sidel), a returnable glass line and a can line, \
                syrup room, water treatment, CIP, ammonia refrigeration and an automated palletising and shipping area. \
                IFS Food and FSSC 22000 certified; an essential entity under NIS2 (food production).",
            register: "VLC inventario OT 2026-03.xlsx",
        },
        0x564C_4303,
    );

    b.zones(&[
        ZoneSpec { name: ENT, kind: ZoneKind::Enterprise, level: Some(L::L4), subnets: &["10.30.0.0/22"], sl: sl::ENTERPRISE, criticality: C::Medium, owner: "Corporate IT – workplace",
            description: "Offices, quality laboratory and planning." },
        ZoneSpec { name: DMZ, kind: ZoneKind::Dmz, level: Some(L::L35), subnets: &["10.30.100.0/24"], sl: sl::DMZ, criticality: C::High, owner: "OT Infrastructure",
            description: "Between the Palo Alto pair (north) and a single FortiGate (south): ERP gateway, Insights Hub connector, jump host, patches." },
        ZoneSpec { name: OPS, kind: ZoneKind::Supervisory, level: Some(L::L3), subnets: &["10.30.110.0/24"], sl: sl::OPERATIONS, criticality: C::High, owner: "OT Infrastructure",
            description: "AVEVA Historian and MES, System Platform galaxy repository, warehouse management, OT domain, virtualisation, network monitoring." },
        ZoneSpec { name: SUP, kind: ZoneKind::Supervisory, level: Some(L::L2), subnets: &["10.30.120.0/24"], sl: sl::SUPERVISORY, criticality: C::High, owner: "Ingeniería de automatización",
            description: "AVEVA System Platform application servers and OMI operator stations, KEPServerEX, engineering workstations." },
        ZoneSpec { name: PET, kind: ZoneKind::Control, level: Some(L::L1), subnets: &["10.30.130.0/24"], sl: sl::CONTROL, criticality: C::Critical, owner: "Ingeniería de automatización",
            description: "PET1 (Krones: Contiform, Modulfill, Contiroll, Variopac, Modulpal) and PET2 (Sidel) lines." },
        ZoneSpec { name: GLASS, kind: ZoneKind::Control, level: Some(L::L1), subnets: &["10.30.131.0/24"], sl: sl::CONTROL, criticality: C::High, owner: "Ingeniería de automatización",
            description: "Returnable glass line (KHS, 2004, partly S7-300) and can line." },
        ZoneSpec { name: PROC, kind: ZoneKind::Control, level: Some(L::L1), subnets: &["10.30.132.0/24"], sl: sl::CONTROL, criticality: C::Critical, owner: "Procesos y servicios",
            description: "Syrup room (dosing, mixing), water treatment (reverse osmosis, UV), CIP, boilers, compressed air, ammonia refrigeration. A tampered recipe or CIP cycle is a food safety hazard." },
        ZoneSpec { name: SIS, kind: ZoneKind::Safety, level: Some(L::L1), subnets: &["10.30.140.0/24"], sl: sl::SAFETY, criticality: C::Critical, owner: "Prevención de riesgos – seguridad industrial",
            description: "Ammonia refrigeration leak detection and shutdown, boiler burner management, CO2 storage, palletiser cell guarding." },
        ZoneSpec { name: FIELD, kind: ZoneKind::Field, level: Some(L::L0), subnets: &["10.30.144.0/22"], sl: sl::FIELD, criticality: C::High, owner: "Mantenimiento",
            description: "Conveyor drives, valve terminals, flowmeters and analysers, checkweighers, coders, remote I/O." },
        ZoneSpec { name: VRA, kind: ZoneKind::RemoteAccess, level: None, subnets: &["10.30.200.0/24"], sl: sl::REMOTE, criticality: C::High, owner: "OT Infrastructure",
            description: "OEM gateways of the Krones and Sidel lines." },
        ZoneSpec { name: CLOUD, kind: ZoneKind::Cloud, level: None, subnets: &["10.230.4.0/24"], sl: sl::CLOUD, criticality: C::Medium, owner: "Transformación digital",
            description: "Siemens Insights Hub tenant (eu1) for line performance and energy, Power BI for OEE reports." },
        ZoneSpec { name: TEMP, kind: ZoneKind::Temporary, level: Some(L::L2), subnets: &["10.30.210.0/24"], sl: sl::TEMPORARY, criticality: C::High, owner: "Ingeniería de automatización",
            description: "Engineering and contractor laptops." },
        ZoneSpec { name: WIFI, kind: ZoneKind::Wireless, level: Some(L::L3), subnets: &["10.30.220.0/24"], sl: sl::WIRELESS, criticality: C::Medium, owner: "OT Infrastructure",
            description: "Forklift terminals and handhelds of the warehouse." },
    ]);

    b.conduits(&[
        ConduitSpec { name: "Enterprise – DMZ", zones: &[ENT, DMZ], services: &["https/443"], one_way: false, encrypted: true, sl: sl::DMZ,
            description: "North firewall pair (PA-1410)." },
        ConduitSpec { name: "DMZ – Site operations", zones: &[DMZ, OPS], services: &["https/443", "rdp/3389", "https/8531", "opcua/4840"], one_way: false, encrypted: false, sl: sl::DMZ,
            description: "Single south firewall (FortiGate 60F; no high availability — finding F-VLC-2025-03)." },
        ConduitSpec { name: "Site operations – Supervisory", zones: &[OPS, SUP], services: &["opcua/4840", "aveva-historian/32568", "sql/1433", "rdp/3389", "kerberos/88", "ldaps/636", "ntp/123", "https/8531"], one_way: false, encrypted: false, sl: sl::OPERATIONS,
            description: "MES, historian and galaxy repository to the application servers." },
        ConduitSpec { name: "Supervisory – Lines", zones: &[SUP, PET, GLASS], services: &["s7comm/102", "ethernet-ip/44818", "modbus/502", "opcua/4840", "https/443"], one_way: false, encrypted: false, sl: sl::CONTROL,
            description: "OI servers to the line controllers." },
        ConduitSpec { name: "Supervisory – Process", zones: &[SUP, PROC], services: &["modbus/502", "s7comm/102", "opcua/4840", "mms/102"], one_way: false, encrypted: false, sl: sl::CONTROL,
            description: "Process supervision: Modicon, AC 800M and S7 controllers." },
        ConduitSpec { name: "Control – Safety", zones: &[PROC, PET, SIS], services: &["profinet", "modbus/502"], one_way: false, encrypted: false, sl: sl::SAFETY,
            description: "Read-only trip status; safe stop of the palletiser cells." },
        ConduitSpec { name: "Control – Field", zones: &[PET, GLASS, PROC, FIELD], services: &["profinet", "ethernet-ip/44818", "ethernet-ip/2222", "modbus/502", "tcp-serial/4001"], one_way: false, encrypted: false, sl: sl::FIELD,
            description: "Cell networks down to the devices." },
        ConduitSpec { name: "Vendor remote access – Lines", zones: &[VRA, PET], services: &["https/443", "s7comm/102", "ethernet-ip/44818", "vnc/5900"], one_way: false, encrypted: true, sl: sl::REMOTE,
            description: "OEM gateways reach their own line only; enabled by the shift leader." },
        ConduitSpec { name: "Vendor remote access – DMZ", zones: &[VRA, DMZ], services: &["https/443", "openvpn/1194"], one_way: false, encrypted: true, sl: sl::REMOTE,
            description: "Outbound tunnels of the OEM gateways." },
        ConduitSpec { name: "DMZ – Cloud IIoT", zones: &[DMZ, CLOUD], services: &["https/443"], one_way: false, encrypted: true, sl: sl::CLOUD,
            description: "MindConnect to Insights Hub over HTTPS (outbound)." },
        ConduitSpec { name: "Engineering laptops – Supervisory and lines", zones: &[TEMP, SUP, PET, PROC], services: &["s7comm/102", "ethernet-ip/44818", "modbus/502", "rdp/3389"], one_way: false, encrypted: false, sl: sl::TEMPORARY,
            description: "Per work order." },
        ConduitSpec { name: "Warehouse Wi-Fi – Site operations", zones: &[WIFI, OPS], services: &["https/443"], one_way: false, encrypted: true, sl: sl::WIRELESS,
            description: "Terminals to the warehouse management system." },
    ]);

    // Industrial DMZ.
    for n in 1..=2 {
        b.add(dev(DMZ, format!("VLC-FW-N-0{n}"), K::Firewall, "Palo Alto Networks", "PA-1410", "PAN-OS 11.1.2").crit(C::Critical).owner("Site IT – network")
            .mac(oui::PALO_ALTO).protocols(&["https", "ssh", "syslog"]).tags(&["ha-pair"]));
    }
    b.add(dev(DMZ, "VLC-FW-S-01", K::Firewall, "Fortinet", "FortiGate 60F", "FortiOS 7.4.3").crit(C::Critical).mac(oui::FORTINET).protocols(&["https", "ssh"])
        .desc("Single OT-side firewall; a second unit is budgeted for 2026."));
    b.add(dev(DMZ, "VLC-SW-DMZ-01", K::NetworkDevice, "Cisco", "Catalyst 9200L-24T", "IOS XE 17.9.4").mac(oui::CISCO).protocols(&["snmp"]));
    let mindconnect = b.add(dev(DMZ, "VLC-MC-GW-01", K::IiotGateway, "Siemens", "SIMATIC IOT2050 (Insights Hub connector)", "Industrial OS 1.4.1")
        .mac(oui::SIEMENS_IA).owner("Transformación digital").protocols(&["opcua", "https"]));
    let jump = b.add(dev(DMZ, "VLC-JUMP-01", K::VirtualMachine, "Microsoft", "Jump host", "Windows Server 2019 (17763.5576)").mac(oui::VMWARE).protocols(&["rdp"]));
    b.add(dev(DMZ, "VLC-WSUS-DMZ-01", K::VirtualMachine, "Microsoft", "WSUS upstream server", "Windows Server 2019 (17763.5576)").mac(oui::VMWARE).protocols(&["https"]));
    let d365_gw = b.add(dev(DMZ, "VLC-INT-01", K::Application, "Microsoft", "On-premises data gateway (Dynamics 365)", "3000.218").out_of_scope().owner("Corporate IT – ERP")
        .protocols(&["https"]));

    // Site operations.
    b.add(dev(OPS, "VLC-SW-CORE-01", K::NetworkDevice, "Cisco", "Catalyst 9500-16X", "IOS XE 17.9.4a").crit(C::Critical).mac(oui::CISCO).protocols(&["snmp", "ssh"])
        .desc("Single core switch (redundancy planned)."));
    let hist = b.add(dev(OPS, "VLC-HIST-01", K::Historian, "AVEVA", "AVEVA Historian", "2023 R2").crit(C::High).mac(oui::VMWARE).protocols(&["aveva-historian", "sql"])
        .confirmed("2026-02-02T00:00:00Z", "2026-03-27T23:00:00Z", CV));
    let mes = b.add(dev(OPS, "VLC-MES-01", K::Application, "AVEVA", "AVEVA MES", "2023").crit(C::High).out_of_scope().owner("IT de fabricación").protocols(&["opcua", "sql", "https"]));
    let mes_db = b.add(dev(OPS, "VLC-MES-DB-01", K::VirtualMachine, "Microsoft", "SQL Server 2019 (MES and historian)", "15.0.4355.3").out_of_scope().owner("IT de fabricación")
        .mac(oui::VMWARE).protocols(&["sql"]));
    let gr = b.add(dev(OPS, "VLC-GR-01", K::Application, "AVEVA", "System Platform Galaxy Repository", "2023 R2 SP1").protocols(&["sql"]));
    let wms = b.add(dev(OPS, "VLC-WMS-01", K::Application, "Mecalux", "Easy WMS (warehouse management)", "2023.2").protocols(&["https", "sql"]));
    let ad = b.add(dev(OPS, "VLC-AD-OT-01", K::VirtualMachine, "Microsoft", "OT domain controller", "Windows Server 2016 (14393.6796)").crit(C::Critical).mac(oui::VMWARE)
        .protocols(&["kerberos", "ldaps", "dns", "ntp"]).end_of_support("2027-01-12").desc("Also the OT time source (no dedicated NTP appliance)."));
    b.add(dev(OPS, "VLC-WSUS-01", K::VirtualMachine, "Microsoft", "WSUS downstream server", "Windows Server 2019 (17763.5576)").mac(oui::VMWARE).protocols(&["https"]));
    b.add(dev(OPS, "VLC-BKP-01", K::Application, "Veeam", "Backup & Replication", "12.0.0").protocols(&["https", "smb"]));
    for n in 1..=2 {
        b.add(dev(OPS, format!("VLC-ESX-0{n}"), K::EdgeServer, "Dell", "PowerEdge R740 (VMware ESXi)", "ESXi 7.0 Update 3n").crit(C::Critical).mac(oui::DELL).protocols(&["https"]));
    }
    b.add(dev(OPS, "VLC-NDR-01", K::NetworkDevice, "Cisco", "Cyber Vision Center", "4.4.0").protocols(&["https"]).desc("Sensors on the IE switches of the lines."));

    // Supervisory.
    b.add(dev(SUP, "VLC-SW-L2-01", K::NetworkDevice, "Cisco", "IE-3400-8T2S", "IOS XE 17.9.4").mac(oui::CISCO).protocols(&["snmp"]));
    let aos: Vec<String> = (1..=2)
        .map(|n| b.add(dev(SUP, format!("VLC-AOS-0{n}"), K::ScadaServer, "AVEVA", "System Platform application object server", "2023 R2 SP1").crit(C::Critical)
            .mac(oui::DELL).protocols(&["s7comm", "ethernet-ip", "modbus", "opcua"])))
        .collect();
    let omi: Vec<String> = (1..=6)
        .map(|n| b.add(dev(SUP, format!("VLC-OMI-0{n}"), K::Hmi, "AVEVA", "InTouch OMI operator station", "2023 R2 SP1").mac(oui::DELL).protocols(&["opcua"])))
        .collect();
    let kep = b.add(dev(SUP, "VLC-KEP-01", K::Application, "PTC (Kepware)", "KEPServerEX", "6.15").protocols(&["opcua", "s7comm", "ethernet-ip", "modbus"]));
    b.add(dev(SUP, "VLC-EWS-TIA-01", K::EngineeringWorkstation, "Siemens", "SIMATIC Field PG M6 (TIA Portal V17)", "Windows 10 Enterprise LTSC 2019").mac(oui::SIEMENS_IA).protocols(&["s7comm", "profinet"]));
    b.add(dev(SUP, "VLC-EWS-RA-01", K::EngineeringWorkstation, "Rockwell Automation", "Studio 5000 v33 (Dell Precision 3660)", "Windows 10 Enterprise LTSC 2021").mac(oui::DELL).protocols(&["ethernet-ip"]));
    b.add(dev(SUP, "VLC-EWS-UNITY-01", K::EngineeringWorkstation, "Schneider Electric", "EcoStruxure Control Expert 15.3", "Windows 10 Enterprise LTSC 2019").protocols(&["modbus"]));
    b.add(dev(SUP, "VLC-EWS-ABB-01", K::EngineeringWorkstation, "ABB", "Control Builder M (System 800xA 6.1)", "Windows Server 2016 (14393.6796)").protocols(&["mms"]));

    // PET lines.
    let pet1 = [
        ("BLOW", "S7-1500 CPU 1517-3 PN/DP (6ES7517-3AP00-0AB0)", "V2.9.7", "Contiform stretch blow moulder"),
        ("FILL", "S7-1500 CPU 1516-3 PN/DP (6ES7516-3AN02-0AB0)", "V2.9.4", "Modulfill filler and capper"),
        ("LAB", "S7-1500 CPU 1515-2 PN (6ES7515-2AM02-0AB0)", "V2.9.4", "Contiroll labeller"),
        ("PACK", "S7-1500 CPU 1513-1 PN (6ES7513-1AL02-0AB0)", "V2.9.4", "Variopac shrink packer"),
        ("PAL", "S7-1500 CPU 1515-2 PN (6ES7515-2AM02-0AB0)", "V2.9.7", "Modulpal palletiser"),
    ];
    let mut pet1_plc = Vec::new();
    for (tag, model, firmware, what) in pet1 {
        pet1_plc.push(b.add(dev(PET, format!("VLC-PLC-{tag}-01"), K::Plc, "Siemens", model, firmware).mac(oui::SIEMENS)
            .protocols(&["s7comm", "profinet"]).tags(&["PET1"]).desc(format!("Krones {what}, line PET1."))));
    }
    let pet1_hmi: Vec<String> = (1..=3)
        .map(|n| b.add(dev(PET, format!("VLC-HMI-PET1-0{n}"), K::Hmi, "Siemens", "SIMATIC IPC477E (Krones operator panel, WinCC Advanced)", "V17 Update 6")
            .level(L::L2).mac(oui::SIEMENS_IA).protocols(&["s7comm"]).tags(&["PET1"])))
        .collect();
    let pet2 = [
        ("BLOW", "ControlLogix 5580 (1756-L83E)", "v33.011", "EvoBLOW stretch blow moulder"),
        ("FILL", "ControlLogix 5570 (1756-L73)", "v30.014", "filler and capper"),
        ("LAB", "CompactLogix 5380 (5069-L320ER)", "v33.011", "roll-fed labeller"),
        ("PACK", "CompactLogix 5370 (1769-L33ER)", "v30.014", "shrink packer"),
        ("PAL", "CompactLogix 5380 (5069-L330ER)", "v32.012", "palletiser"),
    ];
    let mut pet2_plc = Vec::new();
    for (tag, model, firmware, what) in pet2 {
        pet2_plc.push(b.add(dev(PET, format!("VLC-PLC-{tag}-02"), K::Plc, "Rockwell Automation", model, firmware).mac(oui::ROCKWELL)
            .protocols(&["ethernet-ip"]).tags(&["PET2"]).desc(format!("Sidel {what}, line PET2."))));
    }
    let pet2_hmi: Vec<String> = (1..=3)
        .map(|n| b.add(dev(PET, format!("VLC-HMI-PET2-0{n}"), K::Hmi, "Rockwell Automation", "PanelView Plus 7 (2711P-T12W22D8S)", "v12.0")
            .level(L::L2).mac(oui::ROCKWELL).protocols(&["ethernet-ip"]).tags(&["PET2"])))
        .collect();
    b.add(dev(PET, "VLC-SW-PET1-01", K::NetworkDevice, "Hirschmann", "RSP35", "HiOS 09.1.02").mac(oui::HIRSCHMANN).protocols(&["snmp", "mrp"]).tags(&["PET1"]));
    b.add(dev(PET, "VLC-SW-PET2-01", K::NetworkDevice, "Cisco", "IE-3300-8T2S", "IOS XE 17.9.4").mac(oui::CISCO).protocols(&["snmp"]).tags(&["PET2"]));

    // Glass and can lines.
    let glass_fill = b.add(dev(GLASS, "VLC-PLC-GL-FILL", K::Plc, "Siemens", "S7-300 CPU 317-2 PN/DP (6ES7317-2EK14-0AB0)", "V3.3.17").legacy("2023-10-01")
        .mac(oui::SIEMENS).protocols(&["s7comm", "profinet"]).desc("KHS Innofill glass filler (2004)."));
    let glass_past = b.add(dev(GLASS, "VLC-PLC-GL-PAST", K::Plc, "Siemens", "S7-300 CPU 315-2 PN/DP (6ES7315-2EH14-0AB0)", "V3.2.17").legacy("2023-10-01")
        .mac(oui::SIEMENS).protocols(&["s7comm", "profinet"]).desc("Tunnel pasteuriser: PU control is a food safety critical control point."));
    let glass_lab = b.add(dev(GLASS, "VLC-PLC-GL-LAB", K::Plc, "Siemens", "S7-1500 CPU 1513-1 PN (6ES7513-1AL02-0AB0)", "V2.9.4").mac(oui::SIEMENS).protocols(&["s7comm", "profinet"]));
    let inspector = b.add(dev(GLASS, "VLC-INSP-GL-01", K::Sensor, "HEUFT", "InLine II empty bottle inspector", "4.2").protocols(&["profinet", "https"])
        .desc("Rejects damaged and contaminated returnable bottles: a food safety control point."));
    let glass_hmi: Vec<String> = (1..=2)
        .map(|n| b.add(dev(GLASS, format!("VLC-HMI-GL-0{n}"), K::Hmi, "Siemens", "SIMATIC MP 377 15\" Touch", "WinCC flexible 2008 SP3").level(L::L2).legacy("2021-10-01")
            .mac(oui::SIEMENS_ET).protocols(&["s7comm"])))
        .collect();
    let can_fill = b.add(dev(GLASS, "VLC-PLC-CAN-FILL", K::Plc, "Rockwell Automation", "ControlLogix 5580 (1756-L83E)", "v33.011").mac(oui::ROCKWELL).protocols(&["ethernet-ip"]).desc("Can filler."));
    let seamer = b.add(dev(GLASS, "VLC-PLC-CAN-SEAM", K::Plc, "Schneider Electric", "Modicon M580 (BMEP582040)", "SV4.10").mac(oui::SCHNEIDER).protocols(&["modbus", "ethernet-ip"]).desc("Can seamer."));
    let can_past = b.add(dev(GLASS, "VLC-PLC-CAN-PAST", K::Plc, "Siemens", "S7-1500 CPU 1515-2 PN (6ES7515-2AM02-0AB0)", "V3.1.1").mac(oui::SIEMENS).protocols(&["s7comm", "profinet"]).desc("Can tunnel pasteuriser."));
    let can_hmi: Vec<String> = (1..=2)
        .map(|n| b.add(dev(GLASS, format!("VLC-HMI-CAN-0{n}"), K::Hmi, "Rockwell Automation", "PanelView 5500 (2715P-T12WD)", "v8.011").level(L::L2).mac(oui::ROCKWELL).protocols(&["ethernet-ip"])))
        .collect();
    b.add(dev(GLASS, "VLC-SW-GL-01", K::NetworkDevice, "Moxa", "EDS-510E", "V5.4").mac(oui::MOXA).protocols(&["snmp"]));
    b.add(dev(GLASS, "VLC-SW-CAN-01", K::NetworkDevice, "Cisco", "IE-3400-8T2S", "IOS XE 17.9.4").mac(oui::CISCO).protocols(&["snmp"]));

    // Process.
    let syrup: Vec<String> = [("SYR-01", "SV4.10", "Syrup room: sugar dissolving and dosing"), ("SYR-02", "SV3.20", "Syrup room: mixers and carbonation")]
        .iter()
        .map(|(tag, firmware, what)| b.add(dev(PROC, format!("VLC-PLC-{tag}"), K::Plc, "Schneider Electric", "Modicon M580 (BMEP584040)", firmware).mac(oui::SCHNEIDER)
            .protocols(&["modbus", "ethernet-ip"]).tags(&["recipe"]).desc(*what)))
        .collect();
    let mixers: Vec<String> = (1..=2)
        .map(|n| b.add(dev(PROC, format!("VLC-PLC-MIX-0{n}"), K::Plc, "Schneider Electric", "Modicon M340 (BMXP342020)", "V3.40").mac(oui::SCHNEIDER).protocols(&["modbus"])))
        .collect();
    let water: Vec<String> = [("WT-01", "AC 800M (PM866A)", "6.1.1", "Reverse osmosis and UV disinfection"), ("WT-02", "AC 800M (PM856A)", "5.1.1", "Well water intake and filtration")]
        .iter()
        .map(|(tag, model, firmware, what)| b.add(dev(PROC, format!("VLC-PLC-{tag}"), K::Plc, "ABB", model, firmware).protocols(&["mms", "modbus"]).desc(*what)))
        .collect();
    let cip: Vec<String> = (1..=2)
        .map(|n| b.add(dev(PROC, format!("VLC-PLC-CIP-0{n}"), K::Plc, "Schneider Electric", "Modicon M580 (BMEP582040)", "SV4.10").mac(oui::SCHNEIDER)
            .protocols(&["modbus"]).desc("CIP of fillers and syrup room: validated cleaning cycles (food safety prerequisite).")))
        .collect();
    let nh3 = b.add(dev(PROC, "VLC-PLC-NH3-01", K::Plc, "Siemens", "S7-1500 CPU 1515-2 PN (6ES7515-2AM02-0AB0)", "V2.9.4").mac(oui::SIEMENS).protocols(&["s7comm", "profinet", "modbus"])
        .desc("Ammonia refrigeration plant (GEA compressors), maintained by a contractor."));
    let boiler = b.add(dev(PROC, "VLC-PLC-BOIL-01", K::Plc, "Siemens", "S7-1200 CPU 1214C DC/DC/DC (6ES7214-1AG40-0XB0)", "V4.4.0").mac(oui::SIEMENS).protocols(&["s7comm", "profinet"]));
    b.add(dev(PROC, "VLC-PLC-AIR-01", K::Plc, "Atlas Copco", "Optimizer 4.0 compressor controller", "2.4").protocols(&["modbus"]));
    let proc_hmi: Vec<String> = (1..=3)
        .map(|n| b.add(dev(PROC, format!("VLC-HMI-PROC-0{n}"), K::Hmi, "Schneider Electric", "Harmony GTU (Vijeo Designer)", "6.2 SP11").level(L::L2).mac(oui::SCHNEIDER).protocols(&["modbus"])))
        .collect();
    b.add(dev(PROC, "VLC-SW-PROC-01", K::NetworkDevice, "Hirschmann", "RSP25", "HiOS 08.7.04").mac(oui::HIRSCHMANN).protocols(&["snmp"]));

    // Safety.
    let nh3_sis = b.add(dev(SIS, "VLC-SIS-NH3-01", K::SafetyController, "HIMA", "HIMatrix F35", "OS V12.40").protocols(&["safeethernet", "modbus"])
        .desc("Ammonia leak detection, emergency ventilation and compressor shutdown (SIL 2)."));
    let boiler_sis = b.add(dev(SIS, "VLC-SIS-BOIL-01", K::SafetyController, "Siemens", "S7-1500F CPU 1516F-3 PN/DP (6ES7516-3FN02-0AB0)", "V2.9.4").mac(oui::SIEMENS).protocols(&["profinet", "profisafe"]));
    b.add(dev(SIS, "VLC-SIS-CO2-01", K::SafetyController, "Siemens", "S7-1200F CPU 1214FC (6ES7214-1AF40-0XB0)", "V4.5.2").mac(oui::SIEMENS).protocols(&["profinet", "profisafe"]).desc("CO2 tank over-pressure and room gas detection."));
    let pal_sis: Vec<String> = (1..=2)
        .map(|n| b.add(dev(SIS, format!("VLC-SIS-PAL-0{n}"), K::SafetyController, "Pilz", "PNOZmulti 2 (PNOZ m B1)", "1.6").protocols(&["profinet"]).desc(format!("Palletiser cell guarding, line PET{n}."))))
        .collect();
    for n in 1..=2 {
        b.add(dev(SIS, format!("VLC-GAS-0{n}"), K::Sensor, "Dräger", "Polytron 8100 (NH3 detector)", "").level(L::L0).no_ip().protocols(&["hart"]));
        b.add(dev(SIS, format!("VLC-SCN-0{n}"), K::Sensor, "SICK", "microScan3 Core PROFINET", "1.5.2").level(L::L0).mac(oui::SICK).protocols(&["profinet", "profisafe"]));
    }

    // Field devices.
    for line in ["PET1", "PET2"] {
        for n in 1..=6 {
            b.add(dev(FIELD, format!("VLC-DRV-{line}-0{n}"), K::Actuator, "SEW-Eurodrive", "MOVIMOT advanced (conveyor)", "V1.10").mac(oui::SEW)
                .protocols(&[if line == "PET1" { "profinet" } else { "ethernet-ip" }]).tags(&[line]));
        }
        for n in 1..=2 {
            b.add(dev(FIELD, format!("VLC-VT-{line}-0{n}"), K::Actuator, "Festo", "CPX-AP-I valve terminal", "1.6.3").mac(oui::FESTO).protocols(&["profinet"]).tags(&[line]));
        }
        b.add(dev(FIELD, format!("VLC-FT-{line}"), K::Sensor, "Endress+Hauser", "Promass Q 300 (Brix and density at the filler)", "01.03.zz").protocols(&["profinet"]).tags(&[line, "quality"]));
        b.add(dev(FIELD, format!("VLC-CW-{line}"), K::Sensor, "Mettler Toledo", "Garvens C35 AdvancedLine checkweigher", "3.2.1").protocols(&["ethernet-ip"]).tags(&[line]));
        b.add(dev(FIELD, format!("VLC-CODER-{line}"), K::Other, "Videojet", "1860 continuous inkjet coder", "4.2").protocols(&["tcp-raw"]).tags(&[line, "traceability"]));
    }
    for n in 1..=2 {
        b.add(dev(FIELD, format!("VLC-FT-W-0{n}"), K::Sensor, "Endress+Hauser", "Promag W 400 (water flow)", "01.02.zz").protocols(&["modbus"]));
        b.add(dev(FIELD, format!("VLC-FT-SYR-0{n}"), K::Sensor, "Endress+Hauser", "Promass Q 300 (syrup dosing)", "01.03.zz").protocols(&["ethernet-ip"]).tags(&["recipe"]));
        b.add(dev(FIELD, format!("VLC-DRV-PROC-0{n}"), K::Actuator, "Danfoss", "VLT AQUA Drive FC 202", "5.02").protocols(&["modbus"]));
        b.add(dev(FIELD, format!("VLC-DRV-ABB-0{n}"), K::Actuator, "ABB", "ACS880 with FENA-21", "3.30").protocols(&["modbus", "ethernet-ip"]));
        b.add(dev(FIELD, format!("VLC-IO-PROC-0{n}"), K::Rtu, "Siemens", "ET 200SP IM 155-6 PN HF (remote I/O)", "V4.2").mac(oui::SIEMENS_ET).protocols(&["profinet"]));
        b.add(dev(FIELD, format!("VLC-IO-WT-0{n}"), K::Rtu, "WAGO", "750-362 fieldbus coupler Modbus TCP", "FW 11").mac(oui::WAGO).protocols(&["modbus"]));
    }
    let conductivity = b.add(dev(FIELD, "VLC-AN-01", K::Sensor, "Endress+Hauser", "Liquiline CM44 (conductivity, CIP return)", "01.12.00").protocols(&["modbus"]).tags(&["cip"]));
    for n in 1..=3 {
        b.add(dev(FIELD, format!("VLC-LT-0{n}"), K::Sensor, "VEGA", "VEGAPULS 6X (syrup tank level)", "1.3.0").no_ip().protocols(&["hart"]));
    }
    let serial_server = b.add(dev(FIELD, "VLC-NPORT-01", K::NetworkDevice, "Moxa", "NPort 5150", "3.11").mac(oui::MOXA).protocols(&["tcp-serial"])
        .desc("Serial link to the inline refractometer of the syrup room (RS-232)."));

    // Vendor remote access.
    let krones_gw = b.add(dev(VRA, "VLC-EWON-KRONES-01", K::IiotGateway, "HMS", "Ewon Flexy 205", "14.7s1").mac(oui::HMS).protocols(&["https", "openvpn"]).desc("Krones remote service of line PET1."));
    let sidel_gw = b.add(dev(VRA, "VLC-EWON-SIDEL-01", K::IiotGateway, "HMS", "Ewon Cosy 131", "14.8s2").mac(oui::HMS).protocols(&["https", "openvpn"]).desc("Sidel remote service of line PET2."));
    let router = b.add(dev(VRA, "Unregistered 4G router (syrup room cabinet)", K::NetworkDevice, "Teltonika", "RUT240 (fingerprint)", "").ip("10.30.200.250").owner("")
        .protocols(&["https", "modbus"]).tags(&["to-review"]).observed("2026-02-16T10:44:03Z", "2026-03-27T18:20:11Z", CV)
        .desc("Installed by the refrigeration contractor; bypasses the DMZ. Found by passive monitoring (ticket OT-2026-057)."));

    // Cloud, laptops, wireless, enterprise.
    let insights = b.add(dev(CLOUD, "IIoT platform (Insights Hub eu1)", K::CloudService, "Siemens", "Insights Hub (formerly MindSphere)", "").protocols(&["https"]));
    b.add(dev(CLOUD, "Power BI (OEE reports)", K::CloudService, "Microsoft", "Power BI Pro", "").no_ip().out_of_scope().crit(C::Low).protocols(&["https"]));
    for n in 1..=3 {
        b.add(dev(TEMP, format!("VLC-LT-ENG-0{n}"), K::EngineeringWorkstation, "Lenovo", "ThinkPad P16s", "Windows 11 Enterprise 23H2").protocols(&["s7comm", "ethernet-ip", "modbus"]));
    }
    let contractor = b.add(dev(TEMP, "VLC-LT-CONTR-01", K::EngineeringWorkstation, "Unknown", "Contractor laptop (refrigeration)", "Windows 10").owner("Refrigeration contractor")
        .protocols(&["s7comm"]).observed("2026-03-05T08:12:40Z", "2026-03-05T13:02:19Z", CV));
    for n in 1..=3 {
        b.add(dev(WIFI, format!("VLC-AP-0{n}"), K::NetworkDevice, "Cisco", "Catalyst 9124AXI (outdoor)", "17.9.5").mac(oui::CISCO).protocols(&["capwap"]));
    }
    let terminals: Vec<String> = (1..=4)
        .map(|n| b.add(dev(WIFI, format!("VLC-VC-0{n}"), K::Other, "Zebra", "VC8300 vehicle computer (forklift)", "Android 10").protocols(&["https"])))
        .collect();
    for n in 1..=3 {
        b.add(dev(WIFI, format!("VLC-HH-0{n}"), K::Other, "Zebra", "MC9300 handheld", "Android 11").protocols(&["https"]));
    }
    let lab_ws: Vec<String> = (1..=3)
        .map(|n| b.add(dev(ENT, format!("VLC-WS-0{n}"), K::Other, "HP", "EliteDesk 800 G9 (laboratory and planning)", "Windows 11 Enterprise 23H2").out_of_scope().crit(C::Low).protocols(&["https"])))
        .collect();

    // Flows: lines.
    for plc in &pet1_plc {
        b.flow(flow(node(&aos[0]), node(plc), "s7comm", Some(102), "Line supervision (OI Server SIDirect)").both());
    }
    for plc in &pet2_plc {
        b.flow(flow(node(&aos[0]), node(plc), "ethernet-ip", Some(44818), "Line supervision (OI Server ABCIP)").both());
    }
    for (hmi, plc) in pet1_hmi.iter().zip(&pet1_plc) {
        b.flow(flow(node(hmi), node(plc), "s7comm", Some(102), "Operator control").both());
    }
    for (hmi, plc) in pet2_hmi.iter().zip(&pet2_plc) {
        b.flow(flow(node(hmi), node(plc), "ethernet-ip", Some(44818), "Operator control").both());
    }
    for plcs in [&pet1_plc, &pet2_plc] {
        for pair in plcs.windows(2) {
            let protocol = if plcs == &pet1_plc { ("profinet", None) } else { ("ethernet-ip", Some(44818)) };
            b.flow(flow(node(&pair[0]), node(&pair[1]), protocol.0, protocol.1, "Line synchronisation between machines").both());
        }
    }
    for target in [&glass_fill, &glass_past, &glass_lab, &can_past] {
        b.flow(flow(node(&aos[1]), node(target), "s7comm", Some(102), "Line supervision (OI Server SIDirect)").both());
    }
    b.flow(flow(node(&aos[1]), node(&can_fill), "ethernet-ip", Some(44818), "Line supervision (OI Server ABCIP)").both());
    b.flow(flow(node(&aos[1]), node(&seamer), "modbus", Some(502), "Seamer counters and alarms"));
    b.flow(flow(node(&glass_hmi[0]), node(&glass_fill), "s7comm", Some(102), "Operator control").both());
    b.flow(flow(node(&glass_hmi[1]), node(&glass_past), "s7comm", Some(102), "Pasteurisation units and temperatures").both());
    b.flow(flow(node(&can_hmi[0]), node(&can_fill), "ethernet-ip", Some(44818), "Operator control").both());
    b.flow(flow(node(&can_hmi[1]), node(&can_fill), "ethernet-ip", Some(44818), "Operator control").both());
    b.flow(flow(node(&glass_fill), node(&inspector), "profinet", None, "Reject signals from the empty bottle inspector").both());
    b.flow(flow(node(&kep), node(&inspector), "https", Some(443), "Inspection statistics").encrypted());
    // Process.
    for plc in syrup.iter().chain(&mixers).chain(&cip) {
        b.flow(flow(node(&aos[1]), node(plc), "modbus", Some(502), "Process supervision and recipe parameters").both());
    }
    for plc in &water {
        b.flow(flow(node(&aos[1]), node(plc), "mms", Some(102), "Water treatment supervision (MMS)").both());
    }
    for (hmi, plc) in proc_hmi.iter().zip([&syrup[0], &syrup[1], &cip[0]]) {
        b.flow(flow(node(hmi), node(plc), "modbus", Some(502), "Local operation").both());
    }
    b.flow(flow(node(&aos[1]), node(&nh3), "s7comm", Some(102), "Refrigeration supervision").both());
    b.flow(flow(node(&aos[1]), node(&boiler), "s7comm", Some(102), "Boiler supervision").both());
    b.flow(flow(node(&cip[0]), node(&conductivity), "modbus", Some(502), "CIP return conductivity (end of rinse)"));
    b.flow(flow(node(&nh3_sis), node(&nh3), "modbus", Some(502), "Leak alarm and trip status to the refrigeration controller"));
    b.flow(flow(node(&boiler_sis), node(&boiler), "profinet", None, "PROFIsafe: burner release").both());
    for (sis, plc) in pal_sis.iter().zip([&pet1_plc[4], &pet2_plc[4]]) {
        b.flow(flow(node(sis), node(plc), "profinet", None, "Safe stop of the palletiser cell").both());
    }
    b.flow(flow(node(&syrup[0]), node(&serial_server), "tcp-serial", Some(4001), "Refractometer readings (Brix) for the dosing correction"));
    // Level 3 and up.
    for server in &aos {
        b.flow(flow(node(server), node(&hist), "aveva-historian", Some(32568), "Process history").seen("2026-02-02T00:00:00Z", "2026-03-27T23:00:00Z", 240, 66_402_118_733));
        b.flow(flow(node(server), node(&gr), "sql", Some(1433), "Galaxy deployment").both());
        b.flow(flow(node(server), node(&ad), "kerberos", Some(88), "Operator authentication").both());
        b.flow(flow(node(server), node(&ad), "ntp", Some(123), "Time synchronisation").both());
    }
    for station in &omi {
        b.flow(flow(node(station), node(&aos[0]), "opcua", Some(4840), "Operator visualisation").both());
    }
    b.flow(flow(node(&mes), node(&aos[0]), "opcua", Some(4840), "Orders, recipes and production counts").both().encrypted());
    b.flow(flow(node(&mes), node(&mes_db), "sql", Some(1433), "MES database").both());
    b.flow(flow(node(&mes), node(&hist), "sql", Some(1433), "Historian queries for OEE").both());
    b.flow(flow(node(&mes), node(&d365_gw), "https", Some(443), "Production orders and confirmations").both().encrypted());
    b.flow(flow(node(&d365_gw), ext("Microsoft Dynamics 365 Supply Chain Management (cloud)"), "https", Some(443), "ERP integration through the data gateway (outbound relay)").both().encrypted());
    b.flow(flow(node(&d365_gw), ext("Thermo SampleManager LIMS (lims.corp.example)"), "https", Some(443), "Batch quality results for release").both().encrypted());
    b.flow(flow(node(&mindconnect), node(&kep), "opcua", Some(4840), "Reads KEPServerEX in Level 2 directly (exception EX-VLC-03 until an edge device moves to Level 3)").encrypted());
    b.flow(flow(node(&mindconnect), node(&insights), "https", Some(443), "Line performance and energy time series").encrypted());
    b.flow(flow(node(&jump), node(&hist), "rdp", Some(3389), "Historian administration").both().encrypted());
    b.flow(flow(node(&jump), node(&mes), "rdp", Some(3389), "MES administration").both().encrypted());
    for terminal in &terminals {
        b.flow(flow(node(terminal), node(&wms), "https", Some(443), "Pallet moves and shipping").both().encrypted());
    }
    for ws in &lab_ws[..2] {
        b.flow(flow(node(ws), ext("Thermo SampleManager LIMS (lims.corp.example)"), "https", Some(443), "Laboratory results entry").encrypted());
    }
    // Remote access.
    b.flow(flow(node(&krones_gw), ext("Talk2M (HMS remote access cloud)"), "openvpn", Some(1194), "Krones remote service tunnel").both().encrypted());
    b.flow(flow(node(&krones_gw), node(&pet1_plc[1]), "s7comm", Some(102), "Krones diagnostics of the filler").both());
    b.flow(flow(node(&sidel_gw), ext("Talk2M (HMS remote access cloud)"), "openvpn", Some(1194), "Sidel remote service tunnel").both().encrypted());
    b.flow(flow(node(&sidel_gw), node(&pet2_plc[0]), "ethernet-ip", Some(44818), "Sidel diagnostics of the blow moulder").both());
    // Seen in traffic, documented nowhere.
    b.flow(flow(node(&router), ext("Teltonika RMS (rms.teltonika-networks.com)"), "https", Some(443), "Cloud management of the unregistered 4G router")
        .encrypted().undocumented("2026-02-16T10:44:03Z", "2026-03-27T18:20:11Z", 4_021, 12_440_901));
    b.flow(flow(node(&router), node(&nh3), "modbus", Some(502), "Contractor reads the refrigeration controller through the 4G router")
        .both().undocumented("2026-02-16T11:02:55Z", "2026-03-27T18:18:40Z", 19_883, 102_448_019));
    b.flow(flow(node(&contractor), node(&nh3), "s7comm", Some(102), "Contractor laptop online to the refrigeration controller")
        .both().undocumented("2026-03-05T08:15:02Z", "2026-03-05T12:58:33Z", 9, 2_118_402));
    b.flow(flow(node(&omi[3]), ext("TeamViewer (router.teamviewer.com)"), "https", Some(443), "TeamViewer installed on an operator station")
        .encrypted().undocumented("2026-02-20T22:10:05Z", "2026-03-21T03:44:18Z", 61, 840_220_014));

    b.interfaces(&[
        InterfaceSpec { name: "MES – AVEVA MES", kind: InterfaceKind::Mes, external: "AVEVA MES 2023 (site instance)",
            responsible: "IT de fabricación (manufacturing IT)",
            boundary: "The MES is operated by manufacturing IT outside the ISMS scope. The boundary is its OPC UA connection to the System Platform application server (certificate-based, writable attributes limited to order and recipe download).",
            asset: Some("VLC-AOS-01"), zone: Some(SUP), protocols: &["opcua"], direction: InterfaceDirection::Bidirectional,
            data: "Production orders and recipes to the lines; counts, stops and quality checks back." },
        InterfaceSpec { name: "ERP – Microsoft Dynamics 365", kind: InterfaceKind::Erp, external: "Microsoft Dynamics 365 Supply Chain Management (group tenant)",
            responsible: "Corporate IT – ERP",
            boundary: "SaaS ERP reached through the on-premises data gateway in the DMZ, which only opens outbound connections to the Azure relay.",
            asset: Some("VLC-INT-01"), zone: Some(DMZ), protocols: &["https"], direction: InterfaceDirection::Bidirectional,
            data: "Production orders, bills of materials; confirmations, consumption and goods receipts." },
        InterfaceSpec { name: "LIMS – Thermo SampleManager", kind: InterfaceKind::Lims, external: "Thermo Fisher SampleManager LIMS 21 (group laboratory)",
            responsible: "Calidad – laboratorio",
            boundary: "Hosted by corporate IT; batch results flow through the data gateway. Release decisions are taken in the LIMS.",
            asset: Some("VLC-INT-01"), zone: Some(DMZ), protocols: &["https"], direction: InterfaceDirection::Inbound,
            data: "Brix, CO2, microbiology results and batch release status." },
        InterfaceSpec { name: "Vendor – Krones remote service", kind: InterfaceKind::VendorSystem, external: "Krones remote service (Talk2M)",
            responsible: "Krones Service Iberica (contract RS-2023-041)",
            boundary: "The Ewon gateway reaches line PET1 only; the shift leader enables it per call and disables it afterwards. Krones reports security incidents within 48 hours.",
            asset: Some("VLC-EWON-KRONES-01"), zone: Some(VRA), protocols: &["openvpn", "s7comm"], direction: InterfaceDirection::Inbound,
            data: "Diagnostics and program changes of the PET1 machines." },
        InterfaceSpec { name: "CMMS – IBM Maximo", kind: InterfaceKind::Cmms, external: "IBM Maximo Application Suite (group maintenance)",
            responsible: "Mantenimiento – planificación",
            boundary: "No system-to-system connection: planners raise work orders from alarms seen in the operator stations.",
            asset: None, zone: None, protocols: &["https"], direction: InterfaceDirection::Outbound,
            data: "Work orders referencing equipment tags." },
    ]);
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// The synthetic estate.
// ---------------------------------------------------------------------------------------------

/// A make and model the synthetic estate draws assets from.
struct Model {
    kind: K,
    vendor: &'static str,
    model: &'static str,
    firmware: &'static [&'static str],
    protocols: &'static [&'static str],
    /// What a client of this asset connects to, for generated flows.
    serves: (&'static str, Option<u16>),
    oui: Option<[u8; 3]>,
    /// Name prefix, e.g. `PLC` in `S001-PLC-00042`.
    prefix: &'static str,
    /// Set for legacy models: when support ended.
    end_of_support: Option<&'static str>,
}

#[allow(clippy::too_many_arguments)]
const fn m(
    kind: K,
    vendor: &'static str,
    model: &'static str,
    firmware: &'static [&'static str],
    protocols: &'static [&'static str],
    serves: (&'static str, Option<u16>),
    oui: Option<[u8; 3]>,
    prefix: &'static str,
) -> Model {
    Model { kind, vendor, model, firmware, protocols, serves, oui, prefix, end_of_support: None }
}

const fn legacy(model: Model, end_of_support: &'static str) -> Model {
    Model { end_of_support: Some(end_of_support), ..model }
}

const HTTPS: (&str, Option<u16>) = ("https", Some(443));
const RDP: (&str, Option<u16>) = ("rdp", Some(3389));
const SNMP: (&str, Option<u16>) = ("snmp", Some(161));
const OPCUA: (&str, Option<u16>) = ("opcua", Some(4840));
const S7: (&str, Option<u16>) = ("s7comm", Some(102));
const EIP: (&str, Option<u16>) = ("ethernet-ip", Some(44818));
const EIP_IO: (&str, Option<u16>) = ("ethernet-ip", Some(2222));
const MODBUS: (&str, Option<u16>) = ("modbus", Some(502));
const PROFINET: (&str, Option<u16>) = ("profinet", None);
const MQTT: (&str, Option<u16>) = ("mqtt", Some(8883));
const PI: (&str, Option<u16>) = ("pi", Some(5450));

#[rustfmt::skip]
const WINDOWS_SERVER: &[&str] = &["Windows Server 2019 (17763.5576)", "Windows Server 2022 (20348.2340)", "Windows Server 2016 (14393.6796)"];
#[rustfmt::skip]
const WINDOWS_CLIENT: &[&str] = &["Windows 10 Enterprise LTSC 2019", "Windows 10 Enterprise LTSC 2021", "Windows 11 Enterprise 23H2"];
#[rustfmt::skip]
const S7_1500_FW: &[&str] = &["V2.8.3", "V2.9.4", "V2.9.7", "V3.0.3", "V3.1.1"];
#[rustfmt::skip]
const LOGIX_FW: &[&str] = &["v32.013", "v33.011", "v33.015", "v34.011", "v35.013"];
#[rustfmt::skip]
const CISCO_FW: &[&str] = &["IOS XE 17.6.5", "IOS XE 17.9.4", "IOS XE 17.9.5"];

#[rustfmt::skip]
const ENTERPRISE_MODELS: &[Model] = &[
    m(K::Other, "Dell", "OptiPlex 7010", WINDOWS_CLIENT, &["https", "smb"], HTTPS, Some(oui::DELL), "WS"),
    m(K::VirtualMachine, "Microsoft", "File and print server", WINDOWS_SERVER, &["smb", "https"], ("smb", Some(445)), Some(oui::VMWARE), "SRV"),
    m(K::NetworkDevice, "Cisco", "Catalyst 9200L-48P", CISCO_FW, &["snmp", "ssh"], SNMP, Some(oui::CISCO), "SW"),
];
#[rustfmt::skip]
const DMZ_MODELS: &[Model] = &[
    m(K::Firewall, "Fortinet", "FortiGate 100F", &["FortiOS 7.2.8", "FortiOS 7.4.3"], &["https", "syslog"], HTTPS, Some(oui::FORTINET), "FW"),
    m(K::Firewall, "Palo Alto Networks", "PA-3220", &["PAN-OS 10.2.9-h1", "PAN-OS 11.1.2"], &["https", "syslog"], HTTPS, Some(oui::PALO_ALTO), "FW"),
    m(K::VirtualMachine, "Microsoft", "Jump host", WINDOWS_SERVER, &["rdp"], RDP, Some(oui::VMWARE), "JUMP"),
    m(K::Historian, "AVEVA", "PI Data Archive (DMZ replica)", &["PI Server 2018 SP3 Patch 5", "PI Server 2023"], &["pi", "https"], PI, Some(oui::VMWARE), "HIST"),
    m(K::Application, "HiveMQ", "HiveMQ Enterprise broker", &["4.24.0", "4.28.1"], &["mqtt"], MQTT, None, "MQTT"),
    m(K::IiotGateway, "Siemens", "SIMATIC IOT2050 Advanced", &["Industrial OS 1.4.1", "Industrial OS 1.5.2"], &["mqtt", "opcua", "https"], MQTT, Some(oui::SIEMENS_IA), "GW"),
];
#[rustfmt::skip]
const OPERATIONS_MODELS: &[Model] = &[
    m(K::Historian, "AVEVA", "PI Data Archive", &["PI Server 2018 SP3 Patch 5", "PI Server 2023"], &["pi", "opcua"], PI, Some(oui::VMWARE), "HIST"),
    m(K::Historian, "Canary Labs", "Canary Historian", &["23.2", "24.1"], &["https", "opcua"], HTTPS, Some(oui::VMWARE), "HIST"),
    m(K::Application, "Siemens", "Opcenter Execution (application server)", &["2304", "2401"], &["https", "opcua"], HTTPS, None, "MES"),
    m(K::VirtualMachine, "Microsoft", "Domain controller (OT)", WINDOWS_SERVER, &["kerberos", "ldaps"], ("ldaps", Some(636)), Some(oui::VMWARE), "DC"),
    m(K::EdgeServer, "Dell", "PowerEdge R750 (VMware ESXi)", &["ESXi 7.0 Update 3p", "ESXi 8.0 Update 2"], &["https"], HTTPS, Some(oui::DELL), "ESX"),
    m(K::NetworkDevice, "Cisco", "Catalyst 9500-16X", CISCO_FW, &["snmp", "ssh"], SNMP, Some(oui::CISCO), "SW"),
];
#[rustfmt::skip]
const SUPERVISORY_MODELS: &[Model] = &[
    m(K::ScadaServer, "Siemens", "WinCC V7.5 server", &["V7.5 SP2 Update 11", "V7.5 SP2 Update 13"], &["s7comm", "opcua"], OPCUA, Some(oui::SIEMENS_IA), "SCADA"),
    m(K::ScadaServer, "Inductive Automation", "Ignition gateway", &["8.1.38", "8.1.43"], &["opcua", "https", "ethernet-ip", "modbus"], OPCUA, None, "SCADA"),
    m(K::ScadaServer, "Siemens", "WinCC Open Architecture server", &["3.18 P011", "3.19 P006"], &["opcua", "s7comm"], OPCUA, Some(oui::SIEMENS_IA), "SCADA"),
    m(K::ScadaServer, "Rockwell Automation", "FactoryTalk View SE server", &["12.0", "13.0"], &["ethernet-ip", "opcua"], OPCUA, Some(oui::DELL), "SCADA"),
    m(K::Hmi, "Siemens", "SIMATIC IPC677E operator station", WINDOWS_CLIENT, &["s7comm", "opcua"], RDP, Some(oui::SIEMENS_IA), "OS"),
    m(K::EngineeringWorkstation, "Siemens", "SIMATIC Field PG M6 (TIA Portal V18)", WINDOWS_CLIENT, &["s7comm", "profinet"], RDP, Some(oui::SIEMENS_IA), "EWS"),
    m(K::EngineeringWorkstation, "Rockwell Automation", "Studio 5000 workstation (Dell Precision 3660)", WINDOWS_CLIENT, &["ethernet-ip"], RDP, Some(oui::DELL), "EWS"),
    legacy(m(K::EngineeringWorkstation, "Siemens", "SIMATIC Field PG M4 (STEP 7 V5.6)", &["Windows 7 SP1"], &["s7comm"], RDP, Some(oui::SIEMENS_IA), "EWS"), "2020-01-14"),
];
#[rustfmt::skip]
const CONTROL_MODELS: &[Model] = &[
    m(K::Plc, "Siemens", "S7-1500 CPU 1516-3 PN/DP", S7_1500_FW, &["s7comm", "profinet", "opcua"], S7, Some(oui::SIEMENS), "PLC"),
    m(K::Plc, "Siemens", "S7-1500 CPU 1513-1 PN", S7_1500_FW, &["s7comm", "profinet"], S7, Some(oui::SIEMENS), "PLC"),
    m(K::Plc, "Siemens", "S7-1200 CPU 1215C DC/DC/DC", &["V4.4.0", "V4.5.2", "V4.6.0"], &["s7comm", "profinet"], S7, Some(oui::SIEMENS), "PLC"),
    legacy(m(K::Plc, "Siemens", "S7-300 CPU 315-2 PN/DP", &["V3.2.14", "V3.2.17"], &["s7comm", "profinet"], S7, Some(oui::SIEMENS), "PLC"), "2023-10-01"),
    m(K::Plc, "Rockwell Automation", "ControlLogix 5580 (1756-L83E)", LOGIX_FW, &["ethernet-ip"], EIP, Some(oui::ROCKWELL), "PLC"),
    m(K::Plc, "Rockwell Automation", "CompactLogix 5380 (5069-L330ER)", LOGIX_FW, &["ethernet-ip"], EIP, Some(oui::ROCKWELL_2), "PLC"),
    legacy(m(K::Plc, "Rockwell Automation", "SLC 5/05 (1747-L552)", &["Series C FRN 10"], &["ethernet-ip"], EIP, Some(oui::ROCKWELL), "PLC"), "2017-06-30"),
    m(K::Plc, "Schneider Electric", "Modicon M580 (BMEP584040)", &["SV3.20", "SV4.10"], &["modbus", "ethernet-ip"], MODBUS, Some(oui::SCHNEIDER), "PLC"),
    m(K::Plc, "Schneider Electric", "Modicon M340 (BMXP342020)", &["V3.30", "V3.40"], &["modbus"], MODBUS, Some(oui::SCHNEIDER), "PLC"),
    m(K::Plc, "ABB", "AC 800M (PM866A)", &["6.1.1", "6.2.0"], &["modbus", "opcua"], MODBUS, None, "PLC"),
    m(K::Plc, "Beckhoff", "CX5140 embedded PC", &["TwinCAT 3.1.4024.53", "TwinCAT 3.1.4026.3"], &["ads", "opcua", "ethercat"], OPCUA, Some(oui::BECKHOFF), "PLC"),
    m(K::Plc, "Phoenix Contact", "AXC F 2152 (PLCnext Control)", &["2023.0.5 LTS", "2024.0.4 LTS"], &["profinet", "opcua"], OPCUA, Some(oui::PHOENIX), "PLC"),
    m(K::Plc, "WAGO", "PFC200 (750-8212)", &["FW 24", "FW 26"], &["modbus", "opcua", "mqtt"], MODBUS, Some(oui::WAGO), "PLC"),
    m(K::Plc, "B&R", "X20 CP3687X", &["Automation Runtime 6.0"], &["opcua", "powerlink"], OPCUA, Some(oui::B_AND_R), "PLC"),
    m(K::Hmi, "Siemens", "SIMATIC TP1200 Comfort", &["V16 Update 5", "V17 Update 6"], &["s7comm", "profinet"], S7, Some(oui::SIEMENS_ET), "HMI"),
    m(K::Hmi, "Rockwell Automation", "PanelView 5500 (2715P-T10CD)", &["v7.011", "v8.011"], &["ethernet-ip"], EIP, Some(oui::ROCKWELL), "HMI"),
    m(K::NetworkDevice, "Cisco", "IE-3400-8T2S", CISCO_FW, &["snmp"], SNMP, Some(oui::CISCO), "SW"),
    m(K::NetworkDevice, "Hirschmann", "RSP35", &["HiOS 08.7.04", "HiOS 09.1.02"], &["snmp"], SNMP, Some(oui::HIRSCHMANN), "SW"),
    m(K::NetworkDevice, "Moxa", "EDS-518E", &["V5.4", "V6.1"], &["snmp", "modbus"], SNMP, Some(oui::MOXA), "SW"),
    m(K::NetworkDevice, "Siemens", "SCALANCE XC208", &["V4.4", "V4.5"], &["snmp", "profinet"], SNMP, Some(oui::SIEMENS_ET), "SW"),
];
#[rustfmt::skip]
const SAFETY_MODELS: &[Model] = &[
    m(K::SafetyController, "Siemens", "S7-1500F CPU 1516F-3 PN/DP", S7_1500_FW, &["profinet", "profisafe", "s7comm"], PROFINET, Some(oui::SIEMENS), "SIS"),
    m(K::SafetyController, "Rockwell Automation", "GuardLogix 5580 (1756-L83ES)", LOGIX_FW, &["ethernet-ip", "cip-safety"], EIP, Some(oui::ROCKWELL), "SIS"),
    m(K::SafetyController, "HIMA", "HIMax (X-CPU 01)", &["CPU OS V10.42"], &["safeethernet", "modbus"], MODBUS, None, "SIS"),
    m(K::SafetyController, "Yokogawa", "ProSafe-RS (SSC60D)", &["R4.06.00", "R4.07.10"], &["vnet-ip", "modbus"], MODBUS, None, "SIS"),
    m(K::SafetyController, "Pilz", "PNOZmulti 2 (PNOZ m B1)", &["1.5", "1.6"], &["modbus"], MODBUS, None, "SIS"),
    m(K::Sensor, "SICK", "microScan3 Pro PROFINET", &["1.4.0", "1.5.2"], &["profinet", "profisafe"], PROFINET, Some(oui::SICK), "SCN"),
];
#[rustfmt::skip]
const FIELD_MODELS: &[Model] = &[
    m(K::Rtu, "Siemens", "ET 200SP IM 155-6 PN HF (remote I/O)", &["V4.2", "V6.0"], &["profinet"], PROFINET, Some(oui::SIEMENS_ET), "IO"),
    m(K::Rtu, "Rockwell Automation", "FLEX 5000 I/O (5094-AEN2TR)", &["v2.011", "v3.011"], &["ethernet-ip"], EIP_IO, Some(oui::ROCKWELL_2), "IO"),
    m(K::Rtu, "WAGO", "750-362 fieldbus coupler Modbus TCP", &["FW 10", "FW 11"], &["modbus"], MODBUS, Some(oui::WAGO), "IO"),
    m(K::Sensor, "Endress+Hauser", "Promag H 300 flowmeter", &["01.04.zz", "01.05.zz"], &["profinet", "ethernet-ip"], PROFINET, None, "FT"),
    m(K::Sensor, "Endress+Hauser", "Promass Q 300 Coriolis flowmeter", &["01.03.zz"], &["ethernet-ip"], EIP_IO, None, "FT"),
    m(K::Sensor, "VEGA", "VEGAPULS 6X radar level", &["1.3.0", "1.4.1"], &["hart-ip"], ("hart-ip", Some(5094)), None, "LT"),
    m(K::Sensor, "SICK", "Lector 642 code reader", &["1.5.0", "1.6.2"], &["ethernet-ip", "profinet"], PROFINET, Some(oui::SICK), "RD"),
    m(K::Sensor, "Cognex", "In-Sight 3800 vision", &["6.2.0", "6.3.1"], &["ethernet-ip", "profinet"], EIP_IO, Some(oui::COGNEX), "CAM"),
    m(K::Actuator, "Festo", "CPX-AP-I valve terminal", &["1.6.3"], &["profinet", "ethernet-ip"], PROFINET, Some(oui::FESTO), "VT"),
    m(K::Actuator, "SEW-Eurodrive", "MOVIMOT advanced", &["V1.10", "V1.20"], &["profinet", "ethernet-ip"], PROFINET, Some(oui::SEW), "DRV"),
    m(K::Actuator, "Danfoss", "VLT AutomationDrive FC 302", &["5.02", "6.10"], &["profinet", "modbus"], PROFINET, None, "DRV"),
    m(K::Actuator, "Siemens", "SINAMICS G120 (CU250S-2 PN)", &["V4.7 SP13", "V4.7 SP14"], &["profinet"], PROFINET, Some(oui::SIEMENS_ET), "DRV"),
    m(K::Rtu, "ifm", "AL1350 IO-Link master", &["2.6.6"], &["ethernet-ip", "io-link"], EIP_IO, None, "IOL"),
    m(K::NetworkDevice, "Moxa", "NPort 5150 serial device server", &["3.10", "3.11"], &["tcp-serial"], ("tcp-serial", Some(4001)), Some(oui::MOXA), "NP"),
];
#[rustfmt::skip]
const REMOTE_MODELS: &[Model] = &[
    m(K::IiotGateway, "HMS", "Ewon Flexy 205", &["14.7s1", "14.8s2"], &["https", "openvpn"], HTTPS, Some(oui::HMS), "EWON"),
    m(K::IiotGateway, "Secomea", "SiteManager 1149", &["10.2", "11.2"], &["https"], HTTPS, None, "SM"),
    m(K::Application, "Siemens", "SINEMA Remote Connect server", &["V3.1", "V3.2 SP1"], &["https", "openvpn"], HTTPS, None, "SRC"),
    m(K::NetworkDevice, "Siemens", "SCALANCE M876-4 (4G router)", &["V7.2", "V8.1"], &["https", "ipsec"], HTTPS, Some(oui::SIEMENS_ET), "RTR"),
];
#[rustfmt::skip]
const CLOUD_MODELS: &[Model] = &[
    m(K::CloudService, "Microsoft", "Azure IoT Hub", &[""], &["mqtt", "amqps", "https"], MQTT, None, "IOTHUB"),
    m(K::CloudService, "Amazon Web Services", "AWS IoT SiteWise", &[""], &["mqtt", "https"], MQTT, None, "SITEWISE"),
    m(K::CloudService, "Siemens", "Insights Hub", &[""], &["https"], HTTPS, None, "INSIGHTS"),
];

/// A zone of the synthetic template.
struct SynthZone {
    name: &'static str,
    kind: ZoneKind,
    level: Option<L>,
    sl: &'static str,
    criticality: C,
    /// Share of the site's assets, in thousandths; the largest share also takes the rounding
    /// remainder.
    per_mille: usize,
    owner: &'static str,
    models: &'static [Model],
    description: &'static str,
}

const ENT: usize = 0;
const DMZ: usize = 1;
const OPS: usize = 2;
const SUP: usize = 3;
const CTRL: usize = 4;
const SAFE: usize = 5;
const FIELD: usize = 6;
const REMOTE: usize = 7;
const CLOUD: usize = 8;

#[rustfmt::skip]
const SYNTH_ZONES: [SynthZone; 9] = [
    SynthZone { name: "Enterprise", kind: ZoneKind::Enterprise, level: Some(L::L4), sl: sl::ENTERPRISE, criticality: C::Medium, per_mille: 30, owner: "Site IT", models: ENTERPRISE_MODELS, description: "Site business network." },
    SynthZone { name: "Industrial DMZ", kind: ZoneKind::Dmz, level: Some(L::L35), sl: sl::DMZ, criticality: C::High, per_mille: 10, owner: "OT Infrastructure", models: DMZ_MODELS, description: "Between the enterprise and OT firewalls." },
    SynthZone { name: "Site operations", kind: ZoneKind::Supervisory, level: Some(L::L3), sl: sl::OPERATIONS, criticality: C::High, per_mille: 20, owner: "OT Infrastructure", models: OPERATIONS_MODELS, description: "Historians, MES, OT services." },
    SynthZone { name: "Supervisory", kind: ZoneKind::Supervisory, level: Some(L::L2), sl: sl::SUPERVISORY, criticality: C::High, per_mille: 60, owner: "Automation", models: SUPERVISORY_MODELS, description: "SCADA, operator and engineering stations." },
    SynthZone { name: "Control", kind: ZoneKind::Control, level: Some(L::L1), sl: sl::CONTROL, criticality: C::Critical, per_mille: 200, owner: "Automation", models: CONTROL_MODELS, description: "Controllers, panels and cell switches." },
    SynthZone { name: "Safety", kind: ZoneKind::Safety, level: Some(L::L1), sl: sl::SAFETY, criticality: C::Critical, per_mille: 40, owner: "Process safety", models: SAFETY_MODELS, description: "Safety instrumented systems." },
    SynthZone { name: "Field", kind: ZoneKind::Field, level: Some(L::L0), sl: sl::FIELD, criticality: C::High, per_mille: 620, owner: "Maintenance", models: FIELD_MODELS, description: "Remote I/O, drives, instruments." },
    SynthZone { name: "Remote access", kind: ZoneKind::RemoteAccess, level: None, sl: sl::REMOTE, criticality: C::High, per_mille: 10, owner: "OT Infrastructure", models: REMOTE_MODELS, description: "Vendor remote access gateways." },
    SynthZone { name: "Cloud", kind: ZoneKind::Cloud, level: None, sl: sl::CLOUD, criticality: C::Medium, per_mille: 10, owner: "Digital Manufacturing", models: CLOUD_MODELS, description: "Cloud IIoT platform (private endpoints)." },
];

/// A conduit of the synthetic template: name, zones (indices into [`SYNTH_ZONES`]), services,
/// one-way, encrypted.
type ConduitTemplate = (&'static str, &'static [usize], &'static [&'static str], bool, bool);

#[rustfmt::skip]
const SYNTH_CONDUITS: &[ConduitTemplate] = &[
    ("Enterprise – DMZ", &[ENT, DMZ], &["https/443"], false, true),
    ("DMZ – Site operations", &[DMZ, OPS], &["https/443", "rdp/3389", "pi/5450"], false, false),
    ("Site operations – Supervisory", &[OPS, SUP], &["opcua/4840", "pi/5450", "rdp/3389", "https/443"], false, false),
    ("Supervisory – Control", &[SUP, CTRL], &["s7comm/102", "ethernet-ip/44818", "modbus/502", "opcua/4840", "snmp/161"], false, false),
    ("Control – Safety", &[CTRL, SAFE], &["profinet", "ethernet-ip/44818", "modbus/502"], false, false),
    ("Control – Field", &[CTRL, FIELD], &["profinet", "ethernet-ip/2222", "ethernet-ip/44818", "modbus/502", "hart-ip/5094", "tcp-serial/4001"], false, false),
    ("Remote access – Supervisory", &[REMOTE, SUP], &["rdp/3389", "https/443"], false, true),
    ("DMZ – Cloud (outbound only)", &[DMZ, CLOUD], &["mqtt/8883", "https/443"], true, true),
];

/// Generated flow patterns: source zone, destination zone, the service (`None`: what the
/// destination serves), encrypted, weight, purpose.
type FlowPattern = (usize, usize, Option<(&'static str, Option<u16>)>, bool, usize, &'static str);

/// The flows a synthetic site draws from.
#[rustfmt::skip]
const SYNTH_FLOWS: &[FlowPattern] = &[
    (SUP, CTRL, None, false, 40, "Supervisory control and data acquisition"),
    (CTRL, FIELD, None, false, 20, "Cyclic I/O and device parameters"),
    (CTRL, SAFE, None, false, 8, "Safety status exchange"),
    (OPS, SUP, Some(OPCUA), true, 7, "Historian and MES data collection"),
    (DMZ, CLOUD, Some(MQTT), true, 5, "Telemetry to the cloud IIoT platform"),
    (ENT, DMZ, Some(HTTPS), true, 5, "Business users read dashboards and reports"),
    (REMOTE, SUP, Some(RDP), true, 5, "Vendor remote support session"),
    (OPS, DMZ, Some(HTTPS), true, 5, "Integration and replication to the DMZ"),
    (SUP, OPS, Some(PI), false, 5, "Process data to the site historian"),
];

#[rustfmt::skip]
const SYNTH_LOCALES: &[(&str, &str, &str)] = &[
    ("FR", "Europe/Paris", "Lyon"),
    ("DE", "Europe/Berlin", "Augsburg"),
    ("US", "America/Chicago", "Wichita"),
    ("ES", "Europe/Madrid", "Valencia"),
    ("IT", "Europe/Rome", "Parma"),
    ("PL", "Europe/Warsaw", "Wroclaw"),
    ("MX", "America/Monterrey", "Monterrey"),
    ("BR", "America/Sao_Paulo", "Campinas"),
    ("IN", "Asia/Kolkata", "Pune"),
    ("CN", "Asia/Shanghai", "Suzhou"),
    ("JP", "Asia/Tokyo", "Nagoya"),
    ("GB", "Europe/London", "Derby"),
    ("IE", "Europe/Dublin", "Cork"),
    ("CH", "Europe/Zurich", "Basel"),
    ("US", "America/New_York", "Greenville"),
    ("CA", "America/Toronto", "Mississauga"),
    ("CZ", "Europe/Prague", "Mlada Boleslav"),
];

#[rustfmt::skip]
const SYNTH_INDUSTRIES: &[(Industry, &[Regulation])] = &[
    (Industry::Pharma, &[Regulation::Gxp, Regulation::Part11, Regulation::Annex11]),
    (Industry::FoodBeverage, &[Regulation::FoodSafety]),
    (Industry::Aerospace, &[Regulation::As9100, Regulation::ExportControl]),
    (Industry::Automotive, &[]),
    (Industry::Chemicals, &[Regulation::Seveso]),
    (Industry::Discrete, &[]),
    (Industry::Packaging, &[Regulation::FoodSafety]),
    (Industry::MedicalDevices, &[Regulation::Part11]),
    (Industry::Semiconductors, &[Regulation::ExportControl]),
    (Industry::Metals, &[]),
];

/// How many of `n` assets each zone of the template gets.
fn zone_counts(n: usize) -> [usize; 9] {
    let mut counts = SYNTH_ZONES.map(|z| n * z.per_mille / 1000);
    let largest = (0..SYNTH_ZONES.len()).max_by_key(|&k| SYNTH_ZONES[k].per_mille).unwrap_or(0);
    counts[largest] += n - counts.iter().sum::<usize>();
    counts
}

/// The CIDR blocks covering the /24s `first..first + count` of `10.<second>.0.0/16`.
fn cover_with_cidrs(second: u8, mut first: usize, mut count: usize) -> Vec<String> {
    let mut out = Vec::new();
    while count > 0 {
        let mut size = 1;
        while first.is_multiple_of(size * 2) && size * 2 <= count {
            size *= 2;
        }
        out.push(format!("10.{second}.{first}.0/{}", 24 - size.trailing_zeros()));
        first += size;
        count -= size;
    }
    out
}

const HOSTS_PER_BLOCK: usize = 254;

/// One synthetic site: the template's zones and conduits, `assets_per_site` assets and a tenth
/// as many flows, all derived from the seed and the site's index.
fn synthetic_site(opts: &SyntheticOptions, index: usize) -> SitePlan {
    let number = index + 1;
    let code = format!("S{number:03}");
    let mut rng = SplitMix64::new(opts.seed ^ (number as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let (country, time_zone, city) = SYNTH_LOCALES[index % SYNTH_LOCALES.len()];
    let (industry, regulations) = SYNTH_INDUSTRIES[index % SYNTH_INDUSTRIES.len()];
    let second = (number % 256) as u8;
    let mut plan = SitePlan {
        site: SiteInput {
            code: Some(code.clone()),
            name: Some(format!("Synthetic plant {code} ({city})")),
            country: Some(country.into()),
            time_zone: Some(time_zone.into()),
            industry: Some(industry.as_str().into()),
            regulations: regulations.iter().map(|r| r.as_str().to_owned()).collect(),
            description: Some(format!("Generated for benchmarks (seed {}).", opts.seed)),
        },
        ..Default::default()
    };

    // Each zone gets whole /24s of the site's /16, enough for its assets.
    let counts = zone_counts(opts.assets_per_site);
    let mut first_block = [0usize; 9];
    let mut next_block = 0;
    for (k, zone) in SYNTH_ZONES.iter().enumerate() {
        let blocks = counts[k].div_ceil(HOSTS_PER_BLOCK).max(1);
        first_block[k] = next_block;
        next_block += blocks;
        plan.zones.push(ZoneInput {
            site_id: None,
            name: Some(zone.name.into()),
            kind: Some(zone.kind.as_str().into()),
            purdue_level: zone.level.map(|l| l.as_str().into()),
            subnets: cover_with_cidrs(second, first_block[k], blocks),
            sl_target: Some(zone.sl.into()),
            criticality: Some(zone.criticality.as_str().into()),
            description: Some(zone.description.into()),
        });
    }
    for (name, zones, services, one_way, encrypted) in SYNTH_CONDUITS {
        let direction = if *one_way { ConduitDirection::Unidirectional } else { ConduitDirection::Bidirectional };
        plan.conduits.push(ConduitPlan {
            input: ConduitInput {
                name: Some((*name).into()),
                services: services.iter().map(|s| (*s).to_owned()).collect(),
                direction: Some(direction.as_str().into()),
                encryption_required: Some(encrypted.to_string()),
                sl_target: Some(SYNTH_ZONES[zones[zones.len() - 1]].sl.into()),
                ..Default::default()
            },
            zones: zones.iter().map(|&k| SYNTH_ZONES[k].name.to_owned()).collect(),
        });
    }

    // Assets, zone by zone; `served` keeps what each serves, for the flows.
    let mut zone_assets: [std::ops::Range<usize>; 9] = Default::default();
    let mut served: Vec<(&'static str, Option<u16>)> = Vec::with_capacity(opts.assets_per_site);
    plan.assets.reserve(opts.assets_per_site);
    for (k, zone) in SYNTH_ZONES.iter().enumerate() {
        let start = plan.assets.len();
        for local in 0..counts[k] {
            let j = plan.assets.len();
            let model = rng.pick(zone.models);
            let block = first_block[k] + local / HOSTS_PER_BLOCK;
            let host = local % HOSTS_PER_BLOCK + 1;
            let criticality = if rng.chance(15) {
                match zone.criticality {
                    C::Critical => C::High,
                    C::High => C::Medium,
                    _ => C::Low,
                }
            } else {
                zone.criticality
            };
            let mut input = AssetInput {
                name: Some(format!("{code}-{}-{:05}", model.prefix, j + 1)),
                kind: Some(model.kind.as_str().into()),
                vendor: Some(model.vendor.into()),
                model: Some(model.model.into()),
                firmware: Some((*rng.pick(model.firmware)).into()),
                ip_addresses: vec![format!("10.{second}.{block}.{host}")],
                protocols: model.protocols.iter().map(|p| (*p).to_owned()).collect(),
                purdue_level: zone.level.map(|l| l.as_str().into()),
                criticality: Some(criticality.as_str().into()),
                owner: Some(zone.owner.into()),
                in_scope: Some((k != ENT).to_string()),
                tags: vec!["synthetic".into()],
                ..Default::default()
            };
            if let Some(oui) = model.oui {
                input.mac_addresses.push(mac(oui, ((number as u32 & 0xFF) << 16) | j as u32));
            }
            if !matches!(model.kind, K::CloudService | K::Application | K::VirtualMachine) {
                input.serial = Some(serial_for(model.vendor, &mut rng));
            }
            if let Some(eos) = model.end_of_support {
                input.legacy = Some("true".into());
                input.end_of_support = Some(eos.into());
            }
            if matches!(k, CTRL | SAFE | FIELD) {
                input.tags.push(format!("line-{}", rng.below(8) + 1));
            }
            let roll = rng.below(100);
            let provenance = if roll < 70 {
                Provenance::Declared
            } else if roll < 90 {
                Provenance::Observed
            } else {
                Provenance::Confirmed
            };
            input.provenance = Some(provenance.as_str().into());
            if provenance != Provenance::Observed {
                input.sources.push("asset register 2026-03.xlsx".into());
            }
            if provenance != Provenance::Declared {
                input.sources.push("passive capture 2026-03 (core switch SPAN)".into());
                let first = rng.below(30 * 86_400) as u64;
                input.first_seen = Some(time_after_jan_5(first));
                input.last_seen = Some(time_after_jan_5(first + 86_400 + rng.below(60 * 86_400) as u64));
            }
            served.push(model.serves);
            plan.assets.push(AssetPlan { input, zone: Some(zone.name.into()) });
        }
        zone_assets[k] = start..plan.assets.len();
    }

    // Flows: drawn from the patterns, each (source, destination, protocol, port) once.
    let target = opts.assets_per_site * opts.flows_per_10_assets / 10;
    let total_weight: usize = SYNTH_FLOWS.iter().map(|p| p.4).sum();
    let mut seen: HashSet<(usize, usize, &str, Option<u16>)> = HashSet::with_capacity(target);
    let mut attempts = 0;
    while plan.flows.len() < target && attempts < target * 20 {
        attempts += 1;
        let mut roll = rng.below(total_weight);
        let pattern = SYNTH_FLOWS
            .iter()
            .find(|p| {
                if roll < p.4 {
                    true
                } else {
                    roll -= p.4;
                    false
                }
            })
            .unwrap_or(&SYNTH_FLOWS[0]);
        let (from, to, service, encrypted, _, purpose) = *pattern;
        if zone_assets[from].is_empty() || zone_assets[to].is_empty() {
            continue;
        }
        let source = zone_assets[from].start + rng.below(zone_assets[from].len());
        let destination = zone_assets[to].start + rng.below(zone_assets[to].len());
        let (protocol, port) = service.unwrap_or(served[destination]);
        if !seen.insert((source, destination, protocol, port)) {
            continue;
        }
        let mut input = FlowInput {
            protocol: Some(protocol.into()),
            port: port.map(|p| p.to_string()),
            encrypted: Some(encrypted.to_string()),
            purpose: Some(purpose.into()),
            ..Default::default()
        };
        let roll = rng.below(100);
        if roll < 30 {
            if roll < 10 {
                input.documented = Some("false".into());
            }
            input.observed = Some("true".into());
            let first = rng.below(30 * 86_400) as u64;
            input.first_seen = Some(time_after_jan_5(first));
            input.last_seen = Some(time_after_jan_5(first + 3_600 + rng.below(60 * 86_400) as u64));
            input.connection_count = Some((1 + rng.below(50_000)).to_string());
            input.byte_count = Some((1_000 + rng.below(500_000_000)).to_string());
        }
        let name = |i: usize| plan.assets[i].input.name.clone().unwrap_or_default();
        let (source, destination) = (End::Asset(name(source)), End::Asset(name(destination)));
        plan.flows.push(FlowPlan { input, source, destination });
    }

    // The interfaces every site has: MES and ERP.
    let first_of = |k: usize| zone_assets[k].clone().next().and_then(|i| plan.assets[i].input.name.clone());
    plan.interfaces = vec![
        InterfacePlan {
            input: InterfaceInput {
                name: Some("MES".into()),
                system_kind: Some(InterfaceKind::Mes.as_str().into()),
                external_system: Some("Group MES (site instance)".into()),
                responsible_party: Some("Manufacturing IT".into()),
                boundary: Some("The MES servers are outside the ISMS scope; the boundary is their connection to the site operations zone.".into()),
                protocols: vec!["opcua".into(), "https".into()],
                direction: Some(InterfaceDirection::Bidirectional.as_str().into()),
                data_exchanged: Some("Orders and recipes in; production events and process values out.".into()),
                ..Default::default()
            },
            asset: first_of(OPS),
            zone: Some(SYNTH_ZONES[OPS].name.into()),
        },
        InterfacePlan {
            input: InterfaceInput {
                name: Some("ERP".into()),
                system_kind: Some(InterfaceKind::Erp.as_str().into()),
                external_system: Some("Corporate ERP".into()),
                responsible_party: Some("Corporate IT".into()),
                boundary: Some("The ERP runs in the corporate data centre; integration terminates in the industrial DMZ.".into()),
                protocols: vec!["https".into()],
                direction: Some(InterfaceDirection::Bidirectional.as_str().into()),
                data_exchanged: Some("Production orders in; confirmations and goods movements out.".into()),
                ..Default::default()
            },
            asset: first_of(DMZ),
            zone: Some(SYNTH_ZONES[DMZ].name.into()),
        },
    ];
    plan
}

// ---------------------------------------------------------------------------------------------
// CSV files.
// ---------------------------------------------------------------------------------------------

const SITE_COLUMNS: &[&str] = &["code", "name", "country", "time_zone", "industry", "regulations", "description"];
const ZONE_COLUMNS: &[&str] =
    &["site", "name", "kind", "purdue_level", "subnets", "sl_target", "criticality", "description"];
const CONDUIT_COLUMNS: &[&str] =
    &["site", "name", "zones", "services", "direction", "encryption_required", "sl_target", "description"];
const ASSET_COLUMNS: &[&str] = &[
    "site",
    "zone",
    "name",
    "kind",
    "vendor",
    "model",
    "serial",
    "firmware",
    "ip_addresses",
    "mac_addresses",
    "protocols",
    "purdue_level",
    "criticality",
    "owner",
    "in_service",
    "end_of_support",
    "legacy",
    "in_scope",
    "provenance",
    "sources",
    "first_seen",
    "last_seen",
    "tags",
    "description",
    "safety_related",
    "wireless",
    "temporarily_connected",
    "externally_reached",
    "sl_capability",
];
const FLOW_COLUMNS: &[&str] = &[
    "site",
    "source",
    "source_external",
    "destination",
    "destination_external",
    "protocol",
    "port",
    "direction",
    "encrypted",
    "purpose",
    "documented",
    "observed",
    "first_seen",
    "last_seen",
    "connection_count",
    "byte_count",
];
const INTERFACE_COLUMNS: &[&str] = &[
    "site",
    "name",
    "system_kind",
    "external_system",
    "responsible_party",
    "boundary",
    "asset",
    "zone",
    "protocols",
    "direction",
    "data_exchanged",
];

/// One CSV row: each column's value from `refs` when given there, else from the input's field
/// of the same name.
fn csv_row(columns: &[&str], input: &impl Serialize, refs: &[(&str, &str)]) -> io::Result<Vec<String>> {
    let value = serde_json::to_value(input).map_err(io::Error::other)?;
    Ok(columns
        .iter()
        .map(|column| match refs.iter().find(|(c, _)| c == column) {
            Some((_, v)) => (*v).to_owned(),
            None => cell(value.get(*column)),
        })
        .collect())
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items.iter().map(|v| cell(Some(v))).collect::<Vec<_>>().join(";"),
        Some(other) => other.to_string(),
    }
}

struct CsvFiles {
    sites: csv::Writer<File>,
    zones: csv::Writer<File>,
    conduits: csv::Writer<File>,
    assets: csv::Writer<File>,
    flows: csv::Writer<File>,
    interfaces: csv::Writer<File>,
}

impl CsvFiles {
    fn create(dir: &Path) -> io::Result<Self> {
        let open = |file: &str, columns: &[&str]| -> io::Result<csv::Writer<File>> {
            let mut w = csv::Writer::from_path(dir.join(file))?;
            w.write_record(columns)?;
            Ok(w)
        };
        Ok(Self {
            sites: open("sites.csv", SITE_COLUMNS)?,
            zones: open("zones.csv", ZONE_COLUMNS)?,
            conduits: open("conduits.csv", CONDUIT_COLUMNS)?,
            assets: open("assets.csv", ASSET_COLUMNS)?,
            flows: open("flows.csv", FLOW_COLUMNS)?,
            interfaces: open("interfaces.csv", INTERFACE_COLUMNS)?,
        })
    }

    fn write(&mut self, plan: &SitePlan, summary: &mut DemoSummary) -> io::Result<()> {
        let site = plan.site.code.as_deref().unwrap_or("");
        self.sites.write_record(csv_row(SITE_COLUMNS, &plan.site, &[])?)?;
        summary.sites += 1;
        for z in &plan.zones {
            self.zones.write_record(csv_row(ZONE_COLUMNS, z, &[("site", site)])?)?;
        }
        summary.zones += plan.zones.len();
        for c in &plan.conduits {
            let zones = c.zones.join(";");
            self.conduits.write_record(csv_row(CONDUIT_COLUMNS, &c.input, &[("site", site), ("zones", &zones)])?)?;
        }
        summary.conduits += plan.conduits.len();
        for a in &plan.assets {
            let zone = a.zone.as_deref().unwrap_or("");
            self.assets.write_record(csv_row(ASSET_COLUMNS, &a.input, &[("site", site), ("zone", zone)])?)?;
        }
        summary.assets += plan.assets.len();
        for f in &plan.flows {
            let split = |e: &End| match e {
                End::Asset(name) => (name.clone(), String::new()),
                End::External(name) => (String::new(), name.clone()),
            };
            let (source, source_external) = split(&f.source);
            let (destination, destination_external) = split(&f.destination);
            let refs = [
                ("site", site),
                ("source", source.as_str()),
                ("source_external", source_external.as_str()),
                ("destination", destination.as_str()),
                ("destination_external", destination_external.as_str()),
            ];
            self.flows.write_record(csv_row(FLOW_COLUMNS, &f.input, &refs)?)?;
        }
        summary.flows += plan.flows.len();
        for i in &plan.interfaces {
            let refs = [
                ("site", site),
                ("asset", i.asset.as_deref().unwrap_or("")),
                ("zone", i.zone.as_deref().unwrap_or("")),
            ];
            self.interfaces.write_record(csv_row(INTERFACE_COLUMNS, &i.input, &refs)?)?;
        }
        summary.interfaces += plan.interfaces.len();
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        for w in [
            &mut self.sites,
            &mut self.zones,
            &mut self.conduits,
            &mut self.assets,
            &mut self.flows,
            &mut self.interfaces,
        ] {
            w.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    /// CSV columns that name what the input refers to by id: (column, input field).
    const REFERENCE_COLUMNS: &[(&str, &str)] = &[
        ("site", "site_id"),
        ("zone", "zone_id"),
        ("zones", "zone_ids"),
        ("source", "source_asset_id"),
        ("destination", "destination_asset_id"),
        ("asset", "asset_id"),
    ];

    /// Parses every input of a plan with placeholder ids, as the loader does with real ones.
    fn check_plan(plan: &SitePlan) {
        let code = plan.site.code.clone().unwrap();
        let site = Site::parse(&plan.site).unwrap_or_else(|e| panic!("site {code}: {e}"));
        let mut zone_ids = HashMap::new();
        let mut subnets: HashMap<String, Vec<String>> = HashMap::new();
        for (i, z) in plan.zones.iter().enumerate() {
            let mut input = z.clone();
            input.site_id = Some("1".into());
            let zone = Zone::parse(&input).unwrap_or_else(|e| panic!("{code} zone {:?}: {e}", z.name));
            zone_ids.insert(zone.name.as_str().to_owned(), (i + 1).to_string());
            subnets.insert(zone.name.as_str().to_owned(), zone.subnets.iter().map(ToString::to_string).collect());
        }
        for c in &plan.conduits {
            let mut input = c.input.clone();
            input.site_id = Some("1".into());
            input.zone_ids = c.zones.iter().map(|z| zone_ids[z].clone()).collect();
            Conduit::parse(&input).unwrap_or_else(|e| panic!("{code} conduit {:?}: {e}", c.input.name));
        }
        let mut asset_ids = HashMap::new();
        let mut addresses = HashSet::new();
        for (i, a) in plan.assets.iter().enumerate() {
            let mut input = a.input.clone();
            input.site_id = Some("1".into());
            input.zone_id = a.zone.as_ref().map(|z| zone_ids[z].clone());
            let asset = Asset::parse(&input).unwrap_or_else(|e| panic!("{code} asset {:?}: {e}", a.input.name));
            assert!(
                asset_ids.insert(asset.name.as_str().to_owned(), (i + 1).to_string()).is_none(),
                "{code}: {} twice",
                asset.name
            );
            for ip in &asset.ip_addresses {
                assert!(addresses.insert(*ip), "{code}: {ip} is used twice");
                let zone = a.zone.as_ref().unwrap();
                assert!(
                    subnets[zone].iter().any(|s| c981_domain::values::Subnet::parse(s).unwrap().contains(ip)),
                    "{code}: {} has {ip}, outside the subnets of zone {zone}",
                    asset.name
                );
            }
        }
        let mut keys = HashSet::new();
        for f in &plan.flows {
            let mut input = f.input.clone();
            input.site_id = Some("1".into());
            let end = |e: &End| match e {
                End::Asset(a) => {
                    (Some(asset_ids.get(a).unwrap_or_else(|| panic!("{code}: no asset {a}")).clone()), None)
                }
                End::External(x) => (None, Some(x.clone())),
            };
            (input.source_asset_id, input.source_external) = end(&f.source);
            (input.destination_asset_id, input.destination_external) = end(&f.destination);
            let flow = DataFlow::parse(&input)
                .unwrap_or_else(|e| panic!("{code} flow {:?} → {:?}: {e}", f.source, f.destination));
            assert!(
                keys.insert((flow.source.key(), flow.destination.key(), flow.protocol.clone(), flow.port)),
                "{code}: flow {:?} → {:?} twice",
                f.source,
                f.destination
            );
        }
        for i in &plan.interfaces {
            let mut input = i.input.clone();
            input.site_id = Some("1".into());
            input.asset_id = i.asset.as_ref().map(|a| asset_ids[a].clone());
            input.zone_id = i.zone.as_ref().map(|z| zone_ids[z].clone());
            Interface::parse(&input).unwrap_or_else(|e| panic!("{code} interface {:?}: {e}", i.input.name));
        }
        assert!(site.code.as_str() == code);
    }

    #[test]
    fn every_record_of_the_demo_estate_validates_and_its_addresses_fit_their_zones() {
        let plans = demo_plans().unwrap();
        assert_eq!(plans.len(), 3);
        for plan in &plans {
            check_plan(plan);
        }
    }

    #[test]
    fn each_demo_site_is_sizeable_and_varied() {
        for plan in demo_plans().unwrap() {
            let code = plan.site.code.clone().unwrap();
            assert!((120..=260).contains(&plan.assets.len()), "{code}: {} assets", plan.assets.len());
            assert!(plan.flows.len() >= 40, "{code}: {} flows", plan.flows.len());
            let vendors: HashSet<_> = plan.assets.iter().filter_map(|a| a.input.vendor.clone()).collect();
            assert!(vendors.len() >= 20, "{code}: {} vendors", vendors.len());
            let observed = plan.assets.iter().filter(|a| a.input.provenance.as_deref() == Some("observed")).count();
            assert!(observed >= 1, "{code}: no observed asset");
            assert!(plan.assets.iter().any(|a| a.input.legacy.as_deref() == Some("true")), "{code}: no legacy asset");
            assert!(
                plan.flows.iter().any(|f| f.input.documented.as_deref() == Some("false")),
                "{code}: no observed-only flow"
            );
        }
    }

    #[test]
    fn the_demo_estate_is_the_same_every_time() {
        let a = format!("{:?}", demo_plans().unwrap());
        let b = format!("{:?}", demo_plans().unwrap());
        assert_eq!(a, b);
    }

    #[test]
    fn every_synthetic_record_validates_with_unique_addresses_inside_their_zones() {
        let opts = SyntheticOptions { sites: 2, assets_per_site: 3_000, seed: 42, flows_per_10_assets: 1 };
        for index in 0..opts.sites {
            let plan = synthetic_site(&opts, index);
            assert_eq!(plan.assets.len(), 3_000);
            assert_eq!(plan.flows.len(), 300);
            check_plan(&plan);
        }
    }

    #[test]
    fn a_synthetic_site_depends_only_on_the_seed_and_its_index() {
        let opts = SyntheticOptions { sites: 2, assets_per_site: 500, seed: 7, flows_per_10_assets: 1 };
        assert_eq!(format!("{:?}", synthetic_site(&opts, 1)), format!("{:?}", synthetic_site(&opts, 1)));
        assert_ne!(format!("{:?}", synthetic_site(&opts, 0).assets), format!("{:?}", synthetic_site(&opts, 1).assets));
        let other = SyntheticOptions { seed: 8, ..opts.clone() };
        assert_ne!(format!("{:?}", synthetic_site(&opts, 0).assets), format!("{:?}", synthetic_site(&other, 0).assets));
    }

    #[test]
    fn the_largest_synthetic_site_fits_its_address_space() {
        let counts = zone_counts(MAX_SYNTHETIC_ASSETS_PER_SITE);
        assert_eq!(counts.iter().sum::<usize>(), MAX_SYNTHETIC_ASSETS_PER_SITE);
        let blocks: usize = counts.iter().map(|c| c.div_ceil(HOSTS_PER_BLOCK).max(1)).sum();
        assert!(blocks <= 256, "{blocks} /24 blocks");
        let plan = synthetic_site(
            &SyntheticOptions {
                sites: 1,
                assets_per_site: MAX_SYNTHETIC_ASSETS_PER_SITE,
                seed: 1,
                flows_per_10_assets: 1,
            },
            0,
        );
        let distinct: HashSet<&String> = plan.assets.iter().flat_map(|a| &a.input.ip_addresses).collect();
        assert_eq!(distinct.len(), MAX_SYNTHETIC_ASSETS_PER_SITE);
        let last: IpAddr = plan.assets.last().unwrap().input.ip_addresses[0].parse().unwrap();
        assert!(last.to_string().starts_with("10.1."));
    }

    #[test]
    fn ranges_of_blocks_are_covered_by_the_fewest_aligned_cidrs() {
        assert_eq!(cover_with_cidrs(7, 0, 1), ["10.7.0.0/24"]);
        assert_eq!(cover_with_cidrs(7, 4, 4), ["10.7.4.0/22"]);
        assert_eq!(cover_with_cidrs(7, 3, 6), ["10.7.3.0/24", "10.7.4.0/22", "10.7.8.0/24"]);
        assert_eq!(cover_with_cidrs(7, 0, 256), ["10.7.0.0/16"]);
    }

    #[test]
    fn macs_are_distinct_for_distinct_numbers() {
        let macs: HashSet<String> = (0..100_000).map(|n| mac(oui::SIEMENS, n)).collect();
        assert_eq!(macs.len(), 100_000);
        assert!(macs.iter().all(|m| m.starts_with("00:1b:1b:")));
    }

    fn check_columns<T: Entity>(columns: &[&str]) {
        let input = serde_json::to_value(T::Input::default()).unwrap();
        let mut fields: Vec<&str> = input.as_object().unwrap().keys().map(String::as_str).collect();
        let mut mapped: Vec<&str> = columns
            .iter()
            .map(|c| REFERENCE_COLUMNS.iter().find(|(column, _)| column == c).map_or(*c, |(_, field)| *field))
            .collect();
        fields.sort_unstable();
        mapped.sort_unstable();
        assert_eq!(mapped, fields, "{}: the CSV columns must cover exactly the input's fields", T::KIND);
    }

    #[test]
    fn the_csv_columns_are_the_inputs_fields_with_references_by_name() {
        check_columns::<Site>(SITE_COLUMNS);
        check_columns::<Zone>(ZONE_COLUMNS);
        check_columns::<Conduit>(CONDUIT_COLUMNS);
        check_columns::<Asset>(ASSET_COLUMNS);
        check_columns::<DataFlow>(FLOW_COLUMNS);
        check_columns::<Interface>(INTERFACE_COLUMNS);
    }

    #[test]
    fn options_out_of_range_are_refused() {
        assert!(check_options(&SyntheticOptions { sites: 0, ..Default::default() }).is_err());
        assert!(
            check_options(&SyntheticOptions {
                assets_per_site: MAX_SYNTHETIC_ASSETS_PER_SITE + 1,
                ..Default::default()
            })
            .is_err()
        );
        assert!(check_options(&SyntheticOptions::default()).is_ok());
    }
}
