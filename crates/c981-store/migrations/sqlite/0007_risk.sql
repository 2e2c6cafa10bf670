-- Risk assessment and treatment (ISO/IEC 27001 6.1.2 and 6.1.3) with OT impact: the
-- organisation's risk model, versioned, and the risk register.
--
-- risk_models holds one row per version of the model (likelihood scale, impact dimensions,
-- aggregation, matrix, acceptance criteria) as JSON; rows are never changed or deleted, so a
-- rating made under version N stays readable under N. Version 1 is the built-in model for OT
-- (the same as c981_domain::RiskModel::default(), checked by a test of the store).
CREATE TABLE risk_models (
    version    INTEGER PRIMARY KEY,
    model      TEXT NOT NULL,
    created_at TEXT,                       -- NULL for version 1, installed with the database
    actor_id   TEXT NOT NULL DEFAULT '',
    actor_name TEXT NOT NULL DEFAULT '',
    reason     TEXT
);
CREATE TRIGGER risk_models_no_update BEFORE UPDATE ON risk_models
BEGIN
    SELECT RAISE(ABORT, 'risk model versions are immutable');
END;
CREATE TRIGGER risk_models_no_delete BEFORE DELETE ON risk_models
BEGIN
    SELECT RAISE(ABORT, 'risk model versions are immutable');
END;

-- BEGIN built-in risk model
INSERT INTO risk_models (version, model) VALUES (1, '{
  "likelihood": [
    {
      "description": "Not expected during the life of the installation: needs a capable attacker with inside knowledge and privileged or physical access, or several independent failures at once.",
      "name": "Rare"
    },
    {
      "description": "Could happen within ten years: needs deliberate effort against an exposed path (vendor remote access, a DMZ service) or a rare error in operation or maintenance.",
      "name": "Unlikely"
    },
    {
      "description": "Could happen within a few years: a publicly known weakness of reachable equipment, or a common mistake during maintenance or an engineering change, is enough.",
      "name": "Possible"
    },
    {
      "description": "Expected within a year: the entry point is reachable from enterprise IT or the internet, or comparable incidents have hit plants of the sector.",
      "name": "Likely"
    },
    {
      "description": "Expected within months or already seen here: commodity malware, automated scanning, or everyday practices (shared accounts, USB transfers) expose the asset.",
      "name": "Almost certain"
    }
  ],
  "impact_levels": [
    {
      "description": "Absorbed by normal operation.",
      "name": "Negligible"
    },
    {
      "description": "Noticed and handled by the site within a shift.",
      "name": "Minor"
    },
    {
      "description": "Needs management attention and planned recovery at the site.",
      "name": "Moderate"
    },
    {
      "description": "Hurts the business or people beyond the site; outside parties involved.",
      "name": "Major"
    },
    {
      "description": "Threatens lives, the licence to operate or the company.",
      "name": "Severe"
    }
  ],
  "dimensions": [
    {
      "descriptions": [
        "No injury and no release to the environment.",
        "First-aid injury, or a contained minor release without lasting harm.",
        "Injury needing medical treatment or lost time, or a reportable release cleaned up on site.",
        "Permanent injury, or a release causing harm outside the site; authorities involved.",
        "One or more deaths, or a major environmental incident."
      ],
      "key": "safety",
      "name": "Safety of people and the environment"
    },
    {
      "descriptions": [
        "No effect on output: redundancy or a manual fallback covers it.",
        "Degraded operation, or one line stopped for less than an hour.",
        "A line stopped for up to a shift, or the site degraded for up to a day.",
        "The site stopped for one to seven days, or customer deliveries missed.",
        "The site stopped for more than a week, or several sites stopped."
      ],
      "key": "production_continuity",
      "name": "Production continuity"
    },
    {
      "descriptions": [
        "No product affected.",
        "Product put on hold and released after review; deviation closed on site.",
        "Batches or lots rejected or reworked; a reportable deviation (GxP, AS9100).",
        "Non-conforming product shipped and recalled, or a finding by a regulator or certification body.",
        "Harm to patients or users, or a licence, approval or certification withdrawn."
      ],
      "key": "product_quality",
      "name": "Product quality and regulatory compliance"
    },
    {
      "descriptions": [
        "No data or command affected, or errors caught at once by plausibility checks.",
        "Wrong values in non-critical data, noticed and corrected within a shift.",
        "Operating or maintenance decisions taken on wrong data; records must be rebuilt.",
        "Unauthorised commands or setpoints reach controllers, or GxP records lose their integrity.",
        "Manipulated commands drive equipment outside its safe envelope without being detected."
      ],
      "key": "integrity",
      "name": "Integrity of data and commands"
    },
    {
      "descriptions": [
        "Public information only.",
        "Internal operating data: counts, logs, schedules.",
        "Process parameters, network designs, or credentials of one system.",
        "Recipes, formulations, customer designs or export-controlled technical data.",
        "Core intellectual property, or credentials that give control over several sites."
      ],
      "key": "confidentiality",
      "name": "Confidentiality"
    },
    {
      "descriptions": [
        "Loss below 10,000 in the company''s currency; no outside attention.",
        "Loss up to 100,000; a customer complaint.",
        "Loss up to 1 million; local press, or a key customer escalates.",
        "Loss up to 10 million; national press, contractual penalties, notification to authorities (NIS2).",
        "Loss above 10 million; international press, major customers or the licence to operate lost."
      ],
      "key": "financial",
      "name": "Financial and reputational"
    }
  ],
  "aggregation": "maximum",
  "risk_levels": [
    {
      "colour": "green",
      "description": "Acceptable: keep the controls and review at the planned date.",
      "name": "Low"
    },
    {
      "colour": "yellow",
      "description": "Tolerable: treat where it pays; the risk owner may accept it as an approver.",
      "name": "Medium"
    },
    {
      "colour": "orange",
      "description": "Not tolerable: treat within the planning cycle; only the ISMS manager may accept it.",
      "name": "High"
    },
    {
      "colour": "red",
      "description": "Not acceptable: treat, avoid or share without delay; nobody may accept it as it stands.",
      "name": "Very high"
    }
  ],
  "matrix": [
    [1, 1, 1, 2, 3],
    [1, 1, 2, 2, 3],
    [1, 2, 2, 3, 3],
    [2, 2, 3, 3, 4],
    [2, 3, 3, 4, 4]
  ],
  "tolerable_level": 2,
  "acceptance": {
    "administrator": 3,
    "approver": 2,
    "isms_manager": 3
  }
}');
-- END built-in risk model

