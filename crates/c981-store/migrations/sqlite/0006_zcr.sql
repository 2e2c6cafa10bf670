-- IEC 62443-3-2: systems under consideration (SUC) and where their zone and conduit
-- requirements ZCR 1 to ZCR 7 stand. The zones of a SUC are a JSON list in the row and one
-- row each in system_zones (same site, by foreign key); the asset owner's approval (ZCR 7) is an
-- electronic signature on the record (table signatures).

CREATE TABLE systems (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id       INTEGER NOT NULL REFERENCES sites (id),
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',       -- scope and boundary of the SUC
    zone_ids      TEXT NOT NULL DEFAULT '[]',
    owner         TEXT NOT NULL DEFAULT '',       -- the asset owner
    zcr1_status   TEXT NOT NULL DEFAULT 'not_started',   -- not_started, in_progress, done, not_applicable
    zcr1_evidence TEXT NOT NULL DEFAULT '[]',
    zcr2_status   TEXT NOT NULL DEFAULT 'not_started',
    zcr2_evidence TEXT NOT NULL DEFAULT '[]',
    zcr3_status   TEXT NOT NULL DEFAULT 'not_started',
    zcr3_evidence TEXT NOT NULL DEFAULT '[]',
    zcr4_status   TEXT NOT NULL DEFAULT 'not_started',
    zcr4_evidence TEXT NOT NULL DEFAULT '[]',
    zcr5_status   TEXT NOT NULL DEFAULT 'not_started',
    zcr5_evidence TEXT NOT NULL DEFAULT '[]',
    zcr6_status   TEXT NOT NULL DEFAULT 'not_started',
    zcr6_evidence TEXT NOT NULL DEFAULT '[]',
    zcr7_status   TEXT NOT NULL DEFAULT 'not_started',
    zcr7_evidence TEXT NOT NULL DEFAULT '[]',
    doc TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CONSTRAINT uq_systems_name UNIQUE (site_id, name)
);
CREATE INDEX ix_systems_site ON systems (site_id, id);

-- The zones of a system, kept as rows so that a zone of another site is refused and a zone in
-- use cannot disappear (as conduit_zones does for conduits).
CREATE TABLE system_zones (
    system_id INTEGER NOT NULL REFERENCES systems (id) ON DELETE CASCADE,
    site_id   INTEGER NOT NULL,
    zone_id   INTEGER NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (system_id, zone_id),
    FOREIGN KEY (site_id, zone_id) REFERENCES zones (site_id, id)
);
CREATE INDEX ix_system_zones_zone ON system_zones (zone_id);
