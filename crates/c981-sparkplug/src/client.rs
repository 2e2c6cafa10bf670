//! A passive Sparkplug B listener on an MQTT broker (tokio + `rumqttc`, MQTT 3.1.1 or 5, TLS
//! through rustls with the `ring` provider).
//!
//! [`Client::new`] validates a [`ClientConfig`] and returns the client, a [`ClientHandle`] and
//! the receiving end of a bounded channel of [`Output`]s; [`Client::run`] (or [`spawn`]) then
//! polls the MQTT event loop until the shutdown future completes. On every ConnAck it
//! (re)subscribes to the configured filters (optionally as an MQTT shared subscription
//! `$share/<group>/<filter>` so several instances split the load); on errors it reconnects with
//! exponential backoff. Each message is interpreted and tracked on the client task; births,
//! deaths and other changes go out as [`Output::Update`] at once, DATA liveness is coalesced
//! into one [`Output::Flush`] per `flush_interval`, so the channel carries a few items per
//! interval however many DATA messages arrive. Sending waits when the channel is full
//! (backpressure, nothing is dropped), so the consumer must keep draining it.
//!
//! The client never publishes: no STATE, no NCMD, no rebirth requests. The one exception is
//! [`ClientHandle::request_rebirth`], refused unless [`ClientConfig::allow_publish`] is set.
//! The password is never logged, and the `Debug` form of the configuration redacts it.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use rumqttc::v5;
use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::event::{REBIRTH, interpret_with};
use crate::guard::Limits;
use crate::identity::Mapping;
use crate::proto::{Metric, MetricValue, Payload};
use crate::topic::NAMESPACE;
use crate::tracker::{LastSeenBatch, Stats, Tracker, TrackerConfig, Update};

/// A source of the current time in µs since the Unix epoch (inject one for tests or to share
/// the application's clock).
pub trait Clock: Send + Sync + 'static {
    /// Now, in µs since the Unix epoch.
    fn now_micros(&self) -> i64;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place that reads the wall clock
    fn now_micros(&self) -> i64 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        i64::try_from(now.as_micros()).unwrap_or(i64::MAX)
    }
}

/// MQTT protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    /// MQTT 3.1.1.
    #[default]
    V311,
    /// MQTT 5.
    V5,
}

/// A password that never shows in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps `secret`.
    pub fn new(secret: impl Into<String>) -> Self {
        Password(secret.into())
    }

    /// The secret itself, for the MQTT CONNECT only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// TLS settings; certificates and keys are PEM files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConfig {
    /// CA certificate(s) that the broker's certificate must chain to.
    pub ca_file: PathBuf,
    /// Client certificate chain for mutual TLS (requires `client_key_file`).
    pub client_cert_file: Option<PathBuf>,
    /// Private key (PKCS#8, PKCS#1 or SEC1) of the client certificate.
    pub client_key_file: Option<PathBuf>,
    /// Name the broker's certificate must carry when it differs from `host` (e.g. connecting
    /// by IP address to a broker whose certificate names a DNS name).
    pub server_name: Option<String>,
}

/// Client settings. Build with [`ClientConfig::new`] and adjust the public fields.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Broker host name or IP address.
    pub host: String,
    /// Broker port (default 1883).
    pub port: u16,
    /// MQTT version (default 3.1.1).
    pub protocol: Protocol,
    /// MQTT client id; must be unique on the broker.
    pub client_id: String,
    /// User name, if the broker requires one.
    pub username: Option<String>,
    /// Password (requires `username`).
    pub password: Option<Password>,
    /// TLS, if the broker requires it.
    pub tls: Option<TlsConfig>,
    /// MQTT keep-alive (default 30 s).
    pub keep_alive: Duration,
    /// Clean session (3.1.1) / clean start (5) (default true).
    pub clean_session: bool,
    /// MQTT 5 session expiry interval in seconds when `clean_session` is false.
    pub session_expiry_secs: Option<u32>,
    /// Topic filters to subscribe to (default `spBv1.0/#`; add `STATE/+` for Sparkplug 2.x
    /// host state).
    pub topic_filters: Vec<String>,
    /// Share group: subscribe to `$share/<group>/<filter>` so that instances with the same
    /// group split the messages (MQTT 5; many brokers, Mosquitto included, accept it on 3.1.1).
    pub shared_group: Option<String>,
    /// Subscription QoS, 0–2 (default 1, so NDEATH Wills published at QoS 1 arrive reliably).
    pub qos: u8,
    /// Largest incoming MQTT packet accepted (default 4 MiB; rumqttc's own default is 10 KiB,
    /// too small for real birth certificates).
    pub max_packet_size: usize,
    /// Payload decoding limits.
    pub limits: Limits,
    /// Identity mapping for births.
    pub mapping: Mapping,
    /// Tracker bounds.
    pub tracker: TrackerConfig,
    /// Allow [`ClientHandle::request_rebirth`] (default false: the client publishes nothing).
    pub allow_publish: bool,
    /// How often coalesced last-seen batches and stats are emitted (default 1 s).
    pub flush_interval: Duration,
    /// Capacity of the output channel (default 1024).
    pub channel_capacity: usize,
    /// First reconnect delay (default 250 ms); doubles per failure up to `reconnect_max`.
    pub reconnect_min: Duration,
    /// Longest reconnect delay (default 30 s).
    pub reconnect_max: Duration,
    /// TCP/TLS/CONNECT timeout (default 5 s, whole seconds).
    pub connect_timeout: Duration,
}

