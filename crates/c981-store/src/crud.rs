//! Create, read, update, delete and list, generic over [`Table`], each write with its audit
//! entry in the same transaction.

use c981_domain::audit::{Action, changes_json, diff};
use c981_domain::{EntityKind, Record, SiteId, ZoneId};
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::audit::append;
use crate::json::{Val, bind, data_json, decode, json_expr, select_list, values, write_columns};
use crate::tables::{ColType, Table, table_of};
use crate::{AuditMeta, Backend, Result, SiteScope, Store, StoreError};

/// A page of a list, ordered by id.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The id to pass as `after` for the next page, when there is one.
    pub next_after: Option<i64>,
}

/// A list request: site scope first, then filters, search and keyset position.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub scope: SiteScope,
    /// Only this site.
    pub site_id: Option<SiteId>,
    /// `(field, value)` equality filters; the field must be one the entity offers.
    pub filters: Vec<(String, String)>,
    /// Free text, matched case-insensitively within the entity's search columns (and, for
    /// assets, exactly against addresses and serial numbers).
    pub q: Option<String>,
    /// Only ids greater than this (keyset pagination).
    pub after: Option<i64>,
    pub limit: u32,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self { scope: SiteScope::All, site_id: None, filters: Vec::new(), q: None, after: None, limit: 100 }
    }
}

/// Builds a statement with placeholders and the values to bind, in order: `$N` on
/// PostgreSQL, plain `?` on SQLite. The SQLite driver looks up the name of every numbered or
/// named parameter, a lookup linear in the parameter count, so a 1,000-row insert spent 90%
/// of its time there; positional `?` parameters have no name to look up.
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Val>,
    mark: char,
}

impl Sql {
    pub fn new(backend: Backend, text: &str) -> Self {
        let mark = match backend {
            Backend::Sqlite => '?',
            Backend::Postgres => '$',
        };
        Self { text: text.to_owned(), args: Vec::new(), mark }
    }

    /// Appends the placeholder of a new argument.
    pub fn arg(&mut self, v: Val) -> &mut Self {
        self.args.push(v);
        self.text.push(self.mark);
        if self.mark == '$' {
            self.text.push_str(&self.args.len().to_string());
        }
        self
    }

    /// Appends `(v1, v2, …)` with one placeholder per value (`(NULL)` for none), for `IN`.
    pub fn list(&mut self, vals: impl IntoIterator<Item = Val>) -> &mut Self {
        self.push("(");
        let mut empty = true;
        for (i, v) in vals.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.arg(v);
            empty = false;
        }
        if empty {
            self.push("NULL");
        }
        self.push(")")
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// The statement with its arguments bound. The text is built only from the compile-time
    /// table and column names of [`Table`] and `$N` placeholders; values are always bound.
    pub fn query(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.as_str()));
        for a in &self.args {
            q = bind(q, a.clone());
        }
        q
    }
}

/// The column of the site id in a table (a site's own id for `sites`).
fn site_col<T: Table>() -> &'static str {
    if T::KIND == EntityKind::Site { "id" } else { "site_id" }
}

fn scope_clause<T: Table>(sql: &mut Sql, scope: &SiteScope) {
    scope_on(sql, site_col::<T>(), scope);
}

/// Restricts a query to the sites of `scope` on `column` (nothing for all sites).
pub(crate) fn scope_on(sql: &mut Sql, column: &str, scope: &SiteScope) {
    if let SiteScope::Only(sites) = scope {
        sql.push(" AND ").push(column).push(" IN ").list(sites.iter().map(|s| Val::Int(Some(s.get()))));
    }
}

