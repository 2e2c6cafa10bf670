//! Helpers shared by the broker-backed integration tests: skip-or-fail policy, unique ids, a
//! listener wrapper, a raw publisher and a private Mosquitto instance.
#![allow(dead_code, clippy::disallowed_methods)] // tests read the environment and the clock

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use c981_sparkplug::client::{Client, ClientConfig, ClientHandle, Output};
use c981_sparkplug::tracker::Stats;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The shared broker of the machine.
pub const BROKER: &str = "127.0.0.1:1883";

/// True when CI demands that the broker and the Sparkplug peer are there.
pub fn required() -> bool {
    std::env::var("C981_REQUIRE_SPARKPLUG").is_ok_and(|v| v == "1")
}

/// Skips the test with a printed reason, or fails it when `C981_REQUIRE_SPARKPLUG=1`.
pub fn skip(reason: &str) {
    assert!(!required(), "C981_REQUIRE_SPARKPLUG=1 but {reason}");
    // Written to the stderr handle, not through eprintln!, so that the test harness does not
    // capture it and the reason shows in a normal `cargo test` run.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {reason} (set C981_REQUIRE_SPARKPLUG=1 to make this a failure)");
}

/// True when something listens on `addr`.
pub fn reachable(addr: &str) -> bool {
    addr.parse::<SocketAddr>().is_ok_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_ok())
}

/// The shared broker is reachable, or the test is skipped (or failed, see [`skip`]).
pub fn broker_or_skip() -> bool {
    if reachable(BROKER) {
        return true;
    }
    skip(&format!("no MQTT broker on {BROKER} (start it with `mosquitto -d -c /etc/mosquitto/mosquitto.conf`)"));
    false
}

/// An id unique to this process and moment, so parallel runs never share topics.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{prefix}-{}-{}", std::process::id(), nanos % 1_000_000_000_000)
}

/// A listener config for the broker at `port` restricted to `group`.
pub fn config_for(port: u16, group: &str) -> ClientConfig {
    let mut config = ClientConfig::new("127.0.0.1", port, unique("c981-listener"));
    config.topic_filters = vec![format!("spBv1.0/{group}/#")];
    config.flush_interval = Duration::from_millis(200);
    config.reconnect_min = Duration::from_millis(100);
    config.reconnect_max = Duration::from_millis(500);
    config
}

/// A running listener and everything it emitted so far.
pub struct Listener {
    pub handle: ClientHandle,
    pub rx: mpsc::Receiver<Output>,
    pub seen: Vec<Output>,
    task: JoinHandle<Stats>,
    stop: Option<oneshot::Sender<()>>,
}

impl Listener {
    pub fn start(config: ClientConfig) -> Listener {
        let (client, handle, rx) = Client::new(config).expect("valid config");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(client.run(async move {
            let _ = stopped.await;
        }));
        Listener { handle, rx, seen: Vec::new(), task, stop: Some(stop) }
    }

    /// Collects outputs until `done` holds for one of them; panics after `timeout` showing
    /// everything seen.
    pub async fn until(&mut self, timeout: Duration, mut done: impl FnMut(&Output) -> bool) -> &Output {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(output)) => {
                    let hit = done(&output);
                    self.seen.push(output);
                    if hit {
                        return self.seen.last().expect("just pushed");
                    }
                }
                Ok(None) => panic!("listener stopped; seen: {:#?}", self.seen),
                Err(_) => panic!("timed out; seen: {:#?}", self.seen),
            }
        }
    }

    /// Waits until the subscriptions are acknowledged.
    pub async fn subscribed(&mut self) {
        self.until(Duration::from_secs(10), |o| matches!(o, Output::Subscribed { refused: 0, .. })).await;
    }

    /// Collects for `duration`.
    pub async fn drain_for(&mut self, duration: Duration) {
        let deadline = Instant::now() + duration;
        while let Ok(Some(output)) =
            tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), self.rx.recv()).await
        {
            self.seen.push(output);
        }
    }

    /// Stops the listener and returns its final stats, collecting the rest of its output.
    pub async fn stop(mut self) -> (Stats, Vec<Output>) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        while let Some(output) = self.rx.recv().await {
            self.seen.push(output);
        }
        let stats = self.task.await.expect("listener task");
        (stats, self.seen)
    }
}

/// A raw MQTT 3.1.1 publisher (rumqttc) on `port`; its event loop runs on a task.
pub async fn publisher(port: u16) -> (rumqttc::AsyncClient, JoinHandle<()>) {
    let mut options = rumqttc::MqttOptions::new(unique("c981-pub"), "127.0.0.1", port);
    options.set_max_packet_size(8 * 1024 * 1024, 8 * 1024 * 1024).set_inflight(200);
    let (client, mut events) = rumqttc::AsyncClient::new(options, 1000);
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
                Err(_) if ready.is_none() => break,
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), is_ready).await.expect("publisher connects").expect("ready");
    (client, task)
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// A scratch directory under the cargo target dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(unique(name));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A Mosquitto broker of this test's own, on a loopback port, ended on drop.
pub struct PrivateBroker {
    pub port: u16,
    pub dir: PathBuf,
    config: PathBuf,
    child: Option<Child>,
}

impl PrivateBroker {
    /// `mosquitto` is on the PATH, or the test is skipped (or failed, see [`skip`]).
    pub fn available() -> bool {
        let ok = Command::new("mosquitto").arg("-h").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
        if !ok {
            skip("mosquitto is not installed (apt-get install mosquitto)");
        }
        ok
    }

    /// Writes a config with `extra` lines for a listener on a free port and starts it.
    pub fn start(name: &str, extra: &str) -> PrivateBroker {
        let port = free_port();
        let dir = scratch(name);
        let config = dir.join("mosquitto.conf");
        let text = format!(
            "per_listener_settings false\npersistence false\nlog_dest stderr\nlistener {port} 127.0.0.1\n{extra}\n"
        );
        std::fs::write(&config, text).expect("write config");
        let mut broker = PrivateBroker { port, dir, config, child: None };
        broker.restart();
        broker
    }

    /// Starts the broker (again) and waits until it accepts connections.
    pub fn restart(&mut self) {
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.join("mosquitto.log")).map(Stdio::from).unwrap_or(Stdio::null()))
            .spawn()
            .expect("start mosquitto");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !reachable(&format!("127.0.0.1:{}", self.port)) {
            assert!(Instant::now() < deadline, "private mosquitto did not start; see {}", self.dir.display());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the broker process (which this test started).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        self.kill();
    }
}
