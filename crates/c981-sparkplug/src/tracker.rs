//! Pure liveness state over [`Event`]s: births as immediate upserts, deaths paired by `bdSeq`,
//! DATA coalesced into last-seen batches, `seq` gap counting, and message statistics.
//!
//! The [`Tracker`] performs no I/O and reads no clock: event times come from the events,
//! and the caller passes `now` where a time is needed. Contract in short:
//! - NBIRTH / DBIRTH → [`Update::NodeOnline`] / [`Update::DeviceOnline`] at once (plus
//!   [`Update::FirmwareSeen`] when the birth names a firmware, for drift checks).
//! - NDEATH whose `bdSeq` differs from the current NBIRTH's → [`Update::StaleDeath`], ignored;
//!   otherwise (same `bdSeq`, or either side without one) [`Update::NodeOffline`], which takes
//!   the node's online devices offline with it; a repeated death of an offline node is silent.
//! - DDEATH → [`Update::DeviceOffline`].
//! - NDATA / DDATA → no update; the asset's last-seen time is refreshed in memory and reported
//!   by [`Tracker::take_dirty`], once per asset per call, however many messages arrived.
//! - `seq` (0–255, wrapping) is followed per edge node over NBIRTH, DBIRTH, DDEATH, NDATA and
//!   DDATA; every jump is a gap, and the skipped count estimates lost messages.
//! - At most [`TrackerConfig::max_assets`] nodes plus devices are tracked; events of further
//!   new assets are dropped and counted, so a flood of invented ids cannot exhaust memory.

use std::collections::HashMap;
use std::fmt;

use crate::event::{DecodeError, Event};
use crate::identity::Identity;
use crate::topic::MessageType;
use crate::value::truncate;

/// Identifies an edge node (`device: None`) or a device behind it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetKey {
    /// Group id.
    pub group: String,
    /// Edge node id.
    pub edge_node: String,
    /// Device id, `None` for the edge node itself.
    pub device: Option<String>,
}

impl AssetKey {
    /// The key of an edge node.
    pub fn node(group: impl Into<String>, edge_node: impl Into<String>) -> Self {
        AssetKey { group: group.into(), edge_node: edge_node.into(), device: None }
    }

    /// The key of a device.
    pub fn device(group: impl Into<String>, edge_node: impl Into<String>, device: impl Into<String>) -> Self {
        AssetKey { group: group.into(), edge_node: edge_node.into(), device: Some(device.into()) }
    }
}

impl fmt::Display for AssetKey {
    /// `group/edge_node` or `group/edge_node/device`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.device {
            Some(d) => write!(f, "{}/{}/{}", self.group, self.edge_node, d),
            None => write!(f, "{}/{}", self.group, self.edge_node),
        }
    }
}

/// A change for the caller's inventory, emitted as soon as the tracker knows it. Times named
/// `at` are receive times in µs since the Unix epoch; `timestamp` is the sender's (ms).
#[derive(Clone, Debug, PartialEq)]
pub enum Update {
    /// An edge node was born (NBIRTH): upsert it as online.
    NodeOnline {
        /// The node.
        asset: AssetKey,
        /// Its `bdSeq`.
        bd_seq: Option<u64>,
        /// Identity from the birth.
        identity: Identity,
        /// Number of metrics in the birth.
        metric_count: usize,
        /// Sender's timestamp (ms).
        timestamp: Option<u64>,
        /// Receive time (µs).
        at: i64,
    },
    /// A device was born (DBIRTH): upsert it as online, linked to its node (`asset.edge_node`).
    DeviceOnline {
        /// The device.
        asset: AssetKey,
        /// Identity from the birth.
        identity: Identity,
        /// Number of metrics in the birth.
        metric_count: usize,
        /// Sender's timestamp (ms).
        timestamp: Option<u64>,
        /// Receive time (µs).
        at: i64,
    },
    /// An edge node died (NDEATH matching its birth, or of a node whose birth was not seen).
    NodeOffline {
        /// The node.
        asset: AssetKey,
        /// `bdSeq` of the death.
        bd_seq: Option<u64>,
        /// Devices of the node that were online and are now offline with it.
        devices: Vec<String>,
        /// False when no birth of this node was seen, so the pairing could not be checked.
        birth_seen: bool,
        /// Receive time (µs).
        at: i64,
    },
    /// A device died (DDEATH).
    DeviceOffline {
        /// The device.
        asset: AssetKey,
        /// Receive time (µs).
        at: i64,
    },
    /// An NDEATH whose `bdSeq` does not match the node's current birth: a late Will of an
    /// older session. It was ignored; the node stays online.
    StaleDeath {
        /// The node.
        asset: AssetKey,
        /// `bdSeq` of the stale death.
        bd_seq: Option<u64>,
        /// `bdSeq` of the current birth.
        current_bd_seq: Option<u64>,
        /// Receive time (µs).
        at: i64,
    },
    /// A birth named a firmware: compare with the recorded one to detect drift.
    FirmwareSeen {
        /// The node or device.
        asset: AssetKey,
        /// Firmware in this birth.
        firmware: String,
        /// Firmware of the previous birth of the same asset seen by this tracker, if any.
        previous: Option<String>,
        /// Receive time (µs).
        at: i64,
    },
    /// A host application's STATE.
    HostState {
        /// Host application id.
        host: String,
        /// Online or offline.
        online: bool,
        /// Sender's timestamp (ms).
        timestamp: Option<u64>,
        /// Receive time (µs).
        at: i64,
    },
    /// An NCMD or DCMD seen on the broker (some host commanded the asset).
    CommandSeen {
        /// The commanded node or device.
        asset: AssetKey,
        /// Names of the commanded metrics.
        metric_names: Vec<String>,
        /// True for a rebirth request.
        rebirth: bool,
        /// Receive time (µs).
        at: i64,
    },
}