/// Maps a unique-constraint violation to the field it concerns.
pub(crate) fn map_write_error<T: Table>(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        let msg = db.message().to_owned();
        let constraint = db.constraint().map(str::to_owned);
        if db.is_unique_violation() {
            // PostgreSQL names the constraint (uq_<table>_<field>); SQLite names the columns
            // ("UNIQUE constraint failed: zones.site_id, zones.name").
            let field = constraint
                .as_deref()
                .and_then(|c| c.strip_prefix(&format!("uq_{}_", T::TABLE)).map(str::to_owned))
                .or_else(|| msg.rsplit('.').next().map(|s| s.trim().to_owned()))
                .unwrap_or_else(|| "name".into());
            let field = if field == "endpoints" || field == "port_key" { "port".to_owned() } else { field };
            let what = T::KIND.label().to_lowercase();
            let field = if T::KIND == EntityKind::RequirementStatus { "requirement".to_owned() } else { field };
            let message = if field == "port" {
                "a flow with the same source, destination, protocol and port already exists".to_owned()
            } else if T::KIND == EntityKind::RequirementStatus {
                "this zone or conduit already has a status for this requirement: change that one".to_owned()
            } else if T::KIND == EntityKind::Site {
                format!("another site already has this {field}")
            } else {
                format!("another {what} of this site already has this {field}")
            };
            return StoreError::field(&field, message);
        }
        if db.is_foreign_key_violation() {
            return StoreError::Conflict(format!("{} is still referenced by other records", T::KIND.label()));
        }
    }
    StoreError::Database(e)
}