impl ClientConfig {
    /// Defaults for a broker at `host:port` with `client_id`.
    pub fn new(host: impl Into<String>, port: u16, client_id: impl Into<String>) -> Self {
        let max_packet_size = 4 * 1024 * 1024;
        ClientConfig {
            host: host.into(),
            port,
            protocol: Protocol::V311,
            client_id: client_id.into(),
            username: None,
            password: None,
            tls: None,
            keep_alive: Duration::from_secs(30),
            clean_session: true,
            session_expiry_secs: None,
            topic_filters: vec![format!("{NAMESPACE}/#")],
            shared_group: None,
            qos: 1,
            max_packet_size,
            limits: Limits { max_payload_bytes: max_packet_size, ..Limits::default() },
            mapping: Mapping::default(),
            tracker: TrackerConfig::default(),
            allow_publish: false,
            flush_interval: Duration::from_secs(1),
            channel_capacity: 1024,
            reconnect_min: Duration::from_millis(250),
            reconnect_max: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// The filters actually subscribed: with a share group, each prefixed `$share/<group>/`.
    pub fn subscriptions(&self) -> Vec<String> {
        match &self.shared_group {
            Some(group) => self.topic_filters.iter().map(|f| format!("$share/{group}/{f}")).collect(),
            None => self.topic_filters.clone(),
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |why: &str| Err(ConfigError::Invalid(why.to_owned()));
        if self.host.trim().is_empty() {
            return bad("host is empty");
        }
        if self.client_id.is_empty() || self.client_id.starts_with(' ') {
            return bad("client id is empty or starts with a space");
        }
        if self.password.is_some() && self.username.is_none() {
            return bad("a password needs a username");
        }
        if self.topic_filters.is_empty() {
            return bad("no topic filters");
        }
        for filter in &self.topic_filters {
            if !rumqttc::valid_filter(filter) || filter.starts_with("$share/") {
                return Err(ConfigError::Invalid(format!("invalid topic filter {filter:?}")));
            }
        }
        if let Some(group) = &self.shared_group
            && (group.is_empty() || group.contains(['/', '+', '#']))
        {
            return bad("share group is empty or holds '/', '+' or '#'");
        }
        if self.qos > 2 {
            return bad("qos must be 0, 1 or 2");
        }
        if self.max_packet_size == 0 || u32::try_from(self.max_packet_size).is_err() {
            return bad("max packet size must be between 1 byte and 4 GiB");
        }
        if self.flush_interval.is_zero() || self.channel_capacity == 0 {
            return bad("flush interval and channel capacity must be positive");
        }
        if self.reconnect_min.is_zero() || self.reconnect_max < self.reconnect_min {
            return bad("reconnect delays must be positive and min <= max");
        }
        Ok(())
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A setting is out of range; the text names it.
    #[error("invalid client configuration: {0}")]
    Invalid(String),
    /// A TLS file could not be read or used.
    #[error("TLS configuration: {0}")]
    Tls(String),
}

/// Why [`ClientHandle::request_rebirth`] did not publish.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// Publishing is off ([`ClientConfig::allow_publish`] is false).
    #[error("publishing is not allowed by the configuration")]
    NotAllowed,
    /// A group or edge node id that cannot form a topic.
    #[error("invalid id {0:?}")]
    InvalidId(String),
    /// The MQTT client refused the request (event loop stopped or its queue full).
    #[error("MQTT client: {0}")]
    Client(String),
}

/// What the client emits.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// A change, emitted when it is known (births, deaths, stale deaths, firmware, …).
    Update(Update),
    /// Once per flush interval: the coalesced last-seen batch (possibly empty) and stats.
    Flush {
        /// Assets seen through DATA since the previous flush.
        last_seen: LastSeenBatch,
        /// Statistics at the flush.
        stats: Stats,
    },
    /// The broker connection came up (ConnAck) or went down.
    Connection {
        /// Connected now.
        connected: bool,
        /// Why it went down (without secrets).
        reason: Option<String>,
    },
    /// SubAcks arrived for every filter after a ConnAck.
    Subscribed {
        /// Filters granted.
        granted: usize,
        /// Filters refused by the broker.
        refused: usize,
    },
}

enum Publisher {
    V4(rumqttc::AsyncClient),
    V5(v5::AsyncClient),
}

/// Handle to a running client: stats for a status page and the opt-in rebirth request.
#[derive(Clone)]
pub struct ClientHandle {
    publisher: Arc<Publisher>,
    allow_publish: bool,
    stats: watch::Receiver<Stats>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for ClientHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientHandle").field("allow_publish", &self.allow_publish).finish_non_exhaustive()
    }
}

impl ClientHandle {
    /// The latest stats snapshot (refreshed at every flush and connection change).
    pub fn stats(&self) -> Stats {
        self.stats.borrow().clone()
    }

