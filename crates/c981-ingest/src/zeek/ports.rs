//! The application protocol of a flow: Zeek's `service` (normalized to the names Connect 981
//! uses, e.g. `ethernet-ip`, `s7comm`, `opcua`) or, without one, a table of well-known OT and
//! IT ports; and whether the protocol is encrypted (TLS, SSH and their secure-port variants).

use super::Transport;

/// The protocol usually found on a responder port, and whether it is encrypted.
pub fn well_known_port(transport: Transport, port: u16) -> Option<(&'static str, bool)> {
    use Transport::{Tcp, Udp};
    let p = match (transport, port) {
        // OT / ICS
        (Tcp, 502) => ("modbus", false),
        (Tcp, 802) => ("modbus", true),  // Modbus/TCP Security (TLS)
        (Tcp, 102) => ("s7comm", false), // ISO-TSAP (S7, also IEC 61850 MMS)
        (Tcp | Udp, 44818) => ("ethernet-ip", false),
        (Udp, 2222) => ("ethernet-ip", false),      // CIP implicit I/O
        (Tcp | Udp, 2221) => ("ethernet-ip", true), // CIP Security (TLS / DTLS)
        (Tcp, 4840) => ("opcua", false),
        (Tcp, 4843) => ("opcua", true),
        (Tcp, 1883) => ("mqtt", false),
        (Tcp, 8883) => ("mqtt", true),
        (Tcp | Udp, 20000) => ("dnp3", false),
        (Tcp, 19999) => ("dnp3", true), // DNP3 over TLS
        (Udp, 47808) => ("bacnet", false),
        (Tcp, 2404) => ("iec-104", false),
        (Tcp, 19998) => ("iec-104", true), // IEC 62351-3 TLS
        (Tcp | Udp, 34962..=34964) => ("profinet", false),
        (Tcp, 1911) => ("niagara-fox", false),
        (Tcp, 4911) => ("niagara-fox", true),
        (Tcp | Udp, 18245 | 18246) => ("ge-srtp", false),
        (Tcp | Udp, 9600) => ("omron-fins", false),
        (Tcp | Udp, 5006 | 5007) => ("melsec", false),
        (Tcp, 1217 | 2455) => ("codesys", false),
        (Tcp, 789) => ("crimson", false),
        (Tcp, 1962) => ("pcworx", false),
        (Tcp, 20547) => ("proconos", false),
        (Tcp | Udp, 5094) => ("hart-ip", false),
        (Udp, 17185) => ("wdbrpc", false),
        // IT
        (Tcp, 20 | 21) => ("ftp", false),
        (Tcp, 22) => ("ssh", true),
        (Tcp, 23) => ("telnet", false),
        (Tcp, 25 | 587) => ("smtp", false),
        (Tcp, 465) => ("smtp", true),
        (Tcp | Udp, 53) => ("dns", false),
        (Tcp, 853) => ("dns", true),
        (Udp, 67 | 68) => ("dhcp", false),
        (Udp, 69) => ("tftp", false),
        (Tcp, 80 | 8080) => ("http", false),
        (Tcp | Udp, 88) => ("kerberos", false),
        (Tcp, 110) => ("pop3", false),
        (Tcp, 995) => ("pop3", true),
        (Udp, 123) => ("ntp", false),
        (Tcp, 135) => ("dcerpc", false),
        (Udp, 137) => ("netbios-ns", false),
        (Udp, 138) => ("netbios-dgm", false),
        (Tcp, 139) => ("netbios-ssn", false),
        (Tcp, 143) => ("imap", false),
        (Tcp, 993) => ("imap", true),
        (Udp, 161 | 162) => ("snmp", false),
        (Tcp, 389) | (Udp, 389) => ("ldap", false),
        (Tcp, 636) => ("ldap", true),
        (Tcp, 443 | 8443) | (Udp, 443) => ("https", true),
        (Tcp, 445) => ("smb", false),
        (Udp, 500 | 4500) => ("ipsec", true),
        (Udp, 514) => ("syslog", false),
        (Tcp, 6514) => ("syslog", true),
        (Udp, 1194) => ("openvpn", true),
        (Tcp, 1433) => ("mssql", false),
        (Tcp, 1521) => ("oracle", false),
        (Udp, 1900) => ("ssdp", false),
        (Tcp, 3306) => ("mysql", false),
        (Tcp | Udp, 3389) => ("rdp", false),
        (Tcp, 5432) => ("postgresql", false),
        (Udp, 5353) => ("mdns", false),
        (Tcp, 5900 | 5901) => ("vnc", false),
        (Tcp, 5985) => ("winrm", false),
        (Tcp, 5986) => ("winrm", true),
        _ => return None,
    };
    Some(p)
}

