//! Nmap XML output (`nmap -oX`): owns reading the hosts that were up, with their addresses,
//! host names, best OS guess, open ports and services, and the scan's times, into plain
//! structs.
//!
//! Connect 981 never scans: it only reads the output of scans the customer chose to run
//! (passive captures, see [`crate::zeek`], are the better source for OT networks, where
//! active scanning can upset fragile devices).
//!
//! The input is untrusted XML: a DOCTYPE that declares entities (`<!ENTITY`) is refused (XXE
//! and billion-laughs), external entities are never resolved, undefined entity references are
//! errors, and input size and element nesting are bounded. Errors name the line and column
//! (1-based, the column in bytes).

use std::fmt;
use std::io::Read;
use std::net::IpAddr;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::limit;

/// Limits for reading Nmap XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NmapOptions {
    /// Largest input in bytes (default 512 MiB).
    pub max_bytes: u64,
    /// Deepest element nesting (default 64; Nmap output nests about 7 deep).
    pub max_depth: usize,
}

impl Default for NmapOptions {
    fn default() -> Self {
        Self { max_bytes: 512 << 20, max_depth: 64 }
    }
}

/// A scan: its run's facts and the hosts that were up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// `<nmaprun scanner>`, usually `nmap`.
    pub scanner: Option<String>,
    /// The command line (`<nmaprun args>`).
    pub args: Option<String>,
    /// Nmap's version.
    pub version: Option<String>,
    /// Scan start, seconds since the Unix epoch (`<nmaprun start>`).
    pub start: Option<i64>,
    /// Scan end (`<runstats><finished time>`).
    pub end: Option<i64>,
    /// Hosts with `<status state="up">`, or without a status.
    pub hosts: Vec<Host>,
    /// Hosts reported in another state (down, unknown), not listed.
    pub hosts_not_up: u64,
}

/// A host that was up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Host {
    /// The line of its `<host>` element.
    pub line: u64,
    /// IPv4 and IPv6 addresses.
    pub addresses: Vec<IpAddr>,
    /// MAC addresses (lower-case, `:`-separated) with Nmap's vendor guess from the OUI.
    pub macs: Vec<MacAddress>,
    /// Host names (user-given or from reverse DNS).
    pub hostnames: Vec<Hostname>,
    /// The OS match of highest accuracy, with its classes.
    pub os: Option<OsMatch>,
    /// Ports in state `open` (not `open|filtered`).
    pub ports: Vec<Port>,
    /// Host scan start, seconds since the Unix epoch.
    pub start: Option<i64>,
    /// Host scan end, seconds since the Unix epoch.
    pub end: Option<i64>,
}

/// A MAC address of a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacAddress {
    /// Lower-case, `:`-separated.
    pub address: String,
    /// Nmap's vendor name for the OUI.
    pub vendor: Option<String>,
}

/// A host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hostname {
    /// The name.
    pub name: String,
    /// `user` or `PTR`.
    pub kind: Option<String>,
}

/// An OS guess.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsMatch {
    /// The guess, e.g. `Siemens SIMATIC S7-1500 PLC`.
    pub name: String,
    /// Accuracy in percent.
    pub accuracy: u8,
    /// Its classes.
    pub classes: Vec<OsClass>,
}

/// One class of an OS guess.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsClass {
    /// Device type (`type`: `specialized`, `general purpose`, `switch`…).
    pub device_type: Option<String>,
    /// Vendor.
    pub vendor: Option<String>,
    /// OS family.
    pub family: Option<String>,
    /// OS generation.
    pub generation: Option<String>,
    /// Accuracy in percent.
    pub accuracy: Option<u8>,
    /// CPE names.
    pub cpes: Vec<String>,
}

/// An open port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// The port number.
    pub port: u16,
    /// What Nmap found listening.
    pub service: Option<Service>,
}

