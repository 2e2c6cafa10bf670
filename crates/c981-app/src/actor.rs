//! Who acts, with which role, over which sites, through which channel.

use c981_domain::SiteId;
use c981_domain::audit::Channel;
use c981_domain::values::string_enum;
use c981_store::SiteScope;

string_enum! {
    /// A role. Assignments per site arrive with the identity issue; the role decides what an
    /// actor may do on the sites in its scope.
    Role {
        Administrator = "administrator" / "Administrator",
        IsmsManager = "isms_manager" / "ISMS manager",
        SiteEngineer = "site_engineer" / "Site engineer",
        Approver = "approver" / "Approver",
        Auditor = "auditor" / "Auditor",
        Viewer = "viewer" / "Viewer",
    }
}

impl Role {
    /// Whether the role may create, change and delete estate records.
    pub fn may_write(self) -> bool {
        matches!(self, Self::Administrator | Self::IsmsManager | Self::SiteEngineer)
    }

    /// Whether the role may read the audit trail beyond single records' history.
    pub fn may_read_audit(self) -> bool {
        matches!(self, Self::Administrator | Self::IsmsManager | Self::Auditor)
    }
}

/// An authenticated actor.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Immutable id: `local:<os user>` for the CLI operator, `loopback` for `serve` before
    /// accounts exist, `system:<job>` for the system's own jobs.
    pub id: String,
    pub name: String,
    pub role: Role,
    pub scope: SiteScope,
}

impl Actor {
    /// The operator of the command line on this machine: whoever can read the database file
    /// or reach the database server already holds everything, so they act as administrator.
    pub fn local_operator(user: &str) -> Self {
        Self { id: format!("local:{user}"), name: user.to_owned(), role: Role::Administrator, scope: SiteScope::All }
    }

    /// A system job (the demo loader, a scheduled check).
    pub fn system(job: &str) -> Self {
        Self {
            id: format!("system:{job}"),
            name: format!("Connect 981 ({job})"),
            role: Role::Administrator,
            scope: SiteScope::All,
        }
    }

    pub fn may_see(&self, site: SiteId) -> bool {
        self.scope.allows(site)
    }
}

/// The context of one request or command: the actor, the channel, a request id that ties
/// the audit entries of one request together, and the reason the user gave, if any.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub channel: Channel,
    pub request_id: String,
    pub reason: Option<String>,
}

impl Ctx {
    pub fn new(actor: Actor, channel: Channel, request_id: impl Into<String>) -> Self {
        Self { actor, channel, request_id: request_id.into(), reason: None }
    }

    pub fn with_reason(mut self, reason: Option<String>) -> Self {
        self.reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
        self
    }
}

/// A new random request id (128 bits, hex).
pub fn new_request_id() -> String {
    let mut b = [0u8; 16];
    // Without randomness, an id unique within the process is still useful.
    if getrandom::fill(&mut b).is_err() {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        b[..8].copy_from_slice(&N.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_be_bytes());
    }
    hex::encode(b)
}