/// The last-seen time of one asset, from a coalesced batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastSeen {
    /// The node or device.
    pub asset: AssetKey,
    /// Receive time of its latest message (µs).
    pub at: i64,
}

/// Assets seen since the previous [`Tracker::take_dirty`], one entry each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LastSeenBatch {
    /// The `now` passed to `take_dirty` (µs).
    pub flushed_at: i64,
    /// The assets, sorted by key.
    pub entries: Vec<LastSeen>,
}

/// Tracker bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackerConfig {
    /// Most nodes plus devices tracked (default 100,000).
    pub max_assets: usize,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig { max_assets: 100_000 }
    }
}

/// Messages counted per type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)] // one counter per message type, named after it
pub struct MessageCounts {
    pub nbirth: u64,
    pub ndeath: u64,
    pub dbirth: u64,
    pub ddeath: u64,
    pub ndata: u64,
    pub ddata: u64,
    pub ncmd: u64,
    pub dcmd: u64,
    pub state: u64,
}

impl MessageCounts {
    /// The count of `message_type`.
    pub fn get(&self, message_type: MessageType) -> u64 {
        match message_type {
            MessageType::NBirth => self.nbirth,
            MessageType::NDeath => self.ndeath,
            MessageType::DBirth => self.dbirth,
            MessageType::DDeath => self.ddeath,
            MessageType::NData => self.ndata,
            MessageType::DData => self.ddata,
            MessageType::NCmd => self.ncmd,
            MessageType::DCmd => self.dcmd,
            MessageType::State => self.state,
        }
    }

    fn bump(&mut self, message_type: MessageType) {
        let slot = match message_type {
            MessageType::NBirth => &mut self.nbirth,
            MessageType::NDeath => &mut self.ndeath,
            MessageType::DBirth => &mut self.dbirth,
            MessageType::DDeath => &mut self.ddeath,
            MessageType::NData => &mut self.ndata,
            MessageType::DData => &mut self.ddata,
            MessageType::NCmd => &mut self.ncmd,
            MessageType::DCmd => &mut self.dcmd,
            MessageType::State => &mut self.state,
        };
        *slot += 1;
    }

    /// Sum over all types.
    pub fn total(&self) -> u64 {
        MessageType::ALL.iter().map(|t| self.get(*t)).sum()
    }
}