    /// A receiver that is notified when the stats snapshot changes.
    pub fn watch_stats(&self) -> watch::Receiver<Stats> {
        self.stats.clone()
    }

    /// Asks edge node `edge_node` of `group` to publish its births again, by the NCMD
    /// `Node Control/Rebirth = true` (QoS 0, not retained). Refused with
    /// [`PublishError::NotAllowed`] unless [`ClientConfig::allow_publish`] is set.
    pub fn request_rebirth(&self, group: &str, edge_node: &str) -> Result<(), PublishError> {
        if !self.allow_publish {
            return Err(PublishError::NotAllowed);
        }
        for id in [group, edge_node] {
            if id.is_empty() || id.contains(['/', '+', '#']) {
                return Err(PublishError::InvalidId(id.to_owned()));
            }
        }
        let topic = format!("{NAMESPACE}/{group}/NCMD/{edge_node}");
        let now_ms = u64::try_from(self.clock.now_micros() / 1000).ok();
        let payload = Payload {
            timestamp: now_ms,
            metrics: vec![Metric {
                name: Some(REBIRTH.to_owned()),
                timestamp: now_ms,
                datatype: Some(crate::value::DataType::Boolean.code()),
                value: Some(MetricValue::BooleanValue(true)),
                ..Default::default()
            }],
            ..Default::default()
        }
        .encode_to_vec();
        let sent = match self.publisher.as_ref() {
            Publisher::V4(c) => {
                c.try_publish(topic, rumqttc::QoS::AtMostOnce, false, payload).map_err(|e| e.to_string())
            }
            Publisher::V5(c) => {
                c.try_publish(topic, v5::mqttbytes::QoS::AtMostOnce, false, payload).map_err(|e| e.to_string())
            }
        };
        sent.map_err(PublishError::Client)?;
        info!(group, edge_node, "rebirth requested");
        Ok(())
    }
}

enum Connection {
    V4 { client: rumqttc::AsyncClient, events: Box<rumqttc::EventLoop> },
    V5 { client: v5::AsyncClient, events: Box<v5::EventLoop> },
}

enum Polled {
    ConnAck,
    SubAck { granted: usize, refused: usize },
    Publish4(rumqttc::Publish),
    Publish5(v5::mqttbytes::v5::Publish),
    OutgoingDisconnect,
    Other,
}

impl Connection {
    async fn poll(&mut self) -> Result<Polled, String> {
        match self {
            Connection::V4 { events, .. } => {
                use rumqttc::{Event, Outgoing, Packet, SubscribeReasonCode};
                match events.poll().await.map_err(|e| e.to_string())? {
                    Event::Incoming(Packet::Publish(p)) => Ok(Polled::Publish4(p)),
                    Event::Incoming(Packet::ConnAck(_)) => Ok(Polled::ConnAck),
                    Event::Incoming(Packet::SubAck(ack)) => {
                        let granted =
                            ack.return_codes.iter().filter(|c| matches!(c, SubscribeReasonCode::Success(_))).count();
                        Ok(Polled::SubAck { granted, refused: ack.return_codes.len() - granted })
                    }
                    Event::Outgoing(Outgoing::Disconnect) => Ok(Polled::OutgoingDisconnect),
                    _ => Ok(Polled::Other),
                }
            }
            Connection::V5 { events, .. } => {
                use v5::Event;
                use v5::mqttbytes::v5::{Packet, SubscribeReasonCode};
                match events.poll().await.map_err(|e| e.to_string())? {
                    Event::Incoming(Packet::Publish(p)) => Ok(Polled::Publish5(p)),
                    Event::Incoming(Packet::ConnAck(_)) => Ok(Polled::ConnAck),
                    Event::Incoming(Packet::SubAck(ack)) => {
                        let granted =
                            ack.return_codes.iter().filter(|c| matches!(c, SubscribeReasonCode::Success(_))).count();
                        Ok(Polled::SubAck { granted, refused: ack.return_codes.len() - granted })
                    }
                    Event::Incoming(Packet::Disconnect(d)) => Err(format!("broker disconnected: {:?}", d.reason_code)),
                    Event::Outgoing(rumqttc::Outgoing::Disconnect) => Ok(Polled::OutgoingDisconnect),
                    _ => Ok(Polled::Other),
                }
            }
        }
    }

