//! Storage for the ISMS beyond its records: the crosswalk between Annex A and other
//! catalogues, imported catalogues and licensed texts, the content of uploaded evidence, and
//! the counts behind the SoA dashboard.
//!
//! Every write here appends its audit entry in the same transaction, like the records.

use c981_domain::audit::{Action, changes_json, diff};
use c981_domain::entity::Entity;
use c981_domain::{EntityKind, Evidence, Record, SiteId, Timestamp};
use serde_json::{Value, json};
use sqlx::Row;

use crate::crud::{Sql, scope_on};
use crate::json::{Val, decode};
use crate::{AuditMeta, Result, SiteScope, Store, StoreError};

/// A link of the crosswalk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CrosswalkRow {
    pub id: i64,
    /// Annex A control id, `8.20`.
    pub control: String,
    /// The catalogue of the target: `iec62443-3-3` or an imported catalogue's key.
    pub catalog: String,
    /// The target's id in that catalogue, `SR 5.1`.
    pub target: String,
    pub relationship: String,
    pub basis: String,
    /// `default` (shipped, informative) or `user`.
    pub origin: String,
    pub updated_at: Timestamp,
    pub updated_by: String,
}

/// A new or changed crosswalk link.
#[derive(Debug, Clone)]
pub struct CrosswalkLink<'a> {
    pub control: &'a str,
    pub catalog: &'a str,
    pub target: &'a str,
    pub relationship: &'a str,
    pub basis: &'a str,
}

/// A catalogue version known to the store (imported, or a built-in one with imported texts).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CatalogRow {
    pub id: i64,
    pub key: String,
    pub version: String,
    pub title: String,
    pub builtin: bool,
    /// File name and SHA-256 of the import.
    pub source: String,
    pub imported_at: Timestamp,
    pub imported_by: String,
    pub items: i64,
}

/// An item of a catalogue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CatalogItem {
    pub id: String,
    pub group: String,
    pub title: String,
    pub description: String,
    pub guidance: String,
}

/// An uploaded evidence file.
#[derive(Debug, Clone)]
pub struct EvidenceFile {
    pub sha256: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Counts of a scope's entries, by applicability and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryCount {
    pub site_id: SiteId,
    pub scope_id: i64,
    pub applicability: String,
    pub status: String,
    pub count: i64,
    /// Of those, with no evidence linked.
    pub without_evidence: i64,
    /// Of those, whose next review is before the day asked for.
    pub overdue: i64,
    /// Of those, with an empty justification.
    pub unjustified: i64,
    /// The latest change among them, microseconds.
    pub last_change: i64,
    /// Their versions summed, and weighted by position (see `c981_domain::isms::fingerprint`).
    pub version_sum: i64,
    pub weighted_sum: i64,
}

/// The latest frozen version of a scope and whether it carries an approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestVersion {
    pub scope_id: i64,
    pub version_id: i64,
    pub number: i64,
    pub frozen_at: Timestamp,
    /// Signatures with the meaning "approved".
    pub approvals: i64,
    /// What the frozen statement was made of.
    pub fingerprint: String,
}

const CROSSWALK_COLUMNS: &str = "id, control, catalog, target, relationship, basis, origin, updated_at, updated_by";

fn crosswalk_row(r: &sqlx::any::AnyRow) -> Result<CrosswalkRow> {
    Ok(CrosswalkRow {
        id: r.try_get(0)?,
        control: r.try_get(1)?,
        catalog: r.try_get(2)?,
        target: r.try_get(3)?,
        relationship: r.try_get(4)?,
        basis: r.try_get(5)?,
        origin: r.try_get(6)?,
        updated_at: Timestamp::from_micros(r.try_get(7)?),
        updated_by: r.try_get(8)?,
    })
}

fn link_doc(r: &CrosswalkRow) -> Value {
    json!({
        "control": r.control,
        "catalog": r.catalog,
        "target": r.target,
        "relationship": r.relationship,
        "basis": r.basis,
        "origin": r.origin,
    })
}

/// The key under which the store notes that the default crosswalk was installed.
const SEEDED: &str = "crosswalk_default_installed";

