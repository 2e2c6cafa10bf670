//! `c981 inventory bench`: the inventory's figures on this database and machine.
//!
//! 1. a generated asset spreadsheet (CSV, `--rows`, default 1,000,000) imported into a new
//!    site: time and peak memory; then the same file again (every row unchanged);
//! 2. a generated Zeek conn.log (`--zeek-lines`, default 1,000,000) over those assets and some
//!    unknown devices: time to aggregate and store the observed flows and staged assets;
//! 3. Sparkplug B through the MQTT broker (`--broker`, default 127.0.0.1:1883), with the
//!    discovery service writing to this database: births for `--nodes` × `--devices`, then
//!    `--messages` DDATA at QoS 1; the sustained rate from the first DDATA sent to the last
//!    received and the count lost; then the time from a DBIRTH sent to its asset stored.
//!
//! It prints figures and asserts nothing. It needs a database without a site `IMPB`
//! (use a fresh `--data-dir`, or a fresh PostgreSQL database).

use std::io::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use c981_app::discovery::DiscoverySettings;
use c981_app::import::{ImportKind, ImportOptions, Upload};
use c981_app::{App, Ctx};
use c981_domain::SiteInput;
use c981_sparkplug::proto::{Metric, MetricValue, Payload};
use prost::Message as _;

