//! The page frame: top bar with the site switcher, navigation and the user's menu,
//! breadcrumbs, footer.

use c981_app::{Ctx, ListParams};
use c981_domain::{EntityKind, Site, SiteId};
use maud::{DOCTYPE, Markup, html};

use super::{Params, UiError, VERSION, csrf_input, url};
use crate::AppState;

/// A site as the switcher and the reference columns show it.
#[derive(Debug, Clone)]
pub(crate) struct SiteOpt {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// What every page needs around its content: the sites in scope, the selected one, the user.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shell {
    pub sites: Vec<SiteOpt>,
    /// The selected site (`?site_id=`), carried over in navigation links.
    pub site: Option<i64>,
    /// The user's name and most privileged role.
    pub user: Option<(String, &'static str)>,
    /// Administrator on all sites: the "Users" page is offered.
    pub is_admin: bool,
    /// A page for people who are not logged in (login, set-up, password links): no
    /// navigation.
    pub public: bool,
}

impl Shell {
    /// A frame without data (error pages).
    pub fn bare() -> Self {
        Self::default()
    }

    /// A frame for the pages of people who are not logged in.
    pub fn public() -> Self {
        Self { public: true, ..Self::default() }
    }

    /// Loads the sites in the actor's scope and the selection from `site_id` (or `site`, a
    /// site code). A selected site outside the scope is "not found".
    pub async fn load(state: &AppState, ctx: &Ctx, params: &Params) -> Result<Self, UiError> {
        let page = state.app.list::<Site>(ctx, &ListParams { limit: Some(1000), ..Default::default() }).await?;
        let sites: Vec<SiteOpt> = page
            .items
            .iter()
            .map(|r| SiteOpt { id: r.id.get(), code: r.data.code.to_string(), name: r.data.name.to_string() })
            .collect();
        let mut site = None;
        if let Some(raw) = params.get("site_id") {
            let id = SiteId::parse(raw).map_err(|m| UiError::BadRequest(format!("site_id: {m}")))?;
            if !sites.iter().any(|s| s.id == id.get()) {
                return Err(UiError::App(c981_app::AppError::NotFound { kind: EntityKind::Site, id: id.get() }));
            }
            site = Some(id.get());
        } else if let Some(code) = params.get("site") {
            let found = state.app.store().site_by_code(&ctx.actor.scope, code).await?;
            match found {
                Some(s) => site = Some(s.id.get()),
                None => {
                    return Err(UiError::NotFound(format!("There is no site with the code {code:?}.")));
                }
            }
        }
        Ok(Self {
            sites,
            site,
            user: Some((
                ctx.actor.name.clone(),
                if ctx.actor.grants.is_empty() { "No role" } else { ctx.actor.role().label() },
            )),
            is_admin: ctx.actor.is_admin(),
            public: false,
        })
    }

    pub fn with_site(mut self, site: Option<i64>) -> Self {
        self.site = site;
        self
    }

    /// The selected site id as a parameter value ("" when none).
    pub fn site_param(&self) -> String {
        self.site.map(|s| s.to_string()).unwrap_or_default()
    }

    /// `path` with the selected site carried over.
    pub fn href(&self, path: &str) -> String {
        url(path, &[("site_id", self.site_param())])
    }

    pub fn selected(&self) -> Option<&SiteOpt> {
        self.site.and_then(|id| self.sites.iter().find(|s| s.id == id))
    }

    pub fn site_code(&self, id: i64) -> Option<&str> {
        self.sites.iter().find(|s| s.id == id).map(|s| s.code.as_str())
    }
}

/// Which part of the navigation a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Home,
    Entity(EntityKind),
    Audit,
    /// IEC 62443 conformance findings.
    Findings,
    /// Cross-domain paths.
    Paths,
    /// Imports and the review queue of observed inventory.
    Review,
    /// The ISMS: Statements of Applicability, the crosswalk and the catalogues.
    Soa,
    /// The user's own account pages.
    Account,
    /// Account administration.
    Admin,
    None,
}

/// A page's title, place in the navigation, breadcrumbs, and where the site switcher goes.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub title: String,
    pub section: Section,
    /// After "Dashboard"; the last one is the current page (its link is ignored).
    pub crumbs: Vec<(String, Option<String>)>,
    /// The path the site switcher submits to (the same list, or the dashboard).
    pub switch_to: String,
}

impl Frame {
    pub fn new(title: impl Into<String>, section: Section) -> Self {
        Self { title: title.into(), section, crumbs: Vec::new(), switch_to: "/".into() }
    }

    pub fn crumb(mut self, label: impl Into<String>, href: Option<String>) -> Self {
        self.crumbs.push((label.into(), href));
        self
    }

    pub fn switch_to(mut self, path: impl Into<String>) -> Self {
        self.switch_to = path.into();
        self
    }
}

