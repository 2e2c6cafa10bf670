//! Throughput and latency benchmark through a real broker (run with `cargo bench`; prints, asserts
//! nothing).
//!
//! For each QoS, a rumqttc publisher sends NBIRTH/DBIRTH for `nodes × devices` assets and then
//! `n` DDATA messages of realistic size (five named and aliased metrics, ~250 bytes) round-robin
//! over the devices; the listener decodes and tracks them. Reported: the sustained rate from the
//! first DDATA sent to the last one received, messages lost (sent minus received) and `seq`
//! gaps. Then DBIRTH → `Update::DeviceOnline` latency over `births` single births.
//!
//! Options: `--n 200000 --qos 0,1 --nodes 10 --devices 10 --births 200 --port 1883 --rate 0`
//! (`--rate` caps the publisher in messages per second; 0 = as fast as it can).
#![allow(clippy::disallowed_methods)] // a benchmark reads the clock and its arguments

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use c981_sparkplug::client::{Client, ClientConfig, Clock, Output, SystemClock};
use c981_sparkplug::proto::{Metric, MetricValue, Payload};
use c981_sparkplug::tracker::{Stats, Update};
use prost::Message;
use rumqttc::QoS;
use tokio::sync::oneshot;

struct Args {
    n: u64,
    qos: Vec<u8>,
    nodes: u64,
    devices: u64,
    births: usize,
    port: u16,
    rate: u64,
}

fn args() -> Args {
    let mut a = Args { n: 200_000, qos: vec![0, 1], nodes: 10, devices: 10, births: 200, port: 1883, rate: 0 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--n" => a.n = value().parse().expect("--n"),
            "--qos" => a.qos = value().split(',').map(|q| q.parse().expect("--qos")).collect(),
            "--nodes" => a.nodes = value().parse().expect("--nodes"),
            "--devices" => a.devices = value().parse().expect("--devices"),
            "--births" => a.births = value().parse().expect("--births"),
            "--port" => a.port = value().parse().expect("--port"),
            "--rate" => a.rate = value().parse().expect("--rate"),
            _ => {} // cargo bench passes --bench
        }
    }
    a
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}-{}", std::process::id(), SystemClock.now_micros() % 1_000_000_000)
}

fn text(name: &str, value: &str) -> Metric {
    Metric {
        name: Some(name.into()),
        datatype: Some(12),
        value: Some(MetricValue::StringValue(value.into())),
        ..Default::default()
    }
}

fn birth(seq: u64, bd_seq: Option<u64>, now_ms: u64) -> Vec<u8> {
    let mut metrics = vec![
        text("Properties/Hardware Make", "Acme"),
        text("Properties/Hardware Model", "TS-9"),
        text("Properties/FW", "1.2.3"),
    ];
    if let Some(bd) = bd_seq {
        metrics.push(Metric {
            name: Some("bdSeq".into()),
            datatype: Some(8),
            value: Some(MetricValue::LongValue(bd)),
            ..Default::default()
        });
    }
    metrics.extend(data_metrics(now_ms));
    Payload { timestamp: Some(now_ms), seq: Some(seq), metrics, ..Default::default() }.encode_to_vec()
}

fn data_metrics(now_ms: u64) -> Vec<Metric> {
    let metric = |name: &str, alias: u64, datatype: u32, value: MetricValue| Metric {
        name: Some(name.into()),
        alias: Some(alias),
        timestamp: Some(now_ms),
        datatype: Some(datatype),
        value: Some(value),
        ..Default::default()
    };
    vec![
        metric("Line 4/Station 7/Temperature", 1, 10, MetricValue::DoubleValue(21.375)),
        metric("Line 4/Station 7/Pressure", 2, 9, MetricValue::FloatValue(1.013)),
        metric("Line 4/Station 7/Cycle Count", 3, 8, MetricValue::LongValue(1_234_567)),
        metric("Line 4/Station 7/Running", 4, 11, MetricValue::BooleanValue(true)),
        metric("Line 4/Station 7/Alarm Code", 5, 3, MetricValue::IntValue(0)),
    ]
}

fn ddata(seq: u64, now_ms: u64) -> Vec<u8> {
    Payload { timestamp: Some(now_ms), seq: Some(seq % 256), metrics: data_metrics(now_ms), ..Default::default() }
        .encode_to_vec()
}

