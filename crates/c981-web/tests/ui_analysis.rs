//! The IEC 62443 analysis pages (findings, cross-domain paths, the zone diagram, the security
//! levels of zones and conduits) over the demo estate, in process, on SQLite and on PostgreSQL
//! (`sqlite::…` and `postgres::…`).

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use c981_analysis::findings::{Rule, Severity, Subject};
use c981_analysis::paths::{EntryKind, Options, Rank, TargetKind};
use c981_app::analysis::FindingQuery;
use c981_app::{Actor, App, Ctx, ListParams, Role};
use c981_domain::audit::Channel;
use c981_domain::{Conduit, ConduitId, RequirementStatus, SiteId, Zone};
use c981_testkit::{TestDb, backend_tests};
use http_body_util::BodyExt;
use tower::ServiceExt;

struct World {
    app: App,
    router: Router,
    sys: Ctx,
    /// Lyon (LYO) and Wichita (ICT) of the demo.
    lyo: i64,
    ict: i64,
    _dir: tempfile::TempDir,
}

/// The demo estate, an administrator of every site (`ada`) and a viewer of Lyon only (`lena`).
async fn world(db: &TestDb) -> World {
    let dir = tempfile::tempdir().unwrap();
    let app = common::app(db.store().await, dir.path());
    let sys = Ctx::new(Actor::system("test"), Channel::System, "t");
    c981_app::demo::load_demo(&app, &sys).await.unwrap();
    let site = |code: &'static str| {
        let app = app.clone();
        async move { app.store().site_by_code(&c981_store::SiteScope::All, code).await.unwrap().unwrap().id.get() }
    };
    let lyo = site("LYO").await;
    let ict = site("ICT").await;
    common::account(&app, "ada", "Ada Admin", common::all(Role::Administrator)).await;
    common::account(&app, "lena", "Lena of Lyon", common::on(Role::Viewer, lyo)).await;
    let router = c981_web::router(c981_web::AppState::new(app.clone()));
    World { app, router, sys, lyo, ict, _dir: dir }
}

async fn get(w: &World, user: &str, path: &str) -> (StatusCode, HeaderMap, String) {
    let b = common::login(&w.app, user).await;
    let req = Request::get(path)
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, &b.cookie)
        .body(Body::empty())
        .unwrap();
    let res = w.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

/// Text as maud writes it into HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The Content-Security-Policy forbids inline styles and scripts: no page may need them.
fn assert_csp_clean(path: &str, html: &str) {
    assert!(!html.contains("style=\""), "{path}: inline style attribute");
    assert!(!html.contains("<style"), "{path}: inline style element");
    for (i, _) in html.match_indices("<script") {
        let tag = &html[i..i + html[i..].find('>').unwrap()];
        assert!(tag.contains(" src=\""), "{path}: inline script {tag}");
    }
    for handler in [" onclick=", " onchange=", " onsubmit=", " onload=", "javascript:"] {
        assert!(!html.contains(handler), "{path}: inline event handler {handler}");
    }
}

async fn zone_named(w: &World, site: i64, name: &str) -> i64 {
    let p = ListParams { site_id: Some(SiteId::new(site)), limit: Some(1000), ..Default::default() };
    let zones = w.app.list::<Zone>(&w.sys, &p).await.unwrap();
    zones.items.iter().find(|z| z.data.name.as_str() == name).unwrap_or_else(|| panic!("no zone {name}")).id.get()
}

