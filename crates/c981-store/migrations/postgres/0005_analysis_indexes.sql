-- Covering index for the IEC 62443 analysis: a site's flows are read with only the columns
-- the analysis needs (index-only where the visibility map allows) instead of the wide rows.
-- Every column is bounded (names of outside endpoints are at most 200 characters), so the
-- index entry stays within PostgreSQL's limit. Assets are not covered here: their address
-- list has no bound (SQLite's index has the covering index, see the sqlite migration).
CREATE INDEX IF NOT EXISTS ix_flows_analysis ON flows (site_id, id) INCLUDE (source_asset_id, source_external, destination_asset_id, destination_external, protocol, port, direction, encrypted, documented, observed);
