-- The ISMS of a site (ISO/IEC 27001:2022 4.3, 6.1.3 d): its scope, the Statement of
-- Applicability over the Annex A controls, the evidence the entries point to, the frozen
-- versions approvers sign, the crosswalk to IEC 62443-3-3 and imported catalogues.

-- Link tables below name (site_id, id) of the records they point to, so that a link never
-- crosses sites; systems and risks get the unique keys that needs.
CREATE UNIQUE INDEX uq_systems_site_id ON systems (site_id, id);
CREATE UNIQUE INDEX uq_risks_site_id ON risks (site_id, id);

CREATE TABLE isms_scopes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id       INTEGER NOT NULL REFERENCES sites (id),
    name          TEXT NOT NULL,
    statement     TEXT NOT NULL,
    zone_ids      TEXT NOT NULL DEFAULT '[]',
    system_ids    TEXT NOT NULL DEFAULT '[]',
    services      TEXT NOT NULL DEFAULT '[]',
    teams         TEXT NOT NULL DEFAULT '[]',
    interface_ids TEXT NOT NULL DEFAULT '[]',
    exclusions    TEXT NOT NULL,
    owner         TEXT NOT NULL DEFAULT '',
    next_review   TEXT,
    doc           TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CONSTRAINT uq_isms_scopes_name UNIQUE (site_id, name)
);
CREATE UNIQUE INDEX uq_isms_scopes_site_id ON isms_scopes (site_id, id);

CREATE TABLE scope_zones (
    scope_id INTEGER NOT NULL REFERENCES isms_scopes (id) ON DELETE CASCADE,
    site_id  INTEGER NOT NULL,
    zone_id  INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (scope_id, zone_id),
    FOREIGN KEY (site_id, zone_id) REFERENCES zones (site_id, id)
);
CREATE INDEX ix_scope_zones_zone ON scope_zones (zone_id);

CREATE TABLE scope_systems (
    scope_id  INTEGER NOT NULL REFERENCES isms_scopes (id) ON DELETE CASCADE,
    site_id   INTEGER NOT NULL,
    system_id INTEGER NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (scope_id, system_id),
    FOREIGN KEY (site_id, system_id) REFERENCES systems (site_id, id)
);
CREATE INDEX ix_scope_systems_system ON scope_systems (system_id);

CREATE TABLE scope_interfaces (
    scope_id     INTEGER NOT NULL REFERENCES isms_scopes (id) ON DELETE CASCADE,
    site_id      INTEGER NOT NULL,
    interface_id INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (scope_id, interface_id),
    FOREIGN KEY (site_id, interface_id) REFERENCES interfaces (site_id, id)
);
CREATE INDEX ix_scope_interfaces_interface ON scope_interfaces (interface_id);

-- Evidence: documents by reference, links, uploaded files (content in evidence_files), records.
CREATE TABLE evidence (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id       INTEGER NOT NULL REFERENCES sites (id),
    title         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    reference     TEXT NOT NULL DEFAULT '',
    sha256        TEXT,
    file_name     TEXT NOT NULL DEFAULT '',
    size          INTEGER,
    evidence_date TEXT NOT NULL,
    valid_until   TEXT,
    description   TEXT NOT NULL DEFAULT '',
    doc           TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX uq_evidence_site_id ON evidence (site_id, id);

-- The content of uploaded evidence; its SHA-256 is computed by the server on upload.
CREATE TABLE evidence_files (
    evidence_id  INTEGER PRIMARY KEY REFERENCES evidence (id) ON DELETE CASCADE,
    sha256       TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content      BLOB NOT NULL
);

-- One entry per decided control of a scope; a control without a row is undecided.
CREATE TABLE soa_entries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id        INTEGER NOT NULL REFERENCES sites (id),
    scope_id       INTEGER NOT NULL,
    control        TEXT NOT NULL,
    control_order  INTEGER NOT NULL,             -- clause * 100 + number: Annex A order
    applicability  TEXT NOT NULL,
    justification  TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    implementation TEXT NOT NULL DEFAULT '',
    owner          TEXT NOT NULL DEFAULT '',
    risk_ids       TEXT NOT NULL DEFAULT '[]',
    evidence_ids   TEXT NOT NULL DEFAULT '[]',
    requirements   TEXT NOT NULL DEFAULT '[]',
    next_review    TEXT,
    doc            TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CONSTRAINT uq_soa_entries_control UNIQUE (scope_id, control),
    FOREIGN KEY (site_id, scope_id) REFERENCES isms_scopes (site_id, id)
);
CREATE UNIQUE INDEX uq_soa_entries_site_id ON soa_entries (site_id, id);
CREATE INDEX ix_soa_entries_scope ON soa_entries (scope_id, control_order);
CREATE INDEX ix_soa_entries_review ON soa_entries (next_review, id) WHERE next_review IS NOT NULL;

