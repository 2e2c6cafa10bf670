//! Who acts, with which role, over which sites, through which channel.

use c981_domain::SiteId;
use c981_domain::audit::Channel;
use c981_domain::values::string_enum;
use c981_store::SiteScope;

string_enum! {
    /// A role. Each is granted on one site or on all sites.
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

    /// Privilege order, most privileged first.
    pub fn rank(self) -> u8 {
        match self {
            Self::Administrator => 0,
            Self::IsmsManager => 1,
            Self::Approver => 2,
            Self::SiteEngineer => 3,
            Self::Auditor => 4,
            Self::Viewer => 5,
        }
    }

    /// Whether the role may sign approvals (risk acceptance, SoA, changes).
    pub fn may_approve(self) -> bool {
        matches!(self, Self::Administrator | Self::IsmsManager | Self::Approver)
    }

    /// Whether the role may read the audit trail beyond single records' history.
    pub fn may_read_audit(self) -> bool {
        matches!(self, Self::Administrator | Self::IsmsManager | Self::Auditor)
    }
}

/// One role on one site, or on every site (`site` = `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub site: Option<SiteId>,
}

impl Grant {
    pub fn covers(&self, site: SiteId) -> bool {
        self.site.is_none_or(|s| s == site)
    }
}

/// An authenticated actor: a user (through a session or an API token), the local operator
/// of the command line, or a system job.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Immutable id: `user:<id>` for accounts, `local:<name>` for the CLI operator,
    /// `system:<job>` for the system's own jobs.
    pub id: String,
    /// The account, for users.
    pub user_id: Option<i64>,
    pub name: String,
    /// The roles held, each on one site or all: already narrowed to an API token's sites.
    pub grants: Vec<Grant>,
    /// An API token limited to reading.
    pub read_only: bool,
    /// The sites the actor may read: the union of its grants.
    pub scope: SiteScope,
    /// The API token the request came with, if any.
    pub token_id: Option<i64>,
}

impl Actor {
    /// An actor with these grants, narrowed to `only_sites` when given (an API token's sites).
    pub fn new(
        id: String,
        user_id: Option<i64>,
        name: String,
        grants: Vec<Grant>,
        read_only: bool,
        only_sites: Option<&[SiteId]>,
    ) -> Self {
        let grants: Vec<Grant> = match only_sites {
            None => grants,
            Some(sites) => grants
                .iter()
                .flat_map(|g| match g.site {
                    None => sites.iter().map(|s| Grant { role: g.role, site: Some(*s) }).collect::<Vec<_>>(),
                    Some(s) if sites.contains(&s) => vec![*g],
                    Some(_) => Vec::new(),
                })
                .collect(),
        };
        let scope = scope_of(grants.iter());
        Self { id, user_id, name, grants, read_only, scope, token_id: None }
    }

    /// The operator of the command line on this machine: whoever can read the database file
    /// or reach the database server already holds everything, so they act as administrator.
    pub fn local_operator(user: &str) -> Self {
        let grants = vec![Grant { role: Role::Administrator, site: None }];
        Self::new(format!("local:{user}"), None, user.to_owned(), grants, false, None)
    }

    /// A system job (the demo loader, a scheduled check).
    pub fn system(job: &str) -> Self {
        let grants = vec![Grant { role: Role::Administrator, site: None }];
        Self::new(format!("system:{job}"), None, format!("Connect 981 ({job})"), grants, false, None)
    }

    /// The most privileged role held, for labels and audit entries.
    pub fn role(&self) -> Role {
        self.grants.iter().map(|g| g.role).min_by_key(|r| r.rank()).unwrap_or(Role::Viewer)
    }

    pub fn may_see(&self, site: SiteId) -> bool {
        self.scope.allows(site)
    }

    /// Whether the actor may create, change and delete estate records of `site`.
    pub fn may_write_site(&self, site: SiteId) -> bool {
        !self.read_only && self.grants.iter().any(|g| g.role.may_write() && g.covers(site))
    }

    /// Whether the actor holds `role` (or administrator) on `site`.
    pub fn has_role_on(&self, role: Role, site: SiteId) -> bool {
        self.grants.iter().any(|g| (g.role == role || g.role == Role::Administrator) && g.covers(site))
    }

    /// Administrator over every site: manages accounts and installation-wide records.
    pub fn is_admin(&self) -> bool {
        !self.read_only && self.grants.iter().any(|g| g.role == Role::Administrator && g.site.is_none())
    }

    /// The sites whose audit trail the actor may read, if any.
    pub fn audit_scope(&self) -> Option<SiteScope> {
        let g: Vec<&Grant> = self.grants.iter().filter(|g| g.role.may_read_audit()).collect();
        if g.is_empty() { None } else { Some(scope_of(g.into_iter())) }
    }
}

fn scope_of<'a>(grants: impl Iterator<Item = &'a Grant>) -> SiteScope {
    let mut sites = Vec::new();
    for g in grants {
        match g.site {
            None => return SiteScope::All,
            Some(s) => sites.push(s),
        }
    }
    sites.sort_unstable_by_key(|s| s.get());
    sites.dedup();
    SiteScope::Only(sites)
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