-- A risk names records of its own site; these let the link tables below check that by
-- foreign key, as conduit_zones does for zones.
CREATE UNIQUE INDEX uq_conduits_site_id ON conduits (site_id, id);
CREATE UNIQUE INDEX uq_flows_site_id ON flows (site_id, id);
CREATE UNIQUE INDEX uq_interfaces_site_id ON interfaces (site_id, id);

-- The register. Ratings are numbers under the model version in model_version; the levels
-- they come to are computed by the application (and by a re-rating after a model change) and
-- stored, with next_due (the earliest of the review date and the due dates of open actions),
-- so the filtered lists and the overdue list are index look-ups.
CREATE TABLE risks (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id             INTEGER NOT NULL REFERENCES sites (id),
    title               TEXT NOT NULL,
    threat_source       TEXT NOT NULL DEFAULT '',
    threat_event        TEXT NOT NULL DEFAULT '',
    vulnerability       TEXT NOT NULL DEFAULT '',
    consequence         TEXT NOT NULL DEFAULT '',
    asset_ids           TEXT NOT NULL DEFAULT '[]',
    zone_ids            TEXT NOT NULL DEFAULT '[]',
    conduit_ids         TEXT NOT NULL DEFAULT '[]',
    flow_ids            TEXT NOT NULL DEFAULT '[]',
    interface_ids       TEXT NOT NULL DEFAULT '[]',
    supplier_ids        TEXT NOT NULL DEFAULT '[]',
    other_site_ids      TEXT NOT NULL DEFAULT '[]',
    origin              TEXT NOT NULL DEFAULT '',     -- template:<id>, suggestion:<key>, or ''
    inherent_likelihood INTEGER,
    inherent_impacts    TEXT NOT NULL DEFAULT '{}',  -- {"safety": 4, ...}
    existing_controls   TEXT NOT NULL DEFAULT '[]',
    control_ids         TEXT NOT NULL DEFAULT '[]',    -- Annex A ids ("8.20")
    treatment           TEXT,                          -- modify, retain, avoid, share
    plan                TEXT NOT NULL DEFAULT '[]',    -- [{"action", "owner", "due_date", "status", "control_id"}]
    residual_likelihood INTEGER,
    residual_impacts    TEXT NOT NULL DEFAULT '{}',
    risk_owner          TEXT NOT NULL DEFAULT '',
    review_date         TEXT,                          -- YYYY-MM-DD
    state               TEXT NOT NULL DEFAULT 'identified',
    model_version       INTEGER NOT NULL,                -- a version of risk_models (see below)
    inherent_level      INTEGER,
    residual_level      INTEGER,
    inherent_impact     INTEGER,                       -- the aggregated impact (matrix column)
    residual_impact     INTEGER,
    needs_rerating      INTEGER NOT NULL DEFAULT 0,
    next_due            TEXT,                          -- YYYY-MM-DD, NULL when closed or nothing is due
    doc TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
-- Indexes for the lists: a site's risks (a few hundred per site: any filter within a site
-- reads them), and each filter across all sites. Kept few on purpose: on PostgreSQL every
-- index takes a new entry for each risk a re-rating rewrites. model_version has no foreign
-- key for the same reason (a check per rewritten risk); the application writes only
-- versions it has read, and versions are never deleted.
CREATE INDEX ix_risks_site ON risks (site_id, id);
CREATE INDEX ix_risks_state ON risks (state, id);
CREATE INDEX ix_risks_residual ON risks (residual_level, id);
CREATE INDEX ix_risks_inherent ON risks (inherent_level, id);
CREATE INDEX ix_risks_owner ON risks (risk_owner, id);
CREATE INDEX ix_risks_due ON risks (next_due, id) WHERE next_due IS NOT NULL;
-- The records a risk is about, one row each (same site, by foreign key); a record named by a
-- risk cannot be deleted from under it.
CREATE TABLE risk_assets (
    risk_id  INTEGER NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    site_id  INTEGER NOT NULL,
    asset_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (risk_id, asset_id),
    FOREIGN KEY (site_id, asset_id) REFERENCES assets (site_id, id)
);
CREATE INDEX ix_risk_assets_asset ON risk_assets (asset_id);