CREATE TABLE soa_risks (
    entry_id INTEGER NOT NULL REFERENCES soa_entries (id) ON DELETE CASCADE,
    site_id  INTEGER NOT NULL,
    risk_id  INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (entry_id, risk_id),
    FOREIGN KEY (site_id, risk_id) REFERENCES risks (site_id, id)
);
CREATE INDEX ix_soa_risks_risk ON soa_risks (risk_id);

CREATE TABLE soa_evidence (
    entry_id    INTEGER NOT NULL REFERENCES soa_entries (id) ON DELETE CASCADE,
    site_id     INTEGER NOT NULL,
    evidence_id INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (entry_id, evidence_id),
    FOREIGN KEY (site_id, evidence_id) REFERENCES evidence (site_id, id)
);
CREATE INDEX ix_soa_evidence_evidence ON soa_evidence (evidence_id);

-- Frozen, complete statements: what approvers sign. Never changed; a scope with versions
-- cannot be deleted.
CREATE TABLE soa_versions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id    INTEGER NOT NULL REFERENCES sites (id),
    scope_id   INTEGER NOT NULL,
    number     INTEGER NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    snapshot   TEXT NOT NULL,
    fingerprint TEXT NOT NULL,             -- what the statement was made of (see c981_domain::isms::fingerprint)
    doc        TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT uq_soa_versions_number UNIQUE (scope_id, number),
    FOREIGN KEY (site_id, scope_id) REFERENCES isms_scopes (site_id, id)
);
CREATE UNIQUE INDEX uq_soa_versions_site_id ON soa_versions (site_id, id);
CREATE TRIGGER soa_versions_no_update BEFORE UPDATE ON soa_versions
BEGIN
    SELECT RAISE(ABORT, 'statement of applicability versions are immutable');
END;
CREATE TRIGGER soa_versions_no_delete BEFORE DELETE ON soa_versions
BEGIN
    SELECT RAISE(ABORT, 'statement of applicability versions are immutable');
END;

-- The crosswalk between Annex A and other catalogues (IEC 62443-3-3, imported ones). The
-- default, informative links are installed by the store on first start (origin 'default').
CREATE TABLE crosswalk_links (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    control      TEXT NOT NULL,
    catalog      TEXT NOT NULL,
    target       TEXT NOT NULL,
    relationship TEXT NOT NULL,
    basis        TEXT NOT NULL DEFAULT '',
    origin       TEXT NOT NULL,
    updated_at   INTEGER NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT '',
    CONSTRAINT uq_crosswalk UNIQUE (control, catalog, target)
);
CREATE INDEX ix_crosswalk_target ON crosswalk_links (catalog, target);

-- Imported catalogues (a customer's policies, NIST CSF 2.0) and licensed texts for the built-in
-- ones. A catalogue version, once imported, is replaced only by importing it again.
CREATE TABLE catalogs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT NOT NULL,
    version     TEXT NOT NULL,
    title       TEXT NOT NULL,
    builtin     INTEGER NOT NULL DEFAULT 0,
    source      TEXT NOT NULL,                   -- file name and SHA-256 of the import
    imported_at INTEGER NOT NULL,
    imported_by TEXT NOT NULL,
    CONSTRAINT uq_catalogs UNIQUE (key, version)
);

CREATE TABLE catalog_items (
    catalog_id  INTEGER NOT NULL REFERENCES catalogs (id) ON DELETE CASCADE,
    item_id     TEXT NOT NULL,
    position    INTEGER NOT NULL,
    grp         TEXT NOT NULL DEFAULT '',
    title       TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    guidance    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (catalog_id, item_id)
);