/// Checks that every reference exists, in the same site as the entity, naming each field
/// that does not.
async fn check_refs<T: Table>(pool: &sqlx::AnyPool, data: &T) -> Result<()> {
    let site = data.site_id().map(|s| s.get());
    let mut errors = Vec::new();
    for (field, kind, id) in data.refs() {
        let found: Option<i64> = if kind == EntityKind::Site {
            sqlx::query_scalar("SELECT id FROM sites WHERE id = $1").bind(id).fetch_optional(pool).await?
        } else {
            let sql = format!("SELECT id FROM {} WHERE id = $1 AND site_id = $2", table_of(kind));
            sqlx::query_scalar(AssertSqlSafe(sql)).bind(id).bind(site).fetch_optional(pool).await?
        };
        if found.is_none() {
            let message = if kind == EntityKind::Site {
                format!("there is no site {id}")
            } else {
                format!("there is no {} {id} in this site", kind.label().to_lowercase())
            };
            errors.push(c981_domain::FieldError::new(field, message));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(StoreError::Invalid(c981_domain::ValidationError { errors })) }
}

/// Replaces the extra rows of a record inside a write transaction.
pub(crate) async fn write_links_in<T: Table>(tx: &mut Transaction<'static, Any>, id: i64, data: &T) -> Result<()> {
    write_links(tx, id, data, false).await
}

/// Writes the extra rows of a record; `fresh` for a record just inserted (nothing to replace).
async fn write_links<T: Table>(tx: &mut Transaction<'static, Any>, id: i64, data: &T, fresh: bool) -> Result<()> {
    let site = data.site_id().map(|s| s.get());
    let links = data.links();
    for set in links.sets() {
        if !fresh {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {} WHERE {} = $1", set.table, set.owner)))
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        for (pos, x) in set.ids.iter().enumerate() {
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {} ({}, site_id, {}, position) VALUES ($1, $2, $3, $4)",
                set.table, set.owner, set.target
            )))
            .bind(id)
            .bind(site)
            .bind(*x)
            .bind(pos as i64)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

impl Store {
    /// Begins a write: the transaction holds the audit chain head from its first statement.
    pub(crate) async fn begin_write(&self) -> Result<(Transaction<'static, Any>, i64, [u8; 32])> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *tx)
            .await?;
        let seq: i64 = row.try_get(0)?;
        let hash: String = row.try_get(1)?;
        let prev = crate::audit::parse_hash(&hash)?;
        Ok((tx, seq, prev))
    }

    /// Rolls back a failed write and, when a reference was the cause, says which field.
    async fn explain_ref_error<T: Table>(&self, tx: Transaction<'static, Any>, data: &T, e: StoreError) -> StoreError {
        let _ = tx.rollback().await;
        match e {
            StoreError::Conflict(_) | StoreError::Database(_) => match check_refs(&self.read, data).await {
                Err(refs @ StoreError::Invalid(_)) => refs,
                _ => e,
            },
            other => other,
        }
    }

    /// Creates an entity; returns the stored record.
    pub async fn create<T: Table>(&self, data: &T, meta: &AuditMeta) -> Result<Record<T>> {
        // PostgreSQL: the transaction starts by taking the chain head (a row lock). SQLite:
        // the insert itself takes the database's single write lock, and returns the head
        // read under that lock, a round trip fewer on the busiest write.
        let (mut tx, head) = match self.backend {
            Backend::Postgres => {
                let (tx, seq, prev) = self.begin_write().await?;
                (tx, Some((seq, prev)))
            }
            Backend::Sqlite => (self.write.begin().await?, None),
        };
        let vals = values(data)?;
        let mut sql = Sql::new(self.backend, &format!("INSERT INTO {} (", T::TABLE));
        for (i, c) in write_columns::<T>().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(c);
        }
        sql.push(", version, created_at, updated_at) VALUES (");
        for v in vals {
            sql.arg(v).push(", ");
        }
        let now = Val::Text(Some(meta.at.to_string()));
        sql.push("1, ").arg(now.clone()).push(", ").arg(now).push(") RETURNING id");
        if head.is_none() {
            sql.push(", (SELECT seq FROM audit_head WHERE id = 1) + 1, (SELECT hash FROM audit_head WHERE id = 1)");
        }
        // References are enforced by foreign keys (composite with the site, so a zone of
        // another site is refused too); only a violation pays for finding which field.
        let written = match sql.query().fetch_one(&mut *tx).await {
            Ok(row) => match row.try_get::<i64, _>(0) {
                Ok(id) => match write_links(&mut tx, id, data, true).await {
                    Ok(()) => Ok((id, row)),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e.into()),
            },
            Err(e) => Err(map_write_error::<T>(e)),
        };
        let (id, row) = match written {
            Ok(ok) => ok,
            Err(e) => return Err(self.explain_ref_error(tx, data, e).await),
        };
        let (seq, prev) = match head {
            Some(h) => h,
            None => (row.try_get::<i64, _>(1)?, crate::audit::parse_hash(&row.try_get::<String, _>(2)?)?),
        };
        let changes = changes_json(&diff(None, Some(&data_json(data)?)));
        let site = data.site_id().map(|s| s.get()).or((T::KIND == EntityKind::Site).then_some(id));
        append(&mut tx, seq, prev, meta.draft(Action::Create, T::KIND, Some(id), site, changes)).await?;
        tx.commit().await?;
        Ok(Record { id: T::id_from_raw(id), data: data.clone(), version: 1, created_at: meta.at, updated_at: meta.at })
    }

    pub(crate) async fn fetch_row<'e, T: Table, E>(
        &self,
        ex: E,
        scope: &SiteScope,
        id: i64,
    ) -> Result<sqlx::any::AnyRow>
    where
        E: sqlx::Executor<'e, Database = Any>,
    {
        let mut sql = Sql::new(self.backend, &format!("SELECT {} FROM {} WHERE id = ", select_list::<T>(), T::TABLE));
        sql.arg(Val::Int(Some(id)));
        scope_clause::<T>(&mut sql, scope);
        sql.query().fetch_optional(ex).await?.ok_or(StoreError::NotFound { kind: T::KIND, id })
    }

    /// Reads one record. A record of a site outside `scope` is "not found", never "forbidden",
    /// so ids of other sites cannot be probed.
    pub async fn get<T: Table>(&self, scope: &SiteScope, id: i64) -> Result<Record<T>> {
        decode(&self.fetch_row::<T, _>(&self.read, scope, id).await?)
    }

    /// A record as the API's JSON, rendered here exactly as [`Store::get_json`] reads it
    /// from the database (so a write can answer without reading back).
    pub fn record_json<T: Table>(record: &Record<T>) -> Result<Vec<u8>> {
        let vals = values(&record.data)?;
        let Some(Val::Text(Some(doc))) = vals.last() else {
            return Err(StoreError::Corrupt("a record without its document".into()));
        };
        let id: i64 = record.id.into();
        let mut out = Vec::with_capacity(doc.len() + 128);
        out.extend_from_slice(format!("{{\"id\":{id},").as_bytes());
        out.extend_from_slice(doc.as_bytes());
        out.extend_from_slice(
            format!(
                ",\"version\":{},\"created_at\":\"{}\",\"updated_at\":\"{}\"}}",
                record.version, record.created_at, record.updated_at
            )
            .as_bytes(),
        );
        Ok(out)
    }

    /// Reads one record as the API's JSON, rendered by the database.
    pub async fn get_json<T: Table>(&self, scope: &SiteScope, id: i64) -> Result<Vec<u8>> {
        let mut sql = Sql::new(self.backend, &format!("SELECT {} FROM {} WHERE id = ", json_expr(), T::TABLE));
        sql.arg(Val::Int(Some(id)));
        scope_clause::<T>(&mut sql, scope);
        let row = sql.query().fetch_optional(&self.read).await?.ok_or(StoreError::NotFound { kind: T::KIND, id })?;
        Ok(row.try_get::<String, _>(0)?.into_bytes())
    }

    /// Updates a record: `change` computes the new data from the current record inside the
    /// write transaction. With `expected_version`, a record changed meanwhile is a conflict.
    /// An update that changes nothing writes nothing and no audit entry.
    pub async fn update<T: Table>(
        &self,
        scope: &SiteScope,
        id: i64,
        expected_version: Option<i64>,
        meta: &AuditMeta,
        change: impl FnOnce(&Record<T>) -> Result<T>,
    ) -> Result<Record<T>> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let old: Record<T> = decode(&self.fetch_row::<T, _>(&mut *tx, scope, id).await?)?;
        if let Some(v) = expected_version
            && v != old.version
        {
            return Err(StoreError::Conflict(format!(
                "{} {id} was changed by someone else (version {} now, {v} expected): reload and try again",
                T::KIND.label(),
                old.version
            )));
        }
        let new = change(&old)?;
        if new.site_id() != old.data.site_id() {
            return Err(StoreError::field("site_id", "an existing record cannot move to another site"));
        }
        let old_json = data_json(&old.data)?;
        let new_json = data_json(&new)?;
        let changes = diff(Some(&old_json), Some(&new_json));
        if changes.is_empty() {
            return Ok(old);
        }
        if !scope.allows(new.site_id().unwrap_or(SiteId::new(id))) {
            return Err(StoreError::NotFound { kind: T::KIND, id });
        }
        let now = meta.at.micros().max(old.updated_at.micros());
        let mut sql = Sql::new(self.backend, &format!("UPDATE {} SET ", T::TABLE));
        for (c, v) in write_columns::<T>().zip(values(&new)?) {
            sql.push(c).push(" = ").arg(v).push(", ");
        }
        sql.push("version = version + 1, updated_at = ")
            .arg(Val::Text(Some(c981_domain::Timestamp::from_micros(now).to_string())));
        sql.push(" WHERE id = ").arg(Val::Int(Some(id)));
        let written = match sql.query().execute(&mut *tx).await {
            Ok(_) => write_links(&mut tx, id, &new, false).await,
            Err(e) => Err(map_write_error::<T>(e)),
        };
        if let Err(e) = written {
            return Err(self.explain_ref_error(tx, &new, e).await);
        }
        let site = new.site_id().map(|s| s.get()).or((T::KIND == EntityKind::Site).then_some(id));
        append(&mut tx, seq, prev, meta.draft(Action::Update, T::KIND, Some(id), site, changes_json(&changes))).await?;
        tx.commit().await?;
        Ok(Record {
            id: old.id,
            data: new,
            version: old.version + 1,
            created_at: old.created_at,
            updated_at: c981_domain::Timestamp::from_micros(now),
        })
    }

    /// Deletes a record. Refused while other records use it (a zone with assets, an asset
    /// with flows…), with a message that says what uses it.
    pub async fn delete<T: Table>(
        &self,
        scope: &SiteScope,
        id: i64,
        expected_version: Option<i64>,
        meta: &AuditMeta,
    ) -> Result<Record<T>> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let old = self.delete_in::<T>(&mut tx, seq, prev, scope, id, expected_version, meta).await?;
        tx.commit().await?;
        Ok(old)
    }

    #[allow(clippy::too_many_arguments)]
    async fn delete_in<T: Table>(
        &self,
        tx: &mut Transaction<'static, Any>,
        seq: i64,
        prev: [u8; 32],
        scope: &SiteScope,
        id: i64,
        expected_version: Option<i64>,
        meta: &AuditMeta,
    ) -> Result<Record<T>> {
        let old: Record<T> = decode(&self.fetch_row::<T, _>(&mut **tx, scope, id).await?)?;
        if let Some(v) = expected_version
            && v != old.version
        {
            return Err(StoreError::Conflict(format!(
                "{} {id} was changed by someone else (version {} now, {v} expected): reload and try again",
                T::KIND.label(),
                old.version
            )));
        }
        let users = usage(tx, T::KIND, id).await?;
        if !users.is_empty() {
            let mut msg = format!("{} {id} is still used by {}", T::KIND.label(), users.join(", "));
            if T::KIND == EntityKind::Zone {
                msg.push_str("; move them first, or delete with reassign_to set to another zone (or \"none\")");
            }
            return Err(StoreError::Conflict(msg));
        }
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {} WHERE id = $1", T::TABLE)))
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(map_write_error::<T>)?;
        let changes = changes_json(&diff(Some(&data_json(&old.data)?), None));
        let site = old.data.site_id().map(|s| s.get()).or((T::KIND == EntityKind::Site).then_some(id));
        append(tx, seq, prev, meta.draft(Action::Delete, T::KIND, Some(id), site, changes)).await?;
        Ok(old)
    }

    /// Deletes a zone after moving what uses it (assets, interfaces) to `target` (or to no
    /// zone); each move is an audited update in the same transaction. Conduits that join the
    /// zone still block the deletion: a conduit's zones are a design decision to make
    /// explicitly.
    pub async fn delete_zone_reassigning(
        &self,
        scope: &SiteScope,
        id: ZoneId,
        target: Option<ZoneId>,
        meta: &AuditMeta,
    ) -> Result<Record<c981_domain::Zone>> {
        use c981_domain::{Asset, Interface, Zone};
        let (mut tx, mut seq, mut prev) = self.begin_write().await?;
        let zone: Record<Zone> = decode(&self.fetch_row::<Zone, _>(&mut *tx, scope, id.get()).await?)?;
        if let Some(t) = target {
            if t == id {
                return Err(StoreError::field("reassign_to", "cannot reassign to the zone being deleted"));
            }
            let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM zones WHERE id = $1 AND site_id = $2")
                .bind(t.get())
                .bind(zone.data.site_id.get())
                .fetch_optional(&mut *tx)
                .await?;
            if ok.is_none() {
                return Err(StoreError::field("reassign_to", format!("there is no zone {t} in this site")));
            }
        }
        let asset_ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM assets WHERE zone_id = $1 ORDER BY id")
            .bind(id.get())
            .fetch_all(&mut *tx)
            .await?;
        for aid in asset_ids {
            let old: Record<Asset> = decode(&self.fetch_row::<Asset, _>(&mut *tx, scope, aid).await?)?;
            let mut new = old.data.clone();
            new.zone_id = target;
            (seq, prev) = self.rewrite_in(&mut tx, seq, prev, &old, new, meta).await?;
        }
        let iface_ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM interfaces WHERE zone_id = $1 ORDER BY id")
            .bind(id.get())
            .fetch_all(&mut *tx)
            .await?;
        for iid in iface_ids {
            let old: Record<Interface> = decode(&self.fetch_row::<Interface, _>(&mut *tx, scope, iid).await?)?;
            let mut new = old.data.clone();
            new.zone_id = target;
            (seq, prev) = self.rewrite_in(&mut tx, seq, prev, &old, new, meta).await?;
        }
        let old = self.delete_in::<Zone>(&mut tx, seq, prev, scope, id.get(), None, meta).await?;
        tx.commit().await?;
        Ok(old)
    }

    /// Writes `new` over `old` inside a write transaction and appends its audit entry; returns
    /// the chain position for the next entry of the same transaction.
    pub(crate) async fn rewrite_in<T: Table>(
        &self,
        tx: &mut Transaction<'static, Any>,
        seq: i64,
        prev: [u8; 32],
        old: &Record<T>,
        new: T,
        meta: &AuditMeta,
    ) -> Result<(i64, [u8; 32])> {
        let id: i64 = old.id.into();
        let changes = diff(Some(&data_json(&old.data)?), Some(&data_json(&new)?));
        let mut sql = Sql::new(self.backend, &format!("UPDATE {} SET ", T::TABLE));
        for (c, v) in write_columns::<T>().zip(values(&new)?) {
            sql.push(c).push(" = ").arg(v).push(", ");
        }
        sql.push("version = version + 1, updated_at = ").arg(Val::Text(Some(meta.at.to_string())));
        sql.push(" WHERE id = ").arg(Val::Int(Some(id)));
        sql.query().execute(&mut **tx).await.map_err(map_write_error::<T>)?;
        write_links(tx, id, &new, false).await?;
        let site = new.site_id().map(|s| s.get());
        let entry =
            append(tx, seq, prev, meta.draft(Action::Update, T::KIND, Some(id), site, changes_json(&changes))).await?;
        Ok((seq + 1, entry.hash))
    }

    fn list_sql<T: Table>(&self, q: &ListQuery, select: &str) -> Result<Sql> {
        let mut sql = Sql::new(self.backend, &format!("SELECT {select} FROM {} WHERE 1 = 1", T::TABLE));
        scope_clause::<T>(&mut sql, &q.scope);
        if let Some(site) = q.site_id {
            sql.push(" AND ").push(site_col::<T>()).push(" = ").arg(Val::Int(Some(site.get())));
        }
        for (name, value) in &q.filters {
            let Some(f) = T::FILTERS.iter().find(|f| f.name == name) else {
                let known: Vec<&str> = T::FILTERS.iter().map(|f| f.name).collect();
                return Err(StoreError::field(
                    name,
                    format!("is not a filter of {}; use one of: {}", T::KIND.plural(), known.join(", ")),
                ));
            };
            let v = value.trim();
            let empty = v.is_empty() || v.eq_ignore_ascii_case("none") || v.eq_ignore_ascii_case("null");
            match f.ty {
                ColType::OptInt | ColType::OptText if empty => {
                    sql.push(" AND ").push(f.name).push(" IS NULL");
                }
                ColType::Int | ColType::OptInt => {
                    let n: i64 =
                        v.parse().map_err(|_| StoreError::field(name, format!("{v:?} is not a whole number")))?;
                    sql.push(" AND ").push(f.name).push(" = ").arg(Val::Int(Some(n)));
                }
                ColType::Bool => {
                    let b = match v.to_ascii_lowercase().as_str() {
                        "true" | "yes" | "1" => true,
                        "false" | "no" | "0" => false,
                        _ => return Err(StoreError::field(name, format!("{v:?} is not true or false"))),
                    };
                    sql.push(" AND ").push(f.name).push(" = ").arg(Val::Bool(b));
                }
                _ => {
                    sql.push(" AND ").push(f.name).push(" = ").arg(Val::Text(Some(v.to_owned())));
                }
            }
        }
        if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pattern =
                format!("%{}%", text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            sql.push(" AND (");
            for (i, col) in T::SEARCH.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                sql.push("lower(").push(col).push(") LIKE ").arg(Val::Text(Some(pattern.clone()))).push(" ESCAPE '\\'");
            }
            if T::KIND == EntityKind::Asset {
                sql.push(" OR id IN (SELECT asset_id FROM asset_keys WHERE value = ")
                    .arg(Val::Text(Some(text.to_lowercase())))
                    .push(")");
            }
            sql.push(")");
        }
        if let Some(after) = q.after {
            sql.push(" AND id > ").arg(Val::Int(Some(after)));
        }
        sql.push(" ORDER BY id LIMIT ").arg(Val::Int(Some(i64::from(q.limit.clamp(1, 1000)) + 1)));
        Ok(sql)
    }

    /// Lists typed records.
    pub async fn list<T: Table>(&self, q: &ListQuery) -> Result<Page<Record<T>>> {
        let sql = self.list_sql::<T>(q, &select_list::<T>())?;
        let rows = sql.query().fetch_all(&self.read).await?;
        let limit = q.limit.clamp(1, 1000) as usize;
        let more = rows.len() > limit;
        let items: Vec<Record<T>> = rows.iter().take(limit).map(decode::<T>).collect::<Result<_>>()?;
        let next_after = if more { items.last().map(|r| r.id.into()) } else { None };
        Ok(Page { items, next_after })
    }

    /// Lists records as the API's JSON: `{"items":[…],"next_cursor":…}`. The database
    /// concatenates the stored documents of the page (one more than asked, to know whether a
    /// next page exists), so one row crosses the driver per request.
    pub async fn list_json<T: Table>(&self, q: &ListQuery) -> Result<Vec<u8>> {
        let limit = q.limit.clamp(1, 1000) as i64;
        let inner = self.list_sql::<T>(q, &format!("id, {} AS j", json_expr()))?;
        let agg = match self.backend {
            Backend::Sqlite => "group_concat(j, ',' ORDER BY id)",
            Backend::Postgres => "string_agg(j, ',' ORDER BY id)",
        };
        let mut sql = Sql::new(self.backend, &format!("SELECT count(*), {agg} FROM ({}) AS page", inner.text));
        sql.args = inner.args;
        let row = sql.query().fetch_one(&self.read).await?;
        let count: i64 = row.try_get(0)?;
        let items: Option<String> = row.try_get(1)?;
        let mut items = items.unwrap_or_default();
        let mut next = None;
        if count > limit {
            // Drop the extra record. Every element starts with `{"id":`, and inside an element
            // a quote is escaped, so `,{"id":` marks element boundaries only.
            let cut = items
                .rfind(",{\"id\":")
                .ok_or_else(|| StoreError::Corrupt("a page without element boundaries".into()))?;
            items.truncate(cut);
            let start = items.rfind("{\"id\":").map(|p| p + 6).unwrap_or(0);
            let digits: String = items[start..].chars().take_while(char::is_ascii_digit).collect();
            next = Some(digits);
        }
        let mut out = Vec::with_capacity(items.len() + 64);
        out.extend_from_slice(b"{\"items\":[");
        out.extend_from_slice(items.as_bytes());
        out.extend_from_slice(b"],\"next_cursor\":");
        match next {
            Some(id) => out.extend_from_slice(format!("\"{id}\"").as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
        Ok(out)
    }

    /// Counts the records a query matches (ignoring its position and limit).
    pub async fn count<T: Table>(&self, q: &ListQuery) -> Result<i64> {
        let mut q = q.clone();
        q.after = None;
        let sql = self.list_sql::<T>(&q, "count(*)")?;
        // The list SQL ends with ORDER BY … LIMIT; a count has neither.
        let cut = sql.text.rfind(" ORDER BY id LIMIT").unwrap_or(sql.text.len());
        let mut trimmed = Sql::new(self.backend, &sql.text[..cut]);
        trimmed.args = sql.args[..sql.args.len() - 1].to_vec();
        Ok(trimmed.query().fetch_one(&self.read).await?.try_get(0)?)
    }

    /// Finds a site by its code, within scope.
    pub async fn site_by_code(&self, scope: &SiteScope, code: &str) -> Result<Option<Record<c981_domain::Site>>> {
        use c981_domain::Site;
        let mut sql = Sql::new(self.backend, &format!("SELECT {} FROM sites WHERE code = ", select_list::<Site>()));
        sql.arg(Val::Text(Some(code.trim().to_ascii_uppercase())));
        scope_clause::<Site>(&mut sql, scope);
        match sql.query().fetch_optional(&self.read).await? {
            Some(row) => Ok(Some(decode(&row)?)),
            None => Ok(None),
        }
    }

    /// The dialect of this store (for the few places SQL differs).
    pub(crate) fn dialect(&self) -> Backend {
        self.backend
    }
}

/// What still uses a record, in words ("3 assets, conduit 4").
async fn usage(tx: &mut Transaction<'static, Any>, kind: EntityKind, id: i64) -> Result<Vec<String>> {
    let checks: &[(&str, &str)] = match kind {
        EntityKind::Site => &[
            ("zones", "SELECT count(*) FROM zones WHERE site_id = $1"),
            ("conduits", "SELECT count(*) FROM conduits WHERE site_id = $1"),
            ("assets", "SELECT count(*) FROM assets WHERE site_id = $1"),
            ("flows", "SELECT count(*) FROM flows WHERE site_id = $1"),
            ("interfaces", "SELECT count(*) FROM interfaces WHERE site_id = $1"),
            ("systems", "SELECT count(*) FROM systems WHERE site_id = $1"),
            ("risks", "SELECT count(*) FROM risks WHERE site_id = $1"),
            ("suppliers", "SELECT count(*) FROM suppliers WHERE site_id = $1"),
            ("risks of other sites", "SELECT count(*) FROM risk_sites WHERE other_site_id = $1"),
        ],
        EntityKind::Zone => &[
            ("assets", "SELECT count(*) FROM assets WHERE zone_id = $1"),
            ("conduits", "SELECT count(*) FROM conduit_zones WHERE zone_id = $1"),
            ("interfaces", "SELECT count(*) FROM interfaces WHERE zone_id = $1"),
            ("systems", "SELECT count(*) FROM system_zones WHERE zone_id = $1"),
            ("risks", "SELECT count(*) FROM risk_zones WHERE zone_id = $1"),
            ("scopes of an ISMS", "SELECT count(*) FROM scope_zones WHERE zone_id = $1"),
        ],
        EntityKind::Asset => &[
            ("flows", "SELECT count(*) FROM flows WHERE source_asset_id = $1 OR destination_asset_id = $1"),
            ("interfaces", "SELECT count(*) FROM interfaces WHERE asset_id = $1"),
            ("risks", "SELECT count(*) FROM risk_assets WHERE asset_id = $1"),
            ("suppliers", "SELECT count(*) FROM supplier_assets WHERE asset_id = $1"),
        ],
        EntityKind::Conduit => &[("risks", "SELECT count(*) FROM risk_conduits WHERE conduit_id = $1")],
        EntityKind::Risk => {
            &[("references in statements of applicability", "SELECT count(*) FROM soa_risks WHERE risk_id = $1")]
        }
        EntityKind::System => &[("scopes of an ISMS", "SELECT count(*) FROM scope_systems WHERE system_id = $1")],
        EntityKind::Flow => &[("risks", "SELECT count(*) FROM risk_flows WHERE flow_id = $1")],
        EntityKind::Interface => &[
            ("risks", "SELECT count(*) FROM risk_interfaces WHERE interface_id = $1"),
            ("scopes of an ISMS", "SELECT count(*) FROM scope_interfaces WHERE interface_id = $1"),
        ],
        EntityKind::Supplier => &[("risks", "SELECT count(*) FROM risk_suppliers WHERE supplier_id = $1")],
        EntityKind::Scope => &[
            ("decisions of its statement of applicability", "SELECT count(*) FROM soa_entries WHERE scope_id = $1"),
            ("versions of its statement of applicability", "SELECT count(*) FROM soa_versions WHERE scope_id = $1"),
        ],
        EntityKind::Evidence => {
            &[("references in statements of applicability", "SELECT count(*) FROM soa_evidence WHERE evidence_id = $1")]
        }
        _ => &[],
    };
    let mut out = Vec::new();
    for (what, sql) in checks {
        let n: i64 = sqlx::query_scalar(*sql).bind(id).fetch_one(&mut **tx).await?;
        if n > 0 {
            // "1 risk of other sites": the first word takes the number.
            let what = if n == 1 {
                let (first, rest) = what.split_once(' ').unwrap_or((what, ""));
                let first = first.strip_suffix('s').unwrap_or(first);
                if rest.is_empty() { first.to_owned() } else { format!("{first} {rest}") }
            } else {
                (*what).to_owned()
            };
            out.push(format!("{n} {what}"));
        }
    }
    Ok(out)
}
