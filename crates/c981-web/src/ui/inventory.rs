//! Pages of the inventory formalised over time: imports (upload a spreadsheet, a Zeek log or
//! Nmap XML, with a dry run; the report names every bad row by line and column) with their
//! history, and the review queue (confirm, merge or reject observed assets; confirm or reject
//! observed flows and observed values), every decision with its reason.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use c981_app::import::{ImportKind, ImportOptions, ImportReport, Upload};
use c981_app::review::{AssetDecision, Verdict};
use c981_domain::{EntityKind, SiteId};
use maud::{Markup, html};

use super::render::{Names, badge, ref_link};
use super::{Frame, Params, Section, Shell, UiError, csrf_input, layout, url};
use crate::api_inventory::{MAX_IMPORT_BYTES, clean_name};
use crate::{AppState, UiCtx};

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/imports", get(imports).post(upload).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES + 64 * 1024)))
        .route("/review", get(review))
        .route("/discovery", get(discovery))
        .route("/review/asset", post(decide_asset))
        .route("/review/flow", post(decide_flow))
        .route("/review/proposal", post(decide_proposal))
}

fn frame(title: &str, switch_to: &str, shell: &Shell) -> Frame {
    Frame::new(title, Section::Review)
        .crumb("Assets", Some(shell.href("/assets")))
        .crumb(title, None)
        .switch_to(switch_to)
}

fn kind_label(k: ImportKind) -> &'static str {
    match k {
        ImportKind::Assets => "Assets (CSV or XLSX)",
        ImportKind::Flows => "Data flows (CSV or XLSX)",
        ImportKind::Zones => "Zones (CSV or XLSX)",
        ImportKind::Conduits => "Conduits (CSV or XLSX)",
        ImportKind::Interfaces => "Interfaces (CSV or XLSX)",
        ImportKind::Zeek => "Zeek conn.log (observed traffic)",
        ImportKind::Nmap => "Nmap XML (scan output)",
    }
}

