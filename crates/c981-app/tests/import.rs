//! Imports and the review queue through the use cases, on both databases: spreadsheets with
//! odd headers, blank rows, duplicates and bad values; identity by MAC, serial, IP and name;
//! conflicts; all or nothing by default; Zeek and Nmap as observed inventory; provenance kept;
//! the review decisions; one audited operation per import.

use std::sync::Arc;

use c981_app::import::{ImportKind, ImportOptions, ImportReport, Upload};
use c981_app::review::{AssetDecision, Verdict};
use c981_app::{Actor, App, AppError, Ctx, FixedClock, Grant, ListParams, Role};
use c981_domain::audit::{Action, Channel};
use c981_domain::{Asset, Conduit, DataFlow, EntityKind, Interface, Provenance, SiteId, SiteInput, Timestamp, Zone};
use c981_store::AuditQuery;
use c981_testkit::{TestDb, backend_tests};

struct Fx {
    app: App,
    op: Ctx,
    site: SiteId,
    _dir: tempfile::TempDir,
}

async fn fx(db: &TestDb) -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock(Timestamp::parse("2027-03-01T09:00:00Z").unwrap()));
    let app = App::new(db.store().await, clock, dir.path().join("audit.key"));
    let op = Ctx::new(Actor::local_operator("engineer"), Channel::Cli, "req");
    let site = app
        .create::<c981_domain::Site>(
            &op,
            &SiteInput {
                code: Some("P3".into()),
                name: Some("Plant 3".into()),
                country: Some("FR".into()),
                time_zone: Some("Europe/Paris".into()),
                industry: Some("pharmaceuticals".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    Fx { app, op, site, _dir: dir }
}

impl Fx {
    async fn import(&self, kind: ImportKind, name: &str, text: &str, opts: ImportOptions) -> ImportReport {
        self.app
            .import_file(&self.op, kind, self.site, Upload { name, bytes: text.as_bytes() }, &opts, None)
            .await
            .unwrap()
    }

    async fn assets(&self) -> Vec<c981_domain::Record<Asset>> {
        let p = ListParams { site_id: Some(self.site), limit: Some(1000), ..Default::default() };
        self.app.list::<Asset>(&self.op, &p).await.unwrap().items
    }

    async fn asset(&self, name: &str) -> c981_domain::Record<Asset> {
        self.assets()
            .await
            .into_iter()
            .find(|a| a.data.name.as_str() == name)
            .unwrap_or_else(|| panic!("no asset {name}"))
    }

    async fn flows(&self) -> Vec<c981_domain::Record<DataFlow>> {
        let p = ListParams { site_id: Some(self.site), limit: Some(1000), ..Default::default() };
        self.app.list::<DataFlow>(&self.op, &p).await.unwrap().items
    }

    async fn zones(&self) {
        let zones = "Zone Name;Type;Purdue Level;Subnet;SL-T\n\
                     Cell 1;control;1;10.40.1.0/24;2,2,2,1,2,1,2\n\
                     Supervisory;supervisory;2;10.40.2.0/24;2,2,2,1,2,1,2\n";
        let r = self.import(ImportKind::Zones, "zones.csv", zones, ImportOptions::default()).await;
        assert!(r.stored, "{r:?}");
        assert_eq!(r.created, 2);
    }
}

fn skip() -> ImportOptions {
    ImportOptions { skip_invalid: true, ..Default::default() }
}

/// A plant spreadsheet as found: a title above the header, export-tool headers, a blank row, a
/// duplicate and three bad values.
const PLANT: &str = "Plant 3 asset list,,,,,,,\n\
Exported from the CMMS,,,,,,,\n\
\n\
Asset Tag,IP Address,MAC Address,Manufacturer,Firmware Version,Device Type,Serial Number,Zone\n\
FT-101,10.40.1.11,00:1B:1B:00:01:01,Endress+Hauser,1.2.3,sensor,EH-1,Cell 1\n\
PLC-1,10.40.1.10,00:1B:1B:00:01:10,Siemens,V2.9,plc,S7-1,Cell 1\n\
,,,,,,,\n\
FT-101,10.40.1.11,00:1B:1B:00:01:01,Endress+Hauser,1.2.3,sensor,EH-1,Cell 1\n\
HMI-1,10.40.2.300,,Siemens,V1,hmi,,Supervisory\n\
TOASTER,10.40.2.21,,Acme,1,toaster,,Supervisory\n\
HMI-2,10.40.2.22,,Siemens,V1,hmi,,No Such Zone\n";

async fn a_bad_row_refuses_the_file_and_names_line_and_column(db: TestDb) {
    let f = fx(&db).await;
    f.zones().await;
    let r = f.import(ImportKind::Assets, "plant.csv", PLANT, ImportOptions::default()).await;
    assert!(!r.stored);
    assert_eq!(r.rows_read, 6);
    assert_eq!(r.rejected_count, 3, "{:?}", r.rejected);
    let shown: Vec<String> = r.rejected.iter().map(|p| p.display("plant.csv")).collect();
    assert!(shown[0].starts_with("plant.csv:9: column 2 (\"IP Address\"): "), "{shown:?}");
    assert!(shown[0].contains("10.40.2.300"), "{shown:?}");
    assert!(shown[1].starts_with("plant.csv:10: column 6 (\"Device Type\"): "), "{shown:?}");
    assert!(shown[2].contains("no zone named \"No Such Zone\""), "{shown:?}");
    assert_eq!(r.duplicates, 1);
    assert!(f.assets().await.is_empty(), "nothing is stored from a refused file");
    assert!(f.app.imports(&f.op, Some(f.site), None, 10).await.unwrap().iter().all(|i| i.kind != "assets"));
}

async fn skip_invalid_stores_the_good_rows_and_a_reimport_changes_nothing(db: TestDb) {
    let f = fx(&db).await;
    f.zones().await;
    let r = f.import(ImportKind::Assets, "plant.csv", PLANT, skip()).await;
    assert!(r.stored, "{r:?}");
    assert_eq!((r.created, r.updated, r.unchanged, r.duplicates, r.rejected_count), (2, 0, 0, 1, 3));
    assert!(r.rejects_csv().lines().count() == 4, "{}", r.rejects_csv());
    let ft = f.asset("FT-101").await;
    assert_eq!(ft.data.vendor.as_str(), "Endress+Hauser");
    assert_eq!(ft.data.firmware.as_str(), "1.2.3");
    assert_eq!(ft.data.provenance, Provenance::Declared);
    assert!(ft.data.zone_id.is_some());
    // The same file again: nothing changes, and the audit trail gains only the import entry.
    let before = f.app.store().audit_entries(&c981_store::SiteScope::All, &AuditQuery::default()).await.unwrap().len();
    let again = f.import(ImportKind::Assets, "plant.csv", PLANT, skip()).await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2), "{again:?}");
    let after = f.app.store().audit_entries(&c981_store::SiteScope::All, &AuditQuery::default()).await.unwrap().len();
    assert_eq!(after, before + 1);
    let history = f.app.imports(&f.op, Some(f.site), None, 10).await.unwrap();
    assert_eq!(history[0].kind, "assets");
    assert_eq!(history[0].sha256, c981_app::import::sha256_hex(PLANT.as_bytes()));
    assert_eq!((history[0].created, history[0].unchanged, history[0].rejected), (0, 3, 3));
    assert_eq!(history[0].channel, "cli");
}