/// A service on a port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    /// Nmap's service name (`modbus`, `iso-tsap`, `http`…).
    pub name: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Extra information.
    pub extra_info: Option<String>,
    /// Device type.
    pub device_type: Option<String>,
    /// How it was found: `probed` or `table` (a guess from the port number).
    pub method: Option<String>,
    /// Confidence, 0 to 10.
    pub confidence: Option<u8>,
    /// CPE names.
    pub cpes: Vec<String>,
}

/// Why the XML cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NmapError {
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in bytes.
    pub column: u64,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for NmapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.reason)
    }
}

impl std::error::Error for NmapError {}

/// Line and column (1-based) of a byte offset.
fn position(bytes: &[u8], offset: u64) -> (u64, u64) {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
    let before = &bytes[..offset];
    let line = memchr::memchr_iter(b'\n', before).count() as u64 + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    (line, (offset - line_start) as u64 + 1)
}

/// Line numbers of increasing offsets, counted incrementally (linear over the file).
struct LineCounter<'b> {
    bytes: &'b [u8],
    offset: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn line_at(&mut self, offset: u64) -> u64 {
        let offset = usize::try_from(offset).unwrap_or(usize::MAX).min(self.bytes.len());
        if offset > self.offset {
            self.line += memchr::memchr_iter(b'\n', &self.bytes[self.offset..offset]).count() as u64;
            self.offset = offset;
        }
        self.line
    }
}

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, quick_xml::Error> {
    for a in e.attributes() {
        let a = a?;
        if a.key.as_ref() == name {
            return Ok(Some(a.normalized_value(XmlVersion::Implicit1_0)?.into_owned()));
        }
    }
    Ok(None)
}

fn number<T: std::str::FromStr>(v: Option<String>) -> Option<T> {
    v.and_then(|v| v.trim().parse().ok())
}

/// What the element being read belongs to, for text content (CPE names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextTarget {
    None,
    ServiceCpe,
    OsClassCpe,
}

#[derive(Default)]
struct State {
    scan: Scan,
    host: Option<Host>,
    host_up: Option<bool>,
    port: Option<(Port, bool)>,
    osmatch: Option<OsMatch>,
    text: Option<(TextTarget, String)>,
    in_os: bool,
    /// `<osclass>` elements outside any `<osmatch>` (XML output 1.03 and older).
    loose_classes: Vec<OsClass>,
}

