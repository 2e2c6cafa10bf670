//! Sparkplug B discovery end to end, on both databases: a third-party edge node (Eclipse
//! Tahu's JavaScript `sparkplug-client`, in `crates/c981-sparkplug/tests/sparkplug-peer/`)
//! publishes births, data and deaths through the Mosquitto broker on 127.0.0.1:1883; the
//! discovery service must record its node and device, their identity, the firmware drift
//! against a declared gateway, the device-to-node link, and their liveness.
//!
//! Needs `node`, the broker and `npm ci --prefix crates/c981-sparkplug/tests/sparkplug-peer`;
//! without them the test is skipped with a printed reason, unless `C981_REQUIRE_SPARKPLUG=1`
//! (as in CI), which makes it fail.

// A test reads its own switches from the environment.
#![allow(clippy::disallowed_methods)]

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use c981_app::discovery::DiscoverySettings;
use c981_app::{Actor, App, Ctx, ListParams, SystemClock};
use c981_domain::audit::Channel;
use c981_domain::{Asset, AssetInput, DataFlow, Provenance, SiteInput};
use c981_testkit::{TestDb, backend_tests};

fn skip(reason: &str) -> bool {
    let required = std::env::var("C981_REQUIRE_SPARKPLUG").is_ok_and(|v| v == "1");
    assert!(!required, "C981_REQUIRE_SPARKPLUG=1 but {reason}");
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {reason}");
    false
}

fn peer_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../c981-sparkplug/tests/sparkplug-peer"))
}

fn ready() -> bool {
    let broker: SocketAddr = "127.0.0.1:1883".parse().unwrap();
    if TcpStream::connect_timeout(&broker, Duration::from_secs(1)).is_err() {
        return skip("no MQTT broker on 127.0.0.1:1883");
    }
    if !std::process::Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return skip("node is not installed");
    }
    if !peer_dir().join("node_modules/sparkplug-client/package.json").exists() {
        return skip(
            "the Sparkplug peer is not installed (npm ci --prefix crates/c981-sparkplug/tests/sparkplug-peer)",
        );
    }
    true
}

