//! End-to-end: a third-party Sparkplug B edge node (Eclipse Tahu's JavaScript
//! `sparkplug-client`, in `tests/sparkplug-peer/`) publishes births, data and deaths through the
//! Mosquitto broker on 127.0.0.1:1883, and the listener must turn them into the right updates.
//!
//! Needs `node` and `npm ci --prefix tests/sparkplug-peer`; without them the test is skipped
//! with a printed reason, unless `C981_REQUIRE_SPARKPLUG=1` (as in CI), which makes it fail.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use c981_sparkplug::client::Output;
use c981_sparkplug::tracker::{AssetKey, Update};
use common::{Listener, broker_or_skip, config_for, skip, unique};

fn peer_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sparkplug-peer"))
}

fn peer_or_skip() -> bool {
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        skip("node is not installed");
        return false;
    }
    if !peer_dir().join("node_modules/sparkplug-client/package.json").exists() {
        skip("the Sparkplug peer is not installed (run `npm ci --prefix tests/sparkplug-peer`)");
        return false;
    }
    true
}

fn updates(seen: &[Output]) -> Vec<&Update> {
    seen.iter()
        .filter_map(|o| match o {
            Output::Update(u) => Some(u),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tahu_edge_node_is_discovered_tracked_and_buried_by_bd_seq() {
    if !broker_or_skip() || !peer_or_skip() {
        return;
    }
    let group = unique("c981e2e");
    let mut listener = Listener::start(config_for(1883, &group));
    listener.subscribed().await;

    let run = tokio::process::Command::new("node")
        .arg(peer_dir().join("peer.js"))
        .args(["mqtt://127.0.0.1:1883", &group, "n1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start node");
    let node_death = AssetKey::node(&group, "n1");
    listener
        .until(
            Duration::from_secs(40),
            |o| matches!(o, Output::Update(Update::NodeOffline { asset, bd_seq: Some(1), .. }) if *asset == node_death),
        )
        .await;
    let peer = run.wait_with_output().await.expect("peer output");
    let peer_log = format!("{}{}", String::from_utf8_lossy(&peer.stdout), String::from_utf8_lossy(&peer.stderr));
    assert!(peer.status.success(), "peer failed: {peer_log}");
    listener.drain_for(Duration::from_millis(300)).await;
    let (stats, seen) = listener.stop().await;
    let updates = updates(&seen);
    let node = AssetKey::node(&group, "n1");
    let device = AssetKey::device(&group, "n1", "dev1");

    // Node birth with identity through the default mapping, and its firmware for drift checks.
    let births: Vec<_> = updates
        .iter()
        .filter_map(|u| match u {
            Update::NodeOnline { asset, bd_seq, identity, metric_count, .. } if *asset == node => {
                Some((*bd_seq, identity, *metric_count))
            }
            _ => None,
        })
        .collect();
    assert_eq!(births.len(), 2, "{updates:#?}");
    let (bd_seq, identity, metric_count) = births[0];
    assert_eq!(bd_seq, Some(0));
    assert_eq!(metric_count, 9, "8 metrics plus the bdSeq the library appends");
    assert_eq!(identity.vendor.as_deref(), Some("Eclipse Tahu"));
    assert_eq!(identity.model.as_deref(), Some("sparkplug-client-js"));
    assert_eq!(identity.os.as_deref(), Some("Node.js"));
    assert!(identity.os_version.as_deref().is_some_and(|v| v.starts_with('v')), "{identity:?}");
    assert_eq!(identity.firmware.as_deref(), Some("3.2.4"));
    assert_eq!(identity.serial.as_deref(), Some("SN-n1"));
    assert!(identity.metric_names.iter().any(|n| n == "bdSeq"));
    assert_eq!(births[1].0, Some(1), "the second session's birth");
    assert!(
        updates.iter().any(
            |u| matches!(u, Update::FirmwareSeen { asset, firmware, .. } if *asset == node && firmware == "3.2.4")
        )
    );

    // Device birth linked to its node.
    let device_birth = updates.iter().find_map(|u| match u {
        Update::DeviceOnline { asset, identity, .. } if *asset == device => Some(identity),
        _ => None,
    });
    let identity = device_birth.expect("device birth");
    assert_eq!(device.edge_node, "n1");
    assert_eq!(identity.vendor.as_deref(), Some("Acme Sensors"));
    assert_eq!(identity.model.as_deref(), Some("TS-9"));
    assert_eq!(identity.firmware.as_deref(), Some("1.2.3"));

    // 50 DDATA refresh last-seen through a few coalesced batches, not 50 writes.
    let device_refreshes = seen
        .iter()
        .filter_map(|o| match o {
            Output::Flush { last_seen, .. } => Some(last_seen.entries.iter().filter(|e| e.asset == device).count()),
            _ => None,
        })
        .sum::<usize>();
    assert!((1..=5).contains(&device_refreshes), "{device_refreshes} last-seen entries for 50 DDATA");

    // Device death, the stale Will of session A, and the paired death of session B.
    let position = |pred: &dyn Fn(&Update) -> bool| updates.iter().position(|u| pred(u));
    let ddeath = position(&|u| matches!(u, Update::DeviceOffline { asset, .. } if *asset == device)).expect("DDEATH");
    let stale = position(
        &|u| matches!(u, Update::StaleDeath { asset, bd_seq: Some(0), current_bd_seq: Some(1), .. } if *asset == node),
    )
    .expect("the stale NDEATH of session A is reported");
    let death = position(
        &|u| matches!(u, Update::NodeOffline { asset, bd_seq: Some(1), birth_seen: true, .. } if *asset == node),
    )
    .expect("NDEATH paired by bdSeq");
    assert!(ddeath < stale && stale < death, "{updates:#?}");
    let offline_with_bd0 = updates.iter().any(|u| matches!(u, Update::NodeOffline { bd_seq: Some(0), .. }));
    assert!(!offline_with_bd0, "the stale death must not take the node offline");

    let m = stats.messages;
    assert_eq!((m.nbirth, m.dbirth, m.ndata, m.ddata, m.ddeath, m.ndeath), (2, 1, 5, 50, 1, 2), "{stats:?}");
    assert_eq!((stats.decode_errors, stats.stale_deaths, stats.seq_gaps), (0, 1, 0), "{stats:?}");
    assert_eq!((stats.nodes_online, stats.devices_online), (0, 0));
    assert!(peer_log.contains("done"), "{peer_log}");
}