/// Zeek analyzer names mapped to Connect 981's protocol names; others are kept (lower-cased,
/// `_` as `-`).
fn zeek_service_name(service: &str) -> Option<&'static str> {
    Some(match service {
        "enip" | "cip" | "cip_io" | "cip-io" | "ethernet_ip" | "ethernet-ip" => "ethernet-ip",
        "s7comm" | "s7comm_plus" | "s7comm-plus" | "s7" | "iso_cotp" | "cotp" => "s7comm",
        "profinet" | "profinet_io" | "profinet_dce_rpc" | "profinet_io_cm" => "profinet",
        "opcua" | "opcua_binary" | "opcua-binary" => "opcua",
        "iec104" | "iec60870_5_104" | "iec-104" | "iec_104" => "iec-104",
        "ge_srtp" | "ge-srtp" => "ge-srtp",
        "omron_fins" | "omron-fins" => "omron-fins",
        "hart_ip" | "hart-ip" => "hart-ip",
        "krb" | "krb_tcp" | "kerberos" => "kerberos",
        "dce_rpc" | "dcerpc" => "dcerpc",
        "rfb" | "vnc" => "vnc",
        "rdp" | "rdpeudp" => "rdp",
        "ldap" | "ldap_tcp" | "ldap_udp" => "ldap",
        "ftp" | "ftp-data" | "ftp_data" => "ftp",
        "postgresql" | "postgres" => "postgresql",
        "modbus" => "modbus",
        "dnp3" | "dnp3_tcp" | "dnp3_udp" => "dnp3",
        "bacnet" => "bacnet",
        "mqtt" => "mqtt",
        "ssh" => "ssh",
        "http" => "http",
        "dns" => "dns",
        "ntp" => "ntp",
        "snmp" => "snmp",
        "smb" => "smb",
        "dhcp" => "dhcp",
        "smtp" => "smtp",
        "syslog" => "syslog",
        "mysql" => "mysql",
        _ => return None,
    })
}

/// Keeps only characters a protocol name may hold (`a-z 0-9 . _ + -`), at most 32.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c == '_' { '-' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
        .take(32)
        .collect()
}

/// The application protocol and the encryption hint for a flow: Zeek's service when it has
/// one (TLS, DTLS and QUIC take the secure port's protocol name when the port has one, e.g.
/// `mqtt` on 8883, else `tls`), else the well-known port, else the transport's name.
pub fn app_protocol(service: Option<&str>, transport: Transport, port: u16) -> (String, bool) {
    let known = well_known_port(transport, port);
    if let Some(s) = service.map(str::trim).filter(|s| !s.is_empty()) {
        let s = s.to_ascii_lowercase();
        return match s.as_str() {
            "ssl" | "tls" | "dtls" | "quic" => match known {
                Some((name, true)) => (name.to_owned(), true),
                _ if s == "quic" => ("quic".to_owned(), true),
                _ => ("tls".to_owned(), true),
            },
            "ssh" => ("ssh".to_owned(), true),
            other => match zeek_service_name(other) {
                Some(name) => (name.to_owned(), false),
                None => {
                    let clean = sanitize(other);
                    if clean.is_empty() { (transport.as_str().to_owned(), false) } else { (clean, false) }
                }
            },
        };
    }
    match known {
        Some((name, encrypted)) => (name.to_owned(), encrypted),
        None => (transport.as_str().to_owned(), false),
    }
}