#[derive(Debug, clap::Args)]
pub struct InventoryBenchArgs {
    /// Rows of the asset spreadsheet.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: usize,
    /// Lines of the Zeek conn.log.
    #[arg(long, default_value_t = 1_000_000)]
    pub zeek_lines: usize,
    /// DDATA messages sent through the broker (0: skip the Sparkplug part).
    #[arg(long, default_value_t = 200_000)]
    pub messages: u64,
    /// DDATA sent per second (0: as fast as the broker takes them). The default is twice the
    /// 10,000 messages/s the listener must sustain; unpaced, the publisher outruns the
    /// listener by a little, and a broker drops QoS 1 messages beyond its per-client queue
    /// (Mosquitto's `max_queued_messages`, 1,000 by default) whenever the listener falls
    /// further behind than that.
    #[arg(long, default_value_t = 20_000)]
    pub rate: u64,
    /// Edge nodes, and devices per node, born before the data.
    #[arg(long, default_value_t = 10)]
    pub nodes: u64,
    #[arg(long, default_value_t = 10)]
    pub devices: u64,
    /// Single DBIRTHs timed from sent to stored.
    #[arg(long, default_value_t = 20)]
    pub births: usize,
    /// The MQTT broker.
    #[arg(long, default_value = "127.0.0.1:1883")]
    pub broker: String,
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak-memory mark so each step reports its own peak (Linux).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn asset_csv(rows: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows * 96);
    out.extend_from_slice(
        b"Asset Tag,IP Address,MAC Address,Manufacturer,Model,Firmware Version,Serial Number,Device Type\n",
    );
    const VENDORS: [&str; 5] =
        ["Siemens", "Rockwell Automation", "Schneider Electric", "Endress+Hauser", "Phoenix Contact"];
    const KINDS: [&str; 5] = ["plc", "sensor", "hmi", "actuator", "network_device"];
    for i in 0..rows {
        let (a, b, c) = ((i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
        let _ = writeln!(
            out,
            "DEV-{i:07},10.{a}.{b}.{c},02:00:00:{a:02x}:{b:02x}:{c:02x},{},M-{},{}.{}.{},SN{i:08},{}",
            VENDORS[i % 5],
            i % 40,
            1 + i % 3,
            i % 10,
            i % 7,
            KINDS[i % 5]
        );
    }
    out
}

/// A conn.log over the first `hosts` assets of the spreadsheet and 200 unknown devices.
fn conn_log(lines: usize, hosts: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines * 110);
    out.extend_from_slice(
        b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n\
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n",
    );
    let ip = |i: usize| format!("10.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
    const PORTS: [(u16, &str); 4] = [(502, "modbus"), (102, "-"), (44818, "-"), (443, "ssl")];
    for n in 0..lines {
        let src = if n % 50 == 0 { format!("192.168.77.{}", n % 200) } else { ip(n % hosts) };
        let dst = ip((n * 7) % 500);
        let (port, service) = PORTS[n % 4];
        let _ = writeln!(
            out,
            "{}.{:06}\tC{n}\t{src}\t{}\t{dst}\t{port}\ttcp\t{service}\t0.01\t{}\t{}\tSF",
            1_733_300_000 + n / 100,
            n % 1_000_000,
            40_000 + n % 20_000,
            60 + n % 40,
            120 + n % 80,
        );
    }
    out
}

fn text(name: &str, value: &str) -> Metric {
    Metric {
        name: Some(name.into()),
        datatype: Some(12),
        value: Some(MetricValue::StringValue(value.into())),
        ..Default::default()
    }
}

fn birth(seq: u64, bd_seq: Option<u64>, fw: &str) -> Vec<u8> {
    let mut metrics = vec![
        text("Properties/Hardware Make", "Acme"),
        text("Properties/Hardware Model", "TS-9"),
        text("Properties/FW", fw),
    ];
    if let Some(bd) = bd_seq {
        metrics.push(Metric {
            name: Some("bdSeq".into()),
            datatype: Some(8),
            value: Some(MetricValue::LongValue(bd)),
            ..Default::default()
        });
    }
    metrics.extend(data_metrics());
    Payload { timestamp: Some(0), seq: Some(seq), metrics, ..Default::default() }.encode_to_vec()
}

fn data_metrics() -> Vec<Metric> {
    let metric = |name: &str, alias: u64, datatype: u32, value: MetricValue| Metric {
        name: Some(name.into()),
        alias: Some(alias),
        datatype: Some(datatype),
        value: Some(value),
        ..Default::default()
    };
    vec![
        metric("Line 4/Station 7/Temperature", 1, 10, MetricValue::DoubleValue(21.375)),
        metric("Line 4/Station 7/Pressure", 2, 9, MetricValue::FloatValue(1.013)),
        metric("Line 4/Station 7/Cycle Count", 3, 8, MetricValue::LongValue(1_234_567)),
        metric("Line 4/Station 7/Running", 4, 11, MetricValue::BooleanValue(true)),
    ]
}

pub async fn run(app: &App, ctx: &Ctx, args: &InventoryBenchArgs) -> anyhow::Result<()> {
    if app.store().site_by_code(&ctx.actor.scope, "IMPB").await?.is_some() {
        bail!("the database holds the site IMPB of an earlier run: use a fresh --data-dir (or database)");
    }
    let site = app
        .create::<c981_domain::Site>(
            ctx,
            &SiteInput {
                code: Some("IMPB".into()),
                name: Some("Import bench plant".into()),
                country: Some("FR".into()),
                time_zone: Some("Europe/Paris".into()),
                industry: Some("discrete".into()),
                ..Default::default()
            },
        )
        .await?
        .id;
    println!(
        "inventory bench on {} ({} cores)",
        app.store().backend().name(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    if args.rows > 0 {
        let csv = asset_csv(args.rows);
        println!("asset spreadsheet: {} rows, {:.0} MB", args.rows, csv.len() as f64 / 1e6);
        reset_peak();
        let t = Instant::now();
        let r = app
            .import_file(
                ctx,
                ImportKind::Assets,
                site,
                Upload { name: "bench-assets.csv", bytes: &csv },
                &ImportOptions::default(),
                None,
            )
            .await?;
        println!(
            "  import: {:.1} s ({:.0} rows/s); {} created, {} rejected; peak memory {:.0} MiB",
            t.elapsed().as_secs_f64(),
            args.rows as f64 / t.elapsed().as_secs_f64(),
            r.created,
            r.refused_rows(),
            peak_rss_mib()
        );
        app.store().optimize().await?;
        reset_peak();
        let t = Instant::now();
        let r = app
            .import_file(
                ctx,
                ImportKind::Assets,
                site,
                Upload { name: "bench-assets.csv", bytes: &csv },
                &ImportOptions::default(),
                None,
            )
            .await?;
        println!(
            "  the same file again: {:.1} s; {} unchanged, {} updated, {} created; peak memory {:.0} MiB",
            t.elapsed().as_secs_f64(),
            r.unchanged,
            r.updated,
            r.created,
            peak_rss_mib()
        );
    }

    if args.zeek_lines > 0 {
        let log = conn_log(args.zeek_lines, args.rows.clamp(1, 5000));
        println!("Zeek conn.log: {} lines, {:.0} MB", args.zeek_lines, log.len() as f64 / 1e6);
        reset_peak();
        let t = Instant::now();
        let r = app
            .import_file(
                ctx,
                ImportKind::Zeek,
                site,
                Upload { name: "bench-conn.log", bytes: &log },
                &ImportOptions::default(),
                None,
            )
            .await?;
        println!(
            "  import: {:.1} s; {} connections into {} records created ({} staged assets), {} updated; peak memory {:.0} MiB",
            t.elapsed().as_secs_f64(),
            r.rows_read,
            r.created,
            r.staged,
            r.updated,
            peak_rss_mib()
        );
    }

    if args.messages > 0 {
        sparkplug(app, site, args).await?;
    }
    Ok(())
}

async fn sparkplug(app: &App, site: c981_domain::SiteId, args: &InventoryBenchArgs) -> anyhow::Result<()> {
    let (host, port) = args.broker.rsplit_once(':').context("--broker: HOST:PORT")?;
    let port: u16 = port.parse().context("--broker: the port")?;
    let unique = format!("c981ib-{}", std::process::id());
    let group = unique.clone();
    let mut client = c981_sparkplug::ClientConfig::new(host, port, format!("{unique}-sub"));
    client.topic_filters = vec![format!("spBv1.0/{group}/#")];
    client.qos = 1;
    client.channel_capacity = 8192;
    // Counters reach the status at each flush: a short interval makes the end time precise.
    client.flush_interval = Duration::from_millis(50);
    let settings = DiscoverySettings { client, site, group_sites: Default::default() };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let runner = {
        let app = app.clone();
        tokio::spawn(async move {
            app.run_sparkplug(settings, async move {
                let _ = stopped.await;
            })
            .await
        })
    };
    let t = Instant::now();
    while !app.discovery_status().is_some_and(|s| s.connected) {
        if t.elapsed() > Duration::from_secs(10) {
            bail!(
                "the discovery could not connect to {}: {:?}",
                args.broker,
                app.discovery_status().and_then(|s| s.last_error)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut options = rumqttc::MqttOptions::new(format!("{unique}-pub"), host, port);
    options.set_max_packet_size(1 << 20, 1 << 20).set_inflight(200);
    let (pubc, mut events) = rumqttc::AsyncClient::new(options, 10_000);
    let poller = tokio::spawn(async move {
        loop {
            match events.poll().await {
                Ok(rumqttc::Event::Outgoing(rumqttc::Outgoing::Disconnect)) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    let qos = rumqttc::QoS::AtLeastOnce;
    let started = app.discovery_status().map_or(0, |s| s.messages_total);
    let mut births = 0u64;
    for n in 0..args.nodes {
        pubc.publish(format!("spBv1.0/{group}/NBIRTH/node{n}"), qos, false, birth(0, Some(0), "4.0.0")).await?;
        births += 1;
        for d in 0..args.devices {
            pubc.publish(format!("spBv1.0/{group}/DBIRTH/node{n}/dev{d}"), qos, false, birth(1 + d, None, "1.2.3"))
                .await?;
            births += 1;
        }
    }
    let total = births + args.messages;
    let t = Instant::now();
    let devices = (args.nodes * args.devices).max(1);
    let mut seq = vec![1 + args.devices; args.nodes as usize];
    for i in 0..args.messages {
        if args.rate > 0 && i % 500 == 0 {
            let due = t + Duration::from_secs_f64(i as f64 / args.rate as f64);
            tokio::time::sleep_until(due.into()).await;
        }
        let d = i % devices;
        let (n, dev) = ((d / args.devices.max(1)) as usize, d % args.devices.max(1));
        let payload =
            Payload { timestamp: Some(0), seq: Some(seq[n] % 256), metrics: data_metrics(), ..Default::default() };
        seq[n] += 1;
        pubc.publish(format!("spBv1.0/{group}/DDATA/node{n}/dev{dev}"), qos, false, payload.encode_to_vec()).await?;
    }
    let sent = t.elapsed();
    // Wait for the listener to have taken every message (its counters move at each flush).
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut received = 0;
    while Instant::now() < deadline {
        received = app.discovery_status().map_or(0, |s| s.messages_total) - started;
        if received >= total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = t.elapsed();
    let status = app.discovery_status().unwrap_or_default();
    println!(
        "Sparkplug: {} DDATA at QoS 1 over {} devices ({}): sent in {:.1} s, all taken in {:.1} s: {:.0} messages/s sustained; {} of {} messages received (births included; {} missed by sequence); {} assets created",
        args.messages,
        devices,
        if args.rate > 0 { format!("paced at {} messages/s", args.rate) } else { "unpaced".to_owned() },
        sent.as_secs_f64(),
        elapsed.as_secs_f64(),
        args.messages as f64 / elapsed.as_secs_f64(),
        received,
        total,
        status.seq_missed,
        status.assets_created
    );
    // DBIRTH → asset stored.
    let mut times = Vec::new();
    for b in 0..args.births {
        let key = format!("{group}/node0/late{b}");
        let t = Instant::now();
        pubc.publish(format!("spBv1.0/{group}/DBIRTH/node0/late{b}"), qos, false, birth(0, None, "1.0.0")).await?;
        loop {
            if app.store().sparkplug_asset(site, &key).await?.is_some() {
                break;
            }
            if t.elapsed() > Duration::from_secs(10) {
                bail!("the DBIRTH of {key} was not stored within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    if !times.is_empty() {
        println!(
            "DBIRTH to stored asset, {} births: p50 {:.0} ms, max {:.0} ms",
            times.len(),
            times[times.len() / 2],
            times[times.len() - 1]
        );
    }
    let _ = pubc.disconnect().await;
    let _ = poller.await;
    let _ = stop.send(());
    let _ = runner.await;
    println!("peak memory {:.0} MiB", peak_rss_mib());
    Ok(())
}