async fn publisher(port: u16, qos: QoS) -> (rumqttc::AsyncClient, tokio::task::JoinHandle<()>) {
    let mut options = rumqttc::MqttOptions::new(unique("c981-bench-pub"), "127.0.0.1", port);
    options.set_max_packet_size(1 << 20, 1 << 20).set_inflight(if qos == QoS::AtMostOnce { 100 } else { 200 });
    let (client, mut events) = rumqttc::AsyncClient::new(options, 10_000);
    let (ready, is_ready) = oneshot::channel();
    let task = tokio::spawn(async move {
        let mut ready = Some(ready);
        loop {
            match events.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) => {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                }
                Ok(rumqttc::Event::Outgoing(rumqttc::Outgoing::Disconnect)) => break,
                Ok(_) => {}
                Err(e) => {
                    eprintln!("publisher: {e}");
                    break;
                }
            }
        }
    });
    is_ready.await.expect("publisher connected");
    (client, task)
}

struct Running {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Stats>,
    consumer: tokio::task::JoinHandle<()>,
    handle: c981_sparkplug::ClientHandle,
}

/// Starts a listener on `group`; its outputs go to `on_output` on a consumer task.
async fn listener(port: u16, group: &str, qos: u8, mut on_output: impl FnMut(Output) + Send + 'static) -> Running {
    let mut config = ClientConfig::new("127.0.0.1", port, unique("c981-bench-sub"));
    config.topic_filters = vec![format!("spBv1.0/{group}/#")];
    config.qos = qos;
    let (client, handle, mut rx) = Client::new(config).expect("config");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(client.run(async move {
        let _ = stopped.await;
    }));
    let (subscribed, is_subscribed) = oneshot::channel();
    let consumer = tokio::spawn(async move {
        let mut subscribed = Some(subscribed);
        while let Some(output) = rx.recv().await {
            if matches!(output, Output::Subscribed { .. })
                && let Some(s) = subscribed.take()
            {
                let _ = s.send(());
            }
            on_output(output);
        }
    });
    is_subscribed.await.expect("subscribed");
    Running { stop, task, consumer, handle }
}

