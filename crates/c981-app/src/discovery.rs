//! Passive discovery from Sparkplug B: the listener of `c981-sparkplug` feeds the inventory.
//!
//! - NBIRTH makes or updates the edge node's asset (an IIoT gateway), DBIRTH a device asset
//!   linked to its node by an observed flow device → node; a new asset is observed and staged
//!   for review, a known one (by its Sparkplug identity, then serial, MAC or IP) is refreshed.
//! - Identity metrics (vendor, model, serial, firmware) fill empty fields; a value that differs
//!   from a declared one becomes a proposal, and for firmware that is drift.
//! - NDEATH (paired with its NBIRTH by `bdSeq` in the tracker) and DDEATH mark identities
//!   offline with the time; NDATA and DDATA move their last-message time in one statement per
//!   flush (about once a second), never one write per message. Liveness is telemetry: it is
//!   not in the audit trail; every change of a record is.
//! - Changes are written in batches: whatever updates are waiting are taken together into one
//!   transaction, so a birth is an asset within a second even under load.
//! - Nothing is ever published unless the configuration allows it.

use std::collections::HashMap;
use std::sync::RwLock;

use c981_domain::audit::Channel;
use c981_domain::values::{Short, Timestamp};
use c981_domain::{Asset, AssetId, AssetKind, DataFlow, Endpoint, FlowDirection, Provenance, SiteId};
use c981_sparkplug::client::{ClientConfig, Output};
use c981_sparkplug::identity::Identity;
use c981_sparkplug::tracker::{AssetKey, Update};
use serde::Serialize;
use serde_json::Value;

use crate::observed::TO_REVIEW;
use crate::{Actor, App, AppError, Ctx, Result};

/// What discovery needs: the listener's settings and where assets go.
#[derive(Debug, Clone)]
pub struct DiscoverySettings {
    pub client: ClientConfig,
    /// The site of assets whose group has no site of its own.
    pub site: SiteId,
    /// Sparkplug group id → site, for brokers shared by several plants.
    pub group_sites: HashMap<String, SiteId>,
}

/// What the status page shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DiscoveryStatus {
    pub running: bool,
    pub broker: String,
    pub subscriptions: Vec<String>,
    pub connected: bool,
    pub messages_per_second: f64,
    pub messages_total: u64,
    pub decode_errors: u64,
    pub last_message_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
    pub nodes: usize,
    pub nodes_online: usize,
    pub devices: usize,
    pub devices_online: usize,
    pub stale_deaths: u64,
    pub seq_missed: u64,
    pub assets_created: u64,
    pub assets_updated: u64,
    pub drift_proposals: u64,
    pub write_errors: u64,
    pub publishing_allowed: bool,
}

/// The shared status of the discovery running in this process, if any.
#[derive(Default)]
pub struct DiscoveryState {
    status: RwLock<Option<DiscoveryStatus>>,
}

fn ts(us: i64) -> Timestamp {
    Timestamp::from_micros(us)
}

fn short(s: &str) -> Option<Short> {
    let t: String = s.chars().filter(|c| !c.is_control()).take(200).collect();
    Short::parse(t.trim()).ok()
}

/// The identity keys a birth reports, in matching order: serial, MAC, IP.
fn identity_keys(identity: &Identity) -> Vec<String> {
    [
        identity.serial.as_ref().map(|s| format!("serial:{}", s.to_lowercase())),
        identity
            .mac_address
            .as_ref()
            .and_then(|m| c981_domain::values::MacAddr::parse(m).ok())
            .map(|m| format!("mac:{m}")),
        identity.ip_address.as_ref().and_then(|i| c981_domain::values::parse_ip(i).ok()).map(|i| format!("ip:{i}")),
    ]
    .into_iter()
    .flatten()
    .collect()
}

impl App {
    /// The status of Sparkplug discovery in this process (`None`: not configured here).
    pub fn discovery_status(&self) -> Option<DiscoveryStatus> {
        self.discovery_state().status.read().ok().and_then(|s| s.clone())
    }