async fn a_dry_run_reports_and_stores_nothing(db: TestDb) {
    let f = fx(&db).await;
    f.zones().await;
    let r = f.import(ImportKind::Assets, "plant.csv", PLANT, ImportOptions { dry_run: true, ..skip() }).await;
    assert!(r.dry_run && !r.stored);
    assert_eq!((r.created, r.duplicates, r.rejected_count), (2, 1, 3));
    assert!(f.assets().await.is_empty());
}

async fn identity_is_mac_then_serial_then_ip_and_only_given_columns_change(db: TestDb) {
    let f = fx(&db).await;
    f.zones().await;
    f.import(ImportKind::Assets, "plant.csv", PLANT, skip()).await;
    let plc = f.asset("PLC-1").await;
    // New name and IP, same MAC: the same asset, renamed; its vendor (not in the file) stays.
    let by_mac = "Name,MAC Address,IP Address\nPLC-1A,00-1B-1B-00-01-10,10.40.1.99\n";
    let r = f.import(ImportKind::Assets, "mac.csv", by_mac, ImportOptions::default()).await;
    assert_eq!((r.created, r.updated), (0, 1), "{r:?}");
    let now = f.asset("PLC-1A").await;
    assert_eq!(now.id, plc.id);
    assert_eq!(now.data.vendor.as_str(), "Siemens");
    assert_eq!(now.data.ip_addresses.len(), 1);
    // By serial (case insensitive), when the file has no MAC.
    let by_serial = "Name,Serial Number,Firmware\nPLC-1A,s7-1,V3.0\n";
    let r = f.import(ImportKind::Assets, "serial.csv", by_serial, ImportOptions::default()).await;
    assert_eq!(r.updated, 1, "{r:?}");
    assert_eq!(f.asset("PLC-1A").await.data.firmware.as_str(), "V3.0");
    // The audit entry of that update carries the old and new firmware and the file.
    let q = AuditQuery {
        entity_type: Some(EntityKind::Asset),
        entity_id: Some(plc.id.get()),
        newest_first: true,
        ..Default::default()
    };
    let e = &f.app.store().audit_entries(&c981_store::SiteScope::All, &q).await.unwrap()[0];
    assert_eq!(e.draft.action, Action::Update);
    assert!(e.draft.changes.contains("V2.9") && e.draft.changes.contains("V3.0"), "{}", e.draft.changes);
    assert!(e.draft.reason.as_deref().unwrap_or("").contains("serial.csv"), "{:?}", e.draft.reason);
    // By IP alone.
    let by_ip = "Name,IP\nFT-101,10.40.1.11\n";
    let r = f.import(ImportKind::Assets, "ip.csv", by_ip, ImportOptions::default()).await;
    assert_eq!((r.created, r.updated, r.unchanged), (0, 0, 1), "{r:?}");
}

