-- IEC 62443: what separates assets in zone design (ZCR 3.3 to 3.6) and their security level
-- capability (SL-C); the status of each system requirement (SR) and requirement enhancement
-- (RE) of IEC 62443-3-3 per zone and per conduit, from which the achieved level (SL-A) is
-- computed; licensed description text of the requirements, imported by the customer.

ALTER TABLE assets ADD COLUMN safety_related INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN wireless INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN temporarily_connected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN externally_reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN sl_capability TEXT;
-- The stored document lists the columns in order: the new ones go at its end.
UPDATE assets SET doc = doc || ',"safety_related":false,"wireless":false,"temporarily_connected":false,"externally_reached":false,"sl_capability":null';

CREATE TABLE requirement_statuses (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id       INTEGER NOT NULL REFERENCES sites (id),
    zone_id       INTEGER,
    conduit_id    INTEGER REFERENCES conduits (id),
    requirement   TEXT NOT NULL,                 -- "SR 1.1" or "SR 1.1 RE 2"
    status        TEXT NOT NULL,                 -- not_applicable, planned, implemented, compensated
    justification TEXT NOT NULL DEFAULT '',      -- why not applicable, or the countermeasure
    owner         TEXT NOT NULL DEFAULT '',
    evidence      TEXT NOT NULL DEFAULT '[]',
    doc TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CONSTRAINT uq_requirement_statuses_zone UNIQUE (zone_id, requirement),
    CONSTRAINT uq_requirement_statuses_conduit UNIQUE (conduit_id, requirement),
    CONSTRAINT ck_requirement_statuses_target CHECK ((zone_id IS NULL) <> (conduit_id IS NULL)),
    FOREIGN KEY (site_id, zone_id) REFERENCES zones (site_id, id)
);
CREATE INDEX ix_requirement_statuses_site ON requirement_statuses (site_id, id);

CREATE TABLE requirement_texts (
    requirement TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    source      TEXT NOT NULL,                   -- file name and SHA-256 of the import
    imported_at BIGINT NOT NULL
);

-- Flows that name the same outside endpoint join sites in the cross-domain path analysis.
CREATE INDEX ix_flows_source_external ON flows (source_external, site_id) WHERE source_external IS NOT NULL;
CREATE INDEX ix_flows_destination_external ON flows (destination_external, site_id) WHERE destination_external IS NOT NULL;
