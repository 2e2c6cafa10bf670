//! Storage for the inventory formalised over time: imports written as one transaction (records
//! created and changed, each with its audit entry, the observed values with their provenance,
//! proposals of observed values that differ from declared ones, and the import's history row),
//! the review decisions, and the Sparkplug B identities and liveness of discovered assets.

use std::collections::{HashMap, HashSet};

use c981_domain::audit::{Action, changes_json};
use c981_domain::{EntityKind, Record, SiteId, Timestamp};
use serde_json::Value;
use sqlx::{Any, Row, Transaction};

use crate::crud::{Sql, scope_on};
use crate::json::{Val, decode, select_list};
use crate::tables::Table;
use crate::{AuditMeta, Backend, Result, SiteScope, Store, StoreError};

/// An import's history row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportRow {
    pub id: i64,
    pub site_id: SiteId,
    pub kind: String,
    pub channel: String,
    pub source: String,
    pub sha256: String,
    pub actor_name: String,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub rows_read: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub staged: i64,
    pub proposals: i64,
    pub note: String,
}

/// A proposal: an observed value that differs from the declared one.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProposalRow {
    pub id: i64,
    pub site_id: SiteId,
    pub asset_id: i64,
    pub field: String,
    pub current_value: Value,
    pub proposed_value: Value,
    pub source: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub status: String,
    pub decided_by: String,
    pub reason: String,
}

/// A new proposal (or a sighting of an open one).
#[derive(Debug, Clone)]
pub struct NewProposal {
    pub asset_id: i64,
    pub field: String,
    pub current_value: Value,
    pub proposed_value: Value,
    pub source: String,
}

/// An observed field value with its source.
#[derive(Debug, Clone)]
pub struct Observation {
    pub asset_id: i64,
    pub field: String,
    pub value: Value,
    pub source: String,
}

/// The liveness of a Sparkplug identity.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Liveness {
    pub spb_key: String,
    pub asset_id: i64,
    pub online: bool,
    pub changed_at: Timestamp,
    pub last_message_at: Timestamp,
    pub bd_seq: Option<i64>,
}

fn time(s: &str) -> Result<Timestamp> {
    Timestamp::parse(s).map_err(|e| StoreError::Corrupt(format!("a timestamp: {e}")))
}

fn json_of(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::String(s.to_owned()))
}

/// One write transaction for an import or a discovery batch: everything it writes is stored
/// together at [`ImportTx::finish`], or not at all (dropping it rolls back).
pub struct ImportTx {
    store: Store,
    tx: Transaction<'static, Any>,
    at: (i64, [u8; 32]),
    meta: AuditMeta,
    written: usize,
    /// Rows changed that have no audit entry (liveness, observations).
    dirty: bool,
}

impl Store {
    /// Starts an import's transaction (it holds the audit chain head: other writers wait).
    pub async fn begin_import(&self, meta: &AuditMeta) -> Result<ImportTx> {
        let (tx, seq, prev) = self.begin_write().await?;
        Ok(ImportTx { store: self.clone(), tx, at: (seq, prev), meta: meta.clone(), written: 0, dirty: false })
    }

