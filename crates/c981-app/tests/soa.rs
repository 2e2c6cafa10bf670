//! The ISMS scope and Statement of Applicability through the use cases, on both databases:
//! decisions justified both ways, the completeness check that guards freezing and approval,
//! approval by electronic signature, versions and their comparison, IEC 62443 suggestions,
//! the crosswalk and catalogues, evidence files with server-side hashes, exports (XLSX, CSV,
//! PDF, OSCAL) and the audit evidence bundle, the dashboard, and site scoping.

// A test reads its own switches from the environment (as the test kit does).
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;

use c981_app::identity::{NewUser, Origin};
use c981_app::risk_export::ExportFormat;
use c981_app::signature::{Meaning, Reauth};
use c981_app::soa::ApprovalState;
use c981_app::soa_export::{Which, render_soa};
use c981_app::{Actor, App, AppError, Ctx, FixedClock, Grant, ListParams, Role};
use c981_domain::audit::{Action, Channel};
use c981_domain::{
    EntityKind, Evidence, EvidenceInput, IsmsScope, IsmsScopeInput, SiteId, SoaEntry, SoaEntryInput, SoaVersion,
    Timestamp,
};
use c981_store::{AuditQuery, SiteScope};
use c981_testkit::{TestDb, backend_tests};

const PW: &str = "Pump-station 7 valve cadence!";

struct Fx {
    app: App,
    op: Ctx,
    lyon: SiteId,
    wichita: SiteId,
    valencia: SiteId,
    _dir: tempfile::TempDir,
}

async fn fx(db: &TestDb) -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock(Timestamp::parse("2027-03-01T09:00:00Z").unwrap()));
    let app = App::new(db.store().await, clock, dir.path().join("audit.key"));
    let op = Ctx::new(Actor::local_operator("manager"), Channel::Cli, "req");
    c981_app::demo::load_demo(&app, &op).await.unwrap();
    let id = |code: &'static str| {
        let app = app.clone();
        async move { app.store().site_by_code(&SiteScope::All, code).await.unwrap().unwrap().id }
    };
    let (lyon, wichita, valencia) = (id("LYO").await, id("ICT").await, id("VLC").await);
    Fx { app, op, lyon, wichita, valencia, _dir: dir }
}

fn actor(role: Role, site: Option<SiteId>) -> Ctx {
    let actor = Actor::new(
        format!("test:{}", role.as_str()),
        None,
        role.label().into(),
        vec![Grant { role, site }],
        false,
        None,
    );
    Ctx::new(actor, Channel::Api, "r")
}

async fn account(f: &Fx, username: &str, name: &str, role: Role, site: Option<SiteId>) -> Ctx {
    let (_, link) = f
        .app
        .create_user(
            &f.op,
            &NewUser {
                username: username.into(),
                display_name: name.into(),
                email: None,
                grants: vec![Grant { role, site }],
            },
        )
        .await
        .unwrap();
    let origin = Origin { source: "test".into(), user_agent: "test".into(), request_id: "r".into(), channel: None };
    f.app.set_password_with_link(&link, PW, &origin).await.unwrap();
    Ctx::new(f.app.actor_of_user(username).await.unwrap(), Channel::Ui, "r")
}

