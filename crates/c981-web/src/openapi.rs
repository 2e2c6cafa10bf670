//! The OpenAPI 3.1 document of the API, generated from the same field tables as the forms and
//! the store's filters, so it cannot drift from what the server accepts.

use c981_domain::fields::{FieldKind, FieldSpec};
use c981_domain::{
    Asset, Conduit, DataFlow, EntityKind, Interface, RequirementStatus, Risk, Site, Supplier, SystemUnderConsideration,
    Zone,
};
use c981_store::{ColType, Table};
use serde_json::{Map, Value, json};

fn type_name(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Site => "Site",
        EntityKind::Zone => "Zone",
        EntityKind::Conduit => "Conduit",
        EntityKind::Asset => "Asset",
        EntityKind::Flow => "Flow",
        EntityKind::Interface => "Interface",
        EntityKind::AuditCheckpoint => "AuditCheckpoint",
        EntityKind::User => "User",
        EntityKind::ApiToken => "ApiToken",
        EntityKind::Signature => "Signature",
        EntityKind::RequirementStatus => "RequirementStatus",
        EntityKind::RequirementText => "RequirementText",
        EntityKind::System => "System",
        EntityKind::Risk => "Risk",
        EntityKind::RiskModel => "RiskModel",
        EntityKind::Supplier => "Supplier",
        EntityKind::ThreatTemplate => "ThreatTemplate",
        EntityKind::RiskSuggestion => "RiskSuggestion",
        EntityKind::RiskPeriod => "RiskPeriod",
        EntityKind::Import => "Import",
        EntityKind::Proposal => "Proposal",
        EntityKind::Scope => "Scope",
        EntityKind::SoaEntry => "SoaEntry",
        EntityKind::Evidence => "Evidence",
        EntityKind::SoaVersion => "SoaVersion",
        EntityKind::Crosswalk => "CrosswalkLink",
        EntityKind::Catalog => "Catalog",
        EntityKind::Bundle => "EvidenceBundle",
    }
}

fn field_schema(f: &FieldSpec) -> Value {
    let mut s = match f.kind {
        FieldKind::Text | FieldKind::LongText => json!({ "type": "string" }),
        FieldKind::Choice(values) => {
            let v: Vec<&str> = values().into_iter().map(|(v, _)| v).collect();
            json!({ "type": ["string", "null"], "enum": v.into_iter().map(Value::from).chain([Value::Null]).collect::<Vec<_>>() })
        }
        FieldKind::MultiChoice(values) => {
            let v: Vec<&str> = values().into_iter().map(|(v, _)| v).collect();
            json!({ "type": "array", "items": { "type": "string", "enum": v } })
        }
        FieldKind::Bool => json!({ "type": "boolean" }),
        FieldKind::List => json!({ "type": "array", "items": { "type": "string" } }),
        FieldKind::Int => json!({ "type": ["integer", "null"], "minimum": 0 }),
        FieldKind::Date => json!({ "type": ["string", "null"], "format": "date" }),
        FieldKind::DateTime => json!({ "type": ["string", "null"], "format": "date-time" }),
        FieldKind::Ref(_) => json!({ "type": ["integer", "null"], "minimum": 1 }),
        FieldKind::RefList(_) => json!({ "type": "array", "items": { "type": "integer", "minimum": 1 } }),
        FieldKind::SlVector => {
            json!({ "type": "string", "pattern": "^[0-4](,[0-4]){6}$", "examples": ["2,2,3,1,3,1,2"] })
        }
        FieldKind::Impacts => json!({
            "type": "object",
            "additionalProperties": { "type": "integer", "minimum": 1 },
            "examples": [{ "safety": 4, "production_continuity": 3 }]
        }),
        FieldKind::Plan => json!({
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "action": { "type": "string" },
                    "owner": { "type": "string" },
                    "due_date": { "type": "string", "format": "date" },
                    "status": { "type": "string", "enum": ["planned", "in_progress", "done", "cancelled"] },
                    "control_id": { "type": ["string", "null"], "description": "ISO/IEC 27001:2022 Annex A control id, e.g. 8.20" }
                },
                "required": ["action", "owner", "due_date"],
                "additionalProperties": false
            }
        }),
    };
    if f.computed {
        s["readOnly"] = true.into();
    }
    let mut desc = f.label.to_owned();
    if !f.help.is_empty() {
        desc.push_str(": ");
        desc.push_str(f.help);
    }
    s["description"] = desc.into();
    s
}

fn schemas_of<T: Table>(schemas: &mut Map<String, Value>) {
    let name = type_name(T::KIND);
    let mut props = Map::new();
    let mut required = Vec::new();
    for f in T::fields() {
        props.insert(f.name.into(), field_schema(f));
        if f.required {
            required.push(f.name);
        }
    }
    schemas.insert(
        format!("{name}Input"),
        json!({
            "type": "object",
            "description": format!("A {} as a client sends it. Lists may also be sent as one comma-separated string, numbers and booleans as strings.", T::KIND.label().to_lowercase()),
            "properties": props.clone(),
            "required": required,
            "additionalProperties": false,
        }),
    );
    let mut out = props;
    out.insert("id".into(), json!({ "type": "integer", "minimum": 1 }));
    out.insert("version".into(), json!({ "type": "integer", "minimum": 1, "description": "Incremented by every change; send it back in If-Match." }));
    out.insert("created_at".into(), json!({ "type": "string", "format": "date-time" }));
    out.insert("updated_at".into(), json!({ "type": "string", "format": "date-time" }));
    let mut all: Vec<&str> = vec!["id", "version", "created_at", "updated_at"];
    all.extend(T::COLUMNS.iter().map(|c| c.name));
    schemas.insert(name.into(), json!({ "type": "object", "properties": out, "required": all }));
    schemas.insert(
        format!("{name}Page"),
        json!({
            "type": "object",
            "properties": {
                "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{name}") } },
                "next_cursor": { "type": ["string", "null"], "description": "Pass as `cursor` to get the next page; null on the last page." }
            },
            "required": ["items", "next_cursor"]
        }),
    );
}

