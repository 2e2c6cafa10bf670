//! Bulk reads for the IEC 62443 analysis: everything of one site that the analysis needs,
//! each kind aggregated by the database into one JSON text, so that 10,000 assets cross the
//! driver as one value rather than 10,000 rows (see D9 in `docs/architecture.md`).
//!
//! Zones and conduits come as their API objects (parsed back through the entity's one
//! validation path by the caller); assets, flows and requirement statuses as compact arrays
//! of the columns the analysis reads, in the column order documented on [`SiteFacts`].

use std::collections::HashMap;

use c981_domain::audit::{Action, AuditEntry};
use c981_domain::{EntityKind, SiteId};
use sqlx::Row;

use crate::crud::Sql;
use crate::{AuditMeta, Backend, Result, SiteScope, Store, StoreError, Val};

/// The facts of one site, as JSON arrays.
#[derive(Debug, Clone)]
pub struct SiteFacts {
    pub site_id: SiteId,
    /// The last audit sequence number of the site when read: any change to the site's
    /// records moves it, so equal versions mean equal facts.
    pub version: i64,
    /// `[{zone as in the API}, …]`
    pub zones: String,
    /// `[{conduit as in the API}, …]`
    pub conduits: String,
    /// `[[zone_id, conduit_id, requirement, status, justification], …]`
    pub statuses: String,
    /// `[[id, zone_id, kind, "[\"ip\", …]", traits], …]` (the address list as its stored
    /// JSON text, which is cheaper for the database than re-parsing it; `traits` packs the
    /// booleans as bits: [`ASSET_SAFETY`], [`ASSET_WIRELESS`], [`ASSET_TEMPORARY`],
    /// [`ASSET_EXTERNAL`])
    pub assets: String,
    /// `[[id, source_asset_id, source_external, destination_asset_id, destination_external,
    /// protocol, port, flags], …]` (`flags` packs [`FLOW_BIDIRECTIONAL`], [`FLOW_ENCRYPTED`],
    /// [`FLOW_DOCUMENTED`], [`FLOW_OBSERVED`]: fewer values for the database to build and
    /// for the caller to parse, which is most of the cost of a cold analysis)
    pub flows: String,
}

fn agg(backend: Backend, item: &str, table: &str) -> String {
    match backend {
        Backend::Sqlite => {
            format!("SELECT '[' || coalesce(group_concat({item}, ','), '') || ']' FROM {table} WHERE site_id = ")
        }
        Backend::Postgres => {
            format!("SELECT '[' || coalesce(string_agg({item}, ','), '') || ']' FROM {table} WHERE site_id = ")
        }
    }
}

fn doc_item() -> &'static str {
    "'{\"id\":' || id || ',' || doc || '}'"
}

/// Bits of an asset's `traits` in [`SiteFacts::assets`].
pub const ASSET_SAFETY: u8 = 1;
pub const ASSET_WIRELESS: u8 = 2;
pub const ASSET_TEMPORARY: u8 = 4;
pub const ASSET_EXTERNAL: u8 = 8;
/// Bits of a flow's `flags` in [`SiteFacts::flows`].
pub const FLOW_BIDIRECTIONAL: u8 = 1;
pub const FLOW_ENCRYPTED: u8 = 2;
pub const FLOW_DOCUMENTED: u8 = 4;
pub const FLOW_OBSERVED: u8 = 8;

/// An SQL expression packing boolean columns (or conditions) into bits, lowest first.
fn bits(backend: Backend, terms: &[&str]) -> String {
    let parts: Vec<String> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| match backend {
            Backend::Sqlite => format!("(({t}) << {i})"),
            Backend::Postgres => format!("((({t})::int) << {i})"),
        })
        .collect();
    format!("({})", parts.join(" | "))
}

fn array_item(backend: Backend, cols: &[&str]) -> String {
    match backend {
        Backend::Sqlite => format!("json_array({})", cols.join(", ")),
        Backend::Postgres => format!("json_build_array({})::text", cols.join(", ")),
    }
}

impl Store {
    /// The version of a site's facts: the sequence number of its last audit entry (0 when
    /// it has none).
    pub async fn site_version(&self, scope: &SiteScope, site: SiteId) -> Result<i64> {
        if !scope.allows(site) {
            return Err(StoreError::NotFound { kind: c981_domain::EntityKind::Site, id: site.get() });
        }
        let mut sql = Sql::new(self.backend, "SELECT max(seq) FROM audit_log WHERE site_id = ");
        sql.arg(Val::Int(Some(site.get())));
        let v: Option<i64> = sql.query().fetch_one(&self.read).await?.try_get(0)?;
        Ok(v.unwrap_or(0))
    }

