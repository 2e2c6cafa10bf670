//! The risk model's versions, the re-rating of the register after a model change, the
//! overdue list, and a change written with its electronic signature in one transaction.
//!
//! Re-rating is set-based: the register is read as one aggregated value, each distinct
//! rating is mapped once (by the caller's rule, the model being business logic), the map goes
//! to a temporary table, and two `UPDATE` statements move every risk, rewriting the computed
//! tail of its stored document (`…,"model_version":N,"inherent_level":L,"residual_level":L,
//! "inherent_impact":I,"residual_impact":I,"needs_rerating":B`, the last columns of
//! [`Table::COLUMNS`] for risks) in SQL. The heatmap counts (`risk_cells`, kept by triggers) are
//! paused during the re-rating and rebuilt from the register at its end, in the same transaction. Each moved
//! risk still gets its own audit entry, chained in Rust and inserted in batches (D5).

use std::collections::HashMap;

use c981_domain::audit::{Action, AuditEntry, Change, Changes, changes_json, diff, seal};
use c981_domain::{EntityKind, Record, Risk, SiteId, Timestamp};
use serde_json::Value;
use sqlx::Row;

use crate::crud::{Sql, scope_on};
use crate::identity::{NewSignature, SignatureRow, insert_signature};
use crate::json::{Val, decode, select_list};
use crate::tables::Table;
use crate::{AuditMeta, Backend, Result, SiteScope, Store, StoreError};

/// One stored version of the risk model.
#[derive(Debug, Clone)]
pub struct RiskModelRow {
    pub version: i64,
    /// The model as JSON (parsed and checked by the application).
    pub model: Value,
    /// `None` for version 1, installed with the database.
    pub created_at: Option<Timestamp>,
    pub actor_name: String,
    pub reason: Option<String>,
}

/// What a re-rating did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RerateCounts {
    /// The model version the register was moved to.
    pub model_version: i64,
    /// Risks moved to the version, with their levels recomputed.
    pub rerated: u64,
    /// Risks newly flagged "needs re-rating" (their ratings do not fit the version).
    pub flagged: u64,
    /// Risks already flagged, left as they were.
    pub still_flagged: u64,
}

/// A page of the overdue list.
#[derive(Debug)]
pub struct OverduePage {
    pub items: Vec<Record<Risk>>,
    /// Pass back as `after` for the next page.
    pub next: Option<String>,
}

const MODEL_COLUMNS: &str = "version, model, created_at, actor_name, reason";

fn model_row(r: &sqlx::any::AnyRow) -> Result<RiskModelRow> {
    let version: i64 = r.try_get(0)?;
    let text: String = r.try_get(1)?;
    let model = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("risk model version {version}: not JSON: {e}")))?;
    let created_at = match r.try_get::<Option<String>, _>(2)? {
        Some(t) => {
            Some(Timestamp::parse(&t).map_err(|e| StoreError::Corrupt(format!("risk model version {version}: {e}")))?)
        }
        None => None,
    };
    Ok(RiskModelRow { version, model, created_at, actor_name: r.try_get(3)?, reason: r.try_get(4)? })
}

/// The tail of a risk's stored document from `model_version` on, as SQL: the position where
/// it starts.
fn tail_start(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "instr(doc, ',\"model_version\":')",
        Backend::Postgres => "strpos(doc, ',\"model_version\":')",
    }
}

/// The distinct-rating key of a risk's rating as stored.
type RatingKey = (i64, String);

/// Rebuilds the heatmap counts from the register and lets the triggers keep them again.
pub(crate) async fn rebuild_cells(tx: &mut sqlx::Transaction<'static, sqlx::Any>) -> Result<()> {
    sqlx::query("DELETE FROM risk_cells").execute(&mut **tx).await?;
    for (rating, l, i, lv) in [
        ("i", "inherent_likelihood", "inherent_impact", "inherent_level"),
        ("r", "residual_likelihood", "residual_impact", "residual_level"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO risk_cells (site_id, rating, model_version, likelihood, impact, level, n) \
             SELECT site_id, '{rating}', model_version, {l}, {i}, max({lv}), count(*) FROM risks \
             WHERE state <> 'closed' AND {l} IS NOT NULL AND {i} IS NOT NULL GROUP BY site_id, model_version, {l}, {i}"
        )))
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("UPDATE risk_cells_state SET paused = $1").bind(false).execute(&mut **tx).await?;
    Ok(())
}