async fn ambiguous_and_contradicting_rows_are_conflicts(db: TestDb) {
    let f = fx(&db).await;
    f.zones().await;
    f.import(ImportKind::Assets, "plant.csv", PLANT, skip()).await;
    // One row whose MACs belong to two assets; one whose name belongs to another asset than its
    // MAC; two rows that describe one new asset differently.
    let text = "Name,MAC Address,Vendor\n\
                X,\"00:1B:1B:00:01:01, 00:1B:1B:00:01:10\",A\n\
                FT-101,00:1B:1B:00:01:10,B\n\
                NEW-1,00:1B:1B:00:09:09,C\n\
                NEW-1,00:1B:1B:00:09:09,D\n";
    let r = f.import(ImportKind::Assets, "conflicts.csv", text, ImportOptions::default()).await;
    assert!(!r.stored);
    assert_eq!(r.conflict_count, 3, "{:?}", r.conflicts);
    assert_eq!(r.conflicts[0].line, Some(2));
    assert!(r.conflicts[0].message.contains("matches several assets"), "{:?}", r.conflicts);
    assert!(r.conflicts[1].message.contains("name is already used"), "{:?}", r.conflicts);
    assert!(r.conflicts[2].message.contains("line 4"), "{:?}", r.conflicts);
    assert!(f.assets().await.iter().all(|a| a.data.vendor.as_str() != "A" && a.data.vendor.as_str() != "B"));
}