    fn subscribe(&self, filter: &str, qos: u8) -> Result<(), String> {
        match self {
            Connection::V4 { client, .. } => {
                let qos = rumqttc::qos(qos).map_err(|e| e.to_string())?;
                client.try_subscribe(filter, qos).map_err(|e| e.to_string())
            }
            Connection::V5 { client, .. } => {
                let qos = v5::mqttbytes::qos(qos).ok_or("invalid qos")?;
                client.try_subscribe(filter, qos).map_err(|e| e.to_string())
            }
        }
    }

    fn disconnect(&self) {
        let _ = match self {
            Connection::V4 { client, .. } => client.try_disconnect().map_err(|e| e.to_string()),
            Connection::V5 { client, .. } => client.try_disconnect().map_err(|e| e.to_string()),
        };
    }
}

/// The listener; see the module documentation.
pub struct Client {
    connection: Connection,
    subscriptions: Vec<String>,
    qos: u8,
    limits: Limits,
    mapping: Mapping,
    tracker: Tracker,
    flush_interval: Duration,
    reconnect_min: Duration,
    reconnect_max: Duration,
    out: mpsc::Sender<Output>,
    stats: watch::Sender<Stats>,
    clock: Arc<dyn Clock>,
    pending_subacks: usize,
    granted: usize,
    refused: usize,
    connected: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("subscriptions", &self.subscriptions).finish_non_exhaustive()
    }
}

