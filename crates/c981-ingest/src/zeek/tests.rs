//! Tests of the conn.log reader and aggregator on logs written here, as Zeek writes them.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

use super::*;

const HEADER: &str = "#separator \\x09\n\
#set_separator\t,\n\
#empty_field\t(empty)\n\
#unset_field\t-\n\
#path\tconn\n\
#open\t2024-05-06-07-00-00\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\torig_l2_addr\tresp_l2_addr\n\
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tstring\tstring\n";

/// One TSV line in the column order of [`HEADER`].
#[allow(clippy::too_many_arguments)]
fn line(
    ts: &str,
    orig: &str,
    op: &str,
    resp: &str,
    rp: &str,
    proto: &str,
    service: &str,
    ob: &str,
    rb: &str,
    state: &str,
    omac: &str,
    rmac: &str,
) -> String {
    format!(
        "{ts}\tC{op}\t{orig}\t{op}\t{resp}\t{rp}\t{proto}\t{service}\t0.010000\t{ob}\t{rb}\t{state}\tT\tT\t0\tShADadFf\t6\t400\t4\t300\t(empty)\t{omac}\t{rmac}\n"
    )
}

fn plant_log() -> String {
    let hmi = "00:1b:1b:00:00:01";
    let plc = "00:1b:1b:00:00:02";
    let mut s = String::from(HEADER);
    s += &line(
        "1715000000.100000",
        "10.0.1.5",
        "49152",
        "10.0.1.10",
        "502",
        "tcp",
        "modbus",
        "120",
        "80",
        "SF",
        hmi,
        plc,
    );
    s += &line("1715000060.250000", "10.0.1.5", "49153", "10.0.1.10", "502", "tcp", "-", "-", "40", "SF", hmi, plc);
    s += &line(
        "1715000030.000000",
        "10.0.1.5",
        "49154",
        "10.0.1.10",
        "502",
        "tcp",
        "modbus",
        "10",
        "10",
        "SF",
        hmi,
        plc,
    );
    s += &line("1715000001.000000", "10.0.1.5", "50000", "10.0.1.11", "102", "tcp", "-", "-", "-", "S0", hmi, "-");
    s += &line(
        "1715000002.000000",
        "10.0.1.20",
        "50001",
        "52.1.2.3",
        "443",
        "tcp",
        "ssl,http",
        "900",
        "5000",
        "SF",
        "00:1b:1b:00:00:20",
        "00:00:5e:00:01:01",
    );
    s += &line(
        "1715000003.000000",
        "10.0.1.20",
        "50002",
        "10.0.0.53",
        "53",
        "udp",
        "dns",
        "40",
        "80",
        "SF",
        "00:1b:1b:00:00:20",
        "-",
    );
    s += &line("1715000004.000000", "10.0.1.5", "8", "10.0.1.10", "0", "icmp", "-", "64", "64", "OTH", hmi, plc);
    s += "#close\t2024-05-06-08-00-00\n";
    s
}

fn summary(log: &[u8]) -> ConnSummary {
    aggregate(log, &ZeekOptions::default(), OnLineError::Stop).unwrap()
}

#[test]
fn a_tsv_conn_log_aggregates_into_flows() {
    let s = summary(plant_log().as_bytes());
    assert_eq!(s.connections, 7);
    assert_eq!(s.flows.len(), 5);
    let keys: Vec<_> =
        s.flows.iter().map(|f| (f.source.to_string(), f.destination.to_string(), f.transport, f.port)).collect();
    let key = |a: &str, b: &str, t, p| (a.to_string(), b.to_string(), t, p);
    assert_eq!(
        keys,
        [
            key("10.0.1.5", "10.0.1.10", Transport::Tcp, 502),
            key("10.0.1.5", "10.0.1.10", Transport::Icmp, 0),
            key("10.0.1.5", "10.0.1.11", Transport::Tcp, 102),
            key("10.0.1.20", "10.0.0.53", Transport::Udp, 53),
            key("10.0.1.20", "52.1.2.3", Transport::Tcp, 443),
        ]
    );
    let modbus = s.flows.iter().find(|f| f.port == 502).unwrap();
    assert_eq!(modbus.protocol, "modbus");
    assert_eq!(modbus.zeek_service.as_deref(), Some("modbus"));
    assert_eq!(modbus.connection_count, 3);
    assert_eq!(modbus.byte_count, 120 + 80 + 40 + 10 + 10, "a missing byte count counts as 0");
    assert_eq!(modbus.first_seen_us, 1_715_000_000_100_000);
    assert_eq!(modbus.last_seen_us, 1_715_000_060_250_000);
    assert!(!modbus.encrypted);
    let s7 = s.flows.iter().find(|f| f.port == 102).unwrap();
    assert_eq!((s7.protocol.as_str(), s7.unanswered_count), ("s7comm", 1), "S0 is an unanswered attempt");
    let https = s.flows.iter().find(|f| f.port == 443).unwrap();
    assert_eq!((https.protocol.as_str(), https.encrypted), ("https", true));
    assert_eq!(https.zeek_service.as_deref(), Some("ssl"), "the first of a service list is kept");
    let dns = s.flows.iter().find(|f| f.port == 53).unwrap();
    assert_eq!((dns.transport, dns.protocol.as_str()), (Transport::Udp, "dns"));
    let icmp = s.flows.iter().find(|f| f.transport == Transport::Icmp).unwrap();
    assert_eq!(icmp.protocol, "icmp");
}

