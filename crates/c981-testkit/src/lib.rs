//! A fresh, migrated database per test, on SQLite (a temporary file) and on PostgreSQL (a new
//! schema in the server's `test` database, dropped afterwards), and [`backend_tests!`], which
//! runs each test function once per backend under a module named after it, so the test
//! output says which backend ran (`sqlite::…`, `postgres::…`).
//!
//! PostgreSQL is found at `C981_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). When it cannot be reached, the PostgreSQL
//! variants fail under CI (`CI` set) or with `C981_REQUIRE_POSTGRES=1`, and are skipped with a
//! message otherwise.

// The test kit reads its own environment (the PostgreSQL URL, CI).
#![allow(clippy::disallowed_methods)]

use c981_store::{Backend, OpenOptions, Store};

/// The PostgreSQL server tests use.
pub fn postgres_base_url() -> String {
    std::env::var("C981_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn postgres_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
        || std::env::var("C981_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    schema: Option<String>,
}

impl TestDb {
    /// A new SQLite database file in a temporary directory.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("c981.db").display());
        Self { url, backend: Backend::Sqlite, _dir: Some(dir), schema: None }
    }

    /// A new schema on the PostgreSQL server; `None` (skip) only when the server is
    /// unreachable and PostgreSQL is not required.
    pub async fn postgres() -> Option<Self> {
        let base = postgres_base_url();
        let admin = match sqlx::PgPool::connect(&base).await {
            Ok(p) => p,
            Err(e) => {
                if postgres_required() {
                    panic!("PostgreSQL at {base} is unreachable and is required here: {e}");
                }
                eprintln!(
                    "SKIPPED on postgres: {base} is unreachable ({e}); set C981_REQUIRE_POSTGRES=1 to fail instead"
                );
                return None;
            }
        };
        let schema = format!("c981_t_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&admin)
            .await
            .expect("create test schema");
        admin.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Some(Self { url, backend: Backend::Postgres, _dir: None, schema: Some(schema) })
    }

    /// Opens (and migrates) the store.
    pub async fn store(&self) -> Store {
        Store::open(&self.url, OpenOptions { migrate: true, max_connections: 4 }).await.expect("open test store")
    }

    /// The data directory of a SQLite test database (for tools that take one).
    pub fn dir(&self) -> Option<&std::path::Path> {
        self._dir.as_ref().map(|d| d.path())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(schema) = self.schema.take() {
            let base = postgres_base_url();
            // Drop in a thread of its own: Drop may run inside a runtime that cannot block.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async move {
                    let pool = sqlx::PgPool::connect(&base).await.ok()?;
                    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
                        .execute(&pool)
                        .await
                        .ok()?;
                    pool.close().await;
                    Some(())
                })
            })
            .join();
        }
    }
}

/// Runs each listed `async fn name(db: TestDb)` once on SQLite and once on PostgreSQL, as
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::TestDb::sqlite().await).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::TestDb::postgres().await else { return };
                    super::$name(db).await
                }
            )+
        }
    };
}