impl Client {
    /// Validates `config` (reading the TLS files) and prepares a client using the system clock.
    pub fn new(config: ClientConfig) -> Result<(Client, ClientHandle, mpsc::Receiver<Output>), ConfigError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// As [`Client::new`], with the time source `clock`.
    pub fn with_clock(
        config: ClientConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<(Client, ClientHandle, mpsc::Receiver<Output>), ConfigError> {
        config.validate()?;
        let tls = config.tls.as_ref().map(build_tls).transpose()?;
        let subscriptions = config.subscriptions();
        let capacity = subscriptions.len() + 16;
        let timeout = config.connect_timeout.as_secs().max(1);
        let (connection, publisher) = match config.protocol {
            Protocol::V311 => {
                let mut options = rumqttc::MqttOptions::new(&config.client_id, &config.host, config.port);
                options
                    .set_keep_alive(config.keep_alive.max(Duration::from_secs(1)))
                    .set_clean_session(config.clean_session)
                    .set_max_packet_size(config.max_packet_size, 64 * 1024)
                    .set_request_channel_capacity(capacity);
                if let Some(user) = &config.username {
                    options.set_credentials(user, config.password.as_ref().map(Password::expose).unwrap_or_default());
                }
                if let Some(tls) = &tls {
                    options.set_transport(rumqttc::Transport::Tls(rumqttc::TlsConfiguration::Rustls(tls.clone())));
                }
                let (client, mut events) = rumqttc::AsyncClient::new(options, capacity);
                let mut network = rumqttc::NetworkOptions::new();
                network.set_connection_timeout(timeout);
                events.set_network_options(network);
                (Connection::V4 { client: client.clone(), events: Box::new(events) }, Publisher::V4(client))
            }
            Protocol::V5 => {
                let mut options = v5::MqttOptions::new(&config.client_id, &config.host, config.port);
                let size = u32::try_from(config.max_packet_size).unwrap_or(u32::MAX);
                options
                    .set_keep_alive(config.keep_alive.max(Duration::from_secs(1)))
                    .set_clean_start(config.clean_session)
                    .set_max_packet_size(Some(size))
                    .set_request_channel_capacity(capacity)
                    .set_connection_timeout(timeout);
                if !config.clean_session {
                    options.set_session_expiry_interval(config.session_expiry_secs);
                }
                if let Some(user) = &config.username {
                    options.set_credentials(user, config.password.as_ref().map(Password::expose).unwrap_or_default());
                }
                if let Some(tls) = &tls {
                    options.set_transport(rumqttc::Transport::Tls(rumqttc::TlsConfiguration::Rustls(tls.clone())));
                }
                let (client, events) = v5::AsyncClient::new(options, capacity);
                (Connection::V5 { client: client.clone(), events: Box::new(events) }, Publisher::V5(client))
            }
        };
        let (out, rx) = mpsc::channel(config.channel_capacity);
        let (stats, stats_rx) = watch::channel(Stats::default());
        let handle = ClientHandle {
            publisher: Arc::new(publisher),
            allow_publish: config.allow_publish,
            stats: stats_rx,
            clock: clock.clone(),
        };
        let client = Client {
            connection,
            subscriptions,
            qos: config.qos,
            limits: config.limits,
            mapping: config.mapping,
            tracker: Tracker::with_config(config.tracker),
            flush_interval: config.flush_interval,
            reconnect_min: config.reconnect_min,
            reconnect_max: config.reconnect_max,
            out,
            stats,
            clock,
            pending_subacks: 0,
            granted: 0,
            refused: 0,
            connected: false,
        };
        Ok((client, handle, rx))
    }

    /// Polls the broker until `shutdown` completes or the output receiver is dropped, then
    /// disconnects (within 1 s), emits a final [`Output::Flush`] and returns the final stats.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Stats {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut ticker = tokio::time::interval(self.flush_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut backoff = self.reconnect_min;
        loop {
            let polled = tokio::select! {
                biased;
                () = &mut shutdown => break,
                _ = ticker.tick() => {
                    if !self.flush().await {
                        break;
                    }
                    continue;
                }
                polled = self.connection.poll() => polled,
            };
            let alive = match polled {
                Ok(Polled::Publish4(p)) => self.on_publish(&p.topic, &p.payload).await,
                Ok(Polled::Publish5(p)) => self.on_publish(&String::from_utf8_lossy(&p.topic), &p.payload).await,
                Ok(Polled::ConnAck) => {
                    backoff = self.reconnect_min;
                    self.on_connack().await
                }
                Ok(Polled::SubAck { granted, refused }) => self.on_suback(granted, refused).await,
                Ok(Polled::OutgoingDisconnect | Polled::Other) => true,
                Err(error) => {
                    if !self.on_error(error).await {
                        break;
                    }
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(self.reconnect_max);
                    true
                }
            };
            if !alive {
                break;
            }
        }
        self.finish().await
    }

    async fn on_publish(&mut self, topic: &str, payload: &[u8]) -> bool {
        let now = self.clock.now_micros();
        let bytes = topic.len() + payload.len();
        match interpret_with(topic, payload, now, &self.mapping, &self.limits) {
            Ok(event) => {
                for update in self.tracker.observe(event, bytes) {
                    if self.out.send(Output::Update(update)).await.is_err() {
                        return false;
                    }
                }
            }
            Err(error) => {
                debug!(topic, %error, "message not interpreted");
                self.tracker.observe_error(topic, &error, bytes, now);
            }
        }
        true
    }

    async fn on_connack(&mut self) -> bool {
        info!(subscriptions = ?self.subscriptions, "connected to the MQTT broker");
        self.connected = true;
        self.tracker.set_connected(true);
        self.pending_subacks = 0;
        self.granted = 0;
        self.refused = 0;
        for filter in &self.subscriptions {
            match self.connection.subscribe(filter, self.qos) {
                Ok(()) => self.pending_subacks += 1,
                Err(error) => {
                    warn!(filter, %error, "subscribe request failed");
                    self.tracker.record_error(&format!("subscribe {filter}: {error}"), self.clock.now_micros());
                }
            }
        }
        self.publish_stats();
        self.out.send(Output::Connection { connected: true, reason: None }).await.is_ok()
    }