/// A snapshot of the tracker's statistics, for a status page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Connected to the broker (set by the client through [`Tracker::set_connected`]).
    pub connected: bool,
    /// Number of successful connections (ConnAcks) so far.
    pub connects: u64,
    /// Messages interpreted, per type.
    pub messages: MessageCounts,
    /// Messages that could not be interpreted.
    pub decode_errors: u64,
    /// Topic plus payload bytes of all messages, interpreted or not.
    pub bytes: u64,
    /// Messages (interpreted or not) per second over the last 10 seconds.
    pub messages_per_second: f64,
    /// Receive time of the latest message (µs).
    pub last_message_at: Option<i64>,
    /// The latest error (decode or connection), at most 256 bytes.
    pub last_error: Option<String>,
    /// When the latest error happened (µs).
    pub last_error_at: Option<i64>,
    /// NDEATHs ignored as stale.
    pub stale_deaths: u64,
    /// `seq` jumps seen over all edge nodes.
    pub seq_gaps: u64,
    /// Messages skipped by those jumps: an estimate of messages lost.
    pub seq_missed: u64,
    /// Events dropped because [`TrackerConfig::max_assets`] was reached.
    pub assets_dropped: u64,
    /// Edge nodes tracked.
    pub nodes: usize,
    /// Edge nodes online.
    pub nodes_online: usize,
    /// Devices tracked.
    pub devices: usize,
    /// Devices online.
    pub devices_online: usize,
}

/// What the tracker knows of one edge node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    /// Online since its birth, until its death.
    pub online: bool,
    /// `bdSeq` of its current birth.
    pub bd_seq: Option<u64>,
    /// A birth of this node was seen.
    pub birth_seen: bool,
    /// Receive time of its latest message, or of its death (µs).
    pub last_seen: i64,
    /// `seq` jumps of this node.
    pub seq_gaps: u64,
    /// Messages skipped by those jumps.
    pub seq_missed: u64,
    /// Firmware of its latest birth.
    pub firmware: Option<String>,
    /// Number of devices tracked under it.
    pub devices: usize,
}

/// What the tracker knows of one device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceView {
    /// Online since its birth, until its or its node's death.
    pub online: bool,
    /// Receive time of its latest message, or of its death (µs).
    pub last_seen: i64,
    /// Firmware of its latest birth.
    pub firmware: Option<String>,
}

#[derive(Debug, Default)]
struct DeviceState {
    online: bool,
    last_seen: i64,
    dirty: bool,
    firmware: Option<String>,
}

#[derive(Debug, Default)]
struct NodeState {
    online: bool,
    birth_seen: bool,
    bd_seq: Option<u64>,
    next_seq: Option<u8>,
    seq_gaps: u64,
    seq_missed: u64,
    last_seen: i64,
    dirty: bool,
    firmware: Option<String>,
    devices: HashMap<String, DeviceState>,
}

impl NodeState {
    /// Follows the node's `seq` stream; a birth restarts it.
    fn sequence(&mut self, seq: Option<u64>, restart: bool) -> Option<u64> {
        let seq = (seq? % 256) as u8;
        let mut missed = None;
        if let (false, Some(expected)) = (restart, self.next_seq)
            && seq != expected
        {
            let skipped = u64::from(seq.wrapping_sub(expected));
            self.seq_gaps += 1;
            self.seq_missed += skipped;
            missed = Some(skipped);
        }
        self.next_seq = Some(seq.wrapping_add(1));
        missed
    }
}

/// Messages per second over a sliding window of 10 one-second buckets.
#[derive(Debug, Default)]
struct Rate {
    seconds: [i64; 10],
    counts: [u64; 10],
}

impl Rate {
    const WINDOW: i64 = 10;

    fn add(&mut self, now_micros: i64) {
        let second = now_micros.div_euclid(1_000_000);
        let slot = second.rem_euclid(Self::WINDOW) as usize;
        if self.seconds[slot] != second {
            self.seconds[slot] = second;
            self.counts[slot] = 0;
        }
        self.counts[slot] += 1;
    }

    fn per_second(&self, now_micros: i64) -> f64 {
        let second = now_micros.div_euclid(1_000_000);
        let total: u64 = self
            .seconds
            .iter()
            .zip(self.counts)
            .filter(|(s, _)| **s > second - Self::WINDOW && **s <= second)
            .map(|(_, c)| c)
            .sum();
        total as f64 / Self::WINDOW as f64
    }
}

/// Liveness and statistics state over events; see the module documentation for the contract.
#[derive(Debug, Default)]
pub struct Tracker {
    config: TrackerConfig,
    groups: HashMap<String, HashMap<String, NodeState>>,
    assets: usize,
    counts: MessageCounts,
    connected: bool,
    connects: u64,
    decode_errors: u64,
    bytes: u64,
    rate: Rate,
    last_message_at: Option<i64>,
    last_error: Option<String>,
    last_error_at: Option<i64>,
    stale_deaths: u64,
    seq_gaps: u64,
    seq_missed: u64,
    assets_dropped: u64,
}

