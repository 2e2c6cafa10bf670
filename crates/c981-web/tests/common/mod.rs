//! Accounts, sessions and tokens for the web tests: made through the same use cases as in
//! production (an administrator creates the account, the person sets the password through the
//! one-time link, logs in).
#![allow(dead_code)]

use std::sync::Arc;

use c981_app::identity::{AuthSettings, NewUser, Origin};
use c981_app::{Actor, App, Ctx, Grant, Role, SystemClock};
use c981_domain::SiteId;
use c981_domain::audit::Channel;

pub const PASSWORD: &str = "Pump-station 7 valve cadence!";

/// The application with test-friendly identity settings: no second factor demanded unless a
/// test asks for it.
pub fn app(store: c981_store::Store, dir: &std::path::Path) -> App {
    App::new(store, Arc::new(SystemClock::default()), dir.join("audit.key"))
        .with_auth(AuthSettings { mfa_roles: Vec::new(), ..Default::default() })
}

pub fn operator() -> Ctx {
    Ctx::new(Actor::local_operator("test-setup"), Channel::Cli, "setup")
}

pub fn origin(source: &str) -> Origin {
    Origin { source: source.into(), user_agent: "test".into(), request_id: "t".into(), channel: Some(Channel::Ui) }
}

/// An account holding `grants`, with its password set.
pub async fn account(app: &App, username: &str, name: &str, grants: Vec<Grant>) -> i64 {
    let new = NewUser { username: username.into(), display_name: name.into(), email: None, grants };
    let (id, link) = app.create_user(&operator(), &new).await.unwrap();
    app.set_password_with_link(&link, PASSWORD, &origin("setup")).await.unwrap();
    id
}

pub fn all(role: Role) -> Vec<Grant> {
    vec![Grant { role, site: None }]
}

pub fn on(role: Role, site: i64) -> Vec<Grant> {
    vec![Grant { role, site: Some(SiteId::new(site)) }]
}

/// A logged-in browser: the `Cookie` header value and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
    pub session: String,
}

pub async fn login(app: &App, username: &str) -> Browser {
    let out = app.login_password(username, PASSWORD, &origin("192.0.2.1")).await.unwrap();
    assert!(!out.needs_totp, "login of {username} needs a second factor");
    let auth = app.authenticate_session(&out.session).await.unwrap();
    Browser { cookie: format!("c981_session={}", out.session), csrf: auth.csrf, session: out.session }
}

/// An API token of the account.
pub async fn token(app: &App, username: &str, read_only: bool, sites: &[i64]) -> String {
    let actor = app.actor_of_user(username).await.unwrap();
    let ctx = Ctx::new(actor, Channel::Ui, "token");
    let sites: Vec<SiteId> = sites.iter().map(|s| SiteId::new(*s)).collect();
    app.create_token(&ctx, "test token", read_only, &sites, 30).await.unwrap().1
}