fn error_responses() -> Value {
    let err = json!({ "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let mut m = Map::new();
    for (code, what) in [
        ("400", "Malformed request (bad JSON, bad parameter)"),
        ("401", "Not authenticated: no, an expired or a revoked API token"),
        ("403", "Not allowed for this caller (audited)"),
        ("404", "No such record in the caller's sites"),
        ("409", "Conflict: stale version, record in use, or duplicate"),
        ("422", "Validation failed; every bad field is listed"),
    ] {
        let mut e = err.clone();
        e["description"] = what.into();
        m.insert(code.into(), e);
    }
    Value::Object(m)
}

fn with_errors(mut ok: Map<String, Value>) -> Value {
    if let Value::Object(errs) = error_responses() {
        ok.extend(errs);
    }
    Value::Object(ok)
}

fn paths_of<T: Table>(paths: &mut Map<String, Value>) {
    let name = type_name(T::KIND);
    let plural = T::KIND.plural();
    let label = T::KIND.label_plural();
    let tag = label;
    let schema_ref = |s: &str| json!({ "$ref": format!("#/components/schemas/{s}") });
    let mut params = vec![
        json!({ "name": "site_id", "in": "query", "schema": { "type": "integer" }, "description": "Only this site." }),
        json!({ "name": "site", "in": "query", "schema": { "type": "string" }, "description": "Only this site, by code." }),
        json!({ "name": "q", "in": "query", "schema": { "type": "string" }, "description": "Search text (case-insensitive)." }),
        json!({ "name": "cursor", "in": "query", "schema": { "type": "string" }, "description": "The next_cursor of the previous page." }),
        json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 } }),
    ];
    for f in T::FILTERS {
        let ty = match f.ty {
            ColType::Bool => json!({ "type": "boolean" }),
            ColType::Int | ColType::OptInt => json!({ "type": "string", "description": "an id, or none" }),
            _ => json!({ "type": "string" }),
        };
        params.push(json!({ "name": f.name, "in": "query", "schema": ty, "description": format!("Only records whose {} equals this.", f.name) }));
    }
    let version_params = [
        json!({ "name": "If-Match", "in": "header", "schema": { "type": "string" }, "description": "The version (ETag) the change is based on." }),
        json!({ "name": "X-Change-Reason", "in": "header", "schema": { "type": "string" }, "description": "Why; kept in the audit entry." }),
    ];
    let id_param =
        json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } });
    let ok = |code: &str, desc: &str, schema: Value| {
        let mut m = Map::new();
        m.insert(code.into(), json!({ "description": desc, "content": { "application/json": { "schema": schema } } }));
        with_errors(m)
    };
    paths.insert(
        format!("/api/v1/{plural}"),
        json!({
            "get": { "tags": [tag], "operationId": format!("list{name}s"), "summary": format!("List {}", label.to_lowercase()), "parameters": params, "responses": ok("200", "A page", schema_ref(&format!("{name}Page"))) },
            "post": { "tags": [tag], "operationId": format!("create{name}"), "summary": format!("Create a {}", T::KIND.label().to_lowercase()),
                      "parameters": [version_params[1].clone()],
                      "requestBody": { "required": true, "content": { "application/json": { "schema": schema_ref(&format!("{name}Input")) } } },
                      "responses": ok("201", "Created", schema_ref(name)) }
        }),
    );
    let mut delete_params = vec![id_param.clone(), version_params[0].clone(), version_params[1].clone()];
    if T::KIND == EntityKind::Zone {
        delete_params.push(json!({ "name": "reassign_to", "in": "query", "schema": { "type": "string" }, "description": "Move the zone's assets and interfaces to this zone id (or `none`) before deleting it." }));
    }
    let mut no_content = Map::new();
    no_content.insert("204".into(), json!({ "description": "Deleted" }));
    paths.insert(
        format!("/api/v1/{plural}/{{id}}"),
        json!({
            "get": { "tags": [tag], "operationId": format!("get{name}"), "parameters": [id_param.clone()], "responses": ok("200", "The record", schema_ref(name)) },
            "put": { "tags": [tag], "operationId": format!("replace{name}"), "parameters": [id_param.clone(), version_params[0].clone(), version_params[1].clone()],
                     "requestBody": { "required": true, "content": { "application/json": { "schema": schema_ref(&format!("{name}Input")) } } },
                     "responses": ok("200", "Replaced", schema_ref(name)) },
            "patch": { "tags": [tag], "operationId": format!("patch{name}"), "summary": "Change some fields (JSON merge patch, RFC 7396)",
                       "parameters": [id_param.clone(), version_params[0].clone(), version_params[1].clone()],
                       "requestBody": { "required": true, "content": { "application/merge-patch+json": { "schema": { "type": "object" } }, "application/json": { "schema": { "type": "object" } } } },
                       "responses": ok("200", "Changed", schema_ref(name)) },
            "delete": { "tags": [tag], "operationId": format!("delete{name}"), "parameters": delete_params, "responses": with_errors(no_content) }
        }),
    );
    paths.insert(
        format!("/api/v1/{plural}/{{id}}/history"),
        json!({
            "get": { "tags": [tag], "operationId": format!("history{name}"), "summary": "The record's audit history, newest first",
                     "parameters": [id_param, { "name": "before", "in": "query", "schema": { "type": "integer" } }, { "name": "limit", "in": "query", "schema": { "type": "integer" } }],
                     "responses": ok("200", "History", schema_ref("History")) }
        }),
    );
}

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut schemas = Map::new();
    let mut paths = Map::new();
    schemas_of::<Site>(&mut schemas);
    schemas_of::<Zone>(&mut schemas);
    schemas_of::<Conduit>(&mut schemas);
    schemas_of::<Asset>(&mut schemas);
    schemas_of::<DataFlow>(&mut schemas);
    schemas_of::<Interface>(&mut schemas);
    schemas_of::<RequirementStatus>(&mut schemas);
    schemas_of::<SystemUnderConsideration>(&mut schemas);
    schemas_of::<Risk>(&mut schemas);
    schemas_of::<Supplier>(&mut schemas);
    schemas_of::<c981_domain::IsmsScope>(&mut schemas);
    schemas_of::<c981_domain::SoaEntry>(&mut schemas);
    schemas_of::<c981_domain::Evidence>(&mut schemas);
    paths_of::<Site>(&mut paths);
    paths_of::<Zone>(&mut paths);
    paths_of::<Conduit>(&mut paths);
    paths_of::<Asset>(&mut paths);
    paths_of::<DataFlow>(&mut paths);
    paths_of::<Interface>(&mut paths);
    paths_of::<RequirementStatus>(&mut paths);
    paths_of::<SystemUnderConsideration>(&mut paths);
    paths_of::<Risk>(&mut paths);
    paths_of::<Supplier>(&mut paths);
    paths_of::<c981_domain::IsmsScope>(&mut paths);
    paths_of::<c981_domain::SoaEntry>(&mut paths);
    paths_of::<c981_domain::Evidence>(&mut paths);
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "properties": { "error": { "type": "object", "properties": {
                "code": { "type": "string", "enum": ["bad_request", "unauthenticated", "throttled", "forbidden", "not_found", "conflict", "validation_failed", "schema_too_new", "internal"] },
                "message": { "type": "string" },
                "fields": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "message": { "type": "string" } }, "required": ["field", "message"] } }
            }, "required": ["code", "message"] } },
            "required": ["error"]
        }),
    );
    schemas.insert(
        "AuditEntry".into(),
        json!({
            "type": "object",
            "properties": {
                "seq": { "type": "integer" }, "format": { "type": "integer" }, "at": { "type": "string", "format": "date-time" },
                "actor_id": { "type": "string" }, "actor_name": { "type": "string" }, "actor_role": { "type": "string" },
                "channel": { "type": "string", "enum": ["api", "ui", "cli", "import", "mqtt", "system"] }, "request_id": { "type": "string" },
                "action": { "type": "string", "enum": ["create", "update", "delete", "denied", "checkpoint", "login", "login_failed", "logout", "sign", "sign_failed"] },
                "entity_type": { "type": "string" }, "entity_id": { "type": ["integer", "null"] }, "site_id": { "type": ["integer", "null"] },
                "reason": { "type": ["string", "null"] },
                "changes": { "type": "object", "additionalProperties": { "type": "object", "properties": { "old": {}, "new": {} } } },
                "prev_hash": { "type": "string" }, "hash": { "type": "string" }
            }
        }),
    );
    schemas.insert(
        "History".into(),
        json!({ "type": "object", "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/AuditEntry" } }, "next_before": { "type": ["integer", "null"] } } }),
    );
    paths.insert(
        "/api/v1/audit/entries".into(),
        json!({ "get": { "tags": ["Audit trail"], "operationId": "listAuditEntries", "summary": "Audit entries in chain order",
            "parameters": [
                { "name": "from", "in": "query", "schema": { "type": "string", "format": "date-time" } },
                { "name": "to", "in": "query", "schema": { "type": "string", "format": "date-time" } },
                { "name": "entity_type", "in": "query", "schema": { "type": "string" } },
                { "name": "entity_id", "in": "query", "schema": { "type": "integer" } },
                { "name": "after", "in": "query", "schema": { "type": "integer" } },
                { "name": "limit", "in": "query", "schema": { "type": "integer" } }
            ],
            "responses": { "200": { "description": "Entries", "content": { "application/json": { "schema": { "type": "object", "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/AuditEntry" } }, "next_after": { "type": ["integer", "null"] } } } } } } } } }),
    );
    paths.insert(
        "/api/v1/audit/verify".into(),
        json!({ "get": { "tags": ["Audit trail"], "operationId": "verifyAuditTrail", "summary": "Verify the hash chain",
            "responses": { "200": { "description": "Report", "content": { "application/json": { "schema": { "type": "object", "properties": {
                "entries": { "type": "integer" }, "last_seq": { "type": "integer" }, "last_hash": { "type": "string" },
                "problem": { "type": ["string", "null"] }, "first_bad_seq": { "type": ["integer", "null"] } } } } } } } } }),
    );
    identity_paths(&mut paths, &mut schemas);
    analysis_paths(&mut paths);
    risk_paths(&mut paths, &mut schemas);
    risk_library_paths(&mut paths, &mut schemas);
    inventory_paths(&mut paths, &mut schemas);
    soa_paths(&mut paths);
    paths.insert(
        "/healthz".into(),
        json!({ "get": { "tags": ["Operations"], "operationId": "health", "security": [], "responses": { "200": { "description": "Serving" }, "503": { "description": "Database unavailable" } } } }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Connect 981 API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The estate of an ISO/IEC 27001 ISMS over industrial IoT, with IEC 62443 zones and conduits. Every change is recorded in a hash-chained audit trail."
        },
        "paths": paths,
        "security": [{ "bearer": [] }, { "session": [] }],
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An API token (Account → API tokens), read-only or read-write, limited to some of the user's sites." },
                "session": { "type": "apiKey", "in": "cookie", "name": "c981_session", "description": "The web UI's session; state-changing requests also need the X-CSRF-Token header." }
            }
        }
    })
}

