//! Bulk creation: thousands of records in one transaction with multi-row statements, each
//! record still with its own audit entry (batched too), so a million-asset estate loads in
//! seconds and stays traceable record by record.

use std::collections::HashSet;

use c981_domain::audit::{Action, AuditEntry, changes_json, diff, seal};
use c981_domain::{EntityKind, FieldError, ValidationError};
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::crud::{Sql, map_write_error};
use crate::json::{Val, data_json, values, write_columns};
use crate::tables::{Table, table_of};
use crate::{AuditMeta, Backend, Result, Store, StoreError};

/// Most bound parameters per statement (SQLite allows 32,766, PostgreSQL 65,535).
const MAX_PARAMS: usize = 30_000;

impl Store {
    /// Creates all `items` in one transaction: all or nothing. Returns their ids in order.
    pub async fn bulk_create<T: Table>(&self, items: &[T], meta: &AuditMeta) -> Result<Vec<i64>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let (mut tx, seq, prev) = self.begin_write().await?;
        let (ids, _) = self.insert_batch(&mut tx, (seq, prev), items, meta).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Inserts `items` inside a write transaction at chain position `at` (the next sequence
    /// number and the previous hash), with one audit entry each; returns their ids and the
    /// chain position after them.
    pub(crate) async fn insert_batch<T: Table>(
        &self,
        tx: &mut Transaction<'static, Any>,
        at: (i64, [u8; 32]),
        items: &[T],
        meta: &AuditMeta,
    ) -> Result<(Vec<i64>, (i64, [u8; 32]))> {
        if items.is_empty() {
            return Ok((Vec::new(), at));
        }
        let (seq, prev) = at;
        self.check_refs_cached(tx, items).await?;
        let first = self.allocate_ids(tx, T::TABLE, items.len() as i64).await?;
        let ids: Vec<i64> = (first..first + items.len() as i64).collect();
        let now = meta.at.to_string();

        let cols: Vec<&str> = write_columns::<T>().collect();
        let per_row = cols.len() + 4;
        let chunk = (MAX_PARAMS / per_row).clamp(1, 500);
        // Each record's column values, computed once: for the insert and for its audit entry.
        let all: Vec<Vec<Val>> = items.iter().map(values).collect::<Result<_>>()?;
        for (n, batch) in all.chunks(chunk).enumerate() {
            let mut sql = Sql::new(
                self.backend(),
                &format!("INSERT INTO {} (id, {}, version, created_at, updated_at) VALUES ", T::TABLE, cols.join(", ")),
            );
            for (i, vals) in batch.iter().enumerate() {
                sql.push(if i > 0 { ", (" } else { "(" });
                sql.arg(Val::Int(Some(ids[n * chunk + i])));
                for v in vals {
                    sql.push(", ").arg(v.clone());
                }
                sql.push(", 1, ")
                    .arg(Val::Text(Some(now.clone())))
                    .push(", ")
                    .arg(Val::Text(Some(now.clone())))
                    .push(")");
            }
            sql.query().execute(&mut **tx).await.map_err(map_write_error::<T>)?;
        }

        // Extra rows (conduit zones, the records of risks; asset keys are written by a
        // trigger), per link table.
        let mut links: std::collections::BTreeMap<String, Vec<[Val; 4]>> = Default::default();
        for (item, id) in items.iter().zip(&ids) {
            let site = Val::Int(item.site_id().map(|s| s.get()));
            let item_links = item.links();
            for set in item_links.sets() {
                let rows = links
                    .entry(format!("{} ({}, site_id, {}, position)", set.table, set.owner, set.target))
                    .or_default();
                for (pos, x) in set.ids.iter().enumerate() {
                    rows.push([Val::Int(Some(*id)), site.clone(), Val::Int(Some(*x)), Val::Int(Some(pos as i64))]);
                }
            }
        }
        for (link_table, rows) in &links {
            for batch in rows.chunks(1000) {
                let mut sql = Sql::new(self.backend(), &format!("INSERT INTO {link_table} VALUES "));
                for (i, row) in batch.iter().enumerate() {
                    sql.push(if i > 0 { ", (" } else { "(" });
                    for (j, v) in row.iter().enumerate() {
                        if j > 0 {
                            sql.push(", ");
                        }
                        sql.arg(v.clone());
                    }
                    sql.push(")");
                }
                sql.query().execute(&mut **tx).await?;
            }
        }

        // One audit entry per record, chained in order, inserted in batches.
        let drafts = items.iter().zip(&ids).zip(&all).map(|((item, id), vals)| {
            let changes = changes_json(&diff(None, Some(&crate::json::data_json_of::<T>(vals)?)));
            let site = item.site_id().map(|s| s.get()).or((T::KIND == EntityKind::Site).then_some(*id));
            Ok(meta.draft(Action::Create, T::KIND, Some(*id), site, changes))
        });
        let at = self.append_drafts(tx, (seq, prev), drafts).await?;
        Ok((ids, at))
    }

    /// Updates records inside a write transaction at chain position `at`: each `(old, new)`
    /// pair rewrites the row (and its links) and appends its audit entry with the fields that
    /// changed. Pairs whose data is equal are skipped. Returns the chain position after them.
    pub(crate) async fn update_batch<T: Table>(
        &self,
        tx: &mut Transaction<'static, Any>,
        at: (i64, [u8; 32]),
        pairs: &[(c981_domain::Record<T>, T)],
        meta: &AuditMeta,
    ) -> Result<(i64, [u8; 32])> {
        let cols: Vec<&str> = write_columns::<T>().collect();
        let mut text = format!("UPDATE {} SET ", T::TABLE);
        let mark = |n: usize| match self.backend() {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${n}"),
        };
        for (i, c) in cols.iter().enumerate() {
            text.push_str(&format!("{c} = {}, ", mark(i + 1)));
        }
        text.push_str(&format!(
            "version = version + 1, updated_at = {} WHERE id = {}",
            mark(cols.len() + 1),
            mark(cols.len() + 2)
        ));
        let now = meta.at.to_string();
        let mut drafts = Vec::with_capacity(pairs.len());
        for (old, new) in pairs {
            let changes = diff(Some(&data_json(&old.data)?), Some(&data_json(new)?));
            if changes.is_empty() {
                continue;
            }
            let id: i64 = old.id.into();
            let mut q = sqlx::query(AssertSqlSafe(text.as_str()));
            for v in values(new)? {
                q = crate::json::bind(q, v);
            }
            q.bind(now.clone()).bind(id).execute(&mut **tx).await.map_err(map_write_error::<T>)?;
            if !matches!(new.links(), crate::tables::Links::None) {
                crate::crud::write_links_in(tx, id, new).await?;
            }
            let site = new.site_id().map(|s| s.get());
            drafts.push(Ok(meta.draft(Action::Update, T::KIND, Some(id), site, changes_json(&changes))));
        }
        self.append_drafts(tx, at, drafts.into_iter()).await
    }

    /// Seals audit drafts in order from chain position `at` and inserts them in batches.
    pub(crate) async fn append_drafts(
        &self,
        tx: &mut Transaction<'static, Any>,
        at: (i64, [u8; 32]),
        drafts: impl Iterator<Item = Result<c981_domain::audit::AuditDraft>>,
    ) -> Result<(i64, [u8; 32])> {
        let (mut seq, mut prev_hash) = at;
        let mut entries: Vec<AuditEntry> = Vec::with_capacity(1800);
        for d in drafts {
            let e = seal(prev_hash, seq, d?);
            prev_hash = e.hash;
            seq += 1;
            entries.push(e);
            if entries.len() == 1800 {
                insert_entries(self.backend(), tx, &entries).await?;
                entries.clear();
            }
        }
        insert_entries(self.backend(), tx, &entries).await?;
        Ok((seq, prev_hash))
    }

    /// Checks references once per distinct target.
    async fn check_refs_cached<T: Table>(&self, tx: &mut Transaction<'static, Any>, items: &[T]) -> Result<()> {
        let mut seen: HashSet<(EntityKind, i64, i64)> = HashSet::new();
        for (n, item) in items.iter().enumerate() {
            let site = item.site_id().map(|s| s.get()).unwrap_or(0);
            for (field, kind, id) in item.refs() {
                if !seen.insert((kind, id, site)) {
                    continue;
                }
                let found: Option<i64> = if kind == EntityKind::Site {
                    sqlx::query_scalar("SELECT id FROM sites WHERE id = $1").bind(id).fetch_optional(&mut **tx).await?
                } else {
                    sqlx::query_scalar(AssertSqlSafe(format!(
                        "SELECT id FROM {} WHERE id = $1 AND site_id = $2",
                        table_of(kind)
                    )))
                    .bind(id)
                    .bind(site)
                    .fetch_optional(&mut **tx)
                    .await?
                };
                if found.is_none() {
                    return Err(StoreError::Invalid(ValidationError {
                        errors: vec![FieldError::new(
                            format!("[{n}].{field}"),
                            format!("there is no {} {id} in this site", kind.label().to_lowercase()),
                        )],
                    }));
                }
            }
        }
        Ok(())
    }

    /// Reserves `n` consecutive ids of `table` that were never used.
    async fn allocate_ids(&self, tx: &mut Transaction<'static, Any>, table: &str, n: i64) -> Result<i64> {
        match self.dialect() {
            Backend::Sqlite => {
                let used: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0), coalesce((SELECT max(id) FROM {table}), 0))"
                )))
                .fetch_one(&mut **tx)
                .await?;
                // Inserting explicit ids advances sqlite_sequence past them.
                Ok(used + 1)
            }
            Backend::Postgres => {
                let first: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT nextval(pg_get_serial_sequence('{table}', 'id'))"
                )))
                .fetch_one(&mut **tx)
                .await?;
                let row =
                    sqlx::query(AssertSqlSafe(format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), $1)")))
                        .bind(first + n - 1)
                        .fetch_one(&mut **tx)
                        .await?;
                let _: i64 = row.try_get(0)?;
                Ok(first)
            }
        }
    }
}

