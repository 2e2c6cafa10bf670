//! Listener behaviour against real Mosquitto brokers: the shared one on 127.0.0.1:1883 and
//! private instances on free loopback ports (for restarts, TLS and passwords). Skipped with a
//! printed reason when a broker is missing, failed instead when `C981_REQUIRE_SPARKPLUG=1`.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use c981_sparkplug::client::{Output, Password, PublishError, TlsConfig};
use c981_sparkplug::proto::{Metric, MetricValue, Payload};
use c981_sparkplug::tracker::Update;
use c981_sparkplug::{Protocol, event};
use common::{Listener, PrivateBroker, broker_or_skip, config_for, publisher, skip, unique};
use prost::Message;
use rumqttc::QoS;

fn text(name: &str, value: &str) -> Metric {
    Metric {
        name: Some(name.into()),
        datatype: Some(12),
        value: Some(MetricValue::StringValue(value.into())),
        ..Default::default()
    }
}

fn nbirth(bd_seq: u64, extra: usize) -> Vec<u8> {
    let mut metrics = vec![
        Metric {
            name: Some("bdSeq".into()),
            datatype: Some(8),
            value: Some(MetricValue::LongValue(bd_seq)),
            ..Default::default()
        },
        text("Properties/Hardware Make", "Acme"),
    ];
    metrics.extend((0..extra).map(|i| Metric {
        name: Some(format!("Line 4/Station {i}/Temperature")),
        alias: Some(i as u64),
        datatype: Some(10),
        value: Some(MetricValue::DoubleValue(i as f64)),
        ..Default::default()
    }));
    Payload { timestamp: Some(1), seq: Some(0), metrics, ..Default::default() }.encode_to_vec()
}

