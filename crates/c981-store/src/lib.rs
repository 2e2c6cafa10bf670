//! Storage for Connect 981: one [`Store`] over an embedded SQLite file (the default) or a
//! PostgreSQL server, chosen once at start by the database URL.
//!
//! The store is written once against sqlx's `Any` driver with `$N` placeholders and
//! portable types (integers, text, booleans; timestamps as integer microseconds, lists as JSON
//! text), with one migration folder per dialect and a few dialect hooks ([`Backend`]): see
//! `docs/architecture.md` for why this beat per-backend code and an ORM here.
//!
//! Every write runs in one transaction that starts by advancing the audit chain head (which
//! serialises writers on both databases and hands out the next sequence number), changes the
//! rows, and appends the audit entry for the change: a change and its audit entry are stored
//! together or not at all.

pub mod analysis;
mod audit;
mod bulk;
mod crud;
pub mod identity;
mod inventory;
pub mod isms;
mod json;
mod risk;
mod risk_library;
mod tables;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use c981_domain::audit::{Action, AuditDraft, Channel};
use c981_domain::{EntityKind, FieldError, SiteId, Timestamp, ValidationError};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use audit::AuditQuery;
pub use crud::{ListQuery, Page};
pub use inventory::{ImportRow, ImportTx, Liveness, NewImport, NewProposal, Observation, ProposalRow};
pub use json::Val;
pub use risk::{OverduePage, RerateCounts, RiskModelRow};
pub use risk_library::{DismissalRow, PeriodRow, RatingCount, RatingCounts, SuggestionAsset, TemplateRow};
pub use tables::{Col, ColType, Filter, Table};

/// The result type of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What can go wrong in the store, in terms the application can act on. Database detail stays
/// in [`StoreError::Database`], which callers log and never show.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{kind} {id} was not found")]
    NotFound { kind: EntityKind, id: i64 },
    #[error("invalid: {0}")]
    Invalid(ValidationError),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(
        "this database was written by a newer version of Connect 981 (it has schema migration {found}, this binary knows up to {known}); install that version or newer"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("the database holds data this version cannot read: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(ValidationError { errors: vec![FieldError::new(field, message)] })
    }
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    /// The backend a URL names: `sqlite:` or `postgres://` / `postgresql://`.
    pub fn of_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::field("database", "the database URL must start with sqlite: or postgres://"))
        }
    }
}

/// Which sites a caller may see. Every read and write of site data takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteScope {
    All,
    Only(Vec<SiteId>),
}

impl SiteScope {
    pub fn allows(&self, site: SiteId) -> bool {
        match self {
            Self::All => true,
            Self::Only(sites) => sites.contains(&site),
        }
    }
}

/// Who made a change, when, through which channel and why: everything of an audit entry that
/// the caller knows. The store adds the action, the entity and the field changes.
#[derive(Debug, Clone)]
pub struct AuditMeta {
    pub at: Timestamp,
    pub actor_id: String,
    pub actor_name: String,
    pub actor_role: String,
    pub channel: Channel,
    pub request_id: String,
    pub reason: Option<String>,
}

impl AuditMeta {
    pub(crate) fn draft(
        &self,
        action: Action,
        entity_type: EntityKind,
        entity_id: Option<i64>,
        site_id: Option<i64>,
        changes: String,
    ) -> AuditDraft {
        AuditDraft {
            at: self.at,
            actor_id: self.actor_id.clone(),
            actor_name: self.actor_name.clone(),
            actor_role: self.actor_role.clone(),
            channel: self.channel,
            request_id: self.request_id.clone(),
            action,
            entity_type: entity_type.as_str().to_owned(),
            entity_id,
            site_id,
            reason: self.reason.clone(),
            changes,
        }
    }
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Run pending migrations (true for `serve` and `migrate`); otherwise a database that
    /// needs migrating is refused.
    pub migrate: bool,
    /// Connections for reads (PostgreSQL: for everything).
    pub max_connections: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self { migrate: true, max_connections: 8 }
    }
}

