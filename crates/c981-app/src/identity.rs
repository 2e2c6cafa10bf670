//! Identity and access: accounts, role grants per site, password login with throttling,
//! TOTP second factor and recovery codes, server-side sessions, API tokens, one-time links
//! (first administrator, password set and reset).
//!
//! Rules that hold everywhere here:
//! - administrators never see or set a password: they issue one-time links that expire;
//! - a user is disabled, never deleted, and ids are never reused;
//! - sessions and tokens are looked up on every request together with the user's current
//!   grants, so disabling a user or changing a role acts on the very next request;
//! - failed logins and second-factor attempts are throttled per account and per source,
//!   audited, and logged under the `c981::security` target for alerting.

use std::collections::BTreeMap;
use std::sync::Arc;

use c981_auth::password::{self, PasswordPolicy};
use c981_auth::secret;
use c981_auth::totp::{self, TotpSecret};
use c981_domain::audit::{Action, Changes, changes_json, diff};
use c981_domain::{EntityKind, SiteId, Timestamp};
use c981_store::identity::{AuditNote, GrantRow, NewSession, TokenRow, UserColumn, UserRow, UserValue};
use serde::Serialize;
use serde_json::{Value, json};

use crate::actor::{Actor, Ctx, Grant, Role};
use crate::{App, AppError, Result};

const MICROS: i64 = 1_000_000;

/// How identity behaves; from the configuration file.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// A session unused this long ends.
    pub idle_timeout_secs: i64,
    /// A session ends this long after login, used or not.
    pub absolute_timeout_secs: i64,
    /// Roles whose holders must use a second factor.
    pub mfa_roles: Vec<Role>,
    /// Refuse approvals and risk acceptances signed by the record's last author.
    pub four_eyes: bool,
    /// Failed attempts per account within the window before logins are refused.
    pub account_failures: i64,
    /// Failed attempts per source address within the window.
    pub source_failures: i64,
    pub throttle_window_secs: i64,
    /// How long a password set/reset link lives.
    pub link_ttl_secs: i64,
    /// The longest life of an API token.
    pub token_max_days: i64,
    pub password_policy: PasswordPolicy,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 30 * 60,
            absolute_timeout_secs: 12 * 3600,
            mfa_roles: vec![Role::Administrator],
            four_eyes: true,
            account_failures: 5,
            source_failures: 30,
            throttle_window_secs: 15 * 60,
            link_ttl_secs: 24 * 3600,
            token_max_days: 366,
            password_policy: PasswordPolicy::default(),
        }
    }
}

/// Where a login attempt comes from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The client address (the peer, or the proxy's forwarded address when trusted).
    pub source: String,
    pub user_agent: String,
    pub request_id: String,
    pub channel: Option<c981_domain::audit::Channel>,
}

/// A successful first step of a login.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// The cookie value of the new session.
    pub session: String,
    /// The second factor is still to be given.
    pub needs_totp: bool,
}

/// A session, resolved for one request.
#[derive(Debug, Clone)]
pub struct SessionAuth {
    pub actor: Actor,
    pub csrf: String,
    /// The second factor was given (or the user has none).
    pub mfa_done: bool,
    /// The user's role requires a second factor and none is enrolled yet: only enrolment and
    /// logout are open to them.
    pub must_enrol: bool,
    pub method: String,
    pub auth_time: Timestamp,
}

/// An account as administrators and the user see it (no secrets).
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub disabled: bool,
    pub has_password: bool,
    pub totp_enrolled: bool,
    pub recovery_codes_left: usize,
    pub sso: Option<String>,
    pub grants: Vec<GrantView>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GrantView {
    pub role: Role,
    /// `None`: every site.
    pub site_id: Option<i64>,
}

/// An API token as its owner sees it (never the token).
#[derive(Debug, Clone, Serialize)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub hint: String,
    pub read_only: bool,
    pub site_ids: Vec<i64>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub active: bool,
}

/// The start of TOTP enrolment.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    pub secret_base32: String,
    pub uri: String,
    pub qr_svg: String,
}

/// A new account.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub grants: Vec<Grant>,
}

fn grants_of(rows: &[GrantRow]) -> Vec<Grant> {
    rows.iter().filter_map(|g| Role::parse(&g.role).ok().map(|role| Grant { role, site: g.site_id })).collect()
}

fn grant_rows(grants: &[Grant]) -> Vec<GrantRow> {
    let mut rows: Vec<GrantRow> =
        grants.iter().map(|g| GrantRow { role: g.role.as_str().to_owned(), site_id: g.site }).collect();
    rows.sort_by(|a, b| (&a.role, a.site_id.map(|s| s.get())).cmp(&(&b.role, b.site_id.map(|s| s.get()))));
    rows.dedup();
    rows
}

fn grants_json(grants: &[Grant]) -> Value {
    Value::Array(
        grant_rows(grants).iter().map(|g| json!({ "role": g.role, "site_id": g.site_id.map(|s| s.get()) })).collect(),
    )
}

fn view(u: &UserRow, grants: &[Grant]) -> UserView {
    UserView {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        email: u.email.clone(),
        disabled: u.disabled,
        has_password: u.password_hash.is_some(),
        totp_enrolled: u.totp_secret.is_some(),
        recovery_codes_left: u.recovery_codes.len(),
        sso: u.oidc_issuer.clone(),
        grants: grant_rows(grants)
            .into_iter()
            .filter_map(|g| {
                Role::parse(&g.role).ok().map(|role| GrantView { role, site_id: g.site_id.map(|s| s.get()) })
            })
            .collect(),
        created_at: u.created_at,
        updated_at: u.updated_at,
    }
}