/// The first confirmed entry of Zeek's `service` (a comma list like `ssl,http`); entries
/// Zeek marks as failed with a leading `-` are passed over.
pub(crate) fn first_service(service: &str) -> Option<&str> {
    service.split(',').map(str::trim).find(|s| !s.is_empty() && !s.starts_with('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeeks_service_wins_over_the_port() {
        assert_eq!(app_protocol(Some("modbus"), Transport::Tcp, 5020), ("modbus".into(), false));
        assert_eq!(app_protocol(Some("enip"), Transport::Tcp, 44818), ("ethernet-ip".into(), false));
        assert_eq!(app_protocol(Some("s7comm_plus"), Transport::Tcp, 102), ("s7comm".into(), false));
        assert_eq!(app_protocol(Some("http"), Transport::Tcp, 443), ("http".into(), false));
        assert_eq!(app_protocol(Some("Spicy_Thing!"), Transport::Udp, 9), ("spicy-thing".into(), false));
    }

    #[test]
    fn tls_takes_the_name_of_the_secure_port() {
        assert_eq!(app_protocol(Some("ssl"), Transport::Tcp, 443), ("https".into(), true));
        assert_eq!(app_protocol(Some("ssl"), Transport::Tcp, 8883), ("mqtt".into(), true));
        assert_eq!(app_protocol(Some("ssl"), Transport::Tcp, 4843), ("opcua".into(), true));
        assert_eq!(app_protocol(Some("ssl"), Transport::Tcp, 9443), ("tls".into(), true));
        assert_eq!(app_protocol(Some("ssh"), Transport::Tcp, 2222), ("ssh".into(), true));
    }

    #[test]
    fn without_a_service_the_port_table_decides() {
        assert_eq!(app_protocol(None, Transport::Tcp, 502), ("modbus".into(), false));
        assert_eq!(app_protocol(None, Transport::Tcp, 102), ("s7comm".into(), false));
        assert_eq!(app_protocol(None, Transport::Udp, 2222), ("ethernet-ip".into(), false));
        assert_eq!(app_protocol(None, Transport::Tcp, 44818), ("ethernet-ip".into(), false));
        assert_eq!(app_protocol(None, Transport::Tcp, 4840), ("opcua".into(), false));
        assert_eq!(app_protocol(None, Transport::Tcp, 8883), ("mqtt".into(), true));
        assert_eq!(app_protocol(None, Transport::Tcp, 20000), ("dnp3".into(), false));
        assert_eq!(app_protocol(None, Transport::Udp, 47808), ("bacnet".into(), false));
        assert_eq!(app_protocol(None, Transport::Tcp, 2404), ("iec-104".into(), false));
        assert_eq!(app_protocol(None, Transport::Udp, 34963), ("profinet".into(), false));
        assert_eq!(app_protocol(None, Transport::Tcp, 4911), ("niagara-fox".into(), true));
        assert_eq!(app_protocol(None, Transport::Tcp, 5020), ("tcp".into(), false), "not standard");
        assert_eq!(app_protocol(None, Transport::Tcp, 443), ("https".into(), true));
        assert_eq!(app_protocol(None, Transport::Tcp, 3389), ("rdp".into(), false));
        assert_eq!(app_protocol(None, Transport::Udp, 161), ("snmp".into(), false));
        assert_eq!(app_protocol(None, Transport::Icmp, 0), ("icmp".into(), false));
    }

    #[test]
    fn the_first_confirmed_service_is_kept() {
        assert_eq!(first_service("ssl,http"), Some("ssl"));
        assert_eq!(first_service("-ssl,http"), Some("http"));
        assert_eq!(first_service("-dns"), None);
        assert_eq!(first_service(""), None);
    }
}