async fn the_findings_page_lists_a_known_finding_of_the_demo(db: TestDb) {
    let w = world(&db).await;
    let lyo = SiteId::new(w.lyo);
    let all = w.app.findings(&w.sys, &FindingQuery { site_id: Some(lyo), ..Default::default() }).await.unwrap();
    // The vendor's VNC session straight into the freeze dryers, past every conduit.
    let known = all
        .iter()
        .find(|f| f.rule == Rule::FlowWithoutConduit && f.message.contains("\"Lyophilisation control\""))
        .expect("the demo's flow into the lyophilisation zone without a conduit");
    let Subject::Flow(flow) = known.subject else { panic!("{known:?}") };

    let path = "/findings?site=LYO";
    let (status, _, html) = get(&w, "ada", path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&esc(&known.message)), "the message of the finding is shown");
    assert!(html.contains(&format!("href=\"/flows/{flow}\"")), "its subject is linked");
    assert!(html.contains(Rule::FlowWithoutConduit.basis()), "the basis of the rule is stated");
    for zone in &known.related {
        let Subject::Zone(z) = zone else { continue };
        assert!(html.contains(&format!("href=\"/zones/{z}\"")), "the zones it crosses are linked");
    }
    // Counts per severity, then one row per finding.
    let high = all.iter().filter(|f| f.severity == Severity::High).count();
    assert!(
        html.contains(&format!("<span class=\"stat-n\">{high}</span><span class=\"stat-l\">High</span>")),
        "{html}"
    );
    assert!(html.contains(&format!("<strong>{}</strong> findings", all.len())));
    assert_eq!(html.matches("<tr id=\"f-").count(), all.len());
    // The filters: the site select offers the sites, the rule select every rule.
    assert!(html.contains("<option value=\"LYO\" selected>"), "the site is selected");
    for r in Rule::ALL {
        assert!(html.contains(&format!("<option value=\"{}\"", r.code())), "rule {r} offered");
    }
    assert!(html.contains("href=\"/findings"), "the main navigation links the findings");
    assert!(html.contains("href=\"/paths"), "the main navigation links the paths");
    assert_csp_clean(path, &html);

    let q =
        FindingQuery { site_id: Some(lyo), min_severity: Some(Severity::High), rule: Some(Rule::FlowWithoutConduit) };
    let filtered = w.app.findings(&w.sys, &q).await.unwrap();
    assert!(!filtered.is_empty());
    let (status, _, html) = get(&w, "ada", "/findings?site=LYO&min_severity=high&rule=flow_without_conduit").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("<tr id=\"f-").count(), filtered.len(), "only the matching findings are listed");
    assert!(html.contains("<option value=\"high\" selected>"));
    assert!(html.contains("<option value=\"flow_without_conduit\" selected"));
}

async fn the_paths_page_shows_ranked_paths_with_zone_names(db: TestDb) {
    let w = world(&db).await;
    let lyo = SiteId::new(w.lyo);
    let opts = Options {
        from: vec![EntryKind::RemoteAccess],
        to: vec![TargetKind::Safety],
        rank: Rank::Hops,
        ..Options::default()
    };
    let found = w.app.paths(&w.sys, Some(lyo), &opts).await.unwrap();
    assert!(!found.paths.is_empty(), "the demo has paths from vendor access into the safety zone");
    let vra = zone_named(&w, w.lyo, "Vendor remote access").await;
    let sis = zone_named(&w, w.lyo, "Safety systems").await;

    let path = "/paths?site=LYO&from=remote_access&to=safety&rank=hops";
    let (status, _, html) = get(&w, "ada", path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("<strong>{}</strong> path", found.paths.len())), "the count is stated");
    assert!(html.contains("Ranked shortest first: fewest hops"), "the ranking is stated in words");
    assert!(html.contains("class=\"card path-card\""), "at least one path is shown");
    assert!(
        html.contains(&format!("<a href=\"/zones/{vra}\">Vendor remote access</a>")),
        "entry zone named and linked"
    );
    assert!(html.contains(&format!("<a href=\"/zones/{sis}\">Safety systems</a>")), "target zone named and linked");
    let first = &found.paths[0];
    for hop in &first.hops {
        for c in &hop.conduits {
            assert!(html.contains(&format!("href=\"/conduits/{c}\"")), "the conduits of the first path are linked");
        }
        if let Some(f) = hop.flows.first() {
            assert!(html.contains(&format!("href=\"/flows/{f}\"")), "the flows of the first path are linked");
        }
    }
    if found.paths.iter().any(|p| p.hops.iter().any(|h| h.conduits.is_empty())) {
        assert!(html.contains("no conduit"), "a hop without a conduit is flagged");
    }
    assert!(html.contains("Weakest SL") && html.contains("Undocumented") && html.contains("Unencrypted"));
    assert!(html.contains("name=\"from\" value=\"remote_access\" checked"), "the filters are kept");
    assert!(html.contains("<option value=\"hops\" selected>"));
    assert_csp_clean(path, &html);

    // Every path of the site, a page at a time.
    let all = w.app.paths(&w.sys, Some(lyo), &Options::default()).await.unwrap();
    assert!(all.paths.len() > 50, "the demo has more paths than one page");
    let (status, _, html) = get(&w, "ada", "/paths?site=LYO&page=2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<ol class=\"path-list\" start=\"51\">"), "the second page starts at path 51");
    assert!(html.contains(&format!("Showing 51–{} of {} paths", all.paths.len().min(100), all.paths.len())));
    assert!(html.contains("rel=\"prev\""));
}