    /// The identity keys (`ip`, `mac`, `serial`) of a site's assets: `(asset id, kind, value)`,
    /// read as one aggregated value.
    pub async fn asset_keys_of(&self, site: SiteId) -> Result<Vec<(i64, String, String)>> {
        let (agg, sep) = agg(self.backend);
        let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {agg}(CAST(asset_id AS TEXT) || '|' || kind || '|' || value, {sep}) FROM asset_keys WHERE site_id = $1"
        )))
        .bind(site.get())
        .fetch_one(&self.read)
        .await?;
        let mut out = Vec::new();
        for l in text.unwrap_or_default().lines() {
            let mut f = l.splitn(3, '|');
            if let (Some(id), Some(k), Some(v)) = (f.next(), f.next(), f.next())
                && let Ok(id) = id.parse()
            {
                out.push((id, k.to_owned(), v.to_owned()));
            }
        }
        Ok(out)
    }

    /// The assets of a site holding any of `values` as an identity key (an IP address, MAC
    /// address or lower-cased serial): `(asset id, kind, value)`.
    pub async fn asset_keys_among(&self, site: SiteId, values: &[String]) -> Result<Vec<(i64, String, String)>> {
        let mut out = Vec::new();
        for chunk in values.chunks(400) {
            let mut sql = Sql::new(self.backend, "SELECT asset_id, kind, value FROM asset_keys WHERE value IN ");
            sql.list(chunk.iter().map(|v| Val::Text(Some(v.clone()))));
            sql.push(" AND site_id = ").arg(Val::Int(Some(site.get())));
            for r in sql.query().fetch_all(&self.read).await? {
                out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
            }
        }
        Ok(out)
    }

    /// The assets of a site named exactly one of `names`: `(id, name)`.
    pub async fn assets_named(&self, site: SiteId, names: &[String]) -> Result<Vec<(i64, String)>> {
        let mut out = Vec::new();
        for chunk in names.chunks(400) {
            let mut sql = Sql::new(self.backend, "SELECT id, name FROM assets WHERE site_id = ");
            sql.arg(Val::Int(Some(site.get()))).push(" AND name IN ");
            sql.list(chunk.iter().map(|v| Val::Text(Some(v.clone()))));
            for r in sql.query().fetch_all(&self.read).await? {
                out.push((r.try_get(0)?, r.try_get(1)?));
            }
        }
        Ok(out)
    }

    /// Streams the identity keys of a site's assets to `f` as `(asset id, kind, value)`:
    /// `ip`, `mac` and `serial` keys, and `name` (as stored; the caller folds case).
    pub async fn for_each_asset_key(&self, site: SiteId, mut f: impl FnMut(i64, &str, &str)) -> Result<()> {
        use futures_util::TryStreamExt as _;
        let mut rows = sqlx::query(
            "SELECT asset_id, kind, value FROM asset_keys WHERE site_id = $1 \
             UNION ALL SELECT id, 'name', name FROM assets WHERE site_id = $2",
        )
        .bind(site.get())
        .bind(site.get())
        .fetch(&self.read);
        while let Some(r) = rows.try_next().await? {
            let id: i64 = r.try_get(0)?;
            let kind: &str = r.try_get(1)?;
            let value: &str = r.try_get(2)?;
            f(id, kind, value);
        }
        Ok(())
    }

    /// The identity keys of a site's flows, `(id, "source|destination|protocol|port")`, as
    /// the unique constraint has them.
    pub async fn flow_keys_of(&self, site: SiteId) -> Result<Vec<(i64, String)>> {
        let (agg, sep) = agg(self.backend);
        let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {agg}(CAST(id AS TEXT) || '|' || source_key || '|' || destination_key || '|' || protocol || '|' || CAST(port_key AS TEXT), {sep}) FROM flows WHERE site_id = $1"
        )))
        .bind(site.get())
        .fetch_one(&self.read)
        .await?;
        Ok(text
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('|').and_then(|(id, k)| Some((id.parse().ok()?, k.to_owned()))))
            .collect())
    }

    /// The names of a table's records in a site: `(id, name)`.
    pub async fn names_of(&self, table: &str, site: SiteId) -> Result<Vec<(i64, String)>> {
        let (agg, sep) = agg(self.backend);
        // Names hold no line breaks (they are validated `Name`s).
        let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {agg}(CAST(id AS TEXT) || '|' || name, {sep}) FROM {} WHERE site_id = $1",
            crate::tables::table_of(kind_of_table(table)?)
        )))
        .bind(site.get())
        .fetch_one(&self.read)
        .await?;
        Ok(text
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('|').and_then(|(id, n)| Some((id.parse().ok()?, n.to_owned()))))
            .collect())
    }

    /// Typed records of a site by id (those that exist).
    pub async fn records_by_ids<T: Table>(&self, site: SiteId, ids: &[i64]) -> Result<Vec<Record<T>>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut sql =
                Sql::new(self.backend, &format!("SELECT {} FROM {} WHERE site_id = ", select_list::<T>(), T::TABLE));
            sql.arg(Val::Int(Some(site.get()))).push(" AND id IN ");
            sql.list(chunk.iter().map(|id| Val::Int(Some(*id))));
            for row in sql.query().fetch_all(&self.read).await? {
                out.push(decode::<T>(&row)?);
            }
        }
        Ok(out)
    }

    /// The observed values of assets, by (asset, field).
    pub async fn observations_of(&self, site: SiteId, ids: &[i64]) -> Result<HashMap<(i64, String), Value>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut sql =
                Sql::new(self.backend, "SELECT asset_id, field, value FROM asset_observations WHERE site_id = ");
            sql.arg(Val::Int(Some(site.get()))).push(" AND asset_id IN ");
            sql.list(chunk.iter().map(|id| Val::Int(Some(*id))));
            for r in sql.query().fetch_all(&self.read).await? {
                out.insert((r.try_get(0)?, r.try_get(1)?), json_of(&r.try_get::<String, _>(2)?));
            }
        }
        Ok(out)
    }

    /// The identities a person rejected in review.
    pub async fn rejected_keys(&self, site: SiteId) -> Result<HashSet<String>> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT key FROM inventory_rejections WHERE site_id = $1")
            .bind(site.get())
            .fetch_all(&self.read)
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// An import of the same file (by SHA-256) and kind into the site, if there was one.
    pub async fn import_by_sha(&self, site: SiteId, kind: &str, sha256: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM imports WHERE site_id = $1 AND kind = $2 AND sha256 = $3 ORDER BY id LIMIT 1",
        )
        .bind(site.get())
        .bind(kind)
        .bind(sha256)
        .fetch_optional(&self.read)
        .await?)
    }

    /// The import history of the sites in `scope` (or one site), newest first.
    pub async fn imports(
        &self,
        scope: &SiteScope,
        site: Option<SiteId>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<ImportRow>> {
        let mut sql = Sql::new(self.backend, &format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE 1 = 1"));
        scope_on(&mut sql, "site_id", scope);
        if let Some(s) = site {
            sql.push(" AND site_id = ").arg(Val::Int(Some(s.get())));
        }
        if let Some(b) = before {
            sql.push(" AND id < ").arg(Val::Int(Some(b)));
        }
        sql.push(" ORDER BY id DESC LIMIT ").arg(Val::Int(Some(i64::from(limit.clamp(1, 1000)))));
        sql.query().fetch_all(&self.read).await?.iter().map(import_row).collect()
    }

    /// One import, within `scope`.
    pub async fn import(&self, scope: &SiteScope, id: i64) -> Result<ImportRow> {
        let mut sql = Sql::new(self.backend, &format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE id = "));
        sql.arg(Val::Int(Some(id)));
        scope_on(&mut sql, "site_id", scope);
        let row = sql.query().fetch_optional(&self.read).await?;
        row.as_ref().map(import_row).transpose()?.ok_or(StoreError::NotFound { kind: EntityKind::Import, id })
    }

    /// Open proposals of a site (or one of them by id), oldest first.
    pub async fn proposals(&self, site: SiteId, status: &str) -> Result<Vec<ProposalRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PROPOSAL_COLUMNS} FROM asset_proposals WHERE site_id = $1 AND status = $2 ORDER BY id LIMIT 5000"
        )))
        .bind(site.get())
        .bind(status)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(proposal_row).collect()
    }

    /// One proposal within `scope`.
    pub async fn proposal(&self, scope: &SiteScope, id: i64) -> Result<ProposalRow> {
        let mut sql = Sql::new(self.backend, &format!("SELECT {PROPOSAL_COLUMNS} FROM asset_proposals WHERE id = "));
        sql.arg(Val::Int(Some(id)));
        scope_on(&mut sql, "site_id", scope);
        let row = sql.query().fetch_optional(&self.read).await?;
        row.as_ref().map(proposal_row).transpose()?.ok_or(StoreError::NotFound { kind: EntityKind::Proposal, id })
    }

    /// Ids of observed flows of a site a person rejected.
    pub async fn reviewed_flows(&self, site: SiteId) -> Result<HashSet<i64>> {
        let rows: Vec<i64> = sqlx::query_scalar("SELECT flow_id FROM flow_reviews WHERE site_id = $1")
            .bind(site.get())
            .fetch_all(&self.read)
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// The asset a Sparkplug identity was matched to.
    pub async fn sparkplug_asset(&self, site: SiteId, key: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT asset_id FROM sparkplug_assets WHERE site_id = $1 AND spb_key = $2")
            .bind(site.get())
            .bind(key)
            .fetch_optional(&self.read)
            .await?)
    }

    /// The liveness of a site's Sparkplug identities.
    pub async fn liveness(&self, site: SiteId) -> Result<Vec<Liveness>> {
        let rows = sqlx::query(
            "SELECT spb_key, asset_id, CASE WHEN online THEN 1 ELSE 0 END, changed_at, last_message_at, bd_seq FROM sparkplug_assets WHERE site_id = $1 ORDER BY spb_key",
        )
        .bind(site.get())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Liveness {
                    spb_key: r.try_get(0)?,
                    asset_id: r.try_get(1)?,
                    online: r.try_get::<i64, _>(2)? != 0,
                    changed_at: time(&r.try_get::<String, _>(3)?)?,
                    last_message_at: time(&r.try_get::<String, _>(4)?)?,
                    bd_seq: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// Refreshes the last message time of identities (coalesced data messages): one
    /// statement per batch, not audited (telemetry).
    pub async fn touch_liveness(&self, site: SiteId, keys: &[(String, Timestamp)]) -> Result<()> {
        for chunk in keys.chunks(500) {
            let mut sql = Sql::new(self.backend, "UPDATE sparkplug_assets SET last_message_at = CASE spb_key");
            for (k, t) in chunk {
                sql.push(" WHEN ").arg(Val::Text(Some(k.clone()))).push(" THEN ").arg(Val::Text(Some(t.to_string())));
            }
            sql.push(" ELSE last_message_at END WHERE site_id = ").arg(Val::Int(Some(site.get())));
            sql.push(" AND spb_key IN ").list(chunk.iter().map(|(k, _)| Val::Text(Some(k.clone()))));
            sql.query().execute(&self.write).await?;
        }
        Ok(())
    }
}

fn agg(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Sqlite => ("group_concat", "char(10)"),
        Backend::Postgres => ("string_agg", "chr(10)"),
    }
}