CREATE TABLE risk_zones (
    risk_id  INTEGER NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    site_id  INTEGER NOT NULL,
    zone_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (risk_id, zone_id),
    FOREIGN KEY (site_id, zone_id) REFERENCES zones (site_id, id)
);
CREATE INDEX ix_risk_zones_zone ON risk_zones (zone_id);

CREATE TABLE risk_conduits (
    risk_id  INTEGER NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    site_id  INTEGER NOT NULL,
    conduit_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (risk_id, conduit_id),
    FOREIGN KEY (site_id, conduit_id) REFERENCES conduits (site_id, id)
);
CREATE INDEX ix_risk_conduits_conduit ON risk_conduits (conduit_id);

CREATE TABLE risk_flows (
    risk_id  INTEGER NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    site_id  INTEGER NOT NULL,
    flow_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (risk_id, flow_id),
    FOREIGN KEY (site_id, flow_id) REFERENCES flows (site_id, id)
);
CREATE INDEX ix_risk_flows_flow ON risk_flows (flow_id);

CREATE TABLE risk_interfaces (
    risk_id  INTEGER NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    site_id  INTEGER NOT NULL,
    interface_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (risk_id, interface_id),
    FOREIGN KEY (site_id, interface_id) REFERENCES interfaces (site_id, id)
);
CREATE INDEX ix_risk_interfaces_interface ON risk_interfaces (interface_id);

-- Suppliers (Annex A 5.19 to 5.23, IEC 62443-2-4): one record per supplier and site, with the
-- shared responsibilities written down (who patches, who monitors, incident notice).
CREATE TABLE suppliers (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id               INTEGER NOT NULL REFERENCES sites (id),
    name                  TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    services              TEXT NOT NULL,
    contact               TEXT NOT NULL DEFAULT '',
    contract              TEXT NOT NULL DEFAULT '',
    criticality           TEXT NOT NULL,
    remote_access         INTEGER NOT NULL DEFAULT 0,
    patching              TEXT NOT NULL,
    monitoring            TEXT NOT NULL,
    incident_notice_hours INTEGER,
    security_requirements TEXT NOT NULL DEFAULT '',
    certifications        TEXT NOT NULL DEFAULT '[]',
    asset_ids             TEXT NOT NULL DEFAULT '[]',
    assessed_on           TEXT,
    next_review           TEXT,
    description           TEXT NOT NULL DEFAULT '',
    doc TEXT NOT NULL,
    version               INTEGER NOT NULL DEFAULT 1,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    CONSTRAINT uq_suppliers_name UNIQUE (site_id, name)
);
CREATE UNIQUE INDEX uq_suppliers_site_id ON suppliers (site_id, id);
CREATE INDEX ix_suppliers_review ON suppliers (next_review, id) WHERE next_review IS NOT NULL;

