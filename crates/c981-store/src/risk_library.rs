//! Storage for the parts of risk assessment around the register: the threat templates an
//! organisation adds to the shipped library, the suggestions a person dismissed, the counts
//! behind the heatmaps, and the assessment periods (the register frozen as it stood).
//!
//! Every write here appends its audit entry in the same transaction, like the records.

use std::collections::HashSet;

use c981_domain::audit::{Action, changes_json, diff};
use c981_domain::{EntityKind, SiteId, Timestamp};
use serde_json::Value;
use sqlx::Row;

use crate::crud::{Sql, scope_on};
use crate::json::{Val, json_expr};
use crate::{AuditMeta, Backend, Result, SiteScope, Store, StoreError};

/// A threat template of the organisation, as stored.
#[derive(Debug, Clone)]
pub struct TemplateRow {
    /// The row id (what the audit trail names).
    pub id: i64,
    /// The template's own id, e.g. `ACME-PASTEURISER`.
    pub template_id: String,
    pub doc: Value,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A suggestion a person dismissed.
#[derive(Debug, Clone)]
pub struct DismissalRow {
    pub site_id: SiteId,
    pub key: String,
    pub reason: String,
    pub actor_name: String,
    pub at: Timestamp,
}

/// How many open risks of a site stand in one cell: a rating (`inherent` or `residual`)
/// under a model version, at a likelihood and an aggregated impact, with the cell's level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingCount {
    pub site_id: SiteId,
    pub model_version: i64,
    pub likelihood: i64,
    pub impact: i64,
    pub level: Option<i64>,
    pub count: i64,
}

/// The counts behind the heatmaps: inherent and residual ratings, and the open risks counted.
#[derive(Debug, Clone, Default)]
pub struct RatingCounts {
    pub inherent: Vec<RatingCount>,
    pub residual: Vec<RatingCount>,
    /// Risks (not closed) in the query.
    pub total: i64,
}

/// A closed assessment period.
#[derive(Debug, Clone)]
pub struct PeriodRow {
    pub id: i64,
    pub name: String,
    pub note: String,
    pub created_at: Timestamp,
    pub actor_name: String,
    pub risk_count: i64,
    pub model_version: i64,
}

/// An asset that may give rise to a suggestion: past its end of support, or observed on the
/// network and never confirmed.
#[derive(Debug, Clone)]
pub struct SuggestionAsset {
    pub id: i64,
    pub zone_id: Option<i64>,
    pub name: String,
    pub kind: String,
    pub end_of_support: Option<String>,
    pub provenance: String,
}

fn time(s: &str) -> Result<Timestamp> {
    Timestamp::parse(s).map_err(|e| StoreError::Corrupt(format!("a timestamp: {e}")))
}

fn template_row(r: &sqlx::any::AnyRow) -> Result<TemplateRow> {
    let doc: String = r.try_get(2)?;
    Ok(TemplateRow {
        id: r.try_get(0)?,
        template_id: r.try_get(1)?,
        doc: serde_json::from_str(&doc).map_err(|e| StoreError::Corrupt(format!("a threat template: {e}")))?,
        version: r.try_get(3)?,
        created_at: time(&r.try_get::<String, _>(4)?)?,
        updated_at: time(&r.try_get::<String, _>(5)?)?,
    })
}

const TEMPLATE_COLUMNS: &str = "id, template_id, doc, version, created_at, updated_at";

