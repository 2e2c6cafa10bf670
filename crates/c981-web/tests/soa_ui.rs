//! The ISMS pages over the demo estate, on SQLite and PostgreSQL: a new scope's Statement of
//! Applicability (93 controls, incomplete), a control decided through its form, an exclusion
//! without a reason refused beside its field, a stale form refused, freezing refused while
//! incomplete; a frozen version approved with an electronic signature, compared with the
//! working statement, printed and frozen again; the dashboard; the crosswalk with its
//! informative defaults and its editor; the catalogues and their import (errors name
//! file:line); and an evidence file uploaded with the CSRF token as the first part, its SHA-256
//! shown and the file downloaded.

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use c981_app::identity::AuthSettings;
use c981_app::{Actor, App, Ctx, FixedClock, ListParams, Role};
use c981_domain::audit::Channel;
use c981_domain::{IsmsScope, Risk, SiteId, Timestamp};
use c981_testkit::{TestDb, backend_tests};
use http_body_util::BodyExt;
use tower::ServiceExt;

struct World {
    app: App,
    router: Router,
    lyo: i64,
    _dir: tempfile::TempDir,
}

/// The demo (Lyon's statement frozen as version 1), an administrator of every site (`ada`), an
/// engineer (`eli`), an approver (`anna`) and a viewer (`lena`) of Lyon.
async fn world(db: &TestDb) -> World {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock(Timestamp::parse("2026-12-01T08:00:00Z").unwrap()));
    let app = App::new(db.store().await, clock, dir.path().join("audit.key"))
        .with_auth(AuthSettings { mfa_roles: Vec::new(), ..Default::default() });
    let sys = Ctx::new(Actor::system("test"), Channel::System, "t");
    c981_app::demo::load_demo(&app, &sys).await.unwrap();
    let lyo = app.store().site_by_code(&c981_store::SiteScope::All, "LYO").await.unwrap().unwrap().id.get();
    common::account(&app, "ada", "Ada Admin", common::all(Role::Administrator)).await;
    common::account(&app, "eli", "Eli Engineer", common::on(Role::SiteEngineer, lyo)).await;
    common::account(&app, "anna", "Anna Approver", common::on(Role::Approver, lyo)).await;
    common::account(&app, "lena", "Lena of Lyon", common::on(Role::Viewer, lyo)).await;
    let router = c981_web::router(c981_web::AppState::new(app.clone()));
    World { app, router, lyo, _dir: dir }
}

fn sys() -> Ctx {
    Ctx::new(Actor::system("test"), Channel::System, "t")
}

async fn send(w: &World, req: Request<Body>) -> (StatusCode, String, Vec<u8>) {
    let res = w.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let location = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, location, body)
}

async fn get(w: &World, b: &common::Browser, path: &str) -> (StatusCode, String) {
    let req = Request::get(path).header(header::COOKIE, &b.cookie).body(Body::empty()).unwrap();
    let (s, loc, body) = send(w, req).await;
    let text = String::from_utf8(body).unwrap_or_default();
    (s, if s == StatusCode::SEE_OTHER { loc } else { text })
}

async fn post(w: &World, b: &common::Browser, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    ser.append_pair("_csrf", &b.csrf);
    for (k, v) in form {
        ser.append_pair(k, v);
    }
    let req = Request::post(path)
        .header(header::COOKIE, &b.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(ser.finish()))
        .unwrap();
    let (s, loc, body) = send(w, req).await;
    (s, loc, String::from_utf8(body).unwrap_or_default())
}