impl Store {
    /// Installs the default crosswalk once (on the first start after the migration): links a
    /// person later removes stay removed.
    pub async fn install_default_crosswalk(&self, links: &[CrosswalkLink<'_>]) -> Result<bool> {
        if self.meta(SEEDED).await?.is_some() {
            return Ok(false);
        }
        let mut tx = self.write.begin().await?;
        for l in links {
            sqlx::query(
                "INSERT INTO crosswalk_links (control, catalog, target, relationship, basis, origin, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, 'default', 0, '') ON CONFLICT (control, catalog, target) DO NOTHING",
            )
            .bind(l.control)
            .bind(l.catalog)
            .bind(l.target)
            .bind(l.relationship)
            .bind(l.basis)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(SEEDED)
        .bind(links.len().to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The crosswalk, by control (Annex A order is the caller's) then target.
    pub async fn crosswalk(&self, control: Option<&str>, catalog: Option<&str>) -> Result<Vec<CrosswalkRow>> {
        let mut sql = Sql::new(self.backend, &format!("SELECT {CROSSWALK_COLUMNS} FROM crosswalk_links WHERE 1 = 1"));
        if let Some(c) = control {
            sql.push(" AND control = ").arg(Val::Text(Some(c.to_owned())));
        }
        if let Some(c) = catalog {
            sql.push(" AND catalog = ").arg(Val::Text(Some(c.to_owned())));
        }
        sql.push(" ORDER BY control, catalog, target");
        let rows = sql.query().fetch_all(&self.read).await?;
        rows.iter().map(crosswalk_row).collect()
    }

    /// Creates or changes a link (the same control, catalogue and target is the same link).
    pub async fn put_crosswalk_link(&self, meta: &AuditMeta, link: &CrosswalkLink<'_>) -> Result<CrosswalkRow> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let old = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CROSSWALK_COLUMNS} FROM crosswalk_links WHERE control = $1 AND catalog = $2 AND target = $3"
        )))
        .bind(link.control)
        .bind(link.catalog)
        .bind(link.target)
        .fetch_optional(&mut *tx)
        .await?;
        let old = old.as_ref().map(crosswalk_row).transpose()?;
        let at = meta.at.micros();
        let row = match &old {
            Some(o) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE crosswalk_links SET relationship = $1, basis = $2, origin = 'user', updated_at = $3, updated_by = $4 \
                     WHERE id = $5 RETURNING {CROSSWALK_COLUMNS}"
                )))
                .bind(link.relationship)
                .bind(link.basis)
                .bind(at)
                .bind(&meta.actor_name)
                .bind(o.id)
                .fetch_one(&mut *tx)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO crosswalk_links (control, catalog, target, relationship, basis, origin, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4, $5, 'user', $6, $7) RETURNING {CROSSWALK_COLUMNS}"
                )))
                .bind(link.control)
                .bind(link.catalog)
                .bind(link.target)
                .bind(link.relationship)
                .bind(link.basis)
                .bind(at)
                .bind(&meta.actor_name)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let row = crosswalk_row(&row)?;
        let before = old.as_ref().map(link_doc);
        let after = link_doc(&row);
        let action = if old.is_some() { Action::Update } else { Action::Create };
        crate::audit::append(
            &mut tx,
            seq,
            prev,
            meta.draft(
                action,
                EntityKind::Crosswalk,
                Some(row.id),
                None,
                changes_json(&diff(before.as_ref(), Some(&after))),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Removes a link.
    pub async fn delete_crosswalk_link(&self, meta: &AuditMeta, id: i64) -> Result<CrosswalkRow> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let old =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {CROSSWALK_COLUMNS} FROM crosswalk_links WHERE id = $1")))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(old) = old.as_ref().map(crosswalk_row).transpose()? else {
            return Err(StoreError::NotFound { kind: EntityKind::Crosswalk, id });
        };
        sqlx::query("DELETE FROM crosswalk_links WHERE id = $1").bind(id).execute(&mut *tx).await?;
        crate::audit::append(
            &mut tx,
            seq,
            prev,
            meta.draft(
                Action::Delete,
                EntityKind::Crosswalk,
                Some(id),
                None,
                changes_json(&diff(Some(&link_doc(&old)), None)),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(old)
    }

    /// The catalogue versions the store holds, by key then import time.
    pub async fn catalogs(&self) -> Result<Vec<CatalogRow>> {
        let rows = sqlx::query(
            "SELECT c.id, c.key, c.version, c.title, c.builtin, c.source, c.imported_at, c.imported_by, \
             (SELECT count(*) FROM catalog_items i WHERE i.catalog_id = c.id) \
             FROM catalogs c ORDER BY c.key, c.imported_at, c.id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CatalogRow {
                    id: r.try_get(0)?,
                    key: r.try_get(1)?,
                    version: r.try_get(2)?,
                    title: r.try_get(3)?,
                    builtin: crate::json::get_bool(r, 4)?,
                    source: r.try_get(5)?,
                    imported_at: Timestamp::from_micros(r.try_get(6)?),
                    imported_by: r.try_get(7)?,
                    items: r.try_get(8)?,
                })
            })
            .collect()
    }

    /// The items of one catalogue version, in the order imported.
    pub async fn catalog_items(&self, catalog_id: i64) -> Result<Vec<CatalogItem>> {
        let rows = sqlx::query(
            "SELECT item_id, grp, title, description, guidance FROM catalog_items WHERE catalog_id = $1 ORDER BY position",
        )
        .bind(catalog_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CatalogItem {
                    id: r.try_get(0)?,
                    group: r.try_get(1)?,
                    title: r.try_get(2)?,
                    description: r.try_get(3)?,
                    guidance: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Stores a catalogue version (replacing the items of the same key and version), with one
    /// audited `import` entry naming the file and its SHA-256 and the items before and after.
    #[allow(clippy::too_many_arguments)]
    pub async fn import_catalog(
        &self,
        meta: &AuditMeta,
        key: &str,
        version: &str,
        title: &str,
        builtin: bool,
        source: &str,
        items: &[CatalogItem],
    ) -> Result<CatalogRow> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let old: Option<i64> = sqlx::query_scalar("SELECT id FROM catalogs WHERE key = $1 AND version = $2")
            .bind(key)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
        let mut before = Vec::new();
        if let Some(id) = old {
            let rows = sqlx::query("SELECT item_id, description FROM catalog_items WHERE catalog_id = $1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
            for r in &rows {
                before.push((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?));
            }
            sqlx::query("DELETE FROM catalogs WHERE id = $1").bind(id).execute(&mut *tx).await?;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO catalogs (key, version, title, builtin, source, imported_at, imported_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(key)
        .bind(version)
        .bind(title)
        .bind(builtin)
        .bind(source)
        .bind(meta.at.micros())
        .bind(&meta.actor_name)
        .fetch_one(&mut *tx)
        .await?;
        for (pos, item) in items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO catalog_items (catalog_id, item_id, position, grp, title, description, guidance) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(&item.id)
            .bind(pos as i64)
            .bind(&item.group)
            .bind(&item.title)
            .bind(&item.description)
            .bind(&item.guidance)
            .execute(&mut *tx)
            .await?;
        }
        let changes = json!({
            "catalog": key,
            "version": version,
            "title": title,
            "source": source,
            "items": items.len(),
            "replaced_items": before.len(),
        });
        crate::audit::append(
            &mut tx,
            seq,
            prev,
            meta.draft(Action::Import, EntityKind::Catalog, Some(id), None, changes.to_string()),
        )
        .await?;
        tx.commit().await?;
        self.catalogs()
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| StoreError::Corrupt("the imported catalogue vanished".into()))
    }

    /// Attaches an uploaded file to a piece of evidence: the content and the record's file
    /// name, size and SHA-256 change together, audited as an update of the record.
    #[allow(clippy::too_many_arguments)]
    pub async fn put_evidence_file(
        &self,
        scope: &SiteScope,
        id: i64,
        meta: &AuditMeta,
        file_name: &str,
        content_type: &str,
        content: &[u8],
        sha256: &str,
    ) -> Result<Record<Evidence>> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let old: Record<Evidence> = decode(&self.fetch_row::<Evidence, _>(&mut *tx, scope, id).await?)?;
        let mut input = old.data.to_input();
        input.kind = Some("file".into());
        input.file_name = Some(file_name.to_owned());
        input.size = Some(content.len().to_string());
        input.sha256 = Some(sha256.to_owned());
        let new = Evidence::parse(&input).map_err(StoreError::Invalid)?;
        sqlx::query("DELETE FROM evidence_files WHERE evidence_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO evidence_files (evidence_id, sha256, content_type, content) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(sha256)
            .bind(content_type)
            .bind(content.to_vec())
            .execute(&mut *tx)
            .await?;
        let (_seq, _prev) = self.rewrite_in(&mut tx, seq, prev, &old, new.clone(), meta).await?;
        tx.commit().await?;
        Ok(Record { id: old.id, data: new, version: old.version + 1, created_at: old.created_at, updated_at: meta.at })
    }

    /// The uploaded file of a piece of evidence within the caller's sites.
    pub async fn evidence_file(&self, scope: &SiteScope, id: i64) -> Result<Option<EvidenceFile>> {
        let mut sql = Sql::new(
            self.backend,
            "SELECT f.sha256, f.content_type, f.content FROM evidence_files f JOIN evidence e ON e.id = f.evidence_id \
             WHERE f.evidence_id = ",
        );
        sql.arg(Val::Int(Some(id)));
        scope_on(&mut sql, "e.site_id", scope);
        let row = sql.query().fetch_optional(&self.read).await?;
        row.map(|r| Ok(EvidenceFile { sha256: r.try_get(0)?, content_type: r.try_get(1)?, content: r.try_get(2)? }))
            .transpose()
    }

    /// The counts behind the SoA dashboard for the scopes of the caller's sites (one site
    /// when `site` is given); `today` is `YYYY-MM-DD`.
    pub async fn soa_counts(&self, scope: &SiteScope, site: Option<SiteId>, today: &str) -> Result<Vec<EntryCount>> {
        let mut sql = Sql::new(self.backend, "SELECT site_id, scope_id, applicability, status, count(*), ");
        sql.push("sum(CASE WHEN evidence_ids = '[]' THEN 1 ELSE 0 END), ");
        sql.push("sum(CASE WHEN next_review IS NOT NULL AND next_review < ").arg(Val::Text(Some(today.to_owned())));
        sql.push(" THEN 1 ELSE 0 END), sum(CASE WHEN justification = '' THEN 1 ELSE 0 END), max(updated_at), ");
        sql.push("CAST(sum(version) AS BIGINT), CAST(sum(control_order * version) AS BIGINT) ");
        sql.push("FROM soa_entries WHERE 1 = 1");
        scope_on(&mut sql, "site_id", scope);
        if let Some(s) = site {
            sql.push(" AND site_id = ").arg(Val::Int(Some(s.get())));
        }
        sql.push(" GROUP BY site_id, scope_id, applicability, status");
        let rows = sql.query().fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                let last: String = r.try_get(8)?;
                Ok(EntryCount {
                    site_id: SiteId::new(r.try_get(0)?),
                    scope_id: r.try_get(1)?,
                    applicability: r.try_get(2)?,
                    status: r.try_get(3)?,
                    count: r.try_get(4)?,
                    without_evidence: r.try_get(5)?,
                    overdue: r.try_get(6)?,
                    unjustified: r.try_get(7)?,
                    last_change: Timestamp::parse(&last).map(|t| t.micros()).unwrap_or(0),
                    version_sum: r.try_get(9)?,
                    weighted_sum: r.try_get(10)?,
                })
            })
            .collect()
    }

    /// The latest frozen version of every scope of the caller's sites, with its approvals.
    pub async fn latest_soa_versions(&self, scope: &SiteScope, site: Option<SiteId>) -> Result<Vec<LatestVersion>> {
        let mut sql = Sql::new(
            self.backend,
            "SELECT v.scope_id, v.id, v.number, v.created_at, \
             (SELECT count(*) FROM signatures g WHERE g.entity_type = 'soa_version' AND g.entity_id = v.id \
              AND g.meaning = 'approved'), v.fingerprint \
             FROM soa_versions v WHERE v.number = (SELECT max(w.number) FROM soa_versions w WHERE w.scope_id = v.scope_id)",
        );
        scope_on(&mut sql, "v.site_id", scope);
        if let Some(s) = site {
            sql.push(" AND v.site_id = ").arg(Val::Int(Some(s.get())));
        }
        let rows = sql.query().fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                let at: String = r.try_get(3)?;
                Ok(LatestVersion {
                    scope_id: r.try_get(0)?,
                    version_id: r.try_get(1)?,
                    number: r.try_get(2)?,
                    frozen_at: Timestamp::parse(&at).map_err(|_| StoreError::Corrupt(format!("bad time {at:?}")))?,
                    approvals: r.try_get(4)?,
                    fingerprint: r.try_get(5)?,
                })
            })
            .collect()
    }
}