async fn a_tahu_edge_node_shows_up_with_its_device_firmware_and_liveness(db: TestDb) {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(db.store().await, Arc::new(SystemClock::default()), dir.path().join("audit.key"));
    let op = Ctx::new(Actor::local_operator("engineer"), Channel::Cli, "t");
    let site = app
        .create::<c981_domain::Site>(
            &op,
            &SiteInput {
                code: Some("SP".into()),
                name: Some("Sparkplug plant".into()),
                country: Some("FR".into()),
                time_zone: Some("Europe/Paris".into()),
                industry: Some("food_beverage".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    // The gateway is declared, with the firmware its change record approved.
    let declared = app
        .create::<Asset>(
            &op,
            &AssetInput {
                site_id: Some(site.get().to_string()),
                name: Some("Gateway 7".into()),
                kind: Some("iiot_gateway".into()),
                serial: Some("SN-n1".into()),
                firmware: Some("3.2.0".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let group = format!("c981app-{}-{}", std::process::id(), nanos % 1_000_000_000);
    let mut client = c981_sparkplug::ClientConfig::new("127.0.0.1", 1883, format!("{group}-listener"));
    client.topic_filters = vec![format!("spBv1.0/{group}/#")];
    client.flush_interval = Duration::from_millis(200);
    let settings = DiscoverySettings { client, site, group_sites: Default::default() };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let runner = {
        let app = app.clone();
        tokio::spawn(async move {
            app.run_sparkplug(settings, async move {
                let _ = stop_rx.await;
            })
            .await
        })
    };
    // Wait until subscribed (the status says connected).
    for _ in 0..100 {
        if app.discovery_status().is_some_and(|s| s.connected) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(app.discovery_status().is_some_and(|s| s.connected), "{:?}", app.discovery_status());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let peer = tokio::process::Command::new("node")
        .arg(peer_dir().join("peer.js"))
        .args(["mqtt://127.0.0.1:1883", &group, "n1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run the peer");
    let log = format!("{}{}", String::from_utf8_lossy(&peer.stdout), String::from_utf8_lossy(&peer.stderr));
    assert!(peer.status.success(), "peer failed: {log}");
    // The node's last death (bdSeq 1) takes it offline.
    let node_key = format!("{group}/n1");
    let mut offline = false;
    for _ in 0..100 {
        let ids = app.sparkplug_identities(&op, Some(site)).await.unwrap();
        if ids.iter().any(|(_, l)| l.spb_key == node_key && !l.online) {
            offline = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_tx.send(());
    let stats = runner.await.unwrap().unwrap();
    assert!(offline, "the node never went offline: {stats:?} {:?}", app.discovery_status());
    assert_eq!(stats.decode_errors, 0);

    let assets = app.list::<Asset>(&op, &ListParams { site_id: Some(site), ..Default::default() }).await.unwrap().items;
    // The birth matched the declared gateway by its serial: refreshed, not duplicated; its
    // approved firmware stays, and the birth's differs: drift, for review.
    let gw = assets.iter().find(|a| a.id == declared.id).unwrap();
    assert_eq!(gw.data.firmware.as_str(), "3.2.0");
    assert_eq!(gw.data.vendor.as_str(), "Eclipse Tahu", "an empty field is filled from the birth");
    assert_eq!(gw.data.provenance, Provenance::Declared);
    assert!(gw.data.sources.iter().any(|s| s.as_str() == format!("sparkplug:{node_key}")));
    assert!(gw.data.last_seen.is_some());
    let q = app.review_queue(&op, site).await.unwrap();
    let drift = q.proposals.iter().find(|p| p.field == "firmware").expect("a firmware drift proposal");
    assert_eq!((drift.asset_id, drift.proposed_value.as_str()), (declared.id.get(), Some("3.2.4")));
    // The device is new: observed, to review, with its identity, linked to its node.
    let dev = assets.iter().find(|a| a.data.name.as_str() == "dev1").expect("the device asset");
    assert_eq!(dev.data.provenance, Provenance::Observed);
    assert_eq!(
        (dev.data.vendor.as_str(), dev.data.model.as_str(), dev.data.firmware.as_str()),
        ("Acme Sensors", "TS-9", "1.2.3")
    );
    assert!(q.assets.iter().any(|a| a.id == dev.id));
    let flows =
        app.list::<DataFlow>(&op, &ListParams { site_id: Some(site), ..Default::default() }).await.unwrap().items;
    assert!(flows.iter().any(|f| f.data.source.asset_id() == Some(dev.id)
        && f.data.destination.asset_id() == Some(declared.id)
        && f.data.observed));
    assert_eq!(assets.len(), 2, "one node, one device: {assets:?}");
    // Liveness: both offline now, with their last message times.
    let ids = app.sparkplug_identities(&op, Some(site)).await.unwrap();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.iter().all(|(_, l)| !l.online), "{ids:?}");
    // Data messages were coalesced: the audit trail holds no entry per DDATA.
    let audit = app
        .store()
        .audit_entries(&c981_store::SiteScope::All, &c981_store::AuditQuery { limit: Some(1000), ..Default::default() })
        .await
        .unwrap();
    assert!(audit.len() < 30, "{} audit entries for 55 data messages", audit.len());
    let status = app.discovery_status().unwrap();
    assert!(!status.running);
    assert_eq!((status.assets_created, status.drift_proposals), (1, 1), "{status:?}");
    // Batches that changed only liveness gave their sequence number back: the chain is whole.
    let v = app.audit_verify(&op).await.unwrap();
    assert!(v.problem.is_none(), "{v:?}");
    assert_eq!(v.last_seq, app.store().audit_head().await.unwrap().0);
}

backend_tests!(a_tahu_edge_node_shows_up_with_its_device_firmware_and_liveness);