impl Tracker {
    /// An empty tracker with default bounds.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty tracker with `config`.
    pub fn with_config(config: TrackerConfig) -> Self {
        Tracker { config, ..Self::default() }
    }

    /// Records the broker connection state; a change to connected counts a connection.
    pub fn set_connected(&mut self, connected: bool) {
        if connected && !self.connected {
            self.connects += 1;
        }
        self.connected = connected;
    }

    /// Records an error that is not a message's, e.g. a lost connection.
    pub fn record_error(&mut self, text: &str, now: i64) {
        self.last_error = Some(truncate(text.to_owned(), 256));
        self.last_error_at = Some(now);
    }

    /// Records a message that [`crate::event::interpret`] refused: `bytes` is its topic plus
    /// payload length, `now` the receive time (µs).
    pub fn observe_error(&mut self, topic: &str, error: &DecodeError, bytes: usize, now: i64) {
        self.count_message(bytes, now);
        self.decode_errors += 1;
        let shown: String = topic.chars().take(128).collect();
        self.record_error(&format!("{shown}: {error}"), now);
    }

    /// Applies one interpreted message (`bytes`: its topic plus payload length) and returns the
    /// updates it causes, in order; DATA messages return none (see [`Tracker::take_dirty`]).
    pub fn observe(&mut self, event: Event, bytes: usize) -> Vec<Update> {
        let at = event.received_at();
        self.count_message(bytes, at);
        self.counts.bump(event.message_type());
        let mut out = Vec::new();
        match event {
            Event::NodeBirth { group, edge_node, bd_seq, seq, identity, metric_count, timestamp, received_at: _ } => {
                let Some(node) = self.node_mut(&group, &edge_node) else { return out };
                node.online = true;
                node.birth_seen = true;
                node.bd_seq = bd_seq;
                node.last_seen = at;
                node.dirty = false;
                node.sequence(seq, true);
                let firmware = identity.firmware.clone().map(|fw| (node.firmware.replace(fw.clone()), fw));
                let asset = AssetKey::node(group, edge_node);
                out.push(Update::NodeOnline { asset: asset.clone(), bd_seq, identity, metric_count, timestamp, at });
                if let Some((previous, firmware)) = firmware {
                    out.push(Update::FirmwareSeen { asset, firmware, previous, at });
                }
            }
            Event::NodeDeath { group, edge_node, bd_seq, timestamp: _, received_at: _ } => {
                let Some(node) = self.groups.get_mut(&group).and_then(|g| g.get_mut(&edge_node)) else {
                    out.push(Update::NodeOffline {
                        asset: AssetKey::node(group, edge_node),
                        bd_seq,
                        devices: Vec::new(),
                        birth_seen: false,
                        at,
                    });
                    return out;
                };
                let asset = AssetKey::node(group, edge_node);
                let mismatch = matches!((bd_seq, node.bd_seq), (Some(d), Some(c)) if d != c);
                if node.birth_seen && mismatch {
                    self.stale_deaths += 1;
                    out.push(Update::StaleDeath { asset, bd_seq, current_bd_seq: node.bd_seq, at });
                    return out;
                }
                if node.birth_seen && !node.online {
                    return out; // a repeated death of a node already offline
                }
                node.online = false;
                node.last_seen = at;
                node.dirty = false;
                node.next_seq = None;
                let mut devices: Vec<String> = node
                    .devices
                    .iter_mut()
                    .filter(|(_, d)| d.online)
                    .map(|(name, d)| {
                        d.online = false;
                        d.last_seen = at;
                        d.dirty = false;
                        name.clone()
                    })
                    .collect();
                devices.sort();
                out.push(Update::NodeOffline { asset, bd_seq, devices, birth_seen: node.birth_seen, at });
            }
            Event::DeviceBirth { group, edge_node, device, seq, identity, metric_count, timestamp, received_at: _ } => {
                if self.node_mut(&group, &edge_node).is_none() {
                    return out;
                }
                self.sequence(&group, &edge_node, seq);
                let Some(state) = self.device_mut(&group, &edge_node, &device) else { return out };
                state.online = true;
                state.last_seen = at;
                state.dirty = false;
                let previous = identity.firmware.as_ref().map(|fw| state.firmware.replace(fw.clone()));
                self.touch_node(&group, &edge_node, at);
                let asset = AssetKey::device(group, edge_node, device);
                let firmware = identity.firmware.clone();
                out.push(Update::DeviceOnline { asset: asset.clone(), identity, metric_count, timestamp, at });
                if let (Some(firmware), Some(previous)) = (firmware, previous) {
                    out.push(Update::FirmwareSeen { asset, firmware, previous, at });
                }
            }
            Event::DeviceDeath { group, edge_node, device, seq, timestamp: _, received_at: _ } => {
                if self.node_mut(&group, &edge_node).is_none() {
                    return out;
                }
                self.sequence(&group, &edge_node, seq);
                self.touch_node(&group, &edge_node, at);
                let known = self
                    .groups
                    .get_mut(&group)
                    .and_then(|g| g.get_mut(&edge_node))
                    .and_then(|n| n.devices.get_mut(&device));
                match known {
                    Some(state) if !state.online => {}
                    Some(state) => {
                        state.online = false;
                        state.last_seen = at;
                        state.dirty = false;
                        out.push(Update::DeviceOffline { asset: AssetKey::device(group, edge_node, device), at });
                    }
                    None => out.push(Update::DeviceOffline { asset: AssetKey::device(group, edge_node, device), at }),
                }
            }
            Event::NodeData { group, edge_node, seq, .. } => {
                if self.node_mut(&group, &edge_node).is_some() {
                    self.sequence(&group, &edge_node, seq);
                    self.touch_node(&group, &edge_node, at);
                }
            }
            Event::DeviceData { group, edge_node, device, seq, .. } => {
                if self.node_mut(&group, &edge_node).is_some() {
                    self.sequence(&group, &edge_node, seq);
                    self.touch_node(&group, &edge_node, at);
                    if let Some(state) = self.device_mut(&group, &edge_node, &device) {
                        state.last_seen = at;
                        state.dirty = true;
                    }
                }
            }
            Event::State { host, online, timestamp, received_at: _ } => {
                out.push(Update::HostState { host, online, timestamp, at });
            }
            Event::Command { group, edge_node, device, metric_names, rebirth, timestamp: _, received_at: _ } => {
                let asset = AssetKey { group, edge_node, device };
                out.push(Update::CommandSeen { asset, metric_names, rebirth, at });
            }
        }
        out
    }