impl Store {
    /// The current (newest) version of the risk model.
    pub async fn risk_model_current(&self) -> Result<RiskModelRow> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MODEL_COLUMNS} FROM risk_models ORDER BY version DESC LIMIT 1"
        )))
        .fetch_optional(&self.read)
        .await?
        .ok_or_else(|| StoreError::Corrupt("the database holds no risk model".into()))?;
        model_row(&row)
    }

    /// A version of the risk model.
    pub async fn risk_model_version(&self, version: i64) -> Result<Option<RiskModelRow>> {
        let row =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {MODEL_COLUMNS} FROM risk_models WHERE version = $1")))
                .bind(version)
                .fetch_optional(&self.read)
                .await?;
        row.as_ref().map(model_row).transpose()
    }

    /// Every version of the risk model, newest first.
    pub async fn risk_model_versions(&self) -> Result<Vec<RiskModelRow>> {
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {MODEL_COLUMNS} FROM risk_models ORDER BY version DESC")))
                .fetch_all(&self.read)
                .await?;
        rows.iter().map(model_row).collect()
    }

    /// Stores `model` as the next version, with an audit entry that records what changed
    /// from the current one. With `based_on`, a model changed meanwhile is a conflict. A model
    /// equal to the current one makes no version; its number is returned.
    pub async fn save_risk_model(&self, model: &Value, based_on: Option<i64>, meta: &AuditMeta) -> Result<i64> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MODEL_COLUMNS} FROM risk_models ORDER BY version DESC LIMIT 1"
        )))
        .fetch_one(&mut *tx)
        .await?;
        let current = model_row(&row)?;
        if let Some(v) = based_on
            && v != current.version
        {
            return Err(StoreError::Conflict(format!(
                "the risk model was changed by someone else (version {} now, {v} expected): reload and try again",
                current.version
            )));
        }
        if current.model == *model {
            return Ok(current.version);
        }
        let version = current.version + 1;
        let text = serde_json::to_string(model).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO risk_models (version, model, created_at, actor_id, actor_name, reason) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(version)
        .bind(text)
        .bind(meta.at.to_string())
        .bind(&meta.actor_id)
        .bind(&meta.actor_name)
        .bind(meta.reason.as_deref())
        .execute(&mut *tx)
        .await?;
        let changes = changes_json(&diff(Some(&current.model), Some(model)));
        crate::audit::append(
            &mut tx,
            seq,
            prev,
            meta.draft(Action::Update, EntityKind::RiskModel, Some(version), None, changes),
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Moves every risk rated under another model version to `version`: `level` maps a
    /// rating as stored (likelihood, impacts JSON) to its risk level and aggregated impact
    /// under `version`, or to `None` when it does not fit, in which case the risk keeps its ratings and version and
    /// is flagged "needs re-rating". One transaction; one audit entry per risk changed.
    pub async fn rerate_risks(
        &self,
        version: i64,
        level: impl Fn(i64, &str) -> Option<(i64, i64)>,
        meta: &AuditMeta,
    ) -> Result<RerateCounts> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        // The register outside `version`, as one value: one line per risk.
        let (agg, sep) = match self.backend {
            Backend::Sqlite => ("group_concat", "char(10)"),
            Backend::Postgres => ("string_agg", "chr(10)"),
        };
        let line = "CAST(id AS TEXT) || '|' || CAST(site_id AS TEXT) || '|' || CAST(model_version AS TEXT) || '|' \
             || coalesce(CAST(inherent_likelihood AS TEXT), '') || '|' || inherent_impacts || '|' \
             || coalesce(CAST(residual_likelihood AS TEXT), '') || '|' || residual_impacts || '|' \
             || coalesce(CAST(inherent_level AS TEXT), '') || '|' || coalesce(CAST(residual_level AS TEXT), '') || '|' \
             || coalesce(CAST(inherent_impact AS TEXT), '') || '|' || coalesce(CAST(residual_impact AS TEXT), '') || '|' \
             || CASE WHEN needs_rerating THEN '1' ELSE '0' END";
        let text: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {agg}({line}, {sep}) FROM risks WHERE model_version <> $1"
        )))
        .bind(version)
        .fetch_one(&mut *tx)
        .await?;
        let text = text.unwrap_or_default();

        struct Row {
            id: i64,
            site: i64,
            old_version: i64,
            inherent: Option<RatingKey>,
            residual: Option<RatingKey>,
            inherent_level: Option<i64>,
            residual_level: Option<i64>,
            inherent_impact: Option<i64>,
            residual_impact: Option<i64>,
            flagged: bool,
        }
        let bad = |l: &str| StoreError::Corrupt(format!("a risk row that cannot be read for re-rating: {l:?}"));
        let opt = |s: &str, l: &str| -> Result<Option<i64>> {
            if s.is_empty() { Ok(None) } else { s.parse().map(Some).map_err(|_| bad(l)) }
        };
        let mut rows = Vec::new();
        for l in text.lines().filter(|l| !l.is_empty()) {
            let f: Vec<&str> = l.split('|').collect();
            if f.len() != 12 {
                return Err(bad(l));
            }
            let rating = |lk: Option<i64>, impacts: &str| lk.map(|x| (x, impacts.to_owned()));
            rows.push(Row {
                id: f[0].parse().map_err(|_| bad(l))?,
                site: f[1].parse().map_err(|_| bad(l))?,
                old_version: f[2].parse().map_err(|_| bad(l))?,
                inherent: rating(opt(f[3], l)?, f[4]),
                residual: rating(opt(f[5], l)?, f[6]),
                inherent_level: opt(f[7], l)?,
                residual_level: opt(f[8], l)?,
                inherent_impact: opt(f[9], l)?,
                residual_impact: opt(f[10], l)?,
                flagged: f[11] == "1",
            });
        }

        // Each distinct rating mapped once.
        let mut map: HashMap<RatingKey, Option<(i64, i64)>> = HashMap::new();
        for r in &rows {
            for k in [&r.inherent, &r.residual].into_iter().flatten() {
                if !map.contains_key(k) {
                    let v = level(k.0, &k.1);
                    map.insert(k.clone(), v);
                }
            }
        }
        let lookup = |k: &Option<RatingKey>| -> Option<Option<(i64, i64)>> {
            match k {
                None => Some(None),
                Some(k) => map.get(k).copied().flatten().map(Some),
            }
        };

        // The audit entries, in id order, and the counts the updates must match.
        rows.sort_by_key(|r| r.id);
        let mut counts = RerateCounts { model_version: version, ..Default::default() };
        let mut drafts = Vec::new();
        let reason = meta.reason.clone().or_else(|| Some(format!("re-rated under risk model version {version}")));
        let meta = AuditMeta { reason, ..meta.clone() };
        for r in &rows {
            let (new_inh, new_res) = (lookup(&r.inherent), lookup(&r.residual));
            let mut c = Changes::new();
            let mut put = |field: &str, old: Value, new: Value| {
                if old != new {
                    c.insert(field.to_owned(), Change { old, new });
                }
            };
            match (new_inh, new_res) {
                (Some(i), Some(s)) => {
                    counts.rerated += 1;
                    put("model_version", r.old_version.into(), version.into());
                    put("inherent_level", r.inherent_level.into(), i.map(|x| x.0).into());
                    put("residual_level", r.residual_level.into(), s.map(|x| x.0).into());
                    put("inherent_impact", r.inherent_impact.into(), i.map(|x| x.1).into());
                    put("residual_impact", r.residual_impact.into(), s.map(|x| x.1).into());
                    put("needs_rerating", r.flagged.into(), false.into());
                }
                _ if r.flagged => {
                    counts.still_flagged += 1;
                    continue;
                }
                _ => {
                    counts.flagged += 1;
                    put("needs_rerating", false.into(), true.into());
                }
            }
            drafts.push(meta.draft(Action::Update, EntityKind::Risk, Some(r.id), Some(r.site), changes_json(&c)));
        }

        // The map, then the two set-based updates.
        sqlx::query(
            "CREATE TEMPORARY TABLE IF NOT EXISTS risk_rerate_map (likelihood BIGINT NOT NULL, impacts TEXT NOT NULL, level BIGINT, impact BIGINT, PRIMARY KEY (likelihood, impacts))",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM risk_rerate_map").execute(&mut *tx).await?;
        let entries: Vec<(&RatingKey, &Option<(i64, i64)>)> = map.iter().collect();
        for batch in entries.chunks(2000) {
            let mut sql =
                Sql::new(self.backend, "INSERT INTO risk_rerate_map (likelihood, impacts, level, impact) VALUES ");
            for (i, (k, v)) in batch.iter().enumerate() {
                sql.push(if i > 0 { ", (" } else { "(" });
                sql.arg(Val::Int(Some(k.0))).push(", ").arg(Val::Text(Some(k.1.clone()))).push(", ");
                sql.arg(Val::Int(v.map(|x| x.0))).push(", ").arg(Val::Int(v.map(|x| x.1)));
                sql.push(")");
            }
            sql.query().execute(&mut *tx).await?;
        }
        // The heatmap counts are rebuilt at the end, not kept row by row.
        sqlx::query("UPDATE risk_cells_state SET paused = $1").bind(true).execute(&mut *tx).await?;
        // Risks whose ratings all fit move to the version, their levels joined from the map;
        // then those still outside it are the ones that do not fit, flagged.
        let now = Val::Text(Some(meta.at.to_string()));
        let mut sql = Sql::new(
            self.backend,
            &format!(
                "UPDATE risks SET doc = substr(doc, 1, {} - 1) || ',\"model_version\":' || ",
                tail_start(self.backend)
            ),
        );
        sql.arg(Val::Text(Some(version.to_string())));
        sql.push(
            " || ',\"inherent_level\":' || coalesce(CAST(x.il AS TEXT), 'null') || ',\"residual_level\":' || coalesce(CAST(x.rl AS TEXT), 'null') \
             || ',\"inherent_impact\":' || coalesce(CAST(x.ii AS TEXT), 'null') || ',\"residual_impact\":' || coalesce(CAST(x.ri AS TEXT), 'null') || ',\"needs_rerating\":false'",
        );
        sql.push(
            ", inherent_level = x.il, residual_level = x.rl, inherent_impact = x.ii, residual_impact = x.ri, model_version = ",
        )
        .arg(Val::Int(Some(version)));
        sql.push(", needs_rerating = ").arg(Val::Bool(false));
        sql.push(", version = risks.version + 1, updated_at = ").arg(now.clone());
        sql.push(
            " FROM (SELECT r.id AS id, mi.level AS il, mr.level AS rl, mi.impact AS ii, mr.impact AS ri FROM risks r \
             LEFT JOIN risk_rerate_map mi ON mi.likelihood = r.inherent_likelihood AND mi.impacts = r.inherent_impacts \
             LEFT JOIN risk_rerate_map mr ON mr.likelihood = r.residual_likelihood AND mr.impacts = r.residual_impacts \
             WHERE r.model_version <> ",
        );
        sql.arg(Val::Int(Some(version)));
        sql.push(
            " AND (r.inherent_likelihood IS NULL OR mi.level IS NOT NULL) AND (r.residual_likelihood IS NULL OR mr.level IS NOT NULL)) AS x \
             WHERE risks.id = x.id",
        );
        let moved = sql.query().execute(&mut *tx).await?.rows_affected();
        let mut sql = Sql::new(
            self.backend,
            "UPDATE risks SET doc = substr(doc, 1, length(doc) - 5) || 'true', needs_rerating = ",
        );
        sql.arg(Val::Bool(true));
        sql.push(", version = version + 1, updated_at = ").arg(now);
        sql.push(" WHERE model_version <> ").arg(Val::Int(Some(version)));
        sql.push(" AND needs_rerating = ").arg(Val::Bool(false));
        let flagged = sql.query().execute(&mut *tx).await?.rows_affected();
        rebuild_cells(&mut tx).await?;
        sqlx::query("DELETE FROM risk_rerate_map").execute(&mut *tx).await?;
        if moved != counts.rerated || flagged != counts.flagged {
            return Err(StoreError::Conflict(format!(
                "the register changed while it was re-rated ({moved} moved and {flagged} flagged, {} and {} expected): try again",
                counts.rerated, counts.flagged
            )));
        }

        let mut prev_hash = prev;
        let mut batch: Vec<AuditEntry> = Vec::with_capacity(drafts.len().min(1800));
        for (n, d) in (seq..).zip(drafts) {
            let e = seal(prev_hash, n, d);
            prev_hash = e.hash;
            batch.push(e);
            if batch.len() == 1800 {
                crate::bulk::insert_entries(self.backend, &mut tx, &batch).await?;
                batch.clear();
            }
        }
        if counts.rerated + counts.flagged == 0 {
            // Nothing changed: the chain head taken at the start is given back.
            let _ = tx.rollback().await;
            return Ok(counts);
        }
        crate::bulk::insert_entries(self.backend, &mut tx, &batch).await?;
        tx.commit().await?;
        Ok(counts)
    }

    /// Risks with something overdue on `today` (`YYYY-MM-DD`): a review date passed or an
    /// open action past due. Ordered by the earliest due date, then id; `after` is the `next`
    /// of the previous page.
    pub async fn risks_overdue(
        &self,
        scope: &SiteScope,
        site: Option<SiteId>,
        today: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<OverduePage> {
        let limit = limit.clamp(1, 1000);
        let mut sql = Sql::new(
            self.backend,
            &format!(
                "SELECT {}, next_due FROM risks WHERE next_due IS NOT NULL AND next_due < ",
                select_list::<Risk>()
            ),
        );
        sql.arg(Val::Text(Some(today.to_owned())));
        scope_on(&mut sql, "site_id", scope);
        if let Some(s) = site {
            sql.push(" AND site_id = ").arg(Val::Int(Some(s.get())));
        }
        if let Some(cursor) = after {
            let (date, id) = cursor
                .split_once('_')
                .and_then(|(d, i)| Some((d.to_owned(), i.parse::<i64>().ok()?)))
                .ok_or_else(|| StoreError::field("cursor", "is not a cursor returned by a previous page"))?;
            sql.push(" AND (next_due > ").arg(Val::Text(Some(date.clone())));
            sql.push(" OR (next_due = ").arg(Val::Text(Some(date))).push(" AND id > ").arg(Val::Int(Some(id)));
            sql.push("))");
        }
        sql.push(" ORDER BY next_due, id LIMIT ").arg(Val::Int(Some(i64::from(limit) + 1)));
        let rows = sql.query().fetch_all(&self.read).await?;
        let due_col = Risk::COLUMNS.len() + 4;
        let mut items = Vec::new();
        let mut next = None;
        for row in rows.iter().take(limit as usize) {
            let due: String = row.try_get(due_col)?;
            let r = decode::<Risk>(row)?;
            next = Some(format!("{due}_{}", r.id));
            items.push(r);
        }
        if rows.len() <= limit as usize {
            next = None;
        }
        Ok(OverduePage { items, next })
    }

    /// Changes a record and signs the new version in one transaction: the change and its
    /// audit entry, then the signature and its own. `expected_version` is the version the
    /// signer saw; `seal` receives the new version's JSON (as [`Store::get_json`] would
    /// return it) and its version number, and returns the SHA-256 to bind and the changes of
    /// the signature's audit entry.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_and_sign<T: Table>(
        &self,
        scope: &SiteScope,
        id: i64,
        expected_version: i64,
        meta: &AuditMeta,
        change: impl FnOnce(&Record<T>) -> Result<T>,
        signature: &NewSignature<'_>,
        seal: impl FnOnce(&[u8], i64) -> (String, String),
    ) -> Result<(Record<T>, SignatureRow)> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let old: Record<T> = decode(&self.fetch_row::<T, _>(&mut *tx, scope, id).await?)?;
        if old.version != expected_version {
            return Err(StoreError::Conflict(format!(
                "{} {id} was changed by someone else (version {} now, {expected_version} signed): review it and sign again",
                T::KIND.label(),
                old.version
            )));
        }
        let new = change(&old)?;
        if new.site_id() != old.data.site_id() {
            return Err(StoreError::field("site_id", "an existing record cannot move to another site"));
        }
        let (seq, prev) = self.rewrite_in(&mut tx, seq, prev, &old, new.clone(), meta).await?;
        let record =
            Record { id: old.id, data: new, version: old.version + 1, created_at: old.created_at, updated_at: meta.at };
        let json = Store::record_json(&record)?;
        let (sha, changes) = seal(&json, record.version);
        let s = NewSignature { record_version: record.version, record_sha256: &sha, ..signature.clone() };
        let row = insert_signature(&mut tx, seq, prev, &s, meta, changes).await?;
        tx.commit().await?;
        Ok((record, row))
    }
}

#[cfg(test)]
mod tests {
    use c981_domain::RiskModel;
    use serde_json::Value;

    /// The model a migration installs as version 1.
    fn built_in(sql: &str) -> Value {
        let start = "INSERT INTO risk_models (version, model) VALUES (1, '";
        let from = sql.find(start).expect("the built-in model") + start.len();
        let to = from + sql[from..].find("');").expect("the end of the built-in model");
        serde_json::from_str(&sql[from..to].replace("''", "'")).expect("JSON")
    }

    #[test]
    fn both_migrations_install_the_domains_default_model_as_version_1() {
        let default = RiskModel::default().to_json();
        for sql in
            [include_str!("../migrations/sqlite/0007_risk.sql"), include_str!("../migrations/postgres/0007_risk.sql")]
        {
            let model = built_in(sql);
            assert_eq!(model, default);
            assert_eq!(RiskModel::parse(&model).unwrap(), RiskModel::default());
        }
    }
}
