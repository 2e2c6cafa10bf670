//! Tamper evidence of the audit trail, on both databases: every kind of tampering named in
//! the requirements is made with SQL, as an attacker with database access would, and caught.

use std::sync::Arc;

use c981_app::audit::Checkpoint;
use c981_app::{Actor, App, Ctx, SystemClock};
use c981_domain::audit::{Channel, seal};
use c981_domain::{SiteInput, ZoneInput};
use c981_store::Backend;
use c981_testkit::{TestDb, backend_tests};
use sqlx::AssertSqlSafe;

struct Fixture {
    app: App,
    ctx: Ctx,
    _dir: tempfile::TempDir,
}

async fn fixture(db: &TestDb) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(db.store().await, Arc::new(SystemClock::default()), dir.path().join("audit.key"));
    let ctx = Ctx::new(Actor::local_operator("auditor-test"), Channel::Cli, "req");
    let site = app
        .create::<c981_domain::Site>(
            &ctx,
            &SiteInput {
                code: Some("LYON".into()),
                name: Some("Lyon fill-finish".into()),
                country: Some("FR".into()),
                time_zone: Some("Europe/Paris".into()),
                industry: Some("pharma".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for i in 0..5 {
        app.create::<c981_domain::Zone>(
            &ctx,
            &ZoneInput {
                site_id: Some(site.id.to_string()),
                name: Some(format!("Cell {i}")),
                kind: Some("control".into()),
                subnets: vec![format!("10.0.{i}.0/24")],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    Fixture { app, ctx, _dir: dir }
}

async fn exec(f: &Fixture, sql: &str) {
    sqlx::query(AssertSqlSafe(sql.to_owned()))
        .execute(f.app.store().raw_pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// What an attacker does first: remove the immutability triggers.
async fn drop_guards(f: &Fixture) {
    match f.app.store().backend() {
        Backend::Sqlite => {
            exec(f, "DROP TRIGGER audit_log_no_update").await;
            exec(f, "DROP TRIGGER audit_log_no_delete").await;
        }
        Backend::Postgres => exec(f, "DROP TRIGGER audit_log_no_change ON audit_log").await,
    }
}

async fn an_intact_trail_verifies(db: TestDb) {
    let f = fixture(&db).await;
    let r = f.app.audit_verify(&f.ctx).await.unwrap();
    assert!(r.ok(), "{r:?}");
    assert_eq!(r.entries, 6);
}

async fn the_database_refuses_to_change_or_delete_audit_entries(db: TestDb) {
    let f = fixture(&db).await;
    let pool = f.app.store().raw_pool();
    assert!(sqlx::query("UPDATE audit_log SET actor_name = 'someone else' WHERE seq = 2").execute(pool).await.is_err());
    assert!(sqlx::query("DELETE FROM audit_log WHERE seq = 2").execute(pool).await.is_err());
    assert!(f.app.audit_verify(&f.ctx).await.unwrap().ok());
}

async fn an_altered_entry_is_named(db: TestDb) {
    let f = fixture(&db).await;
    drop_guards(&f).await;
    exec(&f, "UPDATE audit_log SET changes = replace(changes, 'Cell 2', 'Cell X') WHERE seq = 4").await;
    let r = f.app.audit_verify(&f.ctx).await.unwrap();
    assert_eq!(r.first_bad_seq, Some(4), "{r:?}");
    assert!(r.problem.unwrap().contains("altered"));
}

async fn a_deleted_entry_is_named(db: TestDb) {
    let f = fixture(&db).await;
    drop_guards(&f).await;
    exec(&f, "DELETE FROM audit_log WHERE seq = 3").await;
    let r = f.app.audit_verify(&f.ctx).await.unwrap();
    assert_eq!(r.first_bad_seq, Some(3), "{r:?}");
}

async fn an_inserted_entry_is_named(db: TestDb) {
    let f = fixture(&db).await;
    drop_guards(&f).await;
    // Make room after entry 2 and slip a forged entry in, linked to entry 2's hash.
    exec(&f, "UPDATE audit_log SET seq = seq + 1000 WHERE seq > 2").await;
    exec(&f, "UPDATE audit_log SET seq = seq - 999 WHERE seq > 1000").await;
    exec(
        &f,
        "INSERT INTO audit_log (seq, format, at, actor_id, actor_name, actor_role, channel, request_id, action, entity_type, entity_id, site_id, reason, changes, prev_hash, hash) \
         SELECT 3, format, at, actor_id, 'Mallory', actor_role, channel, request_id, action, entity_type, entity_id, site_id, reason, changes, hash, hash FROM audit_log WHERE seq = 2",
    )
    .await;
    let r = f.app.audit_verify(&f.ctx).await.unwrap();
    assert_eq!(r.first_bad_seq, Some(3), "{r:?}");
}

async fn reordered_entries_are_named(db: TestDb) {
    let f = fixture(&db).await;
    drop_guards(&f).await;
    exec(&f, "UPDATE audit_log SET seq = 1000 WHERE seq = 3").await;
    exec(&f, "UPDATE audit_log SET seq = 3 WHERE seq = 4").await;
    exec(&f, "UPDATE audit_log SET seq = 4 WHERE seq = 1000").await;
    let r = f.app.audit_verify(&f.ctx).await.unwrap();
    assert_eq!(r.first_bad_seq, Some(3), "{r:?}");
}

async fn a_cut_off_tail_is_caught_by_the_head_and_by_a_checkpoint(db: TestDb) {
    let f = fixture(&db).await;
    let cp: Checkpoint = f.app.audit_checkpoint(&f.ctx).await.unwrap();
    assert_eq!(cp.seq, 7, "the checkpoint covers its own audit entry");
    drop_guards(&f).await;
    exec(&f, "DELETE FROM audit_log WHERE seq >= 6").await;
    let r = f.app.audit_verify(&f.ctx).await.unwrap();
    assert_eq!(r.first_bad_seq, Some(6), "the head row still names entry 7: {r:?}");
    // A careful attacker moves the head back too: only the checkpoint reveals it.
    let hash: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = 5")
        .fetch_one(f.app.store().raw_pool())
        .await
        .unwrap();
    exec(&f, &format!("UPDATE audit_head SET seq = 5, hash = '{hash}'")).await;
    assert!(f.app.audit_verify(&f.ctx).await.unwrap().ok());
    let r = f.app.audit_verify_checkpoint(&f.ctx, &cp, None).await.unwrap();
    assert!(r.problem.as_deref().unwrap_or("").contains("cut off"), "{r:?}");
}

async fn a_recomputed_chain_is_caught_by_a_checkpoint(db: TestDb) {
    let f = fixture(&db).await;
    let cp = f.app.audit_checkpoint(&f.ctx).await.unwrap();
    drop_guards(&f).await;
    // Alter entry 3 and recompute every hash after it, as a knowledgeable attacker would.
    let mut entries = Vec::new();
    f.app
        .store()
        .for_each_audit_entry::<()>(|e| {
            entries.push(e);
            std::ops::ControlFlow::Continue(())
        })
        .await
        .unwrap();
    entries[2].draft.actor_name = "Mallory".into();
    let mut prev = entries[1].hash;
    for e in entries.iter_mut().skip(2) {
        let sealed = seal(prev, e.seq, e.draft.clone());
        prev = sealed.hash;
        exec(
            &f,
            &format!(
                "UPDATE audit_log SET actor_name = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                sealed.draft.actor_name,
                hex::encode(sealed.prev_hash),
                hex::encode(sealed.hash),
                e.seq
            ),
        )
        .await;
    }
    exec(&f, &format!("UPDATE audit_head SET hash = '{}'", hex::encode(prev))).await;
    assert!(f.app.audit_verify(&f.ctx).await.unwrap().ok(), "the recomputed chain is consistent in itself");
    let r = f.app.audit_verify_checkpoint(&f.ctx, &cp, None).await.unwrap();
    assert_eq!(r.first_bad_seq, Some(cp.seq), "{r:?}");
    assert!(r.problem.unwrap().contains("recomputed"));
}

async fn a_forged_or_foreign_checkpoint_is_refused(db: TestDb) {
    let f = fixture(&db).await;
    let cp = f.app.audit_checkpoint(&f.ctx).await.unwrap();
    let mut forged = cp.clone();
    forged.seq = 3;
    assert!(f.app.audit_verify_checkpoint(&f.ctx, &forged, None).await.unwrap_err().to_string().contains("signature"));
    let other = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]).verifying_key();
    assert!(
        f.app.audit_verify_checkpoint(&f.ctx, &cp, Some(other)).await.unwrap_err().to_string().contains("another key")
    );
    assert!(f.app.audit_verify_checkpoint(&f.ctx, &cp, None).await.unwrap().ok());
}

async fn a_refused_write_is_itself_audited(db: TestDb) {
    let f = fixture(&db).await;
    let viewer = Ctx::new(
        Actor::new(
            "user:9".into(),
            Some(9),
            "Vera Viewer".into(),
            vec![c981_app::Grant { role: c981_app::Role::Viewer, site: None }],
            false,
            None,
        ),
        Channel::Api,
        "req-v",
    );
    let err = f
        .app
        .create::<c981_domain::Zone>(
            &viewer,
            &ZoneInput {
                site_id: Some("1".into()),
                name: Some("Rogue".into()),
                kind: Some("control".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, c981_app::AppError::Forbidden(_)), "{err:?}");
    let last = f.app.store().audit_entry(7).await.unwrap().unwrap();
    assert_eq!(last.draft.action, c981_domain::audit::Action::Denied);
    assert_eq!(last.draft.actor_name, "Vera Viewer");
    assert!(f.app.audit_verify(&f.ctx).await.unwrap().ok());
}

backend_tests!(
    an_intact_trail_verifies,
    the_database_refuses_to_change_or_delete_audit_entries,
    an_altered_entry_is_named,
    a_deleted_entry_is_named,
    an_inserted_entry_is_named,
    reordered_entries_are_named,
    a_cut_off_tail_is_caught_by_the_head_and_by_a_checkpoint,
    a_recomputed_chain_is_caught_by_a_checkpoint,
    a_forged_or_foreign_checkpoint_is_refused,
    a_refused_write_is_itself_audited,
);