/// The IEC 62443 analysis: findings, paths, security levels, diagrams, the catalogue.
fn analysis_paths(paths: &mut Map<String, Value>) {
    let ok = |desc: &str, content: Value| {
        let mut m = Map::new();
        m.insert("200".into(), json!({ "description": desc, "content": content }));
        with_errors(m)
    };
    let object = |desc: &str| ok(desc, json!({ "application/json": { "schema": { "type": "object" } } }));
    let q = |name: &str, desc: &str, schema: Value| json!({ "name": name, "in": "query", "required": false, "description": desc, "schema": schema });
    let site = [
        q("site_id", "Only this site (id)", json!({ "type": "integer", "minimum": 1 })),
        q("site", "Only this site (code)", json!({ "type": "string" })),
    ];
    let id = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } });
    let tag = ["IEC 62443 analysis"];
    let rules: Vec<&str> = c981_analysis::findings::Rule::ALL.iter().map(|r| r.code()).collect();
    let mut fp: Vec<Value> = site.to_vec();
    fp.push(q(
        "min_severity",
        "Only findings of this severity or above",
        json!({ "type": "string", "enum": ["info", "low", "medium", "high", "critical"] }),
    ));
    fp.push(q("rule", "Only this rule", json!({ "type": "string", "enum": rules })));
    paths.insert("/api/v1/findings".into(), json!({ "get": { "tags": tag, "operationId": "listFindings",
        "summary": "Conformance findings of the caller's sites, most severe first (recomputed on every change)",
        "parameters": fp, "responses": object("Findings: count and items (key, rule, basis, severity, site_id, subject, related, message)") } }));
    let mut pp: Vec<Value> = site.to_vec();
    pp.push(q(
        "from",
        "Entry kinds, comma separated: enterprise, remote_access, cloud, external, wireless, temporary",
        json!({ "type": "string" }),
    ));
    pp.push(q("to", "Critical kinds, comma separated: control, safety", json!({ "type": "string" })));
    pp.push(q(
        "rank",
        "Ranking criterion",
        json!({ "type": "string", "enum": ["exposure", "hops", "weakest", "unencrypted", "undocumented"] }),
    ));
    pp.push(q(
        "max_hops",
        "Longest path searched (1 to 16, default 8)",
        json!({ "type": "integer", "minimum": 1, "maximum": 16 }),
    ));
    pp.push(q("max_paths", "Most paths returned (default 200000)", json!({ "type": "integer", "minimum": 1 })));
    paths.insert("/api/v1/paths".into(), json!({ "get": { "tags": tag, "operationId": "listPaths",
        "summary": "Cross-domain paths from entry zones into control and safety zones, ranked",
        "parameters": pp, "responses": object("Paths: count, truncated and paths (nodes, hops with conduits and flows, metrics)") } }));
    for (kind, op) in [("zones", "zoneSecurityLevels"), ("conduits", "conduitSecurityLevels")] {
        paths.insert(
            format!("/api/v1/{kind}/{{id}}/security-levels"),
            json!({ "get": { "tags": tag, "operationId": op,
            "summary": "SL-T, SL-A and the gap per FR, with the status of every requirement the target asks for",
            "parameters": [id.clone()], "responses": object("Security levels") } }),
        );
    }
    paths.insert("/api/v1/sites/{id}/zone-diagram.svg".into(), json!({ "get": { "tags": tag, "operationId": "zoneDiagram",
        "summary": "The zone-and-conduit diagram of a site, laid out by Purdue level",
        "parameters": [id.clone()], "responses": ok("SVG", json!({ "image/svg+xml": { "schema": { "type": "string" } } })) } }));
    paths.insert("/api/v1/catalogue/iec62443-3-3".into(), json!({ "get": { "tags": tag, "operationId": "catalogue",
        "summary": "The 7 FRs and the SRs and REs of IEC 62443-3-3 with ids, short titles and the level from which each applies",
        "responses": object("The catalogue") } }));
    paths.insert("/api/v1/catalogue/iec62443-3-3/descriptions".into(), json!({ "put": { "tags": tag, "operationId": "importDescriptions",
        "summary": "Import licensed description text (CSV: id,description); every bad line is reported and nothing is stored while any is wrong. Administrators of every site only.",
        "parameters": [q("name", "The file name, for the audit trail", json!({ "type": "string" }))],
        "requestBody": { "required": true, "content": { "text/csv": { "schema": { "type": "string" } } } },
        "responses": object("How many descriptions were imported") } }));
}