async fn zones_conduits_interfaces_and_flows_resolve_names(db: TestDb) {
    let f = fx(&db).await;
    f.zones().await;
    f.import(ImportKind::Assets, "plant.csv", PLANT, skip()).await;
    let conduits =
        "Conduit,From Zone,To Zone,Allowed Services,Direction\nC-1,Supervisory,Cell 1,s7comm,unidirectional\n";
    let r = f.import(ImportKind::Conduits, "conduits.csv", conduits, ImportOptions::default()).await;
    assert!(r.stored && r.created == 1, "{r:?}");
    let c = f.app.list::<Conduit>(&f.op, &ListParams { site_id: Some(f.site), ..Default::default() }).await.unwrap();
    assert_eq!(c.items[0].data.zone_ids.len(), 2);
    let flows =
        "Source,Destination,Protocol,Port\nPLC-1,10.40.1.11,modbus,502\nPLC-1,historian.corp.example,https,443\n";
    let r = f.import(ImportKind::Flows, "flows.csv", flows, ImportOptions::default()).await;
    assert!(r.stored && r.created == 2, "{r:?}");
    let all = f.flows().await;
    let ft = f.asset("FT-101").await;
    assert!(all.iter().any(|x| x.data.destination.asset_id() == Some(ft.id) && x.data.documented));
    assert!(all.iter().any(|x| matches!(&x.data.destination, c981_domain::Endpoint::External { name } if name.as_str() == "historian.corp.example")));
    let again = f.import(ImportKind::Flows, "flows.csv", flows, ImportOptions::default()).await;
    assert_eq!(again.unchanged, 2, "{again:?}");
    let ifaces = "Interface,Type,External System,Responsible Party,Boundary,Asset,Zone\nMES link,mes,Site MES,IT,MES firewall,PLC-1,Supervisory\n";
    let r = f.import(ImportKind::Interfaces, "interfaces.csv", ifaces, ImportOptions::default()).await;
    assert!(r.stored && r.created == 1, "{r:?}");
    let i = f.app.list::<Interface>(&f.op, &ListParams { site_id: Some(f.site), ..Default::default() }).await.unwrap();
    assert!(i.items[0].data.asset_id.is_some() && i.items[0].data.zone_id.is_some());
    // A row for another site is refused by name.
    let other = "Zone Name,Plant,Type\nX,P9,control\n";
    let r = f.import(ImportKind::Zones, "other.csv", other, ImportOptions::default()).await;
    assert!(!r.stored);
    assert!(r.rejected[0].message.contains("\"P9\""), "{:?}", r.rejected);
    let z = f.app.list::<Zone>(&f.op, &ListParams { site_id: Some(f.site), ..Default::default() }).await.unwrap();
    assert_eq!(z.items.len(), 2);
}

const CONN: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n\
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n\
1733300000.0\tC1\t10.40.2.21\t50000\t10.40.1.10\t102\ttcp\t-\t0.1\t10\t20\tSF\n\
1733300001.0\tC2\t10.40.2.21\t50001\t10.40.1.10\t102\ttcp\t-\t0.1\t10\t20\tSF\n\
1733300002.0\tC3\t10.40.9.9\t50002\t10.40.1.10\t502\ttcp\tmodbus\t0.1\t10\t20\tSF\n\
1733300003.0\tC4\t10.40.1.10\t40000\t203.0.113.7\t443\ttcp\tssl\t0.1\t10\t20\tSF\n\
1733300004.0\tC5\t10.40.1.10\t40001\t10.40.7.7\t22\ttcp\t-\t-\t-\t-\tS0\n";