    /// Returns every asset whose last-seen time advanced through DATA (or a device death or
    /// birth refreshing its node) since the previous call, once each, sorted, and clears the
    /// marks: call it once per write interval. `now` (µs) is recorded as the batch time.
    pub fn take_dirty(&mut self, now: i64) -> LastSeenBatch {
        let mut entries = Vec::new();
        for (group, nodes) in &mut self.groups {
            for (edge_node, node) in nodes {
                if std::mem::take(&mut node.dirty) {
                    entries
                        .push(LastSeen { asset: AssetKey::node(group.clone(), edge_node.clone()), at: node.last_seen });
                }
                for (device, state) in &mut node.devices {
                    if std::mem::take(&mut state.dirty) {
                        entries.push(LastSeen {
                            asset: AssetKey::device(group.clone(), edge_node.clone(), device.clone()),
                            at: state.last_seen,
                        });
                    }
                }
            }
        }
        entries.sort_by(|a, b| a.asset.cmp(&b.asset));
        LastSeenBatch { flushed_at: now, entries }
    }

    /// A snapshot of the statistics at `now` (µs), which ends the messages-per-second window.
    pub fn stats(&self, now: i64) -> Stats {
        let nodes = self.groups.values().flat_map(HashMap::values);
        let (mut node_count, mut nodes_online, mut devices, mut devices_online) = (0, 0, 0, 0);
        for node in nodes {
            node_count += 1;
            nodes_online += usize::from(node.online);
            devices += node.devices.len();
            devices_online += node.devices.values().filter(|d| d.online).count();
        }
        Stats {
            connected: self.connected,
            connects: self.connects,
            messages: self.counts,
            decode_errors: self.decode_errors,
            bytes: self.bytes,
            messages_per_second: self.rate.per_second(now),
            last_message_at: self.last_message_at,
            last_error: self.last_error.clone(),
            last_error_at: self.last_error_at,
            stale_deaths: self.stale_deaths,
            seq_gaps: self.seq_gaps,
            seq_missed: self.seq_missed,
            assets_dropped: self.assets_dropped,
            nodes: node_count,
            nodes_online,
            devices,
            devices_online,
        }
    }