fn fields_of(e: &AppError) -> Vec<String> {
    match e {
        AppError::Invalid(v) => v.errors.iter().map(|f| f.field.clone()).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn scope_of(f: &Fx, site: SiteId) -> i64 {
    let p = ListParams { site_id: Some(site), ..Default::default() };
    f.app.list::<IsmsScope>(&f.op, &p).await.unwrap().items[0].id.get()
}

fn decided(justification: &str) -> SoaEntryInput {
    SoaEntryInput {
        applicability: Some("applicable".into()),
        justification: Some(justification.into()),
        status: Some("planned".into()),
        ..Default::default()
    }
}

async fn the_demo_statements_stand_at_three_stages(db: TestDb) {
    let f = fx(&db).await;
    let lyon = f.app.soa_view(&f.op, scope_of(&f, f.lyon).await).await.unwrap();
    assert_eq!(lyon.doc.lines.len(), 93);
    assert!(lyon.completeness.complete, "{:?}", lyon.completeness);
    assert_eq!(lyon.versions.len(), 1);
    assert!(!lyon.changed_since_latest);
    assert_eq!(lyon.coverage.not_applicable, 2);
    assert_eq!(lyon.coverage.applicable, 91);
    // Controls named by risks of the register are justified by them.
    let l = lyon.doc.lines.iter().find(|l| l.control == "8.22").unwrap();
    assert!(!l.risks.is_empty() && l.justification.starts_with("Selected to treat R-"), "{l:?}");
    let wichita = f.app.soa_view(&f.op, scope_of(&f, f.wichita).await).await.unwrap();
    assert!(!wichita.completeness.complete);
    assert_eq!(wichita.completeness.undecided.len(), 93 - 62);
    assert_eq!(wichita.completeness.undecided[0], "8.4");
    let d = f.app.soa_dashboard(&f.op, None).await.unwrap();
    assert_eq!(d.scopes.len(), 3);
    let state = |site: SiteId| d.scopes.iter().find(|s| s.site.id == site.get()).unwrap().approval;
    assert_eq!(state(f.lyon), ApprovalState::AwaitingApproval);
    assert_eq!(state(f.wichita), ApprovalState::Draft);
    assert_eq!(state(f.valencia), ApprovalState::Draft);
    assert_eq!(d.total.controls, 3 * 93);
    let v = d.scopes.iter().find(|s| s.site.id == f.valencia.get()).unwrap();
    assert_eq!(v.coverage.undecided, 93);
    // The dashboard's counts agree with the statement's own.
    let l = d.scopes.iter().find(|s| s.site.id == f.lyon.get()).unwrap();
    assert_eq!(l.coverage, lyon.coverage);
}

async fn a_decision_needs_its_justification_either_way(db: TestDb) {
    let f = fx(&db).await;
    let scope = scope_of(&f, f.valencia).await;
    let exclusion = SoaEntryInput { applicability: Some("not_applicable".into()), ..Default::default() };
    let e = f.app.set_soa_entry(&f.op, scope, "A.7.4", None, exclusion).await.unwrap_err();
    assert_eq!(fields_of(&e), ["justification"]);
    assert!(e.to_string().contains("exclusion"), "{e}");
    let e = f.app.set_soa_entry(&f.op, scope, "8.5", None, decided(" ")).await.unwrap_err();
    assert_eq!(fields_of(&e), ["justification"]);
    let e = f.app.set_soa_entry(&f.op, scope, "A.12.6.1", None, decided("x")).await.unwrap_err();
    assert_eq!(fields_of(&e), ["control"]);
    // Created, then changed with the version seen; a stale version is a conflict.
    let r = f.app.set_soa_entry(&f.op, scope, "a.8.5", None, decided("Risk of shared accounts on HMIs")).await.unwrap();
    assert_eq!((r.data.control.to_string(), r.version), ("8.5".into(), 1));
    let mut changed = decided("Risk of shared accounts on HMIs");
    changed.status = Some("implemented".into());
    changed.implementation = Some("Personal accounts with smart cards on every HMI".into());
    let r = f.app.set_soa_entry(&f.op, scope, "8.5", Some(1), changed.clone()).await.unwrap();
    assert_eq!(r.version, 2);
    let e = f.app.set_soa_entry(&f.op, scope, "8.5", Some(1), changed).await.unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
    // The client cannot move an entry to another scope or site.
    let mut hostile = decided("Moved");
    hostile.scope_id = Some(scope_of(&f, f.lyon).await.to_string());
    hostile.site_id = Some(f.lyon.to_string());
    let r = f.app.set_soa_entry(&f.op, scope, "5.1", None, hostile).await.unwrap();
    assert_eq!((r.data.site_id, r.data.scope_id.get()), (f.valencia, scope));
    // Risks and evidence of another site cannot be linked.
    let lyon_evidence =
        f.app.list::<Evidence>(&f.op, &ListParams { site_id: Some(f.lyon), ..Default::default() }).await;
    let mut bad = decided("Evidence from elsewhere");
    bad.evidence_ids = vec![lyon_evidence.unwrap().items[0].id.to_string()];
    let e = f.app.set_soa_entry(&f.op, scope, "5.2", None, bad).await.unwrap_err();
    assert_eq!(fields_of(&e), ["evidence_ids"]);
    // An engineer of another site sees neither the scope nor its statement.
    let other = actor(Role::SiteEngineer, Some(f.lyon));
    assert!(matches!(f.app.soa_view(&other, scope).await.unwrap_err(), AppError::NotFound { .. }));
    let e = f.app.set_soa_entry(&other, scope, "5.3", None, decided("x")).await.unwrap_err();
    assert!(matches!(e, AppError::NotFound { .. }), "{e:?}");
    // A viewer of the site reads but does not decide.
    let viewer = actor(Role::Viewer, Some(f.valencia));
    assert_eq!(f.app.soa_view(&viewer, scope).await.unwrap().doc.lines.len(), 93);
    let e = f.app.set_soa_entry(&viewer, scope, "5.3", None, decided("x")).await.unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
}

async fn an_incomplete_statement_cannot_be_frozen_and_a_complete_one_is_approved_by_signature(db: TestDb) {
    let f = fx(&db).await;
    let scope = scope_of(&f, f.wichita).await;
    let e = f.app.freeze_soa(&f.op, scope, "try").await.unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(e, AppError::Conflict(_))
            && msg.contains("31 controls without a decision")
            && msg.contains("8.4, 8.5"),
        "{msg}"
    );
    for c in c981_domain::annex_a::controls().iter().skip(62) {
        f.app
            .set_soa_entry(&f.op, scope, &c.id.to_string(), None, decided("Needed by the systems in scope"))
            .await
            .unwrap();
    }
    let v1 = f.app.freeze_soa(&f.op, scope, "First complete statement").await.unwrap();
    assert_eq!(v1.data.number, 1);
    let e = f.app.freeze_soa(&f.op, scope, "again").await.unwrap_err();
    assert!(e.to_string().contains("nothing changed since version 1"), "{e}");
    // Approval: an approver of the site signs the frozen version; its author may not.
    let anna = account(&f, "anna", "Anna Approver", Role::Approver, Some(f.wichita)).await;
    let pw = || Reauth::Password { password: PW.into(), code: None };
    let s = f
        .app
        .sign::<SoaVersion>(&anna, v1.id.get(), Meaning::Approved, Some("Reviewed with the plant manager".into()), pw())
        .await
        .unwrap();
    assert_eq!(s.printed_name, "Anna Approver");
    let wrong = Reauth::Password { password: "not it".into(), code: None };
    assert!(f.app.sign::<SoaVersion>(&anna, v1.id.get(), Meaning::Approved, None, wrong).await.is_err());
    let d = f.app.soa_dashboard(&f.op, Some(f.wichita)).await.unwrap();
    assert_eq!(d.scopes[0].approval, ApprovalState::Approved);
    // A later change shows, and is compared field by field.
    let mut changed = decided("Needed by the systems in scope");
    changed.status = Some("partial".into());
    changed.implementation = Some("Two of three lines done".into());
    let entry = f
        .app
        .soa_view(&f.op, scope)
        .await
        .unwrap()
        .doc
        .lines
        .iter()
        .find(|l| l.control == "8.34")
        .unwrap()
        .entry_version;
    f.app.set_soa_entry(&f.op, scope, "8.34", entry, changed).await.unwrap();
    let view = f.app.soa_view(&f.op, scope).await.unwrap();
    assert!(view.changed_since_latest);
    let d = f.app.soa_dashboard(&f.op, Some(f.wichita)).await.unwrap();
    assert_eq!(d.scopes[0].approval, ApprovalState::ChangedSinceApproval);
    let v2 = f.app.freeze_soa(&f.op, scope, "8.34 under way").await.unwrap();
    assert_eq!(v2.data.number, 2);
    let c = f.app.compare_soa(&f.op, scope, "1", "2").await.unwrap();
    assert_eq!(c.diffs.len(), 1, "{:?}", c.diffs);
    assert_eq!(c.diffs[0].control, "8.34");
    let fields: Vec<&str> = c.diffs[0].changes.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["status", "implementation"]);
    assert!(f.app.compare_soa(&f.op, scope, "2", "current").await.unwrap().diffs.is_empty());
    // Versions are immutable, even for the store.
    let e = f
        .app
        .store()
        .update::<SoaVersion>(
            &SiteScope::All,
            v1.id.get(),
            None,
            &c981_store::AuditMeta {
                at: f.app.now(),
                actor_id: "t".into(),
                actor_name: "t".into(),
                actor_role: "administrator".into(),
                channel: Channel::Cli,
                request_id: "r".into(),
                reason: None,
            },
            |r| {
                let mut d = r.data.clone();
                d.note = c981_domain::values::Text::parse("rewritten").unwrap();
                Ok(d)
            },
        )
        .await;
    assert!(e.is_err(), "a frozen version was rewritten");
    let e = f.app.delete::<IsmsScope>(&f.op, scope, None).await.unwrap_err();
    assert!(e.to_string().contains("versions of its statement of applicability"), "{e}");
    // The audit trail holds the freeze and the signature.
    let q = AuditQuery { entity_type: Some(EntityKind::SoaVersion), ..Default::default() };
    let entries = f.app.store().audit_entries(&SiteScope::All, &q).await.unwrap();
    assert!(entries.iter().any(|e| e.draft.action == Action::Create));
}