fn kind_of_table(table: &str) -> Result<EntityKind> {
    match table {
        "assets" => Ok(EntityKind::Asset),
        "zones" => Ok(EntityKind::Zone),
        "conduits" => Ok(EntityKind::Conduit),
        "interfaces" => Ok(EntityKind::Interface),
        other => Err(StoreError::Corrupt(format!("{other} has no names"))),
    }
}

const IMPORT_COLUMNS: &str = "id, site_id, kind, channel, source, sha256, actor_name, started_at, finished_at, rows_read, created, updated, unchanged, rejected, staged, proposals, note";
const PROPOSAL_COLUMNS: &str = "id, site_id, asset_id, field, current_value, proposed_value, source, first_seen, last_seen, status, decided_by, reason";

fn import_row(r: &sqlx::any::AnyRow) -> Result<ImportRow> {
    Ok(ImportRow {
        id: r.try_get(0)?,
        site_id: SiteId::new(r.try_get(1)?),
        kind: r.try_get(2)?,
        channel: r.try_get(3)?,
        source: r.try_get(4)?,
        sha256: r.try_get(5)?,
        actor_name: r.try_get(6)?,
        started_at: time(&r.try_get::<String, _>(7)?)?,
        finished_at: time(&r.try_get::<String, _>(8)?)?,
        rows_read: r.try_get(9)?,
        created: r.try_get(10)?,
        updated: r.try_get(11)?,
        unchanged: r.try_get(12)?,
        rejected: r.try_get(13)?,
        staged: r.try_get(14)?,
        proposals: r.try_get(15)?,
        note: r.try_get(16)?,
    })
}