    /// What is known of edge node `edge_node` in `group`.
    pub fn node(&self, group: &str, edge_node: &str) -> Option<NodeView> {
        let node = self.groups.get(group)?.get(edge_node)?;
        Some(NodeView {
            online: node.online,
            bd_seq: node.bd_seq,
            birth_seen: node.birth_seen,
            last_seen: node.last_seen,
            seq_gaps: node.seq_gaps,
            seq_missed: node.seq_missed,
            firmware: node.firmware.clone(),
            devices: node.devices.len(),
        })
    }

    /// What is known of `device` behind `edge_node` in `group`.
    pub fn device(&self, group: &str, edge_node: &str, device: &str) -> Option<DeviceView> {
        let state = self.groups.get(group)?.get(edge_node)?.devices.get(device)?;
        Some(DeviceView { online: state.online, last_seen: state.last_seen, firmware: state.firmware.clone() })
    }

    fn count_message(&mut self, bytes: usize, now: i64) {
        self.bytes += bytes as u64;
        self.rate.add(now);
        self.last_message_at = Some(self.last_message_at.map_or(now, |t| t.max(now)));
    }

    /// The node's state, created if new and capacity allows; `None` (and counted) otherwise.
    fn node_mut(&mut self, group: &str, edge_node: &str) -> Option<&mut NodeState> {
        let known = self.groups.get(group).is_some_and(|g| g.contains_key(edge_node));
        if !known {
            if self.assets >= self.config.max_assets {
                self.assets_dropped += 1;
                return None;
            }
            self.assets += 1;
            self.groups.entry(group.to_owned()).or_default().insert(edge_node.to_owned(), NodeState::default());
        }
        self.groups.get_mut(group).and_then(|g| g.get_mut(edge_node))
    }

    /// The device's state under an existing node, created if new and capacity allows.
    fn device_mut(&mut self, group: &str, edge_node: &str, device: &str) -> Option<&mut DeviceState> {
        let at_capacity = self.assets >= self.config.max_assets;
        let node = self.groups.get_mut(group)?.get_mut(edge_node)?;
        if !node.devices.contains_key(device) {
            if at_capacity {
                self.assets_dropped += 1;
                return None;
            }
            self.assets += 1;
            node.devices.insert(device.to_owned(), DeviceState::default());
        }
        node.devices.get_mut(device)
    }

    fn sequence(&mut self, group: &str, edge_node: &str, seq: Option<u64>) {
        if let Some(node) = self.groups.get_mut(group).and_then(|g| g.get_mut(edge_node))
            && let Some(missed) = node.sequence(seq, false)
        {
            self.seq_gaps += 1;
            self.seq_missed += missed;
        }
    }