async fn imports(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let site = shell.site.map(SiteId::new);
    let rows = s.app.imports(&ctx, site, None, 200).await?;
    let names = Names::new(&shell, &s.app);
    let writable: Vec<_> = shell.sites.iter().filter(|x| ctx.actor.may_write_site(SiteId::new(x.id))).collect();
    let body = html! {
        div.page-head {
            div { h1 { "Imports" } p.subtitle { "Spreadsheets, traffic captures and scans brought into the inventory, each one audited with its file's SHA-256." } }
            div.page-actions { a.btn href=(shell.href("/review")) { "Review queue" } }
        }
        @if !writable.is_empty() {
            section.card aria-labelledby="upload-h" {
                h2 #upload-h { "Import a file" }
                p { "Headers are matched case and spacing insensitive, with the aliases of common exports (\"IP Address\", \"MAC Address\", \"Manufacturer\", \"Asset Tag\"…). "
                    "An existing asset is matched by MAC address, then serial, then IP address, then name; the columns the file has replace the stored values, the others stay. "
                    "Try a dry run first: it stores nothing and shows what would be created, updated and left unchanged, and every row in conflict." }
                form method="post" action="/imports" enctype="multipart/form-data" {
                    (csrf_input())
                    div.form-grid {
                        div.field {
                            label for="f-site" { "Site" }
                            select #f-site name="site_id" required {
                                @for x in &writable { option value=(x.id) selected[shell.site == Some(x.id)] { (x.code) " – " (x.name) } }
                            }
                        }
                        div.field {
                            label for="f-kind" { "The file holds" }
                            select #f-kind name="kind" {
                                @for k in ImportKind::ALL { option value=(k.as_str()) { (kind_label(k)) } }
                            }
                        }
                    }
                    div.field {
                        label for="f-file" { "File (at most " (MAX_IMPORT_BYTES / 1024 / 1024) " MiB)" }
                        input #f-file type="file" name="file" required;
                    }
                    div.field {
                        label for="f-map" { "Column mappings (optional, one per line: " span.mono { "Asset Tag=name" } ", " span.mono { "Notes=-" } " to ignore a column)" }
                        textarea #f-map name="map" rows="2" {}
                    }
                    div.field {
                        label for="f-sheet" { "Worksheet (XLSX; default the first)" }
                        input #f-sheet name="sheet" type="text";
                    }
                    div.field.check { label { input type="checkbox" name="dry_run" value="true" checked; " Dry run: report only, store nothing" } }
                    div.field.check { label { input type="checkbox" name="skip_invalid" value="true"; " Store the good rows and list the others (default: one bad row refuses the whole file)" } }
                    div.form-actions { button.btn.btn-primary type="submit" { "Import" } }
                }
            }
        }
        section.card aria-labelledby="history-h" {
            h2 #history-h { "History" }
            @if rows.is_empty() {
                div.empty { p.empty-title { "No import yet" } }
            } @else {
                table.table {
                    thead { tr { th { "#" } th { "When (UTC)" } th { "Site" } th { "Kind" } th { "File" } th { "Who, via" }
                        th.num { "Rows" } th.num { "Created" } th.num { "Updated" } th.num { "Unchanged" } th.num { "Refused" } th.num { "To review" } } }
                    tbody {
                        @for r in &rows {
                            tr {
                                td.mono { (r.id) }
                                td.nowrap { (r.finished_at.to_string().chars().take(19).collect::<String>().replace('T', " ")) }
                                td { (ref_link(EntityKind::Site, r.site_id.get(), &names)) }
                                td { (r.kind) }
                                td { (r.source) br; span.mono.small title=(r.sha256) { "SHA-256 " (&r.sha256[..16.min(r.sha256.len())]) "…" } }
                                td { (r.actor_name) ", " (r.channel) }
                                td.num { (r.rows_read) } td.num { (r.created) } td.num { (r.updated) } td.num { (r.unchanged) }
                                td.num { (r.rejected) } td.num { (r.staged + r.proposals) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok((StatusCode::OK, layout::page(&shell, frame("Imports", "/imports", &shell), body)).into_response())
}

fn report_markup(r: &ImportReport) -> Markup {
    let tone = if r.stored {
        "alert-ok"
    } else if r.dry_run && r.refused_rows() == 0 {
        "alert-info"
    } else {
        "alert-bad"
    };
    html! {
        div.alert.(tone) role="status" {
            p { strong { (r.summary()) } }
            p.small { (r.format) " · SHA-256 " span.mono { (r.sha256) } }
        }
        @if !r.warnings.is_empty() {
            section.card { h2 { "Warnings" } ul { @for w in &r.warnings { li { (w) } } } }
        }
        @if !r.rejected.is_empty() {
            section.card {
                h2 { "Rejected rows (" (r.rejected_count) ")" }
                table.table { thead { tr { th { "Line" } th { "Column" } th { "Reason" } } }
                    tbody { @for p in &r.rejected { tr { td.mono { (p.line.map(|l| l.to_string()).unwrap_or_default()) } td { (p.column.clone().or(p.field.clone()).unwrap_or_default()) } td { (p.message) } } } } }
            }
        }
        @if !r.conflicts.is_empty() {
            section.card {
                h2 { "Conflicts (" (r.conflict_count) ")" }
                p { "These rows match several records, or contradict an earlier row; they were not applied." }
                table.table { thead { tr { th { "Line" } th { "What" } } }
                    tbody { @for p in &r.conflicts { tr { td.mono { (p.line.map(|l| l.to_string()).unwrap_or_default()) } td { (p.message) } } } } }
            }
        }
        @if !r.columns.is_empty() {
            details { summary { "Columns and the fields they map to" }
                table.table { tbody { @for (c, f) in &r.columns { tr { td { (c) } td.mono { (f.clone().unwrap_or_else(|| "not imported".into())) } } } } } }
        }
    }
}

async fn upload(State(s): State<AppState>, UiCtx(ctx): UiCtx, mut multipart: Multipart) -> Result<Response, UiError> {
    let mut p = Params::default();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| UiError::BadRequest(format!("the upload: {e}")))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let fname = clean_name(field.file_name().unwrap_or("upload"));
            let bytes = field.bytes().await.map_err(|e| UiError::BadRequest(format!("the upload: {e}")))?;
            file = Some((fname, bytes.to_vec()));
        } else {
            let text = field.text().await.map_err(|e| UiError::BadRequest(format!("the upload: {e}")))?;
            p.0.push((name, text));
        }
    }
    let Some((fname, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(UiError::BadRequest("choose a file to import (it is empty or missing)".into()));
    };
    let site = SiteId::parse(p.get("site_id").unwrap_or("")).map_err(|m| UiError::BadRequest(format!("site: {m}")))?;
    let kind = ImportKind::parse(p.get("kind").unwrap_or(""))
        .ok_or_else(|| UiError::BadRequest("kind: choose what the file holds".into()))?;
    let opts = ImportOptions {
        mapping: p.raw("map").lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
        sheet: p.get("sheet").filter(|v| !v.is_empty()).map(str::to_owned),
        dry_run: p.get("dry_run") == Some("true"),
        skip_invalid: p.get("skip_invalid") == Some("true"),
    };
    let report = s.app.import_file(&ctx, kind, site, Upload { name: &fname, bytes: &bytes }, &opts, None).await?;
    let params = Params::from_query(Some(&format!("site_id={}", site.get())));
    let shell = Shell::load(&s, &ctx, &params).await?;
    let status = if report.stored || (report.dry_run && report.refused_rows() == 0) {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = html! {
        div.page-head {
            div { h1 { (if report.dry_run { "Dry run of " } else if report.stored { "Imported " } else { "Refused: " }) (fname) } }
            div.page-actions { a.btn href=(shell.href("/imports")) { "Imports" } a.btn.btn-ghost href=(shell.href("/review")) { "Review queue" } }
        }
        (report_markup(&report))
        @if report.dry_run {
            p { "Nothing was stored. Import again without the dry run to store it." }
        }
    };
    Ok((status, layout::page(&shell, frame("Import report", "/imports", &shell), body)).into_response())
}

async fn review(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let site = shell.site.or_else(|| (shell.sites.len() == 1).then(|| shell.sites[0].id));
    let Some(site) = site else {
        let body = html! {
            div.page-head { div { h1 { "Review queue" } p.subtitle { "Choose a site: the queue is per plant." } } }
            ul.choose { @for x in &shell.sites { li { a href=(url("/review", &[("site_id", x.id.to_string())])) { (x.code) " – " (x.name) } } } }
        };
        return Ok(
            (StatusCode::OK, layout::page(&shell, frame("Review queue", "/review", &shell), body)).into_response()
        );
    };
    let shell = shell.with_site(Some(site));
    let sid = SiteId::new(site);
    let q = s.app.review_queue(&ctx, sid).await?;
    let writes = ctx.actor.may_write_site(sid);
    let mut names = Names::new(&shell, &s.app);
    names.assets = s.app.store().names_of("assets", sid).await.map_err(c981_app::AppError::from)?.into_iter().collect();
    let reason = html! { input type="text" name="reason" required placeholder="Reason (recorded in the audit trail)" aria-label="Reason"; };
    let body = html! {
        div.page-head {
            div { h1 { "Review queue" } p.subtitle { (ref_link(EntityKind::Site, site, &names)) " · " (q.assets.len()) " observed assets · " (q.flows.len()) " undocumented observed flows · " (q.proposals.len()) " observed values" } }
            div.page-actions { a.btn href=(shell.href("/imports")) { "Imports" } a.btn.btn-ghost href=(shell.href("/discovery")) { "Sparkplug discovery" } a.btn.btn-ghost href=(shell.href("/findings")) { "Findings" } }
        }
        p.lead { "What traffic captures, scans and Sparkplug births brought in and no one has decided yet. Nothing observed replaces a declared value by itself: it waits here." }
        @if q.truncated { div.alert.alert-info { "Only the first 500 of a list are shown; decide some and reload." } }
        section.card aria-labelledby="assets-h" {
            h2 #assets-h { "Observed assets" }
            @if q.assets.is_empty() { div.empty { p.empty-title { "Nothing to review" } } }
            @else {
                table.table {
                    thead { tr { th { "Asset" } th { "Addresses" } th { "Seen by" } th { "Last seen" } @if writes { th { "Decision" } } } }
                    tbody {
                        @for a in &q.assets {
                            tr {
                                td { a href=(format!("/assets/{}", a.id.get())) { (a.data.name.as_str()) } " " @if a.data.tags.iter().any(|t| t.as_str() == c981_app::observed::TO_REVIEW) { (badge("warn", "to review")) } }
                                td.mono { (a.data.ip_addresses.iter().map(|i| i.to_string()).chain(a.data.mac_addresses.iter().map(|m| m.to_string())).collect::<Vec<_>>().join(", ")) }
                                td { (a.data.sources.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")) }
                                td.nowrap { (a.data.last_seen.map(|t| t.to_string().chars().take(16).collect::<String>().replace('T', " ")).unwrap_or_default()) }
                                @if writes {
                                    td {
                                        form.inline-form method="post" action="/review/asset" {
                                            (csrf_input())
                                            input type="hidden" name="id" value=(a.id.get());
                                            input type="hidden" name="site_id" value=(site);
                                            select name="action" aria-label="Decision" {
                                                option value="confirm" { "Confirm: it is ours" }
                                                option value="merge" { "Merge into asset id…" }
                                                option value="reject" { "Reject: not ours" }
                                            }
                                            input type="number" name="into" min="1" placeholder="into id" aria-label="Merge into asset id";
                                            (reason)
                                            button.btn.btn-small type="submit" { "Record" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="flows-h" {
            h2 #flows-h { "Observed flows with no documented counterpart" }
            @if q.flows.is_empty() { div.empty { p.empty-title { "Nothing to review" } } }
            @else {
                table.table {
                    thead { tr { th { "Flow" } th { "Protocol" } th.num { "Connections" } th { "Last seen" } @if writes { th { "Decision" } } } }
                    tbody {
                        @for f in &q.flows {
                            tr {
                                td { a href=(format!("/flows/{}", f.id.get())) { (endpoint(&f.data.source, &names)) " → " (endpoint(&f.data.destination, &names)) } }
                                td.mono { (serde_json::to_value(&f.data.protocol).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()) (f.data.port.map(|p| format!(" / {p}")).unwrap_or_default()) }
                                td.num { (f.data.connection_count.unwrap_or(0)) }
                                td.nowrap { (f.data.last_seen.map(|t| t.to_string().chars().take(16).collect::<String>().replace('T', " ")).unwrap_or_default()) }
                                @if writes {
                                    td {
                                        form.inline-form method="post" action="/review/flow" {
                                            (csrf_input())
                                            input type="hidden" name="id" value=(f.id.get());
                                            input type="hidden" name="site_id" value=(site);
                                            select name="verdict" aria-label="Decision" { option value="confirm" { "Confirm: document it" } option value="reject" { "Reject: not intended" } }
                                            (reason)
                                            button.btn.btn-small type="submit" { "Record" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="proposals-h" {
            h2 #proposals-h { "Observed values that differ from declared ones" }
            p { "A firmware version here is configuration drift: the device reports something other than the approved record." }
            @if q.proposals.is_empty() { div.empty { p.empty-title { "Nothing to review" } } }
            @else {
                table.table {
                    thead { tr { th { "Asset" } th { "Field" } th { "Recorded" } th { "Observed" } th { "Source" } @if writes { th { "Decision" } } } }
                    tbody {
                        @for p in &q.proposals {
                            tr {
                                td { (ref_link(EntityKind::Asset, p.asset_id, &names)) }
                                td { (p.field) @if p.field == "firmware" { " " (badge("bad", "drift")) } }
                                td.mono { (plain(&p.current_value)) }
                                td.mono { (plain(&p.proposed_value)) }
                                td { (p.source) }
                                @if writes {
                                    td {
                                        form.inline-form method="post" action="/review/proposal" {
                                            (csrf_input())
                                            input type="hidden" name="id" value=(p.id);
                                            input type="hidden" name="site_id" value=(site);
                                            select name="verdict" aria-label="Decision" { option value="confirm" { "Accept: apply it" } option value="reject" { "Reject" } }
                                            (reason)
                                            button.btn.btn-small type="submit" { "Record" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok((StatusCode::OK, layout::page(&shell, frame("Review queue", "/review", &shell), body)).into_response())
}

fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn endpoint(e: &c981_domain::Endpoint, names: &Names) -> Markup {
    match e {
        c981_domain::Endpoint::Asset { asset_id } => ref_link(EntityKind::Asset, asset_id.get(), names),
        c981_domain::Endpoint::External { name } => html! { span.mono { (name.as_str()) } },
    }
}

fn back(site: SiteId) -> Response {
    Redirect::to(&url("/review", &[("site_id", site.get().to_string())])).into_response()
}

fn form_ids(p: &Params) -> Result<(i64, SiteId), UiError> {
    let id =
        p.get("id").and_then(|v| v.parse::<i64>().ok()).ok_or_else(|| UiError::BadRequest("id: missing".into()))?;
    let site =
        SiteId::parse(p.get("site_id").unwrap_or("")).map_err(|m| UiError::BadRequest(format!("site_id: {m}")))?;
    Ok((id, site))
}

fn verdict_of(p: &Params) -> Result<Verdict, UiError> {
    match p.get("verdict") {
        Some("confirm") => Ok(Verdict::Confirm),
        Some("reject") => Ok(Verdict::Reject),
        _ => Err(UiError::BadRequest("verdict: choose confirm or reject".into())),
    }
}

async fn decide_asset(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let (id, site) = form_ids(&p)?;
    let d = match p.get("action") {
        Some("confirm") => AssetDecision::Confirm,
        Some("reject") => AssetDecision::Reject,
        Some("merge") => match p.get("into").and_then(|v| v.trim().parse::<i64>().ok()) {
            Some(into) => AssetDecision::Merge { into },
            None => return Err(UiError::BadRequest("into: give the id of the asset to merge into".into())),
        },
        _ => return Err(UiError::BadRequest("action: choose confirm, merge or reject".into())),
    };
    s.app.review_asset(&ctx, id, &d, p.raw("reason")).await?;
    Ok(back(site))
}

async fn decide_flow(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let (id, site) = form_ids(&p)?;
    s.app.review_flow(&ctx, id, verdict_of(&p)?, p.raw("reason")).await?;
    Ok(back(site))
}

async fn decide_proposal(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let (id, site) = form_ids(&p)?;
    s.app.review_proposal(&ctx, id, verdict_of(&p)?, p.raw("reason")).await?;
    Ok(back(site))
}

fn when(t: Option<c981_domain::Timestamp>) -> String {
    t.map(|t| t.to_string().chars().take(19).collect::<String>().replace('T', " ")).unwrap_or_else(|| "never".into())
}

async fn discovery(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let site = shell.site.map(SiteId::new);
    let status = s.app.discovery_status();
    let identities = s.app.sparkplug_identities(&ctx, site).await?;
    let mut names = Names::new(&shell, &s.app);
    for (site, _) in &identities {
        if let Ok(n) = s.app.store().names_of("assets", *site).await {
            names.assets.extend(n);
        }
    }
    let body = html! {
        div.page-head {
            div { h1 { "Sparkplug B discovery" } p.subtitle { "Edge nodes and devices found passively from their births on the MQTT broker; nothing is published." } }
            div.page-actions { a.btn href=(shell.href("/review")) { "Review queue" } }
        }
        @match &status {
            None => div.alert.alert-info { "Discovery does not run in this server. Configure " span.mono { "[sparkplug]" } " (host and site) and restart " span.mono { "c981 serve" } ", or run " span.mono { "c981 discover sparkplug" } ". Identities found earlier are listed below." },
            Some(st) => section.card aria-labelledby="status-h" {
                h2 #status-h { "Listener" }
                dl.fields {
                    div.fieldrow { dt { "Broker" } dd.mono { (st.broker) } }
                    div.fieldrow { dt { "Connection" } dd { @if st.connected { (badge("ok", "connected")) } @else { (badge("bad", "not connected")) } } }
                    div.fieldrow { dt { "Subscriptions" } dd.mono { (st.subscriptions.join(", ")) } }
                    div.fieldrow { dt { "Messages per second" } dd { (format!("{:.0}", st.messages_per_second)) } }
                    div.fieldrow { dt { "Messages" } dd { (st.messages_total) " (" (st.decode_errors) " could not be decoded)" } }
                    div.fieldrow { dt { "Last message" } dd { (when(st.last_message_at)) } }
                    div.fieldrow { dt { "Edge nodes" } dd { (st.nodes) " (" (st.nodes_online) " online)" } }
                    div.fieldrow { dt { "Devices" } dd { (st.devices) " (" (st.devices_online) " online)" } }
                    div.fieldrow { dt { "Assets created / updated" } dd { (st.assets_created) " / " (st.assets_updated) } }
                    div.fieldrow { dt { "Firmware drift found" } dd { (st.drift_proposals) } }
                    div.fieldrow { dt { "Messages lost (sequence gaps)" } dd { (st.seq_missed) } }
                    div.fieldrow { dt { "Publishing" } dd { @if st.publishing_allowed { (badge("warn", "allowed")) } @else { "never (subscribe only)" } } }
                    div.fieldrow { dt { "Last error" } dd { @if let Some(e) = &st.last_error { (e) " at " (when(st.last_error_at)) } @else { "none" } } }
                }
            },
        }
        section.card aria-labelledby="ids-h" {
            h2 #ids-h { "Identities" }
            @if identities.is_empty() { div.empty { p.empty-title { "Nothing discovered yet" } } }
            @else {
                table.table {
                    thead { tr { th { "Sparkplug identity" } th { "Site" } th { "Asset" } th { "State" } th { "Since" } th { "Last message" } } }
                    tbody {
                        @for (site, l) in &identities {
                            tr {
                                td.mono { (l.spb_key) }
                                td { (ref_link(EntityKind::Site, site.get(), &names)) }
                                td { (ref_link(EntityKind::Asset, l.asset_id, &names)) }
                                td { @if l.online { (badge("ok", "online")) } @else { (badge("muted", "offline")) } }
                                td.nowrap { (when(Some(l.changed_at))) }
                                td.nowrap { (when(Some(l.last_message_at))) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok((StatusCode::OK, layout::page(&shell, frame("Sparkplug discovery", "/discovery", &shell), body)).into_response())
}