/// A multipart form as a browser sends it: the CSRF token first, then the fields, then the
/// file.
async fn upload(
    w: &World,
    b: &common::Browser,
    path: &str,
    fields: &[(&str, &str)],
    name: &str,
    file: &[u8],
) -> (StatusCode, String, String) {
    let boundary = "----c981soa7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    let mut part = |name: &str, value: &str| {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    };
    part("_csrf", &b.csrf);
    for (k, v) in fields {
        part(k, v);
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(path)
        .header(header::COOKIE, &b.cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let (s, loc, body) = send(w, req).await;
    (s, loc, String::from_utf8(body).unwrap_or_default())
}

/// The id at the end of a redirect such as `/scopes/12`.
fn id_in(location: &str, prefix: &str) -> i64 {
    location
        .strip_prefix(prefix)
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{location:?} is not under {prefix}"))
}

/// The row of control `control` in a statement page.
fn row<'a>(html: &'a str, control: &str) -> &'a str {
    let start = html.find(&format!("id=\"c-{control}\"")).unwrap_or_else(|| panic!("no row for {control}"));
    let rest = &html[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

/// The hidden entry version of a decision form.
fn form_version(html: &str) -> String {
    let at = html.find("name=\"version\" value=\"").expect("no version in the form") + 22;
    html[at..].split('"').next().unwrap().to_owned()
}

async fn lyon_scope(w: &World) -> i64 {
    let p = ListParams { site_id: Some(SiteId::new(w.lyo)), limit: Some(10), ..Default::default() };
    w.app.list::<IsmsScope>(&sys(), &p).await.unwrap().items[0].id.get()
}

async fn a_new_scope_is_decided_control_by_control(db: TestDb) {
    let w = world(&db).await;
    let eli = common::login(&w.app, "eli").await;
    let lyo = w.lyo.to_string();
    // The scope through its generic form.
    let (s, loc, body) = post(
        &w,
        &eli,
        "/scopes/new",
        &[
            ("site_id", lyo.as_str()),
            ("name", "Packaging hall ISMS"),
            ("statement", "The packaging hall of the Lyon plant: its lines, their HMIs and the historian."),
            ("exclusions", "None."),
            ("owner", "OT security lead"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let scope = id_in(&loc, "/scopes/");
    let (s, html) = get(&w, &eli, &format!("/scopes/{scope}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("href=\"/scopes/{scope}/soa\"")), "no link to the statement");
    // 93 controls, none decided.
    let (s, html) = get(&w, &eli, &format!("/scopes/{scope}/soa")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(html.matches("id=\"c-").count(), 93);
    assert!(html.contains("Incomplete"), "no completeness banner");
    assert!(html.contains("93 undecided, 0 unjustified"), "no counts");
    assert!(html.contains("<svg"), "no coverage picture");
    assert!(html.contains("Freeze as version 1 for approval"));
    assert!(html.contains(&format!("/api/v1/scopes/{scope}/soa-export?format=xlsx")), "no export link");
    // The evidence bundle holds an audit-trail extract: offered to those who read the audit trail.
    let bundle = format!("action=\"/api/v1/scopes/{scope}/evidence-bundle\"");
    assert!(!html.contains(&bundle) && html.contains("Building it needs the auditor"), "an engineer builds no bundle");
    let ada = common::login(&w.app, "ada").await;
    let (_, admin_html) = get(&w, &ada, &format!("/scopes/{scope}/soa")).await;
    assert!(admin_html.contains(&bundle), "no bundle form");
    // Filters.
    let (_, html) = get(&w, &eli, &format!("/scopes/{scope}/soa?theme=people")).await;
    assert_eq!(html.matches("id=\"c-").count(), 8, "the people theme has 8 controls");
    // A decision through the control's form, with a risk of the site.
    let risks = w
        .app
        .list::<Risk>(&sys(), &ListParams { site_id: Some(SiteId::new(w.lyo)), ..Default::default() })
        .await
        .unwrap();
    let risk = risks.items[0].id.get().to_string();
    let (s, html) = get(&w, &eli, &format!("/scopes/{scope}/soa/8.20")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Networks security"));
    assert!(html.contains("Informative — implementing an SR in a zone suggests evidence; you decide"), "{html}");
    assert!(html.contains(&format!("name=\"risk_ids\" value=\"{risk}\"")), "the site's risks are offered");
    assert_eq!(form_version(&html), "0");
    let (s, loc, body) = post(
        &w,
        &eli,
        &format!("/scopes/{scope}/soa/8.20"),
        &[
            ("version", "0"),
            ("applicability", "applicable"),
            ("justification", "Flat plant network: the risks of the register name it."),
            ("status", "planned"),
            ("owner", "Network team"),
            ("risk_ids", &risk),
            ("requirements", "SR 5.1, sr 5.2"),
            ("next_review", "2027-06-30"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(loc, format!("/scopes/{scope}/soa?saved=8.20#c-8.20"));
    let (_, html) = get(&w, &eli, &format!("/scopes/{scope}/soa?saved=8.20")).await;
    assert!(html.contains("The decision for control 8.20 was saved."));
    let r = row(&html, "8.20");
    assert!(r.contains("Applicable") && r.contains("Planned") && r.contains("Network team"), "{r}");
    assert!(html.contains("92 undecided, 0 unjustified"));
    let (_, html) = get(&w, &eli, &format!("/scopes/{scope}/soa/8.20")).await;
    assert_eq!(form_version(&html), "1");
    assert!(html.contains("SR 5.1, SR 5.2"), "the requirements as stored");
    // An exclusion without its reason: the field error beside the justification.
    let (s, _, html) = post(
        &w,
        &eli,
        &format!("/scopes/{scope}/soa/5.1"),
        &[("version", "0"), ("applicability", "not_applicable"), ("justification", "  ")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"e-justification\""), "the error is not beside its field");
    assert!(html.contains("an exclusion needs its reason"), "{html}");
    assert!(html.contains("value=\"not_applicable\" selected"), "the form keeps what was typed");
    // A form of a version that is no longer current.
    let (s, _, html) = post(
        &w,
        &eli,
        &format!("/scopes/{scope}/soa/8.20"),
        &[("version", "0"), ("applicability", "applicable"), ("justification", "Someone else's older view")],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{html}");
    assert!(html.contains("Your changes are kept below"));
    // Freezing while incomplete: the refusal of the use case.
    let (s, _, html) = post(&w, &eli, &format!("/scopes/{scope}/soa/freeze"), &[("note", "First try")]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("The statement was not frozen"), "{html}");
    assert!(html.contains("92 controls without a decision"), "{html}");
    assert!(html.contains("First try"), "the note is kept");
    // A viewer reads the decision but cannot change it.
    let lena = common::login(&w.app, "lena").await;
    let (s, html) = get(&w, &lena, &format!("/scopes/{scope}/soa/8.20")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("Save the decision"));
    let (s, _, _) = post(
        &w,
        &lena,
        &format!("/scopes/{scope}/soa/8.20"),
        &[("version", "1"), ("applicability", "applicable"), ("justification", "x")],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The entry's own page leads back to its decision.
    let (_, html) = get(&w, &eli, &format!("/scopes/{scope}/soa/8.20")).await;
    let at = html.find("href=\"/soa-entries/").unwrap() + 19;
    let entry: String = html[at..].chars().take_while(char::is_ascii_digit).collect();
    let (s, html) = get(&w, &eli, &format!("/soa-entries/{entry}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("href=\"/scopes/{scope}/soa/8.20\"")));
}

async fn a_version_is_approved_compared_printed_and_superseded(db: TestDb) {
    let w = world(&db).await;
    let scope = lyon_scope(&w).await;
    let version = w.app.soa_version_by_number(&sys(), scope, 1).await.unwrap().id;
    let eli = common::login(&w.app, "eli").await;
    // The dashboard shows Lyon's scope, frozen and waiting for its approval.
    let (s, html) = get(&w, &eli, "/soa").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("href=\"/scopes/{scope}/soa\"")), "the scope is on the dashboard");
    assert!(html.contains("Awaiting approval"));
    assert!(html.contains("Approval of the statements"), "no approval picture");
    assert!(!html.contains("Wichita"), "another site on the dashboard");
    let (s, _) = get(&w, &eli, "/soa?site=LYO").await;
    assert_eq!(s, StatusCode::OK);
    // The version page, and the approver's signature.
    let (s, html) = get(&w, &eli, &format!("/scopes/{scope}/soa/versions/1")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Awaiting approval"));
    assert!(html.contains(&format!("href=\"/soa-versions/{version}/sign?meaning=approved\"")));
    let anna = common::login(&w.app, "anna").await;
    let (s, html) = get(&w, &anna, &format!("/soa-versions/{version}/sign?meaning=approved")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("value=\"approved\" selected"), "the meaning is preselected");
    let (s, loc, body) = post(
        &w,
        &anna,
        &format!("/soa-versions/{version}/sign"),
        &[("meaning", "approved"), ("reason", "Certification audit 2026"), ("password", common::PASSWORD)],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(loc, format!("/soa-versions/{version}#signatures"));
    let (s, loc) = get(&w, &anna, &format!("/soa-versions/{version}")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, format!("/scopes/{scope}/soa/versions/1"));
    let (_, html) = get(&w, &anna, &loc).await;
    assert!(html.contains("Anna Approver") && html.contains("Certification audit 2026"), "the signature is listed");
    assert!(html.contains("badge tone-ok\">Approved"), "the version is approved");
    // The printable version: cover with the signature, then the controls by theme.
    let (s, html) = get(&w, &eli, &format!("/scopes/{scope}/soa/print?version=1")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-print"));
    assert!(html.contains("Version 1") && html.contains("Approved") && html.contains("Anna Approver"));
    assert!(html.contains(" UTC</time>"), "signing time in UTC");
    assert!(html.contains("Technological controls (clause 8)"));
    // A changed decision, compared with the approved version.
    let (_, html) = get(&w, &eli, &format!("/scopes/{scope}/soa/5.1")).await;
    let v = form_version(&html);
    assert_ne!(v, "0", "the demo decided 5.1");
    let (s, _, body) = post(
        &w,
        &eli,
        &format!("/scopes/{scope}/soa/5.1"),
        &[
            ("version", &v),
            ("applicability", "applicable"),
            ("justification", "Clause 5.2 policy, reviewed for 2027."),
            ("status", "implemented"),
            ("implementation", "Information security policy ISP-01, approved by the plant manager."),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (s, html) = get(&w, &eli, &format!("/scopes/{scope}/soa/compare?from=1&to=current")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Compare version 1 with the working statement"));
    assert!(html.contains("Clause 5.2 policy, reviewed for 2027."), "the new value");
    assert!(html.contains("td class=\"old\""), "old → new");
    let (s, html) = get(&w, &eli, &format!("/scopes/{scope}/soa/compare?from=7&to=current")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("cannot be compared"));
    let (s, _) = get(&w, &eli, &format!("/scopes/{scope}/soa/compare?from=x&to=current")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The dashboard now says the approved statement changed; freezing makes version 2.
    let (_, html) = get(&w, &eli, "/soa").await;
    assert!(html.contains("Changed since approval"), "{html}");
    let (s, loc, body) =
        post(&w, &eli, &format!("/scopes/{scope}/soa/freeze"), &[("note", "Policy reviewed for 2027")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(loc, format!("/scopes/{scope}/soa/versions/2"));
    let (_, html) = get(&w, &eli, &loc).await;
    assert!(html.contains("Policy reviewed for 2027") && html.contains("Awaiting approval"));
    let (_, html) = get(&w, &eli, &format!("/scopes/{scope}/soa")).await;
    assert!(html.contains("Complete"), "the demo's statement is complete");
    assert!(html.contains("href=\"/scopes/") && html.contains("/soa/versions/2\""), "both versions listed");
    // Freezing again with nothing changed is refused with the use case's reason.
    let (s, _, html) = post(&w, &eli, &format!("/scopes/{scope}/soa/freeze"), &[]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("nothing changed since version 2"), "{html}");
    // The download links and the bundle form point to the API, which the session cookie reaches.
    let ada = common::login(&w.app, "ada").await;
    for path in [
        format!("/api/v1/scopes/{scope}/soa-export?format=xlsx&version=current"),
        format!("/api/v1/scopes/{scope}/soa-export?format=pdf&version=1"),
        format!("/api/v1/scopes/{scope}/soa-export?format=oscal-ssp&version=latest"),
        format!("/api/v1/scopes/{scope}/evidence-bundle?from=2026-01-01&to=2026-12-01&version=2"),
    ] {
        let req = Request::get(&path).header(header::COOKIE, &ada.cookie).body(Body::empty()).unwrap();
        let (s, _, bytes) = send(&w, req).await;
        assert_eq!(s, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&bytes));
        assert!(!bytes.is_empty(), "{path}");
    }
}

async fn the_crosswalk_and_the_catalogues(db: TestDb) {
    let w = world(&db).await;
    let eli = common::login(&w.app, "eli").await;
    let (s, html) = get(&w, &eli, "/crosswalk").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("The default links are informative"));
    assert!(html.contains("badge tone-info\">informative"), "default links are badged informative");
    assert!(html.contains("SR 5.1"), "the IEC 62443-3-3 targets");
    assert!(!html.contains("Save the link"), "an engineer of one site does not edit the crosswalk");
    let (s, _, html) = post(
        &w,
        &eli,
        "/crosswalk",
        &[
            ("control", "8.20"),
            ("catalog", "iec62443-3-3"),
            ("target", "SR 5.2"),
            ("relationship", "intersects"),
            ("basis", "x"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(html.contains("may not change the crosswalk"), "{html}");
    let (s, _) = get(&w, &eli, "/crosswalk?control=12.6.1").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // An administrator of every site adds, then removes, a link.
    let ada = common::login(&w.app, "ada").await;
    let (_, html) = get(&w, &ada, "/crosswalk?control=8.20").await;
    assert!(html.contains("Save the link"));
    let (s, _, html) = post(
        &w,
        &ada,
        "/crosswalk",
        &[
            ("control", "8.20"),
            ("catalog", "iec62443-3-3"),
            ("target", "SR 7.6"),
            ("relationship", "intersects"),
            ("basis", " "),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Basis is required"), "{html}");
    let (s, loc, body) = post(
        &w,
        &ada,
        "/crosswalk",
        &[
            ("control", "A.8.20"),
            ("catalog", "iec62443-3-3"),
            ("target", "sr 7.6"),
            ("relationship", "intersects"),
            ("basis", "Network and security configuration settings"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let link = loc.split("#link-").nth(1).unwrap().to_owned();
    let (_, html) = get(&w, &ada, &loc).await;
    assert!(html.contains("The link was saved.") && html.contains("set by a person"), "{html}");
    assert!(html.contains("Network and security configuration settings"));
    let (s, loc, _) =
        post(&w, &ada, &format!("/crosswalk/{link}/delete"), &[("back", "/crosswalk?control=8.20")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = get(&w, &ada, &loc).await;
    assert!(html.contains("The link was removed.") && !html.contains("Network and security configuration settings"));
    // The catalogues.
    let (s, html) = get(&w, &eli, "/catalogs").await;
    assert_eq!(s, StatusCode::OK);
    for key in ["iso27001-2022-annex-a", "iso27001-2022-clauses", "iec62443-3-3"] {
        assert!(html.contains(&format!(">{key}</a>")), "{key} is listed");
    }
    assert!(!html.contains("Import a catalogue"));
    let (s, html) = get(&w, &eli, "/catalogs/iso27001-2022-annex-a").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Networks security") && html.contains("93 items"));
    // An import with bad lines names them; a good one is listed with its items.
    let bad = b"id,title\nGV.OC-01,Organizational context\n,No id here\nGV.OC-01,Twice\n";
    let fields = [("key", "nist-csf"), ("version", "2.0"), ("title", "NIST Cybersecurity Framework 2.0")];
    let (s, _, html) = upload(&w, &ada, "/catalogs", &fields, "nist.csv", bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("nist.csv:3") && html.contains("nist.csv:4"), "{html}");
    let good = b"id,title,group,description\nGV.OC-01,Organizational context,GOVERN,The mission is understood\nID.AM-01,Hardware inventories,IDENTIFY,\n";
    let (s, _, html) = upload(&w, &ada, "/catalogs", &fields, "nist.csv", good).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Imported 2 items into nist-csf version 2.0"), "{html}");
    let (s, html) = get(&w, &eli, "/catalogs/nist-csf?version=2.0").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("GV.OC-01") && html.contains("The mission is understood"));
    let (s, _, _) = upload(&w, &eli, "/catalogs", &fields, "nist.csv", good).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn an_evidence_file_is_uploaded_and_downloaded(db: TestDb) {
    let w = world(&db).await;
    let eli = common::login(&w.app, "eli").await;
    let lyo = w.lyo.to_string();
    let (s, loc, body) = post(
        &w,
        &eli,
        "/evidence/new",
        &[
            ("site_id", lyo.as_str()),
            ("title", "Firewall rule review 2026"),
            ("kind", "record"),
            ("reference", "CHG-2211"),
            ("evidence_date", "2026-11-20"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let id = id_in(&loc, "/evidence/");
    let (_, html) = get(&w, &eli, &format!("/evidence/{id}")).await;
    assert!(html.contains("No file is uploaded.") && html.contains("enctype=\"multipart/form-data\""));
    let content = b"rule 1: deny any any\nrule 2: allow 10.10.0.0/16 -> historian:443\n";
    let (s, loc, body) = upload(&w, &eli, &format!("/evidence/{id}/upload"), &[], "fw-review.txt", content).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(loc, format!("/evidence/{id}#file"));
    let sha = c981_app::import::sha256_hex(content);
    let (_, html) = get(&w, &eli, &format!("/evidence/{id}")).await;
    assert!(html.contains(&sha), "the SHA-256 is shown");
    assert!(html.contains(&format!("href=\"/api/v1/evidence/{id}/file\"")), "a download link");
    assert!(html.contains("fw-review.txt"));
    let req = Request::get(format!("/api/v1/evidence/{id}/file"))
        .header(header::COOKIE, &eli.cookie)
        .body(Body::empty())
        .unwrap();
    let (s, _, bytes) = send(&w, req).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(bytes, content);
    // An empty file is refused beside the file input; a viewer may not upload.
    let (s, _, html) = upload(&w, &eli, &format!("/evidence/{id}/upload"), &[], "empty.txt", b"").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("File is empty"), "{html}");
    let lena = common::login(&w.app, "lena").await;
    let (s, _, _) = upload(&w, &lena, &format!("/evidence/{id}/upload"), &[], "x.txt", b"x").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Without the CSRF token the upload is refused.
    let fake = common::Browser { csrf: "not-the-token".into(), ..eli.clone() };
    let (s, _, _) = upload(&w, &fake, &format!("/evidence/{id}/upload"), &[], "x.txt", b"x").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

backend_tests!(
    a_new_scope_is_decided_control_by_control,
    a_version_is_approved_compared_printed_and_superseded,
    the_crosswalk_and_the_catalogues,
    an_evidence_file_is_uploaded_and_downloaded,
);
