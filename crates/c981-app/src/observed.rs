//! Observed inventory: Zeek connection logs and Nmap XML, and the provenance rules that keep a
//! person's declared values ahead of what the network shows.
//!
//! - Zeek `conn.log` (TSV with its `#fields` header, or JSON lines; plain or gzip) is aggregated
//!   into one observed flow per (source, destination, transport protocol, port), with the count
//!   of connections, bytes, first and last seen. An address that no asset of the site has is
//!   staged as an observed asset tagged `to-review` when it is a private, link-local or
//!   unique-local address; any other address is an outside endpoint of the flow.
//! - Nmap XML: every host that was up becomes (or refreshes) an asset with its addresses, MAC
//!   vendor, host name and open ports as protocols; it is observed and to review when new.
//! - An observed value fills an empty field, or replaces a value an earlier observation set;
//!   a value a person declared is never replaced: the difference becomes a proposal in the
//!   review queue (for firmware, that is configuration drift).
//! - The same file (by SHA-256) is refused a second time into the same site: its connections
//!   would be counted twice.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use c981_domain::Provenance;
use c981_domain::entity::Entity as _;
use c981_domain::values::{Short, Timestamp};
use c981_domain::{Asset, AssetId, AssetKind, DataFlow, EntityKind, Record, SiteId};
use c981_domain::{Endpoint, FlowDirection};
use c981_ingest::{nmap, zeek};
use c981_store::{NewImport, NewProposal, Observation};
use serde_json::Value;

use crate::import::{ImportKind, ImportOptions, ImportReport, Problem, Progress, flow_key, sha256_hex};
use crate::{App, AppError, Ctx, Result};

/// The tag of an asset staged from observation, waiting for a person.
pub const TO_REVIEW: &str = "to-review";

/// An asset as a capture or scan saw it.
#[derive(Debug, Clone, Default)]
pub struct SeenAsset {
    pub ips: Vec<IpAddr>,
    pub macs: Vec<String>,
    pub hostname: Option<String>,
    pub vendor: Option<String>,
    pub firmware: Option<String>,
    pub description: Option<String>,
    pub protocols: Vec<String>,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
}