async fn implemented_requirements_in_the_scope_suggest_evidence_without_deciding(db: TestDb) {
    let f = fx(&db).await;
    let scope = scope_of(&f, f.valencia).await;
    let view = f.app.soa_view(&f.op, scope).await.unwrap();
    // The demo implements SR 5.1 and others in the zones: the crosswalk relates them to 8.22.
    let s = view.suggestions.get("8.22").expect("a suggestion for 8.22");
    assert!(s.iter().all(|x| x.requirement.starts_with("SR 5.1") && !x.linked), "{s:?}");
    assert!(
        view.doc.lines.iter().find(|l| l.control == "8.22").unwrap().entry_id.is_none(),
        "nothing decided for the person"
    );
}

async fn the_crosswalk_is_seeded_informative_and_edited_by_managers_of_every_site(db: TestDb) {
    let f = fx(&db).await;
    let all = f.app.crosswalk(&f.op, None, None).await.unwrap();
    assert_eq!(all.len(), c981_domain::iso27001::default_crosswalk().len());
    assert!(all.iter().all(|l| l.informative && !l.target_title.is_empty() && !l.control_title.is_empty()));
    let l = f.app.crosswalk(&f.op, Some("A.8.22"), None).await.unwrap();
    assert_eq!((l[0].link.target.as_str(), l[0].link.relationship.as_str()), ("SR 5.1", "equal"));
    let engineer = actor(Role::SiteEngineer, Some(f.lyon));
    let e = f.app.put_crosswalk_link(&engineer, "8.9", "iec62443-3-3", "SR 7.6", "intersects", "x").await.unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    let e = f.app.put_crosswalk_link(&f.op, "8.9", "iec62443-3-3", "SR 9.1", "intersects", "x").await.unwrap_err();
    assert_eq!(fields_of(&e), ["target"]);
    let e = f.app.put_crosswalk_link(&f.op, "8.9", "iec62443-3-3", "SR 7.6", "overlaps", "x").await.unwrap_err();
    assert_eq!(fields_of(&e), ["relationship"]);
    let e = f.app.put_crosswalk_link(&f.op, "8.9", "iec62443-3-3", "SR 7.6", "equal", " ").await.unwrap_err();
    assert_eq!(fields_of(&e), ["basis"]);
    let v = f
        .app
        .put_crosswalk_link(
            &f.op,
            "8.9",
            "iec62443-3-3",
            "sr 7.6",
            "superset",
            "Baselines cover more than network settings",
        )
        .await
        .unwrap();
    assert!(!v.informative && v.link.relationship == "superset");
    let removed = f.app.delete_crosswalk_link(&f.op, v.link.id).await.unwrap();
    assert_eq!(removed.target, "SR 7.6");
    // Removed links stay removed (the defaults are installed once).
    assert!(
        f.app
            .crosswalk(&f.op, Some("8.9"), Some("iec62443-3-3"))
            .await
            .unwrap()
            .iter()
            .all(|l| l.link.target != "SR 7.6")
    );
    let q = AuditQuery { entity_type: Some(EntityKind::Crosswalk), ..Default::default() };
    let actions: Vec<Action> =
        f.app.store().audit_entries(&SiteScope::All, &q).await.unwrap().iter().map(|e| e.draft.action).collect();
    assert_eq!(actions, [Action::Update, Action::Delete]);
}

