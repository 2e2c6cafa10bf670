//! `c981 bench`: the performance figures of the API, measured the way a user would see them.
//!
//! It fills the configured database with a synthetic estate when it is empty (`--sites`,
//! `--assets-per-site`), starts `c981 serve` on it as a separate process (so the server's
//! memory and start-up time are its own), and drives it over loopback HTTP/1.1 keep-alive:
//! - start-up: time from spawning the server to its first answer on `/healthz`;
//! - reads: `--clients` concurrent clients fetching one filtered page of 100 assets
//!   (random site, random asset kind) for `--seconds`: throughput and latency percentiles;
//! - writes: one client creating `--creates` single assets one after another;
//! - memory: the server's peak resident memory during the run.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::config::{Config, redact};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Sites of the synthetic estate created when the database is empty.
    #[arg(long, default_value_t = 100)]
    pub sites: usize,
    /// Assets per site of that estate.
    #[arg(long, default_value_t = 10_000)]
    pub assets_per_site: usize,
    /// Seed of that estate.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Concurrent clients of the read test.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// Duration of the read test, in seconds.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Assets created one after another in the write test.
    #[arg(long, default_value_t = 3000)]
    pub creates: usize,
    /// Print the figures as JSON too.
    #[arg(long)]
    pub json: bool,
}

/// A minimal HTTP/1.1 keep-alive client: enough to measure the server, nothing else.
struct Conn {
    stream: BufReader<TcpStream>,
    host: String,
    auth: String,
}

impl Conn {
    async fn open(addr: &str, token: &str) -> anyhow::Result<Self> {
        let s = TcpStream::connect(addr).await.with_context(|| format!("connecting to {addr}"))?;
        s.set_nodelay(true)?;
        let auth = format!("Authorization: Bearer {token}\r\n");
        Ok(Self { stream: BufReader::with_capacity(256 * 1024, s), host: addr.to_owned(), auth })
    }

