//! The review queue: what observation brought in and a person has not decided yet.
//!
//! - observed assets (staged from traffic, scans or Sparkplug births): confirm (the asset is
//!   ours; provenance becomes confirmed), merge into an existing asset (its flows move there,
//!   its addresses are added, the staged record goes), or reject (the record goes, its flows
//!   keep the address as an outside endpoint, and later observations do not stage it again);
//! - observed flows with no documented counterpart: confirm (documented from now on) or reject
//!   (not intended: it stays recorded, and its finding stays, but leaves the queue);
//! - proposals (an observed value that differs from a declared one, such as firmware drift):
//!   accept (the value is applied) or reject.
//!
//! Every decision needs a reason and is audited with it.

use c981_domain::Endpoint;
use c981_domain::Provenance;
use c981_domain::values::Short;
use c981_domain::{Asset, AssetId, DataFlow, EntityKind, Record, SiteId};
use c981_store::ProposalRow;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::observed::TO_REVIEW;
use crate::{App, AppError, Ctx, ListParams, Result};

/// What waits for review in a site.
#[derive(Debug, Serialize)]
pub struct ReviewQueue {
    pub site_id: SiteId,
    pub assets: Vec<Record<Asset>>,
    pub flows: Vec<Record<DataFlow>>,
    pub proposals: Vec<ProposalRow>,
    /// True when a list was cut at its limit.
    pub truncated: bool,
}

/// A decision on an observed asset.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AssetDecision {
    Confirm,
    Merge { into: i64 },
    Reject,
}

/// A decision on an observed flow or a proposal.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Confirm,
    Reject,
}

const QUEUE_LIMIT: u32 = 500;

fn reason_of(reason: &str) -> Result<String> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(AppError::field("reason", "a review decision needs a reason"));
    }
    if r.chars().count() > 2000 {
        return Err(AppError::field("reason", "is longer than 2,000 characters"));
    }
    Ok(r.to_owned())
}

impl App {
    /// The review queue of a site.
    pub async fn review_queue(&self, ctx: &Ctx, site: SiteId) -> Result<ReviewQueue> {
        if !ctx.actor.may_see(site) {
            return Err(AppError::NotFound { kind: EntityKind::Site, id: site.get() });
        }
        let assets = self
            .list::<Asset>(
                ctx,
                &ListParams {
                    site_id: Some(site),
                    filters: vec![("provenance".into(), Provenance::Observed.as_str().into())],
                    limit: Some(QUEUE_LIMIT),
                    ..Default::default()
                },
            )
            .await?;
        let reviewed = self.store().reviewed_flows(site).await?;
        let flows = self
            .list::<DataFlow>(
                ctx,
                &ListParams {
                    site_id: Some(site),
                    filters: vec![("observed".into(), "true".into()), ("documented".into(), "false".into())],
                    limit: Some(QUEUE_LIMIT),
                    ..Default::default()
                },
            )
            .await?;
        let truncated = assets.next_after.is_some() || flows.next_after.is_some();
        let flows = flows.items.into_iter().filter(|f| !reviewed.contains(&f.id.into())).collect();
        let proposals = self.store().proposals(site, "open").await?;
        Ok(ReviewQueue { site_id: site, assets: assets.items, flows, proposals, truncated })
    }