fn identity_paths(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let obj = |desc: &str| json!({ "description": desc, "content": { "application/json": { "schema": { "type": "object" } } } });
    let with = |code: &str, v: Value| {
        let mut m = Map::new();
        m.insert(code.into(), v);
        with_errors(m)
    };
    let id = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } });
    let body = |schema: &str| json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } });
    let mut none = Map::new();
    none.insert("204".into(), json!({ "description": "Done" }));
    let none = with_errors(none);
    schemas.insert("Grant".into(), json!({ "type": "object", "properties": { "role": { "type": "string", "enum": ["administrator", "isms_manager", "site_engineer", "approver", "auditor", "viewer"] }, "site_id": { "type": ["integer", "null"], "description": "null: every site" } }, "required": ["role"] }));
    schemas.insert("NewUser".into(), json!({ "type": "object", "properties": { "username": { "type": "string" }, "display_name": { "type": "string", "description": "The printed name on signatures" }, "email": { "type": ["string", "null"] }, "grants": { "type": "array", "items": { "$ref": "#/components/schemas/Grant" } } }, "required": ["username", "display_name"], "additionalProperties": false }));
    schemas.insert("NewToken".into(), json!({ "type": "object", "properties": { "name": { "type": "string" }, "read_only": { "type": "boolean" }, "site_ids": { "type": "array", "items": { "type": "integer" }, "description": "empty: all of the user's sites" }, "expires_in_days": { "type": "integer", "minimum": 1 } }, "required": ["name"], "additionalProperties": false }));
    schemas.insert("SignRequest".into(), json!({ "type": "object", "properties": { "meaning": { "type": "string", "enum": ["authored", "reviewed", "approved", "risk_accepted", "verified"] }, "reason": { "type": ["string", "null"] }, "password": { "type": "string" }, "code": { "type": ["string", "null"], "description": "TOTP code when enrolled" } }, "required": ["meaning", "password"], "additionalProperties": false }));
    schemas.insert("Signature".into(), json!({ "type": "object", "properties": {
        "id": { "type": "integer" }, "entity_type": { "type": "string" }, "entity_id": { "type": "integer" }, "record_version": { "type": "integer" },
        "record_sha256": { "type": "string" }, "user_id": { "type": "integer" }, "printed_name": { "type": "string" }, "meaning": { "type": "string" },
        "meaning_label": { "type": "string" }, "reason": { "type": ["string", "null"] }, "method": { "type": "string" }, "signed_at": { "type": "string", "format": "date-time" },
        "status": { "type": "string", "enum": ["valid", "record_changed", "invalid"] }, "status_label": { "type": "string" } } }));
    let tag = ["Identity and access"];
    paths.insert("/api/v1/me".into(), json!({ "get": { "tags": tag, "operationId": "me", "summary": "The caller: account, effective roles, token scope", "responses": with("200", obj("The caller")) } }));
    paths.insert("/api/v1/me/tokens".into(), json!({
        "get": { "tags": tag, "operationId": "listTokens", "responses": with("200", obj("The caller's API tokens (never the tokens themselves)")) },
        "post": { "tags": tag, "operationId": "createToken", "summary": "Create an API token (shown once); needs a session", "requestBody": body("NewToken"), "responses": with("201", obj("The token, shown once")) } }));
    paths.insert("/api/v1/me/tokens/{id}".into(), json!({ "delete": { "tags": tag, "operationId": "revokeToken", "parameters": [id.clone()], "responses": none.clone() } }));
    paths.insert("/api/v1/users".into(), json!({
        "get": { "tags": tag, "operationId": "listUsers", "summary": "Accounts (administrators)", "responses": with("200", obj("Accounts")) },
        "post": { "tags": tag, "operationId": "createUser", "summary": "Create an account; returns a one-time password link", "requestBody": body("NewUser"), "responses": with("201", obj("The account and its one-time link")) } }));
    paths.insert("/api/v1/users/{id}".into(), json!({
        "get": { "tags": tag, "operationId": "getUser", "parameters": [id.clone()], "responses": with("200", obj("The account")) },
        "patch": { "tags": tag, "operationId": "patchUser", "summary": "Disable or enable", "parameters": [id.clone()],
                   "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "disabled": { "type": "boolean" } }, "additionalProperties": false } } } },
                   "responses": with("200", obj("The account")) } }));
    paths.insert("/api/v1/users/{id}/grants".into(), json!({ "put": { "tags": tag, "operationId": "setGrants", "parameters": [id.clone()],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Grant" } } } } },
        "responses": with("200", obj("The account")) } }));
    paths.insert("/api/v1/users/{id}/password-link".into(), json!({ "post": { "tags": tag, "operationId": "passwordLink", "parameters": [id.clone()], "responses": with("201", obj("A one-time link")) } }));
    paths.insert(
        "/api/v1/users/{id}/reset-mfa".into(),
        json!({ "post": { "tags": tag, "operationId": "resetMfa", "parameters": [id.clone()], "responses": none } }),
    );
    for kind in [
        EntityKind::Site,
        EntityKind::Zone,
        EntityKind::Conduit,
        EntityKind::Asset,
        EntityKind::Flow,
        EntityKind::Interface,
        EntityKind::System,
        EntityKind::Risk,
        EntityKind::Supplier,
        EntityKind::Scope,
        EntityKind::SoaVersion,
        EntityKind::Evidence,
    ] {
        let name = type_name(kind);
        paths.insert(format!("/api/v1/{}/{{id}}/signatures", kind.plural()), json!({
            "get": { "tags": ["Electronic signatures"], "operationId": format!("signaturesOf{name}"), "parameters": [id.clone()],
                     "responses": with("200", json!({ "description": "Signatures with their status", "content": { "application/json": { "schema": { "type": "object", "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/Signature" } } } } } } })) },
            "post": { "tags": ["Electronic signatures"], "operationId": format!("sign{name}"), "summary": "Sign the current version (re-authentication with password and TOTP; needs a session, not a token)",
                      "parameters": [id.clone()], "requestBody": body("SignRequest"),
                      "responses": with("201", json!({ "description": "The signature", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Signature" } } } })) }
        }));
    }
}

/// The risk model, its versions, re-rating and the overdue list.
fn risk_paths(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let ok = |desc: &str, schema: Value| {
        let mut m = Map::new();
        m.insert("200".into(), json!({ "description": desc, "content": { "application/json": { "schema": schema } } }));
        with_errors(m)
    };
    let schema = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let q = |name: &str, desc: &str, schema: Value| json!({ "name": name, "in": "query", "required": false, "description": desc, "schema": schema });
    let level = json!({ "type": "object", "properties": { "name": { "type": "string" }, "description": { "type": "string" } }, "required": ["name"] });
    schemas.insert("RiskModel".into(), json!({
        "type": "object",
        "description": "The organisation's risk model. Levels are numbered from 1 (the lowest) in the order given; ratings store numbers.",
        "properties": {
            "likelihood": { "type": "array", "items": level.clone(), "minItems": 2, "maxItems": 10, "description": "The likelihood scale, lowest first" },
            "impact_levels": { "type": "array", "items": level, "minItems": 2, "maxItems": 10, "description": "The impact scale shared by the dimensions, lowest first" },
            "dimensions": { "type": "array", "minItems": 1, "maxItems": 12, "items": { "type": "object", "properties": {
                "key": { "type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$" }, "name": { "type": "string" },
                "descriptions": { "type": "array", "items": { "type": "string" }, "description": "One per impact level" } }, "required": ["key", "name", "descriptions"] } },
            "aggregation": { "type": "string", "enum": ["maximum", "rounded_mean"] },
            "risk_levels": { "type": "array", "minItems": 2, "maxItems": 10, "items": { "type": "object", "properties": {
                "name": { "type": "string" }, "colour": { "type": "string", "enum": ["green", "yellow", "orange", "red", "purple", "blue", "grey"] },
                "description": { "type": "string" } }, "required": ["name", "colour"] } },
            "matrix": { "type": "array", "description": "One row per likelihood level (lowest first), one risk level per impact level; never falling as likelihood or impact rises",
                "items": { "type": "array", "items": { "type": "integer", "minimum": 1 } } },
            "tolerable_level": { "type": "integer", "minimum": 1 },
            "acceptance": { "type": "object", "description": "The highest risk level each role may accept (administrator, isms_manager, approver)",
                "additionalProperties": { "type": "integer", "minimum": 0 } }
        },
        "required": ["likelihood", "impact_levels", "dimensions", "risk_levels", "matrix", "tolerable_level"],
        "additionalProperties": false
    }));
    schemas.insert(
        "RiskModelVersion".into(),
        json!({ "type": "object", "properties": {
        "version": { "type": "integer" }, "created_at": { "type": ["string", "null"], "format": "date-time" },
        "created_by": { "type": "string" }, "reason": { "type": ["string", "null"] }, "current": { "type": "boolean" },
        "model": { "$ref": "#/components/schemas/RiskModel" } } }),
    );
    let tag = ["Risks"];
    paths.insert("/api/v1/risk-model".into(), json!({
        "get": { "tags": tag, "operationId": "getRiskModel", "summary": "The current risk model", "responses": ok("The current version", schema("RiskModelVersion")) },
        "put": { "tags": tag, "operationId": "setRiskModel",
                 "summary": "Store a changed model as a new version (administrators and ISMS managers of every site); existing ratings keep their version until re-rated",
                 "parameters": [
                     { "name": "If-Match", "in": "header", "schema": { "type": "string" }, "description": "The version the change is based on" },
                     { "name": "X-Change-Reason", "in": "header", "schema": { "type": "string" }, "description": "Why; kept with the version and in the audit entry" }
                 ],
                 "requestBody": { "required": true, "content": { "application/json": { "schema": schema("RiskModel") } } },
                 "responses": ok("The version stored (the current one when nothing changed)", schema("RiskModelVersion")) }
    }));
    paths.insert("/api/v1/risk-model/versions".into(), json!({ "get": { "tags": tag, "operationId": "listRiskModelVersions",
        "summary": "Every version of the risk model, newest first",
        "responses": ok("Versions", json!({ "type": "object", "properties": { "items": { "type": "array", "items": schema("RiskModelVersion") } } })) } }));
    paths.insert(
        "/api/v1/risk-model/versions/{id}".into(),
        json!({ "get": { "tags": tag, "operationId": "getRiskModelVersion",
        "summary": "A version of the risk model (old ratings are read under the version they were made with)",
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }],
        "responses": ok("The version", schema("RiskModelVersion")) } }),
    );
    paths.insert("/api/v1/risk-model/rerate".into(), json!({ "post": { "tags": tag, "operationId": "rerateRisks",
        "summary": "Re-rate every risk under the current model: levels mapped by number, dimensions by key; ratings that no longer fit are flagged needs_rerating, never changed (administrators and ISMS managers of every site)",
        "parameters": [{ "name": "X-Change-Reason", "in": "header", "schema": { "type": "string" } }],
        "responses": ok("What was done", json!({ "type": "object", "properties": {
            "model_version": { "type": "integer" }, "rerated": { "type": "integer" }, "flagged": { "type": "integer" }, "still_flagged": { "type": "integer" } } })) } }));
    let mut files = Map::new();
    files.insert("200".into(), json!({ "description": "The register as a file (Content-Disposition: attachment)", "content": {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { "schema": { "type": "string", "format": "binary" } },
        "text/csv": { "schema": { "type": "string" } },
        "application/pdf": { "schema": { "type": "string", "format": "binary" } } } }));
    paths.insert("/api/v1/risks/export".into(), json!({ "get": { "tags": tag, "operationId": "exportRisks",
        "summary": "The register of the caller's sites as XLSX (frozen header, filters), CSV (formula-injection safe) or PDF, filtered like the list",
        "parameters": [
            q("format", "xlsx (default), csv or pdf", json!({ "type": "string", "enum": ["xlsx", "csv", "pdf"] })),
            q("site_id", "Only this site (id)", json!({ "type": "integer", "minimum": 1 })),
            q("site", "Only this site (code)", json!({ "type": "string" })),
            q("state", "Only this state", json!({ "type": "string" })),
            q("residual_level", "Only this residual level", json!({ "type": "integer" })),
            q("inherent_level", "Only this inherent level", json!({ "type": "integer" })),
            q("risk_owner", "Only this owner", json!({ "type": "string" })),
            q("q", "Free text", json!({ "type": "string" }))
        ],
        "responses": with_errors(files) } }));
    paths.insert("/api/v1/risks/overdue".into(), json!({ "get": { "tags": tag, "operationId": "listOverdueRisks",
        "summary": "Risks of the caller's sites with a review date passed or an open treatment action past due, the earliest first",
        "parameters": [
            q("site_id", "Only this site (id)", json!({ "type": "integer", "minimum": 1 })),
            q("site", "Only this site (code)", json!({ "type": "string" })),
            q("cursor", "The next_cursor of the previous page", json!({ "type": "string" })),
            q("limit", "Risks per page (1 to 1000, default 100)", json!({ "type": "integer", "minimum": 1, "maximum": 1000 }))
        ],
        "responses": ok("Overdue risks", json!({ "type": "object", "properties": {
            "today": { "type": "string", "format": "date" },
            "items": { "type": "array", "items": { "type": "object", "properties": {
                "id": { "type": "integer" }, "site_id": { "type": "integer" }, "title": { "type": "string" }, "risk_owner": { "type": "string" },
                "state": { "type": "string" }, "inherent_level": { "type": ["integer", "null"] }, "residual_level": { "type": ["integer", "null"] },
                "review_date": { "type": ["string", "null"], "format": "date" }, "review_overdue": { "type": "boolean" },
                "overdue_actions": { "type": "array", "items": { "type": "object", "properties": {
                    "index": { "type": "integer" }, "action": { "type": "string" }, "owner": { "type": "string" },
                    "due_date": { "type": "string", "format": "date" }, "status": { "type": "string" } } } } } } },
            "next_cursor": { "type": ["string", "null"] } } })) } }));
}