async fn catalogues_import_licensed_texts_and_the_organisations_own(db: TestDb) {
    let f = fx(&db).await;
    let cats = f.app.catalogs(&f.op).await.unwrap();
    let keys: Vec<&str> = cats.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["iso27001-2022-annex-a", "iso27001-2022-clauses", "iec62443-3-3"]);
    assert_eq!((cats[0].items, cats[1].items), (93, 41));
    // A bad file is refused line by line, and nothing is stored.
    let bad = "id,description\n5.1,Our licensed text\nA.12.6.1,Old numbering\n9.9,Nothing\n";
    let e = f
        .app
        .import_catalog(&f.op, "iso27001-2022-annex-a", None, None, "annex-a.csv", bad.as_bytes())
        .await
        .unwrap_err();
    let msgs: Vec<String> = match &e {
        AppError::Invalid(v) => v.errors.iter().map(|x| x.message.clone()).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs.iter().all(|m| m.starts_with("annex-a.csv")), "{msgs:?}");
    assert_eq!(f.app.annex_a_texts(&f.op).await.unwrap().len(), 0);
    let e = f
        .app
        .import_catalog(&f.op, "iso27001-2022-annex-a", None, None, "x.csv", b"id,colour\n5.1,red\n")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("x.csv:1") || fields_of(&e) == ["file"], "{e}");
    let good = "\u{feff}ID,Title,Description,Guidance\nA.5.1,Policies for information security,Licensed statement of 5.1,Licensed guidance\n8.20,,Licensed statement of 8.20,\n";
    let c =
        f.app.import_catalog(&f.op, "iso27001-2022-annex-a", None, None, "annex-a.csv", good.as_bytes()).await.unwrap();
    assert_eq!((c.items, c.described), (2, 2));
    let texts = f.app.annex_a_texts(&f.op).await.unwrap();
    assert_eq!(texts["5.1"].0, "Licensed statement of 5.1");
    // The organisation's own catalogue, versioned; the crosswalk can point at it.
    let csf = "id,title,group\nGV.OC,Organizational Context,GOVERN\nPR.AA,\"Identity Management, Authentication, and Access Control\",PROTECT\n";
    let e =
        f.app.import_catalog(&f.op, "nist-csf", None, Some("NIST CSF"), "csf.csv", csf.as_bytes()).await.unwrap_err();
    assert_eq!(fields_of(&e), ["version"]);
    let c = f
        .app
        .import_catalog(&f.op, "nist-csf", Some("2.0"), Some("NIST Cybersecurity Framework"), "csf.csv", csf.as_bytes())
        .await
        .unwrap();
    assert_eq!((c.version.as_str(), c.items), ("2.0", 2));
    let v = f
        .app
        .put_crosswalk_link(&f.op, "5.15", "nist-csf", "PR.AA", "intersects", "Access control outcomes")
        .await
        .unwrap();
    assert_eq!(v.target_title, "Identity Management, Authentication, and Access Control");
    let e = f.app.put_crosswalk_link(&f.op, "5.15", "nist-csf", "PR.XX", "intersects", "x").await.unwrap_err();
    assert_eq!(fields_of(&e), ["target"]);
    let viewer = actor(Role::Viewer, None);
    assert!(matches!(
        f.app.import_catalog(&viewer, "nist-csf", Some("2.1"), Some("x"), "csf.csv", csf.as_bytes()).await.unwrap_err(),
        AppError::Forbidden(_)
    ));
    let q = AuditQuery { entity_type: Some(EntityKind::Catalog), ..Default::default() };
    let entries = f.app.store().audit_entries(&SiteScope::All, &q).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e.draft.action == Action::Import && e.draft.changes.contains("SHA-256")));
}

