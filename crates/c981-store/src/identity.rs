//! Accounts, role grants, sessions, API tokens, one-time links, login throttling, pending
//! OpenID Connect logins and electronic signatures. The store keeps rows; the application
//! decides (`c981-app::identity`). Changes that matter to an auditor are written together
//! with their audit entry, in one transaction.

use c981_domain::audit::{Action, AuditEntry};
use c981_domain::{EntityKind, SiteId, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{AuditMeta, Result, Store, StoreError};

/// A stored account.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// The argon2id PHC string; never leaves the application layer.
    pub password_hash: Option<String>,
    pub password_set_at: Option<Timestamp>,
    pub totp_secret: Option<String>,
    pub totp_pending: Option<String>,
    pub totp_last_step: Option<i64>,
    /// SHA-256 (hex) of each unused recovery code.
    pub recovery_codes: Vec<String>,
    pub oidc_issuer: Option<String>,
    pub oidc_subject: Option<String>,
    pub disabled: bool,
    pub auth_epoch: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const USER_COLUMNS: &str = "id, username, display_name, email, password_hash, password_set_at, totp_secret, totp_pending, \
     totp_last_step, recovery_codes, oidc_issuer, oidc_subject, disabled, auth_epoch, created_at, updated_at";

fn user_row(r: &AnyRow) -> Result<UserRow> {
    let codes: String = r.try_get(9)?;
    Ok(UserRow {
        id: r.try_get(0)?,
        username: r.try_get(1)?,
        display_name: r.try_get(2)?,
        email: r.try_get(3)?,
        password_hash: r.try_get(4)?,
        password_set_at: r.try_get::<Option<i64>, _>(5)?.map(Timestamp::from_micros),
        totp_secret: r.try_get(6)?,
        totp_pending: r.try_get(7)?,
        totp_last_step: r.try_get(8)?,
        recovery_codes: codes.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect(),
        oidc_issuer: r.try_get(10)?,
        oidc_subject: r.try_get(11)?,
        disabled: r.try_get::<i64, _>(12)? != 0,
        auth_epoch: r.try_get(13)?,
        created_at: Timestamp::from_micros(r.try_get(14)?),
        updated_at: Timestamp::from_micros(r.try_get(15)?),
    })
}

/// One role on one site, or on every site (`site_id` = `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    pub role: String,
    pub site_id: Option<SiteId>,
}

/// A stored session, joined with what each request needs of its user.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user_id: i64,
    pub csrf: String,
    pub auth_epoch: i64,
    pub mfa_done: bool,
    pub method: String,
    pub auth_time: Timestamp,
    pub created_at: Timestamp,
    pub last_seen: Timestamp,
}

/// A new session.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub user_id: i64,
    pub csrf: &'a str,
    pub auth_epoch: i64,
    pub mfa_done: bool,
    pub method: &'a str,
    pub auth_time: Timestamp,
    pub now: Timestamp,
    pub source: &'a str,
    pub user_agent: &'a str,
}

/// A stored API token (never the token itself).
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub hint: String,
    pub read_only: bool,
    /// Empty: every site of the user.
    pub sites: Vec<SiteId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

const TOKEN_COLUMNS: &str =
    "id, user_id, name, hint, read_only, sites, created_at, expires_at, revoked_at, last_used_at";

fn token_row(r: &AnyRow) -> Result<TokenRow> {
    let sites: String = r.try_get(5)?;
    let sites = sites
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>().map(SiteId::new))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| StoreError::Corrupt(format!("api token sites {sites:?}: {e}")))?;
    Ok(TokenRow {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        name: r.try_get(2)?,
        hint: r.try_get(3)?,
        read_only: r.try_get::<i64, _>(4)? != 0,
        sites,
        created_at: Timestamp::from_micros(r.try_get(6)?),
        expires_at: Timestamp::from_micros(r.try_get(7)?),
        revoked_at: r.try_get::<Option<i64>, _>(8)?.map(Timestamp::from_micros),
        last_used_at: r.try_get::<Option<i64>, _>(9)?.map(Timestamp::from_micros),
    })
}