/// The threat library, suggestions, heatmaps and assessment periods.
fn risk_library_paths(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let ok = |desc: &str, schema: Value| {
        let mut m = Map::new();
        m.insert("200".into(), json!({ "description": desc, "content": { "application/json": { "schema": schema } } }));
        with_errors(m)
    };
    let none = || {
        let mut m = Map::new();
        m.insert("204".into(), json!({ "description": "Done" }));
        with_errors(m)
    };
    let with = |code: &str, v: Value| {
        let mut m = Map::new();
        m.insert(code.into(), v);
        with_errors(m)
    };
    let schema = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let q = |name: &str, desc: &str, schema: Value| json!({ "name": name, "in": "query", "required": false, "description": desc, "schema": schema });
    let qr = |name: &str, desc: &str, schema: Value| json!({ "name": name, "in": "query", "required": true, "description": desc, "schema": schema });
    let site = [
        q("site_id", "Only this site (id)", json!({ "type": "integer", "minimum": 1 })),
        q("site", "Only this site (code)", json!({ "type": "string" })),
    ];
    let impacts =
        json!({ "type": "object", "additionalProperties": { "type": "integer", "minimum": 1, "maximum": 5 } });
    schemas.insert("ThreatTemplate".into(), json!({
        "type": "object",
        "description": "A risk scenario template of the IIoT threat library; shipped ones have ids starting with T- and builtin true",
        "properties": {
            "id": { "type": "string", "pattern": "^[A-Z0-9]+(-[A-Z0-9]+)*$", "maxLength": 40 },
            "title": { "type": "string", "maxLength": 200 },
            "threat_source": { "type": "string" }, "threat_event": { "type": "string" },
            "vulnerability": { "type": "string" }, "consequence": { "type": "string" },
            "asset_kinds": { "type": "array", "items": { "type": "string" }, "minItems": 1 },
            "zone_kinds": { "type": "array", "items": { "type": "string" }, "minItems": 1 },
            "impacts": impacts,
            "likelihood": { "type": "integer", "minimum": 1, "maximum": 5 },
            "controls": { "type": "array", "items": { "type": "string" }, "minItems": 1, "description": "ISO/IEC 27001:2022 Annex A ids" },
            "requirements": { "type": "array", "items": { "type": "string" }, "minItems": 1, "description": "IEC 62443-3-3 SR or RE ids" },
            "builtin": { "type": "boolean", "readOnly": true },
            "version": { "type": ["integer", "null"], "readOnly": true },
            "updated_at": { "type": ["string", "null"], "format": "date-time", "readOnly": true }
        },
        "required": ["id", "title", "threat_source", "threat_event", "vulnerability", "consequence", "asset_kinds", "zone_kinds", "impacts", "likelihood", "controls", "requirements"]
    }));
    let ids = json!({ "type": "array", "items": { "type": "integer" } });
    schemas.insert("RiskSuggestion".into(), json!({
        "type": "object",
        "properties": {
            "key": { "type": "string" }, "site_id": { "type": "integer" },
            "source": { "type": "string", "enum": ["path", "flow_without_conduit", "unencrypted_flow", "external_flow", "safety_mix", "end_of_support", "unconfirmed_device"] },
            "title": { "type": "string" }, "facts": { "type": "array", "items": { "type": "string" } },
            "template_id": { "type": "string" },
            "zone_ids": ids.clone(), "conduit_ids": ids.clone(), "asset_ids": ids.clone(), "flow_ids": ids,
            "weight": { "type": "integer", "minimum": 1, "maximum": 4 },
            "dismissed": { "type": ["object", "null"], "properties": { "reason": { "type": "string" }, "by": { "type": "string" }, "at": { "type": "string", "format": "date-time" } } }
        }
    }));
    let grid = json!({ "type": "object", "properties": {
        "cells": { "type": "array", "description": "cells[l][i]: risks at likelihood l+1 and impact i+1", "items": { "type": "array", "items": { "type": "integer" } } },
        "off_model": { "type": "integer" }, "unrated": { "type": "integer" } } });
    schemas.insert(
        "RiskHeatmap".into(),
        json!({ "type": "object", "properties": {
        "model_version": { "type": "integer" }, "site_id": { "type": ["integer", "null"] },
        "inherent": grid.clone(), "residual": grid, "total": { "type": "integer" },
        "by_site": { "type": "array", "items": { "type": "object", "properties": {
            "site_id": { "type": "integer" },
            "inherent": { "type": "array", "items": { "type": "integer" } },
            "residual": { "type": "array", "items": { "type": "integer" } } } } } } }),
    );
    schemas.insert(
        "RiskPeriod".into(),
        json!({ "type": "object", "properties": {
        "id": { "type": "integer" }, "name": { "type": "string" }, "note": { "type": "string" },
        "closed_at": { "type": "string", "format": "date-time" }, "closed_by": { "type": "string" },
        "risk_count": { "type": "integer" }, "model_version": { "type": "integer" } } }),
    );
    let tag = ["Risks"];
    let tid = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } });
    paths.insert("/api/v1/threat-templates".into(), json!({ "get": { "tags": tag, "operationId": "listThreatTemplates",
        "summary": "The IIoT threat library: shipped templates and the organisation's own",
        "parameters": [q("asset_kind", "Only templates that fit this asset kind", json!({ "type": "string" })), q("zone_kind", "Only templates that fit this zone kind", json!({ "type": "string" }))],
        "responses": ok("Templates", json!({ "type": "object", "properties": { "items": { "type": "array", "items": schema("ThreatTemplate") } } })) } }));
    paths.insert("/api/v1/threat-templates/import".into(), json!({ "post": { "tags": tag, "operationId": "importThreatTemplates",
        "summary": "Import the organisation's templates from a JSON file (an array, or {\"templates\": [...]}): all or nothing, every problem named by position and field (administrators and ISMS managers of every site)",
        "parameters": [{ "name": "X-File-Name", "in": "header", "schema": { "type": "string" }, "description": "The file's name, for messages and the audit trail" }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": ["array", "object"] } } } },
        "responses": ok("What the import did", json!({ "type": "object", "properties": {
            "created": { "type": "integer" }, "updated": { "type": "integer" }, "unchanged": { "type": "integer" }, "sha256": { "type": "string" } } })) } }));
    paths.insert("/api/v1/threat-templates/{id}".into(), json!({
        "get": { "tags": tag, "operationId": "getThreatTemplate", "parameters": [tid.clone()], "responses": ok("The template", schema("ThreatTemplate")) },
        "put": { "tags": tag, "operationId": "putThreatTemplate", "summary": "Create or replace one of the organisation's templates (not the shipped T- ones)",
                 "parameters": [tid.clone(), { "name": "If-Match", "in": "header", "schema": { "type": "string" } }],
                 "requestBody": { "required": true, "content": { "application/json": { "schema": schema("ThreatTemplate") } } },
                 "responses": ok("The template stored", schema("ThreatTemplate")) },
        "delete": { "tags": tag, "operationId": "deleteThreatTemplate", "parameters": [tid, { "name": "If-Match", "in": "header", "schema": { "type": "string" } }], "responses": none() }
    }));
    paths.insert("/api/v1/risk-suggestions".into(), json!({ "get": { "tags": tag, "operationId": "listRiskSuggestions",
        "summary": "Risks suggested by the facts of a site (or of every site of the caller) (paths into control or safety zones, flows without conduits, unencrypted flows across trust boundaries, end-of-support and unconfirmed devices), for a person to accept or dismiss; never entered by themselves",
        "parameters": [site[0].clone(), site[1].clone(), q("dismissed", "Include dismissed suggestions", json!({ "type": "boolean" }))],
        "responses": ok("Suggestions", json!({ "type": "object", "properties": { "items": { "type": "array", "items": schema("RiskSuggestion") } } })) } }));
    paths.insert("/api/v1/risk-suggestions/proposal".into(), json!({ "get": { "tags": tag, "operationId": "getRiskSuggestionProposal",
        "summary": "The risk a suggestion proposes (review it, then POST it to /api/v1/risks)",
        "parameters": [site[0].clone(), site[1].clone(), qr("key", "The suggestion's key", json!({ "type": "string" }))],
        "responses": ok("The suggestion and the proposed risk", json!({ "type": "object", "properties": { "suggestion": schema("RiskSuggestion"), "risk": schema("RiskInput") } })) } }));
    paths.insert("/api/v1/risk-suggestions/dismissals".into(), json!({
        "post": { "tags": tag, "operationId": "dismissRiskSuggestion", "summary": "Dismiss a suggestion with a reason (audited)",
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": {
                      "site": { "type": "string" }, "site_id": { "type": "integer" }, "key": { "type": "string" }, "reason": { "type": "string" } }, "required": ["key", "reason"] } } } },
                  "responses": none() },
        "delete": { "tags": tag, "operationId": "restoreRiskSuggestion", "summary": "Take a dismissal back (audited)",
                    "parameters": [site[0].clone(), site[1].clone(), qr("key", "The suggestion's key", json!({ "type": "string" }))], "responses": none() }
    }));
    paths.insert("/api/v1/risk-heatmap".into(), json!({ "get": { "tags": tag, "operationId": "getRiskHeatmap",
        "summary": "Inherent and residual risks per cell of the current matrix, for one site or rolled up over the caller's sites",
        "parameters": [site[0].clone(), site[1].clone()], "responses": ok("The heatmaps", schema("RiskHeatmap")) } }));
    let mut svg = Map::new();
    svg.insert(
        "200".into(),
        json!({ "description": "The heatmap", "content": { "image/svg+xml": { "schema": { "type": "string" } } } }),
    );
    paths.insert("/api/v1/risk-heatmap.svg".into(), json!({ "get": { "tags": tag, "operationId": "getRiskHeatmapSvg",
        "parameters": [site[0].clone(), site[1].clone(), q("rating", "inherent (default) or residual", json!({ "type": "string", "enum": ["inherent", "residual"] }))],
        "responses": with_errors(svg) } }));
    paths.insert("/api/v1/risk-periods".into(), json!({
        "get": { "tags": tag, "operationId": "listRiskPeriods", "summary": "Closed assessment periods, oldest first",
                 "responses": ok("Periods", json!({ "type": "object", "properties": { "items": { "type": "array", "items": schema("RiskPeriod") } } })) },
        "post": { "tags": tag, "operationId": "closeRiskPeriod", "summary": "Close an assessment period: the register of every site is frozen under a name (administrators and ISMS managers of every site)",
                  "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "name": { "type": "string" }, "note": { "type": "string" } }, "required": ["name"] } } } },
                  "responses": with("201", json!({ "description": "The period", "content": { "application/json": { "schema": schema("RiskPeriod") } } })) }
    }));
    paths.insert("/api/v1/risk-periods/compare".into(), json!({ "get": { "tags": tag, "operationId": "compareRiskPeriods",
        "summary": "What changed between two periods, or between a period and today: risks added, removed, and changed field by field",
        "parameters": [qr("from", "A period id", json!({ "type": "integer" })), q("to", "A period id, or current (default)", json!({ "type": "string" })), site[0].clone(), site[1].clone()],
        "responses": ok("The comparison", json!({ "type": "object", "properties": {
            "from": { "type": "string" }, "to": { "type": "string" }, "added": { "type": "integer" }, "removed": { "type": "integer" },
            "changed": { "type": "integer" }, "unchanged": { "type": "integer" },
            "risks": { "type": "array", "items": { "type": "object", "properties": {
                "risk_id": { "type": "integer" }, "site_id": { "type": "integer" }, "title": { "type": "string" },
                "change": { "type": "string", "enum": ["added", "removed", "changed"] },
                "fields": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "old": {}, "new": {} } } } } } } } })) } }));
    paths.insert("/api/v1/risk-periods/{id}".into(), json!({ "get": { "tags": tag, "operationId": "getRiskPeriod",
        "summary": "A closed period with its risks as they stood (within the caller's sites)",
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }, site[0].clone(), site[1].clone()],
        "responses": ok("The period and its risks", json!({ "type": "object", "properties": { "period": schema("RiskPeriod"), "risks": { "type": "array", "items": { "type": "object" } } } })) } }));
}

