//! The `c981` binary as a user runs it, on both databases.

use std::process::{Command, Output};

use c981_testkit::{TestDb, backend_tests};

fn c981(db: &TestDb, data: &std::path::Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_c981"));
    cmd.arg("--data-dir").arg(data).arg("--database").arg(&db.url);
    if !args.contains(&"--user") {
        cmd.arg("--as").arg("Quality Engineer");
    }
    cmd.args(args).output().expect("run c981")
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

async fn accounts_are_managed_from_the_command_line_and_the_api_needs_a_token(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    let o = c981(&db, data.path(), &["admin", "setup-link"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("/setup/c981_setup_"), "{}", text(&o));
    let o = c981(&db, data.path(), &["admin", "create-user", "ada", "--name", "Ada Admin", "--role", "administrator"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    let link =
        out.split("/password/").nth(1).and_then(|t| t.split_whitespace().next()).expect("a one-time link").to_owned();
    // Once an account exists, no set-up link is issued any more.
    assert!(!c981(&db, data.path(), &["admin", "setup-link"]).status.success());
    let o = c981(&db, data.path(), &["admin", "create-user", "vic", "--name", "Vic Viewer", "--role", "viewer"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = c981(&db, data.path(), &["admin", "create-user", "bad", "--name", "X", "--role", "superuser"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("--role"), "{}", text(&o));
    let o = c981(&db, data.path(), &["admin", "list-users"]);
    assert!(text(&o).contains("ada") && text(&o).contains("viewer@all sites"), "{}", text(&o));
    // Acting locally as a named account: its role applies.
    let o = c981(&db, data.path(), &["--user", "vic", "demo"]);
    assert!(!o.status.success(), "a viewer may not load the demo estate: {}", text(&o));
    let o = c981(&db, data.path(), &["admin", "disable", "vic"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&c981(&db, data.path(), &["--user", "vic", "audit", "verify"])).contains("disabled"));

    // Ada sets her password through the link, gets a token, and calls a served instance.
    let config =
        c981::config::Config { data_dir: data.path().to_owned(), database: db.url.clone(), ..Default::default() };
    let app = c981::open_app(&config, false).await.unwrap();
    let origin = c981_app::identity::Origin::default();
    app.set_password_with_link(&link, "Pump-station 7 valve cadence!", &origin).await.unwrap();
    let ctx = c981_app::Ctx::new(app.actor_of_user("ada").await.unwrap(), c981_domain::audit::Channel::Ui, "t");
    let (_, token) = app.create_token(&ctx, "cli", true, &[], 7).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        c981::serve(&config, listener, false, async {
            let _ = rx.await;
        })
        .await
    });
    let server_url = format!("http://{addr}");
    let api = |args: &[&str], token: &str| {
        Command::new(env!("CARGO_BIN_EXE_c981"))
            .args(["api", "--server", &server_url])
            .args(args)
            .env("C981_TOKEN", token)
            .output()
            .unwrap()
    };
    let mut me = api(&["GET", "/api/v1/me"], &token);
    for _ in 0..50 {
        if me.status.success() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        me = api(&["GET", "/api/v1/me"], &token);
    }
    assert!(me.status.success(), "{}", text(&me));
    assert!(text(&me).contains("Ada Admin"), "{}", text(&me));
    assert!(!text(&me).contains(&token), "the token is never echoed");
    // A read-only token cannot write; a wrong token is refused.
    let o = api(
        &[
            "POST",
            "/api/v1/sites",
            "--data",
            r#"{"code":"X1","name":"X","country":"FR","time_zone":"UTC","industry":"pharma"}"#,
        ],
        &token,
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("read-only"), "{}", text(&o));
    let o = api(&["GET", "/api/v1/sites"], "c981_pat_wrong");
    assert!(!o.status.success());
    assert!(text(&o).contains("unauthenticated"), "{}", text(&o));
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// The benchmark verbs run to the end (their figures are not asserted: performance is shown
/// by the benchmarks themselves, never by timed tests). A bench that cannot start (as when its
/// generated password broke the password policy) fails here.
async fn the_benchmarks_run_end_to_end_on_a_small_estate(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    let o = c981(
        &db,
        data.path(),
        &[
            "bench",
            "--sites",
            "2",
            "--assets-per-site",
            "20",
            "--seconds",
            "1",
            "--clients",
            "2",
            "--creates",
            "5",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    // Progress lines come first; the JSON report is the object that ends the output.
    let out = String::from_utf8_lossy(&o.stdout);
    let start = out.find("\n{").map_or(0, |i| i + 1);
    let report: serde_json::Value = serde_json::from_str(&out[start..]).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(report["assets"], 40, "{report}");
    let o = c981(&db, data.path(), &["analyze", "bench", "--rounds", "1"]);
    assert!(o.status.success() && text(&o).contains("estate: 2 sites"), "{}", text(&o));
    // The register bench fills an empty register (its two sites exist already) and times it.
    let o = c981(&db, data.path(), &["risk", "bench", "--sites", "2", "--risks-per-site", "30", "--rounds", "2"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    for line in [
        "register: 60 risks over 2 sites",
        "worst p99",
        "heatmap, the group",
        "export of 60 risks to xlsx",
        "re-rating after a model change",
    ] {
        assert!(out.contains(line), "{line:?} in {out}");
    }
    // The SoA bench times the statements the synthetic estate already has.
    let o = c981(&db, data.path(), &["soa", "bench", "--rounds", "2"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for line in
        ["2 scopes over 2 sites", "SoA XLSX, one scope", "SoA PDF", "SoA OSCAL", "group dashboard over 2 scopes"]
    {
        assert!(out.contains(line), "{line:?} in {out}");
    }
}

/// The Statement of Applicability on the command line: the dashboard, completeness (exit
/// code), a decision, exports, the evidence bundle and its verification, tampering found.
async fn the_statement_of_applicability_on_the_command_line(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    assert!(c981(&db, data.path(), &["demo"]).status.success());
    let o = c981(&db, data.path(), &["soa", "list"]);
    assert!(o.status.success() && text(&o).contains("Awaiting approval (v1)"), "{}", text(&o));
    let o = c981(&db, data.path(), &["soa", "check", "ICT"]);
    assert!(!o.status.success() && text(&o).contains("31 controls without a decision"), "{}", text(&o));
    let o = c981(&db, data.path(), &["soa", "set", "VLC", "A.8.11", "--not-applicable"]);
    assert!(!o.status.success() && text(&o).contains("an exclusion needs its reason"), "{}", text(&o));
    let o = c981(
        &db,
        data.path(),
        &["soa", "set", "VLC", "A.8.11", "--not-applicable", "--justification", "No personal data in scope"],
    );
    assert!(o.status.success() && text(&o).contains("8.11 Data masking: Not applicable"), "{}", text(&o));
    let pdf = data.path().join("soa.pdf");
    let o = c981(&db, data.path(), &["export", "soa", "LYO", "--version", "latest", "--out", pdf.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    let zip = data.path().join("bundle.zip");
    let o = c981(
        &db,
        data.path(),
        &["export", "bundle", "LYO", "--from", "2020-01-01", "--to", "2030-12-31", "--out", zip.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = c981(&db, data.path(), &["bundle", "verify", zip.to_str().unwrap()]);
    assert!(o.status.success() && text(&o).contains("recorded in this server's audit trail"), "{}", text(&o));
    // One byte changed inside a stored (uncompressed or not) entry is found.
    let mut bytes = std::fs::read(&zip).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x55;
    let bad = data.path().join("bad.zip");
    std::fs::write(&bad, &bytes).unwrap();
    let o = c981(&db, data.path(), &["bundle", "verify", bad.to_str().unwrap(), "--offline"]);
    assert!(!o.status.success(), "{}", text(&o));
    let csv = data.path().join("annex.csv");
    std::fs::write(&csv, "id,description\n5.1,ok\n5.99,no such control\n").unwrap();
    let o = c981(&db, data.path(), &["catalog", "import", csv.to_str().unwrap(), "--catalog", "iso27001-2022-annex-a"]);
    assert!(
        !o.status.success() && text(&o).contains("annex.csv") && text(&o).contains("nothing imported"),
        "{}",
        text(&o)
    );
    let o = c981(&db, data.path(), &["crosswalk", "list", "--control", "8.22"]);
    assert!(o.status.success() && text(&o).contains("SR 5.1") && text(&o).contains("informative"), "{}", text(&o));
}

async fn the_risk_library_answers_on_the_command_line(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    assert!(c981(&db, data.path(), &["demo"]).status.success());
    let o = c981(&db, data.path(), &["risk", "threats", "--zone-kind", "safety"]);
    assert!(o.status.success() && text(&o).contains("T-SIS-BYPASS"), "{}", text(&o));
    let file = data.path().join("ours.json");
    std::fs::write(&file, r#"[{"id":"ACME-1","title":"t","threat_source":"s","threat_event":"e","vulnerability":"v","consequence":"c","asset_kinds":["plc"],"zone_kinds":["control"],"impacts":{"safety":1,"production_continuity":1,"product_quality":1,"integrity":1,"confidentiality":1,"financial":1},"likelihood":9,"controls":["8.20"],"requirements":["SR 5.1"]}]"#).unwrap();
    let o = c981(&db, data.path(), &["risk", "threats", "import", file.to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("ours.json: [0].likelihood"), "{}", text(&o));
    let o = c981(&db, data.path(), &["risk", "suggestions", "--site", "LYO", "--format", "json"]);
    assert!(o.status.success(), "{}", text(&o));
    let items: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let key = items[0]["key"].as_str().unwrap().to_owned();
    let o = c981(&db, data.path(), &["risk", "dismiss", "--site", "LYO", &key, "--reason", "Handled by project 42"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = c981(&db, data.path(), &["risk", "suggestions", "--site", "LYO", "--dismissed"]);
    assert!(text(&o).contains("[dismissed]"), "{}", text(&o));
    let svg = data.path().join("heat.svg");
    let o = c981(
        &db,
        data.path(),
        &["risk", "heatmap", "--site", "LYO", "--rating", "residual", "--out", svg.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    let o = c981(&db, data.path(), &["risk", "heatmap"]);
    assert!(text(&o).contains("Inherent risk") && text(&o).contains("15 risks"), "{}", text(&o));
    let xlsx = data.path().join("register.xlsx");
    let o = c981(&db, data.path(), &["risk", "export", "--site", "LYO", "--out", xlsx.to_str().unwrap()]);
    assert!(o.status.success() && text(&o).contains("wrote 5 risks"), "{}", text(&o));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    let o = c981(&db, data.path(), &["risk", "period", "close", "2026 review"]);
    assert!(o.status.success() && text(&o).contains("15 risks frozen"), "{}", text(&o));
    let o = c981(&db, data.path(), &["risk", "period", "list"]);
    assert!(text(&o).contains("2026 review"), "{}", text(&o));
    let o = c981(&db, data.path(), &["risk", "period", "compare", "1"]);
    assert!(text(&o).contains("0 added, 0 removed, 0 changed, 15 unchanged"), "{}", text(&o));
}

async fn the_risk_verbs_answer_on_the_command_line(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    assert!(c981(&db, data.path(), &["demo"]).status.success());
    let o = c981(&db, data.path(), &["risk", "list", "--site", "LYO"]);
    assert!(o.status.success() && text(&o).contains("Compromised vendor remote access"), "{}", text(&o));
    assert!(text(&o).contains("3 High"), "levels by name: {}", text(&o));
    let o = c981(&db, data.path(), &["risk", "list", "--site", "LYO", "--state", "treated", "--format", "json"]);
    let page: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.iter().all(|r| r["state"] == "treated"), "{page}");
    let o = c981(&db, data.path(), &["risk", "list", "--overdue", "--format", "json"]);
    assert!(o.status.success(), "{}", text(&o));
    let overdue: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(overdue["today"].is_string() && overdue["items"].is_array(), "{overdue}");

    // The model: shown as JSON, a bad version refused naming the field, a good one saved,
    // the register re-rated.
    let o = c981(&db, data.path(), &["risk", "model", "show", "--format", "json"]);
    let mut doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    let file = data.path().join("model.json");
    doc["model"]["matrix"][1][0] = serde_json::json!(9);
    std::fs::write(&file, doc.to_string()).unwrap();
    let o = c981(&db, data.path(), &["risk", "model", "set", file.to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("matrix[1][0]"), "{}", text(&o));
    doc["model"]["matrix"][1][0] = serde_json::json!(1);
    doc["model"]["matrix"][0][4] = serde_json::json!(2);
    std::fs::write(&file, doc.to_string()).unwrap();
    let o = c981(&db, data.path(), &["risk", "model", "set", file.to_str().unwrap(), "--reason", "Board decision"]);
    assert!(o.status.success() && text(&o).contains("version 2"), "{}", text(&o));
    let o = c981(&db, data.path(), &["risk", "rerate"]);
    assert!(o.status.success() && text(&o).contains("re-rated 15 risks under model version 2"), "{}", text(&o));
    let o = c981(&db, data.path(), &["risk", "model", "versions"]);
    assert!(text(&o).contains("Board decision") && text(&o).contains("built in"), "{}", text(&o));
    // Locally as a viewer of one site: the model stays as it is.
    let o = c981(
        &db,
        data.path(),
        &["admin", "create-user", "vic", "--name", "Vic Viewer", "--role", "viewer", "--site", "LYO"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = c981(&db, data.path(), &["--user", "vic", "risk", "rerate"]);
    assert!(!o.status.success() && text(&o).contains("may not re-rate"), "{}", text(&o));
    let o = c981(&db, data.path(), &["--user", "vic", "risk", "list", "--format", "json"]);
    let page: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 5, "only Lyon's risks: {page}");
}

backend_tests!(
    the_risk_verbs_answer_on_the_command_line,
    the_risk_library_answers_on_the_command_line,
    audit_verify_passes_then_names_the_altered_entry_and_exits_non_zero,
    the_demo_is_loaded_only_into_an_empty_database,
    accounts_are_managed_from_the_command_line_and_the_api_needs_a_token,
    the_analysis_answers_on_the_command_line,
    the_benchmarks_run_end_to_end_on_a_small_estate,
    the_statement_of_applicability_on_the_command_line,
);

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

async fn the_analysis_answers_on_the_command_line(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    assert!(c981(&db, data.path(), &["demo"]).status.success());
    let o = c981(&db, data.path(), &["analyze", "findings", "--site", "LYO", "--format", "json"]);
    assert!(o.status.success(), "{}", text(&o));
    let found: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(found.as_array().is_some_and(|a| !a.is_empty()), "the demo plant has findings");
    let o = c981(&db, data.path(), &["analyze", "paths", "--site", "LYO", "--from", "remote_access", "--to", "safety"]);
    assert!(o.status.success() && text(&o).contains("Vendor remote access"), "{}", text(&o));
    let o = c981(&db, data.path(), &["analyze", "paths", "--from", "moon"]);
    assert!(!o.status.success() && text(&o).contains("moon"), "{}", text(&o));
    let svg = data.path().join("lyo.svg");
    let o = c981(&db, data.path(), &["analyze", "diagram", "--site", "LYO", "--out", svg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    let o = c981(&db, data.path(), &["analyze", "findings", "--site", "NOPE"]);
    assert!(!o.status.success() && text(&o).contains("NOPE"), "{}", text(&o));
    let csv = data.path().join("texts.csv");
    std::fs::write(&csv, "id,description\nSR 1.1,One\nSR 8.1,Unknown\n").unwrap();
    let o = c981(&db, data.path(), &["analyze", "catalogue", "--import", csv.to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("texts.csv:3:"), "{}", text(&o));
    std::fs::write(&csv, "id,description\nSR 1.1,One\n").unwrap();
    let o = c981(&db, data.path(), &["analyze", "catalogue", "--import", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = c981(&db, data.path(), &["analyze", "catalogue"]);
    assert!(text(&o).contains("SR 1.1") && text(&o).contains("[text imported]"), "{}", text(&o));
}