fn proposal_row(r: &sqlx::any::AnyRow) -> Result<ProposalRow> {
    Ok(ProposalRow {
        id: r.try_get(0)?,
        site_id: SiteId::new(r.try_get(1)?),
        asset_id: r.try_get(2)?,
        field: r.try_get(3)?,
        current_value: json_of(&r.try_get::<String, _>(4)?),
        proposed_value: json_of(&r.try_get::<String, _>(5)?),
        source: r.try_get(6)?,
        first_seen: time(&r.try_get::<String, _>(7)?)?,
        last_seen: time(&r.try_get::<String, _>(8)?)?,
        status: r.try_get(9)?,
        decided_by: r.try_get(10)?,
        reason: r.try_get(11)?,
    })
}

/// What an import's history row records.
#[derive(Debug, Clone, Default)]
pub struct NewImport {
    pub site_id: i64,
    pub kind: String,
    pub source: String,
    pub sha256: String,
    pub started_at: Option<Timestamp>,
    pub rows_read: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub staged: i64,
    pub proposals: i64,
    pub note: String,
}

impl ImportTx {
    /// Creates records, each with its audit entry.
    pub async fn create<T: Table>(&mut self, items: &[T]) -> Result<Vec<i64>> {
        let (ids, at) = self.store.insert_batch(&mut self.tx, self.at, items, &self.meta).await?;
        self.at = at;
        self.written += ids.len();
        Ok(ids)
    }

