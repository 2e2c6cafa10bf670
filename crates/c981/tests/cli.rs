//! The `c981` binary as a user runs it, on both databases.

use std::process::{Command, Output};

use c981_testkit::{TestDb, backend_tests};

fn c981(db: &TestDb, data: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_c981"))
        .arg("--data-dir")
        .arg(data)
        .arg("--database")
        .arg(&db.url)
        .arg("--as")
        .arg("Quality Engineer")
        .args(args)
        .output()
        .expect("run c981")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

async fn audit_verify_passes_then_names_the_altered_entry_and_exits_non_zero(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    let o = c981(&db, data.path(), &["demo"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = c981(&db, data.path(), &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("audit trail intact"), "{}", text(&o));

    let cp = data.path().join("cp.json");
    let o = c981(&db, data.path(), &["audit", "checkpoint", "--out", cp.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = c981(&db, data.path(), &["audit", "verify", "--checkpoint", cp.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));

    let store = db.store().await;
    let drop_guard = match store.backend() {
        c981_store::Backend::Sqlite => "DROP TRIGGER audit_log_no_update",
        c981_store::Backend::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log",
    };
    sqlx::query(drop_guard).execute(store.raw_pool()).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor_name = 'Mallory' WHERE seq = 42").execute(store.raw_pool()).await.unwrap();
    store.close().await;
    let o = c981(&db, data.path(), &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("AUDIT TRAIL BROKEN at entry 42"), "{}", text(&o));

    let csv = data.path().join("trail.csv");
    let o = c981(&db, data.path(), &["audit", "export", "--format", "csv", "--out", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let exported = std::fs::read_to_string(&csv).unwrap();
    assert!(exported.starts_with("seq,at,actor_id"));
    assert!(exported.contains("Quality Engineer"));
}

async fn the_demo_is_loaded_only_into_an_empty_database(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    assert!(c981(&db, data.path(), &["demo"]).status.success());
    let o = c981(&db, data.path(), &["demo"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("empty database"), "{}", text(&o));
}

backend_tests!(
    audit_verify_passes_then_names_the_altered_entry_and_exits_non_zero,
    the_demo_is_loaded_only_into_an_empty_database
);

#[test]
fn serving_beyond_loopback_is_refused_before_login_exists() {
    let data = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_c981"))
        .args(["--data-dir", data.path().to_str().unwrap(), "serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("loopback"), "{}", text(&o));
}

#[test]
fn a_bad_configuration_is_reported_by_name_and_secrets_are_not_printed() {
    let data = tempfile::tempdir().unwrap();
    let cfg = data.path().join("c981.toml");
    std::fs::write(
        &cfg,
        "database = \"postgres://c981:hunter2@127.0.0.1:1/c981\"\ncolour = \"blue\"\nlog_format = \"text\"\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_c981"))
        .args(["--config", cfg.to_str().unwrap(), "config", "show"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("unknown setting \"colour\""), "{t}");
    assert!(!t.contains("hunter2"), "{t}");
    assert!(t.contains("c981:***@"), "{t}");
    std::fs::write(&cfg, "log_format = \"xml\"\n").unwrap();
    let o =
        Command::new(env!("CARGO_BIN_EXE_c981")).args(["--config", cfg.to_str().unwrap(), "migrate"]).output().unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("log_format"), "{}", text(&o));
}

#[tokio::test]
async fn serve_answers_on_port_zero_and_stops_gracefully() {
    let data = tempfile::tempdir().unwrap();
    let config = c981::config::Config { data_dir: data.path().to_owned(), ..Default::default() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        c981::serve(&config, listener, false, async {
            let _ = rx.await;
        })
        .await
    });
    let mut ok = false;
    for _ in 0..100 {
        if let Ok(mut s) = tokio::net::TcpStream::connect(addr).await {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
            let mut buf = String::new();
            s.read_to_string(&mut buf).await.unwrap();
            ok = buf.starts_with("HTTP/1.1 200");
            if ok {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ok, "the server answered /healthz");
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}
