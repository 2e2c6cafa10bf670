//! Electronic signatures (21 CFR Part 11, EU GMP Annex 11): one use case that every
//! approval calls. A signature records the signer's printed name, the UTC time and its
//! meaning; it needs re-authentication (password and second factor, or a fresh login at the
//! OpenID provider); it is bound to the SHA-256 of the signed version of the record, so a
//! later change shows as "record changed since signing" and a signature copied onto another
//! record shows as invalid; where four-eyes is configured, nobody approves their own work.

use c981_auth::password;
use c981_domain::audit::{Action, Changes, changes_json};
use c981_domain::entity::Entity;
use c981_domain::values::string_enum;
use c981_domain::{EntityKind, Risk, RiskState, SiteId, Timestamp};
use c981_store::identity::{AuditNote, NewSignature, SignatureRow};
use c981_store::{AuditQuery, Table};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::actor::{Ctx, Role};
use crate::{App, AppError, Result};

string_enum! {
    /// What a signature means.
    Meaning {
        Authored = "authored" / "Authored",
        Reviewed = "reviewed" / "Reviewed",
        Approved = "approved" / "Approved",
        RiskAccepted = "risk_accepted" / "Risk accepted",
        Verified = "verified" / "Verified",
    }
}

impl Meaning {
    /// Meanings that four-eyes keeps from the record's own author.
    pub fn is_approval(self) -> bool {
        matches!(self, Self::Approved | Self::RiskAccepted | Self::Reviewed | Self::Verified)
    }
}

string_enum! {
    /// Whether a signature still holds for its record.
    SignatureStatus {
        Valid = "valid" / "Valid",
        RecordChanged = "record_changed" / "Record changed since signing",
        Invalid = "invalid" / "Invalid: not bound to this record",
    }
}

/// How the signer proved, again, who they are.
#[derive(Clone)]
pub enum Reauth {
    /// Password, and the TOTP code when the signer has enrolled one.
    Password { password: String, code: Option<String> },
    /// A login at the OpenID provider forced for this signature (`prompt=login`), already
    /// verified by the caller: its subject and authentication time.
    Oidc { issuer: String, subject: String, auth_time: Timestamp },
}

impl std::fmt::Debug for Reauth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password { .. } => f.write_str("Reauth::Password(..)"),
            Self::Oidc { subject, .. } => write!(f, "Reauth::Oidc({subject})"),
        }
    }
}

/// A signature as every channel shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureView {
    pub id: i64,
    pub entity_type: String,
    pub entity_id: i64,
    pub record_version: i64,
    pub record_sha256: String,
    pub user_id: i64,
    pub printed_name: String,
    pub meaning: Meaning,
    pub meaning_label: &'static str,
    pub reason: Option<String>,
    pub method: String,
    /// UTC.
    pub signed_at: Timestamp,
    pub status: SignatureStatus,
    pub status_label: &'static str,
}

/// The canonical text of a JSON value: keys sorted at every level, no spaces.
pub fn canonical_json(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(&m[k], out);
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut s = String::new();
    write(v, &mut s);
    s
}

/// The SHA-256 (hex) of a record version's canonical JSON.
pub fn record_sha256(record: &Value) -> String {
    hex::encode(Sha256::digest(canonical_json(record).as_bytes()))
}

fn note(kind: EntityKind, id: i64, site: Option<SiteId>, changes: Value) -> AuditNote {
    let mut c: Changes = Changes::new();
    c.insert("signature".into(), c981_domain::audit::Change { old: Value::Null, new: changes });
    AuditNote {
        action: Action::SignFailed,
        entity_type: kind,
        entity_id: Some(id),
        site_id: site.map(|s| s.get()),
        changes: changes_json(&c),
    }
}