/// A stored one-time link.
#[derive(Debug, Clone)]
pub struct LinkRow {
    pub purpose: String,
    pub user_id: Option<i64>,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

/// A stored electronic signature.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignatureRow {
    pub id: i64,
    pub entity_type: String,
    pub entity_id: i64,
    pub site_id: Option<i64>,
    pub record_version: i64,
    pub record_sha256: String,
    pub user_id: i64,
    pub printed_name: String,
    pub meaning: String,
    pub reason: Option<String>,
    pub method: String,
    pub signed_at: Timestamp,
    pub audit_seq: i64,
}

const SIGNATURE_COLUMNS: &str = "id, entity_type, entity_id, site_id, record_version, record_sha256, user_id, printed_name, \
     meaning, reason, method, signed_at, audit_seq";

fn signature_row(r: &AnyRow) -> Result<SignatureRow> {
    Ok(SignatureRow {
        id: r.try_get(0)?,
        entity_type: r.try_get(1)?,
        entity_id: r.try_get(2)?,
        site_id: r.try_get(3)?,
        record_version: r.try_get(4)?,
        record_sha256: r.try_get(5)?,
        user_id: r.try_get(6)?,
        printed_name: r.try_get(7)?,
        meaning: r.try_get(8)?,
        reason: r.try_get(9)?,
        method: r.try_get(10)?,
        signed_at: Timestamp::from_micros(r.try_get(11)?),
        audit_seq: r.try_get(12)?,
    })
}

/// A new signature.
#[derive(Debug, Clone)]
pub struct NewSignature<'a> {
    pub entity_type: EntityKind,
    pub entity_id: i64,
    pub site_id: Option<i64>,
    pub record_version: i64,
    pub record_sha256: &'a str,
    pub user_id: i64,
    pub printed_name: &'a str,
    pub meaning: &'a str,
    pub reason: Option<&'a str>,
    pub method: &'a str,
}

/// An audit entry to write with an identity change.
#[derive(Debug, Clone)]
pub struct AuditNote {
    pub action: Action,
    pub entity_type: EntityKind,
    pub entity_id: Option<i64>,
    pub site_id: Option<i64>,
    /// Canonical changes JSON (`c981_domain::audit::changes_json`).
    pub changes: String,
}

fn flag(b: bool) -> i64 {
    i64::from(b)
}

fn grant_site(site: Option<SiteId>) -> i64 {
    site.map_or(0, |s| s.get())
}