async fn zeek_yields_observed_flows_staged_assets_and_a_review_queue(db: TestDb) {
    let f = fx(&db).await;
    f.zones().await;
    f.import(ImportKind::Assets, "plant.csv", PLANT, skip()).await;
    let r = f.import(ImportKind::Zeek, "conn.log", CONN, ImportOptions::default()).await;
    assert!(r.stored, "{r:?}");
    assert_eq!(r.rows_read, 5);
    // 10.40.2.21 and 10.40.9.9 are unknown private addresses: staged; 203.0.113.7 is outside;
    // 10.40.7.7 never answered (an attempt, not a flow).
    assert_eq!(r.staged, 2, "{r:?}");
    let staged = f.asset("unknown 10.40.9.9").await;
    assert_eq!(staged.data.provenance, Provenance::Observed);
    assert!(staged.data.tags.iter().any(|t| t.as_str() == "to-review"));
    let flows = f.flows().await;
    assert_eq!(flows.len(), 3, "{flows:?}");
    let plc = f.asset("PLC-1").await;
    assert!(plc.data.last_seen.is_some(), "a declared asset seen on the wire gets its last-seen time");
    assert_eq!(plc.data.provenance, Provenance::Declared);
    let s7 = flows.iter().find(|x| x.data.port == Some(102)).unwrap();
    assert_eq!(s7.data.connection_count, Some(2));
    assert!(s7.data.observed && !s7.data.documented);
    // The same file again is refused: its connections would count twice.
    let again = f
        .app
        .import_file(
            &f.op,
            ImportKind::Zeek,
            f.site,
            Upload { name: "conn.log", bytes: CONN.as_bytes() },
            &ImportOptions::default(),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(again, AppError::Conflict(m) if m.contains("imported into the site already")));
    // The queue: the staged assets and the three undocumented observed flows.
    let q = f.app.review_queue(&f.op, f.site).await.unwrap();
    assert_eq!(q.assets.len(), 2);
    assert_eq!(q.flows.len(), 3);
    // Decisions need a reason.
    let e = f.app.review_asset(&f.op, staged.id.get(), &AssetDecision::Confirm, " ").await.unwrap_err();
    assert!(matches!(e, AppError::Invalid(_)));
    // Merge one staged asset into a declared one: its flows move there.
    let toaster_ip = f.asset("unknown 10.40.2.21").await;
    let ft = f.asset("FT-101").await;
    f.app
        .review_asset(
            &f.op,
            toaster_ip.id.get(),
            &AssetDecision::Merge { into: ft.id.get() },
            "same device, second NIC",
        )
        .await
        .unwrap();
    let ft = f.asset("FT-101").await;
    assert_eq!(ft.data.ip_addresses.len(), 2);
    assert!(f.flows().await.iter().any(|x| x.data.source.asset_id() == Some(ft.id)));
    // Reject the other: gone, its flow keeps the address as an outside endpoint, and the next
    // capture does not stage it again.
    f.app.review_asset(&f.op, staged.id.get(), &AssetDecision::Reject, "contractor laptop, removed").await.unwrap();
    assert!(f.assets().await.iter().all(|a| a.id != staged.id));
    assert!(
        f.flows().await.iter().any(
            |x| matches!(&x.data.source, c981_domain::Endpoint::External { name } if name.as_str() == "10.40.9.9")
        )
    );
    let next = CONN.replace("1733300002.0\tC3", "1733400002.0\tC9");
    let r = f.import(ImportKind::Zeek, "conn2.log", &next, ImportOptions::default()).await;
    assert_eq!(r.staged, 0, "{r:?}");
    // Flows: confirm one (documented from now on), reject another (leaves the queue).
    let q = f.app.review_queue(&f.op, f.site).await.unwrap();
    let (a, b) = (q.flows[0].id.get(), q.flows[1].id.get());
    f.app.review_flow(&f.op, a, Verdict::Confirm, "engineering access, approved").await.unwrap();
    f.app.review_flow(&f.op, b, Verdict::Reject, "should not happen; ticket OT-42").await.unwrap();
    let q2 = f.app.review_queue(&f.op, f.site).await.unwrap();
    assert!(q2.flows.iter().all(|x| x.id.get() != a && x.id.get() != b));
    let audit = f
        .app
        .store()
        .audit_entries(
            &c981_store::SiteScope::All,
            &AuditQuery {
                entity_type: Some(EntityKind::Flow),
                entity_id: Some(b),
                newest_first: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(audit[0].draft.reason.as_deref(), Some("should not happen; ticket OT-42"));
}

const NMAP: &str = r#"<?xml version="1.0"?>
<nmaprun scanner="nmap" args="nmap -sV -oX scan.xml 10.40.1.0/24" start="1733300000" version="7.94">
<host starttime="1733300000" endtime="1733300100"><status state="up"/>
<address addr="10.40.1.10" addrtype="ipv4"/><address addr="00:1B:1B:00:01:10" addrtype="mac" vendor="Siemens AG"/>
<hostnames><hostname name="plc-1.plant3" type="PTR"/></hostnames>
<ports><port protocol="tcp" portid="102"><state state="open"/><service name="iso-tsap"/></port></ports>
</host>
<host starttime="1733300000" endtime="1733300100"><status state="up"/>
<address addr="10.40.1.50" addrtype="ipv4"/><address addr="00:0E:8C:00:00:50" addrtype="mac" vendor="Siemens"/>
<ports><port protocol="tcp" portid="502"><state state="open"/><service name="modbus"/></port></ports>
<os><osmatch name="Siemens SIMATIC S7-1500 PLC" accuracy="95"/></os>
</host>
</nmaprun>"#;

async fn nmap_hosts_become_assets_and_a_declared_value_is_proposed_not_replaced(db: TestDb) {
    let f = fx(&db).await;
    f.zones().await;
    f.import(ImportKind::Assets, "plant.csv", PLANT, skip()).await;
    let r = f.import(ImportKind::Nmap, "scan.xml", NMAP, ImportOptions::default()).await;
    assert!(r.stored, "{r:?}");
    assert_eq!((r.staged, r.updated, r.proposals), (1, 1, 1), "{r:?}");
    // The declared vendor stays; the scan's differs and waits for review.
    let plc = f.asset("PLC-1").await;
    assert_eq!(plc.data.vendor.as_str(), "Siemens");
    let q = f.app.review_queue(&f.op, f.site).await.unwrap();
    assert_eq!(q.proposals.len(), 1);
    assert_eq!(q.proposals[0].field, "vendor");
    assert_eq!(q.proposals[0].proposed_value, serde_json::json!("Siemens AG"));
    let staged = f.assets().await.into_iter().find(|a| a.data.provenance == Provenance::Observed).unwrap();
    assert!(staged.data.description.as_str().contains("S7-1500"));
    assert!(staged.data.protocols.iter().any(|p| serde_json::to_value(p).unwrap() == "modbus"));
    // Accepting the proposal applies it; deciding it twice is refused.
    let id = q.proposals[0].id;
    f.app.review_proposal(&f.op, id, Verdict::Confirm, "the OUI owner's full name").await.unwrap();
    assert_eq!(f.asset("PLC-1").await.data.vendor.as_str(), "Siemens AG");
    assert!(matches!(f.app.review_proposal(&f.op, id, Verdict::Reject, "again").await, Err(AppError::Conflict(_))));
    // Confirming the staged asset makes it part of the inventory.
    f.app.review_asset(&f.op, staged.id.get(), &AssetDecision::Confirm, "new PLC of line 2").await.unwrap();
    let a = f.app.get::<Asset>(&f.op, staged.id.get()).await.unwrap();
    assert_eq!(a.data.provenance, Provenance::Confirmed);
    assert!(a.data.tags.iter().all(|t| t.as_str() != "to-review"));
}

async fn imports_are_refused_to_readers_and_scoped_to_sites(db: TestDb) {
    let f = fx(&db).await;
    let viewer = Ctx::new(
        Actor::new(
            "test:viewer".into(),
            None,
            "Viewer".into(),
            vec![Grant { role: Role::Viewer, site: Some(f.site) }],
            false,
            None,
        ),
        Channel::Api,
        "r",
    );
    let zones = "Zone Name,Type\nZ,control\n";
    let e = f
        .app
        .import_file(
            &viewer,
            ImportKind::Zones,
            f.site,
            Upload { name: "z.csv", bytes: zones.as_bytes() },
            &ImportOptions::default(),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    let other = Ctx::new(
        Actor::new(
            "test:eng".into(),
            None,
            "Engineer".into(),
            vec![Grant { role: Role::SiteEngineer, site: Some(SiteId::new(9999)) }],
            false,
            None,
        ),
        Channel::Api,
        "r",
    );
    let e = f
        .app
        .import_file(
            &other,
            ImportKind::Zones,
            f.site,
            Upload { name: "z.csv", bytes: zones.as_bytes() },
            &ImportOptions::default(),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound { .. }), "{e:?}");
    assert!(f.app.imports(&other, None, None, 10).await.unwrap().is_empty());
    assert!(matches!(f.app.review_queue(&other, f.site).await, Err(AppError::NotFound { .. })));
}

async fn an_unreadable_file_is_named(db: TestDb) {
    let f = fx(&db).await;
    let e = f
        .app
        .import_file(
            &f.op,
            ImportKind::Assets,
            f.site,
            Upload { name: "junk.xlsx", bytes: b"PK\x03\x04garbage" },
            &ImportOptions::default(),
            None,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("junk.xlsx"), "{e}");
    let e = f
        .app
        .import_file(
            &f.op,
            ImportKind::Zeek,
            f.site,
            Upload { name: "dns.log", bytes: b"#fields\tts\tquery\n#path\tdns\n" },
            &ImportOptions::default(),
            None,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("dns.log"), "{e}");
    assert!(f.assets().await.is_empty());
}

backend_tests!(
    a_bad_row_refuses_the_file_and_names_line_and_column,
    skip_invalid_stores_the_good_rows_and_a_reimport_changes_nothing,
    a_dry_run_reports_and_stores_nothing,
    identity_is_mac_then_serial_then_ip_and_only_given_columns_change,
    ambiguous_and_contradicting_rows_are_conflicts,
    zones_conduits_interfaces_and_flows_resolve_names,
    zeek_yields_observed_flows_staged_assets_and_a_review_queue,
    nmap_hosts_become_assets_and_a_declared_value_is_proposed_not_replaced,
    imports_are_refused_to_readers_and_scoped_to_sites,
    an_unreadable_file_is_named,
);