    /// Rewrites records (`(old, new)` pairs), each change with its audit entry.
    pub async fn update<T: Table>(&mut self, pairs: &[(Record<T>, T)]) -> Result<()> {
        let before = self.at.0;
        self.at = self.store.update_batch(&mut self.tx, self.at, pairs, &self.meta).await?;
        self.written += (self.at.0 - before) as usize;
        Ok(())
    }

    /// Deletes a record (a staged asset merged into another, or rejected), with its audit entry.
    pub async fn delete<T: Table>(&mut self, old: &Record<T>) -> Result<()> {
        let id: i64 = old.id.into();
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {} WHERE id = $1", T::TABLE)))
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(crate::crud::map_write_error::<T>)?;
        let changes = changes_json(&c981_domain::audit::diff(Some(&crate::json::data_json(&old.data)?), None));
        let site = old.data.site_id().map(|s| s.get());
        let draft = self.meta.draft(Action::Delete, T::KIND, Some(id), site, changes);
        self.at = self.store.append_drafts(&mut self.tx, self.at, std::iter::once(Ok(draft))).await?;
        self.written += 1;
        Ok(())
    }

    /// Records where observed values came from (replacing earlier observations of the fields).
    pub async fn observe(&mut self, site: SiteId, rows: &[Observation]) -> Result<()> {
        let at = self.meta.at.to_string();
        for chunk in rows.chunks(1000) {
            let mut sql = Sql::new(
                self.store.backend,
                "INSERT INTO asset_observations (asset_id, site_id, field, value, source, observed_at) VALUES ",
            );
            for (i, o) in chunk.iter().enumerate() {
                sql.push(if i > 0 { ", (" } else { "(" });
                sql.arg(Val::Int(Some(o.asset_id))).push(", ").arg(Val::Int(Some(site.get()))).push(", ");
                sql.arg(Val::Text(Some(o.field.clone())))
                    .push(", ")
                    .arg(Val::Text(Some(o.value.to_string())))
                    .push(", ");
                sql.arg(Val::Text(Some(o.source.clone()))).push(", ").arg(Val::Text(Some(at.clone()))).push(")");
            }
            sql.push(" ON CONFLICT (asset_id, field) DO UPDATE SET value = excluded.value, source = excluded.source, observed_at = excluded.observed_at");
            sql.query().execute(&mut *self.tx).await?;
            self.dirty = true;
        }
        Ok(())
    }