    async fn on_suback(&mut self, granted: usize, refused: usize) -> bool {
        self.granted += granted;
        self.refused += refused;
        if refused > 0 {
            warn!(refused, "the broker refused a subscription");
            self.tracker.record_error("the broker refused a subscription", self.clock.now_micros());
        }
        self.pending_subacks = self.pending_subacks.saturating_sub(1);
        if self.pending_subacks == 0 {
            let (granted, refused) = (self.granted, self.refused);
            return self.out.send(Output::Subscribed { granted, refused }).await.is_ok();
        }
        true
    }

    async fn on_error(&mut self, error: String) -> bool {
        warn!(%error, "MQTT connection error; reconnecting");
        self.tracker.record_error(&format!("connection: {error}"), self.clock.now_micros());
        self.tracker.set_connected(false);
        self.publish_stats();
        if std::mem::take(&mut self.connected) {
            let reason = Some(error);
            return self.out.send(Output::Connection { connected: false, reason }).await.is_ok();
        }
        !self.out.is_closed()
    }

    fn publish_stats(&mut self) -> Stats {
        let stats = self.tracker.stats(self.clock.now_micros());
        self.stats.send_replace(stats.clone());
        stats
    }

    /// Emits the coalesced batch and stats; false when the receiver is gone.
    async fn flush(&mut self) -> bool {
        let last_seen = self.tracker.take_dirty(self.clock.now_micros());
        let stats = self.publish_stats();
        if last_seen.entries.is_empty() {
            // Nothing that must not be lost: stats alone are also in the watch channel.
            return !matches!(
                self.out.try_send(Output::Flush { last_seen, stats }),
                Err(mpsc::error::TrySendError::Closed(_))
            );
        }
        self.out.send(Output::Flush { last_seen, stats }).await.is_ok()
    }

    async fn finish(mut self) -> Stats {
        if self.connected {
            self.connection.disconnect();
            let deadline = tokio::time::sleep(Duration::from_secs(1));
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    () = &mut deadline => break,
                    polled = self.connection.poll() => match polled {
                        Ok(Polled::OutgoingDisconnect) | Err(_) => break,
                        Ok(Polled::Publish4(p)) => { self.on_publish(&p.topic, &p.payload).await; }
                        Ok(Polled::Publish5(p)) => {
                            self.on_publish(&String::from_utf8_lossy(&p.topic), &p.payload).await;
                        }
                        Ok(_) => {}
                    }
                }
            }
        }
        self.tracker.set_connected(false);
        let last_seen = self.tracker.take_dirty(self.clock.now_micros());
        let stats = self.publish_stats();
        let flush = Output::Flush { last_seen, stats: stats.clone() };
        let _ = tokio::time::timeout(Duration::from_secs(1), self.out.send(flush)).await;
        info!("Sparkplug listener stopped");
        stats
    }
}

/// Validates `config`, spawns [`Client::run`] on the current tokio runtime and returns the
/// handle, the output receiver and the task (which yields the final stats).
pub fn spawn(
    config: ClientConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(ClientHandle, mpsc::Receiver<Output>, JoinHandle<Stats>), ConfigError> {
    let (client, handle, rx) = Client::new(config)?;
    let task = tokio::spawn(client.run(shutdown));
    Ok((handle, rx, task))
}

/// Builds the rustls client configuration (ring provider) from PEM files.
pub fn build_tls(tls: &TlsConfig) -> Result<Arc<rustls::ClientConfig>, ConfigError> {
    let err =
        |what: &str, path: &PathBuf, e: &dyn fmt::Display| ConfigError::Tls(format!("{what} {}: {e}", path.display()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&tls.ca_file).map_err(|e| err("CA file", &tls.ca_file, &e))? {
        let cert = cert.map_err(|e| err("CA file", &tls.ca_file, &e))?;
        roots.add(cert).map_err(|e| err("CA certificate in", &tls.ca_file, &e))?;
    }
    if roots.is_empty() {
        return Err(ConfigError::Tls(format!("no certificate in CA file {}", tls.ca_file.display())));
    }
    let roots = Arc::new(roots);
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::Tls(e.to_string()))?;
    let builder = match &tls.server_name {
        None => builder.with_root_certificates(roots),
        Some(name) => {
            let name = ServerName::try_from(name.clone())
                .map_err(|e| ConfigError::Tls(format!("server name {name:?}: {e}")))?;
            let inner = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| ConfigError::Tls(e.to_string()))?;
            builder.dangerous().with_custom_certificate_verifier(Arc::new(NameOverride { inner, name }))
        }
    };
    let config = match (&tls.client_cert_file, &tls.client_key_file) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert_file), Some(key_file)) => {
            let certs = CertificateDer::pem_file_iter(cert_file)
                .map_err(|e| err("client certificate", cert_file, &e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| err("client certificate", cert_file, &e))?;
            if certs.is_empty() {
                return Err(ConfigError::Tls(format!("no certificate in {}", cert_file.display())));
            }
            let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| err("client key", key_file, &e))?;
            builder.with_client_auth_cert(certs, key).map_err(|e| ConfigError::Tls(e.to_string()))?
        }
        _ => return Err(ConfigError::Tls("a client certificate needs its key and a key its certificate".into())),
    };
    Ok(Arc::new(config))
}

