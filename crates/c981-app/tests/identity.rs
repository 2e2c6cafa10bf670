//! Accounts, sessions, second factors, throttling, one-time links, API tokens and electronic
//! signatures, through the use cases, on SQLite and PostgreSQL. Time is a manual clock.

use std::sync::Arc;

use c981_app::identity::{AuthSettings, NewUser, Origin};
use c981_app::signature::{Meaning, Reauth, SignatureStatus};
use c981_app::{Actor, App, AppError, Ctx, Grant, ManualClock, Role};
use c981_auth::totp::{self, TotpSecret};
use c981_domain::audit::{Action, Channel};
use c981_domain::{SiteId, SiteInput, Timestamp, Zone, ZoneInput};
use c981_store::AuditQuery;
use c981_testkit::{TestDb, backend_tests};

const PW: &str = "Pump-station 7 valve cadence!";

struct Fx {
    app: App,
    clock: Arc<ManualClock>,
    op: Ctx,
    site: i64,
    zone: i64,
    _dir: tempfile::TempDir,
}

fn origin(src: &str) -> Origin {
    Origin { source: src.into(), user_agent: "test".into(), request_id: "r".into(), channel: Some(Channel::Ui) }
}

async fn fx(db: &TestDb, settings: AuthSettings) -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp::parse("2026-11-28T08:00:00Z").unwrap()));
    let app = App::new(db.store().await, clock.clone(), dir.path().join("k")).with_auth(settings);
    let op = Ctx::new(Actor::local_operator("setup"), Channel::Cli, "setup");
    let site = app
        .create::<c981_domain::Site>(
            &op,
            &SiteInput {
                code: Some("LYO".into()),
                name: Some("Lyon".into()),
                country: Some("FR".into()),
                time_zone: Some("Europe/Paris".into()),
                industry: Some("pharma".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .get();
    let zone = app
        .create::<Zone>(
            &op,
            &ZoneInput {
                site_id: Some(site.to_string()),
                name: Some("Filling".into()),
                kind: Some("control".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .get();
    Fx { app, clock, op, site, zone, _dir: dir }
}

fn quiet() -> AuthSettings {
    AuthSettings { mfa_roles: Vec::new(), ..Default::default() }
}

async fn user(f: &Fx, name: &str, printed: &str, grants: Vec<Grant>) -> i64 {
    let (id, link) = f
        .app
        .create_user(&f.op, &NewUser { username: name.into(), display_name: printed.into(), email: None, grants })
        .await
        .unwrap();
    f.app.set_password_with_link(&link, PW, &origin("setup")).await.unwrap();
    id
}

fn on_site(role: Role, site: i64) -> Vec<Grant> {
    vec![Grant { role, site: Some(SiteId::new(site)) }]
}

async fn ctx_of(f: &Fx, session: &str) -> Ctx {
    Ctx::new(f.app.authenticate_session(session).await.unwrap().actor, Channel::Ui, "r")
}

async fn sessions_rotate_time_out_and_end_with_disable_and_role_change(db: TestDb) {
    let f = fx(&db, quiet()).await;
    let id = user(&f, "eve", "Eve Engineer", on_site(Role::SiteEngineer, f.site)).await;
    let s1 = f.app.login_password("eve", PW, &origin("192.0.2.7")).await.unwrap().session;
    let s2 = f.app.login_password("EVE", PW, &origin("192.0.2.7")).await.unwrap().session;
    assert_ne!(s1, s2, "every login makes a new session id");
    assert!(f.app.authenticate_session(&s1).await.unwrap().actor.may_write_site(SiteId::new(f.site)));

    // Idle timeout: 30 minutes without use.
    f.clock.advance(29 * 60);
    assert!(f.app.authenticate_session(&s1).await.is_ok());
    f.clock.advance(29 * 60);
    assert!(f.app.authenticate_session(&s1).await.is_ok(), "use keeps it alive");
    f.clock.advance(31 * 60);
    assert!(matches!(f.app.authenticate_session(&s1).await, Err(AppError::Unauthenticated(_))));
    assert!(matches!(f.app.authenticate_session(&s2).await, Err(AppError::Unauthenticated(_))));

    // Absolute timeout: 12 hours however busy.
    let s3 = f.app.login_password("eve", PW, &origin("192.0.2.7")).await.unwrap().session;
    for _ in 0..25 {
        f.clock.advance(29 * 60);
        let _ = f.app.authenticate_session(&s3).await;
    }
    assert!(f.app.authenticate_session(&s3).await.is_err(), "ended after 12 hours");

    // A role change acts on the very next request; disabling ends the session.
    let s4 = f.app.login_password("eve", PW, &origin("192.0.2.7")).await.unwrap().session;
    f.app.set_grants(&f.op, id, &on_site(Role::Viewer, f.site)).await.unwrap();
    let a = f.app.authenticate_session(&s4).await.unwrap();
    assert!(!a.actor.may_write_site(SiteId::new(f.site)), "the new role applies at once");
    f.app.set_disabled(&f.op, id, true).await.unwrap();
    assert!(f.app.authenticate_session(&s4).await.is_err());
    assert!(f.app.login_password("eve", PW, &origin("192.0.2.7")).await.is_err(), "disabled accounts cannot log in");
    f.app.set_disabled(&f.op, id, false).await.unwrap();
    let s5 = f.app.login_password("eve", PW, &origin("192.0.2.7")).await.unwrap().session;
    // Logout and "log out everywhere".
    let s6 = f.app.login_password("eve", PW, &origin("192.0.2.7")).await.unwrap().session;
    f.app.logout(&s5, &origin("192.0.2.7")).await.unwrap();
    assert!(f.app.authenticate_session(&s5).await.is_err());
    assert!(f.app.authenticate_session(&s6).await.is_ok());
    let s7 = f.app.login_password("eve", PW, &origin("192.0.2.7")).await.unwrap().session;
    f.app.logout_everywhere(&ctx_of(&f, &s7).await).await.unwrap();
    assert!(f.app.authenticate_session(&s6).await.is_err());
    assert!(f.app.authenticate_session(&s7).await.is_err());
    // Logins, logouts and failures are in the audit trail.
    let all = f.app.store().audit_entries(&c981_store::SiteScope::All, &AuditQuery::default()).await.unwrap();
    assert!(all.iter().any(|e| e.draft.action == Action::Login && e.draft.actor_name == "Eve Engineer"));
    assert!(all.iter().any(|e| e.draft.action == Action::Logout));
    assert!(all.iter().any(|e| e.draft.action == Action::LoginFailed && e.draft.changes.contains("account disabled")));
}

async fn logins_are_throttled_per_account_and_per_source(db: TestDb) {
    let f = fx(&db, AuthSettings { source_failures: 8, ..quiet() }).await;
    user(&f, "olga", "Olga Operator", on_site(Role::Viewer, f.site)).await;
    for _ in 0..5 {
        let e = f.app.login_password("olga", "wrong password here", &origin("198.51.100.1")).await.unwrap_err();
        assert!(matches!(e, AppError::Unauthenticated(_)), "{e}");
    }
    // The account is now locked for the window, even with the right password and another source.
    let e = f.app.login_password("olga", PW, &origin("198.51.100.2")).await.unwrap_err();
    assert!(matches!(e, AppError::Throttled(_)), "{e}");
    // Unknown names count against the source address.
    for i in 0..3 {
        let _ = f.app.login_password(&format!("nobody{i}"), "x", &origin("198.51.100.1")).await;
    }
    let e = f.app.login_password("someone-else", "whatever", &origin("198.51.100.1")).await.unwrap_err();
    assert!(matches!(e, AppError::Throttled(_)), "the source is throttled: {e}");
    // After the window, the right password works again.
    f.clock.advance(16 * 60);
    f.app.login_password("olga", PW, &origin("198.51.100.2")).await.unwrap();
    let failed = f
        .app
        .store()
        .audit_entries(&c981_store::SiteScope::All, &AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.draft.action == Action::LoginFailed)
        .count();
    assert!(failed >= 10, "every failure is audited ({failed})");
}

async fn passwords_are_never_set_by_administrators_and_links_expire(db: TestDb) {
    let f = fx(&db, quiet()).await;
    let (id, link) = f
        .app
        .create_user(
            &f.op,
            &NewUser {
                username: "paul".into(),
                display_name: "Paul".into(),
                email: None,
                grants: on_site(Role::Viewer, f.site),
            },
        )
        .await
        .unwrap();
    // Without a password nobody logs in.
    assert!(f.app.login_password("paul", "", &origin("a")).await.is_err());
    // Weak passwords are refused with the reason.
    let e = f.app.set_password_with_link(&link, "short", &origin("a")).await.unwrap_err();
    assert!(e.to_string().contains("at least 12"), "{e}");
    let e = f.app.set_password_with_link(&link, "password1234", &origin("a")).await.unwrap_err();
    assert!(e.to_string().contains("common"), "{e}");
    f.app.set_password_with_link(&link, PW, &origin("a")).await.unwrap();
    assert!(f.app.set_password_with_link(&link, "Another good one 42!", &origin("a")).await.is_err(), "used once");
    // A reset link expires after a day.
    let reset = f.app.password_reset_link(&f.op, id).await.unwrap();
    f.clock.advance(25 * 3600);
    assert!(matches!(
        f.app.set_password_with_link(&reset, "Another good one 42!", &origin("a")).await,
        Err(AppError::Unauthenticated(_))
    ));
    // Setting a password ends the user's sessions.
    let s = f.app.login_password("paul", PW, &origin("a")).await.unwrap().session;
    let reset = f.app.password_reset_link(&f.op, id).await.unwrap();
    f.app.set_password_with_link(&reset, "Another good one 42!", &origin("a")).await.unwrap();
    assert!(f.app.authenticate_session(&s).await.is_err());
    // The password hash is never in the audit trail.
    let all = f.app.store().audit_entries(&c981_store::SiteScope::All, &AuditQuery::default()).await.unwrap();
    assert!(all.iter().all(|e| !e.draft.changes.contains("argon2")));
    // Ids are never reused and users are never deleted: a new account gets a new id.
    let (id2, _) = f
        .app
        .create_user(
            &f.op,
            &NewUser { username: "paula".into(), display_name: "Paula".into(), email: None, grants: vec![] },
        )
        .await
        .unwrap();
    assert!(id2 > id);
    let e = f
        .app
        .create_user(&f.op, &NewUser { username: "PAUL".into(), display_name: "P".into(), email: None, grants: vec![] })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("already taken"), "{e}");
}

async fn totp_enrolment_login_replay_and_recovery_codes(db: TestDb) {
    let f = fx(&db, AuthSettings { mfa_roles: vec![Role::Administrator], ..Default::default() }).await;
    user(&f, "ada", "Ada Admin", vec![Grant { role: Role::Administrator, site: None }]).await;
    // An administrator without a second factor can do nothing but enrol.
    let s = f.app.login_password("ada", PW, &origin("a")).await.unwrap();
    assert!(!s.needs_totp);
    let auth = f.app.authenticate_session(&s.session).await.unwrap();
    assert!(auth.must_enrol);
    assert!(auth.actor.grants.is_empty(), "no authority before enrolment");
    let ctx = Ctx::new(f.app.actor_of_user("ada").await.unwrap(), Channel::Ui, "r");
    let enrol = f.app.totp_begin(&ctx).await.unwrap();
    assert!(enrol.qr_svg.starts_with("<svg") && enrol.uri.starts_with("otpauth://totp/"));
    let secret = TotpSecret::from_base32(&enrol.secret_base32).unwrap();
    let now = f.app.now().micros() / 1_000_000;
    assert!(f.app.totp_confirm(&ctx, "000000").await.is_err() || totp::code_at(&secret, now) == "000000");
    let codes = f.app.totp_confirm(&ctx, &totp::code_at(&secret, now)).await.unwrap();
    assert_eq!(codes.len(), 10);
    // Next login: password, then the code; the half-open session has no authority and is replaced.
    f.clock.advance(60);
    let half = f.app.login_password("ada", PW, &origin("a")).await.unwrap();
    assert!(half.needs_totp);
    assert!(f.app.authenticate_session(&half.session).await.unwrap().actor.grants.is_empty());
    let now = f.app.now().micros() / 1_000_000;
    let code = totp::code_at(&secret, now);
    let full = f.app.login_totp(&half.session, &code, &origin("a")).await.unwrap();
    assert_ne!(full, half.session, "a new session id after the second factor");
    assert!(f.app.authenticate_session(&half.session).await.is_err());
    assert!(f.app.authenticate_session(&full).await.unwrap().actor.is_admin());
    // The same code cannot be used twice.
    let half = f.app.login_password("ada", PW, &origin("a")).await.unwrap();
    assert!(f.app.login_totp(&half.session, &code, &origin("a")).await.is_err(), "replay refused");
    // A recovery code works once.
    let half = f.app.login_password("ada", PW, &origin("a")).await.unwrap();
    f.app.login_totp(&half.session, &codes[0], &origin("a")).await.unwrap();
    let half = f.app.login_password("ada", PW, &origin("a")).await.unwrap();
    assert!(f.app.login_totp(&half.session, &codes[0], &origin("a")).await.is_err());
    assert_eq!(f.app.user(&f.op, 1).await.unwrap().recovery_codes_left, 9);
}

async fn api_tokens_are_scoped_hashed_expiring_and_revocable(db: TestDb) {
    let f = fx(&db, quiet()).await;
    user(&f, "tom", "Tom", on_site(Role::SiteEngineer, f.site)).await;
    let ctx = Ctx::new(f.app.actor_of_user("tom").await.unwrap(), Channel::Ui, "r");
    let (id, token) = f.app.create_token(&ctx, "ci", true, &[], 2).await.unwrap();
    assert!(token.starts_with("c981_pat_"));
    // Only the hash is stored.
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT token_hash FROM api_tokens").fetch_all(f.app.store().raw_pool()).await.unwrap();
    assert!(!stored.iter().any(|h| h.contains(&token[9..])));
    let actor = f.app.authenticate_token(&token).await.unwrap();
    assert!(actor.read_only && !actor.may_write_site(SiteId::new(f.site)));
    // A token cannot make tokens.
    let tctx = Ctx::new(actor, Channel::Api, "r");
    assert!(f.app.create_token(&tctx, "more", false, &[], 2).await.is_err());
    // Expiry.
    f.clock.advance(3 * 86_400);
    assert!(f.app.authenticate_token(&token).await.is_err());
    // Revocation.
    let (id2, token2) = f.app.create_token(&ctx, "ci2", false, &[], 2).await.unwrap();
    assert!(f.app.authenticate_token(&token2).await.is_ok());
    f.app.revoke_token(&ctx, id2).await.unwrap();
    assert!(f.app.authenticate_token(&token2).await.is_err());
    assert!(f.app.revoke_token(&ctx, id).await.is_ok(), "an expired token can still be revoked");
    assert!(f.app.authenticate_token("c981_pat_not-a-token").await.is_err());
}

async fn signatures_bind_to_the_record_version_and_refuse_self_approval(db: TestDb) {
    let f = fx(&db, quiet()).await;
    user(&f, "eng", "Erik Engineer", on_site(Role::SiteEngineer, f.site)).await;
    user(&f, "apr", "Anna Approver", on_site(Role::Approver, f.site)).await;
    let eng = Ctx::new(f.app.actor_of_user("eng").await.unwrap(), Channel::Ui, "r");
    let apr = Ctx::new(f.app.actor_of_user("apr").await.unwrap(), Channel::Ui, "r");
    // The engineer changes the zone: they are its last author.
    f.app.patch::<Zone>(&eng, f.zone, None, &serde_json::json!({ "description": "Filling line 1" })).await.unwrap();
    let pw = |p: &str| Reauth::Password { password: p.into(), code: None };
    // An engineer's role does not approve.
    let e = f.app.sign::<Zone>(&eng, f.zone, Meaning::Approved, None, pw(PW)).await.unwrap_err();
    assert!(e.to_string().contains("may not sign"), "{e}");
    // Four-eyes: an ISMS manager who made the current version may not approve it.
    user(&f, "mgr", "Mia Manager", on_site(Role::IsmsManager, f.site)).await;
    let mgr = Ctx::new(f.app.actor_of_user("mgr").await.unwrap(), Channel::Ui, "r");
    f.app.patch::<Zone>(&mgr, f.zone, None, &serde_json::json!({ "description": "Filling line 1." })).await.unwrap();
    let e = f.app.sign::<Zone>(&mgr, f.zone, Meaning::Approved, None, pw(PW)).await.unwrap_err();
    assert!(e.to_string().contains("four-eyes"), "{e}");
    // A wrong password is refused and audited.
    let e = f.app.sign::<Zone>(&apr, f.zone, Meaning::Approved, None, pw("not my password")).await.unwrap_err();
    assert!(matches!(e, AppError::Unauthenticated(_)), "{e}");
    // The approver signs: printed name, UTC time, meaning, bound to the version's hash.
    let sig =
        f.app.sign::<Zone>(&apr, f.zone, Meaning::Approved, Some("Zoning reviewed".into()), pw(PW)).await.unwrap();
    assert_eq!(sig.printed_name, "Anna Approver");
    assert_eq!(sig.meaning, Meaning::Approved);
    assert_eq!(sig.status, SignatureStatus::Valid);
    assert_eq!(sig.signed_at, f.app.now());
    assert_eq!(sig.record_sha256.len(), 64);
    // The author may sign as author.
    f.app.sign::<Zone>(&eng, f.zone, Meaning::Authored, None, pw(PW)).await.unwrap();
    // A change to the record marks the signatures.
    f.app
        .patch::<Zone>(&eng, f.zone, None, &serde_json::json!({ "description": "Filling line 1 and 2" }))
        .await
        .unwrap();
    let sigs = f.app.signatures::<Zone>(&apr, f.zone).await.unwrap();
    assert_eq!(sigs.len(), 2);
    assert!(sigs.iter().all(|s| s.status == SignatureStatus::RecordChanged), "{sigs:?}");
    // A signature copied onto another record (with database access) shows as invalid.
    let other = f
        .app
        .create::<Zone>(
            &f.op,
            &ZoneInput {
                site_id: Some(f.site.to_string()),
                name: Some("Packing".into()),
                kind: Some("control".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
        .get();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO signatures (entity_type, entity_id, site_id, record_version, record_sha256, user_id, printed_name, meaning, reason, method, signed_at, audit_seq) \
         SELECT entity_type, {other}, site_id, record_version, record_sha256, user_id, printed_name, meaning, reason, method, signed_at, audit_seq FROM signatures WHERE id = {}",
        sig.id
    )))
    .execute(f.app.store().raw_pool())
    .await
    .unwrap();
    let copied = f.app.signatures::<Zone>(&apr, other).await.unwrap();
    assert_eq!(copied.len(), 1);
    assert_eq!(copied[0].status, SignatureStatus::Invalid);
    // Signatures cannot be altered in place.
    let upd = sqlx::query("UPDATE signatures SET meaning = 'reviewed'").execute(f.app.store().raw_pool()).await;
    assert!(upd.is_err(), "signatures are immutable");
    // A viewer may not approve; signing attempts are throttled.
    user(&f, "vic", "Vic Viewer", on_site(Role::Viewer, f.site)).await;
    let vic = Ctx::new(f.app.actor_of_user("vic").await.unwrap(), Channel::Ui, "r");
    assert!(matches!(
        f.app.sign::<Zone>(&vic, f.zone, Meaning::Approved, None, pw(PW)).await,
        Err(AppError::Forbidden(_))
    ));
    for _ in 0..5 {
        let _ = f.app.sign::<Zone>(&apr, f.zone, Meaning::Approved, None, pw("wrong wrong wrong")).await;
    }
    assert!(matches!(
        f.app.sign::<Zone>(&apr, f.zone, Meaning::Approved, None, pw(PW)).await,
        Err(AppError::Throttled(_))
    ));
    let failed = f
        .app
        .store()
        .audit_entries(&c981_store::SiteScope::All, &AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.draft.action == Action::SignFailed)
        .count();
    assert!(failed >= 6, "{failed}");
    // The audit chain is intact after all of it.
    assert!(f.app.audit_verify(&f.op).await.unwrap().ok());
}

async fn the_first_administrator_comes_from_a_one_time_setup_link(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(db.store().await, Arc::new(c981_app::SystemClock::default()), dir.path().join("k"));
    assert!(app.needs_bootstrap().await.unwrap());
    let token = app.bootstrap_token().await.unwrap();
    let e = app.complete_bootstrap(&token, "root", "Root", "tooshort", &origin("a")).await.unwrap_err();
    assert!(e.to_string().contains("password"), "{e}");
    app.complete_bootstrap(&token, "root", "Rita Root", PW, &origin("a")).await.unwrap();
    assert!(!app.needs_bootstrap().await.unwrap());
    assert!(app.complete_bootstrap(&token, "root2", "Other", PW, &origin("a")).await.is_err(), "used once");
    assert!(app.bootstrap_token().await.is_err(), "no set-up link once an account exists");
    let s = app.login_password("root", PW, &origin("a")).await.unwrap();
    let a = app.authenticate_session(&s.session).await.unwrap();
    assert!(a.must_enrol, "administrators must enrol a second factor by default");
}

backend_tests!(
    sessions_rotate_time_out_and_end_with_disable_and_role_change,
    logins_are_throttled_per_account_and_per_source,
    passwords_are_never_set_by_administrators_and_links_expire,
    totp_enrolment_login_replay_and_recovery_codes,
    api_tokens_are_scoped_hashed_expiring_and_revocable,
    signatures_bind_to_the_record_version_and_refuse_self_approval,
    the_first_administrator_comes_from_a_one_time_setup_link,
);