impl Store {
    /// The number of accounts (zero on a new installation).
    pub async fn user_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, i64>("SELECT count(*) FROM users").fetch_one(&self.read).await?)
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// From the write pool: for reads that must see a write made a moment ago.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1")))
            .bind(username.to_lowercase())
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    pub async fn user_by_oidc(&self, issuer: &str, subject: &str) -> Result<Option<UserRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2"
        )))
        .bind(issuer)
        .bind(subject)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(user_row).transpose()
    }

    pub async fn users(&self) -> Result<Vec<UserRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users ORDER BY username")))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(user_row).collect()
    }

    /// Creates an account with its grants; returns its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_user(
        &self,
        username: &str,
        display_name: &str,
        email: Option<&str>,
        oidc: Option<(&str, &str)>,
        grants: &[GrantRow],
        meta: &AuditMeta,
        changes: impl FnOnce(i64) -> String,
    ) -> Result<i64> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let now = meta.at.micros();
        let res = sqlx::query(
            "INSERT INTO users (username, display_name, email, oidc_issuer, oidc_subject, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(username.to_lowercase())
        .bind(display_name)
        .bind(email)
        .bind(oidc.map(|o| o.0))
        .bind(oidc.map(|o| o.1))
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match res {
            Ok(r) => r.try_get(0)?,
            Err(e) if is_unique_violation(&e) => {
                let _ = tx.rollback().await;
                return Err(StoreError::field("username", format!("{username:?} is already taken")));
            }
            Err(e) => return Err(e.into()),
        };
        for g in grants {
            sqlx::query("INSERT INTO role_grants (user_id, role, site_id) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(&g.role)
                .bind(grant_site(g.site_id))
                .execute(&mut *tx)
                .await?;
        }
        crate::audit::append(
            &mut tx,
            seq,
            prev,
            meta.draft(Action::Create, EntityKind::User, Some(id), None, changes(id)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn grants(&self, user_id: i64) -> Result<Vec<GrantRow>> {
        let rows = sqlx::query("SELECT role, site_id FROM role_grants WHERE user_id = $1 ORDER BY role, site_id")
            .bind(user_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                let site: i64 = r.try_get(1)?;
                Ok(GrantRow { role: r.try_get(0)?, site_id: (site != 0).then(|| SiteId::new(site)) })
            })
            .collect()
    }

    /// Replaces a user's grants and ends their sessions and tokens' current authority
    /// (the epoch moves), with the audit entry, in one transaction.
    pub async fn set_grants(&self, user_id: i64, grants: &[GrantRow], meta: &AuditMeta, note: AuditNote) -> Result<()> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        sqlx::query("DELETE FROM role_grants WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        for g in grants {
            sqlx::query("INSERT INTO role_grants (user_id, role, site_id) VALUES ($1, $2, $3)")
                .bind(user_id)
                .bind(&g.role)
                .bind(grant_site(g.site_id))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE users SET updated_at = $1 WHERE id = $2")
            .bind(meta.at.micros())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        crate::audit::append(
            &mut tx,
            seq,
            prev,
            meta.draft(note.action, note.entity_type, note.entity_id, note.site_id, note.changes),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets columns of a user, moves its epoch when `end_sessions` (every session and token
    /// loses its authority on its next use), and writes the audit entry when `note` is given,
    /// in one transaction.
    pub async fn update_user(
        &self,
        user_id: i64,
        sets: &[(UserColumn, UserValue)],
        end_sessions: bool,
        meta: &AuditMeta,
        note: Option<AuditNote>,
    ) -> Result<()> {
        let (mut tx, head) = match note {
            Some(_) => {
                let (t, seq, prev) = self.begin_write().await?;
                (t, Some((seq, prev)))
            }
            None => (self.write.begin().await?, None),
        };
        let mut sql = String::from("UPDATE users SET updated_at = $1");
        for (i, (c, _)) in sets.iter().enumerate() {
            sql.push_str(&format!(", {} = ${}", c.name(), i + 2));
        }
        if end_sessions {
            sql.push_str(", auth_epoch = auth_epoch + 1");
        }
        sql.push_str(&format!(" WHERE id = ${}", sets.len() + 2));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(meta.at.micros());
        for (_, v) in sets {
            q = match v {
                UserValue::Text(t) => q.bind(t.clone()),
                UserValue::Int(i) => q.bind(*i),
            };
        }
        let done = q.bind(user_id).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            let _ = tx.rollback().await;
            return Err(StoreError::NotFound { kind: EntityKind::User, id: user_id });
        }
        if end_sessions {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        }
        if let (Some(note), Some((seq, prev))) = (note, head) {
            let d = meta.draft(note.action, note.entity_type, note.entity_id, note.site_id, note.changes);
            crate::audit::append(&mut tx, seq, prev, d).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes an audit entry of its own (a login, a failed login, a logout).
    pub async fn audit_note(&self, meta: &AuditMeta, note: AuditNote) -> Result<AuditEntry> {
        self.append_audit(meta, note.action, note.entity_type, note.entity_id, note.site_id, note.changes).await
    }

    // Sessions.

    pub async fn create_session(&self, s: &NewSession<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf, auth_epoch, mfa_done, method, auth_time, created_at, last_seen, source, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)",
        )
        .bind(s.id_hash)
        .bind(s.user_id)
        .bind(s.csrf)
        .bind(s.auth_epoch)
        .bind(flag(s.mfa_done))
        .bind(s.method)
        .bind(s.auth_time.micros())
        .bind(s.now.micros())
        .bind(s.source)
        .bind(s.user_agent)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT user_id, csrf, auth_epoch, mfa_done, method, auth_time, created_at, last_seen FROM sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                user_id: r.try_get(0)?,
                csrf: r.try_get(1)?,
                auth_epoch: r.try_get(2)?,
                mfa_done: r.try_get::<i64, _>(3)? != 0,
                method: r.try_get(4)?,
                auth_time: Timestamp::from_micros(r.try_get(5)?),
                created_at: Timestamp::from_micros(r.try_get(6)?),
                last_seen: Timestamp::from_micros(r.try_get(7)?),
            })
        })
        .transpose()
    }

    /// A session with its user and the user's grants, in one query (every request asks).
    pub async fn session_principal(&self, id_hash: &str) -> Result<Option<(SessionRow, UserRow, Vec<GrantRow>)>> {
        let ucols: Vec<String> = USER_COLUMNS.split(", ").map(|c| format!("u.{}", c.trim())).collect();
        let sql = format!(
            "SELECT {}, s.user_id, s.csrf, s.auth_epoch, s.mfa_done, s.method, s.auth_time, s.created_at, s.last_seen, {} \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
            ucols.join(", "),
            self.grants_agg("u.id"),
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id_hash).fetch_optional(&self.read).await?;
        let Some(r) = row else { return Ok(None) };
        let user = user_row(&r)?;
        let session = SessionRow {
            user_id: r.try_get(16)?,
            csrf: r.try_get(17)?,
            auth_epoch: r.try_get(18)?,
            mfa_done: r.try_get::<i64, _>(19)? != 0,
            method: r.try_get(20)?,
            auth_time: Timestamp::from_micros(r.try_get(21)?),
            created_at: Timestamp::from_micros(r.try_get(22)?),
            last_seen: Timestamp::from_micros(r.try_get(23)?),
        };
        let grants = parse_grants(r.try_get::<Option<String>, _>(24)?.as_deref())?;
        Ok(Some((session, user, grants)))
    }

    /// A token with its user and the user's grants, in one query.
    pub async fn token_principal(&self, token_hash: &str) -> Result<Option<(TokenRow, UserRow, Vec<GrantRow>)>> {
        let ucols: Vec<String> = USER_COLUMNS.split(", ").map(|c| format!("u.{}", c.trim())).collect();
        let tcols: Vec<String> = TOKEN_COLUMNS.split(", ").map(|c| format!("t.{}", c.trim())).collect();
        let sql = format!(
            "SELECT {}, {}, {} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
            ucols.join(", "),
            tcols.join(", "),
            self.grants_agg("u.id"),
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(&self.read).await?;
        let Some(r) = row else { return Ok(None) };
        let user = user_row(&r)?;
        let sites: String = r.try_get(21)?;
        let sites = sites
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<i64>().map(SiteId::new))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Corrupt(format!("api token sites {sites:?}: {e}")))?;
        let token = TokenRow {
            id: r.try_get(16)?,
            user_id: r.try_get(17)?,
            name: r.try_get(18)?,
            hint: r.try_get(19)?,
            read_only: r.try_get::<i64, _>(20)? != 0,
            sites,
            created_at: Timestamp::from_micros(r.try_get(22)?),
            expires_at: Timestamp::from_micros(r.try_get(23)?),
            revoked_at: r.try_get::<Option<i64>, _>(24)?.map(Timestamp::from_micros),
            last_used_at: r.try_get::<Option<i64>, _>(25)?.map(Timestamp::from_micros),
        };
        let grants = parse_grants(r.try_get::<Option<String>, _>(26)?.as_deref())?;
        Ok(Some((token, user, grants)))
    }

    fn grants_agg(&self, user: &str) -> String {
        match self.backend {
            crate::Backend::Sqlite => {
                format!("(SELECT group_concat(role || ':' || site_id, ',') FROM role_grants WHERE user_id = {user})")
            }
            crate::Backend::Postgres => format!(
                "(SELECT string_agg(role || ':' || site_id::text, ',') FROM role_grants WHERE user_id = {user})"
            ),
        }
    }

    pub async fn touch_session(&self, id_hash: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen = $1 WHERE id_hash = $2")
            .bind(now.micros())
            .bind(id_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&self.write).await?;
        Ok(())
    }

    /// Removes sessions idle since `idle_before` or created before `created_before`.
    pub async fn purge_sessions(&self, idle_before: Timestamp, created_before: Timestamp) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2")
            .bind(idle_before.micros())
            .bind(created_before.micros())
            .execute(&self.write)
            .await?;
        Ok(r.rows_affected())
    }

    pub async fn session_count(&self, user_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&self.read)
            .await?)
    }

    // API tokens.

    #[allow(clippy::too_many_arguments)]
    pub async fn create_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        hint: &str,
        read_only: bool,
        sites: &[SiteId],
        expires_at: Timestamp,
        meta: &AuditMeta,
        changes: impl FnOnce(i64) -> String,
    ) -> Result<i64> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let sites: Vec<String> = sites.iter().map(|s| s.get().to_string()).collect();
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, token_hash, hint, read_only, sites, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(hint)
        .bind(flag(read_only))
        .bind(sites.join(","))
        .bind(meta.at.micros())
        .bind(expires_at.micros())
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get(0)?;
        crate::audit::append(
            &mut tx,
            seq,
            prev,
            meta.draft(Action::Create, EntityKind::ApiToken, Some(id), None, changes(id)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenRow>> {
        let row =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1")))
                .bind(token_hash)
                .fetch_optional(&self.read)
                .await?;
        row.as_ref().map(token_row).transpose()
    }

    pub async fn tokens_of(&self, user_id: i64) -> Result<Vec<TokenRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC"
        )))
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(token_row).collect()
    }

    /// Marks a token used, at most once a minute per token.
    pub async fn touch_token(&self, id: i64, now: Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now.micros())
        .bind(id)
        .bind(now.micros() - 60_000_000)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Revokes a token of `user_id` (false when there is no such live token).
    pub async fn revoke_token(&self, user_id: i64, id: i64, meta: &AuditMeta, changes: String) -> Result<bool> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let r =
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                .bind(meta.at.micros())
                .bind(id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        if r.rows_affected() == 0 {
            let _ = tx.rollback().await;
            return Ok(false);
        }
        crate::audit::append(
            &mut tx,
            seq,
            prev,
            meta.draft(Action::Delete, EntityKind::ApiToken, Some(id), None, changes),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    // One-time links.

    pub async fn create_link(
        &self,
        token_hash: &str,
        purpose: &str,
        user_id: Option<i64>,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        sqlx::query("INSERT INTO one_time_links (token_hash, purpose, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(purpose)
            .bind(user_id)
            .bind(now.micros())
            .bind(expires_at.micros())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn link(&self, token_hash: &str) -> Result<Option<LinkRow>> {
        let row = sqlx::query("SELECT purpose, user_id, expires_at, used_at FROM one_time_links WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.write)
            .await?;
        row.map(|r| {
            Ok(LinkRow {
                purpose: r.try_get(0)?,
                user_id: r.try_get(1)?,
                expires_at: Timestamp::from_micros(r.try_get(2)?),
                used_at: r.try_get::<Option<i64>, _>(3)?.map(Timestamp::from_micros),
            })
        })
        .transpose()
    }

    /// Marks a link used; false when it already was (a concurrent use).
    pub async fn use_link(&self, token_hash: &str, now: Timestamp) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE one_time_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now.micros())
        .bind(token_hash)
        .execute(&self.write)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Ends the unused links of a user (a new reset link replaces older ones).
    pub async fn expire_links(&self, user_id: i64, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE one_time_links SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
            .bind(now.micros())
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    // Throttling.

    /// The failures counted under `key` since `window_start_after`.
    pub async fn throttle_failures(&self, key: &str, window_start_after: Timestamp) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, i64>("SELECT failures FROM auth_throttle WHERE key = $1 AND window_start > $2")
            .bind(key)
            .bind(window_start_after.micros())
            .fetch_optional(&self.read)
            .await?
            .unwrap_or(0))
    }

    /// Counts one failure under `key`; a window older than `window_start_after` starts over.
    pub async fn throttle_fail(&self, key: &str, now: Timestamp, window_start_after: Timestamp) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO auth_throttle (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN auth_throttle.window_start > $3 THEN auth_throttle.failures + 1 ELSE 1 END, \
               window_start = CASE WHEN auth_throttle.window_start > $3 THEN auth_throttle.window_start ELSE $2 END \
             RETURNING failures",
        )
        .bind(key)
        .bind(now.micros())
        .bind(window_start_after.micros())
        .fetch_one(&self.write)
        .await?;
        Ok(row.try_get(0)?)
    }

    pub async fn throttle_clear(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM auth_throttle WHERE key = $1").bind(key).execute(&self.write).await?;
        Ok(())
    }

    // Pending OpenID Connect logins.

    pub async fn put_oidc_pending(
        &self,
        state_hash: &str,
        browser: &str,
        purpose: &str,
        data: &str,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO oidc_pending (state_hash, browser, purpose, data, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(state_hash)
        .bind(browser)
        .bind(purpose)
        .bind(data)
        .bind(now.micros())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Takes (reads and deletes) a pending login: each can complete once.
    pub async fn take_oidc_pending(&self, state_hash: &str) -> Result<Option<(String, String, String, Timestamp)>> {
        let row =
            sqlx::query("DELETE FROM oidc_pending WHERE state_hash = $1 RETURNING browser, purpose, data, created_at")
                .bind(state_hash)
                .fetch_optional(&self.write)
                .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, Timestamp::from_micros(r.try_get(3)?))))
            .transpose()
    }

    pub async fn purge_oidc_pending(&self, before: Timestamp) -> Result<()> {
        sqlx::query("DELETE FROM oidc_pending WHERE created_at < $1")
            .bind(before.micros())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    // Electronic signatures.

    /// Stores a signature and its audit entry in one transaction.
    pub async fn create_signature(
        &self,
        s: &NewSignature<'_>,
        meta: &AuditMeta,
        changes: String,
    ) -> Result<SignatureRow> {
        let (mut tx, seq, prev) = self.begin_write().await?;
        let sig = insert_signature(&mut tx, seq, prev, s, meta, changes).await?;
        tx.commit().await?;
        Ok(sig)
    }

    pub async fn signatures_of(&self, entity_type: EntityKind, entity_id: i64) -> Result<Vec<SignatureRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SIGNATURE_COLUMNS} FROM signatures WHERE entity_type = $1 AND entity_id = $2 ORDER BY id"
        )))
        .bind(entity_type.as_str())
        .bind(entity_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(signature_row).collect()
    }

    pub async fn signature(&self, id: i64) -> Result<Option<SignatureRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {SIGNATURE_COLUMNS} FROM signatures WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(signature_row).transpose()
    }
}