fn token_view(t: &TokenRow, now: Timestamp) -> TokenView {
    TokenView {
        id: t.id,
        name: t.name.clone(),
        hint: t.hint.clone(),
        read_only: t.read_only,
        site_ids: t.sites.iter().map(|s| s.get()).collect(),
        created_at: t.created_at,
        expires_at: t.expires_at,
        revoked_at: t.revoked_at,
        last_used_at: t.last_used_at,
        active: t.revoked_at.is_none() && t.expires_at > now,
    }
}

fn one(field: &str, old: Value, new: Value) -> String {
    let mut c: Changes = BTreeMap::new();
    c.insert(field.to_owned(), c981_domain::audit::Change { old, new });
    changes_json(&c)
}

/// The actor of a user.
pub fn user_actor(u: &UserRow, grants: &[Grant], read_only: bool, only_sites: Option<&[SiteId]>) -> Actor {
    Actor::new(format!("user:{}", u.id), Some(u.id), u.display_name.clone(), grants.to_vec(), read_only, only_sites)
}

fn valid_username(name: &str) -> Result<String> {
    let n = name.trim().to_lowercase();
    if n.len() < 2 || n.len() > 64 {
        return Err(AppError::field("username", "must be 2 to 64 characters long"));
    }
    if !n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@')) {
        return Err(AppError::field("username", "may hold only letters a-z, digits and . - _ @"));
    }
    Ok(n)
}

fn valid_display_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 120 || n.chars().any(char::is_control) {
        return Err(AppError::field(
            "display_name",
            "must be 1 to 120 printable characters (it is the printed name of signatures)",
        ));
    }
    Ok(n.to_owned())
}

impl App {
    pub fn auth(&self) -> &AuthSettings {
        &self.auth
    }

    /// Replaces the identity settings (from the configuration).
    pub fn with_auth(mut self, auth: AuthSettings) -> Self {
        self.auth = Arc::new(auth);
        self
    }

    fn system_meta(&self, origin: &Origin, actor_id: String, actor_name: String) -> c981_store::AuditMeta {
        c981_store::AuditMeta {
            at: self.now(),
            actor_id,
            actor_name,
            actor_role: "none".into(),
            channel: origin.channel.unwrap_or(c981_domain::audit::Channel::Ui),
            request_id: origin.request_id.clone(),
            reason: None,
        }
    }