#[test]
fn addresses_carry_first_and_last_seen_and_their_macs() {
    let s = summary(plant_log().as_bytes());
    assert_eq!(s.addresses.len(), 6);
    let hmi = s.addresses.iter().find(|a| a.address.to_string() == "10.0.1.5").unwrap();
    assert_eq!(hmi.macs, ["00:1b:1b:00:00:01"]);
    assert_eq!(hmi.connections, 5);
    assert_eq!((hmi.first_seen_us, hmi.last_seen_us), (1_715_000_000_100_000, 1_715_000_060_250_000));
    let s7 = s.addresses.iter().find(|a| a.address.to_string() == "10.0.1.11").unwrap();
    assert!(s7.macs.is_empty(), "an unset MAC is not a MAC");
}

#[test]
fn a_bad_line_is_a_line_error_and_reading_goes_on() {
    let mut log = String::from(HEADER);
    log += &line("1715000000.1", "10.0.1.5", "1", "10.0.1.10", "502", "tcp", "-", "1", "1", "SF", "-", "-");
    log += "1715000000.2\tCx\t10.0.1.5\n";
    log += &line("1715000000.3", "10.0.1.999", "1", "10.0.1.10", "502", "tcp", "-", "1", "1", "SF", "-", "-");
    log += &line("1715000000.4", "10.0.1.5", "1", "10.0.1.10", "70000", "tcp", "-", "1", "1", "SF", "-", "-");
    log += &line("1715000000.5", "10.0.1.5", "1", "10.0.1.10", "502", "sctp", "-", "1", "1", "SF", "-", "-");
    log += &line("1715000000.6", "10.0.1.5", "1", "10.0.1.10", "502", "tcp", "-", "1", "1", "SF", "zz:zz", "-");
    log += &line("1715000000.7", "10.0.1.5", "1", "10.0.1.10", "502", "tcp", "-", "1", "1", "SF", "-", "-");
    let results: Vec<_> = ConnReader::new(log.as_bytes(), &ZeekOptions::default()).unwrap().collect();
    assert_eq!(results.len(), 7);
    let errors: Vec<LineError> = results
        .iter()
        .filter_map(|r| match r {
            Err(ZeekError::Line(e)) => Some(e.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        errors.iter().map(|e| (e.line, e.field)).collect::<Vec<_>>(),
        [(10, None), (11, Some("id.orig_h")), (12, Some("id.resp_p")), (13, Some("proto")), (14, Some("orig_l2_addr")),]
    );
    assert_eq!(errors[0].to_string(), "line 10: has 3 fields, the #fields header 23");
    assert_eq!(errors[1].to_string(), "line 11, field id.orig_h: \"10.0.1.999\" is not an IP address");
    let s = aggregate(log.as_bytes(), &ZeekOptions::default(), OnLineError::Skip).unwrap();
    assert_eq!((s.connections, s.skipped_lines, s.line_errors.len()), (2, 5, 5));
    let e = aggregate(log.as_bytes(), &ZeekOptions::default(), OnLineError::Stop).unwrap_err();
    assert!(matches!(e, ZeekError::Line(LineError { line: 10, .. })));
}

#[test]
fn a_log_without_required_fields_is_an_error_naming_them() {
    let log = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_p\n";
    let e = aggregate(log.as_bytes(), &ZeekOptions::default(), OnLineError::Skip).unwrap_err();
    assert_eq!(e, ZeekError::MissingFields { line: 2, missing: vec!["id.resp_h", "proto"] });
    assert!(e.is_fatal());
    assert!(e.to_string().contains("lacks id.resp_h, proto"));
}

#[test]
fn another_zeek_log_is_refused_by_its_path() {
    let log = "#separator \\x09\n#path\tdns\n#fields\tts\tquery\n";
    let e = aggregate(log.as_bytes(), &ZeekOptions::default(), OnLineError::Skip).unwrap_err();
    assert_eq!(e, ZeekError::NotConnLog { line: 2, path: "dns".into() });
}

#[test]
fn tab_separated_data_without_a_header_is_an_error() {
    let e = aggregate(&b"1.0\t10.0.0.1\t10.0.0.2\n"[..], &ZeekOptions::default(), OnLineError::Skip).unwrap_err();
    assert_eq!(e, ZeekError::NoHeader { line: 1 });
}

#[test]
fn a_new_fields_header_resets_the_columns_of_concatenated_logs() {
    let mut log = plant_log();
    log += "#separator \\x09\n#path\tconn\n#fields\tid.resp_h\tid.resp_p\tproto\tts\tid.orig_h\n";
    log += "10.9.9.9\t4840\ttcp\t1715000100\t10.0.1.5\n";
    let s = summary(log.as_bytes());
    assert_eq!(s.connections, 8);
    let opc = s.flows.iter().find(|f| f.port == 4840).unwrap();
    assert_eq!((opc.protocol.as_str(), opc.first_seen_us), ("opcua", 1_715_000_100_000_000));
}

#[test]
fn a_custom_separator_and_unset_marker_are_honoured() {
    let log = "#separator \\x7c\n#unset_field|NONE\n#fields|ts|id.orig_h|id.resp_h|id.resp_p|proto|service|orig_bytes\n\
               1715000000.5|10.0.0.1|10.0.0.2|20000|tcp|NONE|NONE\n";
    let s = summary(log.as_bytes());
    assert_eq!((s.flows[0].protocol.as_str(), s.flows[0].byte_count), ("dnp3", 0));
}

#[test]
fn json_lines_are_read_with_epoch_iso_and_millisecond_timestamps() {
    let log = r#"{"ts":1715000000.1,"uid":"C1","id.orig_h":"10.0.1.5","id.orig_p":49152,"id.resp_h":"10.0.1.10","id.resp_p":502,"proto":"tcp","service":"modbus","duration":0.5,"orig_bytes":100,"resp_bytes":null,"conn_state":"SF","orig_l2_addr":"00:1b:1b:00:00:01","resp_l2_addr":"00:1b:1b:00:00:02","tunnel_parents":[]}
{"ts":"2024-05-06T12:53:40.200000Z","uid":"C2","id.orig_h":"10.0.1.5","id.orig_p":49153,"id.resp_h":"10.0.1.10","id.resp_p":502,"proto":"tcp","orig_bytes":50}

{"ts":1715000000300,"id.orig_h":"fe80::1","id.orig_p":5353,"id.resp_h":"ff02::fb","id.resp_p":5353,"proto":"udp","service":["-dns","mdns"]}
{"ts":1715000000.4,"id.orig_h":"10.0.1.5","id.resp_h":"10.0.1.10","proto":"tcp"}
not json
"#;
    let results: Vec<_> = ConnReader::new(log.as_bytes(), &ZeekOptions::default()).unwrap().collect();
    assert_eq!(results.len(), 5);
    let first = results[0].as_ref().unwrap();
    assert_eq!(first.ts_us, 1_715_000_000_100_000);
    assert_eq!(first.duration_us, Some(500_000));
    assert_eq!((first.orig_bytes, first.resp_bytes), (Some(100), None));
    assert_eq!(first.resp_mac, Some([0x00, 0x1b, 0x1b, 0, 0, 2]));
    assert_eq!(results[1].as_ref().unwrap().ts_us, 1_715_000_020_200_000);
    let mdns = results[2].as_ref().unwrap();
    assert_eq!((mdns.ts_us, mdns.service.as_deref()), (1_715_000_000_300_000, Some("mdns")));
    assert!(matches!(&results[3], Err(ZeekError::Line(LineError { line: 5, field: Some("id.resp_p"), .. }))));
    assert!(matches!(&results[4], Err(ZeekError::Line(LineError { line: 6, field: None, .. }))));
    let s = aggregate(log.as_bytes(), &ZeekOptions::default(), OnLineError::Skip).unwrap();
    let modbus = s.flows.iter().find(|f| f.port == 502).unwrap();
    assert_eq!((modbus.connection_count, modbus.byte_count), (2, 150));
    assert_eq!(s.flows.iter().find(|f| f.port == 5353).unwrap().protocol, "mdns");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn a_gzip_log_reads_like_the_plain_one() {
    let plain = plant_log();
    let gz = gzip(plain.as_bytes());
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    assert_eq!(summary(&gz), summary(plain.as_bytes()));
    let json =
        "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":1883,\"proto\":\"tcp\"}\n";
    let mut two = gzip(json.as_bytes());
    two.extend(gzip(json.as_bytes()));
    let s = summary(&two);
    assert_eq!((s.connections, s.flows[0].protocol.as_str()), (2, "mqtt"), "concatenated gzip members are read");
}

#[test]
fn a_gzip_log_beyond_the_decompressed_limit_is_refused() {
    let gz = gzip(plant_log().as_bytes());
    let opts = ZeekOptions { max_decompressed_bytes: 1000, ..ZeekOptions::default() };
    let e = aggregate(&gz[..], &opts, OnLineError::Skip).unwrap_err();
    assert_eq!(e, ZeekError::TooLarge { limit: 1000 });
    assert!(e.to_string().contains("more than 1000 bytes"));
}

#[test]
fn a_corrupt_gzip_stream_is_an_io_error() {
    let mut gz = gzip(plant_log().as_bytes());
    let mid = gz.len() / 2;
    gz[mid..].iter_mut().for_each(|b| *b = !*b);
    assert!(matches!(aggregate(&gz[..], &ZeekOptions::default(), OnLineError::Skip), Err(ZeekError::Io(_))));
}

#[test]
fn an_overlong_line_is_skipped_as_a_line_error() {
    let mut log = plant_log();
    log.insert_str(HEADER.len(), &format!("{}\n", "x".repeat(5000)));
    let opts = ZeekOptions { max_line_bytes: 1000, ..ZeekOptions::default() };
    let s = aggregate(log.as_bytes(), &opts, OnLineError::Skip).unwrap();
    assert_eq!((s.connections, s.skipped_lines), (7, 1));
    assert_eq!(s.line_errors[0].line, 9);
    assert!(s.line_errors[0].reason.contains("longer than 1000 bytes"));
}

#[test]
fn memory_is_bounded_by_distinct_flows_not_lines() {
    let mut agg = Aggregator::new();
    let c = Connection {
        line: 1,
        ts_us: 0,
        orig_h: "10.0.0.1".parse().unwrap(),
        orig_p: Some(1),
        resp_h: "10.0.0.2".parse().unwrap(),
        resp_p: 502,
        transport: Transport::Tcp,
        service: None,
        duration_us: None,
        orig_bytes: Some(1),
        resp_bytes: None,
        orig_pkts: None,
        resp_pkts: None,
        conn_state: None,
        orig_mac: None,
        resp_mac: None,
    };
    for i in 0..10_000 {
        agg.add(&Connection { ts_us: i, line: i as u64, orig_p: Some(i as u16), ..c.clone() });
    }
    assert_eq!((agg.connections(), agg.flow_count()), (10_000, 1));
    let (flows, _) = agg.finish();
    assert_eq!((flows[0].first_seen_us, flows[0].last_seen_us, flows[0].byte_count), (0, 9_999, 10_000));
}

#[test]
fn macs_parse_and_print_in_one_form() {
    assert_eq!(parse_mac("00-1B-1B-0A-0b-0C").map(format_mac).as_deref(), Some("00:1b:1b:0a:0b:0c"));
    assert_eq!(parse_mac("00:1b:1b:0a:0b"), None);
    assert_eq!(parse_mac("00:1b:1b:0a:0b:0c:0d"), None);
    assert_eq!(parse_mac("0:1b:1b:0a:0b:0c"), None);
}