pub(crate) async fn insert_entries(
    backend: Backend,
    tx: &mut Transaction<'static, Any>,
    entries: &[AuditEntry],
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(
        backend,
        "INSERT INTO audit_log (seq, format, at, actor_id, actor_name, actor_role, channel, request_id, action, entity_type, entity_id, site_id, reason, changes, prev_hash, hash) VALUES ",
    );
    for (i, e) in entries.iter().enumerate() {
        let d = &e.draft;
        sql.push(if i > 0 { ", (" } else { "(" });
        let vals = [
            Val::Int(Some(e.seq)),
            Val::Int(Some(i64::from(e.format))),
            Val::Int(Some(d.at.micros())),
            Val::Text(Some(d.actor_id.clone())),
            Val::Text(Some(d.actor_name.clone())),
            Val::Text(Some(d.actor_role.clone())),
            Val::Text(Some(d.channel.as_str().to_owned())),
            Val::Text(Some(d.request_id.clone())),
            Val::Text(Some(d.action.as_str().to_owned())),
            Val::Text(Some(d.entity_type.clone())),
            Val::Int(d.entity_id),
            Val::Int(d.site_id),
            Val::Text(d.reason.clone()),
            Val::Text(Some(d.changes.clone())),
            Val::Text(Some(hex::encode(e.prev_hash))),
            Val::Text(Some(hex::encode(e.hash))),
        ];
        for (j, v) in vals.into_iter().enumerate() {
            if j > 0 {
                sql.push(", ");
            }
            sql.arg(v);
        }
        sql.push(")");
    }
    sql.query().execute(&mut **tx).await?;
    Ok(())
}