    /// Sends a request and reads the whole response; returns (status, body length).
    async fn request(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> anyhow::Result<(u16, usize)> {
        let mut req =
            format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n{}", self.host, self.auth);
        if let Some(b) = body {
            req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
        }
        req.push_str("\r\n");
        let s = self.stream.get_mut();
        s.write_all(req.as_bytes()).await?;
        if let Some(b) = body {
            s.write_all(b).await?;
        }
        // Headers.
        let mut head = Vec::with_capacity(512);
        loop {
            let b = self.stream.read_u8().await.context("connection closed")?;
            head.push(b);
            if head.ends_with(b"\r\n\r\n") {
                break;
            }
            if head.len() > 64 * 1024 {
                bail!("response headers too large");
            }
        }
        let text = String::from_utf8_lossy(&head);
        let status: u16 = text.get(9..12).and_then(|s| s.parse().ok()).context("bad status line")?;
        let len = text
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse::<usize>().ok()).flatten()
            })
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        self.stream.read_exact(&mut body).await?;
        Ok((status, len))
    }

    async fn get_json(&mut self, path: &str) -> anyhow::Result<serde_json::Value> {
        let req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n{}\r\n", self.host, self.auth);
        self.stream.get_mut().write_all(req.as_bytes()).await?;
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(self.stream.read_u8().await?);
        }
        let text = String::from_utf8_lossy(&head);
        let len = text
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.trim().parse::<usize>().ok())
            })
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        self.stream.read_exact(&mut body).await?;
        Ok(serde_json::from_slice(&body)?)
    }
}

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Runs the benchmark against the configured database.
pub async fn run(config: &Config, args: BenchArgs) -> anyhow::Result<()> {
    let app = crate::open_app(config, true).await?;
    let ctx = c981_app::Ctx::new(c981_app::Actor::system("bench"), c981_domain::audit::Channel::System, "bench");
    let sites = app.count::<c981_domain::Site>(&ctx, &Default::default()).await?;
    if sites == 0 {
        println!(
            "filling {} with {} sites × {} assets (seed {}) …",
            redact(&config.database_url()),
            args.sites,
            args.assets_per_site,
            args.seed
        );
        let t = Instant::now();
        let opts = c981_app::demo::SyntheticOptions {
            sites: args.sites,
            assets_per_site: args.assets_per_site,
            seed: args.seed,
            ..Default::default()
        };
        let s = c981_app::demo::load_synthetic(&app, &ctx, &opts).await?;
        println!("  loaded {} assets, {} flows in {:.1} s", s.assets, s.flows, t.elapsed().as_secs_f64());
    }
    let assets = app.count::<c981_domain::Asset>(&ctx, &Default::default()).await?;
    let sites = app.count::<c981_domain::Site>(&ctx, &Default::default()).await?;
    let (token, auth_figures) = auth_setup(&app).await?;
    let backend = app.store().backend().name();
    app.store().close().await;
    drop(app);

    // Start the server as its own process.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let addr = format!("127.0.0.1:{port}");
    let exe = std::env::current_exe()?;
    let started = Instant::now();
    let mut child = tokio::process::Command::new(exe)
        .arg("--data-dir")
        .arg(&config.data_dir)
        .arg("--database")
        .arg(config.database_url())
        .arg("--log-level")
        .arg("warn")
        .arg("serve")
        .arg("--listen")
        .arg(&addr)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting c981 serve")?;
    let pid = child.id().context("the server exited at once")?;
    let startup = loop {
        if let Ok(mut c) = Conn::open(&addr, &token).await
            && let Ok((200, _)) = c.request("GET", "/healthz", None).await
        {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the server did not answer within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };

    let mut c = Conn::open(&addr, &token).await?;
    let site_page = c.get_json("/api/v1/sites?limit=1000").await?;
    let site_ids: Vec<i64> =
        site_page["items"].as_array().map(|a| a.iter().filter_map(|s| s["id"].as_i64()).collect()).unwrap_or_default();
    if site_ids.is_empty() {
        bail!("the database holds no sites");
    }
    let kinds =
        ["plc", "hmi", "sensor", "actuator", "network_device", "iiot_gateway", "engineering_workstation", "historian"];

    // Reads.
    let rss_before = rss_kib(pid, "VmRSS:").unwrap_or(0);
    let stop = Instant::now() + Duration::from_secs(args.seconds) + Duration::from_secs(2);
    let warm_until = Instant::now() + Duration::from_secs(2);
    let mut tasks = Vec::new();
    for n in 0..args.clients {
        let addr = addr.clone();
        let token = token.clone();
        let site_ids = site_ids.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr, &token).await?;
            let mut rng = Xorshift(0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1));
            let mut lat: Vec<u32> = Vec::with_capacity(100_000);
            let mut errors = 0u64;
            let mut bytes = 0usize;
            while Instant::now() < stop {
                let site = site_ids[(rng.next() % site_ids.len() as u64) as usize];
                let kind = kinds[(rng.next() % kinds.len() as u64) as usize];
                let path = format!("/api/v1/assets?site_id={site}&kind={kind}&limit=100");
                let t = Instant::now();
                let (status, len) = conn.request("GET", &path, None).await?;
                let us = t.elapsed().as_micros() as u32;
                if Instant::now() >= warm_until {
                    lat.push(us);
                    bytes += len;
                    if status != 200 {
                        errors += 1;
                    }
                }
            }
            anyhow::Ok((lat, errors, bytes))
        }));
    }
    let mut peak_rss = rss_before;
    let sampler = {
        tokio::spawn(async move {
            let mut peak = 0;
            while Instant::now() < stop {
                peak = peak.max(rss_kib(pid, "VmRSS:").unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            peak
        })
    };
    let mut lat = Vec::new();
    let mut errors = 0;
    let mut bytes = 0;
    for t in tasks {
        let (l, e, b) = t.await??;
        lat.extend(l);
        errors += e;
        bytes += b;
    }
    peak_rss = peak_rss.max(sampler.await?);
    lat.sort_unstable();
    let read_rps = lat.len() as f64 / args.seconds as f64;

    // Writes: one client, one asset after another, into the first site.
    let site = site_ids[0];
    let mut conn = Conn::open(&addr, &token).await?;
    let t = Instant::now();
    let mut write_errors = 0;
    let mut write_lat: Vec<u32> = Vec::with_capacity(args.creates);
    let tag = t.elapsed().as_nanos() ^ u128::from(std::process::id());
    for i in 0..args.creates {
        let body = serde_json::json!({
            "site_id": site,
            "name": format!("BENCH-{tag:x}-{i}"),
            "kind": "sensor",
            "vendor": "Endress+Hauser",
            "model": "Promag 400",
            "firmware": "01.02.03",
            "ip_addresses": [format!("172.{}.{}.{}", 16 + (i >> 16) % 16, (i >> 8) & 255, i & 255)],
            "protocols": ["ethernet-ip"],
            "criticality": "medium"
        })
        .to_string();
        let s = Instant::now();
        let (status, _) = conn.request("POST", "/api/v1/assets", Some(body.as_bytes())).await?;
        write_lat.push(s.elapsed().as_micros() as u32);
        if status != 201 {
            write_errors += 1;
        }
    }
    let write_secs = t.elapsed().as_secs_f64();
    write_lat.sort_unstable();
    peak_rss = peak_rss.max(rss_kib(pid, "VmRSS:").unwrap_or(0));
    let hwm = rss_kib(pid, "VmHWM:").unwrap_or(peak_rss);
    let _ = child.start_kill();
    let _ = child.wait().await;

    let report = serde_json::json!({
        "backend": backend,
        "sites": sites,
        "assets": assets,
        "startup_ms": startup.as_secs_f64() * 1000.0,
        "read": {
            "clients": args.clients,
            "seconds": args.seconds,
            "requests": lat.len(),
            "errors": errors,
            "requests_per_second": read_rps,
            "p50_ms": percentile(&lat, 0.50),
            "p90_ms": percentile(&lat, 0.90),
            "p99_ms": percentile(&lat, 0.99),
            "max_ms": percentile(&lat, 1.0),
            "mean_response_kib": if lat.is_empty() { 0.0 } else { bytes as f64 / lat.len() as f64 / 1024.0 },
        },
        "create": {
            "requests": args.creates,
            "errors": write_errors,
            "per_second": args.creates as f64 / write_secs,
            "p50_ms": percentile(&write_lat, 0.50),
            "p99_ms": percentile(&write_lat, 0.99),
        },
        "server_memory_peak_mib": hwm as f64 / 1024.0,
        "auth": {
            "session_check_p50_ms": auth_figures.session_p50_ms,
            "session_check_p99_ms": auth_figures.session_p99_ms,
            "token_check_p50_ms": auth_figures.token_p50_ms,
            "token_check_p99_ms": auth_figures.token_p99_ms,
        },
    });
    println!("Connect 981 benchmark — {backend}, {sites} sites, {assets} assets");
    println!("  start-up to first answer : {:8.1} ms", startup.as_secs_f64() * 1000.0);
    println!(
        "  read, {} clients, {} s     : {:8.0} req/s   p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   max {:.2} ms   errors {}",
        args.clients,
        args.seconds,
        read_rps,
        percentile(&lat, 0.5),
        percentile(&lat, 0.9),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0),
        errors
    );
    println!(
        "  create, 1 client         : {:8.0} assets/s   p50 {:.2} ms   p99 {:.2} ms   errors {}",
        args.creates as f64 / write_secs,
        percentile(&write_lat, 0.5),
        percentile(&write_lat, 0.99),
        write_errors
    );
    println!("  server memory, peak      : {:8.1} MiB", hwm as f64 / 1024.0);
    println!(
        "  session check, in process: p50 {:.3} ms   p99 {:.3} ms;  API token check: p50 {:.3} ms   p99 {:.3} ms",
        auth_figures.session_p50_ms, auth_figures.session_p99_ms, auth_figures.token_p50_ms, auth_figures.token_p99_ms
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    if errors > 0 || write_errors > 0 {
        bail!("{} read and {} write requests failed", errors, write_errors);
    }
    Ok(())
}

/// The cost of authenticating one request, measured in process.
struct AuthFigures {
    session_p50_ms: f64,
    session_p99_ms: f64,
    token_p50_ms: f64,
    token_p99_ms: f64,
}

/// Makes (once) the `bench` account, a session and an API token for it, and measures the
/// session and token checks every request pays.
async fn auth_setup(app: &c981_app::App) -> anyhow::Result<(String, AuthFigures)> {
    use c981_app::identity::{NewUser, Origin};
    let operator =
        c981_app::Ctx::new(c981_app::Actor::local_operator("bench"), c981_domain::audit::Channel::Cli, "bench");
    let password = c981_auth::secret::random_token("Pump-")?;
    let origin = Origin { source: "bench".into(), ..Default::default() };
    let id = match app.store().user_by_name("bench").await? {
        Some(u) => u.id,
        None => {
            let new = NewUser {
                username: "bench".into(),
                display_name: "Benchmark".into(),
                email: None,
                grants: vec![c981_app::Grant { role: c981_app::Role::SiteEngineer, site: None }],
            };
            app.create_user(&operator, &new).await?.0
        }
    };
    let link = app.password_reset_link(&operator, id).await?;
    app.set_password_with_link(&link, &password, &origin).await?;
    let session = app.login_password("bench", &password, &origin).await?.session;
    let ctx = c981_app::Ctx::new(app.actor_of_user("bench").await?, c981_domain::audit::Channel::Cli, "bench");
    let (_, token) = app.create_token(&ctx, "benchmark", false, &[], 1).await?;
    let mut session_lat = Vec::with_capacity(2000);
    let mut token_lat = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let t = Instant::now();
        app.authenticate_session(&session).await?;
        session_lat.push(t.elapsed().as_micros() as u32);
        let t = Instant::now();
        app.authenticate_token(&token).await?;
        token_lat.push(t.elapsed().as_micros() as u32);
    }
    session_lat.sort_unstable();
    token_lat.sort_unstable();
    // Recorded in microseconds; `percentile` gives milliseconds.
    let us = |v: &[u32], p: f64| percentile(v, p);
    Ok((
        token,
        AuthFigures {
            session_p50_ms: us(&session_lat, 0.5),
            session_p99_ms: us(&session_lat, 0.99),
            token_p50_ms: us(&token_lat, 0.5),
            token_p99_ms: us(&token_lat, 0.99),
        },
    ))
}
