//! Tests of the Nmap XML reader on output written here as Nmap writes it, and on hostile XML.

use super::*;

const SCAN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>
<!-- Nmap 7.94 scan initiated Mon May  6 07:00:00 2024 as: nmap -sV -O -oX plant.xml 10.0.1.0/24 -->
<nmaprun scanner="nmap" args="nmap -sV -O -oX plant.xml 10.0.1.0/24" start="1714978800" startstr="Mon May  6 07:00:00 2024" version="7.94" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="1000" services="1-1000"/>
<verbose level="0"/>
<debugging level="0"/>
<host starttime="1714978801" endtime="1714978850"><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="10.0.1.10" addrtype="ipv4"/>
<address addr="00:1B:1B:AA:BB:CC" addrtype="mac" vendor="Siemens AG"/>
<hostnames>
<hostname name="plc-101.plant.local" type="PTR"/>
</hostnames>
<ports><extraports state="closed" count="997">
<extrareasons reason="reset" count="997" proto="tcp" ports="1-101,103-501"/>
</extraports>
<port protocol="tcp" portid="102"><state state="open" reason="syn-ack" reason_ttl="30"/><service name="iso-tsap" product="Siemens S7 PLC" extrainfo="S7-1500" devicetype="specialized" method="probed" conf="10"><cpe>cpe:/h:siemens:s7-1500</cpe></service></port>
<port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="30"/><service name="http" product="Siemens Simatic HMI httpd" method="probed" conf="10"/></port>
<port protocol="tcp" portid="443"><state state="filtered" reason="no-response" reason_ttl="0"/><service name="https" method="table" conf="3"/></port>
<port protocol="udp" portid="161"><state state="open|filtered" reason="no-response" reason_ttl="0"/></port>
</ports>
<os><portused state="open" proto="tcp" portid="102"/>
<osmatch name="Siemens SIMATIC 300 PLC" accuracy="91" line="100">
<osclass type="specialized" vendor="Siemens" osfamily="embedded" accuracy="91"><cpe>cpe:/h:siemens:simatic_300</cpe></osclass>
</osmatch>
<osmatch name="Siemens SIMATIC S7-1500 PLC &amp; HMI" accuracy="96" line="101">
<osclass type="specialized" vendor="Siemens" osfamily="embedded" osgen="S7-1500" accuracy="96"><cpe>cpe:/h:siemens:s7-1500</cpe></osclass>
</osmatch>
</os>
<times srtt="1000" rttvar="1000" to="100000"/>
</host>
<host><status state="down" reason="no-response" reason_ttl="0"/>
<address addr="10.0.1.11" addrtype="ipv4"/>
</host>
<host starttime="1714978802" endtime="1714978851">
<address addr="fe80::21b:1bff:feaa:bbcd" addrtype="ipv6"/>
<ports><port protocol="tcp" portid="502"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="mbap" method="table" conf="3"/></port></ports>
</host>
<runstats><finished time="1714978900" timestr="Mon May  6 07:01:40 2024" elapsed="100.00" summary="Nmap done" exit="success"/><hosts up="2" down="1" total="3"/>
</runstats>
</nmaprun>
"#;

#[test]
fn the_hosts_that_were_up_are_read_with_their_ports_and_best_os_guess() {
    let scan = parse(SCAN.as_bytes(), &NmapOptions::default()).unwrap();
    assert_eq!(scan.scanner.as_deref(), Some("nmap"));
    assert_eq!(scan.version.as_deref(), Some("7.94"));
    assert_eq!((scan.start, scan.end), (Some(1_714_978_800), Some(1_714_978_900)));
    assert_eq!(scan.hosts.len(), 2);
    assert_eq!(scan.hosts_not_up, 1);
    let plc = &scan.hosts[0];
    assert_eq!(plc.line, 9);
    assert_eq!(plc.addresses, ["10.0.1.10".parse::<IpAddr>().unwrap()]);
    assert_eq!(plc.macs, [MacAddress { address: "00:1b:1b:aa:bb:cc".into(), vendor: Some("Siemens AG".into()) }]);
    assert_eq!(plc.hostnames, [Hostname { name: "plc-101.plant.local".into(), kind: Some("PTR".into()) }]);
    assert_eq!((plc.start, plc.end), (Some(1_714_978_801), Some(1_714_978_850)));
    assert_eq!(
        plc.ports.iter().map(|p| (p.protocol.as_str(), p.port)).collect::<Vec<_>>(),
        [("tcp", 102), ("tcp", 80)]
    );
    let s7 = plc.ports[0].service.as_ref().unwrap();
    assert_eq!(s7.name.as_deref(), Some("iso-tsap"));
    assert_eq!(s7.product.as_deref(), Some("Siemens S7 PLC"));
    assert_eq!(s7.extra_info.as_deref(), Some("S7-1500"));
    assert_eq!(s7.device_type.as_deref(), Some("specialized"));
    assert_eq!((s7.method.as_deref(), s7.confidence), (Some("probed"), Some(10)));
    assert_eq!(s7.cpes, ["cpe:/h:siemens:s7-1500"]);
    let os = plc.os.as_ref().unwrap();
    assert_eq!((os.name.as_str(), os.accuracy), ("Siemens SIMATIC S7-1500 PLC & HMI", 96));
    assert_eq!(os.classes.len(), 1);
    assert_eq!(os.classes[0].generation.as_deref(), Some("S7-1500"));
    assert_eq!(os.classes[0].cpes, ["cpe:/h:siemens:s7-1500"]);
    let v6 = &scan.hosts[1];
    assert_eq!(v6.addresses[0].to_string(), "fe80::21b:1bff:feaa:bbcd");
    assert_eq!(v6.ports[0].port, 502);
    assert!(v6.os.is_none());
}