/// Inserts a signature and its audit entry (number `seq` after `prev`) inside a write
/// transaction.
pub(crate) async fn insert_signature(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    seq: i64,
    prev: [u8; 32],
    s: &NewSignature<'_>,
    meta: &AuditMeta,
    changes: String,
) -> Result<SignatureRow> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO signatures (entity_type, entity_id, site_id, record_version, record_sha256, user_id, printed_name, meaning, reason, method, signed_at, audit_seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {SIGNATURE_COLUMNS}"
    )))
    .bind(s.entity_type.as_str())
    .bind(s.entity_id)
    .bind(s.site_id)
    .bind(s.record_version)
    .bind(s.record_sha256)
    .bind(s.user_id)
    .bind(s.printed_name)
    .bind(s.meaning)
    .bind(s.reason)
    .bind(s.method)
    .bind(meta.at.micros())
    .bind(seq)
    .fetch_one(&mut **tx)
    .await?;
    let sig = signature_row(&row)?;
    let d = meta.draft(Action::Sign, s.entity_type, Some(s.entity_id), s.site_id, changes);
    crate::audit::append(tx, seq, prev, d).await?;
    Ok(sig)
}

/// The columns of `users` the application may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserColumn {
    DisplayName,
    Email,
    PasswordHash,
    PasswordSetAt,
    TotpSecret,
    TotpPending,
    TotpLastStep,
    RecoveryCodes,
    Disabled,
}