    fn require_admin(&self, ctx: &Ctx) -> Result<()> {
        if ctx.actor.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "{} may not manage accounts: that needs the administrator role on all sites",
                ctx.actor.name
            )))
        }
    }

    fn new_link(&self, purpose: &str) -> Result<(String, String)> {
        let token = random(purpose_prefix(purpose))?;
        let hash = secret::token_hash(&token);
        Ok((token, hash))
    }

    // First administrator.

    /// Whether the installation has no account yet.
    pub async fn needs_bootstrap(&self) -> Result<bool> {
        Ok(self.store.user_count().await? == 0)
    }

    /// A one-time link token that lets whoever holds it create the first administrator;
    /// refused once an account exists.
    pub async fn bootstrap_token(&self) -> Result<String> {
        if !self.needs_bootstrap().await? {
            return Err(AppError::Conflict("an account already exists: ask an administrator".into()));
        }
        let (token, hash) = self.new_link("bootstrap")?;
        let now = self.now();
        self.store
            .create_link(&hash, "bootstrap", None, now, now.plus_micros(self.auth.link_ttl_secs * MICROS))
            .await?;
        Ok(token)
    }

    /// Creates an account (administrators only; the local operator for the first one) and
    /// returns its id and a one-time link token with which the user chooses a password.
    pub async fn create_user(&self, ctx: &Ctx, new: &NewUser) -> Result<(i64, String)> {
        self.require_admin(ctx)?;
        let username = valid_username(&new.username)?;
        let display = valid_display_name(&new.display_name)?;
        let email = new.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
        if let Some(e) = email
            && (!e.contains('@') || e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(AppError::field("email", "is not an e-mail address"));
        }
        self.check_grant_sites(ctx, &new.grants).await?;
        let grants = grant_rows(&new.grants);
        let meta = self.meta(ctx);
        let changes = one(
            "account",
            Value::Null,
            json!({ "username": username, "display_name": display, "email": email, "grants": grants_json(&new.grants) }),
        );
        let id = self.store.create_user(&username, &display, email, None, &grants, &meta, |_| changes).await?;
        let token = self.password_link_for(id).await?;
        Ok((id, token))
    }

    /// Creates the first administrator through the bootstrap link, with the password the
    /// person chose; the link is then spent.
    pub async fn complete_bootstrap(
        &self,
        token: &str,
        username: &str,
        display_name: &str,
        password: &str,
        origin: &Origin,
    ) -> Result<i64> {
        let hash = secret::token_hash(token);
        let link = self.store.link(&hash).await?;
        let now = self.now();
        match link {
            Some(l) if l.purpose == "bootstrap" && l.used_at.is_none() && l.expires_at > now => {}
            _ => return Err(AppError::Unauthenticated("this set-up link is invalid, used or expired".into())),
        }
        let username = valid_username(username)?;
        let display = valid_display_name(display_name)?;
        self.check_password(password, &[&username, &display])?;
        if !self.needs_bootstrap().await? || !self.store.use_link(&hash, now).await? {
            return Err(AppError::Conflict("an account already exists: ask an administrator".into()));
        }
        let phc = password::hash_password(password).map_err(|e| AppError::Internal(e.to_string()))?;
        let meta = self.system_meta(origin, "setup".into(), "First set-up".into());
        let grants = vec![Grant { role: Role::Administrator, site: None }];
        let changes = one(
            "account",
            Value::Null,
            json!({ "username": username, "display_name": display, "grants": grants_json(&grants) }),
        );
        let id =
            self.store.create_user(&username, &display, None, None, &grant_rows(&grants), &meta, |_| changes).await?;
        self.store
            .update_user(
                id,
                &[
                    (UserColumn::PasswordHash, UserValue::Text(Some(phc))),
                    (UserColumn::PasswordSetAt, UserValue::Int(Some(now.micros()))),
                ],
                false,
                &meta,
                None,
            )
            .await?;
        Ok(id)
    }

    fn check_password(&self, pw: &str, context: &[&str]) -> Result<()> {
        password::check_password(&self.auth.password_policy, pw, context)
            .map_err(|p| AppError::field("password", p.to_string()))
    }

    async fn check_grant_sites(&self, ctx: &Ctx, grants: &[Grant]) -> Result<()> {
        for g in grants {
            if let Some(s) = g.site {
                self.store
                    .get::<c981_domain::Site>(&ctx.actor.scope, s.get())
                    .await
                    .map_err(|_| AppError::field("grants", format!("site {s} does not exist")))?;
            }
        }
        Ok(())
    }

    async fn password_link_for(&self, user_id: i64) -> Result<String> {
        let now = self.now();
        self.store.expire_links(user_id, now).await?;
        let (token, hash) = self.new_link("password")?;
        self.store
            .create_link(&hash, "password", Some(user_id), now, now.plus_micros(self.auth.link_ttl_secs * MICROS))
            .await?;
        Ok(token)
    }

    /// Issues a one-time password link for a user (administrators only): the user chooses a
    /// new password with it; the old one keeps working until then.
    pub async fn password_reset_link(&self, ctx: &Ctx, user_id: i64) -> Result<String> {
        self.require_admin(ctx)?;
        let u = self.user_row(user_id).await?;
        let token = self.password_link_for(u.id).await?;
        let note = AuditNote {
            action: Action::Update,
            entity_type: EntityKind::User,
            entity_id: Some(u.id),
            site_id: None,
            changes: one("password_link", Value::Null, json!("issued")),
        };
        self.store.audit_note(&self.meta(ctx), note).await?;
        Ok(token)
    }

    /// What a one-time link is for: (purpose, username) while it is valid.
    pub async fn link_info(&self, token: &str) -> Result<(String, Option<String>)> {
        let link = self.store.link(&secret::token_hash(token)).await?;
        match link {
            Some(l) if l.used_at.is_none() && l.expires_at > self.now() => {
                let name = match l.user_id {
                    Some(id) => self.store.user_by_id(id).await?.map(|u| u.username),
                    None => None,
                };
                Ok((l.purpose, name))
            }
            _ => Err(AppError::Unauthenticated("this link is invalid, used or expired".into())),
        }
    }

    /// Sets the password of the link's user; every session of theirs ends.
    pub async fn set_password_with_link(&self, token: &str, new_password: &str, origin: &Origin) -> Result<i64> {
        let hash = secret::token_hash(token);
        let now = self.now();
        let link = self.store.link(&hash).await?;
        let user_id = match link {
            Some(l) if l.purpose == "password" && l.used_at.is_none() && l.expires_at > now => l.user_id,
            _ => None,
        }
        .ok_or_else(|| AppError::Unauthenticated("this link is invalid, used or expired".into()))?;
        let u = self.user_row(user_id).await?;
        if u.disabled {
            return Err(AppError::Unauthenticated("this link is invalid, used or expired".into()));
        }
        self.check_password(new_password, &[&u.username, &u.display_name])?;
        let phc = password::hash_password(new_password).map_err(|e| AppError::Internal(e.to_string()))?;
        if !self.store.use_link(&hash, now).await? {
            return Err(AppError::Unauthenticated("this link is invalid, used or expired".into()));
        }
        let meta = self.system_meta(origin, format!("user:{}", u.id), u.display_name.clone());
        let note = AuditNote {
            action: Action::Update,
            entity_type: EntityKind::User,
            entity_id: Some(u.id),
            site_id: None,
            changes: one("password", Value::Null, json!("set through a one-time link")),
        };
        self.store
            .update_user(
                u.id,
                &[
                    (UserColumn::PasswordHash, UserValue::Text(Some(phc))),
                    (UserColumn::PasswordSetAt, UserValue::Int(Some(now.micros()))),
                ],
                true,
                &meta,
                Some(note),
            )
            .await?;
        Ok(u.id)
    }

    /// Changes one's own password, given the current one; other sessions end.
    pub async fn change_password(&self, ctx: &Ctx, current: &str, new_password: &str) -> Result<()> {
        let u = self.self_row(ctx).await?;
        let ok = u.password_hash.as_deref().is_some_and(|h| password::verify_password(h, current));
        if !ok {
            return Err(AppError::field("current_password", "is not your current password"));
        }
        self.check_password(new_password, &[&u.username, &u.display_name])?;
        let phc = password::hash_password(new_password).map_err(|e| AppError::Internal(e.to_string()))?;
        let note = AuditNote {
            action: Action::Update,
            entity_type: EntityKind::User,
            entity_id: Some(u.id),
            site_id: None,
            changes: one("password", Value::Null, json!("changed by the user")),
        };
        let now = self.now();
        self.store
            .update_user(
                u.id,
                &[
                    (UserColumn::PasswordHash, UserValue::Text(Some(phc))),
                    (UserColumn::PasswordSetAt, UserValue::Int(Some(now.micros()))),
                ],
                true,
                &self.meta(ctx),
                Some(note),
            )
            .await?;
        Ok(())
    }

    async fn user_row(&self, id: i64) -> Result<UserRow> {
        self.store.user_by_id(id).await?.ok_or(AppError::NotFound { kind: EntityKind::User, id })
    }

    async fn self_row(&self, ctx: &Ctx) -> Result<UserRow> {
        let id = ctx.actor.user_id.ok_or_else(|| AppError::Forbidden("only accounts have a profile".into()))?;
        self.user_row(id).await
    }

    // Administration.

    pub async fn users(&self, ctx: &Ctx) -> Result<Vec<UserView>> {
        self.require_admin(ctx)?;
        let mut out = Vec::new();
        for u in self.store.users().await? {
            let g = grants_of(&self.store.grants(u.id).await?);
            out.push(view(&u, &g));
        }
        Ok(out)
    }

    /// One account: administrators see all, a user sees themselves.
    pub async fn user(&self, ctx: &Ctx, id: i64) -> Result<UserView> {
        if ctx.actor.user_id != Some(id) {
            self.require_admin(ctx)?;
        }
        let u = self.user_row(id).await?;
        Ok(view(&u, &grants_of(&self.store.grants(id).await?)))
    }

    /// Replaces a user's role grants; acts on the user's next request.
    pub async fn set_grants(&self, ctx: &Ctx, user_id: i64, grants: &[Grant]) -> Result<()> {
        self.require_admin(ctx)?;
        if ctx.actor.user_id == Some(user_id)
            && !grants.iter().any(|g| g.role == Role::Administrator && g.site.is_none())
        {
            return Err(AppError::Conflict(
                "you cannot remove your own administrator role; ask another administrator".into(),
            ));
        }
        self.check_grant_sites(ctx, grants).await?;
        let old = grants_of(&self.store.grants(user_id).await?);
        let u = self.user_row(user_id).await?;
        let note = AuditNote {
            action: Action::Update,
            entity_type: EntityKind::User,
            entity_id: Some(u.id),
            site_id: None,
            changes: changes_json(&diff(
                Some(&json!({ "grants": grants_json(&old) })),
                Some(&json!({ "grants": grants_json(grants) })),
            )),
        };
        self.store.set_grants(user_id, &grant_rows(grants), &self.meta(ctx), note).await?;
        Ok(())
    }

    /// Disables or re-enables an account; disabling ends its sessions and tokens at once.
    pub async fn set_disabled(&self, ctx: &Ctx, user_id: i64, disabled: bool) -> Result<()> {
        self.require_admin(ctx)?;
        if ctx.actor.user_id == Some(user_id) && disabled {
            return Err(AppError::Conflict("you cannot disable your own account".into()));
        }
        let u = self.user_row(user_id).await?;
        if u.disabled == disabled {
            return Ok(());
        }
        let note = AuditNote {
            action: Action::Update,
            entity_type: EntityKind::User,
            entity_id: Some(u.id),
            site_id: None,
            changes: one("disabled", json!(u.disabled), json!(disabled)),
        };
        self.store
            .update_user(
                u.id,
                &[(UserColumn::Disabled, UserValue::Int(Some(i64::from(disabled))))],
                disabled,
                &self.meta(ctx),
                Some(note),
            )
            .await?;
        Ok(())
    }

    /// Removes a user's second factor (a lost device), so they enrol again at next login.
    pub async fn reset_mfa(&self, ctx: &Ctx, user_id: i64) -> Result<()> {
        self.require_admin(ctx)?;
        let u = self.user_row(user_id).await?;
        let note = AuditNote {
            action: Action::Update,
            entity_type: EntityKind::User,
            entity_id: Some(u.id),
            site_id: None,
            changes: one("totp", json!(u.totp_secret.is_some()), json!(false)),
        };
        self.store
            .update_user(
                u.id,
                &[
                    (UserColumn::TotpSecret, UserValue::Text(None)),
                    (UserColumn::TotpPending, UserValue::Text(None)),
                    (UserColumn::RecoveryCodes, UserValue::Text(Some(String::new()))),
                ],
                true,
                &self.meta(ctx),
                Some(note),
            )
            .await?;
        Ok(())
    }

    // Login.

    pub(crate) async fn throttled(&self, keys: &[(&str, i64)]) -> Result<()> {
        let now = self.now();
        let window_start = now.plus_micros(-self.auth.throttle_window_secs * MICROS);
        for (key, max) in keys {
            if self.store.throttle_failures(key, window_start).await? >= *max {
                return Err(AppError::Throttled(self.auth.throttle_window_secs as u64));
            }
        }
        Ok(())
    }

    pub(crate) async fn count_failure(&self, keys: &[&str]) -> Result<()> {
        let now = self.now();
        let window_start = now.plus_micros(-self.auth.throttle_window_secs * MICROS);
        for key in keys {
            self.store.throttle_fail(key, now, window_start).await?;
        }
        Ok(())
    }

    async fn audit_failure(
        &self,
        origin: &Origin,
        action: Action,
        user: Option<&UserRow>,
        claimed: &str,
        why: &str,
    ) -> Result<()> {
        tracing::warn!(
            target: "c981::security",
            event = action.as_str(),
            username = claimed,
            source = %origin.source,
            reason = why,
            "authentication failure"
        );
        let meta = self.system_meta(
            origin,
            user.map_or_else(|| "anonymous".to_owned(), |u| format!("user:{}", u.id)),
            user.map_or_else(|| claimed.chars().take(64).collect(), |u| u.display_name.clone()),
        );
        let note = AuditNote {
            action,
            entity_type: EntityKind::User,
            entity_id: user.map(|u| u.id),
            site_id: None,
            changes: one(
                "attempt",
                Value::Null,
                json!({ "username": claimed.chars().take(64).collect::<String>(), "source": origin.source, "reason": why }),
            ),
        };
        self.store.audit_note(&meta, note).await?;
        Ok(())
    }

    /// The first step of a password login. A wrong name and a wrong password look the
    /// same to the caller and take the same time.
    pub async fn login_password(&self, username: &str, pw: &str, origin: &Origin) -> Result<LoginOutcome> {
        let name = username.trim().to_lowercase();
        let account_key = format!("account:{name}");
        let source_key = format!("source:{}", origin.source);
        if let Err(e) = self
            .throttled(&[(&account_key, self.auth.account_failures), (&source_key, self.auth.source_failures)])
            .await
        {
            self.audit_failure(origin, Action::LoginFailed, None, &name, "throttled").await?;
            return Err(e);
        }
        let user = if name.is_empty() || name.len() > 64 { None } else { self.store.user_by_name(&name).await? };
        let ok = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
            Some(h) => password::verify_password(h, pw),
            None => {
                password::dummy_verify(pw);
                false
            }
        };
        let user = match user {
            Some(u) if ok && !u.disabled => u,
            other => {
                self.count_failure(&[&account_key, &source_key]).await?;
                let why = match &other {
                    Some(u) if ok && u.disabled => "account disabled",
                    Some(_) => "wrong password",
                    None => "unknown account",
                };
                self.audit_failure(origin, Action::LoginFailed, other.as_ref(), &name, why).await?;
                return Err(AppError::Unauthenticated("wrong user name or password".into()));
            }
        };
        self.store.throttle_clear(&account_key).await?;
        if user.password_hash.as_deref().is_some_and(password::needs_rehash)
            && let Ok(phc) = password::hash_password(pw)
        {
            let meta = self.system_meta(origin, format!("user:{}", user.id), user.display_name.clone());
            self.store
                .update_user(user.id, &[(UserColumn::PasswordHash, UserValue::Text(Some(phc)))], false, &meta, None)
                .await?;
        }
        let needs_totp = user.totp_secret.is_some();
        let session = self.open_session(&user, !needs_totp, "password", origin).await?;
        if !needs_totp {
            self.audit_login(&user, origin, "password").await?;
        }
        Ok(LoginOutcome { session, needs_totp })
    }

    async fn audit_login(&self, user: &UserRow, origin: &Origin, method: &str) -> Result<()> {
        tracing::info!(target: "c981::security", event = "login", user = %user.username, source = %origin.source, method, "login");
        let meta = self.system_meta(origin, format!("user:{}", user.id), user.display_name.clone());
        let note = AuditNote {
            action: Action::Login,
            entity_type: EntityKind::User,
            entity_id: Some(user.id),
            site_id: None,
            changes: one("session", Value::Null, json!({ "method": method, "source": origin.source })),
        };
        self.store.audit_note(&meta, note).await?;
        Ok(())
    }

    async fn open_session(&self, user: &UserRow, mfa_done: bool, method: &str, origin: &Origin) -> Result<String> {
        let token = random("c981s_")?;
        let csrf = random("")?;
        let now = self.now();
        self.store
            .create_session(&NewSession {
                id_hash: &secret::token_hash(&token),
                user_id: user.id,
                csrf: &csrf,
                auth_epoch: user.auth_epoch,
                mfa_done,
                method,
                auth_time: now,
                now,
                source: &origin.source,
                user_agent: &origin.user_agent.chars().take(200).collect::<String>(),
            })
            .await?;
        Ok(token)
    }

    /// The second step: a TOTP code or a recovery code. The half-open session is replaced
    /// by a new one (a new id).
    pub async fn login_totp(&self, session: &str, code: &str, origin: &Origin) -> Result<String> {
        let hash = secret::token_hash(session);
        let Some((s, user, _)) = self.store.session_principal(&hash).await? else {
            return Err(AppError::Unauthenticated("your login has expired; start again".into()));
        };
        let now = self.now();
        if s.mfa_done
            || user.disabled
            || s.auth_epoch != user.auth_epoch
            || now.micros() - s.created_at.micros() > 10 * 60 * MICROS
        {
            self.store.delete_session(&hash).await?;
            return Err(AppError::Unauthenticated("your login has expired; start again".into()));
        }
        let key = format!("mfa:{}", user.id);
        self.throttled(&[(&key, self.auth.account_failures)]).await?;
        let method = match self.check_second_factor(&user, code, origin).await? {
            Some(m) => m,
            None => {
                self.count_failure(&[&key, &format!("source:{}", origin.source)]).await?;
                self.audit_failure(origin, Action::LoginFailed, Some(&user), &user.username, "wrong second factor")
                    .await?;
                return Err(AppError::field("code", "this code is not valid"));
            }
        };
        self.store.throttle_clear(&key).await?;
        self.store.delete_session(&hash).await?;
        let token = self.open_session(&user, true, method, origin).await?;
        self.audit_login(&user, origin, method).await?;
        Ok(token)
    }

    /// Checks a TOTP code (recording its step against replay) or consumes a recovery code.
    pub(crate) async fn check_second_factor(
        &self,
        user: &UserRow,
        code: &str,
        origin: &Origin,
    ) -> Result<Option<&'static str>> {
        let Some(secret_b32) = user.totp_secret.as_deref() else { return Ok(None) };
        let secret = TotpSecret::from_base32(secret_b32).map_err(|e| AppError::Internal(e.to_string()))?;
        let meta = self.system_meta(origin, format!("user:{}", user.id), user.display_name.clone());
        let now_s = self.now().micros().div_euclid(MICROS);
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
            if let Some(step) = totp::verify(&secret, &digits, now_s, user.totp_last_step) {
                self.store
                    .update_user(user.id, &[(UserColumn::TotpLastStep, UserValue::Int(Some(step)))], false, &meta, None)
                    .await?;
                return Ok(Some("password+totp"));
            }
            return Ok(None);
        }
        let h = secret::recovery_code_hash(code);
        if let Some(pos) = user.recovery_codes.iter().position(|c| secret::constant_time_eq(c.as_bytes(), h.as_bytes()))
        {
            let mut left = user.recovery_codes.clone();
            left.remove(pos);
            let note = AuditNote {
                action: Action::Update,
                entity_type: EntityKind::User,
                entity_id: Some(user.id),
                site_id: None,
                changes: one("recovery_codes_left", json!(user.recovery_codes.len()), json!(left.len())),
            };
            self.store
                .update_user(
                    user.id,
                    &[(UserColumn::RecoveryCodes, UserValue::Text(Some(left.join(","))))],
                    false,
                    &meta,
                    Some(note),
                )
                .await?;
            return Ok(Some("password+recovery_code"));
        }
        Ok(None)
    }

    /// Resolves a session cookie for a request, or refuses it.
    pub async fn authenticate_session(&self, session: &str) -> Result<SessionAuth> {
        let hash = secret::token_hash(session);
        let expired = || AppError::Unauthenticated("your session has ended; log in again".into());
        let Some((s, user, grants)) = self.store.session_principal(&hash).await? else {
            return Err(expired());
        };
        let now = self.now();
        let idle = now.micros() - s.last_seen.micros() > self.auth.idle_timeout_secs * MICROS;
        let old = now.micros() - s.created_at.micros() > self.auth.absolute_timeout_secs * MICROS;
        if user.disabled || s.auth_epoch != user.auth_epoch || idle || old {
            self.store.delete_session(&hash).await?;
            return Err(expired());
        }
        if now.micros() - s.last_seen.micros() > 60 * MICROS {
            self.store.touch_session(&hash, now).await?;
        }
        let grants = grants_of(&grants);
        let must_enrol = user.totp_secret.is_none() && grants.iter().any(|g| self.auth.mfa_roles.contains(&g.role));
        let mut actor = user_actor(&user, &grants, false, None);
        if !s.mfa_done || must_enrol {
            // Half logged in: no authority until the second factor is given or enrolled.
            actor = Actor::new(actor.id, actor.user_id, actor.name, Vec::new(), true, None);
        }
        Ok(SessionAuth {
            actor,
            csrf: s.csrf,
            mfa_done: s.mfa_done,
            must_enrol,
            method: s.method,
            auth_time: s.auth_time,
        })
    }

    /// Resolves an API token (`Authorization: Bearer`), or refuses it.
    pub async fn authenticate_token(&self, token: &str) -> Result<Actor> {
        let bad = || AppError::Unauthenticated("the API token is invalid, expired or revoked".into());
        if token.len() > 200 {
            return Err(bad());
        }
        let Some((t, user, grants)) = self.store.token_principal(&secret::token_hash(token)).await? else {
            return Err(bad());
        };
        let now = self.now();
        if user.disabled || t.revoked_at.is_some() || t.expires_at <= now {
            return Err(bad());
        }
        self.store.touch_token(t.id, now).await?;
        let only = if t.sites.is_empty() { None } else { Some(t.sites.as_slice()) };
        let mut actor = user_actor(&user, &grants_of(&grants), t.read_only, only);
        actor.id = format!("user:{}", user.id);
        actor.token_id = Some(t.id);
        Ok(actor)
    }

    /// Ends one session.
    pub async fn logout(&self, session: &str, origin: &Origin) -> Result<()> {
        let hash = secret::token_hash(session);
        if let Some((_, user, _)) = self.store.session_principal(&hash).await? {
            self.store.delete_session(&hash).await?;
            let meta = self.system_meta(origin, format!("user:{}", user.id), user.display_name.clone());
            let note = AuditNote {
                action: Action::Logout,
                entity_type: EntityKind::User,
                entity_id: Some(user.id),
                site_id: None,
                changes: one("session", json!("open"), json!("ended")),
            };
            self.store.audit_note(&meta, note).await?;
        }
        Ok(())
    }

    /// Ends every session of the actor (API tokens stay: they are revoked one by one).
    pub async fn logout_everywhere(&self, ctx: &Ctx) -> Result<()> {
        let u = self.self_row(ctx).await?;
        let note = AuditNote {
            action: Action::Logout,
            entity_type: EntityKind::User,
            entity_id: Some(u.id),
            site_id: None,
            changes: one("sessions", json!("open"), json!("all ended")),
        };
        self.store.update_user(u.id, &[], true, &self.meta(ctx), Some(note)).await?;
        Ok(())
    }

    // Second factor enrolment.

    /// Starts TOTP enrolment: a new secret, shown once as text and as a QR code.
    pub async fn totp_begin(&self, ctx: &Ctx) -> Result<TotpEnrolment> {
        let u = self.self_row(ctx).await?;
        let secret = TotpSecret::generate().map_err(|e| AppError::Internal(e.to_string()))?;
        let b32 = secret.to_base32();
        let uri = totp::otpauth_uri(&secret, "Connect 981", &u.username);
        let qr_svg = c981_auth::qr::qr_svg(&uri).map_err(|e| AppError::Internal(e.to_string()))?;
        self.store
            .update_user(
                u.id,
                &[(UserColumn::TotpPending, UserValue::Text(Some(b32.clone())))],
                false,
                &self.meta(ctx),
                None,
            )
            .await?;
        Ok(TotpEnrolment { secret_base32: b32, uri, qr_svg })
    }

    /// Confirms enrolment with a first code; returns the recovery codes, shown once.
    pub async fn totp_confirm(&self, ctx: &Ctx, code: &str) -> Result<Vec<String>> {
        let u = self.self_row(ctx).await?;
        let Some(pending) = u.totp_pending.as_deref() else {
            return Err(AppError::Conflict("start the enrolment first".into()));
        };
        let secret = TotpSecret::from_base32(pending).map_err(|e| AppError::Internal(e.to_string()))?;
        let now_s = self.now().micros().div_euclid(MICROS);
        let Some(step) = totp::verify(&secret, code, now_s, None) else {
            return Err(AppError::field(
                "code",
                "this code does not match: check the device's clock and try the next code",
            ));
        };
        let codes = secret::recovery_codes(10).map_err(|e| AppError::Internal(e.to_string()))?;
        let hashes: Vec<String> = codes.iter().map(|c| secret::recovery_code_hash(c)).collect();
        let note = AuditNote {
            action: Action::Update,
            entity_type: EntityKind::User,
            entity_id: Some(u.id),
            site_id: None,
            changes: one("totp", json!(u.totp_secret.is_some()), json!(true)),
        };
        self.store
            .update_user(
                u.id,
                &[
                    (UserColumn::TotpSecret, UserValue::Text(Some(pending.to_owned()))),
                    (UserColumn::TotpPending, UserValue::Text(None)),
                    (UserColumn::TotpLastStep, UserValue::Int(Some(step))),
                    (UserColumn::RecoveryCodes, UserValue::Text(Some(hashes.join(",")))),
                ],
                false,
                &self.meta(ctx),
                Some(note),
            )
            .await?;
        Ok(codes)
    }

    // API tokens.

    /// Creates an API token for the actor; returns its id and the token, shown once.
    pub async fn create_token(
        &self,
        ctx: &Ctx,
        name: &str,
        read_only: bool,
        sites: &[SiteId],
        days: i64,
    ) -> Result<(i64, String)> {
        let u = self.self_row(ctx).await?;
        if ctx.actor.token_id.is_some() {
            return Err(AppError::Forbidden("an API token cannot create tokens; use the web UI".into()));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::field("name", "must be 1 to 100 characters"));
        }
        if days < 1 || days > self.auth.token_max_days {
            return Err(AppError::field(
                "expires_in_days",
                format!("must be between 1 and {}", self.auth.token_max_days),
            ));
        }
        for s in sites {
            if !ctx.actor.may_see(*s) {
                return Err(AppError::field("sites", format!("site {s} is not one of your sites")));
            }
        }
        let token = random("c981_pat_")?;
        let hint: String = token.chars().take(13).collect();
        let expires = self.now().plus_micros(days * 86_400 * MICROS);
        let changes = one(
            "token",
            Value::Null,
            json!({ "name": name, "read_only": read_only, "site_ids": sites.iter().map(|s| s.get()).collect::<Vec<_>>(), "expires_at": expires.to_string() }),
        );
        let id = self
            .store
            .create_token(
                u.id,
                name,
                &secret::token_hash(&token),
                &hint,
                read_only,
                sites,
                expires,
                &self.meta(ctx),
                |_| changes,
            )
            .await?;
        Ok((id, token))
    }

    pub async fn tokens(&self, ctx: &Ctx) -> Result<Vec<TokenView>> {
        let u = self.self_row(ctx).await?;
        let now = self.now();
        Ok(self.store.tokens_of(u.id).await?.iter().map(|t| token_view(t, now)).collect())
    }

    pub async fn revoke_token(&self, ctx: &Ctx, id: i64) -> Result<()> {
        let u = self.self_row(ctx).await?;
        let changes = one("revoked", json!(false), json!(true));
        if self.store.revoke_token(u.id, id, &self.meta(ctx), changes).await? {
            Ok(())
        } else {
            Err(AppError::NotFound { kind: EntityKind::ApiToken, id })
        }
    }

    /// Periodic clean-up of ended sessions and stale pending logins.
    pub async fn purge_expired(&self) -> Result<u64> {
        let now = self.now();
        let n = self
            .store
            .purge_sessions(
                now.plus_micros(-self.auth.idle_timeout_secs * MICROS),
                now.plus_micros(-self.auth.absolute_timeout_secs * MICROS),
            )
            .await?;
        self.store.purge_oidc_pending(now.plus_micros(-15 * 60 * MICROS)).await?;
        Ok(n)
    }
}