/// The store.
#[derive(Clone)]
pub struct Store {
    /// Writes. On SQLite a single connection: SQLite has one writer at a time anyway, and
    /// queuing in the pool is cheaper and fairer than busy-waiting on the file lock.
    write: AnyPool,
    /// Reads. On PostgreSQL the same pool as `write`.
    read: AnyPool,
    backend: Backend,
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens (and with `opts.migrate`, creates and migrates) the database at `url`.
    pub async fn open(url: &str, opts: OpenOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let store = match backend {
            Backend::Sqlite => {
                let url = if url.contains('?') { url.to_owned() } else { format!("{url}?mode=rwc") };
                let connect = AnyConnectOptions::from_str(&url)?;
                // 16 MiB of page cache per connection (five connections): the operating
                // system's file cache holds the rest, outside the server's memory.
                fn pragmas(
                    conn: &mut sqlx::AnyConnection,
                ) -> futures_util::future::BoxFuture<'_, std::result::Result<(), sqlx::Error>> {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY;",
                        )
                        .await?;
                        Ok(())
                    })
                }
                let write = AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(60))
                    .after_connect(move |c, _| pragmas(c))
                    .connect_with(connect.clone())
                    .await?;
                // Each SQLite connection is served by a thread of its own; on a small machine,
                // more readers than a few per core only add context switches.
                let read = AnyPoolOptions::new()
                    .max_connections(opts.max_connections.clamp(1, 4))
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(move |c, _| pragmas(c))
                    .connect_with(connect)
                    .await?;
                Store { write, read, backend }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(opts.max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await?;
                Store { write: pool.clone(), read: pool, backend }
            }
        };
        store.check_schema(opts.migrate).await?;
        Ok(store)
    }

    /// Opens a SQLite database file in `dir` (created if missing).
    pub async fn open_sqlite_dir(dir: &Path, opts: OpenOptions) -> Result<Self> {
        let path = dir.join("c981.db");
        Self::open(&format!("sqlite://{}", path.display()), opts).await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        }
    }

    /// The newest migration this binary knows.
    pub fn known_schema_version(&self) -> i64 {
        self.migrator().iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Refuses a database from a newer version; migrates or refuses one from an older one.
    async fn check_schema(&self, migrate: bool) -> Result<()> {
        let known = self.known_schema_version();
        let table_exists: bool = match self.backend {
            Backend::Sqlite => {
                sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
                    .fetch_one(&self.read)
                    .await?
                    > 0
            }
            Backend::Postgres => {
                sqlx::query_scalar::<_, i64>("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'")
                    .fetch_one(&self.read)
                    .await?
                    > 0
            }
        };
        let applied: i64 = if table_exists {
            sqlx::query_scalar::<_, Option<i64>>("SELECT max(version) FROM _sqlx_migrations")
                .fetch_one(&self.read)
                .await?
                .unwrap_or(0)
        } else {
            0
        };
        if applied > known {
            return Err(StoreError::SchemaTooNew { found: applied, known });
        }
        if applied < known {
            if !migrate {
                return Err(StoreError::Conflict(format!(
                    "the database schema is at migration {applied}, this version needs {known}: run `c981 migrate`"
                )));
            }
            self.migrate().await?;
        }
        Ok(())
    }

    /// Applies pending migrations; returns the schema version reached.
    pub async fn migrate(&self) -> Result<i64> {
        self.migrator().run(&self.write).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::VersionMissing(found) => {
                StoreError::SchemaTooNew { found, known: self.known_schema_version() }
            }
            other => StoreError::Corrupt(format!("migration failed: {other}")),
        })?;
        Ok(self.known_schema_version())
    }

    /// Closes the pools, waiting for connections in use.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    /// The raw write pool, for the conformance suite's tamper tests.
    #[doc(hidden)]
    pub fn raw_pool(&self) -> &AnyPool {
        &self.write
    }

    /// Refreshes the planner's statistics after a large load, so filtered lists take the
    /// index that fits (without them SQLite may walk a level index across every site instead
    /// of the site's few rows). SQLite analyses a bounded sample of each table that needs it;
    /// PostgreSQL samples every table.
    pub async fn optimize(&self) -> Result<()> {
        let sql = match self.backend {
            Backend::Sqlite => "PRAGMA analysis_limit = 2000; PRAGMA optimize = 0x10002;",
            Backend::Postgres => "ANALYZE",
        };
        self.write.execute(sql).await?;
        Ok(())
    }

    /// Reads a value of the `meta` table.
    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar::<_, String>("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.read)
            .await?)
    }

    /// Sets a value of the `meta` table (installation facts, never secrets).
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.write)
        .await?;
        Ok(())
    }
}