    /// Files proposals (an open proposal seen again only has its last sighting moved); returns
    /// how many are new. Each new one is audited.
    pub async fn propose(&mut self, site: SiteId, rows: &[NewProposal]) -> Result<usize> {
        let at = self.meta.at.to_string();
        let mut new = 0;
        for p in rows {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO asset_proposals (site_id, asset_id, field, current_value, proposed_value, source, first_seen, last_seen) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (asset_id, field, proposed_value) DO NOTHING RETURNING id",
            )
            .bind(site.get())
            .bind(p.asset_id)
            .bind(&p.field)
            .bind(p.current_value.to_string())
            .bind(p.proposed_value.to_string())
            .bind(&p.source)
            .bind(&at)
            .fetch_optional(&mut *self.tx)
            .await?;
            match id {
                Some(id) => {
                    new += 1;
                    let changes = serde_json::json!({
                        "asset_id": { "old": null, "new": p.asset_id },
                        "field": { "old": null, "new": p.field },
                        "current_value": { "old": null, "new": p.current_value },
                        "proposed_value": { "old": null, "new": p.proposed_value },
                        "source": { "old": null, "new": p.source },
                    })
                    .to_string();
                    let d = self.meta.draft(Action::Create, EntityKind::Proposal, Some(id), Some(site.get()), changes);
                    self.at = self.store.append_drafts(&mut self.tx, self.at, std::iter::once(Ok(d))).await?;
                    self.written += 1;
                }
                None => {
                    sqlx::query(
                        "UPDATE asset_proposals SET last_seen = $1 WHERE asset_id = $2 AND field = $3 AND proposed_value = $4",
                    )
                    .bind(&at)
                    .bind(p.asset_id)
                    .bind(&p.field)
                    .bind(p.proposed_value.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                }
            }
        }
        Ok(new)
    }

    /// Decides a proposal (accepted or rejected, with the reason), audited.
    pub async fn decide_proposal(&mut self, p: &ProposalRow, status: &str, reason: &str) -> Result<()> {
        sqlx::query(
            "UPDATE asset_proposals SET status = $1, decided_by = $2, decided_at = $3, reason = $4 WHERE id = $5 AND status = 'open'",
        )
        .bind(status)
        .bind(&self.meta.actor_name)
        .bind(self.meta.at.to_string())
        .bind(reason)
        .bind(p.id)
        .execute(&mut *self.tx)
        .await?;
        let changes =
            serde_json::json!({ "status": { "old": "open", "new": status }, "reason": { "old": null, "new": reason } })
                .to_string();
        let d = self.meta.draft(Action::Update, EntityKind::Proposal, Some(p.id), Some(p.site_id.get()), changes);
        self.at = self.store.append_drafts(&mut self.tx, self.at, std::iter::once(Ok(d))).await?;
        self.written += 1;
        Ok(())
    }

