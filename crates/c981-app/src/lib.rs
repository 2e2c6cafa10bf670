//! The use cases of Connect 981. Every channel (web UI, API, CLI, import, MQTT) calls these,
//! never the store directly, so that each change is authorized for its site and audited the
//! same way whatever its origin.
//!
//! Authorization policy (until accounts and roles arrive with the identity issue, the actors
//! are the local operator of the CLI and the loopback user of `serve`):
//! - reads are limited to the actor's sites; a record of another site is "not found";
//! - writes need a role that may write (administrator, ISMS manager, site engineer) and the
//!   record's site within the actor's sites; a refused write is itself audited.

pub mod actor;
pub mod analysis;
pub mod audit;
pub mod clock;
pub mod demo;
pub mod demo_isms;
pub mod discovery;
mod error;
pub mod identity;
pub mod import;
pub mod observed;
pub mod review;
pub mod risk;
pub mod risk_export;
pub mod risk_library;
pub mod signature;
pub mod soa;
pub mod soa_export;
mod usecases;

use std::path::PathBuf;
use std::sync::Arc;

pub use actor::{Actor, Ctx, Grant, Role};
pub use clock::{Clock, FixedClock, ManualClock, SystemClock};
pub use error::{AppError, Result};
pub use usecases::{ListParams, input_from_json, merge_patch};

use c981_store::Store;

/// The application: the store, the clock and where the audit signing key lives.
#[derive(Clone)]
pub struct App {
    store: Store,
    clock: Arc<dyn Clock>,
    key_path: PathBuf,
    auth: Arc<identity::AuthSettings>,
    analysis: Arc<analysis::AnalysisCache>,
    risk_models: Arc<risk::ModelCache>,
    discovery: Arc<discovery::DiscoveryState>,
}

impl App {
    pub fn new(store: Store, clock: Arc<dyn Clock>, key_path: PathBuf) -> Self {
        Self {
            store,
            clock,
            key_path,
            auth: Arc::new(identity::AuthSettings::default()),
            analysis: Arc::new(analysis::AnalysisCache::default()),
            risk_models: Arc::new(risk::ModelCache::default()),
            discovery: Arc::new(discovery::DiscoveryState::default()),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn discovery_state(&self) -> &discovery::DiscoveryState {
        &self.discovery
    }

    pub(crate) fn analysis_cache(&self) -> &analysis::AnalysisCache {
        &self.analysis
    }

    pub fn now(&self) -> c981_domain::Timestamp {
        self.clock.now()
    }
}
