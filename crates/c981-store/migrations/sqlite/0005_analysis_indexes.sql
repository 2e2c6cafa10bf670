-- Covering indexes for the IEC 62443 analysis: a site's assets and flows are read with only
-- the columns the analysis needs, from the index alone, instead of scanning the wide rows
-- (each carries its stored document). Halves the time to read a site of 10,000 assets and
-- 30,000 flows on SQLite (see docs/performance.md). SQLite stores long index entries in overflow
-- pages, so the unbounded address list of an asset can be part of the index.
CREATE INDEX IF NOT EXISTS ix_flows_analysis ON flows (site_id, id, source_asset_id, source_external, destination_asset_id, destination_external, protocol, port, direction, encrypted, documented, observed);
CREATE INDEX IF NOT EXISTS ix_assets_analysis ON assets (site_id, id, zone_id, kind, ip_addresses, safety_related, wireless, temporarily_connected, externally_reached);