    /// Records a rejected identity (not staged again) and a rejected flow review.
    pub async fn reject_keys(&mut self, site: SiteId, keys: &[String], reason: &str) -> Result<()> {
        for k in keys {
            sqlx::query(
                "INSERT INTO inventory_rejections (site_id, key, reason, actor_name, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (site_id, key) DO UPDATE SET reason = excluded.reason",
            )
            .bind(site.get())
            .bind(k)
            .bind(reason)
            .bind(&self.meta.actor_name)
            .bind(self.meta.at.to_string())
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// Marks an observed flow as reviewed and rejected (not intended), audited.
    pub async fn reject_flow(&mut self, site: SiteId, flow_id: i64, reason: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO flow_reviews (flow_id, site_id, decision, reason, actor_name, decided_at) VALUES ($1, $2, 'rejected', $3, $4, $5) \
             ON CONFLICT (flow_id) DO UPDATE SET reason = excluded.reason, decided_at = excluded.decided_at",
        )
        .bind(flow_id)
        .bind(site.get())
        .bind(reason)
        .bind(&self.meta.actor_name)
        .bind(self.meta.at.to_string())
        .execute(&mut *self.tx)
        .await?;
        let changes =
            serde_json::json!({ "review": { "old": null, "new": "rejected" }, "reason": { "old": null, "new": reason } })
                .to_string();
        let d = self.meta.draft(Action::Update, EntityKind::Flow, Some(flow_id), Some(site.get()), changes);
        self.at = self.store.append_drafts(&mut self.tx, self.at, std::iter::once(Ok(d))).await?;
        self.written += 1;
        Ok(())
    }

    /// Links a Sparkplug identity to an asset and records its liveness.
    pub async fn set_sparkplug(
        &mut self,
        site: SiteId,
        key: &str,
        asset_id: i64,
        online: bool,
        bd_seq: Option<i64>,
    ) -> Result<()> {
        let at = self.meta.at.to_string();
        sqlx::query(
            "INSERT INTO sparkplug_assets (site_id, spb_key, asset_id, online, changed_at, last_message_at, bd_seq) VALUES ($1, $2, $3, $4, $5, $5, $6) \
             ON CONFLICT (site_id, spb_key) DO UPDATE SET asset_id = excluded.asset_id, changed_at = CASE WHEN sparkplug_assets.online = excluded.online THEN sparkplug_assets.changed_at ELSE excluded.changed_at END, \
             online = excluded.online, last_message_at = excluded.last_message_at, bd_seq = coalesce(excluded.bd_seq, sparkplug_assets.bd_seq)",
        )
        .bind(site.get())
        .bind(key)
        .bind(asset_id)
        .bind(online)
        .bind(&at)
        .bind(bd_seq)
        .execute(&mut *self.tx)
        .await?;
        self.dirty = true;
        Ok(())
    }

    /// Commits, with the import's history row and an `import` audit entry that names the file,
    /// its SHA-256 and the counts. Returns the import's id.
    pub async fn finish(mut self, import: NewImport) -> Result<i64> {
        let started = import.started_at.unwrap_or(self.meta.at);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO imports (site_id, kind, channel, source, sha256, actor_name, started_at, finished_at, rows_read, created, updated, unchanged, rejected, staged, proposals, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
        )
        .bind(import.site_id)
        .bind(&import.kind)
        .bind(self.meta.channel.as_str())
        .bind(&import.source)
        .bind(&import.sha256)
        .bind(&self.meta.actor_name)
        .bind(started.to_string())
        .bind(self.meta.at.to_string())
        .bind(import.rows_read)
        .bind(import.created)
        .bind(import.updated)
        .bind(import.unchanged)
        .bind(import.rejected)
        .bind(import.staged)
        .bind(import.proposals)
        .bind(&import.note)
        .fetch_one(&mut *self.tx)
        .await?;
        let changes = serde_json::json!({
            "kind": { "old": null, "new": import.kind },
            "file": { "old": null, "new": import.source },
            "sha256": { "old": null, "new": import.sha256 },
            "rows": { "old": null, "new": import.rows_read },
            "created": { "old": null, "new": import.created },
            "updated": { "old": null, "new": import.updated },
            "unchanged": { "old": null, "new": import.unchanged },
            "rejected": { "old": null, "new": import.rejected },
            "staged": { "old": null, "new": import.staged },
            "proposals": { "old": null, "new": import.proposals },
        })
        .to_string();
        let d = self.meta.draft(Action::Import, EntityKind::Import, Some(id), Some(import.site_id), changes);
        self.store.append_drafts(&mut self.tx, self.at, std::iter::once(Ok(d))).await?;
        self.tx.commit().await?;
        Ok(id)
    }

    /// Commits what was written without a history row (a discovery batch). A batch that wrote
    /// no audit entry gives the chain head back: the sequence number it took is returned
    /// (nothing was chained to it), and only its unaudited rows (liveness) are kept.
    pub async fn commit(mut self) -> Result<()> {
        if self.written == 0 {
            if !self.dirty {
                let _ = self.tx.rollback().await;
                return Ok(());
            }
            sqlx::query("UPDATE audit_head SET seq = seq - 1 WHERE id = 1").execute(&mut *self.tx).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}
