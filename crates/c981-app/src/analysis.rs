//! IEC 62443 analysis use cases: per site, the zone of every asset, the achieved security
//! level of every zone and conduit, the conformance findings and the graph of hops that the
//! cross-domain path search runs over; and the zone diagram.
//!
//! Results are cached per site and data version (the site's last audit sequence number):
//! an unchanged site answers from the cache, any change to one of its records recomputes it
//! on the next request. The cache keeps the results (findings and a small graph per site),
//! not the assets and flows they were computed from.
//!
//! Every use case reads only sites within the caller's scope: a site outside it is "not
//! found", and estate-wide answers cover exactly the caller's sites.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use c981_analysis::catalogue::{self, ReqId, Requirement};
use c981_analysis::findings::{self, Finding, Rule, Severity, Subject};
use c981_analysis::model::{AssetNode, AssetTraits, ConduitEdge, End, Estate, FlowEdge, ZoneNode};
use c981_analysis::paths::{self, GraphPart, Options, Paths};
use c981_analysis::sla::{self, Status};
use c981_analysis::svg;
use c981_analysis::zoning;
use c981_domain::conduit::ConduitDirection;
use c981_domain::entity::Entity;
use c981_domain::values::{Protocol, SlVector};
use c981_domain::{AssetId, AssetKind, Conduit, ConduitId, FlowId, SiteId, Zone, ZoneId};
use c981_store::analysis::{
    ASSET_EXTERNAL, ASSET_SAFETY, ASSET_TEMPORARY, ASSET_WIRELESS, FLOW_BIDIRECTIONAL, FLOW_DOCUMENTED, FLOW_ENCRYPTED,
    FLOW_OBSERVED, SiteFacts,
};
use futures_util::StreamExt as _;
use serde::Serialize;
use serde_json::Value;

use crate::{App, AppError, Ctx, Result};

/// What an SR/RE status applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Target {
    Zone(ZoneId),
    Conduit(ConduitId),
}

/// The analysis of one site at one version.
#[derive(Debug, Serialize)]
pub struct SiteAnalysis {
    pub site_id: SiteId,
    pub version: i64,
    pub zones: Vec<ZoneNode>,
    pub conduits: Vec<ConduitEdge>,
    /// Assets per effective zone.
    pub zone_assets: BTreeMap<ZoneId, u64>,
    pub asset_count: u64,
    pub flow_count: u64,
    /// Assets placed by subnet (not declared).
    pub assigned_by_subnet: u64,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub graph: GraphPart,
    #[serde(skip)]
    pub statuses: HashMap<Target, HashMap<ReqId, Status>>,
}

impl SiteAnalysis {
    /// Findings about a zone (as subject or involved).
    pub fn findings_of(&self, s: Subject) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.subject == s || f.related.contains(&s))
    }
}

/// The cache of site analyses, shared by clones of the [`App`].
#[derive(Default)]
pub struct AnalysisCache {
    sites: Mutex<HashMap<SiteId, Arc<SiteAnalysis>>>,
}

/// A finding filter.
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    pub site_id: Option<SiteId>,
    pub min_severity: Option<Severity>,
    pub rule: Option<Rule>,
}

/// How one requirement stands in a zone or conduit.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    pub requirement: ReqId,
    pub title: &'static str,
    pub level: u8,
    pub status: Option<Status>,
}

/// The security levels of a zone or conduit.
#[derive(Debug, Clone, Serialize)]
pub struct SecurityLevels {
    pub target: SlVector,
    pub achieved: SlVector,
    pub gap: [u8; 7],
    /// Every requirement the target asks for, with its status.
    pub coverage: Vec<CoverageRow>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("the stored {what} cannot be read: {e}"))
}