fn inventory_paths(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let ok = |desc: &str, schema: Value| {
        let mut m = Map::new();
        m.insert("200".into(), json!({ "description": desc, "content": { "application/json": { "schema": schema } } }));
        with_errors(m)
    };
    let none = || {
        let mut m = Map::new();
        m.insert("204".into(), json!({ "description": "Recorded, with its reason, in the audit trail" }));
        with_errors(m)
    };
    let schema = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let q = |name: &str, desc: &str, schema: Value| json!({ "name": name, "in": "query", "required": false, "description": desc, "schema": schema });
    let tag = json!(["Inventory"]);
    let problem = json!({ "type": "object", "properties": {
        "line": { "type": ["integer", "null"] }, "column": { "type": ["string", "null"] },
        "field": { "type": ["string", "null"] }, "message": { "type": "string" } } });
    schemas.insert("ImportReport".into(), json!({
        "type": "object",
        "description": "What an import did (or, for a dry run or a refused file, would do)",
        "properties": {
            "kind": { "type": "string" }, "file": { "type": "string" }, "sha256": { "type": "string" },
            "format": { "type": "string" },
            "columns": { "type": "array", "items": { "type": "array" } },
            "dry_run": { "type": "boolean" }, "stored": { "type": "boolean" },
            "import_id": { "type": ["integer", "null"] },
            "rows_read": { "type": "integer" }, "blank_rows": { "type": "integer" },
            "created": { "type": "integer" }, "updated": { "type": "integer" }, "unchanged": { "type": "integer" },
            "duplicates": { "type": "integer" }, "staged": { "type": "integer" }, "proposals": { "type": "integer" },
            "rejected": { "type": "array", "items": problem.clone() }, "rejected_count": { "type": "integer" },
            "conflicts": { "type": "array", "items": problem }, "conflict_count": { "type": "integer" },
            "warnings": { "type": "array", "items": { "type": "string" } }
        }
    }));
    schemas.insert("Import".into(), json!({
        "type": "object",
        "description": "An import of the history: who, when, through which channel, which file (SHA-256), and its counts",
        "properties": {
            "id": { "type": "integer" }, "site_id": { "type": "integer" }, "kind": { "type": "string" },
            "channel": { "type": "string" }, "source": { "type": "string" }, "sha256": { "type": "string" },
            "actor_name": { "type": "string" }, "started_at": { "type": "string" }, "finished_at": { "type": "string" },
            "rows_read": { "type": "integer" }, "created": { "type": "integer" }, "updated": { "type": "integer" },
            "unchanged": { "type": "integer" }, "rejected": { "type": "integer" }, "staged": { "type": "integer" },
            "proposals": { "type": "integer" }, "note": { "type": "string" }
        }
    }));
    schemas.insert("Proposal".into(), json!({
        "type": "object",
        "description": "An observed value that differs from the declared one (for firmware: configuration drift), waiting for a decision",
        "properties": {
            "id": { "type": "integer" }, "site_id": { "type": "integer" }, "asset_id": { "type": "integer" },
            "field": { "type": "string" }, "current_value": {}, "proposed_value": {}, "source": { "type": "string" },
            "first_seen": { "type": "string" }, "last_seen": { "type": "string" }, "status": { "type": "string" },
            "decided_by": { "type": "string" }, "reason": { "type": "string" }
        }
    }));
    let site = [
        q("site_id", "The site (id)", json!({ "type": "integer", "minimum": 1 })),
        q("site", "The site (code)", json!({ "type": "string" })),
    ];
    let key = json!({ "name": "key", "in": "path", "required": true,
        "description": "GET: the import's id. POST: what the file holds: assets, flows, zones, conduits, interfaces (CSV or XLSX), zeek (conn.log, TSV or JSON lines, plain or gzip) or nmap (XML)",
        "schema": { "type": "string" } });
    let mut import_params: Vec<Value> = site.to_vec();
    import_params.push(key.clone());
    import_params.push(q(
        "dry_run",
        "Report what would be created, updated, unchanged and in conflict; store nothing",
        json!({ "type": "boolean" }),
    ));
    import_params.push(q(
        "skip_invalid",
        "Store the good rows and report the others (default: one bad row refuses the file)",
        json!({ "type": "boolean" }),
    ));
    import_params.push(q(
        "map",
        "An explicit column mapping \"Header=field\" (repeatable; \"Header=-\" ignores the column)",
        json!({ "type": "string" }),
    ));
    import_params.push(q("sheet", "The XLSX worksheet to read", json!({ "type": "string" })));
    import_params.push(json!({ "name": "X-File-Name", "in": "header", "schema": { "type": "string" }, "description": "The file's name, for messages and the history" }));
    let mut import_responses = match with_errors(Map::new()) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    import_responses.insert("200".into(), json!({ "description": "Stored (or a clean dry run)", "content": { "application/json": { "schema": schema("ImportReport") } } }));
    import_responses.insert("422".into(), json!({ "description": "Refused: bad rows or conflicts, each named by line and column; nothing stored", "content": { "application/json": { "schema": schema("ImportReport") } } }));
    let mut list_params: Vec<Value> = site.to_vec();
    list_params.push(q("before", "Imports older than this id", json!({ "type": "integer" })));
    list_params.push(q(
        "limit",
        "At most this many (1 to 1000)",
        json!({ "type": "integer", "minimum": 1, "maximum": 1000 }),
    ));
    paths.insert("/api/v1/imports".into(), json!({ "get": { "tags": tag, "operationId": "listImports",
        "summary": "The import history of the caller's sites, newest first", "parameters": list_params,
        "responses": ok("Imports", json!({ "type": "object", "properties": { "items": { "type": "array", "items": schema("Import") } } })) } }));
    paths.insert("/api/v1/imports/{key}".into(), json!({
        "get": { "tags": tag, "operationId": "getImport", "parameters": [key], "responses": ok("The import", schema("Import")) },
        "post": { "tags": tag, "operationId": "importFile",
            "summary": "Import a file into a site as one audited operation (the file's SHA-256 and every record's old and new values); at most 256 MiB",
            "parameters": import_params,
            "requestBody": { "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
            "responses": import_responses } }));
    let mut review_params: Vec<Value> = site.to_vec();
    review_params[1]["required"] = json!(false);
    paths.insert("/api/v1/review".into(), json!({ "get": { "tags": tag, "operationId": "reviewQueue",
        "summary": "What waits for review in a site: observed assets, observed flows with no documented counterpart, observed values that differ from declared ones",
        "parameters": review_params,
        "responses": ok("The queue", json!({ "type": "object", "properties": {
            "site_id": { "type": "integer" },
            "assets": { "type": "array", "items": schema("Asset") },
            "flows": { "type": "array", "items": schema("Flow") },
            "proposals": { "type": "array", "items": schema("Proposal") },
            "truncated": { "type": "boolean" } } })) } }));
    paths.insert("/api/v1/discovery/sparkplug".into(), json!({ "get": { "tags": tag, "operationId": "sparkplugDiscovery",
        "summary": "Sparkplug B discovery: the listener's status in this server (connected, messages per second, last message, errors; null when not configured here) and the identities of the caller's sites with their liveness",
        "parameters": site.to_vec(),
        "responses": ok("Status and identities", json!({ "type": "object", "properties": {
            "status": { "type": ["object", "null"] },
            "identities": { "type": "array", "items": { "type": "array" } } } })) } }));
    let id = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } });
    let verdict = json!({ "type": "object", "required": ["verdict", "reason"], "additionalProperties": false, "properties": {
        "verdict": { "enum": ["confirm", "reject"] }, "reason": { "type": "string", "minLength": 1 } } });
    paths.insert("/api/v1/review/assets/{id}".into(), json!({ "post": { "tags": tag, "operationId": "reviewAsset",
        "summary": "Confirm an observed asset, merge it into another (its flows move there), or reject it (not staged again)",
        "parameters": [id.clone()],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["action", "reason"], "additionalProperties": false, "properties": {
            "action": { "enum": ["confirm", "merge", "reject"] }, "into": { "type": "integer" }, "reason": { "type": "string", "minLength": 1 } } } } } },
        "responses": none() } }));
    paths.insert(
        "/api/v1/review/flows/{id}".into(),
        json!({ "post": { "tags": tag, "operationId": "reviewFlow",
        "summary": "Confirm an observed flow (documented from now on) or reject it (not intended; it stays recorded)",
        "parameters": [id.clone()],
        "requestBody": { "required": true, "content": { "application/json": { "schema": verdict.clone() } } },
        "responses": none() } }),
    );
    paths.insert(
        "/api/v1/review/proposals/{id}".into(),
        json!({ "post": { "tags": tag, "operationId": "reviewProposal",
        "summary": "Accept an observed value (it is applied to the asset) or reject it",
        "parameters": [id],
        "requestBody": { "required": true, "content": { "application/json": { "schema": verdict } } },
        "responses": none() } }),
    );
}