async fn the_zone_diagram_page_embeds_the_svg(db: TestDb) {
    let w = world(&db).await;
    let path = format!("/sites/{}/zones-diagram", w.lyo);
    let (status, _, html) = get(&w, "ada", &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<svg"), "the diagram is inline");
    let fill = zone_named(&w, w.lyo, "Aseptic filling control").await;
    assert!(html.contains(&format!("/zones/{fill}")), "the zones of the diagram link to their pages");
    let download = format!("/api/v1/sites/{}/zone-diagram.svg", w.lyo);
    assert!(html.contains(&format!("href=\"{download}\" download=\"lyo-zones.svg\"")), "a download link");
    assert!(html.contains("href=\"/findings?site=LYO\"") && html.contains("href=\"/paths?site=LYO\""));
    assert_csp_clean(&path, &html);
    // The download works with the browser's session.
    let (status, headers, svg) = get(&w, "ada", &download).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("image/svg+xml"));
    assert!(svg.starts_with("<svg"));
    // Linked from the site's page and the dashboard.
    let (_, _, site_page) = get(&w, "ada", &format!("/sites/{}", w.lyo)).await;
    assert!(site_page.contains(&format!("href=\"{path}\"")), "the site page links the diagram");
    let (_, _, dashboard) = get(&w, "ada", "/").await;
    assert!(dashboard.contains(&format!("href=\"{path}\"")), "the dashboard links the diagram");
    // Not a site of the viewer of Lyon; not a site at all.
    let (status, _, _) = get(&w, "lena", &format!("/sites/{}/zones-diagram", w.ict)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(&w, "ada", "/sites/nope/zones-diagram").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_zone_page_shows_security_levels_and_requirement_coverage(db: TestDb) {
    let w = world(&db).await;
    let zone = zone_named(&w, w.lyo, "Lyophilisation control").await;
    let levels = w.app.zone_levels(&w.sys, c981_domain::ZoneId::new(zone)).await.unwrap();
    let p = ListParams {
        site_id: Some(SiteId::new(w.lyo)),
        filters: vec![("zone_id".into(), zone.to_string())],
        limit: Some(1000),
        ..Default::default()
    };
    let statuses = w.app.list::<RequirementStatus>(&w.sys, &p).await.unwrap();
    let recorded = statuses
        .items
        .iter()
        .find(|r| levels.coverage.iter().any(|c| c.requirement == r.data.requirement))
        .expect("the demo records requirement statuses for the lyophilisation zone");

    let path = format!("/zones/{zone}");
    let (status, _, html) = get(&w, "ada", &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Security levels (IEC 62443-3-3)"));
    assert!(html.contains("SL-T (target)") && html.contains("SL-A (achieved)") && html.contains("Gap"));
    for fr in ["IAC", "UC", "SI", "DC", "RDF", "TRE", "RA"] {
        assert!(html.contains(&format!(">{fr}</abbr>")), "the FR {fr} has a column");
    }
    let target: String = levels.target.levels().iter().map(|l| format!("<td class=\"num\">{l}</td>")).collect();
    assert!(html.contains(&target), "the target levels are shown in order");
    assert!(html.contains("SL-T against SL-A</title>"), "the chart is inline");
    assert!(html.contains("<table class=\"data coverage\">"), "the coverage table");
    assert_eq!(html.matches("<td class=\"nowrap mono\">").count(), levels.coverage.len(), "one row per requirement");
    assert!(
        html.contains(&format!("href=\"/requirement-statuses/{}/edit\"", recorded.id)),
        "a recorded status links to its edit form"
    );
    assert!(html.contains(&format!(">{}</a>", recorded.data.requirement)), "the requirement id links to the record");
    // The findings about the zone.
    let analysis = w.app.site_analysis(&w.sys, SiteId::new(w.lyo)).await.unwrap();
    let about: Vec<_> = analysis.findings_of(Subject::Zone(c981_domain::ZoneId::new(zone))).collect();
    assert!(!about.is_empty());
    assert!(html.contains(&format!("Findings about this zone <span class=\"count-badge\">{}</span>", about.len())));
    for f in &about {
        assert!(html.contains(&esc(&f.message)), "finding {} is listed", f.key);
    }
    assert_csp_clean(&path, &html);

    // A conduit without any recorded status: every requirement is "not recorded", with a link
    // to a form prefilled for it.
    let cp = ListParams { site_id: Some(SiteId::new(w.lyo)), limit: Some(1000), ..Default::default() };
    let mut bare = None;
    for c in w.app.list::<Conduit>(&w.sys, &cp).await.unwrap().items {
        let l = w.app.conduit_levels(&w.sys, ConduitId::new(c.id.get())).await.unwrap();
        if !l.coverage.is_empty() && l.coverage.iter().all(|r| r.status.is_none()) {
            bare = Some((c.id.get(), l));
            break;
        }
    }
    let (conduit, l) = bare.expect("a conduit of the demo without recorded statuses");
    let path = format!("/conduits/{conduit}");
    let (status, _, html) = get(&w, "ada", &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Security levels (IEC 62443-3-3)"));
    assert_eq!(html.matches("<span class=\"none\">not recorded</span>").count(), l.coverage.len());
    let first = l.coverage[0].requirement.to_string();
    let new = format!(
        "/requirement-statuses/new?site_id={}&amp;conduit_id={conduit}&amp;requirement={}",
        w.lyo,
        first.replace(' ', "+")
    );
    assert!(html.contains(&format!("href=\"{new}\"")), "a link to record the status of {first}: {new}");
    assert_csp_clean(&path, &html);
    // The form it opens is prefilled.
    let (status, _, form) = get(&w, "ada", &new.replace("&amp;", "&")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(&format!("value=\"{first}\"")), "the requirement is prefilled");
    assert!(form.contains(&format!("value=\"{conduit}\"")), "the conduit is prefilled");
}

async fn a_viewer_of_one_site_does_not_see_another_sites_findings(db: TestDb) {
    let w = world(&db).await;
    let ict = SiteId::new(w.ict);
    let theirs = w.app.findings(&w.sys, &FindingQuery { site_id: Some(ict), ..Default::default() }).await.unwrap();
    assert!(!theirs.is_empty(), "Wichita has findings");
    let ours = w
        .app
        .findings(&w.sys, &FindingQuery { site_id: Some(SiteId::new(w.lyo)), ..Default::default() })
        .await
        .unwrap();
    for path in ["/findings", "/findings?min_severity=info"] {
        let (status, _, html) = get(&w, "lena", path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!html.contains("Wichita") && !html.contains(">ICT<"), "{path}: shows the other site");
        assert!(!html.contains(&format!("href=\"/sites/{}\"", w.ict)), "{path}: links the other site");
        for f in &theirs {
            assert!(!html.contains(&format!("id=\"f-{}\"", f.key.replace(':', "-"))), "{path}: shows {}", f.key);
        }
        for f in &ours {
            assert!(html.contains(&format!("id=\"f-{}\"", f.key.replace(':', "-"))), "{path}: misses {}", f.key);
        }
        assert_eq!(html.matches("<tr id=\"f-").count(), ours.len(), "{path}: exactly the findings of Lyon");
    }
    let (status, _, html) = get(&w, "lena", "/paths").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Wichita") && !html.contains(">ICT<"), "/paths shows the other site");
    // Asking for the other site by code or id is "not found", as for any other page.
    for path in [
        "/findings?site=ICT".to_owned(),
        format!("/findings?site_id={}", w.ict),
        "/paths?site=ICT".to_owned(),
        format!("/paths?site_id={}", w.ict),
    ] {
        let (status, _, html) = get(&w, "lena", &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("Wichita"), "{path}");
    }
    let theirs_zone = theirs.iter().find_map(|f| match f.subject {
        Subject::Zone(z) => Some(z),
        _ => None,
    });
    if let Some(z) = theirs_zone {
        let (status, _, _) = get(&w, "lena", &format!("/zones/{z}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // The administrator of every site sees them all (a page of them).
    let every = w.app.findings(&w.sys, &FindingQuery::default()).await.unwrap();
    assert!(every.len() >= ours.len() + theirs.len());
    let (_, _, html) = get(&w, "ada", "/findings").await;
    assert!(html.contains(&format!("<strong>{}</strong> findings across all sites", every.len())));
    assert_eq!(html.matches("<tr id=\"f-").count(), every.len().min(250));
    assert!(html.contains(&format!("href=\"/sites/{}\"", w.ict)), "the site column links the sites");
}

async fn bad_filter_values_are_a_400_page_naming_the_parameter(db: TestDb) {
    let w = world(&db).await;
    for (path, param) in [
        ("/findings?min_severity=severe", "min_severity"),
        ("/findings?rule=nope", "rule"),
        ("/findings?page=0", "page"),
        ("/paths?from=moon", "from"),
        ("/paths?to=moon", "to"),
        ("/paths?rank=best", "rank"),
        ("/paths?max_hops=99", "max_hops"),
    ] {
        let (status, headers, html) = get(&w, "ada", path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "{path}: a page");
        assert!(html.contains("Bad request"), "{path}");
        assert!(html.contains(&format!("{param}: ")), "{path}: names {param}: {html}");
        assert_csp_clean(path, &html);
    }
    let (status, _, html) = get(&w, "ada", "/findings?site=MOON").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("MOON"));
}

backend_tests!(
    the_findings_page_lists_a_known_finding_of_the_demo,
    the_paths_page_shows_ranked_paths_with_zone_names,
    the_zone_diagram_page_embeds_the_svg,
    the_zone_page_shows_security_levels_and_requirement_coverage,
    a_viewer_of_one_site_does_not_see_another_sites_findings,
    bad_filter_values_are_a_400_page_naming_the_parameter,
);