    /// Everything of one site the analysis reads, at one version. The reads run in one
    /// transaction on the read pool so they see one state of the database.
    pub async fn site_facts(&self, scope: &SiteScope, site: SiteId) -> Result<SiteFacts> {
        if !scope.allows(site) {
            return Err(StoreError::NotFound { kind: c981_domain::EntityKind::Site, id: site.get() });
        }
        let b = self.backend;
        let mut tx = self.read.begin().await?;
        if b == Backend::Postgres {
            // One snapshot for all the reads (SQLite's WAL gives one from the first read).
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        }
        let mut text = async |sql: String| -> Result<String> {
            let mut q = Sql::new(b, &sql);
            q.arg(Val::Int(Some(site.get())));
            let row = q.query().fetch_one(&mut *tx).await?;
            Ok(row.try_get::<String, _>(0)?)
        };
        let zones = text(agg(b, doc_item(), "zones")).await?;
        let conduits = text(agg(b, doc_item(), "conduits")).await?;
        let statuses = text(agg(
            b,
            &array_item(b, &["zone_id", "conduit_id", "requirement", "status", "justification"]),
            "requirement_statuses",
        ))
        .await?;
        let assets = text(agg(
            b,
            &array_item(
                b,
                &[
                    "id",
                    "zone_id",
                    "kind",
                    "ip_addresses",
                    &bits(b, &["safety_related", "wireless", "temporarily_connected", "externally_reached"]),
                ],
            ),
            "assets",
        ))
        .await?;
        let flows = text(agg(
            b,
            &array_item(
                b,
                &[
                    "id",
                    "source_asset_id",
                    "source_external",
                    "destination_asset_id",
                    "destination_external",
                    "protocol",
                    "port",
                    &bits(b, &["direction = 'bidirectional'", "encrypted", "documented", "observed"]),
                ],
            ),
            "flows",
        ))
        .await?;
        let mut v = Sql::new(b, "SELECT max(seq) FROM audit_log WHERE site_id = ");
        v.arg(Val::Int(Some(site.get())));
        let version: Option<i64> = v.query().fetch_one(&mut *tx).await?.try_get(0)?;
        tx.rollback().await?;
        Ok(SiteFacts { site_id: site, version: version.unwrap_or(0), zones, conduits, statuses, assets, flows })
    }

    /// The sites (within `scope`) whose flows name one of `names` as an outside endpoint.
    pub async fn sites_naming_externals(&self, scope: &SiteScope, names: &[String]) -> Result<Vec<SiteId>> {
        let mut out = Vec::new();
        for chunk in names.chunks(500) {
            for col in ["source_external", "destination_external"] {
                let mut sql = Sql::new(self.backend, &format!("SELECT DISTINCT site_id FROM flows WHERE {col} IN ("));
                for (i, n) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.arg(Val::Text(Some(n.clone())));
                }
                sql.push(")");
                crate::crud::scope_on(&mut sql, "site_id", scope);
                for row in sql.query().fetch_all(&self.read).await? {
                    out.push(SiteId::new(row.try_get::<i64, _>(0)?));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Stores licensed description text of requirements (replacing earlier text of the same
    /// requirements) and its audit entry, in one transaction. The audit entry names the
    /// source and the requirements, not the text.
    pub async fn put_requirement_texts(
        &self,
        meta: &AuditMeta,
        items: &[(String, String)],
        source: &str,
    ) -> Result<AuditEntry> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        for (id, text) in items {
            let mut sql = Sql::new(
                self.backend,
                "INSERT INTO requirement_texts (requirement, description, source, imported_at) VALUES (",
            );
            sql.arg(Val::Text(Some(id.clone())))
                .push(", ")
                .arg(Val::Text(Some(text.clone())))
                .push(", ")
                .arg(Val::Text(Some(source.to_owned())))
                .push(", ")
                .arg(Val::Int(Some(meta.at.micros())))
                .push(") ON CONFLICT (requirement) DO UPDATE SET description = excluded.description, source = excluded.source, imported_at = excluded.imported_at");
            sql.query().execute(&mut *tx).await?;
        }
        let ids: Vec<&str> = items.iter().map(|(id, _)| id.as_str()).collect();
        let changes = serde_json::json!({
            "requirements": { "old": null, "new": ids },
            "source": { "old": null, "new": source },
        })
        .to_string();
        let entry = crate::audit::append(
            &mut tx,
            seq,
            prev,
            meta.draft(Action::Import, EntityKind::RequirementText, None, None, changes),
        )
        .await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// The imported description text of requirements, by requirement id.
    pub async fn requirement_texts(&self) -> Result<HashMap<String, String>> {
        let rows = sqlx::query("SELECT requirement, description FROM requirement_texts").fetch_all(&self.read).await?;
        rows.iter().map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?))).collect()
    }

    /// The ids of the sites within `scope`, in id order.
    pub async fn site_ids(&self, scope: &SiteScope) -> Result<Vec<SiteId>> {
        let mut sql = Sql::new(self.backend, "SELECT id FROM sites WHERE 1 = 1");
        crate::crud::scope_on(&mut sql, "id", scope);
        sql.push(" ORDER BY id");
        let rows = sql.query().fetch_all(&self.read).await?;
        rows.iter().map(|r| Ok(SiteId::new(r.try_get::<i64, _>(0)?))).collect()
    }
}