/// The Statement of Applicability, its versions and exports, evidence files, the crosswalk,
/// the catalogues and the dashboard.
fn soa_paths(paths: &mut Map<String, Value>) {
    let ok = |desc: &str| {
        let mut m = Map::new();
        m.insert(
            "200".into(),
            json!({ "description": desc, "content": { "application/json": { "schema": { "type": "object" } } } }),
        );
        with_errors(m)
    };
    let file = |desc: &str| {
        let mut m = Map::new();
        m.insert("200".into(), json!({ "description": desc, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } }));
        with_errors(m)
    };
    let q = |name: &str, desc: &str| json!({ "name": name, "in": "query", "required": false, "description": desc, "schema": { "type": "string" } });
    let id = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } });
    let tag = json!(["Statement of Applicability"]);
    let raw = json!({ "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } });
    paths.insert("/api/v1/scopes/{id}/soa".into(), json!({ "get": { "tags": tag, "operationId": "soaOfScope",
        "summary": "The 93 lines of the scope's statement (decided or not), completeness, coverage, frozen versions, and suggestions from IEC 62443 requirements implemented in the scope's zones",
        "parameters": [id.clone()], "responses": ok("The statement") } }));
    paths.insert("/api/v1/scopes/{id}/soa/{control}".into(), json!({ "put": { "tags": tag, "operationId": "decideControl",
        "summary": "Decide one control (create or replace its entry); If-Match with the entry version seen",
        "parameters": [id.clone(), { "name": "control", "in": "path", "required": true, "schema": { "type": "string" }, "description": "An Annex A id, 8.20 or A.8.20" }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SoaEntryInput" } } } },
        "responses": ok("The entry") } }));
    paths.insert("/api/v1/scopes/{id}/soa-versions".into(), json!({
        "get": { "tags": tag, "operationId": "soaVersions", "parameters": [id.clone()], "responses": ok("Frozen versions with their approvers") },
        "post": { "tags": tag, "operationId": "freezeSoa", "summary": "Freeze the working statement as the next version for approval (409 while a control lacks a decision or a justification)",
            "parameters": [id.clone()],
            "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "properties": { "note": { "type": "string" } } } } } },
            "responses": ok("The version (sign it at /api/v1/soa-versions/{id}/signatures)") } }));
    paths.insert("/api/v1/scopes/{id}/soa-versions/{number}".into(), json!({ "get": { "tags": tag, "operationId": "soaVersion",
        "parameters": [id.clone(), { "name": "number", "in": "path", "required": true, "schema": { "type": "integer" } }],
        "responses": ok("The version and its content") } }));
    paths.insert("/api/v1/scopes/{id}/soa-compare".into(), json!({ "get": { "tags": tag, "operationId": "compareSoa",
        "parameters": [id.clone(), q("from", "A version number or current"), q("to", "A version number or current (default)")],
        "responses": ok("What differs, field by field") } }));
    paths.insert("/api/v1/scopes/{id}/soa-export".into(), json!({ "get": { "tags": tag, "operationId": "exportSoa",
        "parameters": [id.clone(), q("format", "xlsx (default), csv, pdf, oscal-catalog, oscal-profile, oscal-ssp"), q("version", "A version number, latest, or current (default)")],
        "responses": file("The document") } }));
    paths.insert("/api/v1/scopes/{id}/evidence-bundle".into(), json!({ "get": { "tags": tag, "operationId": "evidenceBundle",
        "summary": "A zip with the statement (XLSX, PDF, CSV, OSCAL), the risk register, the scope, the audit-trail extract for the period, uploaded evidence and a manifest of SHA-256 hashes; the manifest's hash is in X-Manifest-SHA256 and in the audit trail",
        "parameters": [id.clone(), q("from", "First day, YYYY-MM-DD"), q("to", "Last day, YYYY-MM-DD"), q("version", "A version number, latest (default) or current")],
        "responses": file("The bundle") } }));
    paths.insert("/api/v1/evidence/{id}/file".into(), json!({
        "get": { "tags": tag, "operationId": "downloadEvidence", "parameters": [id.clone()], "responses": file("The uploaded file, checked against its recorded SHA-256") },
        "put": { "tags": tag, "operationId": "uploadEvidence", "summary": "Upload the evidence file (at most 25 MiB); the server computes its SHA-256",
            "parameters": [id.clone(), { "name": "X-File-Name", "in": "header", "schema": { "type": "string" } }],
            "requestBody": raw.clone(), "responses": ok("The evidence record") } }));
    paths.insert(
        "/api/v1/soa-dashboard".into(),
        json!({ "get": { "tags": tag, "operationId": "soaDashboard",
        "parameters": [q("site", "One site (code)"), q("site_id", "One site (id)")],
        "responses": ok("Coverage per scope and over the group, evidence gaps, overdue reviews, approval states") } }),
    );
    paths.insert("/api/v1/crosswalk".into(), json!({
        "get": { "tags": tag, "operationId": "crosswalk", "parameters": [q("control", "One Annex A control"), q("catalog", "One target catalogue")],
            "responses": ok("Links with their relationship and basis; default links are informative") },
        "post": { "tags": tag, "operationId": "putCrosswalkLink", "summary": "Create or change a link (administrator or ISMS manager of all sites)",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["control", "target", "relationship", "basis"], "properties": {
                "control": { "type": "string" }, "catalog": { "type": "string" }, "target": { "type": "string" },
                "relationship": { "enum": ["equal", "subset", "superset", "intersects"] }, "basis": { "type": "string" } } } } } },
            "responses": ok("The link") } }));
    paths.insert("/api/v1/crosswalk/{id}".into(), json!({ "delete": { "tags": tag, "operationId": "deleteCrosswalkLink", "parameters": [id], "responses": ok("The removed link") } }));
    paths.insert("/api/v1/catalogs".into(), json!({ "get": { "tags": tag, "operationId": "catalogs", "responses": ok("Built-in and imported catalogues with their versions") } }));
    paths.insert("/api/v1/catalogs/{key}".into(), json!({
        "get": { "tags": tag, "operationId": "catalogItems", "parameters": [{ "name": "key", "in": "path", "required": true, "schema": { "type": "string" } }, q("version", "A version (default: the newest)")],
            "responses": ok("The items with imported descriptions and guidance") },
        "post": { "tags": tag, "operationId": "importCatalog", "summary": "Import a catalogue CSV (id,title,group,description,guidance): licensed texts for a built-in catalogue, or a catalogue of the organisation's own with version and title",
            "parameters": [{ "name": "key", "in": "path", "required": true, "schema": { "type": "string" } }, q("version", "Version of an own catalogue"), q("title", "Title of an own catalogue")],
            "requestBody": raw, "responses": ok("The catalogue") } }));
}