fn random(prefix: &str) -> Result<String> {
    secret::random_token(prefix).map_err(|e| AppError::Internal(e.to_string()))
}

fn purpose_prefix(purpose: &str) -> &'static str {
    match purpose {
        "bootstrap" => "c981_setup_",
        _ => "c981_link_",
    }
}

/// How single sign-on users get their roles.
#[derive(Debug, Clone, Default)]
pub struct SsoSettings {
    /// Create an account at the first login of an unknown user (with the mapped roles).
    pub auto_provision: bool,
    /// Group-to-role mappings; when any is configured, a user's roles are set from their
    /// groups at every login (audited when they change).
    pub mappings: Vec<GroupMapping>,
}

/// One claim-to-role mapping: members of `group` get `role` on `sites` (codes; `None`: all).
#[derive(Debug, Clone)]
pub struct GroupMapping {
    pub group: String,
    pub role: Role,
    pub sites: Option<Vec<String>>,
}

/// A verified identity from the OpenID provider.
#[derive(Debug, Clone)]
pub struct SsoIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub preferred_username: Option<String>,
    pub groups: Vec<String>,
    pub auth_time: Option<i64>,
}

impl App {
    async fn mapped_grants(&self, sso: &SsoSettings, groups: &[String]) -> Result<Vec<Grant>> {
        let mut out = Vec::new();
        for m in sso.mappings.iter().filter(|m| groups.iter().any(|g| g == &m.group)) {
            match &m.sites {
                None => out.push(Grant { role: m.role, site: None }),
                Some(codes) => {
                    for code in codes {
                        match self.store.site_by_code(&c981_store::SiteScope::All, code).await? {
                            Some(site) => out.push(Grant { role: m.role, site: Some(site.id) }),
                            None => {
                                tracing::warn!(site = %code, group = %m.group, "SSO group mapping names an unknown site")
                            }
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Logs in a user verified by the OpenID provider: finds the linked account (or creates
    /// it when allowed), refreshes its roles from the group mappings, and opens a session.
    pub async fn login_sso(&self, sso: &SsoSettings, id: &SsoIdentity, origin: &Origin) -> Result<String> {
        let existing = self.store.user_by_oidc(&id.issuer, &id.subject).await?;
        let mapped = if sso.mappings.is_empty() { None } else { Some(self.mapped_grants(sso, &id.groups).await?) };
        let user = match existing {
            Some(u) => u,
            None if sso.auto_provision => {
                let base = id
                    .preferred_username
                    .clone()
                    .or_else(|| id.email.clone())
                    .unwrap_or_else(|| format!("sso-{}", id.subject));
                let base: String = base
                    .to_lowercase()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@') { c } else { '-' })
                    .take(56)
                    .collect();
                let mut name = base.clone();
                let mut n = 1;
                while self.store.user_by_name(&name).await?.is_some() {
                    n += 1;
                    name = format!("{base}-{n}");
                }
                let display = id.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| name.clone());
                let display = valid_display_name(&display)?;
                let grants = mapped.clone().unwrap_or_default();
                let meta = self.system_meta(origin, "sso".into(), "Single sign-on".into());
                let changes = one(
                    "account",
                    Value::Null,
                    json!({ "username": name, "display_name": display, "sso_issuer": id.issuer, "grants": grants_json(&grants) }),
                );
                let uid = self
                    .store
                    .create_user(
                        &name,
                        &display,
                        id.email.as_deref(),
                        Some((&id.issuer, &id.subject)),
                        &grant_rows(&grants),
                        &meta,
                        |_| changes,
                    )
                    .await?;
                self.user_row(uid).await?
            }
            None => {
                self.audit_failure(
                    origin,
                    Action::LoginFailed,
                    None,
                    &id.subject,
                    "no account is linked to this SSO identity",
                )
                .await?;
                return Err(AppError::Unauthenticated(
                    "no Connect 981 account is linked to this identity: ask an administrator".into(),
                ));
            }
        };
        if user.disabled {
            self.audit_failure(origin, Action::LoginFailed, Some(&user), &user.username, "account disabled").await?;
            return Err(AppError::Unauthenticated("this account is disabled".into()));
        }
        if let Some(grants) = mapped {
            let old = grants_of(&self.store.grants(user.id).await?);
            if grant_rows(&old) != grant_rows(&grants) {
                let meta = self.system_meta(origin, "sso".into(), "Single sign-on".into());
                let note = AuditNote {
                    action: Action::Update,
                    entity_type: EntityKind::User,
                    entity_id: Some(user.id),
                    site_id: None,
                    changes: changes_json(&diff(
                        Some(&json!({ "grants": grants_json(&old) })),
                        Some(&json!({ "grants": grants_json(&grants) })),
                    )),
                };
                self.store.set_grants(user.id, &grant_rows(&grants), &meta, note).await?;
            }
        }
        let token = self.open_session(&user, true, "oidc", origin).await?;
        self.audit_login(&user, origin, "oidc").await?;
        Ok(token)
    }

    /// The actor of an account by user name, for the command line acting locally as a named
    /// operator (`c981 --as alice`): refused for unknown and disabled accounts.
    pub async fn actor_of_user(&self, username: &str) -> Result<Actor> {
        let u = self
            .store
            .user_by_name(username)
            .await?
            .ok_or_else(|| AppError::field("as", format!("there is no account {username:?}")))?;
        if u.disabled {
            return Err(AppError::Forbidden(format!("the account {username:?} is disabled")));
        }
        let grants = grants_of(&self.store.grants(u.id).await?);
        Ok(user_actor(&u, &grants, false, None))
    }
}