/// Parses API objects back into an entity, through its one validation path.
fn records<T: Entity>(json: &str, what: &str) -> Result<Vec<(i64, T)>> {
    let items: Vec<serde_json::Map<String, Value>> = serde_json::from_str(json).map_err(|e| corrupt(what, e))?;
    items
        .into_iter()
        .map(|mut m| {
            let id = m.remove("id").and_then(|v| v.as_i64()).ok_or_else(|| corrupt(what, "an object without id"))?;
            for k in ["version", "created_at", "updated_at"] {
                m.remove(k);
            }
            let input: T::Input = serde_json::from_value(Value::Object(m)).map_err(|e| corrupt(what, e))?;
            let data = T::parse(&input).map_err(|e| corrupt(what, e))?;
            Ok((id, data))
        })
        .collect()
}

// Rows borrow from the aggregated text where they can: a site's 40,000 rows parse without an
// allocation per string.
type AssetRow<'a> = (i64, Option<i64>, &'a str, Cow<'a, str>, u8);
type FlowRow<'a> =
    (i64, Option<i64>, Option<Cow<'a, str>>, Option<i64>, Option<Cow<'a, str>>, &'a str, Option<i64>, u8);
type StatusRow = (Option<i64>, Option<i64>, String, String, String);

/// Computes the analysis of a site from its stored facts (CPU work, no I/O).
pub fn analyze_facts(facts: &SiteFacts) -> Result<SiteAnalysis> {
    let site_id = facts.site_id;
    // Requirement statuses first: SL-A of each zone and conduit comes from them.
    let rows: Vec<StatusRow> = serde_json::from_str(&facts.statuses).map_err(|e| corrupt("requirement statuses", e))?;
    let mut statuses: HashMap<Target, HashMap<ReqId, Status>> = HashMap::new();
    for (zone, conduit, req, kind, note) in rows {
        let target = match (zone, conduit) {
            (Some(z), _) => Target::Zone(ZoneId::new(z)),
            (None, Some(c)) => Target::Conduit(ConduitId::new(c)),
            (None, None) => continue,
        };
        let (Ok(req), Ok(status)) = (ReqId::parse(&req), Status::parse(&kind, &note)) else { continue };
        statuses.entry(target).or_default().insert(req, status);
    }
    let achieved = |t: Target| statuses.get(&t).map_or_else(SlVector::default, sla::achieved);
    let zones: Vec<ZoneNode> = records::<Zone>(&facts.zones, "zones")?
        .into_iter()
        .map(|(id, z)| {
            let id = ZoneId::new(id);
            ZoneNode {
                id,
                site_id: z.site_id,
                name: z.name.to_string(),
                kind: z.kind,
                purdue_level: z.purdue_level,
                subnets: z.subnets,
                sl_target: z.sl_target,
                sl_achieved: achieved(Target::Zone(id)),
            }
        })
        .collect();
    let conduits: Vec<ConduitEdge> = records::<Conduit>(&facts.conduits, "conduits")?
        .into_iter()
        .map(|(id, c)| {
            let id = ConduitId::new(id);
            ConduitEdge {
                id,
                site_id: c.site_id,
                name: c.name.to_string(),
                zone_ids: c.zone_ids,
                services: c.services,
                direction: c.direction,
                encryption_required: c.encryption_required,
                sl_target: c.sl_target,
                sl_achieved: achieved(Target::Conduit(id)),
            }
        })
        .collect();
    let rows: Vec<AssetRow> = serde_json::from_str(&facts.assets).map_err(|e| corrupt("assets", e))?;
    let assets: Vec<AssetNode> = rows
        .into_iter()
        .map(|(id, zone, kind, ips, traits)| AssetNode {
            id: AssetId::new(id),
            site_id,
            declared_zone: zone.map(ZoneId::new),
            ip_addresses: serde_json::from_str::<Vec<&str>>(&ips)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| s.parse().ok())
                .collect(),
            traits: AssetTraits {
                iacs: AssetKind::parse(kind).map_or(true, AssetKind::is_iacs),
                safety: traits & ASSET_SAFETY != 0 || kind == "safety_controller",
                wireless: traits & ASSET_WIRELESS != 0,
                temporary: traits & ASSET_TEMPORARY != 0,
                external: traits & ASSET_EXTERNAL != 0,
            },
        })
        .collect();
    let rows: Vec<FlowRow> = serde_json::from_str(&facts.flows).map_err(|e| corrupt("flows", e))?;
    let mut protocols: HashMap<String, Protocol> = HashMap::new();
    let mut flows = Vec::with_capacity(rows.len());
    for (id, sa, sx, da, dx, proto, port, flags) in rows {
        let end = |a: Option<i64>, x: Option<Cow<'_, str>>| match (a, x) {
            (Some(a), _) => Some(End::Asset { asset_id: AssetId::new(a) }),
            (None, Some(x)) => Some(End::External { name: x.into_owned() }),
            (None, None) => None,
        };
        let (Some(source), Some(destination)) = (end(sa, sx), end(da, dx)) else { continue };
        let protocol = match protocols.get(proto) {
            Some(p) => p.clone(),
            None => {
                let p = Protocol::parse(proto).map_err(|e| corrupt("flows", e))?;
                protocols.insert(proto.to_owned(), p.clone());
                p
            }
        };
        flows.push(FlowEdge {
            id: FlowId::new(id),
            site_id,
            source,
            destination,
            protocol,
            port: port.and_then(|p| u16::try_from(p).ok()),
            bidirectional: flags & FLOW_BIDIRECTIONAL != 0,
            encrypted: flags & FLOW_ENCRYPTED != 0,
            documented: flags & FLOW_DOCUMENTED != 0,
            observed: flags & FLOW_OBSERVED != 0,
        });
    }
    let estate = Estate { zones, conduits, assets, flows };
    let zoning = zoning::assign(&estate.zones, &estate.assets);
    let found = findings::findings(&estate, &zoning);
    let graph = paths::graph_part(&estate, &zoning);
    let mut zone_assets: BTreeMap<ZoneId, u64> = estate.zones.iter().map(|z| (z.id, 0)).collect();
    let mut assigned_by_subnet = 0;
    for (z, via) in zoning.zone_of.values() {
        *zone_assets.entry(*z).or_default() += 1;
        if *via == zoning::Via::Subnet {
            assigned_by_subnet += 1;
        }
    }
    Ok(SiteAnalysis {
        site_id,
        version: facts.version,
        asset_count: estate.assets.len() as u64,
        flow_count: estate.flows.len() as u64,
        assigned_by_subnet,
        zones: estate.zones,
        conduits: estate.conduits,
        zone_assets,
        findings: found,
        graph,
        statuses,
    })
}