async fn evidence_files_are_hashed_by_the_server_and_checked_on_download(db: TestDb) {
    let f = fx(&db).await;
    let input = EvidenceInput {
        site_id: Some(f.lyon.to_string()),
        title: Some("Penetration test report".into()),
        kind: Some("file".into()),
        sha256: Some("ab".repeat(32)),
        evidence_date: Some("2027-02-01".into()),
        ..Default::default()
    };
    let e = f.app.create::<Evidence>(&f.op, &input).await.unwrap();
    assert_eq!(e.data.sha256, None, "a client's hash for a file is not trusted");
    let bytes = b"%PDF-1.7 the report".to_vec();
    let r = f.app.upload_evidence(&f.op, e.id.get(), "pentest 2027.pdf", "application/pdf", &bytes).await.unwrap();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    assert_eq!((r.data.sha256.as_deref(), r.data.size), (Some(sha.as_str()), Some(bytes.len() as i64)));
    let (name, file) = f.app.evidence_download(&f.op, e.id.get()).await.unwrap();
    assert_eq!((name.as_str(), file.content), ("pentest 2027.pdf", bytes.clone()));
    // An edit keeps the server's file fields.
    let patched = f
        .app
        .patch::<Evidence>(
            &f.op,
            e.id.get(),
            None,
            &serde_json::json!({ "sha256": "cd".repeat(32), "title": "Pentest" }),
        )
        .await
        .unwrap();
    assert_eq!(patched.data.sha256.as_deref(), Some(sha.as_str()));
    // Another site's engineer cannot read it.
    let other = actor(Role::SiteEngineer, Some(f.wichita));
    assert!(f.app.evidence_download(&other, e.id.get()).await.is_err());
    // Altered in the database: refused.
    sqlx::query("UPDATE evidence_files SET content = $1 WHERE evidence_id = $2")
        .bind(b"tampered".to_vec())
        .bind(e.id.get())
        .execute(f.app.store().raw_pool())
        .await
        .unwrap();
    let e2 = f.app.evidence_download(&f.op, e.id.get()).await.unwrap_err();
    assert!(matches!(e2, AppError::Conflict(_)), "{e2:?}");
}