    fn touch_node(&mut self, group: &str, edge_node: &str, at: i64) {
        if let Some(node) = self.groups.get_mut(group).and_then(|g| g.get_mut(edge_node)) {
            node.last_seen = node.last_seen.max(at);
            node.dirty = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    fn identity(firmware: Option<&str>) -> Identity {
        Identity { vendor: Some("Acme".into()), firmware: firmware.map(Into::into), ..Identity::default() }
    }

    fn nbirth(bd_seq: u64, at: i64) -> Event {
        Event::NodeBirth {
            group: "G".into(),
            edge_node: "E".into(),
            bd_seq: Some(bd_seq),
            seq: Some(0),
            identity: identity(Some("1.0")),
            metric_count: 3,
            timestamp: None,
            received_at: at,
        }
    }

    fn ndeath(bd_seq: u64, at: i64) -> Event {
        Event::NodeDeath {
            group: "G".into(),
            edge_node: "E".into(),
            bd_seq: Some(bd_seq),
            timestamp: None,
            received_at: at,
        }
    }

    fn dbirth(device: &str, seq: u64, at: i64) -> Event {
        Event::DeviceBirth {
            group: "G".into(),
            edge_node: "E".into(),
            device: device.into(),
            seq: Some(seq),
            identity: identity(None),
            metric_count: 2,
            timestamp: None,
            received_at: at,
        }
    }

    fn ddata(device: &str, seq: u64, at: i64) -> Event {
        Event::DeviceData {
            group: "G".into(),
            edge_node: "E".into(),
            device: device.into(),
            seq: Some(seq),
            metric_count: 1,
            timestamp: None,
            received_at: at,
        }
    }

    fn ddeath(device: &str, seq: u64, at: i64) -> Event {
        Event::DeviceDeath {
            group: "G".into(),
            edge_node: "E".into(),
            device: device.into(),
            seq: Some(seq),
            timestamp: None,
            received_at: at,
        }
    }

    #[test]
    fn a_birth_is_emitted_at_once_as_an_upsert_with_its_firmware() {
        let mut t = Tracker::new();
        let updates = t.observe(nbirth(1, S), 100);
        assert!(
            matches!(&updates[0], Update::NodeOnline { asset, bd_seq: Some(1), at, .. } if *asset == AssetKey::node("G", "E") && *at == S)
        );
        assert_eq!(
            updates[1],
            Update::FirmwareSeen { asset: AssetKey::node("G", "E"), firmware: "1.0".into(), previous: None, at: S }
        );
        let updates = t.observe(nbirth(2, 2 * S), 100);
        assert!(matches!(&updates[1], Update::FirmwareSeen { previous: Some(p), .. } if p == "1.0"));
        assert_eq!(t.node("G", "E").map(|n| (n.online, n.bd_seq)), Some((true, Some(2))));
    }

    #[test]
    fn a_death_with_the_current_bd_seq_takes_the_node_and_its_devices_offline() {
        let mut t = Tracker::new();
        t.observe(nbirth(4, S), 0);
        t.observe(dbirth("D1", 1, S), 0);
        t.observe(dbirth("D2", 2, S), 0);
        t.observe(ddeath("D2", 3, 2 * S), 0);
        let updates = t.observe(ndeath(4, 3 * S), 0);
        assert_eq!(
            updates,
            vec![Update::NodeOffline {
                asset: AssetKey::node("G", "E"),
                bd_seq: Some(4),
                devices: vec!["D1".into()],
                birth_seen: true,
                at: 3 * S
            }]
        );
        assert_eq!(t.device("G", "E", "D1").map(|d| (d.online, d.last_seen)), Some((false, 3 * S)));
        assert!(t.observe(ndeath(4, 4 * S), 0).is_empty(), "a repeated death is silent");
        let stats = t.stats(4 * S);
        assert_eq!((stats.nodes_online, stats.devices_online, stats.devices), (0, 0, 2));
    }

    #[test]
    fn a_death_with_another_bd_seq_is_stale_and_ignored() {
        let mut t = Tracker::new();
        t.observe(nbirth(5, S), 0);
        let updates = t.observe(ndeath(4, 2 * S), 0);
        assert_eq!(
            updates,
            vec![Update::StaleDeath {
                asset: AssetKey::node("G", "E"),
                bd_seq: Some(4),
                current_bd_seq: Some(5),
                at: 2 * S
            }]
        );
        assert!(t.node("G", "E").is_some_and(|n| n.online));
        assert_eq!(t.stats(2 * S).stale_deaths, 1);
    }

    #[test]
    fn a_death_of_a_node_never_born_is_reported_unpaired() {
        let mut t = Tracker::new();
        let updates = t.observe(ndeath(9, S), 0);
        assert!(matches!(&updates[..], [Update::NodeOffline { birth_seen: false, bd_seq: Some(9), .. }]));
    }

    #[test]
    fn a_device_death_marks_the_device_offline_with_its_time() {
        let mut t = Tracker::new();
        t.observe(nbirth(1, S), 0);
        t.observe(dbirth("D", 1, S), 0);
        assert_eq!(
            t.observe(ddeath("D", 2, 5 * S), 0),
            vec![Update::DeviceOffline { asset: AssetKey::device("G", "E", "D"), at: 5 * S }]
        );
        assert_eq!(t.device("G", "E", "D").map(|d| d.online), Some(false));
        assert!(t.observe(ddeath("D", 3, 6 * S), 0).is_empty());
    }

    #[test]
    fn data_is_coalesced_into_one_last_seen_entry_per_asset_per_flush() {
        let mut t = Tracker::new();
        t.observe(nbirth(1, S), 0);
        t.observe(dbirth("D", 1, S), 0);
        let _ = t.take_dirty(S);
        for i in 0..1000 {
            assert!(t.observe(ddata("D", (2 + i) % 256, 2 * S + i as i64), 10).is_empty());
        }
        let batch = t.take_dirty(3 * S);
        assert_eq!(batch.flushed_at, 3 * S);
        assert_eq!(
            batch.entries,
            vec![
                LastSeen { asset: AssetKey::node("G", "E"), at: 2 * S + 999 },
                LastSeen { asset: AssetKey::device("G", "E", "D"), at: 2 * S + 999 },
            ]
        );
        assert!(t.take_dirty(4 * S).entries.is_empty(), "nothing new, nothing to write");
        assert_eq!(t.stats(3 * S).seq_gaps, 0, "a wrapping sequence has no gaps");
    }

    #[test]
    fn seq_gaps_are_counted_with_the_skipped_messages_across_the_wrap() {
        let mut t = Tracker::new();
        t.observe(nbirth(1, S), 0);
        t.observe(dbirth("D", 1, S), 0);
        t.observe(ddata("D", 4, S), 0); // 2 and 3 lost
        t.observe(ddata("D", 254, S), 0);
        t.observe(ddata("D", 1, S), 0); // 255 and 0 lost across the wrap
        let stats = t.stats(S);
        assert_eq!((stats.seq_gaps, stats.seq_missed), (3, 2 + 249 + 2));
        assert_eq!(t.node("G", "E").map(|n| n.seq_gaps), Some(3));
        t.observe(nbirth(2, 2 * S), 0);
        t.observe(ddata("D", 1, 2 * S), 0);
        assert_eq!(t.stats(2 * S).seq_gaps, 3, "a birth restarts the sequence");
    }

    #[test]
    fn stats_count_types_bytes_errors_and_the_ten_second_rate() {
        let mut t = Tracker::new();
        t.set_connected(true);
        t.observe(nbirth(1, S), 100);
        for i in 0..20 {
            t.observe(ddata("D", i + 1, S + i as i64 * 100_000), 50);
        }
        t.observe_error("spBv1.0/G/NBIRTH/E", &DecodeError::State("x"), 7, 3 * S);
        let stats = t.stats(3 * S);
        assert!(stats.connected);
        assert_eq!(stats.connects, 1);
        assert_eq!((stats.messages.nbirth, stats.messages.ddata, stats.messages.total()), (1, 20, 21));
        assert_eq!((stats.decode_errors, stats.bytes), (1, 100 + 20 * 50 + 7));
        assert_eq!(stats.messages_per_second, 2.2);
        assert_eq!(stats.last_message_at, Some(3 * S));
        assert!(stats.last_error.as_deref().is_some_and(|e| e.starts_with("spBv1.0/G/NBIRTH/E: ")));
        assert_eq!(t.stats(20 * S).messages_per_second, 0.0, "the window slides");
    }

    #[test]
    fn new_assets_beyond_the_bound_are_dropped_and_counted() {
        let mut t = Tracker::with_config(TrackerConfig { max_assets: 2 });
        t.observe(nbirth(1, S), 0);
        t.observe(dbirth("D1", 1, S), 0);
        assert!(t.observe(dbirth("D2", 2, S), 0).is_empty());
        let stats = t.stats(S);
        assert_eq!((stats.nodes, stats.devices, stats.assets_dropped), (1, 1, 1));
    }

    #[test]
    fn host_state_and_commands_pass_through() {
        let mut t = Tracker::new();
        let state = Event::State { host: "h".into(), online: true, timestamp: None, received_at: S };
        assert!(matches!(&t.observe(state, 0)[..], [Update::HostState { online: true, .. }]));
        let cmd = Event::Command {
            group: "G".into(),
            edge_node: "E".into(),
            device: None,
            metric_names: vec!["Node Control/Rebirth".into()],
            rebirth: true,
            timestamp: None,
            received_at: S,
        };
        assert!(matches!(&t.observe(cmd, 0)[..], [Update::CommandSeen { rebirth: true, .. }]));
        assert_eq!(t.stats(S).messages.ncmd, 1);
    }
}