/// Verifies the broker's certificate fully (chain, validity, signatures) against a configured
/// name instead of the host connected to.
#[derive(Debug)]
struct NameOverride {
    inner: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for NameOverride {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner.verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_form_of_the_config_redacts_the_password() {
        let mut config = ClientConfig::new("broker", 1883, "c981");
        config.username = Some("reader".into());
        config.password = Some(Password::new("hunter2-secret"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert!(shown.contains("reader"));
    }

    #[test]
    fn shared_subscriptions_prefix_every_filter() {
        let mut config = ClientConfig::new("broker", 1883, "c981");
        assert_eq!(config.subscriptions(), vec!["spBv1.0/#".to_owned()]);
        config.shared_group = Some("c981".into());
        config.topic_filters.push("STATE/+".into());
        assert_eq!(config.subscriptions(), vec!["$share/c981/spBv1.0/#".to_owned(), "$share/c981/STATE/+".to_owned()]);
    }

    #[test]
    fn invalid_configurations_are_refused_with_the_reason() {
        let base = ClientConfig::new("broker", 1883, "c981");
        let cases: Vec<(ClientConfig, &str)> = vec![
            (ClientConfig { host: " ".into(), ..base.clone() }, "host"),
            (ClientConfig { client_id: String::new(), ..base.clone() }, "client id"),
            (ClientConfig { password: Some(Password::new("x")), ..base.clone() }, "username"),
            (ClientConfig { topic_filters: vec![], ..base.clone() }, "no topic filters"),
            (ClientConfig { topic_filters: vec!["a/#/b".into()], ..base.clone() }, "invalid topic filter"),
            (ClientConfig { shared_group: Some("a/b".into()), ..base.clone() }, "share group"),
            (ClientConfig { qos: 3, ..base.clone() }, "qos"),
            (ClientConfig { max_packet_size: 0, ..base.clone() }, "packet size"),
            (ClientConfig { flush_interval: Duration::ZERO, ..base.clone() }, "flush interval"),
        ];
        for (config, reason) in cases {
            let err = config.validate().expect_err(reason).to_string();
            assert!(err.contains(reason), "{reason}: {err}");
        }
        assert!(base.validate().is_ok());
    }

    #[test]
    fn tls_configuration_reports_unreadable_files() {
        let tls = TlsConfig {
            ca_file: PathBuf::from("/nonexistent/ca.pem"),
            client_cert_file: None,
            client_key_file: None,
            server_name: None,
        };
        let err = build_tls(&tls).expect_err("missing file").to_string();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
    }

    #[tokio::test]
    async fn rebirth_requests_are_refused_unless_publishing_is_allowed() {
        let (_client, handle, _rx) = Client::new(ClientConfig::new("127.0.0.1", 1, "c981-test")).expect("valid");
        assert_eq!(handle.request_rebirth("G", "E"), Err(PublishError::NotAllowed));
        let config = ClientConfig { allow_publish: true, ..ClientConfig::new("127.0.0.1", 1, "c981-test") };
        let (_client, handle, _rx) = Client::new(config).expect("valid");
        assert_eq!(handle.request_rebirth("G", "E/x"), Err(PublishError::InvalidId("E/x".into())));
        assert_eq!(handle.request_rebirth("G", "E"), Ok(()), "queued for the event loop");
    }
}