impl State {
    fn open(&mut self, e: &BytesStart<'_>, empty: bool, line: u64) -> Result<(), String> {
        let err = |e: quick_xml::Error| e.to_string();
        let name = e.local_name();
        match name.as_ref() {
            "nmaprun" => {
                self.scan.scanner = attr(e, "scanner").map_err(err)?;
                self.scan.args = attr(e, "args").map_err(err)?;
                self.scan.version = attr(e, "version").map_err(err)?;
                self.scan.start = number(attr(e, "start").map_err(err)?);
            }
            "finished" => self.scan.end = number(attr(e, "time").map_err(err)?),
            "host" => {
                if self.host.is_some() {
                    return Err("a <host> inside a <host>".into());
                }
                self.host = Some(Host {
                    line,
                    start: number(attr(e, "starttime").map_err(err)?),
                    end: number(attr(e, "endtime").map_err(err)?),
                    ..Host::default()
                });
                self.host_up = None;
            }
            "status" if self.host.is_some() && self.port.is_none() => {
                self.host_up = Some(attr(e, "state").map_err(err)?.as_deref() == Some("up"));
            }
            "address" => {
                if let Some(h) = &mut self.host {
                    let addr = attr(e, "addr").map_err(err)?.unwrap_or_default();
                    match attr(e, "addrtype").map_err(err)?.as_deref() {
                        Some("mac") => h.macs.push(MacAddress {
                            address: addr.trim().to_ascii_lowercase().replace('-', ":"),
                            vendor: attr(e, "vendor").map_err(err)?,
                        }),
                        _ => {
                            h.addresses.push(addr.trim().parse().map_err(|_| format!("{addr:?} is not an IP address"))?)
                        }
                    }
                }
            }
            "hostname" => {
                if let Some(h) = &mut self.host
                    && let Some(n) = attr(e, "name").map_err(err)?
                {
                    h.hostnames.push(Hostname { name: n, kind: attr(e, "type").map_err(err)? });
                }
            }
            "port" if self.host.is_some() => {
                let protocol = attr(e, "protocol").map_err(err)?.unwrap_or_default();
                let id = attr(e, "portid").map_err(err)?.unwrap_or_default();
                let port = id.trim().parse().map_err(|_| format!("portid {id:?} is not a port"))?;
                self.port = Some((Port { protocol, port, service: None }, false));
            }
            "state" => {
                if let Some((_, open)) = &mut self.port {
                    *open = attr(e, "state").map_err(err)?.as_deref() == Some("open");
                }
            }
            "service" => {
                if let Some((p, _)) = &mut self.port {
                    p.service = Some(Service {
                        name: attr(e, "name").map_err(err)?,
                        product: attr(e, "product").map_err(err)?,
                        version: attr(e, "version").map_err(err)?,
                        extra_info: attr(e, "extrainfo").map_err(err)?,
                        device_type: attr(e, "devicetype").map_err(err)?,
                        method: attr(e, "method").map_err(err)?,
                        confidence: number(attr(e, "conf").map_err(err)?),
                        cpes: Vec::new(),
                    });
                }
            }
            "os" => self.in_os = self.host.is_some(),
            "osmatch" if self.in_os => {
                self.osmatch = Some(OsMatch {
                    name: attr(e, "name").map_err(err)?.unwrap_or_default(),
                    accuracy: number(attr(e, "accuracy").map_err(err)?).unwrap_or(0),
                    classes: Vec::new(),
                });
            }
            "osclass" if self.in_os => {
                let class = OsClass {
                    device_type: attr(e, "type").map_err(err)?,
                    vendor: attr(e, "vendor").map_err(err)?,
                    family: attr(e, "osfamily").map_err(err)?,
                    generation: attr(e, "osgen").map_err(err)?,
                    accuracy: number(attr(e, "accuracy").map_err(err)?),
                    cpes: Vec::new(),
                };
                match &mut self.osmatch {
                    Some(m) => m.classes.push(class),
                    None if self.loose_classes.len() < 64 => self.loose_classes.push(class),
                    None => {}
                }
            }
            "cpe" if !empty => {
                let target = if self.osmatch.as_ref().is_some_and(|m| !m.classes.is_empty()) {
                    TextTarget::OsClassCpe
                } else if self.port.as_ref().is_some_and(|(p, _)| p.service.is_some()) {
                    TextTarget::ServiceCpe
                } else {
                    TextTarget::None
                };
                self.text = Some((target, String::new()));
            }
            _ => {}
        }
        if empty {
            self.close(name.as_ref());
        }
        Ok(())
    }

    fn text(&mut self, t: &str) {
        if let Some((_, buf)) = &mut self.text
            && buf.len() < 4096
        {
            buf.push_str(t);
        }
    }

    fn close(&mut self, name: &str) {
        match name {
            "host" => {
                let loose = std::mem::take(&mut self.loose_classes);
                if let Some(mut h) = self.host.take() {
                    if let Some(os) = h.os.as_mut().filter(|os| os.classes.is_empty()) {
                        os.classes = loose;
                    }
                    if self.host_up.unwrap_or(true) {
                        self.scan.hosts.push(h);
                    } else {
                        self.scan.hosts_not_up += 1;
                    }
                }
                self.port = None;
                self.osmatch = None;
                self.in_os = false;
            }
            "port" => {
                if let (Some((p, true)), Some(h)) = (self.port.take(), &mut self.host) {
                    h.ports.push(p);
                }
            }
            "os" => self.in_os = false,
            "osmatch" => {
                if let (Some(m), Some(h)) = (self.osmatch.take(), &mut self.host)
                    && h.os.as_ref().is_none_or(|best| m.accuracy > best.accuracy)
                {
                    h.os = Some(m);
                }
            }
            "cpe" => {
                if let Some((target, cpe)) = self.text.take() {
                    let cpe = cpe.trim().to_owned();
                    match target {
                        TextTarget::ServiceCpe => {
                            if let Some(s) = self.port.as_mut().and_then(|(p, _)| p.service.as_mut()) {
                                s.cpes.push(cpe);
                            }
                        }
                        TextTarget::OsClassCpe => {
                            if let Some(c) = self.osmatch.as_mut().and_then(|m| m.classes.last_mut()) {
                                c.cpes.push(cpe);
                            }
                        }
                        TextTarget::None => {}
                    }
                }
            }
            _ => {}
        }
    }
}