    /// The Sparkplug identities of the caller's sites (or one) with their liveness.
    pub async fn sparkplug_identities(
        &self,
        ctx: &Ctx,
        site: Option<SiteId>,
    ) -> Result<Vec<(SiteId, c981_store::Liveness)>> {
        let sites = self.sites_of(ctx, site).await?;
        let mut out = Vec::new();
        for s in sites {
            out.extend(self.store().liveness(s).await?.into_iter().map(|l| (s, l)));
        }
        Ok(out)
    }

    fn set_status(&self, f: impl FnOnce(&mut DiscoveryStatus)) {
        if let Ok(mut s) = self.discovery_state().status.write() {
            f(s.get_or_insert_with(DiscoveryStatus::default));
        }
    }

    /// Runs discovery until `shutdown` resolves. Returns the listener's final statistics.
    pub async fn run_sparkplug(
        &self,
        settings: DiscoverySettings,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<c981_sparkplug::Stats> {
        let broker = format!("{}:{}", settings.client.host, settings.client.port);
        let subs = settings.client.subscriptions();
        let allow = settings.client.allow_publish;
        let (_handle, mut rx, task) = c981_sparkplug::client::spawn(settings.client.clone(), shutdown)
            .map_err(|e| AppError::field("sparkplug", e.to_string()))?;
        self.set_status(|s| {
            *s = DiscoveryStatus {
                running: true,
                broker,
                subscriptions: subs,
                publishing_allowed: allow,
                ..Default::default()
            }
        });
        let ctx = Ctx::new(Actor::system("sparkplug discovery"), Channel::System, "sparkplug");
        let mut known: HashMap<(SiteId, String), i64> = HashMap::new();
        while let Some(first) = rx.recv().await {
            // Everything already waiting goes into one batch (bounded).
            let mut batch = vec![first];
            while batch.len() < 500 {
                match rx.try_recv() {
                    Ok(o) => batch.push(o),
                    Err(_) => break,
                }
            }
            let mut updates = Vec::new();
            for o in batch {
                match o {
                    Output::Update(u) => updates.push(u),
                    Output::Flush { last_seen, stats } => {
                        if !updates.is_empty() {
                            self.apply_updates(&ctx, &settings, &mut known, std::mem::take(&mut updates)).await;
                        }
                        self.touch(&settings, &last_seen).await;
                        self.set_status(|s| {
                            s.connected = stats.connected;
                            s.messages_per_second = stats.messages_per_second;
                            s.messages_total = stats.messages.total();
                            s.decode_errors = stats.decode_errors;
                            s.last_message_at = stats.last_message_at.map(ts);
                            s.last_error.clone_from(&stats.last_error);
                            s.last_error_at = stats.last_error_at.map(ts);
                            s.nodes = stats.nodes;
                            s.nodes_online = stats.nodes_online;
                            s.devices = stats.devices;
                            s.devices_online = stats.devices_online;
                            s.stale_deaths = stats.stale_deaths;
                            s.seq_missed = stats.seq_missed;
                        });
                    }
                    Output::Connection { connected, reason } => self.set_status(|s| {
                        s.connected = connected;
                        if let Some(r) = reason {
                            s.last_error = Some(r);
                            s.last_error_at = Some(self.now());
                        }
                    }),
                    Output::Subscribed { .. } => {}
                }
            }
            if !updates.is_empty() {
                self.apply_updates(&ctx, &settings, &mut known, updates).await;
            }
        }
        let stats = task.await.map_err(|e| AppError::Internal(format!("the Sparkplug listener stopped: {e}")))?;
        self.set_status(|s| {
            s.running = false;
            s.connected = false;
        });
        Ok(stats)
    }

    fn site_of_key(settings: &DiscoverySettings, key: &AssetKey) -> SiteId {
        settings.group_sites.get(&key.group).copied().unwrap_or(settings.site)
    }

    async fn touch(&self, settings: &DiscoverySettings, batch: &c981_sparkplug::tracker::LastSeenBatch) {
        let mut per_site: HashMap<SiteId, Vec<(String, Timestamp)>> = HashMap::new();
        for e in &batch.entries {
            let site = Self::site_of_key(settings, &e.asset);
            per_site.entry(site).or_default().push((e.asset.to_string(), ts(e.at)));
        }
        for (site, keys) in per_site {
            if let Err(e) = self.store().touch_liveness(site, &keys).await {
                tracing::warn!(error = %e, "sparkplug: last-seen times not stored");
                self.set_status(|s| s.write_errors += 1);
            }
        }
    }

    /// Applies births, deaths and firmware sightings in one transaction per site.
    async fn apply_updates(
        &self,
        ctx: &Ctx,
        settings: &DiscoverySettings,
        known: &mut HashMap<(SiteId, String), i64>,
        updates: Vec<Update>,
    ) {
        let mut per_site: HashMap<SiteId, Vec<Update>> = HashMap::new();
        for u in updates {
            let key = match &u {
                Update::NodeOnline { asset, .. }
                | Update::DeviceOnline { asset, .. }
                | Update::NodeOffline { asset, .. }
                | Update::DeviceOffline { asset, .. }
                | Update::FirmwareSeen { asset, .. } => asset.clone(),
                Update::StaleDeath { .. } | Update::HostState { .. } | Update::CommandSeen { .. } => continue,
            };
            per_site.entry(Self::site_of_key(settings, &key)).or_default().push(u);
        }
        for (site, list) in per_site {
            if let Err(e) = self.apply_site(ctx, site, known, list).await {
                tracing::warn!(error = %e, site = site.get(), "sparkplug: births and deaths not stored");
                self.set_status(|s| {
                    s.write_errors += 1;
                    s.last_error = Some(format!("storing discoveries: {e}"));
                    s.last_error_at = Some(self.now());
                });
            }
        }
    }

    async fn apply_site(
        &self,
        ctx: &Ctx,
        site: SiteId,
        known: &mut HashMap<(SiteId, String), i64>,
        list: Vec<Update>,
    ) -> Result<()> {
        // Only the assets these births could be: by the keys and names they carry.
        let mut keys = Vec::new();
        let mut candidates = Vec::new();
        for u in &list {
            if let Update::NodeOnline { asset, identity, .. } | Update::DeviceOnline { asset, identity, .. } = u {
                keys.extend(identity_keys(identity));
                let base = asset.device.clone().unwrap_or_else(|| asset.edge_node.clone());
                candidates.push(format!("{base} ({asset})"));
                candidates.push(base);
            }
        }
        let names = self.site_names_for(ctx, site, &keys, &candidates).await?;
        let mut tx = self.store().begin_import(&self.meta(ctx)).await?;
        let mut used: std::collections::HashSet<String> = names.assets.keys().cloned().collect();
        let (mut created, mut updated, mut drift) = (0u64, 0u64, 0u64);
        for u in list {
            match u {
                Update::NodeOnline { asset, bd_seq, identity, at, .. } => {
                    let id = self
                        .upsert_sparkplug_asset(
                            &mut tx,
                            site,
                            &names,
                            &mut used,
                            known,
                            &asset,
                            &identity,
                            at,
                            None,
                            &mut created,
                            &mut updated,
                        )
                        .await?;
                    tx.set_sparkplug(site, &asset.to_string(), id, true, bd_seq.map(|b| b as i64)).await?;
                }
                Update::DeviceOnline { asset, identity, at, .. } => {
                    let node_key = AssetKey::node(&asset.group, &asset.edge_node);
                    let node = self.known_id(site, known, &node_key.to_string()).await?;
                    let id = self
                        .upsert_sparkplug_asset(
                            &mut tx,
                            site,
                            &names,
                            &mut used,
                            known,
                            &asset,
                            &identity,
                            at,
                            node,
                            &mut created,
                            &mut updated,
                        )
                        .await?;
                    tx.set_sparkplug(site, &asset.to_string(), id, true, None).await?;
                }
                Update::NodeOffline { asset, devices, .. } => {
                    for key in std::iter::once(asset.to_string())
                        .chain(devices.iter().map(|d| AssetKey::device(&asset.group, &asset.edge_node, d).to_string()))
                    {
                        if let Some(id) = self.known_id(site, known, &key).await? {
                            tx.set_sparkplug(site, &key, id, false, None).await?;
                        }
                    }
                }
                Update::DeviceOffline { asset, .. } => {
                    let key = asset.to_string();
                    if let Some(id) = self.known_id(site, known, &key).await? {
                        tx.set_sparkplug(site, &key, id, false, None).await?;
                    }
                }
                Update::FirmwareSeen { asset, firmware, .. } => {
                    // The birth's own upsert filled an empty firmware; a differing recorded one
                    // is drift, for a person to accept or reject.
                    let Some(id) = self.known_id(site, known, &asset.to_string()).await? else { continue };
                    let Some(rec) = self.store().records_by_ids::<Asset>(site, &[id]).await?.pop() else { continue };
                    let recorded = rec.data.firmware.as_str().to_owned();
                    if !recorded.is_empty() && recorded != firmware {
                        let n = tx
                            .propose(
                                site,
                                &[c981_store::NewProposal {
                                    asset_id: id,
                                    field: "firmware".into(),
                                    current_value: Value::String(recorded),
                                    proposed_value: Value::String(firmware.clone()),
                                    source: format!("sparkplug:{asset}"),
                                }],
                            )
                            .await?;
                        drift += n as u64;
                    }
                }
                _ => {}
            }
        }
        tx.commit().await?;
        self.set_status(|s| {
            s.assets_created += created;
            s.assets_updated += updated;
            s.drift_proposals += drift;
        });
        Ok(())
    }

    async fn known_id(
        &self,
        site: SiteId,
        known: &mut HashMap<(SiteId, String), i64>,
        key: &str,
    ) -> Result<Option<i64>> {
        if let Some(id) = known.get(&(site, key.to_owned())) {
            return Ok(Some(*id));
        }
        let id = self.store().sparkplug_asset(site, key).await?;
        if let Some(id) = id {
            known.insert((site, key.to_owned()), id);
        }
        Ok(id)
    }

    /// The asset of a Sparkplug identity, created (observed, to review) or refreshed.
    #[allow(clippy::too_many_arguments)]
    async fn upsert_sparkplug_asset(
        &self,
        tx: &mut c981_store::ImportTx,
        site: SiteId,
        names: &crate::import::Names,
        used: &mut std::collections::HashSet<String>,
        known: &mut HashMap<(SiteId, String), i64>,
        key: &AssetKey,
        identity: &Identity,
        at: i64,
        node: Option<i64>,
        created: &mut u64,
        updated: &mut u64,
    ) -> Result<i64> {
        let k = key.to_string();
        let source = format!("sparkplug:{k}");
        let mut id = self.known_id(site, known, &k).await?;
        if id.is_none() {
            // A device a person declared: by serial, then MAC, then IP from the birth.
            let candidates = [
                identity.serial.as_ref().map(|s| format!("serial:{}", s.to_lowercase())),
                identity
                    .mac_address
                    .as_ref()
                    .and_then(|m| c981_domain::values::MacAddr::parse(m).ok())
                    .map(|m| format!("mac:{m}")),
                identity
                    .ip_address
                    .as_ref()
                    .and_then(|i| c981_domain::values::parse_ip(i).ok())
                    .map(|i| format!("ip:{i}")),
            ];
            for c in candidates.into_iter().flatten() {
                if let Some([one]) = names.asset_keys.get(&c).map(Vec::as_slice) {
                    id = Some(*one);
                    break;
                }
            }
        }
        let seen = Some(ts(at));
        let id = match id {
            Some(id) => {
                let Some(rec) = self.store().records_by_ids::<Asset>(site, &[id]).await?.pop() else {
                    return Err(AppError::NotFoundText(format!("the asset of {k} is gone")));
                };
                let observations = self.store().observations_of(site, &[id]).await?;
                let mut new = rec.data.clone();
                new.last_seen = seen.max(new.last_seen);
                new.first_seen = new.first_seen.or(seen);
                if !new.sources.iter().any(|s| s.as_str() == source)
                    && let Some(s) = short(&source)
                {
                    new.sources.push(s);
                }
                let mut obs = Vec::new();
                let mut proposals = Vec::new();
                for (field, seen_value) in [
                    ("vendor", &identity.vendor),
                    ("model", &identity.model),
                    ("serial", &identity.serial),
                    ("firmware", &identity.firmware),
                ] {
                    let Some(v) = seen_value.as_deref().and_then(short) else { continue };
                    let slot = match field {
                        "vendor" => &mut new.vendor,
                        "model" => &mut new.model,
                        "serial" => &mut new.serial,
                        _ => &mut new.firmware,
                    };
                    let current = slot.as_str().to_owned();
                    let by_observation =
                        observations.get(&(id, field.to_owned())).is_some_and(|o| o.as_str() == Some(&current));
                    if current == v.as_str() {
                        continue;
                    }
                    if current.is_empty() || by_observation {
                        *slot = v.clone();
                        obs.push(c981_store::Observation {
                            asset_id: id,
                            field: field.into(),
                            value: Value::String(v.as_str().into()),
                            source: source.clone(),
                        });
                    } else if field != "firmware" {
                        // Firmware differences are filed by the FirmwareSeen update (drift).
                        proposals.push(c981_store::NewProposal {
                            asset_id: id,
                            field: field.into(),
                            current_value: Value::String(current),
                            proposed_value: Value::String(v.as_str().into()),
                            source: source.clone(),
                        });
                    }
                }
                if new != rec.data {
                    *updated += 1;
                    tx.update(&[(rec, new)]).await?;
                }
                tx.observe(site, &obs).await?;
                tx.propose(site, &proposals).await?;
                id
            }
            None => {
                let base = match &key.device {
                    Some(d) => d.clone(),
                    None => key.edge_node.clone(),
                };
                let mut name = base.clone();
                if used.contains(&name.to_lowercase()) {
                    name = format!("{base} ({})", key);
                }
                let mut n = 2;
                while used.contains(&name.to_lowercase()) {
                    name = format!("{base} ({key}, {n})");
                    n += 1;
                }
                used.insert(name.to_lowercase());
                let description =
                    [identity.os.as_deref(), identity.os_version.as_deref(), identity.description.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ");
                let input = c981_domain::AssetInput {
                    site_id: Some(site.get().to_string()),
                    name: Some(name.chars().take(200).collect()),
                    kind: Some(
                        if key.device.is_some() { AssetKind::Other } else { AssetKind::IiotGateway }.as_str().into(),
                    ),
                    vendor: identity.vendor.clone(),
                    model: identity.model.clone(),
                    serial: identity.serial.clone(),
                    firmware: identity.firmware.clone(),
                    ip_addresses: identity
                        .ip_address
                        .iter()
                        .filter(|i| c981_domain::values::parse_ip(i).is_ok())
                        .cloned()
                        .collect(),
                    mac_addresses: identity
                        .mac_address
                        .iter()
                        .filter(|m| c981_domain::values::MacAddr::parse(m).is_ok())
                        .cloned()
                        .collect(),
                    protocols: vec!["mqtt".into()],
                    provenance: Some(Provenance::Observed.as_str().into()),
                    sources: vec![source.chars().take(100).collect()],
                    first_seen: Some(ts(at).to_string()),
                    last_seen: Some(ts(at).to_string()),
                    tags: vec![TO_REVIEW.into()],
                    description: (!description.is_empty()).then_some(description),
                    ..Default::default()
                };
                let asset = <Asset as c981_domain::Entity>::parse(&input)?;
                let id = tx.create(std::slice::from_ref(&asset)).await?[0];
                let mut obs = Vec::new();
                for (field, v) in [
                    ("vendor", &asset.vendor),
                    ("model", &asset.model),
                    ("serial", &asset.serial),
                    ("firmware", &asset.firmware),
                ] {
                    if !v.as_str().is_empty() {
                        obs.push(c981_store::Observation {
                            asset_id: id,
                            field: field.into(),
                            value: Value::String(v.as_str().into()),
                            source: source.clone(),
                        });
                    }
                }
                tx.observe(site, &obs).await?;
                *created += 1;
                // A device reaches the plant through its edge node: the observed link.
                if let Some(node) = node {
                    let flow = DataFlow {
                        site_id: site,
                        source: Endpoint::Asset { asset_id: AssetId::new(id) },
                        destination: Endpoint::Asset { asset_id: AssetId::new(node) },
                        protocol: c981_domain::values::Protocol::parse("sparkplug_b").map_err(AppError::Internal)?,
                        port: None,
                        direction: FlowDirection::Bidirectional,
                        encrypted: false,
                        purpose: Default::default(),
                        documented: false,
                        observed: true,
                        first_seen: seen,
                        last_seen: seen,
                        connection_count: None,
                        byte_count: None,
                    };
                    tx.create(&[flow]).await?;
                }
                id
            }
        };
        known.insert((site, k), id);
        Ok(id)
    }
}