impl Store {
    /// The organisation's threat templates, by template id.
    pub async fn threat_templates(&self) -> Result<Vec<TemplateRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TEMPLATE_COLUMNS} FROM threat_templates ORDER BY template_id"
        )))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(template_row).collect()
    }

    /// One of the organisation's threat templates.
    pub async fn threat_template(&self, template_id: &str) -> Result<Option<TemplateRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TEMPLATE_COLUMNS} FROM threat_templates WHERE template_id = $1"
        )))
        .bind(template_id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(template_row).transpose()
    }

    /// Creates or replaces templates (each `(template id, document)`), all in one transaction
    /// with one audit entry per template that changed. With `expected_version` (one template
    /// only), a template changed meanwhile is a conflict. Returns the stored rows in order.
    pub async fn put_threat_templates(
        &self,
        meta: &AuditMeta,
        items: &[(String, Value)],
        expected_version: Option<i64>,
    ) -> Result<Vec<TemplateRow>> {
        let (mut tx, mut seq, mut prev) = self.begin_write().await?;
        let mut out = Vec::with_capacity(items.len());
        let mut changed = 0;
        for (template_id, doc) in items {
            let old = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {TEMPLATE_COLUMNS} FROM threat_templates WHERE template_id = $1"
            )))
            .bind(template_id)
            .fetch_optional(&mut *tx)
            .await?;
            let old = old.as_ref().map(template_row).transpose()?;
            if let Some(v) = expected_version
                && old.as_ref().map(|o| o.version) != Some(v)
            {
                return Err(StoreError::Conflict(format!(
                    "threat template {template_id} was changed by someone else (version {} now, {v} expected): reload and try again",
                    old.as_ref().map_or("none".to_owned(), |o| o.version.to_string())
                )));
            }
            let text = serde_json::to_string(doc).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let now = meta.at.to_string();
            let (row, action, changes) = match &old {
                Some(o) if o.doc == *doc => {
                    out.push(o.clone());
                    continue;
                }
                Some(o) => {
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "UPDATE threat_templates SET doc = $1, version = version + 1, updated_at = $2 WHERE id = $3 RETURNING {TEMPLATE_COLUMNS}"
                    )))
                    .bind(&text)
                    .bind(&now)
                    .bind(o.id)
                    .fetch_one(&mut *tx)
                    .await?;
                    (row, Action::Update, changes_json(&diff(Some(&o.doc), Some(doc))))
                }
                None => {
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO threat_templates (template_id, doc, version, created_at, updated_at) VALUES ($1, $2, 1, $3, $3) RETURNING {TEMPLATE_COLUMNS}"
                    )))
                    .bind(template_id)
                    .bind(&text)
                    .bind(&now)
                    .fetch_one(&mut *tx)
                    .await?;
                    (row, Action::Create, changes_json(&diff(None, Some(doc))))
                }
            };
            let row = template_row(&row)?;
            let entry = crate::audit::append(
                &mut tx,
                seq,
                prev,
                meta.draft(action, EntityKind::ThreatTemplate, Some(row.id), None, changes),
            )
            .await?;
            (seq, prev) = (seq + 1, entry.hash);
            changed += 1;
            out.push(row);
        }
        if changed == 0 {
            let _ = tx.rollback().await;
        } else {
            tx.commit().await?;
        }
        Ok(out)
    }

    /// Deletes one of the organisation's templates (risks made from it keep their origin).
    pub async fn delete_threat_template(
        &self,
        meta: &AuditMeta,
        template_id: &str,
        expected_version: Option<i64>,
    ) -> Result<TemplateRow> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let old = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TEMPLATE_COLUMNS} FROM threat_templates WHERE template_id = $1"
        )))
        .bind(template_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(old) = old.as_ref().map(template_row).transpose()? else {
            return Err(StoreError::Conflict(format!("there is no threat template {template_id} of the organisation")));
        };
        if let Some(v) = expected_version
            && v != old.version
        {
            return Err(StoreError::Conflict(format!(
                "threat template {template_id} was changed by someone else (version {} now, {v} expected): reload and try again",
                old.version
            )));
        }
        sqlx::query("DELETE FROM threat_templates WHERE id = $1").bind(old.id).execute(&mut *tx).await?;
        crate::audit::append(
            &mut tx,
            seq,
            prev,
            meta.draft(
                Action::Delete,
                EntityKind::ThreatTemplate,
                Some(old.id),
                None,
                changes_json(&diff(Some(&old.doc), None)),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(old)
    }

    /// Records that a person dismissed a suggestion of `site`, with the reason.
    pub async fn dismiss_suggestion(&self, meta: &AuditMeta, site: SiteId, key: &str, reason: &str) -> Result<()> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let id: i64 = match sqlx::query_scalar(
            "INSERT INTO risk_suggestion_dismissals (site_id, key, reason, actor_name, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(site.get())
        .bind(key)
        .bind(reason)
        .bind(&meta.actor_name)
        .bind(meta.at.to_string())
        .fetch_one(&mut *tx)
        .await
        {
            Ok(id) => id,
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                return Err(StoreError::Conflict("this suggestion was dismissed already".into()));
            }
            Err(e) => return Err(e.into()),
        };
        let changes = serde_json::json!({
            "key": { "old": null, "new": key },
            "dismissed": { "old": false, "new": true },
            "reason": { "old": null, "new": reason },
        })
        .to_string();
        crate::audit::append(
            &mut tx,
            seq,
            prev,
            meta.draft(Action::Update, EntityKind::RiskSuggestion, Some(id), Some(site.get()), changes),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes back a dismissal: the suggestion is listed again.
    pub async fn restore_suggestion(&self, meta: &AuditMeta, site: SiteId, key: &str) -> Result<()> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let row = sqlx::query("SELECT id, reason FROM risk_suggestion_dismissals WHERE site_id = $1 AND key = $2")
            .bind(site.get())
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Err(StoreError::Conflict("this suggestion is not dismissed".into()));
        };
        let (id, reason): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
        sqlx::query("DELETE FROM risk_suggestion_dismissals WHERE id = $1").bind(id).execute(&mut *tx).await?;
        let changes = serde_json::json!({
            "key": { "old": key, "new": key },
            "dismissed": { "old": true, "new": false },
            "reason": { "old": reason, "new": null },
        })
        .to_string();
        crate::audit::append(
            &mut tx,
            seq,
            prev,
            meta.draft(Action::Update, EntityKind::RiskSuggestion, Some(id), Some(site.get()), changes),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The dismissed suggestions of `site`.
    pub async fn dismissed_suggestions(&self, site: SiteId) -> Result<Vec<DismissalRow>> {
        let rows = sqlx::query(
            "SELECT key, reason, actor_name, created_at FROM risk_suggestion_dismissals WHERE site_id = $1 ORDER BY key",
        )
        .bind(site.get())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DismissalRow {
                    site_id: site,
                    key: r.try_get(0)?,
                    reason: r.try_get(1)?,
                    actor_name: r.try_get(2)?,
                    at: time(&r.try_get::<String, _>(3)?)?,
                })
            })
            .collect()
    }

    /// The suggestion keys that risks of `site` were accepted from.
    pub async fn accepted_suggestions(&self, site: SiteId) -> Result<HashSet<String>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT origin FROM risks WHERE site_id = $1 AND origin LIKE 'suggestion:%'")
                .bind(site.get())
                .fetch_all(&self.read)
                .await?;
        Ok(rows.into_iter().filter_map(|o| o.strip_prefix("suggestion:").map(str::to_owned)).collect())
    }

    /// The assets of `site` past their end of support on `today` (`YYYY-MM-DD`), or observed
    /// and never confirmed.
    pub async fn suggestion_assets(&self, site: SiteId, today: &str) -> Result<Vec<SuggestionAsset>> {
        let rows = sqlx::query(
            "SELECT id, zone_id, name, kind, end_of_support, provenance FROM assets WHERE site_id = $1 AND in_service = $3 \
             AND ((end_of_support IS NOT NULL AND end_of_support < $2) OR provenance = 'observed') ORDER BY id",
        )
        .bind(site.get())
        .bind(today)
        .bind(true)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SuggestionAsset {
                    id: r.try_get(0)?,
                    zone_id: r.try_get(1)?,
                    name: r.try_get(2)?,
                    kind: r.try_get(3)?,
                    end_of_support: r.try_get(4)?,
                    provenance: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// How many open risks of the sites in `scope` (or of one site) stand in each cell, from
    /// the counts the triggers keep (`risk_cells`): a few rows per site, whatever the size of
    /// the register.
    pub async fn risk_rating_counts(&self, scope: &SiteScope, site: Option<SiteId>) -> Result<RatingCounts> {
        let mut sql = Sql::new(
            self.backend,
            "SELECT rating, site_id, model_version, likelihood, impact, level, n FROM risk_cells WHERE n > 0",
        );
        scope_on(&mut sql, "site_id", scope);
        if let Some(s) = site {
            sql.push(" AND site_id = ").arg(Val::Int(Some(s.get())));
        }
        let mut out = RatingCounts::default();
        for r in sql.query().fetch_all(&self.read).await? {
            let c = RatingCount {
                site_id: SiteId::new(r.try_get(1)?),
                model_version: r.try_get(2)?,
                likelihood: r.try_get(3)?,
                impact: r.try_get(4)?,
                level: r.try_get(5)?,
                count: r.try_get(6)?,
            };
            if r.try_get::<String, _>(0)? == "i" { out.inherent.push(c) } else { out.residual.push(c) }
        }
        let mut count = Sql::new(self.backend, "SELECT count(*) FROM risks WHERE state <> 'closed'");
        scope_on(&mut count, "site_id", scope);
        if let Some(s) = site {
            count.push(" AND site_id = ").arg(Val::Int(Some(s.get())));
        }
        out.total = count.query().fetch_one(&self.read).await?.try_get(0)?;
        Ok(out)
    }

    /// Closes an assessment period: the whole register (every site) frozen under `name`, one
    /// row per risk with its JSON as the API shows it, and one audit entry. Names are unique.
    pub async fn close_risk_period(
        &self,
        meta: &AuditMeta,
        name: &str,
        note: &str,
        model_version: i64,
    ) -> Result<PeriodRow> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM risks").fetch_one(&mut *tx).await?;
        let id: i64 = match sqlx::query_scalar(
            "INSERT INTO risk_periods (name, note, created_at, actor_name, risk_count, model_version) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(name)
        .bind(note)
        .bind(meta.at.to_string())
        .bind(&meta.actor_name)
        .bind(count)
        .bind(model_version)
        .fetch_one(&mut *tx)
        .await
        {
            Ok(id) => id,
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                return Err(StoreError::field("name", "another assessment period already has this name"));
            }
            Err(e) => return Err(e.into()),
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO risk_period_items (period_id, risk_id, site_id, doc) SELECT $1, id, site_id, {} FROM risks",
            json_expr()
        )))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let changes = serde_json::json!({
            "name": { "old": null, "new": name },
            "note": { "old": null, "new": note },
            "risk_count": { "old": null, "new": count },
            "model_version": { "old": null, "new": model_version },
        })
        .to_string();
        crate::audit::append(
            &mut tx,
            seq,
            prev,
            meta.draft(Action::Create, EntityKind::RiskPeriod, Some(id), None, changes),
        )
        .await?;
        tx.commit().await?;
        Ok(PeriodRow {
            id,
            name: name.to_owned(),
            note: note.to_owned(),
            created_at: meta.at,
            actor_name: meta.actor_name.clone(),
            risk_count: count,
            model_version,
        })
    }

    /// The closed assessment periods, oldest first.
    pub async fn risk_periods(&self) -> Result<Vec<PeriodRow>> {
        let rows = sqlx::query(
            "SELECT id, name, note, created_at, actor_name, risk_count, model_version FROM risk_periods ORDER BY id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PeriodRow {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    note: r.try_get(2)?,
                    created_at: time(&r.try_get::<String, _>(3)?)?,
                    actor_name: r.try_get(4)?,
                    risk_count: r.try_get(5)?,
                    model_version: r.try_get(6)?,
                })
            })
            .collect()
    }

    /// The risks of a closed period (`Some(id)`) or of the live register (`None`) within
    /// `scope` (and one site), as `(risk id, site id, JSON)` in risk id order. The JSON comes
    /// back as one aggregated value (one value across the driver, not one per risk).
    pub async fn risk_docs(
        &self,
        scope: &SiteScope,
        period: Option<i64>,
        site: Option<SiteId>,
    ) -> Result<Vec<(i64, SiteId, Value)>> {
        let (agg, sep) = match self.backend {
            Backend::Sqlite => ("group_concat", "char(10)"),
            Backend::Postgres => ("string_agg", "chr(10)"),
        };
        let mut sql = match period {
            Some(p) => {
                let mut sql = Sql::new(
                    self.backend,
                    &format!(
                        "SELECT {agg}(CAST(risk_id AS TEXT) || '|' || CAST(site_id AS TEXT) || '|' || doc, {sep} ORDER BY risk_id) FROM risk_period_items WHERE period_id = "
                    ),
                );
                sql.arg(Val::Int(Some(p)));
                sql
            }
            None => Sql::new(
                self.backend,
                &format!(
                    "SELECT {agg}(CAST(id AS TEXT) || '|' || CAST(site_id AS TEXT) || '|' || {}, {sep} ORDER BY id) FROM risks WHERE 1 = 1",
                    json_expr()
                ),
            ),
        };
        scope_on(&mut sql, "site_id", scope);
        if let Some(s) = site {
            sql.push(" AND site_id = ").arg(Val::Int(Some(s.get())));
        }
        let text: Option<String> = sql.query().fetch_one(&self.read).await?.try_get(0)?;
        let mut out = Vec::new();
        for line in text.unwrap_or_default().lines().filter(|l| !l.is_empty()) {
            let bad = || StoreError::Corrupt("a risk of an assessment period that cannot be read".into());
            let mut f = line.splitn(3, '|');
            let id: i64 = f.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
            let site: i64 = f.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
            let doc: Value = serde_json::from_str(f.next().ok_or_else(bad)?).map_err(|_| bad())?;
            out.push((id, SiteId::new(site), doc));
        }
        Ok(out)
    }
}