async fn throughput(a: &Args, qos_level: u8) {
    let qos = rumqttc::qos(qos_level).expect("qos");
    let group = unique("c981bench");
    let last_seen_entries = Arc::new(Mutex::new(0usize));
    let entries = last_seen_entries.clone();
    let running = listener(a.port, &group, qos_level, move |o| {
        if let Output::Flush { last_seen, .. } = o {
            *entries.lock().unwrap() += last_seen.entries.len();
        }
    })
    .await;
    let (client, pub_task) = publisher(a.port, qos).await;
    let now_ms = (SystemClock.now_micros() / 1000) as u64;
    let mut seq = vec![0u64; a.nodes as usize];
    for node in 0..a.nodes {
        client.publish(format!("spBv1.0/{group}/NBIRTH/n{node}"), qos, false, birth(0, Some(1), now_ms)).await.unwrap();
        for device in 0..a.devices {
            seq[node as usize] += 1;
            let topic = format!("spBv1.0/{group}/DBIRTH/n{node}/d{device}");
            client.publish(topic, qos, false, birth(seq[node as usize], None, now_ms)).await.unwrap();
        }
    }
    let topics: Vec<String> = (0..a.nodes * a.devices)
        .map(|i| format!("spBv1.0/{group}/DDATA/n{}/d{}", i % a.nodes, (i / a.nodes) % a.devices))
        .collect();
    let size = ddata(0, now_ms).len() + topics[0].len();
    let started_us = SystemClock.now_micros();
    let started = Instant::now();
    for i in 0..a.n {
        let slot = (i % (a.nodes * a.devices)) as usize;
        let node = slot % a.nodes as usize;
        seq[node] += 1;
        client.publish(topics[slot].clone(), qos, false, ddata(seq[node], now_ms)).await.unwrap();
        if a.rate > 0 && i % 100 == 99 {
            let due = Duration::from_secs_f64((i + 1) as f64 / a.rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
    }
    let queued = started.elapsed();
    // Wait until everything arrived or nothing more arrives for 5 s.
    let (mut last_count, mut last_change) = (0, Instant::now());
    let stats = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let stats = running.handle.stats();
        if stats.messages.ddata >= a.n || last_change.elapsed() > Duration::from_secs(5) {
            break stats;
        }
        if stats.messages.ddata != last_count {
            (last_count, last_change) = (stats.messages.ddata, Instant::now());
        }
    };
    client.disconnect().await.ok();
    let _ = pub_task.await;
    let _ = running.stop.send(());
    let final_stats = running.task.await.expect("listener");
    let _ = running.consumer.await;
    let received = final_stats.messages.ddata;
    let last_us = stats.last_message_at.unwrap_or(started_us);
    let secs = (last_us - started_us) as f64 / 1e6;
    println!(
        "QoS {qos_level}: sent {} DDATA ({size} bytes each incl. topic) over {} nodes x {} devices; publisher queued them in {:.2} s ({:.0} msg/s)",
        a.n,
        a.nodes,
        a.devices,
        queued.as_secs_f64(),
        a.n as f64 / queued.as_secs_f64()
    );
    println!(
        "QoS {qos_level}: received {received} in {secs:.2} s = {:.0} msg/s sustained; lost {} ; seq gaps {} (skipped {}); decode errors {}; last-seen entries written {}",
        received as f64 / secs,
        a.n.saturating_sub(received),
        final_stats.seq_gaps,
        final_stats.seq_missed,
        final_stats.decode_errors,
        *last_seen_entries.lock().unwrap()
    );
}

async fn latency(a: &Args) {
    let group = unique("c981lat");
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let delays: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let (s, d) = (sent.clone(), delays.clone());
    let running = listener(a.port, &group, 0, move |o| {
        if let Output::Update(Update::DeviceOnline { asset, .. }) = o {
            let at = Instant::now();
            if let Some(t) = asset.device.and_then(|dev| s.lock().unwrap().get(&dev).copied()) {
                d.lock().unwrap().push(at - t);
            }
        }
    })
    .await;
    let (client, pub_task) = publisher(a.port, QoS::AtMostOnce).await;
    let now_ms = (SystemClock.now_micros() / 1000) as u64;
    client
        .publish(format!("spBv1.0/{group}/NBIRTH/n0"), QoS::AtMostOnce, false, birth(0, Some(0), now_ms))
        .await
        .unwrap();
    for i in 0..a.births {
        let device = format!("lat{i}");
        let payload = birth(i as u64 + 1, None, now_ms);
        sent.lock().unwrap().insert(device.clone(), Instant::now());
        client.publish(format!("spBv1.0/{group}/DBIRTH/n0/{device}"), QoS::AtMostOnce, false, payload).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    client.disconnect().await.ok();
    let _ = pub_task.await;
    let _ = running.stop.send(());
    let _ = running.task.await;
    let _ = running.consumer.await;
    let mut delays = delays.lock().unwrap().clone();
    delays.sort();
    if delays.is_empty() {
        println!("DBIRTH -> DeviceOnline latency: no births received");
        return;
    }
    let pct = |p: f64| delays[((delays.len() - 1) as f64 * p).round() as usize];
    println!(
        "DBIRTH -> DeviceOnline latency over {} births (QoS 0, 5 ms apart): p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        delays.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        delays[delays.len() - 1]
    );
}

/// Decode and track cost alone, without a broker: what the client task spends per message.
fn in_process(n: u64) {
    let mapping = c981_sparkplug::Mapping::default();
    let mut tracker = c981_sparkplug::Tracker::new();
    let payloads: Vec<Vec<u8>> = (0..256).map(|s| ddata(s, 1_700_000_000_000)).collect();
    let topics: Vec<String> = (0..100).map(|i| format!("spBv1.0/bench/DDATA/n{}/d{}", i % 10, i / 10)).collect();
    let started = Instant::now();
    let mut updates = 0usize;
    for i in 0..n {
        let payload = &payloads[(i % 256) as usize];
        let topic = &topics[(i % 100) as usize];
        let event = c981_sparkplug::interpret(topic, payload, i as i64, &mapping).expect("valid");
        updates += tracker.observe(event, topic.len() + payload.len()).len();
        if i % 10_000 == 9_999 {
            updates += tracker.take_dirty(i as i64).entries.len();
        }
    }
    let elapsed = started.elapsed();
    println!(
        "in-process interpret + track: {n} DDATA in {:.2} s = {:.0} ns/msg ({:.0} msg/s on one core; {updates} updates)",
        elapsed.as_secs_f64(),
        elapsed.as_nanos() as f64 / n as f64,
        n as f64 / elapsed.as_secs_f64()
    );
}

fn main() {
    let a = args();
    in_process(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        for qos in a.qos.clone() {
            throughput(&a, qos).await;
        }
        latency(&a).await;
    });
}
