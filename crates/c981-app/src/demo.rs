//! The demo estate (being written).

use crate::{App, Ctx, Result};

/// What a demo load created.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DemoSummary {
    pub sites: usize,
    pub zones: usize,
    pub conduits: usize,
    pub assets: usize,
    pub flows: usize,
    pub interfaces: usize,
}

/// Loads the realistic demo estate into an empty database.
pub async fn load_demo(_app: &App, _ctx: &Ctx) -> Result<DemoSummary> {
    Ok(DemoSummary::default())
}