-- The assets a supplier delivers, maintains or reaches (same site, by foreign key).
CREATE TABLE supplier_assets (
    supplier_id INTEGER NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    site_id     INTEGER NOT NULL,
    asset_id    INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (supplier_id, asset_id),
    FOREIGN KEY (site_id, asset_id) REFERENCES assets (site_id, id)
);
CREATE INDEX ix_supplier_assets_asset ON supplier_assets (asset_id);

CREATE TABLE risk_suppliers (
    risk_id     INTEGER NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    site_id     INTEGER NOT NULL,
    supplier_id INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (risk_id, supplier_id),
    FOREIGN KEY (site_id, supplier_id) REFERENCES suppliers (site_id, id)
);
CREATE INDEX ix_risk_suppliers_supplier ON risk_suppliers (supplier_id);

-- Other sites a risk affects (any site; the risk stays with its own).
CREATE TABLE risk_sites (
    risk_id       INTEGER NOT NULL REFERENCES risks (id) ON DELETE CASCADE,
    site_id       INTEGER NOT NULL,
    other_site_id INTEGER NOT NULL REFERENCES sites (id),
    position      INTEGER NOT NULL,
    PRIMARY KEY (risk_id, other_site_id)
);
CREATE INDEX ix_risk_sites_site ON risk_sites (other_site_id);

-- Threat templates an organisation adds to the shipped IIoT library (ids outside the
-- reserved T- prefix). One JSON document per template, validated by the domain.
CREATE TABLE threat_templates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    template_id TEXT NOT NULL,
    doc         TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CONSTRAINT uq_threat_templates_template_id UNIQUE (template_id)
);

