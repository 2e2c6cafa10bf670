-- Connect 981 core schema, SQLite dialect. Record timestamps are RFC 3339 text in UTC with six fractional
-- digits (fixed width, so text order is time order); audit times are integer microseconds; lists are JSON arrays in TEXT; booleans are 0 or 1. Ids are never reused (AUTOINCREMENT).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sites (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    country     TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    industry    TEXT NOT NULL,
    regulations TEXT NOT NULL DEFAULT '[]',
    description TEXT NOT NULL DEFAULT '',
    doc TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CONSTRAINT uq_sites_code UNIQUE (code),
    CONSTRAINT uq_sites_name UNIQUE (name)
);

CREATE TABLE zones (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id      INTEGER NOT NULL REFERENCES sites (id),
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    purdue_level TEXT,
    subnets      TEXT NOT NULL DEFAULT '[]',
    sl_target    TEXT NOT NULL,
    criticality  TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    doc TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CONSTRAINT uq_zones_name UNIQUE (site_id, name),
    CONSTRAINT uq_zones_site_id UNIQUE (site_id, id)
);

CREATE TABLE conduits (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id             INTEGER NOT NULL REFERENCES sites (id),
    name                TEXT NOT NULL,
    zone_ids            TEXT NOT NULL DEFAULT '[]',
    services            TEXT NOT NULL DEFAULT '[]',
    direction           TEXT NOT NULL,
    encryption_required INTEGER NOT NULL,
    sl_target           TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    doc TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    CONSTRAINT uq_conduits_name UNIQUE (site_id, name)
);

-- The zones a conduit joins, kept as rows so that a zone in use cannot disappear.
CREATE TABLE conduit_zones (
    conduit_id INTEGER NOT NULL REFERENCES conduits (id) ON DELETE CASCADE,
    site_id    INTEGER NOT NULL,
    zone_id    INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (conduit_id, zone_id),
    FOREIGN KEY (site_id, zone_id) REFERENCES zones (site_id, id)
);
CREATE INDEX ix_conduit_zones_zone ON conduit_zones (zone_id);

CREATE TABLE assets (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id        INTEGER NOT NULL REFERENCES sites (id),
    zone_id        INTEGER,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    vendor         TEXT NOT NULL DEFAULT '',
    model          TEXT NOT NULL DEFAULT '',
    serial         TEXT NOT NULL DEFAULT '',
    firmware       TEXT NOT NULL DEFAULT '',
    ip_addresses   TEXT NOT NULL DEFAULT '[]',
    mac_addresses  TEXT NOT NULL DEFAULT '[]',
    protocols      TEXT NOT NULL DEFAULT '[]',
    purdue_level   TEXT,
    criticality    TEXT NOT NULL,
    owner          TEXT NOT NULL DEFAULT '',
    in_service     INTEGER NOT NULL,
    end_of_support TEXT,
    legacy         INTEGER NOT NULL,
    in_scope       INTEGER NOT NULL,
    provenance     TEXT NOT NULL,
    sources        TEXT NOT NULL DEFAULT '[]',
    first_seen     TEXT,
    last_seen      TEXT,
    tags           TEXT NOT NULL DEFAULT '[]',
    description    TEXT NOT NULL DEFAULT '',
    doc TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CONSTRAINT uq_assets_name UNIQUE (site_id, name),
    CONSTRAINT uq_assets_site_id UNIQUE (site_id, id),
    FOREIGN KEY (site_id, zone_id) REFERENCES zones (site_id, id)
);
CREATE INDEX ix_assets_site_zone ON assets (site_id, zone_id, id);
CREATE INDEX ix_assets_site_kind ON assets (site_id, kind, id);
CREATE INDEX ix_assets_site_criticality ON assets (site_id, criticality, id);
CREATE INDEX ix_assets_site_provenance ON assets (site_id, provenance, id);
CREATE INDEX ix_assets_site_vendor ON assets (site_id, vendor, id);

-- Addresses and serials of assets, one row each, for exact look-ups (import matching,
-- search by address) at a million assets.
CREATE TABLE asset_keys (
    asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    site_id  INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (asset_id, kind, value)
);
CREATE INDEX ix_asset_keys_lookup ON asset_keys (site_id, kind, value);
CREATE INDEX ix_asset_keys_value ON asset_keys (value);