/// Most sites analysed at once, so the database aggregates one site while the analysis of
/// another runs (4 measured no faster than 3 on 2 cores).
const PARALLEL: usize = 3;

impl App {
    /// The analysis of one site, from the cache when the site has not changed.
    pub async fn site_analysis(&self, ctx: &Ctx, site: SiteId) -> Result<Arc<SiteAnalysis>> {
        let version = self.store().site_version(&ctx.actor.scope, site).await?;
        if let Some(a) = self.analysis_cache().sites.lock().expect("cache lock").get(&site)
            && a.version == version
        {
            return Ok(a.clone());
        }
        let facts = self.store().site_facts(&ctx.actor.scope, site).await?;
        let analysis = tokio::task::spawn_blocking(move || analyze_facts(&facts))
            .await
            .map_err(|e| AppError::Internal(format!("the analysis stopped: {e}")))??;
        let analysis = Arc::new(analysis);
        self.analysis_cache().sites.lock().expect("cache lock").insert(site, analysis.clone());
        Ok(analysis)
    }

    /// The analyses of several sites, a few at a time.
    pub async fn site_analyses(&self, ctx: &Ctx, sites: &[SiteId]) -> Result<Vec<Arc<SiteAnalysis>>> {
        let mut out: Vec<Arc<SiteAnalysis>> = futures_util::stream::iter(sites.iter().copied())
            .map(|s| self.site_analysis(ctx, s))
            .buffer_unordered(PARALLEL)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_>>()?;
        out.sort_by_key(|a| a.site_id);
        Ok(out)
    }

