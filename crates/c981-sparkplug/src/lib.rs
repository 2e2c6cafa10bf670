//! Passive asset discovery from Sparkplug B births and deaths on an MQTT broker.
//!
//! Layers, each usable alone:
//! - [`proto`]: the Sparkplug B protobuf messages (hand-written `prost` structs).
//! - [`guard`]: bounds on untrusted payloads (size, nesting depth, element count).
//! - [`value`]: data type codes and the small decoded metric [`value::Value`].
//! - [`topic`]: Sparkplug topic parsing.
//! - [`identity`]: the metric-name → asset-field [`identity::Mapping`] and
//!   [`identity::Identity`].
//! - [`event`]: the pure interpreter [`event::interpret`]: topic + payload → [`event::Event`].
//! - [`tracker`]: pure liveness state: births, deaths paired by `bdSeq`, coalesced last-seen,
//!   `seq` gaps and [`tracker::Stats`].
//! - [`client`]: the tokio/rumqttc listener that feeds the tracker from a broker and emits
//!   [`client::Output`]s. It publishes nothing unless explicitly allowed.
#![forbid(unsafe_code)]

pub mod client;
pub mod event;
pub mod guard;
pub mod identity;
pub mod proto;
pub mod topic;
pub mod tracker;
pub mod value;

pub use client::{Client, ClientConfig, ClientHandle, Output, Protocol};
pub use event::{DecodeError, Event, interpret, interpret_with};
pub use guard::Limits;
pub use identity::{Field, Identity, Mapping};
pub use tracker::{AssetKey, Stats, Tracker, Update};