impl UserColumn {
    fn name(self) -> &'static str {
        match self {
            Self::DisplayName => "display_name",
            Self::Email => "email",
            Self::PasswordHash => "password_hash",
            Self::PasswordSetAt => "password_set_at",
            Self::TotpSecret => "totp_secret",
            Self::TotpPending => "totp_pending",
            Self::TotpLastStep => "totp_last_step",
            Self::RecoveryCodes => "recovery_codes",
            Self::Disabled => "disabled",
        }
    }
}

/// A value for a [`UserColumn`]; `Text(None)` sets NULL.
#[derive(Debug, Clone)]
pub enum UserValue {
    Text(Option<String>),
    Int(Option<i64>),
}

fn parse_grants(s: Option<&str>) -> Result<Vec<GrantRow>> {
    let Some(s) = s else { return Ok(Vec::new()) };
    s.split(',')
        .filter(|g| !g.is_empty())
        .map(|g| {
            let (role, site) = g.rsplit_once(':').ok_or_else(|| StoreError::Corrupt(format!("role grant {g:?}")))?;
            let site: i64 = site.parse().map_err(|e| StoreError::Corrupt(format!("role grant {g:?}: {e}")))?;
            Ok(GrantRow { role: role.to_owned(), site_id: (site != 0).then(|| SiteId::new(site)) })
        })
        .collect()
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            matches!(d.kind(), sqlx::error::ErrorKind::UniqueViolation)
                || d.message().contains("UNIQUE constraint failed")
                || d.code().as_deref() == Some("23505")
        }
        _ => false,
    }
}