#[test]
fn old_output_with_os_classes_beside_the_matches_keeps_them() {
    let xml = r#"<nmaprun><host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/>
<os><osclass type="switch" vendor="Cisco" osfamily="IOS" accuracy="90"/><osmatch name="Cisco IOS 12" accuracy="90" line="1"/></os></host></nmaprun>"#;
    let scan = parse(xml.as_bytes(), &NmapOptions::default()).unwrap();
    let os = scan.hosts[0].os.as_ref().unwrap();
    assert_eq!(os.classes[0].vendor.as_deref(), Some("Cisco"));
}

#[test]
fn a_doctype_declaring_entities_is_refused() {
    let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE nmaprun [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<nmaprun><host><hostnames><hostname name="&xxe;"/></hostnames></host></nmaprun>"#;
    let e = parse(xxe.as_bytes(), &NmapOptions::default()).unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.reason.contains("<!ENTITY"), "{e}");
    let laughs =
        r#"<!DOCTYPE lolz [<!entity lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><nmaprun>&lol2;</nmaprun>"#;
    assert!(parse(laughs.as_bytes(), &NmapOptions::default()).unwrap_err().reason.contains("ENTITY"));
}

#[test]
fn an_undefined_entity_reference_is_an_error_with_its_position() {
    let xml = "<nmaprun>\n<host><status state=\"up\"/>\n  <hostname name=\"&ext;\"/></host></nmaprun>";
    let e = parse(xml.as_bytes(), &NmapOptions::default()).unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    let xml = "<nmaprun><host><ports><port protocol=\"tcp\" portid=\"1\"><service name=\"x\"><cpe>&ext;</cpe></service></port></ports></host></nmaprun>";
    assert!(parse(xml.as_bytes(), &NmapOptions::default()).unwrap_err().reason.contains("undefined entity &ext;"));
}

#[test]
fn malformed_xml_is_an_error_naming_line_and_column() {
    let xml = "<nmaprun>\n<host>\n  </hots>\n</nmaprun>";
    let e = parse(xml.as_bytes(), &NmapOptions::default()).unwrap_err();
    assert_eq!((e.line, e.column), (3, 3), "{e}");
    assert!(e.to_string().starts_with("line 3, column 3: "));
}

#[test]
fn other_xml_is_not_nmap_output() {
    let e = parse(b"<?xml version=\"1.0\"?><svg/>", &NmapOptions::default()).unwrap_err();
    assert!(e.reason.contains("root element is <svg>"), "{e}");
    assert!(parse(b"", &NmapOptions::default()).unwrap_err().reason.contains("no <nmaprun>"));
}

#[test]
fn nesting_and_size_are_bounded() {
    let deep = format!("<nmaprun>{}{}</nmaprun>", "<a>".repeat(100), "</a>".repeat(100));
    let e = parse(deep.as_bytes(), &NmapOptions::default()).unwrap_err();
    assert!(e.reason.contains("deeper than 64"), "{e}");
    let opts = NmapOptions { max_bytes: 100, ..NmapOptions::default() };
    assert!(parse(SCAN.as_bytes(), &opts).unwrap_err().reason.contains("larger than 100 bytes"));
    assert!(parse_reader(SCAN.as_bytes(), &opts).unwrap_err().reason.contains("larger than 100 bytes"));
    assert_eq!(parse_reader(SCAN.as_bytes(), &NmapOptions::default()).unwrap().hosts.len(), 2);
}

#[test]
fn a_bad_address_or_port_is_an_error() {
    let xml = "<nmaprun><host><address addr=\"10.0.0.300\" addrtype=\"ipv4\"/></host></nmaprun>";
    assert!(parse(xml.as_bytes(), &NmapOptions::default()).unwrap_err().reason.contains("not an IP address"));
    let xml = "<nmaprun><host><ports><port protocol=\"tcp\" portid=\"99999\"/></ports></host></nmaprun>";
    assert!(parse(xml.as_bytes(), &NmapOptions::default()).unwrap_err().reason.contains("not a port"));
}