    /// The sites a request covers: one (which must be readable) or all the caller may read.
    pub(crate) async fn sites_of(&self, ctx: &Ctx, site: Option<SiteId>) -> Result<Vec<SiteId>> {
        match site {
            Some(s) if ctx.actor.scope.allows(s) => Ok(vec![s]),
            Some(s) => Err(AppError::NotFound { kind: c981_domain::EntityKind::Site, id: s.get() }),
            None => Ok(self.store().site_ids(&ctx.actor.scope).await?),
        }
    }

    /// Conformance findings of one site or of every site the caller may read, most severe
    /// first.
    pub async fn findings(&self, ctx: &Ctx, q: &FindingQuery) -> Result<Vec<Finding>> {
        let sites = self.sites_of(ctx, q.site_id).await?;
        let analyses = self.site_analyses(ctx, &sites).await?;
        let mut out: Vec<Finding> = analyses
            .iter()
            .flat_map(|a| a.findings.iter())
            .filter(|f| q.min_severity.is_none_or(|m| f.severity >= m) && q.rule.is_none_or(|r| f.rule == r))
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.site_id.cmp(&b.site_id))
                .then(a.rule.cmp(&b.rule))
                .then(a.key.cmp(&b.key))
        });
        Ok(out)
    }

    /// Cross-domain paths. For one site, the sites its flows join through shared outside
    /// endpoints are searched too, and the paths that touch the site are kept.
    pub async fn paths(&self, ctx: &Ctx, site: Option<SiteId>, opts: &Options) -> Result<Paths> {
        let mut sites = self.sites_of(ctx, site).await?;
        if let Some(s) = site {
            let own = self.site_analysis(ctx, s).await?;
            let names: Vec<String> = own.graph.externals.keys().cloned().collect();
            if !names.is_empty() {
                sites.extend(self.store().sites_naming_externals(&ctx.actor.scope, &names).await?);
                sites.sort_unstable();
                sites.dedup();
            }
        }
        let analyses = self.site_analyses(ctx, &sites).await?;
        let opts = opts.clone();
        let mut found = tokio::task::spawn_blocking(move || {
            let parts: Vec<&GraphPart> = analyses.iter().map(|a| &a.graph).collect();
            paths::paths_over(&parts, &opts)
        })
        .await
        .map_err(|e| AppError::Internal(format!("the path search stopped: {e}")))?;
        if let Some(s) = site {
            found.paths.retain(|p| {
                p.sites.contains(&s)
                    || p.nodes.iter().any(|n| matches!(n, paths::Node::External { sites, .. } if sites.contains(&s)))
            });
        }
        Ok(found)
    }

    /// Target, achieved level, gap and requirement coverage of a zone or conduit.
    pub async fn security_levels(&self, ctx: &Ctx, site: SiteId, target: Target) -> Result<SecurityLevels> {
        let a = self.site_analysis(ctx, site).await?;
        let (t, ach) = match target {
            Target::Zone(id) => a
                .zones
                .iter()
                .find(|z| z.id == id)
                .map(|z| (z.sl_target, z.sl_achieved))
                .ok_or(AppError::NotFound { kind: c981_domain::EntityKind::Zone, id: id.get() })?,
            Target::Conduit(id) => a
                .conduits
                .iter()
                .find(|c| c.id == id)
                .map(|c| (c.sl_target, c.sl_achieved))
                .ok_or(AppError::NotFound { kind: c981_domain::EntityKind::Conduit, id: id.get() })?,
        };
        let empty = HashMap::new();
        let statuses = a.statuses.get(&target).unwrap_or(&empty);
        let coverage = sla::coverage(t, statuses)
            .into_iter()
            .map(|(r, s): (&'static Requirement, Option<&Status>)| CoverageRow {
                requirement: r.id,
                title: r.title,
                level: r.level,
                status: s.cloned(),
            })
            .collect();
        Ok(SecurityLevels { target: t, achieved: ach, gap: sla::gap(t, ach), coverage })
    }

    /// [`App::security_levels`] of a zone, found by its id.
    pub async fn zone_levels(&self, ctx: &Ctx, zone: ZoneId) -> Result<SecurityLevels> {
        let z = self.get::<Zone>(ctx, zone.get()).await?;
        self.security_levels(ctx, z.data.site_id, Target::Zone(zone)).await
    }

    /// [`App::security_levels`] of a conduit, found by its id.
    pub async fn conduit_levels(&self, ctx: &Ctx, conduit: ConduitId) -> Result<SecurityLevels> {
        let c = self.get::<Conduit>(ctx, conduit.get()).await?;
        self.security_levels(ctx, c.data.site_id, Target::Conduit(conduit)).await
    }

    /// The zone-and-conduit diagram of a site as SVG.
    pub async fn zone_diagram(&self, ctx: &Ctx, site: SiteId, title: &str) -> Result<String> {
        let a = self.site_analysis(ctx, site).await?;
        Ok(svg::zone_diagram(&diagram_of(&a, title)))
    }

    /// Imports licensed description text of the 62443-3-3 requirements from a CSV file (see
    /// `docs/iec62443.md`): all lines are checked first and nothing is stored while any is
    /// wrong; the import is one audited operation naming the file and its SHA-256.
    /// Installation-wide reference data: administrators of every site only.
    pub async fn import_requirement_texts(&self, ctx: &Ctx, name: &str, bytes: &[u8]) -> Result<usize> {
        self.authorize_write(ctx, c981_domain::EntityKind::RequirementText, None, None).await?;
        let items = catalogue::parse_descriptions(name, bytes).map_err(|errors| {
            AppError::Invalid(c981_domain::ValidationError {
                errors: errors.into_iter().map(|e| c981_domain::FieldError::new("file", e)).collect(),
            })
        })?;
        use sha2::Digest as _;
        let source = format!("{name} (SHA-256 {})", hex::encode(sha2::Sha256::digest(bytes)));
        let items: Vec<(String, String)> = items.into_iter().map(|(id, text)| (id.to_string(), text)).collect();
        self.store().put_requirement_texts(&self.meta(ctx), &items, &source).await?;
        Ok(items.len())
    }

    /// The imported description text of requirements, by id (empty until imported).
    pub async fn requirement_texts(&self) -> Result<HashMap<ReqId, String>> {
        Ok(self
            .store()
            .requirement_texts()
            .await?
            .into_iter()
            .filter_map(|(k, v)| Some((ReqId::parse(&k).ok()?, v)))
            .collect())
    }

    /// Every requirement of the IEC 62443-3-3 catalogue.
    pub fn catalogue(&self) -> &'static [Requirement] {
        catalogue::requirements()
    }
}