    /// Decides on an observed asset.
    pub async fn review_asset(&self, ctx: &Ctx, id: i64, decision: &AssetDecision, reason: &str) -> Result<()> {
        let reason = reason_of(reason)?;
        let rec = self.get::<Asset>(ctx, id).await?;
        let site = rec.data.site_id;
        self.authorize_write(ctx, EntityKind::Asset, Some(id), Some(site)).await?;
        if rec.data.provenance != Provenance::Observed {
            return Err(AppError::Conflict(format!(
                "asset {id} ({}) is {}, not waiting for review",
                rec.data.name.as_str(),
                rec.data.provenance.label().to_lowercase()
            )));
        }
        let mut meta = self.meta(ctx);
        meta.reason = Some(reason.clone());
        let mut tx = self.store().begin_import(&meta).await?;
        match decision {
            AssetDecision::Confirm => {
                let mut new = rec.data.clone();
                new.provenance = Provenance::Confirmed;
                new.tags.retain(|t| t.as_str() != TO_REVIEW);
                tx.update(&[(rec, new)]).await?;
            }
            AssetDecision::Merge { into } => {
                if *into == id {
                    return Err(AppError::field("into", "an asset cannot be merged into itself"));
                }
                let target = self.get::<Asset>(ctx, *into).await?;
                if target.data.site_id != site {
                    return Err(AppError::field("into", format!("asset {into} is in another site")));
                }
                let mut merged = target.data.clone();
                for ip in &rec.data.ip_addresses {
                    if !merged.ip_addresses.contains(ip) {
                        merged.ip_addresses.push(*ip);
                    }
                }
                for m in &rec.data.mac_addresses {
                    if !merged.mac_addresses.contains(m) {
                        merged.mac_addresses.push(*m);
                    }
                }
                for p in &rec.data.protocols {
                    if !merged.protocols.contains(p) {
                        merged.protocols.push(p.clone());
                    }
                }
                for s in &rec.data.sources {
                    if !merged.sources.contains(s) {
                        merged.sources.push(s.clone());
                    }
                }
                merged.first_seen = min_opt(merged.first_seen, rec.data.first_seen);
                merged.last_seen = max_opt(merged.last_seen, rec.data.last_seen);
                if merged.vendor.as_str().is_empty() {
                    merged.vendor = rec.data.vendor.clone();
                }
                if merged.firmware.as_str().is_empty() {
                    merged.firmware = rec.data.firmware.clone();
                }
                self.repoint_flows(ctx, &mut tx, site, id, Some(*into)).await?;
                tx.update(&[(target, merged)]).await?;
                tx.delete(&rec).await?;
            }
            AssetDecision::Reject => {
                let keys: Vec<String> = rec
                    .data
                    .ip_addresses
                    .iter()
                    .map(|ip| format!("ip:{ip}"))
                    .chain(rec.data.mac_addresses.iter().map(|m| format!("mac:{m}")))
                    .collect();
                tx.reject_keys(site, &keys, &reason).await?;
                self.repoint_flows(ctx, &mut tx, site, id, None).await?;
                tx.delete(&rec).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Moves the flows of asset `from` to asset `to`, or to an outside endpoint named by its
    /// first address.
    async fn repoint_flows(
        &self,
        ctx: &Ctx,
        tx: &mut c981_store::ImportTx,
        site: SiteId,
        from: i64,
        to: Option<i64>,
    ) -> Result<()> {
        let from_rec = self.get::<Asset>(ctx, from).await?;
        let outside = from_rec
            .data
            .ip_addresses
            .first()
            .map(|i| i.to_string())
            .unwrap_or_else(|| from_rec.data.name.as_str().to_owned());
        let replacement = match to {
            Some(t) => Endpoint::Asset { asset_id: AssetId::new(t) },
            None => Endpoint::External { name: Short::parse(&outside).map_err(|e| AppError::Internal(e.to_string()))? },
        };
        let mut pairs = Vec::new();
        for field in ["source_asset_id", "destination_asset_id"] {
            let page = self
                .list::<DataFlow>(
                    ctx,
                    &ListParams {
                        site_id: Some(site),
                        filters: vec![(field.into(), from.to_string())],
                        limit: Some(1000),
                        ..Default::default()
                    },
                )
                .await?;
            for f in page.items {
                if pairs.iter().any(|(r, _): &(Record<DataFlow>, DataFlow)| r.id == f.id) {
                    continue;
                }
                let mut new = f.data.clone();
                if new.source.asset_id() == Some(AssetId::new(from)) {
                    new.source = replacement.clone();
                }
                if new.destination.asset_id() == Some(AssetId::new(from)) {
                    new.destination = replacement.clone();
                }
                pairs.push((f, new));
            }
        }
        tx.update(&pairs).await.map_err(|e| match AppError::from(e) {
            AppError::Conflict(m) => AppError::Conflict(format!(
                "the flows of asset {from} cannot move: one would duplicate a flow already recorded ({m}); merge or delete that flow first"
            )),
            other => other,
        })?;
        Ok(())
    }

    /// Decides on an observed flow with no documented counterpart.
    pub async fn review_flow(&self, ctx: &Ctx, id: i64, verdict: Verdict, reason: &str) -> Result<()> {
        let reason = reason_of(reason)?;
        let rec = self.get::<DataFlow>(ctx, id).await?;
        let site = rec.data.site_id;
        self.authorize_write(ctx, EntityKind::Flow, Some(id), Some(site)).await?;
        let mut meta = self.meta(ctx);
        meta.reason = Some(reason.clone());
        let mut tx = self.store().begin_import(&meta).await?;
        match verdict {
            Verdict::Confirm => {
                let mut new = rec.data.clone();
                new.documented = true;
                if new == rec.data {
                    return Err(AppError::Conflict(format!("flow {id} is documented already")));
                }
                tx.update(&[(rec, new)]).await?;
            }
            Verdict::Reject => tx.reject_flow(site, id, &reason).await?,
        }
        tx.commit().await?;
        Ok(())
    }

    /// Decides on a proposal: accepting applies the observed value to the asset.
    pub async fn review_proposal(&self, ctx: &Ctx, id: i64, verdict: Verdict, reason: &str) -> Result<()> {
        let reason = reason_of(reason)?;
        let p = self.store().proposal(&ctx.actor.scope, id).await?;
        self.authorize_write(ctx, EntityKind::Proposal, Some(id), Some(p.site_id)).await?;
        if p.status != "open" {
            return Err(AppError::Conflict(format!("proposal {id} was {} already", p.status)));
        }
        let mut meta = self.meta(ctx);
        meta.reason = Some(reason.clone());
        let mut tx = self.store().begin_import(&meta).await?;
        if verdict == Verdict::Confirm {
            let rec = self.get::<Asset>(ctx, p.asset_id).await?;
            let mut input = match serde_json::to_value(c981_domain::entity::Entity::to_input(&rec.data)) {
                Ok(Value::Object(m)) => m,
                _ => return Err(AppError::Internal("an asset's input is not an object".into())),
            };
            input.insert(p.field.clone(), p.proposed_value.clone());
            let input = crate::input_from_json::<Asset>(Value::Object(input))?;
            let new = <Asset as c981_domain::entity::Entity>::parse(&input)?;
            tx.update(&[(rec, new)]).await?;
            tx.observe(
                p.site_id,
                &[c981_store::Observation {
                    asset_id: p.asset_id,
                    field: p.field.clone(),
                    value: p.proposed_value.clone(),
                    source: p.source.clone(),
                }],
            )
            .await?;
        }
        tx.decide_proposal(&p, if verdict == Verdict::Confirm { "accepted" } else { "rejected" }, &reason).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}
