-- The inventory formalised over time (Annex A 5.9): imports of spreadsheets and observed
-- traffic, passive discovery from Sparkplug B, and the review of what was observed.
--
-- imports: one row per import or discovery session with its counts (the history users see);
-- every record it created or changed has its own audit entry, whose reason names the import.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    kind        TEXT NOT NULL,                -- assets, flows, zones, conduits, interfaces, zeek, nmap
    channel     TEXT NOT NULL,                -- cli, api, ui
    source      TEXT NOT NULL,                -- the file's name
    sha256      TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    rows_read   INTEGER NOT NULL,
    created     INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    staged      INTEGER NOT NULL,
    proposals   INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_imports_site ON imports (site_id, id);
CREATE INDEX ix_imports_sha ON imports (site_id, kind, sha256);

-- Provenance per field: the value an observation (a capture, a scan, a Sparkplug birth) set,
-- and where from. A field without a row was declared (typed, or imported from a spreadsheet);
-- a field whose current value differs from its row's was changed by a person since, and is
-- declared again.
CREATE TABLE asset_observations (
    asset_id    INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    site_id     INTEGER NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,                -- the value as JSON
    source      TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    PRIMARY KEY (asset_id, field)
);

-- Observed values that differ from declared ones: never applied without review. A firmware
-- proposal is configuration drift against the recorded (approved) firmware.
CREATE TABLE asset_proposals (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id        INTEGER NOT NULL REFERENCES sites (id),
    asset_id       INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    field          TEXT NOT NULL,
    current_value  TEXT NOT NULL,             -- JSON
    proposed_value TEXT NOT NULL,             -- JSON
    source         TEXT NOT NULL,
    first_seen     TEXT NOT NULL,
    last_seen      TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'open',  -- open, accepted, rejected
    decided_by     TEXT NOT NULL DEFAULT '',
    decided_at     TEXT,
    reason         TEXT NOT NULL DEFAULT '',
    CONSTRAINT uq_asset_proposals_value UNIQUE (asset_id, field, proposed_value)
);
CREATE INDEX ix_asset_proposals_open ON asset_proposals (site_id, status, id);

-- Devices a person rejected in review, by identity (mac:…, ip:…, spb:group/node/device): an
-- import or a discovery does not stage them again.
CREATE TABLE inventory_rejections (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id    INTEGER NOT NULL REFERENCES sites (id),
    key        TEXT NOT NULL,
    reason     TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT uq_inventory_rejections_key UNIQUE (site_id, key)
);

-- Observed flows a person reviewed and rejected (not intended): kept (the finding stays),
-- out of the review queue.
CREATE TABLE flow_reviews (
    flow_id    INTEGER PRIMARY KEY REFERENCES flows (id) ON DELETE CASCADE,
    site_id    INTEGER NOT NULL,
    decision   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    decided_at TEXT NOT NULL
);

-- Sparkplug B identities (group/node[/device]) of the assets discovery made or matched, and
-- their liveness. Liveness is telemetry, refreshed in batches, not audited; births and deaths
-- that change a record are.
CREATE TABLE sparkplug_assets (
    site_id         INTEGER NOT NULL REFERENCES sites (id),
    spb_key         TEXT NOT NULL,
    asset_id        INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    online          INTEGER NOT NULL DEFAULT 0,
    changed_at      TEXT NOT NULL,
    last_message_at TEXT NOT NULL,
    bd_seq          INTEGER,
    PRIMARY KEY (site_id, spb_key)
);
CREATE INDEX ix_sparkplug_assets_asset ON sparkplug_assets (asset_id);