/// A flow as a capture saw it.
#[derive(Debug, Clone)]
pub struct SeenFlow {
    pub source: IpAddr,
    pub destination: IpAddr,
    pub protocol: String,
    pub port: u16,
    pub encrypted: bool,
    pub connections: u64,
    pub bytes: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

/// An address a site would hold on its own networks.
pub fn is_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_link_local()
                || v4.is_loopback()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v6) => {
            v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00 || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

fn short(s: &str) -> Option<Short> {
    let t: String = s.chars().filter(|c| !c.is_control()).take(200).collect();
    Short::parse(t.trim()).ok()
}

/// Applies an observed value to a field under the provenance rule. Returns true when the
/// record changes; files a proposal when a declared value differs.
#[allow(clippy::too_many_arguments)]
fn observe_field(
    asset_id: i64,
    field: &str,
    current: Value,
    seen: Value,
    observations: &HashMap<(i64, String), Value>,
    source: &str,
    obs_out: &mut Vec<Observation>,
    proposals: &mut Vec<NewProposal>,
) -> bool {
    let empty = match &current {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    let record = |obs_out: &mut Vec<Observation>| {
        obs_out.push(Observation { asset_id, field: field.to_owned(), value: seen.clone(), source: source.to_owned() })
    };
    if current == seen {
        record(obs_out);
        return false;
    }
    let by_observation = observations.get(&(asset_id, field.to_owned())).is_some_and(|v| *v == current);
    if empty || by_observation {
        record(obs_out);
        return true;
    }
    proposals.push(NewProposal {
        asset_id,
        field: field.to_owned(),
        current_value: current,
        proposed_value: seen,
        source: source.to_owned(),
    });
    false
}

/// What an observation batch does to the inventory, ready to write.
#[derive(Default)]
pub(crate) struct ObservedPlan {
    pub new_assets: Vec<Asset>,
    pub updates: Vec<(Record<Asset>, Asset)>,
    pub observations: Vec<Observation>,
    pub proposals: Vec<NewProposal>,
    pub new_flows: Vec<(usize, usize, DataFlow)>,
    pub flow_updates: Vec<(Record<DataFlow>, DataFlow)>,
}

impl App {
    /// Imports a Zeek connection log or Nmap XML into a site as observed inventory.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn import_observed(
        &self,
        ctx: &Ctx,
        kind: ImportKind,
        site: SiteId,
        file: &str,
        bytes: &[u8],
        opts: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        self.authorize_import(ctx, EntityKind::Asset, site).await?;
        let started = self.now();
        let sha256 = sha256_hex(bytes);
        if let Some(prev) = self.store().import_by_sha(site, kind.as_str(), &sha256).await? {
            return Err(AppError::Conflict(format!(
                "{file}: this file (SHA-256 {sha256}) was imported into the site already (import #{prev}); importing it again would count its connections twice"
            )));
        }
        let mut report = ImportReport {
            kind: Some(kind),
            file: file.to_owned(),
            sha256: sha256.clone(),
            dry_run: opts.dry_run,
            ..Default::default()
        };
        let source = format!("{}:{}", kind.as_str(), file);
        let (assets, flows) = match kind {
            ImportKind::Zeek => {
                let on_error = if opts.skip_invalid { zeek::OnLineError::Skip } else { zeek::OnLineError::Stop };
                let summary = zeek::aggregate(bytes, &zeek::ZeekOptions::default(), on_error).map_err(|e| match e {
                    zeek::ZeekError::Line(l) => AppError::field(
                        "file",
                        format!("{file}: {l}; nothing was stored (use --skip-invalid to skip such lines)"),
                    ),
                    other => AppError::field("file", format!("{file}: {other}")),
                })?;
                report.format = "Zeek conn.log".into();
                report.rows_read = summary.connections;
                for e in &summary.line_errors {
                    report.rejected_count += 1;
                    if report.rejected.len() < 1000 {
                        report.rejected.push(Problem {
                            line: Some(e.line),
                            column: None,
                            field: e.field.map(str::to_owned),
                            message: e.reason.clone(),
                        });
                    }
                }
                report.rejected_count = report.rejected_count.max(summary.skipped_lines);
                let ts = |us: i64| Timestamp::from_micros(us);
                // Only addresses of answered connections are devices worth a record: a scan or
                // a dead host seen only in attempts is not staged.
                let answered: HashSet<IpAddr> = summary
                    .flows
                    .iter()
                    .filter(|f| f.connection_count > f.unanswered_count)
                    .flat_map(|f| [f.source, f.destination])
                    .collect();
                let assets: Vec<SeenAsset> = summary
                    .addresses
                    .iter()
                    .filter(|a| answered.contains(&a.address))
                    .map(|a| SeenAsset {
                        ips: vec![a.address],
                        macs: a.macs.clone(),
                        first_seen: Some(ts(a.first_seen_us)),
                        last_seen: Some(ts(a.last_seen_us)),
                        ..Default::default()
                    })
                    .collect();
                let flows: Vec<SeenFlow> = summary
                    .flows
                    .iter()
                    .filter(|f| f.connection_count > f.unanswered_count)
                    .map(|f| SeenFlow {
                        source: f.source,
                        destination: f.destination,
                        protocol: f.protocol.clone(),
                        port: f.port,
                        encrypted: f.encrypted,
                        connections: f.connection_count,
                        bytes: f.byte_count,
                        first_seen: ts(f.first_seen_us),
                        last_seen: ts(f.last_seen_us),
                    })
                    .collect();
                let attempts = summary.flows.len() - flows.len();
                if attempts > 0 {
                    report.warnings.push(format!(
                        "{attempts} connection groups were never answered (S0, REJ…): attempts, not flows; not imported"
                    ));
                }
                (assets, flows)
            }
            ImportKind::Nmap => {
                let scan = nmap::parse(bytes, &nmap::NmapOptions::default())
                    .map_err(|e| AppError::field("file", format!("{file}: {e}")))?;
                report.format =
                    format!("Nmap XML{}", scan.version.as_deref().map(|v| format!(" ({v})")).unwrap_or_default());
                report.rows_read = scan.hosts.len() as u64;
                let at = scan.start.map(|s| Timestamp::from_micros(s * 1_000_000));
                let assets = scan
                    .hosts
                    .iter()
                    .map(|h| SeenAsset {
                        ips: h.addresses.clone(),
                        macs: h.macs.iter().map(|m| m.address.clone()).collect(),
                        hostname: h.hostnames.first().map(|n| n.name.clone()),
                        vendor: h.macs.iter().find_map(|m| m.vendor.clone()),
                        description: h.os.as_ref().map(|o| format!("Nmap OS guess: {} ({}%)", o.name, o.accuracy)),
                        protocols: h
                            .ports
                            .iter()
                            .map(|p| {
                                let (proto, _) = zeek::app_protocol(
                                    p.service.as_ref().and_then(|s| s.name.as_deref()),
                                    if p.protocol == "udp" { zeek::Transport::Udp } else { zeek::Transport::Tcp },
                                    p.port,
                                );
                                proto
                            })
                            .collect(),
                        first_seen: h.start.map(|s| Timestamp::from_micros(s * 1_000_000)).or(at),
                        last_seen: h.end.or(h.start).map(|s| Timestamp::from_micros(s * 1_000_000)).or(at),
                        ..Default::default()
                    })
                    .collect();
                (assets, Vec::new())
            }
            _ => return Err(AppError::Internal(format!("{} is not an observed import", kind.as_str()))),
        };
        if let Some(p) = progress {
            p(report.rows_read);
        }
        let plan = self.plan_observed(ctx, site, &source, &assets, &flows, &mut report).await?;
        if opts.dry_run || (report.refused_rows() > 0 && !opts.skip_invalid) {
            return Ok(report);
        }
        let mut meta = self.meta(ctx);
        meta.reason = Some(format!("import of {file} (SHA-256 {sha256})"));
        let mut tx = self.store().begin_import(&meta).await?;
        let staged = plan.new_assets.len();
        let new_ids = self.write_observed(&mut tx, site, plan).await?;
        let _ = new_ids;
        let id = tx
            .finish(NewImport {
                site_id: site.get(),
                kind: kind.as_str().into(),
                source: file.to_owned(),
                sha256,
                started_at: Some(started),
                rows_read: report.rows_read as i64,
                created: report.created as i64,
                updated: report.updated as i64,
                unchanged: report.unchanged as i64,
                rejected: report.refused_rows() as i64,
                staged: staged as i64,
                proposals: report.proposals as i64,
                note: report.format.clone(),
            })
            .await?;
        report.stored = true;
        report.import_id = Some(id);
        Ok(report)
    }

    /// Decides what observed assets and flows do to a site (nothing written).
    pub(crate) async fn plan_observed(
        &self,
        ctx: &Ctx,
        site: SiteId,
        source: &str,
        assets: &[SeenAsset],
        flows: &[SeenFlow],
        report: &mut ImportReport,
    ) -> Result<ObservedPlan> {
        let keys: Vec<String> = assets
            .iter()
            .flat_map(|a| a.macs.iter().map(|m| format!("mac:{m}")).chain(a.ips.iter().map(|ip| format!("ip:{ip}"))))
            .collect();
        let candidates: Vec<String> = assets.iter().flat_map(staged_names).collect();
        let names = self.site_names_for(ctx, site, &keys, &candidates).await?;
        let rejected = self.store().rejected_keys(site).await?;
        let mut plan = ObservedPlan::default();
        // Match each seen asset: MAC first, then IP.
        let find = |a: &SeenAsset| -> std::result::Result<Option<i64>, Vec<i64>> {
            for keys in [
                a.macs.iter().map(|m| format!("mac:{m}")).collect::<Vec<_>>(),
                a.ips.iter().map(|ip| format!("ip:{ip}")).collect(),
            ] {
                let mut ids: Vec<i64> =
                    keys.iter().filter_map(|k| names.asset_keys.get(k)).flatten().copied().collect();
                ids.sort_unstable();
                ids.dedup();
                match ids.as_slice() {
                    [] => continue,
                    [one] => return Ok(Some(*one)),
                    _ => return Err(ids),
                }
            }
            Ok(None)
        };
        let mut matched: HashMap<i64, Vec<&SeenAsset>> = HashMap::new();
        // Address → where flows end: a stored asset, a new one (index in new_assets), outside.
        #[derive(Clone, Copy)]
        enum End {
            Stored(i64),
            New(usize),
            Outside,
        }
        let mut ends: HashMap<IpAddr, End> = HashMap::new();
        let mut used_names: HashSet<String> = names.assets.keys().cloned().collect();
        for a in assets {
            match find(a) {
                Err(ids) => {
                    report.conflict_count += 1;
                    if report.conflicts.len() < 1000 {
                        report.conflicts.push(Problem {
                            line: None,
                            column: None,
                            field: None,
                            message: format!(
                                "{} matches several assets ({}); its observations were not applied",
                                describe(a),
                                ids.iter().map(|i| format!("#{i}")).collect::<Vec<_>>().join(", ")
                            ),
                        });
                    }
                    for ip in &a.ips {
                        ends.insert(*ip, End::Outside);
                    }
                }
                Ok(Some(id)) => {
                    matched.entry(id).or_default().push(a);
                    for ip in &a.ips {
                        ends.insert(*ip, End::Stored(id));
                    }
                }
                Ok(None) => {
                    let keys: Vec<String> = a
                        .macs
                        .iter()
                        .map(|m| format!("mac:{m}"))
                        .chain(a.ips.iter().map(|ip| format!("ip:{ip}")))
                        .collect();
                    let local = a.ips.iter().any(is_local) || (a.ips.is_empty() && !a.macs.is_empty());
                    if !local || keys.iter().any(|k| rejected.contains(k)) {
                        for ip in &a.ips {
                            ends.insert(*ip, End::Outside);
                        }
                        continue;
                    }
                    let asset = staged_asset(site, a, source, &mut used_names)?;
                    let i = plan.new_assets.len();
                    plan.new_assets.push(asset);
                    for ip in &a.ips {
                        ends.insert(*ip, End::New(i));
                    }
                }
            }
        }
        report.staged = plan.new_assets.len() as u64;
        report.created += report.staged;

        // Matched assets: last seen, sources, and the observed fields under the rule.
        let ids: Vec<i64> = matched.keys().copied().collect();
        let observations = self.store().observations_of(site, &ids).await?;
        for chunk in ids.chunks(2000) {
            for rec in self.store().records_by_ids::<Asset>(site, chunk).await? {
                let id: i64 = rec.id.into();
                let mut new = rec.data.clone();
                for a in matched.get(&id).into_iter().flatten() {
                    apply_seen(id, &mut new, a, source, &observations, &mut plan.observations, &mut plan.proposals);
                }
                if new == rec.data {
                    report.unchanged += 1;
                } else {
                    report.updated += 1;
                    plan.updates.push((rec, new));
                }
            }
        }
        report.proposals = plan.proposals.len() as u64;

        // Flows.
        let existing: HashMap<String, i64> =
            self.store().flow_keys_of(site).await?.into_iter().map(|(id, k)| (k, id)).collect();
        let mut to_update: HashMap<i64, &SeenFlow> = HashMap::new();
        let mut new_keys: HashSet<String> = HashSet::new();
        for f in flows {
            let end = |ip: &IpAddr| ends.get(ip).copied().unwrap_or(End::Outside);
            let (s, d) = (end(&f.source), end(&f.destination));
            let endpoint = |e: End, ip: &IpAddr| -> Result<(Endpoint, Option<usize>)> {
                Ok(match e {
                    End::Stored(id) => (Endpoint::Asset { asset_id: AssetId::new(id) }, None),
                    // A placeholder; the new asset's id is set when it is written.
                    End::New(i) => (Endpoint::Asset { asset_id: AssetId::new(0) }, Some(i)),
                    End::Outside => (
                        Endpoint::External {
                            name: Short::parse(&ip.to_string()).map_err(|e| AppError::Internal(e.to_string()))?,
                        },
                        None,
                    ),
                })
            };
            let (src, si) = endpoint(s, &f.source)?;
            let (dst, di) = endpoint(d, &f.destination)?;
            if matches!(src, Endpoint::External { .. }) && matches!(dst, Endpoint::External { .. }) {
                // Neither end is the site's: transit traffic the sensor happened to see.
                continue;
            }
            let protocol = match c981_domain::values::Protocol::parse(&f.protocol) {
                Ok(p) => p,
                Err(_) => continue,
            };
            let flow = DataFlow {
                site_id: site,
                source: src,
                destination: dst,
                protocol,
                port: Some(f.port).filter(|p| *p != 0),
                direction: FlowDirection::Unidirectional,
                encrypted: f.encrypted,
                purpose: Default::default(),
                documented: false,
                observed: true,
                first_seen: Some(f.first_seen),
                last_seen: Some(f.last_seen),
                connection_count: Some(f.connections as i64),
                byte_count: Some(f.bytes as i64),
            };
            if si.is_none() && di.is_none() {
                let key = flow_key(&flow);
                if let Some(id) = existing.get(&key) {
                    to_update.insert(*id, f);
                    continue;
                }
                if !new_keys.insert(key) {
                    continue;
                }
            }
            plan.new_flows.push((si.map_or(usize::MAX, |i| i), di.map_or(usize::MAX, |i| i), flow));
        }
        let ids: Vec<i64> = to_update.keys().copied().collect();
        for chunk in ids.chunks(2000) {
            for rec in self.store().records_by_ids::<DataFlow>(site, chunk).await? {
                let f = to_update[&rec.id.into()];
                let mut new = rec.data.clone();
                new.observed = true;
                new.first_seen = Some(rec.data.first_seen.map_or(f.first_seen, |t| t.min(f.first_seen)));
                new.last_seen = Some(rec.data.last_seen.map_or(f.last_seen, |t| t.max(f.last_seen)));
                new.connection_count = Some(rec.data.connection_count.unwrap_or(0) + f.connections as i64);
                new.byte_count = Some(rec.data.byte_count.unwrap_or(0) + f.bytes as i64);
                report.updated += 1;
                plan.flow_updates.push((rec, new));
            }
        }
        report.created += plan.new_flows.len() as u64;
        Ok(plan)
    }

    /// Writes a plan inside an import transaction; returns the ids of the new assets.
    pub(crate) async fn write_observed(
        &self,
        tx: &mut c981_store::ImportTx,
        site: SiteId,
        plan: ObservedPlan,
    ) -> Result<Vec<i64>> {
        let new_ids = tx.create(&plan.new_assets).await?;
        tx.update(&plan.updates).await?;
        let mut observations = plan.observations;
        for (asset, id) in plan.new_assets.iter().zip(&new_ids) {
            for (field, value) in [
                ("ip_addresses", serde_json::to_value(&asset.ip_addresses).unwrap_or(Value::Null)),
                ("mac_addresses", serde_json::to_value(&asset.mac_addresses).unwrap_or(Value::Null)),
                ("vendor", Value::String(asset.vendor.as_str().to_owned())),
            ] {
                observations.push(Observation {
                    asset_id: *id,
                    field: field.into(),
                    value,
                    source: asset.sources.first().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                });
            }
        }
        tx.observe(site, &observations).await?;
        tx.propose(site, &plan.proposals).await?;
        let flows: Vec<DataFlow> = plan
            .new_flows
            .into_iter()
            .map(|(si, di, mut f)| {
                if let Some(id) = new_ids.get(si) {
                    f.source = Endpoint::Asset { asset_id: AssetId::new(*id) };
                }
                if let Some(id) = new_ids.get(di) {
                    f.destination = Endpoint::Asset { asset_id: AssetId::new(*id) };
                }
                f
            })
            .collect();
        tx.create(&flows).await?;
        tx.update(&plan.flow_updates).await?;
        Ok(new_ids)
    }
}

fn describe(a: &SeenAsset) -> String {
    let mut parts: Vec<String> = a.ips.iter().map(|i| i.to_string()).collect();
    parts.extend(a.macs.iter().cloned());
    format!("the device {}", parts.join(" / "))
}

/// The names a staged asset may get (checked against the site's names beforehand).
fn staged_names(a: &SeenAsset) -> Vec<String> {
    let base = staged_base(a);
    (1..4).map(|n| if n == 1 { base.clone() } else { format!("{base} ({n})") }).collect()
}

fn staged_base(a: &SeenAsset) -> String {
    a.hostname
        .clone()
        .filter(|h| !h.is_empty())
        .or_else(|| a.ips.first().map(|i| format!("unknown {i}")))
        .or_else(|| a.macs.first().map(|m| format!("unknown {m}")))
        .unwrap_or_else(|| "unknown device".into())
}

/// A new asset from what was seen: observed, tagged to review.
fn staged_asset(site: SiteId, a: &SeenAsset, source: &str, used: &mut HashSet<String>) -> Result<Asset> {
    let base = staged_base(a);
    let mut name = base.clone();
    let mut n = 2;
    while used.contains(&name.to_lowercase()) {
        name = format!("{base} ({n})");
        n += 1;
    }
    used.insert(name.to_lowercase());
    let input = c981_domain::AssetInput {
        site_id: Some(site.get().to_string()),
        name: Some(name),
        kind: Some(AssetKind::Other.as_str().into()),
        vendor: a.vendor.clone(),
        firmware: a.firmware.clone(),
        ip_addresses: a.ips.iter().map(|i| i.to_string()).collect(),
        mac_addresses: a.macs.clone(),
        protocols: a.protocols.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect(),
        provenance: Some(Provenance::Observed.as_str().into()),
        sources: vec![source.chars().take(100).collect()],
        first_seen: a.first_seen.map(|t| t.to_string()),
        last_seen: a.last_seen.map(|t| t.to_string()),
        tags: vec![TO_REVIEW.into()],
        description: a.description.clone(),
        ..Default::default()
    };
    Ok(Asset::parse(&input)?)
}

/// Applies one sighting to a stored asset under the provenance rule.
fn apply_seen(
    id: i64,
    asset: &mut Asset,
    a: &SeenAsset,
    source: &str,
    observations: &HashMap<(i64, String), Value>,
    obs_out: &mut Vec<Observation>,
    proposals: &mut Vec<NewProposal>,
) {
    asset.first_seen = match (asset.first_seen, a.first_seen) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    asset.last_seen = match (asset.last_seen, a.last_seen) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    let src_kind = source.split(':').next().unwrap_or(source);
    if !asset.sources.iter().any(|s| s.as_str().split(':').next() == Some(src_kind))
        && let Some(s) = short(source)
    {
        asset.sources.push(s);
    }
    // MAC addresses: observed ones are added to what the record has (a list grows).
    for m in &a.macs {
        if let Ok(mac) = c981_domain::values::MacAddr::parse(m)
            && !asset.mac_addresses.contains(&mac)
        {
            asset.mac_addresses.push(mac);
        }
    }
    for p in &a.protocols {
        if let Ok(p) = c981_domain::values::Protocol::parse(p)
            && !asset.protocols.contains(&p)
        {
            asset.protocols.push(p);
        }
    }
    for (field, seen) in [("vendor", &a.vendor), ("firmware", &a.firmware)] {
        let Some(seen) = seen.as_deref().and_then(short) else { continue };
        let current = match field {
            "vendor" => asset.vendor.clone(),
            _ => asset.firmware.clone(),
        };
        let changed = observe_field(
            id,
            field,
            Value::String(current.as_str().to_owned()),
            Value::String(seen.as_str().to_owned()),
            observations,
            source,
            obs_out,
            proposals,
        );
        if changed {
            match field {
                "vendor" => asset.vendor = seen,
                _ => asset.firmware = seen,
            }
        }
    }
}