fn oscal_validator() -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../c981-report/tests/oscal-validate/validate.py");
    match std::env::var_os("C981_OSCAL_PYTHON") {
        Some(p) if !p.is_empty() => Some((p.into(), script)),
        _ => {
            assert!(
                !std::env::var("C981_REQUIRE_OSCAL").is_ok_and(|v| v == "1"),
                "C981_REQUIRE_OSCAL=1 needs C981_OSCAL_PYTHON"
            );
            eprintln!("SKIPPED: OSCAL schema validation needs C981_OSCAL_PYTHON");
            None
        }
    }
}

async fn the_statement_exports_to_xlsx_csv_pdf_and_valid_oscal(db: TestDb) {
    let f = fx(&db).await;
    let scope = scope_of(&f, f.lyon).await;
    // A justification that a spreadsheet would run as a formula.
    let v = f.app.soa_view(&f.op, scope).await.unwrap();
    let line = v.doc.lines.iter().find(|l| l.control == "5.7").unwrap();
    let mut input = decided("=HYPERLINK(\"http://evil\")");
    input.status = Some("planned".into());
    f.app.set_soa_entry(&f.op, scope, "5.7", line.entry_version, input).await.unwrap();
    let current = f.app.soa_export(&f.op, scope, Which::Current).await.unwrap();
    let at = f.app.now();
    let xlsx = render_soa(&current, ExportFormat::Xlsx, at, "manager").unwrap();
    assert_eq!(&xlsx[..2], b"PK");
    let csv = String::from_utf8(render_soa(&current, ExportFormat::Csv, at, "manager").unwrap()).unwrap();
    assert_eq!(csv.lines().count(), 94, "a header and 93 controls");
    assert!(csv.contains("'=HYPERLINK"), "formula neutralised");
    let pdf = render_soa(&current, ExportFormat::Pdf, at, "manager").unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    // The frozen version carries its signatures into the documents.
    let latest = f.app.soa_export(&f.op, scope, Which::Latest).await.unwrap();
    assert_eq!(latest.version, Some(1));
    let o = f.app.soa_oscal(&f.op, scope, Which::Latest).await.unwrap();
    let ssp: serde_json::Value = serde_json::from_str(&o.ssp).unwrap();
    let reqs = ssp["system-security-plan"]["control-implementation"]["implemented-requirements"].as_array().unwrap();
    assert_eq!(reqs.len(), 93);
    let catalog: serde_json::Value = serde_json::from_str(&o.catalog).unwrap();
    let n: usize =
        catalog["catalog"]["groups"].as_array().unwrap().iter().map(|g| g["controls"].as_array().unwrap().len()).sum();
    assert_eq!(n, 93);
    if let Some((python, script)) = oscal_validator() {
        let dir = tempfile::tempdir().unwrap();
        // The validator takes the catalog, the SSP and the profile, in that order.
        let paths = [dir.path().join("catalog.json"), dir.path().join("ssp.json"), dir.path().join("profile.json")];
        for (p, body) in paths.iter().zip([&o.catalog, &o.ssp, &o.profile]) {
            std::fs::write(p, body).unwrap();
        }
        let out = std::process::Command::new(python).arg(script).args(&paths).output().unwrap();
        assert!(
            out.status.success(),
            "OSCAL validation failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

async fn the_evidence_bundle_verifies_and_its_manifest_is_in_the_audit_trail(db: TestDb) {
    let f = fx(&db).await;
    let scope = scope_of(&f, f.lyon).await;
    let e = f
        .app
        .create::<Evidence>(
            &f.op,
            &EvidenceInput {
                site_id: Some(f.lyon.to_string()),
                title: Some("Restore test log".into()),
                kind: Some("file".into()),
                evidence_date: Some("2027-02-10".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    f.app.upload_evidence(&f.op, e.id.get(), "restore.log", "text/plain", b"restore ok").await.unwrap();
    let line = f.app.soa_view(&f.op, scope).await.unwrap().doc.lines.into_iter().find(|l| l.control == "8.13").unwrap();
    let mut input = decided("Backups of SCADA and PLC programs");
    input.evidence_ids = line.evidence.iter().map(|x| x.id.to_string()).chain([e.id.to_string()]).collect();
    f.app.set_soa_entry(&f.op, scope, "8.13", line.entry_version, input).await.unwrap();
    let viewer = actor(Role::Viewer, Some(f.lyon));
    assert!(matches!(
        f.app.soa_bundle(&viewer, scope, Which::Current, "2026-01-01", "2027-12-31").await.unwrap_err(),
        AppError::Forbidden(_)
    ));
    let e2 = f.app.soa_bundle(&f.op, scope, Which::Current, "2027-12-31", "2026-01-01").await.unwrap_err();
    assert_eq!(fields_of(&e2), ["to"]);
    let b = f.app.soa_bundle(&f.op, scope, Which::Current, "2026-01-01", "2027-12-31").await.unwrap();
    for want in [
        "oscal/ssp.json",
        "oscal/catalog.json",
        "risks/risk-register.xlsx",
        "scope/scope.json",
        "audit/audit-trail.csv",
    ] {
        assert!(b.files.iter().any(|x| x == want), "{want} missing from {:?}", b.files);
    }
    assert!(b.files.iter().any(|x| x.starts_with("evidence/") && x.ends_with("restore.log")), "{:?}", b.files);
    let report = c981_report::bundle::verify(&b.bytes).unwrap();
    assert!(report.is_intact() && report.manifest_matches(&b.manifest_sha256));
    assert!(f.app.bundle_recorded(&f.op, &b.manifest_sha256).await.unwrap().is_some());
    assert!(f.app.bundle_recorded(&f.op, &"0".repeat(64)).await.unwrap().is_none());
}

async fn scopes_refuse_what_they_cannot_hold(db: TestDb) {
    let f = fx(&db).await;
    let wichita_zone = f
        .app
        .list::<c981_domain::Zone>(&f.op, &ListParams { site_id: Some(f.wichita), ..Default::default() })
        .await
        .unwrap()
        .items[0]
        .id;
    let input = IsmsScopeInput {
        site_id: Some(f.lyon.to_string()),
        name: Some("Second scope".into()),
        statement: Some("Packaging hall".into()),
        exclusions: Some("none".into()),
        zone_ids: vec![wichita_zone.to_string()],
        ..Default::default()
    };
    let e = f.app.create::<IsmsScope>(&f.op, &input).await.unwrap_err();
    assert_eq!(fields_of(&e), ["zone_ids"]);
    let e = f
        .app
        .create::<IsmsScope>(&f.op, &IsmsScopeInput { exclusions: None, zone_ids: vec![], ..input.clone() })
        .await
        .unwrap_err();
    assert_eq!(fields_of(&e), ["exclusions"]);
    let s = f.app.create::<IsmsScope>(&f.op, &IsmsScopeInput { zone_ids: vec![], ..input }).await.unwrap();
    assert_eq!(f.app.soa_view(&f.op, s.id.get()).await.unwrap().coverage.undecided, 93);
    // An entry through the generic route needs a real scope of its own site.
    let e = f
        .app
        .create::<SoaEntry>(
            &f.op,
            &SoaEntryInput {
                site_id: Some(f.wichita.to_string()),
                scope_id: Some(s.id.to_string()),
                control: Some("5.1".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(fields_of(&e), ["scope_id"]);
}

backend_tests!(
    the_demo_statements_stand_at_three_stages,
    a_decision_needs_its_justification_either_way,
    an_incomplete_statement_cannot_be_frozen_and_a_complete_one_is_approved_by_signature,
    implemented_requirements_in_the_scope_suggest_evidence_without_deciding,
    the_crosswalk_is_seeded_informative_and_edited_by_managers_of_every_site,
    catalogues_import_licensed_texts_and_the_organisations_own,
    evidence_files_are_hashed_by_the_server_and_checked_on_download,
    the_statement_exports_to_xlsx_csv_pdf_and_valid_oscal,
    the_evidence_bundle_verifies_and_its_manifest_is_in_the_audit_trail,
    scopes_refuse_what_they_cannot_hold,
);