impl App {
    async fn current_record<T: Table>(&self, ctx: &Ctx, id: i64) -> Result<(Value, i64, Option<SiteId>)> {
        let rec = self.store.get::<T>(&ctx.actor.scope, id).await?;
        let site = rec.data.site_id().or((T::KIND == EntityKind::Site).then(|| SiteId::new(id)));
        let bytes = self.store.get_json::<T>(&ctx.actor.scope, id).await?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| AppError::Internal(e.to_string()))?;
        // The version of the JSON read (a write may have come between the two reads).
        let version = v.get("version").and_then(Value::as_i64).unwrap_or(rec.version);
        Ok((v, version, site))
    }

    /// Signs the current version of a record.
    ///
    /// A risk signed with the meaning "risk accepted" is the acceptance of its residual risk:
    /// the signer must be its owner and may accept its residual level under the current risk
    /// model (the model's acceptance criteria), and the risk becomes accepted in the same
    /// transaction as the signature, which binds that accepted version.
    pub async fn sign<T: Table>(
        &self,
        ctx: &Ctx,
        id: i64,
        meaning: Meaning,
        reason: Option<String>,
        reauth: Reauth,
    ) -> Result<SignatureView> {
        let (record, version, site) = self.current_record::<T>(ctx, id).await?;
        let user_id = ctx.actor.user_id.ok_or_else(|| AppError::Forbidden("only accounts can sign".into()))?;
        if ctx.actor.token_id.is_some() {
            return Err(AppError::Forbidden("signatures need an interactive login, not an API token".into()));
        }
        let user =
            self.store.user_by_id(user_id).await?.ok_or(AppError::NotFound { kind: EntityKind::User, id: user_id })?;
        let meta = self.meta(ctx);
        let fail = |why: &str| note(T::KIND, id, site, json!({ "meaning": meaning.as_str(), "refused": why }));

        // The role must allow this meaning on the record's site.
        let allowed = match (meaning, site) {
            (Meaning::Approved | Meaning::RiskAccepted, Some(s)) => {
                ctx.actor.grants.iter().any(|g| g.role.may_approve() && g.covers(s))
            }
            (Meaning::Authored, Some(s)) => ctx.actor.may_write_site(s),
            (Meaning::Reviewed | Meaning::Verified, Some(s)) => {
                ctx.actor.grants.iter().any(|g| g.covers(s) && !matches!(g.role, Role::Viewer))
            }
            (_, None) => ctx.actor.is_admin(),
        };
        if !allowed {
            let why = format!(
                "{} may not sign {} records as {}",
                ctx.actor.name,
                T::KIND.label().to_lowercase(),
                meaning.label().to_lowercase()
            );
            self.store.audit_note(&meta, fail(&why)).await?;
            return Err(AppError::Forbidden(why));
        }

        // A risk acceptance: the owner, within the acceptance criteria, and the state change
        // to make with the signature (none when the risk is accepted already: it is signed
        // again as it stands).
        let acceptance = if T::KIND == EntityKind::Risk && meaning == Meaning::RiskAccepted {
            let risk = self.store.get::<Risk>(&ctx.actor.scope, id).await?;
            let model = self.risk_model(ctx).await?;
            if let Err(e) = crate::risk::check_acceptance(ctx, &model, &risk.data, &user.username, &user.display_name) {
                self.store.audit_note(&meta, fail(&e.to_string())).await?;
                return Err(e);
            }
            (risk.data.state != RiskState::Accepted).then_some(model)
        } else {
            None
        };

        // Re-authentication, throttled like logins.
        let key = format!("sign:{user_id}");
        self.throttled(&[(&key, self.auth.account_failures)]).await?;
        let method = match &reauth {
            Reauth::Password { password: pw, code } => {
                let pw_ok = user.password_hash.as_deref().is_some_and(|h| password::verify_password(h, pw));
                match (pw_ok, &user.totp_secret) {
                    (false, _) => None,
                    (true, None) => Some("password"),
                    (true, Some(_)) => {
                        let origin = crate::identity::Origin {
                            source: String::new(),
                            user_agent: String::new(),
                            request_id: ctx.request_id.clone(),
                            channel: Some(ctx.channel),
                        };
                        match code {
                            Some(c) => self.check_second_factor(&user, c, &origin).await?,
                            None => None,
                        }
                    }
                }
            }
            Reauth::Oidc { issuer, subject, auth_time } => {
                let linked =
                    user.oidc_issuer.as_deref() == Some(issuer) && user.oidc_subject.as_deref() == Some(subject);
                let fresh = self.now().micros() - auth_time.micros() <= 5 * 60 * 1_000_000;
                (linked && fresh).then_some("oidc (prompt=login)")
            }
        };
        let Some(method) = method else {
            self.count_failure(&[&key]).await?;
            tracing::warn!(target: "c981::security", event = "sign_failed", user = %user.username, "signing re-authentication failed");
            self.store.audit_note(&meta, fail("re-authentication failed")).await?;
            return Err(AppError::Unauthenticated("re-authentication failed: the password or code is wrong".into()));
        };
        self.store.throttle_clear(&key).await?;

        // Four-eyes: the last author of the record may not approve it.
        if self.auth.four_eyes && meaning.is_approval() {
            let q = AuditQuery {
                entity_type: Some(T::KIND),
                entity_id: Some(id),
                limit: Some(50),
                newest_first: true,
                ..Default::default()
            };
            let entries = self.store.audit_entries(&c981_store::SiteScope::All, &q).await?;
            let author = entries
                .iter()
                .find(|e| matches!(e.draft.action, Action::Create | Action::Update))
                .map(|e| e.draft.actor_id.clone());
            if author.as_deref() == Some(ctx.actor.id.as_str()) {
                let why = "four-eyes: you made the current version of this record, so another person must sign it";
                self.store.audit_note(&meta, fail(why)).await?;
                return Err(AppError::Forbidden(why.into()));
            }
        }

        let signature_changes = |hash: &str, version: i64| {
            let mut c: Changes = Changes::new();
            c.insert(
                "signature".into(),
                c981_domain::audit::Change {
                    old: Value::Null,
                    new: json!({
                        "printed_name": user.display_name,
                        "meaning": meaning.as_str(),
                        "record_version": version,
                        "record_sha256": hash,
                        "method": method,
                        "reason": reason,
                    }),
                },
            );
            changes_json(&c)
        };
        let base = NewSignature {
            entity_type: T::KIND,
            entity_id: id,
            site_id: site.map(|s| s.get()),
            record_version: version,
            record_sha256: "",
            user_id,
            printed_name: &user.display_name,
            meaning: meaning.as_str(),
            reason: reason.as_deref().map(str::trim).filter(|r| !r.is_empty()),
            method,
        };
        if let Some(model) = acceptance {
            // The risk becomes accepted with the signature, which binds the accepted version.
            let accept = |old: &c981_domain::Record<Risk>| -> c981_store::Result<Risk> {
                let mut new = old.data.clone();
                new.state = RiskState::Accepted;
                // The accepted version stands on its own (residual rating, plan settled…).
                let mut new = Risk::parse(&new.to_input()).map_err(c981_store::StoreError::Invalid)?;
                new.rate(&model.model, model.version).map_err(c981_store::StoreError::Invalid)?;
                Ok(new)
            };
            let seal = |json: &[u8], version: i64| {
                let v: Value = serde_json::from_slice(json).unwrap_or(Value::Null);
                let hash = record_sha256(&v);
                let changes = signature_changes(&hash, version);
                (hash, changes)
            };
            let result =
                self.store.update_and_sign::<Risk>(&ctx.actor.scope, id, version, &meta, accept, &base, seal).await;
            let row = match result {
                Ok((_, row)) => row,
                Err(c981_store::StoreError::Invalid(v)) => {
                    let e = AppError::Invalid(v);
                    self.store.audit_note(&meta, fail(&e.to_string())).await?;
                    return Err(e);
                }
                Err(e) => return Err(e.into()),
            };
            tracing::info!(target: "c981::security", event = "signed", user = %user.username, kind = %T::KIND, id, meaning = meaning.as_str(), "risk accepted");
            let hash = row.record_sha256.clone();
            return self.signature_view(&row, &hash).await;
        }

        let hash = record_sha256(&record);
        let changes = signature_changes(&hash, version);
        let row = self.store.create_signature(&NewSignature { record_sha256: &hash, ..base }, &meta, changes).await?;
        tracing::info!(target: "c981::security", event = "signed", user = %user.username, kind = %T::KIND, id, meaning = meaning.as_str(), "record signed");
        self.signature_view(&row, &hash).await
    }

    async fn signature_view(&self, s: &SignatureRow, current_hash: &str) -> Result<SignatureView> {
        let meaning = Meaning::parse(&s.meaning).map_err(AppError::Internal)?;
        // Bound: the audit entry written with the signature names this record and hash.
        let bound = match self.store.audit_entry(s.audit_seq).await? {
            Some(e) => {
                e.draft.action == Action::Sign
                    && e.draft.entity_type == s.entity_type
                    && e.draft.entity_id == Some(s.entity_id)
                    && e.draft.changes.contains(&format!("\"record_sha256\":\"{}\"", s.record_sha256))
                    && e.draft.changes.contains(&format!("\"meaning\":\"{}\"", s.meaning))
                    && e.draft.actor_id == format!("user:{}", s.user_id)
            }
            None => false,
        };
        let status = if !bound {
            SignatureStatus::Invalid
        } else if s.record_sha256 != current_hash {
            SignatureStatus::RecordChanged
        } else {
            SignatureStatus::Valid
        };
        Ok(SignatureView {
            id: s.id,
            entity_type: s.entity_type.clone(),
            entity_id: s.entity_id,
            record_version: s.record_version,
            record_sha256: s.record_sha256.clone(),
            user_id: s.user_id,
            printed_name: s.printed_name.clone(),
            meaning,
            meaning_label: meaning.label(),
            reason: s.reason.clone(),
            method: s.method.clone(),
            signed_at: s.signed_at,
            status,
            status_label: status.label(),
        })
    }

    /// The signatures of a record, each with its status against the current version.
    pub async fn signatures<T: Table>(&self, ctx: &Ctx, id: i64) -> Result<Vec<SignatureView>> {
        let (record, _, _) = self.current_record::<T>(ctx, id).await?;
        let hash = record_sha256(&record);
        let mut out = Vec::new();
        for s in self.store.signatures_of(T::KIND, id).await? {
            out.push(self.signature_view(&s, &hash).await?);
        }
        Ok(out)
    }
}