/// The diagram input of a site.
pub fn diagram_of(a: &SiteAnalysis, title: &str) -> svg::Diagram {
    let count = |s: Subject| a.findings_of(s).count() as u32;
    svg::Diagram {
        title: title.to_owned(),
        zones: a
            .zones
            .iter()
            .map(|z| svg::DiagramZone {
                id: z.id.get(),
                name: z.name.clone(),
                kind_label: z.kind.label().to_owned(),
                purdue_rank: z.purdue_level.map(|p| p.rank()),
                asset_count: a.zone_assets.get(&z.id).copied().unwrap_or(0),
                sl_target: z.sl_target.levels(),
                sl_achieved: z.sl_achieved.levels(),
                findings: count(Subject::Zone(z.id)),
                href: format!("/zones/{}", z.id),
            })
            .collect(),
        conduits: a
            .conduits
            .iter()
            .map(|c| svg::DiagramConduit {
                id: c.id.get(),
                name: c.name.clone(),
                zone_ids: c.zone_ids.iter().map(|z| z.get()).collect(),
                one_way: c.direction == ConduitDirection::Unidirectional,
                encryption_required: c.encryption_required,
                sl_gap: svg::sl_gap(c.sl_target.levels(), c.sl_achieved.levels()),
                findings: count(Subject::Conduit(c.id)),
                href: format!("/conduits/{}", c.id),
            })
            .collect(),
    }
}