-- Suggestions from the facts that a person dismissed, with the reason (a suggestion accepted
-- into the register is recognised by the risk's origin instead).
CREATE TABLE risk_suggestion_dismissals (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id    INTEGER NOT NULL REFERENCES sites (id),
    key        TEXT NOT NULL,
    reason     TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT uq_risk_suggestion_dismissals_key UNIQUE (site_id, key)
);

-- Assessment periods: the register frozen as it stood when a period was closed (the yearly
-- review), one row per risk with its JSON, so that two periods (or a period and today) can be
-- compared. Immutable.
CREATE TABLE risk_periods (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    risk_count  INTEGER NOT NULL,
    model_version INTEGER NOT NULL,
    CONSTRAINT uq_risk_periods_name UNIQUE (name)
);
CREATE TABLE risk_period_items (
    period_id INTEGER NOT NULL REFERENCES risk_periods (id),
    risk_id   INTEGER NOT NULL,
    site_id   INTEGER NOT NULL,
    doc       TEXT NOT NULL,
    PRIMARY KEY (period_id, risk_id)
);
CREATE INDEX ix_risk_period_items_site ON risk_period_items (period_id, site_id, risk_id);
CREATE TRIGGER risk_periods_no_update BEFORE UPDATE ON risk_periods
BEGIN
    SELECT RAISE(ABORT, 'closed assessment periods are immutable');
END;
CREATE TRIGGER risk_periods_no_delete BEFORE DELETE ON risk_periods
BEGIN
    SELECT RAISE(ABORT, 'closed assessment periods are immutable');
END;
CREATE TRIGGER risk_period_items_no_update BEFORE UPDATE ON risk_period_items
BEGIN
    SELECT RAISE(ABORT, 'closed assessment periods are immutable');
END;
CREATE TRIGGER risk_period_items_no_delete BEFORE DELETE ON risk_period_items
BEGIN
    SELECT RAISE(ABORT, 'closed assessment periods are immutable');
END;

-- Heatmap counts: open (not closed) risks per site, rating (i = inherent, r = residual), model
-- version, likelihood and aggregated impact, kept in step with the register by triggers, so a
-- heatmap of every site reads a few thousand rows instead of grouping the register. A
-- re-rating pauses them (risk_cells_state) and rebuilds the counts before it commits.
CREATE TABLE risk_cells (
    site_id       INTEGER NOT NULL,
    rating        TEXT NOT NULL,
    model_version INTEGER NOT NULL,
    likelihood    INTEGER NOT NULL,
    impact        INTEGER NOT NULL,
    level         INTEGER,
    n             INTEGER NOT NULL,
    PRIMARY KEY (site_id, rating, model_version, likelihood, impact)
);
CREATE TABLE risk_cells_state (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    paused INTEGER NOT NULL
);
INSERT INTO risk_cells_state (id, paused) VALUES (1, 0);
CREATE TRIGGER risk_cells_ins AFTER INSERT ON risks WHEN (SELECT paused FROM risk_cells_state) = 0
BEGIN
    INSERT INTO risk_cells (site_id, rating, model_version, likelihood, impact, level, n)
    SELECT NEW.site_id, 'i', NEW.model_version, NEW.inherent_likelihood, NEW.inherent_impact, NEW.inherent_level, 1
    WHERE NEW.state <> 'closed' AND NEW.inherent_likelihood IS NOT NULL AND NEW.inherent_impact IS NOT NULL
    ON CONFLICT (site_id, rating, model_version, likelihood, impact) DO UPDATE SET n = n + 1, level = excluded.level;
    INSERT INTO risk_cells (site_id, rating, model_version, likelihood, impact, level, n)
    SELECT NEW.site_id, 'r', NEW.model_version, NEW.residual_likelihood, NEW.residual_impact, NEW.residual_level, 1
    WHERE NEW.state <> 'closed' AND NEW.residual_likelihood IS NOT NULL AND NEW.residual_impact IS NOT NULL
    ON CONFLICT (site_id, rating, model_version, likelihood, impact) DO UPDATE SET n = n + 1, level = excluded.level;
END;
CREATE TRIGGER risk_cells_del AFTER DELETE ON risks WHEN (SELECT paused FROM risk_cells_state) = 0
BEGIN
    INSERT INTO risk_cells (site_id, rating, model_version, likelihood, impact, level, n)
    SELECT OLD.site_id, 'i', OLD.model_version, OLD.inherent_likelihood, OLD.inherent_impact, OLD.inherent_level, -1
    WHERE OLD.state <> 'closed' AND OLD.inherent_likelihood IS NOT NULL AND OLD.inherent_impact IS NOT NULL
    ON CONFLICT (site_id, rating, model_version, likelihood, impact) DO UPDATE SET n = n - 1, level = excluded.level;
    INSERT INTO risk_cells (site_id, rating, model_version, likelihood, impact, level, n)
    SELECT OLD.site_id, 'r', OLD.model_version, OLD.residual_likelihood, OLD.residual_impact, OLD.residual_level, -1
    WHERE OLD.state <> 'closed' AND OLD.residual_likelihood IS NOT NULL AND OLD.residual_impact IS NOT NULL
    ON CONFLICT (site_id, rating, model_version, likelihood, impact) DO UPDATE SET n = n - 1, level = excluded.level;
END;
CREATE TRIGGER risk_cells_upd AFTER UPDATE ON risks WHEN (SELECT paused FROM risk_cells_state) = 0
BEGIN
    INSERT INTO risk_cells (site_id, rating, model_version, likelihood, impact, level, n)
    SELECT OLD.site_id, 'i', OLD.model_version, OLD.inherent_likelihood, OLD.inherent_impact, OLD.inherent_level, -1
    WHERE OLD.state <> 'closed' AND OLD.inherent_likelihood IS NOT NULL AND OLD.inherent_impact IS NOT NULL
    ON CONFLICT (site_id, rating, model_version, likelihood, impact) DO UPDATE SET n = n - 1, level = excluded.level;
    INSERT INTO risk_cells (site_id, rating, model_version, likelihood, impact, level, n)
    SELECT OLD.site_id, 'r', OLD.model_version, OLD.residual_likelihood, OLD.residual_impact, OLD.residual_level, -1
    WHERE OLD.state <> 'closed' AND OLD.residual_likelihood IS NOT NULL AND OLD.residual_impact IS NOT NULL
    ON CONFLICT (site_id, rating, model_version, likelihood, impact) DO UPDATE SET n = n - 1, level = excluded.level;
    INSERT INTO risk_cells (site_id, rating, model_version, likelihood, impact, level, n)
    SELECT NEW.site_id, 'i', NEW.model_version, NEW.inherent_likelihood, NEW.inherent_impact, NEW.inherent_level, 1
    WHERE NEW.state <> 'closed' AND NEW.inherent_likelihood IS NOT NULL AND NEW.inherent_impact IS NOT NULL
    ON CONFLICT (site_id, rating, model_version, likelihood, impact) DO UPDATE SET n = n + 1, level = excluded.level;
    INSERT INTO risk_cells (site_id, rating, model_version, likelihood, impact, level, n)
    SELECT NEW.site_id, 'r', NEW.model_version, NEW.residual_likelihood, NEW.residual_impact, NEW.residual_level, 1
    WHERE NEW.state <> 'closed' AND NEW.residual_likelihood IS NOT NULL AND NEW.residual_impact IS NOT NULL
    ON CONFLICT (site_id, rating, model_version, likelihood, impact) DO UPDATE SET n = n + 1, level = excluded.level;
END;
