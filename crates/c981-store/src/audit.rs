//! The audit trail in the database: appending inside a write transaction, reading an
//! entity's history, streaming the chain for verification and export.

use c981_domain::audit::{Action, AuditDraft, AuditEntry, Channel, seal};
use c981_domain::{EntityKind, Timestamp};
use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::{AuditMeta, Result, SiteScope, Store, StoreError};

pub(crate) fn parse_hash(s: &str) -> Result<[u8; 32]> {
    let mut h = [0u8; 32];
    hex::decode_to_slice(s, &mut h).map_err(|e| StoreError::Corrupt(format!("audit hash {s:?}: {e}")))?;
    Ok(h)
}

/// Appends an entry as number `seq` after `prev`; a trigger moves the chain head to it.
pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    seq: i64,
    prev: [u8; 32],
    draft: AuditDraft,
) -> Result<AuditEntry> {
    let e = seal(prev, seq, draft);
    let d = &e.draft;
    sqlx::query(
        "INSERT INTO audit_log (seq, format, at, actor_id, actor_name, actor_role, channel, request_id, action, entity_type, entity_id, site_id, reason, changes, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(e.seq)
    .bind(i64::from(e.format))
    .bind(d.at.micros())
    .bind(&d.actor_id)
    .bind(&d.actor_name)
    .bind(&d.actor_role)
    .bind(d.channel.as_str())
    .bind(&d.request_id)
    .bind(d.action.as_str())
    .bind(&d.entity_type)
    .bind(d.entity_id)
    .bind(d.site_id)
    .bind(d.reason.as_deref())
    .bind(&d.changes)
    .bind(hex::encode(e.prev_hash))
    .bind(hex::encode(e.hash))
    .execute(&mut **tx)
    .await?;
    // The insert trigger moves the chain head to this entry.
    Ok(e)
}

const COLUMNS: &str = "seq, format, at, actor_id, actor_name, actor_role, channel, request_id, action, entity_type, entity_id, site_id, reason, changes, prev_hash, hash";

fn entry(row: &AnyRow) -> Result<AuditEntry> {
    let seq: i64 = row.try_get(0)?;
    let bad = |what: &str, e: String| StoreError::Corrupt(format!("audit entry {seq}: {what}: {e}"));
    let format: i64 = row.try_get(1)?;
    Ok(AuditEntry {
        seq,
        format: i32::try_from(format).map_err(|e| bad("format", e.to_string()))?,
        draft: AuditDraft {
            at: Timestamp::from_micros(row.try_get(2)?),
            actor_id: row.try_get(3)?,
            actor_name: row.try_get(4)?,
            actor_role: row.try_get(5)?,
            channel: Channel::parse(&row.try_get::<String, _>(6)?).map_err(|e| bad("channel", e))?,
            request_id: row.try_get(7)?,
            action: Action::parse(&row.try_get::<String, _>(8)?).map_err(|e| bad("action", e))?,
            entity_type: row.try_get(9)?,
            entity_id: row.try_get(10)?,
            site_id: row.try_get(11)?,
            reason: row.try_get(12)?,
            changes: row.try_get(13)?,
        },
        prev_hash: parse_hash(&row.try_get::<String, _>(14)?)?,
        hash: parse_hash(&row.try_get::<String, _>(15)?)?,
    })
}

/// A filter over the audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub entity_type: Option<EntityKind>,
    pub entity_id: Option<i64>,
    pub after_seq: Option<i64>,
    pub limit: Option<u32>,
    /// Newest first (history views) instead of chain order.
    pub newest_first: bool,
}

impl Store {
    /// Appends a standalone entry (an access denial, a signed checkpoint): its own write
    /// transaction.
    pub async fn append_audit(
        &self,
        meta: &AuditMeta,
        action: Action,
        entity_type: EntityKind,
        entity_id: Option<i64>,
        site_id: Option<i64>,
        changes: String,
    ) -> Result<AuditEntry> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let e = append(&mut tx, seq, prev, meta.draft(action, entity_type, entity_id, site_id, changes)).await?;
        tx.commit().await?;
        Ok(e)
    }

    /// The chain head as the head row records it: (last sequence number, its hash).
    pub async fn audit_head(&self) -> Result<(i64, [u8; 32])> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&self.read).await?;
        Ok((row.try_get(0)?, parse_hash(&row.try_get::<String, _>(1)?)?))
    }

    /// One entry by its sequence number.
    pub async fn audit_entry(&self, seq: i64) -> Result<Option<AuditEntry>> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM audit_log WHERE seq = $1")))
            .bind(seq)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(entry).transpose()
    }

    /// Entries matching `q`, restricted to `scope` (entries about sites outside it are left
    /// out; entries about no site are shown only to callers who see all sites).
    pub async fn audit_entries(&self, scope: &SiteScope, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut sql = crate::crud::Sql::new(self.backend(), &format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1"));
        use crate::json::Val;
        crate::crud::scope_on(&mut sql, "site_id", scope);
        if let Some(t) = q.entity_type {
            sql.push(" AND entity_type = ").arg(Val::Text(Some(t.as_str().to_owned())));
        }
        if let Some(id) = q.entity_id {
            sql.push(" AND entity_id = ").arg(Val::Int(Some(id)));
        }
        if let Some(f) = q.from {
            sql.push(" AND at >= ").arg(Val::Int(Some(f.micros())));
        }
        if let Some(t) = q.to {
            sql.push(" AND at < ").arg(Val::Int(Some(t.micros())));
        }
        if let Some(a) = q.after_seq {
            sql.push(if q.newest_first { " AND seq < " } else { " AND seq > " }).arg(Val::Int(Some(a)));
        }
        sql.push(if q.newest_first { " ORDER BY seq DESC" } else { " ORDER BY seq" });
        if let Some(l) = q.limit {
            sql.push(" LIMIT ").arg(Val::Int(Some(i64::from(l))));
        }
        let rows = sql.query().fetch_all(&self.read).await?;
        rows.iter().map(entry).collect()
    }

    /// Streams the whole chain in order to `visit`, in constant memory, until `visit` breaks
    /// with a value (returned) or the chain ends (`None`).
    pub async fn for_each_audit_entry<B>(
        &self,
        mut visit: impl FnMut(AuditEntry) -> std::ops::ControlFlow<B>,
    ) -> Result<Option<B>> {
        let sql = format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq");
        let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&self.read);
        while let Some(row) = rows.try_next().await? {
            if let std::ops::ControlFlow::Break(b) = visit(entry(&row)?) {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }
}