const NAV: [EntityKind; 9] = [
    EntityKind::Site,
    EntityKind::Zone,
    EntityKind::Conduit,
    EntityKind::Asset,
    EntityKind::Flow,
    EntityKind::Interface,
    EntityKind::System,
    EntityKind::Risk,
    EntityKind::Supplier,
];

/// The name of an entity kind in the main navigation.
fn nav_label(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::System => "Systems",
        k => k.label_plural(),
    }
}

/// A whole HTML page around `body`.
pub(crate) fn page(shell: &Shell, frame: Frame, body: Markup) -> Markup {
    let css = format!("/static/app.css?v={VERSION}");
    let js = format!("/static/app.js?v={VERSION}");
    let icon = format!("/static/favicon.svg?v={VERSION}");
    let site_label = shell.selected().map(|s| s.code.clone());
    let csrf = crate::auth::csrf_token();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light";
                @if !csrf.is_empty() { meta name="csrf-token" content=(csrf); }
                title {
                    (frame.title)
                    @if let Some(code) = &site_label { " · " (code) }
                    " · Connect 981"
                }
                link rel="icon" type="image/svg+xml" href=(icon);
                link rel="stylesheet" href=(css);
                script src=(js) defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.topbar {
                    div.topbar-inner {
                        a.brand href=(shell.href("/")) aria-current=[(frame.section == Section::Home).then_some("page")] {
                            span.brand-mark aria-hidden="true" { "C981" }
                            span.brand-name { "Connect 981" }
                        }
                        @if !shell.sites.is_empty() {
                            form.site-switch method="get" action=(frame.switch_to) {
                                label for="site-switch" { "Site" }
                                select #site-switch name="site_id" data-autosubmit {
                                    option value="" selected[shell.site.is_none()] { "All sites" }
                                    @for s in &shell.sites {
                                        option value=(s.id) selected[shell.site == Some(s.id)] { (s.code) " – " (s.name) }
                                    }
                                }
                                button.btn.btn-small.nojs type="submit" { "Go" }
                            }
                        }
                        @if !shell.public {
                            nav.mainnav aria-label="Main" {
                                ul {
                                    @for kind in NAV {
                                        li {
                                            a href=(shell.href(&format!("/{}", kind.plural())))
                                                aria-current=[(frame.section == Section::Entity(kind)).then_some("page")] {
                                                (nav_label(kind))
                                            }
                                        }
                                    }
                                    li {
                                        a href=(shell.href("/soa")) aria-current=[(frame.section == Section::Soa).then_some("page")]
                                            title="ISMS: Statements of Applicability" {
                                            "SoA"
                                        }
                                    }
                                    li {
                                        a href=(shell.href("/findings")) aria-current=[(frame.section == Section::Findings).then_some("page")] {
                                            "Findings"
                                        }
                                    }
                                    li {
                                        a href=(shell.href("/paths")) aria-current=[(frame.section == Section::Paths).then_some("page")] {
                                            "Paths"
                                        }
                                    }
                                    li {
                                        a href=(shell.href("/review")) aria-current=[(frame.section == Section::Review).then_some("page")] {
                                            "Review"
                                        }
                                    }
                                    li {
                                        a href=(shell.href("/audit")) aria-current=[(frame.section == Section::Audit).then_some("page")] {
                                            "Audit trail"
                                        }
                                    }
                                    @if shell.is_admin {
                                        li {
                                            a href="/admin/users" aria-current=[(frame.section == Section::Admin).then_some("page")] {
                                                "Users"
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        @if let Some((name, role)) = &shell.user {
                            div.usernav {
                                a.user-link href="/account" aria-current=[(frame.section == Section::Account).then_some("page")]
                                    title="Your account" {
                                    span.user-name { (name) }
                                    span.user-role { (role) }
                                }
                                form.logout method="post" action="/logout" {
                                    (csrf_input())
                                    button.btn.btn-small.btn-on-dark type="submit" { "Log out" }
                                }
                            }
                        }
                    }
                }
                @if !shell.public {
                    nav.crumbs aria-label="Breadcrumb" {
                        ol {
                            @if frame.crumbs.is_empty() {
                                li aria-current="page" { "Dashboard" }
                            } @else {
                                li { a href=(shell.href("/")) { "Dashboard" } }
                                @let last = frame.crumbs.len() - 1;
                                @for (i, (label, href)) in frame.crumbs.iter().enumerate() {
                                    @if i == last {
                                        li aria-current="page" { (label) }
                                    } @else if let Some(h) = href {
                                        li { a href=(h) { (label) } }
                                    } @else {
                                        li { (label) }
                                    }
                                }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    (body)
                }
                footer.footer {
                    div.footer-inner {
                        span { "Connect 981 " span.mono { "v" (VERSION) } }
                        span { "ISO/IEC 27001 ISMS · IEC 62443 zones and conduits" }
                        @if let Some((name, role)) = &shell.user {
                            span { "Signed in as " (name) " · " (role) }
                        }
                    }
                }
            }
        }
    }
}