fn entity_text(r: &BytesRef<'_>) -> Result<String, String> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
        return Ok(c.to_string());
    }
    let name = r.xml10_content();
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(str::to_owned)
        .ok_or_else(|| format!("undefined entity &{name}; (only XML's predefined entities are accepted)"))
}

/// Reads Nmap XML held in memory.
pub fn parse(bytes: &[u8], opts: &NmapOptions) -> Result<Scan, NmapError> {
    let at = |offset: u64, reason: String| {
        let (line, column) = position(bytes, offset);
        NmapError { line, column, reason }
    };
    if bytes.len() as u64 > opts.max_bytes {
        return Err(NmapError {
            line: 1,
            column: 1,
            reason: format!("the file is larger than {} bytes", opts.max_bytes),
        });
    }
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().check_end_names = true;
    let mut state = State::default();
    let mut depth = 0usize;
    let mut root_seen = false;
    let mut lines = LineCounter { bytes, offset: 0, line: 1 };
    loop {
        let before = reader.buffer_position();
        let event = reader.read_event().map_err(|e| at(reader.error_position(), e.to_string()))?;
        let here = |reason: String| at(before, reason);
        match event {
            Event::DocType(t) => {
                let decl = t.into_inner();
                if decl.to_ascii_lowercase().contains("<!entity") {
                    return Err(here(
                        "the DOCTYPE declares entities (<!ENTITY): refused, entities are never expanded".into(),
                    ));
                }
            }
            Event::Start(e) | Event::Empty(e) if !root_seen && e.local_name().as_ref() != "nmaprun" => {
                let name = e.local_name().as_ref().to_owned();
                return Err(here(format!("not Nmap XML output: the root element is <{name}>, not <nmaprun>")));
            }
            Event::Start(e) => {
                root_seen = true;
                depth += 1;
                if depth > opts.max_depth {
                    return Err(here(format!("elements nest deeper than {}", opts.max_depth)));
                }
                let line = lines.line_at(before);
                state.open(&e, false, line).map_err(here)?;
            }
            Event::Empty(e) => {
                root_seen = true;
                let line = lines.line_at(before);
                state.open(&e, true, line).map_err(here)?;
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                state.close(e.local_name().as_ref());
            }
            Event::Text(t) => state.text(&t.xml10_content()),
            Event::CData(t) => state.text(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let s = entity_text(&r).map_err(here)?;
                state.text(&s);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !root_seen {
        return Err(at(bytes.len() as u64, "not Nmap XML output: no <nmaprun> element".into()));
    }
    Ok(state.scan)
}

/// Reads at most `opts.max_bytes` from `input`, then parses it as [`parse`] does.
pub fn parse_reader(input: impl Read, opts: &NmapOptions) -> Result<Scan, NmapError> {
    let bytes = limit::read_all_limited(input, opts.max_bytes).map_err(|e| NmapError {
        line: 1,
        column: 1,
        reason: match limit::limit_exceeded(&e) {
            Some(l) => format!("the file is larger than {l} bytes"),
            None => format!("cannot read the file: {e}"),
        },
    })?;
    parse(&bytes, opts)
}

#[cfg(test)]
mod tests;