fn ddata(seq: u64) -> Vec<u8> {
    Payload {
        seq: Some(seq % 256),
        metrics: vec![Metric { alias: Some(1), value: Some(MetricValue::DoubleValue(1.0)), ..Default::default() }],
        ..Default::default()
    }
    .encode_to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_birth_certificate_larger_than_rumqttcs_default_limit_passes() {
    if !broker_or_skip() {
        return;
    }
    let group = unique("c981big");
    let mut listener = Listener::start(config_for(1883, &group));
    listener.subscribed().await;
    let (publisher, _task) = publisher(1883).await;
    let payload = nbirth(3, 25_000);
    assert!(payload.len() > 1024 * 1024, "{} bytes", payload.len());
    publisher.publish(format!("spBv1.0/{group}/NBIRTH/big"), QoS::AtLeastOnce, false, payload).await.expect("publish");
    let output = listener
        .until(Duration::from_secs(10), |o| matches!(o, Output::Update(Update::NodeOnline { .. })))
        .await
        .clone();
    let Output::Update(Update::NodeOnline { metric_count, bd_seq, identity, .. }) = output else { unreachable!() };
    assert_eq!((metric_count, bd_seq), (25_002, Some(3)));
    assert_eq!(identity.vendor.as_deref(), Some("Acme"));
    assert_eq!(identity.metric_names.len(), 256, "names are bounded");
    assert!(identity.metric_names_truncated);
    listener.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_mqtt5_clients_in_one_share_group_split_the_messages_and_together_get_all() {
    if !broker_or_skip() {
        return;
    }
    let group = unique("c981share");
    let share = unique("c981");
    let mut listeners: Vec<Listener> = (0..2)
        .map(|_| {
            let mut config = config_for(1883, &group);
            config.protocol = Protocol::V5;
            config.shared_group = Some(share.clone());
            Listener::start(config)
        })
        .collect();
    for listener in &mut listeners {
        listener.subscribed().await;
    }
    let (publisher, _task) = publisher(1883).await;
    const N: u64 = 400;
    for i in 0..N {
        let topic = format!("spBv1.0/{group}/DDATA/n{}/d1", i % 4);
        publisher.publish(topic, QoS::AtLeastOnce, false, ddata(i)).await.expect("publish");
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let counts = loop {
        for listener in &mut listeners {
            listener.drain_for(Duration::from_millis(100)).await;
        }
        let counts: Vec<u64> = listeners.iter().map(|l| l.handle.stats().messages.ddata).collect();
        if counts.iter().sum::<u64>() >= N || Instant::now() > deadline {
            break counts;
        }
    };
    assert_eq!(counts.iter().sum::<u64>(), N, "together they got every message: {counts:?}");
    assert!(counts.iter().all(|c| *c > 0), "each got a part: {counts:?}");
    for listener in listeners {
        listener.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_publishes_nothing_and_rebirth_requests_only_when_allowed() {
    if !broker_or_skip() {
        return;
    }
    let group = unique("c981quiet");
    // A raw observer of everything published under the group.
    let mut options = rumqttc::MqttOptions::new(unique("c981-observer"), "127.0.0.1", 1883);
    options.set_max_packet_size(1024 * 1024, 1024 * 1024);
    let (observer, mut events) = rumqttc::AsyncClient::new(options, 10);
    observer.subscribe(format!("spBv1.0/{group}/#"), QoS::AtLeastOnce).await.expect("subscribe");
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    let observer_task = tokio::spawn(async move {
        loop {
            match events.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_))) => {
                    let _ = seen_tx.send(None);
                }
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                    let _ = seen_tx.send(Some((p.topic.clone(), p.payload.to_vec())));
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    assert_eq!(seen_rx.recv().await, Some(None), "observer subscribed");

    let mut quiet = Listener::start(config_for(1883, &group));
    quiet.subscribed().await;
    assert_eq!(quiet.handle.request_rebirth(&group, "n1"), Err(PublishError::NotAllowed));
    quiet.drain_for(Duration::from_millis(500)).await;
    quiet.stop().await;
    let silent = tokio::time::timeout(Duration::from_millis(300), seen_rx.recv()).await;
    assert!(silent.is_err(), "nothing was published: {silent:?}");

    let mut config = config_for(1883, &group);
    config.allow_publish = true;
    let mut allowed = Listener::start(config);
    allowed.subscribed().await;
    allowed.handle.request_rebirth(&group, "n1").expect("allowed");
    let (topic, payload) = tokio::time::timeout(Duration::from_secs(5), seen_rx.recv())
        .await
        .expect("the NCMD arrives")
        .flatten()
        .expect("a publish");
    assert_eq!(topic, format!("spBv1.0/{group}/NCMD/n1"));
    let decoded = Payload::decode(payload.as_slice()).expect("valid Sparkplug payload");
    assert_eq!(decoded.metrics.len(), 1);
    assert_eq!(decoded.metrics[0].name.as_deref(), Some(event::REBIRTH));
    assert_eq!(decoded.metrics[0].datatype, Some(11));
    assert_eq!(decoded.metrics[0].value, Some(MetricValue::BooleanValue(true)));
    allowed
        .until(Duration::from_secs(5), |o| matches!(o, Output::Update(Update::CommandSeen { rebirth: true, .. })))
        .await;
    allowed.stop().await;
    observer_task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_reconnects_with_backoff_and_resubscribes_after_a_broker_restart() {
    if !PrivateBroker::available() {
        return;
    }
    let mut broker = PrivateBroker::start("c981-restart", "allow_anonymous true");
    let group = unique("c981restart");
    let mut listener = Listener::start(config_for(broker.port, &group));
    listener.subscribed().await;
    {
        let (publisher, _task) = publisher(broker.port).await;
        publisher.publish(format!("spBv1.0/{group}/NBIRTH/n1"), QoS::AtLeastOnce, false, nbirth(1, 0)).await.unwrap();
        listener.until(Duration::from_secs(5), |o| matches!(o, Output::Update(Update::NodeOnline { .. }))).await;
    }
    broker.kill();
    listener.until(Duration::from_secs(10), |o| matches!(o, Output::Connection { connected: false, .. })).await;
    tokio::time::sleep(Duration::from_millis(700)).await; // a few failed reconnects
    broker.restart();
    listener.until(Duration::from_secs(10), |o| matches!(o, Output::Connection { connected: true, .. })).await;
    listener.subscribed().await;
    let (publisher, _task) = publisher(broker.port).await;
    publisher.publish(format!("spBv1.0/{group}/NBIRTH/n1"), QoS::AtLeastOnce, false, nbirth(2, 0)).await.unwrap();
    listener
        .until(Duration::from_secs(5), |o| matches!(o, Output::Update(Update::NodeOnline { bd_seq: Some(2), .. })))
        .await;
    let (stats, _) = listener.stop().await;
    assert_eq!(stats.connects, 2, "{stats:?}");
    assert!(stats.last_error.as_deref().is_some_and(|e| e.starts_with("connection:")), "{stats:?}");
    assert!(!stats.connected);
}

fn openssl(args: &[&str], dir: &std::path::Path) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("run openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA, a server certificate for `broker.test` and a client certificate, in `dir`.
fn make_pki(dir: &std::path::Path) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let mut ca = vec!["req", "-x509", "-days", "2", "-subj", "/CN=c981 test CA", "-keyout", "ca.key", "-out", "ca.pem"];
    ca.extend(ec);
    ca.extend(["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    openssl(&ca, dir);
    std::fs::write(dir.join("server.ext"), "subjectAltName=DNS:broker.test\nbasicConstraints=CA:FALSE\n").unwrap();
    std::fs::write(dir.join("client.ext"), "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n").unwrap();
    for (name, cn) in [("server", "broker.test"), ("client", "c981-client")] {
        let subj = format!("/CN={cn}");
        let (key, csr, pem, ext) =
            (format!("{name}.key"), format!("{name}.csr"), format!("{name}.pem"), format!("{name}.ext"));
        let mut req = vec!["req", "-subj", subj.as_str(), "-keyout", key.as_str(), "-out", csr.as_str()];
        req.extend(ec);
        openssl(&req, dir);
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                &pem,
                "-extfile",
                &ext,
            ],
            dir,
        );
        openssl(&["pkcs8", "-topk8", "-nocrypt", "-in", &key, "-out", &format!("{name}.pk8")], dir);
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        // The broker drops root privileges before it reads its files.
        let path = entry.unwrap().path();
        let _ = Command::new("chmod").arg("0644").arg(&path).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_client_certificate_and_password_connects_only_with_the_right_name_and_secret() {
    if !PrivateBroker::available() {
        return;
    }
    let tools = ["openssl", "mosquitto_passwd"]
        .iter()
        .all(|t| Command::new("which").arg(t).output().is_ok_and(|o| o.status.success()));
    if !tools {
        skip("openssl or mosquitto_passwd is missing");
        return;
    }
    let pki = common::scratch("c981-pki");
    make_pki(&pki);
    let passwords = pki.join("passwords");
    let status =
        Command::new("mosquitto_passwd").arg("-b").arg("-c").arg(&passwords).args(["reader", "s3cret-pass"]).status();
    assert!(status.is_ok_and(|s| s.success()), "mosquitto_passwd");
    let _ = Command::new("chmod").arg("0644").arg(&passwords).status();
    let extra = format!(
        "allow_anonymous false\npassword_file {}\ncafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\n",
        passwords.display(),
        pki.join("ca.pem").display(),
        pki.join("server.pem").display(),
        pki.join("server.key").display(),
    );
    let broker = PrivateBroker::start("c981-tls", &extra);
    let group = unique("c981tls");
    let tls = |server_name: &str| TlsConfig {
        ca_file: pki.join("ca.pem"),
        client_cert_file: Some(pki.join("client.pem")),
        client_key_file: Some(pki.join("client.pk8")),
        server_name: Some(server_name.into()),
    };
    let secured = |server_name: &str, password: &str| {
        let mut config = config_for(broker.port, &group);
        config.tls = Some(tls(server_name));
        config.username = Some("reader".into());
        config.password = Some(Password::new(password));
        config
    };

    let mut good = Listener::start(secured("broker.test", "s3cret-pass"));
    good.subscribed().await;
    good.stop().await;

    for (server_name, password, expected) in
        [("other.test", "s3cret-pass", "certificate"), ("broker.test", "wrong", "NotAuthorized")]
    {
        let mut bad = Listener::start(secured(server_name, password));
        bad.drain_for(Duration::from_millis(1500)).await;
        let (stats, seen) = bad.stop().await;
        let connected = seen.iter().any(|o| matches!(o, Output::Connection { connected: true, .. }));
        assert!(!connected, "{server_name}/{password}: {seen:?}");
        let error = stats.last_error.unwrap_or_default();
        assert!(error.starts_with("connection:") && error.contains(expected), "{server_name}: {error}");
        assert!(!error.contains("s3cret-pass"), "the password never shows");
    }

    // Plain TCP to the TLS port does not get through either.
    let mut plain = config_for(broker.port, &group);
    plain.username = Some("reader".into());
    plain.password = Some(Password::new("s3cret-pass"));
    let mut plain = Listener::start(plain);
    plain.drain_for(Duration::from_millis(800)).await;
    let (_, seen) = plain.stop().await;
    assert!(!seen.iter().any(|o| matches!(o, Output::Connection { connected: true, .. })));
}