-- asset_keys is maintained by the database from the asset's addresses and serial.
CREATE TRIGGER assets_keys_insert AFTER INSERT ON assets
BEGIN
    INSERT INTO asset_keys (asset_id, site_id, kind, value)
        SELECT NEW.id, NEW.site_id, 'ip', value FROM json_each(NEW.ip_addresses)
        UNION SELECT NEW.id, NEW.site_id, 'mac', value FROM json_each(NEW.mac_addresses)
        UNION SELECT NEW.id, NEW.site_id, 'serial', lower(NEW.serial) WHERE NEW.serial <> '';
END;
CREATE TRIGGER assets_keys_update AFTER UPDATE OF site_id, ip_addresses, mac_addresses, serial ON assets
BEGIN
    DELETE FROM asset_keys WHERE asset_id = NEW.id;
    INSERT INTO asset_keys (asset_id, site_id, kind, value)
        SELECT NEW.id, NEW.site_id, 'ip', value FROM json_each(NEW.ip_addresses)
        UNION SELECT NEW.id, NEW.site_id, 'mac', value FROM json_each(NEW.mac_addresses)
        UNION SELECT NEW.id, NEW.site_id, 'serial', lower(NEW.serial) WHERE NEW.serial <> '';
END;

CREATE TABLE flows (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id              INTEGER NOT NULL REFERENCES sites (id),
    source_asset_id      INTEGER,
    source_external      TEXT,
    destination_asset_id INTEGER,
    destination_external TEXT,
    source_key           TEXT NOT NULL,
    destination_key      TEXT NOT NULL,
    protocol             TEXT NOT NULL,
    port                 INTEGER,
    port_key             INTEGER NOT NULL,
    direction            TEXT NOT NULL,
    encrypted            INTEGER NOT NULL,
    purpose              TEXT NOT NULL DEFAULT '',
    documented           INTEGER NOT NULL,
    observed             INTEGER NOT NULL,
    first_seen           TEXT,
    last_seen            TEXT,
    connection_count     INTEGER,
    byte_count           INTEGER,
    doc TEXT NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    CONSTRAINT uq_flows_endpoints UNIQUE (site_id, source_key, destination_key, protocol, port_key),
    FOREIGN KEY (site_id, source_asset_id) REFERENCES assets (site_id, id),
    FOREIGN KEY (site_id, destination_asset_id) REFERENCES assets (site_id, id)
);
CREATE INDEX ix_flows_source ON flows (source_asset_id);
CREATE INDEX ix_flows_destination ON flows (destination_asset_id);
CREATE INDEX ix_flows_site_protocol ON flows (site_id, protocol, id);

CREATE TABLE interfaces (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id           INTEGER NOT NULL REFERENCES sites (id),
    name              TEXT NOT NULL,
    system_kind       TEXT NOT NULL,
    external_system   TEXT NOT NULL DEFAULT '',
    responsible_party TEXT NOT NULL,
    boundary          TEXT NOT NULL,
    asset_id          INTEGER,
    zone_id           INTEGER,
    protocols         TEXT NOT NULL DEFAULT '[]',
    direction         TEXT NOT NULL,
    data_exchanged    TEXT NOT NULL DEFAULT '',
    doc TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    CONSTRAINT uq_interfaces_name UNIQUE (site_id, name),
    FOREIGN KEY (site_id, asset_id) REFERENCES assets (site_id, id),
    FOREIGN KEY (site_id, zone_id) REFERENCES zones (site_id, id)
);
CREATE INDEX ix_interfaces_asset ON interfaces (asset_id);
CREATE INDEX ix_interfaces_zone ON interfaces (zone_id);

-- The audit trail: append-only, hash-chained. audit_head holds the last sequence number and
-- hash; every write starts by updating it, which serialises writers on both databases.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    format      INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    channel     TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   INTEGER,
    site_id     INTEGER,
    reason      TEXT,
    changes     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX ix_audit_entity ON audit_log (entity_type, entity_id, seq);
CREATE INDEX ix_audit_site ON audit_log (site_id, seq);
CREATE INDEX ix_audit_at ON audit_log (at);

-- Appending an entry moves the head in the same statement.
CREATE TRIGGER audit_log_moves_head AFTER INSERT ON audit_log
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
END;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit entries are immutable');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit entries are immutable');
END;
