//! Zeek `conn.log`: owns reading both of Zeek's formats (tab-separated with its `#` headers,
//! and JSON lines), plain or gzip-compressed, into [`Connection`]s, and aggregating them into
//! [`Flow`]s keyed by (originator, responder, transport, responder port) plus the
//! [`SeenAddress`]es, in memory bounded by the number of distinct flows and addresses, not
//! lines.
//!
//! A bad line is a [`LineError`] (the caller decides to stop or skip); a file that cannot be
//! read as a conn log at all is another [`ZeekError`].
//!
//! ```
//! use c981_ingest::zeek::{aggregate, OnLineError, ZeekOptions};
//!
//! let log = "#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n\
//!            1700000000.5\t10.0.0.5\t50000\t10.0.0.9\t502\ttcp\t-\n";
//! let summary = aggregate(log.as_bytes(), &ZeekOptions::default(), OnLineError::Stop).unwrap();
//! assert_eq!(summary.flows[0].protocol, "modbus");
//! assert_eq!(summary.flows[0].first_seen_us, 1_700_000_000_500_000);
//! ```

mod json;
mod ports;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::io::{self, BufRead, BufReader, Read};
use std::net::IpAddr;
use std::ops::Range;

pub use ports::{app_protocol, well_known_port};

use crate::limit::{LimitedReader, limit_exceeded};
use crate::time::{float_seconds_to_micros, parse_epoch_seconds, parse_timestamp};

/// Limits for reading a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZeekOptions {
    /// Most bytes a gzip-compressed log may decompress to (default 8 GiB).
    pub max_decompressed_bytes: u64,
    /// Longest line, in bytes (default 1 MiB); a longer line is a [`LineError`] and is skipped.
    pub max_line_bytes: usize,
}

impl Default for ZeekOptions {
    fn default() -> Self {
        Self { max_decompressed_bytes: 8 << 30, max_line_bytes: 1 << 20 }
    }
}

/// The transport protocol (Zeek's `proto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP and ICMPv6 (Zeek puts the type in `id.orig_p` and the code in `id.resp_p`).
    Icmp,
    /// Zeek's `unknown_transport`.
    Unknown,
}

impl Transport {
    /// `tcp`, `udp`, `icmp` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
            Self::Icmp => "icmp",
            Self::Unknown => "unknown",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "tcp" | "TCP" => Some(Self::Tcp),
            "udp" | "UDP" => Some(Self::Udp),
            "icmp" | "ICMP" | "icmp6" | "icmpv6" => Some(Self::Icmp),
            "unknown_transport" => Some(Self::Unknown),
            _ => None,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One connection record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The line it was read from, 1-based.
    pub line: u64,
    /// Start time, microseconds since the Unix epoch.
    pub ts_us: i64,
    /// Originator address.
    pub orig_h: IpAddr,
    /// Originator port, when logged.
    pub orig_p: Option<u16>,
    /// Responder address.
    pub resp_h: IpAddr,
    /// Responder port.
    pub resp_p: u16,
    /// Transport.
    pub transport: Transport,
    /// Zeek's first confirmed service, lower-cased as logged (`ssl`, `modbus`…).
    pub service: Option<Cow<'static, str>>,
    /// Duration in microseconds.
    pub duration_us: Option<i64>,
    /// Payload bytes sent by the originator.
    pub orig_bytes: Option<u64>,
    /// Payload bytes sent by the responder.
    pub resp_bytes: Option<u64>,
    /// Packets sent by the originator.
    pub orig_pkts: Option<u64>,
    /// Packets sent by the responder.
    pub resp_pkts: Option<u64>,
    /// Zeek's `conn_state` (`SF`, `S0`, `REJ`…).
    pub conn_state: Option<Cow<'static, str>>,
    /// The originator's link-layer address (`orig_l2_addr`).
    pub orig_mac: Option<[u8; 6]>,
    /// The responder's link-layer address (`resp_l2_addr`).
    pub resp_mac: Option<[u8; 6]>,
}

impl Connection {
    /// True when the responder never answered or refused (`S0`, `REJ`, `RSTOS0`, `RSTRH`,
    /// `SH`, `SHR`): an attempt rather than a working flow.
    pub fn unanswered(&self) -> bool {
        matches!(self.conn_state.as_deref(), Some("S0" | "REJ" | "RSTOS0" | "RSTRH" | "SH" | "SHR"))
    }
}

/// A line that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The line, 1-based (of the decompressed text for a gzip file).
    pub line: u64,
    /// The field concerned, when one is.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "line {}, field {field}: {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

impl std::error::Error for LineError {}

/// Why a log cannot be read (or, for [`ZeekError::Line`], why one line cannot).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ZeekError {
    /// One bad line; reading can go on.
    Line(LineError),
    /// A `#fields` header without fields that a conn log must have.
    MissingFields {
        /// The header's line.
        line: u64,
        /// The missing fields.
        missing: Vec<&'static str>,
    },
    /// A `#path` header naming another log (`dns`, `http`…).
    NotConnLog {
        /// The header's line.
        line: u64,
        /// The path it names.
        path: String,
    },
    /// Tab-separated data before any `#fields` header.
    NoHeader {
        /// The first data line.
        line: u64,
    },
    /// The gzip stream decompresses to more than the limit.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Reading or decompressing failed.
    Io(String),
}

impl ZeekError {
    /// False only for [`ZeekError::Line`]: after any other error the reader has stopped.
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Self::Line(_))
    }
}

impl fmt::Display for ZeekError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(e) => e.fmt(f),
            Self::MissingFields { line, missing } => {
                write!(f, "line {line}: the #fields header lacks {}: not a Zeek conn log", missing.join(", "))
            }
            Self::NotConnLog { line, path } => write!(f, "line {line}: this is a Zeek {path} log, not a conn log"),
            Self::NoHeader { line } => {
                write!(f, "line {line}: data before any #fields header (neither Zeek TSV with headers nor JSON)")
            }
            Self::TooLarge { limit } => write!(f, "the compressed log decompresses to more than {limit} bytes"),
            Self::Io(e) => write!(f, "cannot read the log: {e}"),
        }
    }
}

impl std::error::Error for ZeekError {}

const REQUIRED: [&str; 5] = ["ts", "id.orig_h", "id.resp_h", "id.resp_p", "proto"];

/// Column positions of a TSV block's `#fields`.
#[derive(Debug, Clone, Default)]
struct Columns {
    count: usize,
    ts: usize,
    orig_h: usize,
    resp_h: usize,
    resp_p: usize,
    proto: usize,
    orig_p: Option<usize>,
    service: Option<usize>,
    duration: Option<usize>,
    orig_bytes: Option<usize>,
    resp_bytes: Option<usize>,
    orig_pkts: Option<usize>,
    resp_pkts: Option<usize>,
    conn_state: Option<usize>,
    orig_l2: Option<usize>,
    resp_l2: Option<usize>,
}

/// The state of the current TSV header block.
#[derive(Debug, Clone)]
struct TsvHeader {
    separator: Vec<u8>,
    empty_field: Vec<u8>,
    unset_field: Vec<u8>,
    columns: Option<Columns>,
}

impl Default for TsvHeader {
    fn default() -> Self {
        Self { separator: b"\t".to_vec(), empty_field: b"(empty)".to_vec(), unset_field: b"-".to_vec(), columns: None }
    }
}

#[derive(Debug)]
enum Mode {
    Undecided,
    Tsv(Box<TsvHeader>),
    Json,
}

/// Decodes Zeek's `\xHH` escapes (used in `#separator \x09`).
fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\'
            && s.get(i + 1) == Some(&b'x')
            && let Some(h) = s.get(i + 2..i + 4).and_then(|h| std::str::from_utf8(h).ok())
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 4;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

fn split_into(line: &[u8], sep: &[u8], out: &mut Vec<Range<usize>>) {
    out.clear();
    let mut start = 0;
    if let [b] = sep {
        for i in memchr::memchr_iter(*b, line) {
            out.push(start..i);
            start = i + 1;
        }
    } else if !sep.is_empty() {
        for i in memchr::memmem::find_iter(line, sep) {
            if i >= start {
                out.push(start..i);
                start = i + sep.len();
            }
        }
    }
    out.push(start..line.len());
}

fn bad(line: u64, field: &'static str, reason: impl Into<String>) -> LineError {
    LineError { line, field: Some(field), reason: reason.into() }
}

fn text<'v>(line: u64, field: &'static str, v: &'v [u8]) -> Result<&'v str, LineError> {
    std::str::from_utf8(v).map_err(|_| bad(line, field, "is not valid UTF-8"))
}

fn parse_ip(line: u64, field: &'static str, v: &str) -> Result<IpAddr, LineError> {
    v.parse().map_err(|_| bad(line, field, format!("{v:?} is not an IP address")))
}

fn parse_port(line: u64, field: &'static str, v: &str) -> Result<u16, LineError> {
    v.parse().map_err(|_| bad(line, field, format!("{v:?} is not a port (0 to 65535)")))
}

fn parse_count(line: u64, field: &'static str, v: &str) -> Result<u64, LineError> {
    v.parse().map_err(|_| bad(line, field, format!("{v:?} is not a count")))
}

/// `00:1b:1b:12:34:56` (or with `-`) as bytes.
pub fn parse_mac(v: &str) -> Option<[u8; 6]> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let b = v.as_bytes();
    if b.len() != 17 {
        return None;
    }
    let sep = b[2];
    if sep != b':' && sep != b'-' {
        return None;
    }
    let mut out = [0u8; 6];
    for (i, o) in out.iter_mut().enumerate() {
        let at = i * 3;
        if i > 0 && b[at - 1] != sep {
            return None;
        }
        *o = hex(b[at])? << 4 | hex(b[at + 1])?;
    }
    Some(out)
}

/// A MAC address as lower-case hex pairs joined by `:`.
pub fn format_mac(mac: [u8; 6]) -> String {
    let [a, b, c, d, e, f] = mac;
    format!("{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}")
}

fn mac_field(line: u64, field: &'static str, v: &str) -> Result<[u8; 6], LineError> {
    parse_mac(v).ok_or_else(|| bad(line, field, format!("{v:?} is not a MAC address")))
}

/// Zeek's connection states, and the services commonly logged, shared instead of allocated.
const KNOWN: [&str; 40] = [
    "S0",
    "S1",
    "SF",
    "REJ",
    "S2",
    "S3",
    "RSTO",
    "RSTR",
    "RSTOS0",
    "RSTRH",
    "SH",
    "SHR",
    "OTH",
    "modbus",
    "dnp3",
    "bacnet",
    "enip",
    "cip",
    "s7comm",
    "s7comm_plus",
    "profinet",
    "opcua_binary",
    "iec104",
    "mqtt",
    "ssl",
    "http",
    "dns",
    "ntp",
    "snmp",
    "smb",
    "ssh",
    "rdp",
    "dhcp",
    "krb",
    "dce_rpc",
    "ntlm",
    "gssapi",
    "quic",
    "ftp",
    "smtp",
];

/// The text as a shared `&'static str` when it is a known one, else owned.
fn interned(v: &str) -> Cow<'static, str> {
    match KNOWN.iter().find(|k| **k == v) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(v.to_owned()),
    }
}

fn service_of(v: &str) -> Option<Cow<'static, str>> {
    ports::first_service(v).map(|s| {
        if s.bytes().any(|b| b.is_ascii_uppercase()) { Cow::Owned(s.to_ascii_lowercase()) } else { interned(s) }
    })
}

/// A reader of connection records from a conn log, plain or gzip (detected by its magic
/// bytes `1f 8b`), TSV or JSON lines (detected by the first line: `#` or `{`).
///
/// Iterating yields each record or the error of its line; after a fatal error (see
/// [`ZeekError::is_fatal`]) it ends. A new `#fields` header (concatenated logs) resets the
/// columns.
pub struct ConnReader<'r> {
    input: Box<dyn BufRead + 'r>,
    opts: ZeekOptions,
    line_no: u64,
    buf: Vec<u8>,
    ranges: Vec<Range<usize>>,
    mode: Mode,
    done: bool,
}

impl fmt::Debug for ConnReader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnReader").field("line", &self.line_no).field("mode", &self.mode).finish_non_exhaustive()
    }
}

enum LineRead {
    Line,
    TooLong,
    Eof,
}

impl<'r> ConnReader<'r> {
    /// Opens a log; fails only when the first bytes cannot be read.
    pub fn new(input: impl Read + 'r, opts: &ZeekOptions) -> Result<Self, ZeekError> {
        let mut buffered = BufReader::with_capacity(1 << 16, input);
        let head = loop {
            match buffered.fill_buf() {
                Ok(b) => break b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ZeekError::Io(e.to_string())),
            }
        };
        let input: Box<dyn BufRead + 'r> = if head.starts_with(&[0x1f, 0x8b]) {
            let gz = flate2::bufread::MultiGzDecoder::new(buffered);
            Box::new(BufReader::with_capacity(1 << 16, LimitedReader::new(gz, opts.max_decompressed_bytes)))
        } else {
            Box::new(buffered)
        };
        Ok(Self {
            input,
            opts: *opts,
            line_no: 0,
            buf: Vec::with_capacity(1024),
            ranges: Vec::with_capacity(32),
            mode: Mode::Undecided,
            done: false,
        })
    }

    /// The number of the last line read.
    pub fn line(&self) -> u64 {
        self.line_no
    }

    fn io_error(&self, e: io::Error) -> ZeekError {
        match limit_exceeded(&e) {
            Some(limit) => ZeekError::TooLarge { limit },
            None => ZeekError::Io(e.to_string()),
        }
    }

    /// Reads the next line into `buf`, without its line break.
    fn read_line(&mut self) -> Result<LineRead, ZeekError> {
        self.buf.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let avail = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_error(e)),
            };
            if avail.is_empty() {
                if !any {
                    return Ok(LineRead::Eof);
                }
                break;
            }
            any = true;
            let (chunk, used, end) = match memchr::memchr(b'\n', avail) {
                Some(i) => (&avail[..i], i + 1, true),
                None => (avail, avail.len(), false),
            };
            if !too_long {
                if self.buf.len() + chunk.len() > self.opts.max_line_bytes {
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(chunk);
                }
            }
            self.input.consume(used);
            if end {
                break;
            }
        }
        self.line_no += 1;
        if too_long {
            return Ok(LineRead::TooLong);
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(LineRead::Line)
    }

    /// Applies a TSV `#` header line; data lines are left alone.
    fn header_line(header: &mut TsvHeader, line: &[u8], line_no: u64) -> Result<(), ZeekError> {
        if let Some(rest) = line.strip_prefix(b"#separator") {
            let value = rest.strip_prefix(b" ").or_else(|| rest.strip_prefix(b"\t")).unwrap_or(rest);
            let sep = unescape(value);
            if !sep.is_empty() {
                header.separator = sep;
            }
            return Ok(());
        }
        let mut parts = Vec::new();
        split_into(line, &header.separator, &mut parts);
        let key = &line[parts[0].clone()];
        let values: Vec<&[u8]> = parts[1..].iter().map(|r| &line[r.clone()]).collect();
        match key {
            b"#empty_field" => {
                if let Some(v) = values.first() {
                    header.empty_field = v.to_vec();
                }
            }
            b"#unset_field" => {
                if let Some(v) = values.first() {
                    header.unset_field = v.to_vec();
                }
            }
            b"#path" => {
                if let Some(v) = values.first()
                    && !v.starts_with(b"conn")
                {
                    return Err(ZeekError::NotConnLog { line: line_no, path: String::from_utf8_lossy(v).into_owned() });
                }
            }
            b"#fields" => {
                let pos = |name: &str| values.iter().position(|v| *v == name.as_bytes());
                let missing: Vec<&'static str> = REQUIRED.into_iter().filter(|f| pos(f).is_none()).collect();
                if !missing.is_empty() {
                    return Err(ZeekError::MissingFields { line: line_no, missing });
                }
                let req = |name: &str| pos(name).unwrap_or_default();
                header.columns = Some(Columns {
                    count: values.len(),
                    ts: req("ts"),
                    orig_h: req("id.orig_h"),
                    resp_h: req("id.resp_h"),
                    resp_p: req("id.resp_p"),
                    proto: req("proto"),
                    orig_p: pos("id.orig_p"),
                    service: pos("service"),
                    duration: pos("duration"),
                    orig_bytes: pos("orig_bytes"),
                    resp_bytes: pos("resp_bytes"),
                    orig_pkts: pos("orig_pkts"),
                    resp_pkts: pos("resp_pkts"),
                    conn_state: pos("conn_state"),
                    orig_l2: pos("orig_l2_addr"),
                    resp_l2: pos("resp_l2_addr"),
                });
            }
            _ => {} // #set_separator, #open, #close, #types, comments
        }
        Ok(())
    }

    fn tsv_record(
        header: &TsvHeader,
        cols: &Columns,
        line: &[u8],
        ranges: &mut Vec<Range<usize>>,
        n: u64,
    ) -> Result<Connection, LineError> {
        split_into(line, &header.separator, ranges);
        if ranges.len() != cols.count {
            return Err(LineError {
                line: n,
                field: None,
                reason: format!("has {} fields, the #fields header {}", ranges.len(), cols.count),
            });
        }
        // One UTF-8 check for the line; per field only to name a bad one.
        let whole = std::str::from_utf8(line).ok();
        let raw = |i: usize| &line[ranges[i].clone()];
        let value = |i: usize| {
            let v = raw(i);
            (v != header.unset_field.as_slice() && v != header.empty_field.as_slice() && !v.is_empty()).then_some(i)
        };
        let as_text = |i: usize, name: &'static str| match whole {
            Some(w) => w.get(ranges[i].clone()).ok_or_else(|| bad(n, name, "is not valid UTF-8")),
            None => text(n, name, raw(i)),
        };
        let required = |i: usize, name: &'static str| -> Result<&str, LineError> {
            as_text(value(i).ok_or_else(|| bad(n, name, "is unset"))?, name)
        };
        let optional = |i: Option<usize>, name: &'static str| -> Result<Option<&str>, LineError> {
            i.and_then(value).map(|i| as_text(i, name)).transpose()
        };
        let ts = required(cols.ts, "ts")?;
        let ts_us = parse_timestamp(ts).ok_or_else(|| bad(n, "ts", format!("{ts:?} is not a time")))?;
        let transport = required(cols.proto, "proto")?;
        let transport = Transport::parse(transport)
            .ok_or_else(|| bad(n, "proto", format!("{transport:?} is not tcp, udp or icmp")))?;
        Ok(Connection {
            line: n,
            ts_us,
            orig_h: parse_ip(n, "id.orig_h", required(cols.orig_h, "id.orig_h")?)?,
            orig_p: optional(cols.orig_p, "id.orig_p")?.map(|v| parse_port(n, "id.orig_p", v)).transpose()?,
            resp_h: parse_ip(n, "id.resp_h", required(cols.resp_h, "id.resp_h")?)?,
            resp_p: parse_port(n, "id.resp_p", required(cols.resp_p, "id.resp_p")?)?,
            transport,
            service: optional(cols.service, "service")?.and_then(service_of),
            duration_us: optional(cols.duration, "duration")?
                .map(|v| parse_epoch_seconds(v).ok_or_else(|| bad(n, "duration", format!("{v:?} is not a duration"))))
                .transpose()?,
            orig_bytes: optional(cols.orig_bytes, "orig_bytes")?
                .map(|v| parse_count(n, "orig_bytes", v))
                .transpose()?,
            resp_bytes: optional(cols.resp_bytes, "resp_bytes")?
                .map(|v| parse_count(n, "resp_bytes", v))
                .transpose()?,
            orig_pkts: optional(cols.orig_pkts, "orig_pkts")?.map(|v| parse_count(n, "orig_pkts", v)).transpose()?,
            resp_pkts: optional(cols.resp_pkts, "resp_pkts")?.map(|v| parse_count(n, "resp_pkts", v)).transpose()?,
            conn_state: optional(cols.conn_state, "conn_state")?.map(interned),
            orig_mac: optional(cols.orig_l2, "orig_l2_addr")?.map(|v| mac_field(n, "orig_l2_addr", v)).transpose()?,
            resp_mac: optional(cols.resp_l2, "resp_l2_addr")?.map(|v| mac_field(n, "resp_l2_addr", v)).transpose()?,
        })
    }

    fn json_record(line: &[u8], n: u64) -> Result<Connection, LineError> {
        use json::{Num, Str, Ts};
        let c: json::JsonConn<'_> = serde_json::from_slice(line).map_err(|e| LineError {
            line: n,
            field: None,
            reason: format!("invalid JSON: {e}"),
        })?;
        let missing = |name: &'static str| bad(n, name, "is missing");
        let count = |v: Option<Num>, name: &'static str| -> Result<Option<u64>, LineError> {
            v.map(|v| match v {
                Num::Int(i) => u64::try_from(i).map_err(|_| bad(n, name, format!("{i} is not a count"))),
                Num::Float(f) if f >= 0.0 && f.fract() == 0.0 && f < 1.8e19 => Ok(f as u64),
                Num::Float(f) => Err(bad(n, name, format!("{f} is not a count"))),
            })
            .transpose()
        };
        let port = |v: Option<Num>, name: &'static str| -> Result<Option<u16>, LineError> {
            count(v, name)?
                .map(|p| u16::try_from(p).map_err(|_| bad(n, name, format!("{p} is not a port"))))
                .transpose()
        };
        let ts_us = match c.ts.ok_or_else(|| missing("ts"))? {
            // Integers this large are Zeek's JSON::TS_MILLIS, not seconds.
            Ts::Num(Num::Int(i)) if i.abs() >= 100_000_000_000 => {
                i64::try_from(i).ok().and_then(|ms| ms.checked_mul(1000))
            }
            Ts::Num(Num::Int(i)) => i64::try_from(i).ok().and_then(|s| s.checked_mul(1_000_000)),
            Ts::Num(Num::Float(f)) => float_seconds_to_micros(f),
            Ts::Str(s) => parse_timestamp(&s),
        }
        .ok_or_else(|| bad(n, "ts", "is not a time"))?;
        let Str(proto) = c.proto.ok_or_else(|| missing("proto"))?;
        let transport =
            Transport::parse(&proto).ok_or_else(|| bad(n, "proto", format!("{proto:?} is not tcp, udp or icmp")))?;
        let Str(orig_h) = c.orig_h.ok_or_else(|| missing("id.orig_h"))?;
        let Str(resp_h) = c.resp_h.ok_or_else(|| missing("id.resp_h"))?;
        let duration_us = match c.duration {
            None => None,
            Some(Num::Int(i)) => Some(i64::try_from(i).ok().and_then(|s| s.checked_mul(1_000_000))),
            Some(Num::Float(f)) => Some(float_seconds_to_micros(f)),
        }
        .map(|d| d.ok_or_else(|| bad(n, "duration", "is not a duration")))
        .transpose()?;
        let mac = |v: Option<Str<'_>>, name: &'static str| v.map(|Str(s)| mac_field(n, name, &s)).transpose();
        Ok(Connection {
            line: n,
            ts_us,
            orig_h: parse_ip(n, "id.orig_h", &orig_h)?,
            orig_p: port(c.orig_p, "id.orig_p")?,
            resp_h: parse_ip(n, "id.resp_h", &resp_h)?,
            resp_p: port(c.resp_p, "id.resp_p")?.ok_or_else(|| missing("id.resp_p"))?,
            transport,
            service: c.service.and_then(|s| s.0).and_then(|s| service_of(&s)),
            duration_us,
            orig_bytes: count(c.orig_bytes, "orig_bytes")?,
            resp_bytes: count(c.resp_bytes, "resp_bytes")?,
            orig_pkts: count(c.orig_pkts, "orig_pkts")?,
            resp_pkts: count(c.resp_pkts, "resp_pkts")?,
            conn_state: c.conn_state.map(|Str(s)| interned(&s)),
            orig_mac: mac(c.orig_l2_addr, "orig_l2_addr")?,
            resp_mac: mac(c.resp_l2_addr, "resp_l2_addr")?,
        })
    }
}

impl Iterator for ConnReader<'_> {
    type Item = Result<Connection, ZeekError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            match self.read_line() {
                Ok(LineRead::Eof) => {
                    self.done = true;
                    return None;
                }
                Ok(LineRead::TooLong) => {
                    return Some(Err(ZeekError::Line(LineError {
                        line: self.line_no,
                        field: None,
                        reason: format!("is longer than {} bytes", self.opts.max_line_bytes),
                    })));
                }
                Ok(LineRead::Line) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
            let n = self.line_no;
            let line = self.buf.as_slice();
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if matches!(self.mode, Mode::Undecided) {
                self.mode = if line.first() == Some(&b'{') { Mode::Json } else { Mode::Tsv(Box::default()) };
            }
            let result = match &mut self.mode {
                Mode::Json if line.first() == Some(&b'#') => continue,
                Mode::Json => Self::json_record(line, n),
                Mode::Tsv(header) if line.first() == Some(&b'#') => match Self::header_line(header, line, n) {
                    Ok(()) => continue,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                },
                Mode::Tsv(header) => match &header.columns {
                    Some(cols) => Self::tsv_record(header, cols, line, &mut self.ranges, n),
                    None => {
                        self.done = true;
                        return Some(Err(ZeekError::NoHeader { line: n }));
                    }
                },
                Mode::Undecided => unreachable!("decided above"),
            };
            return Some(result.map_err(ZeekError::Line));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FlowKey {
    orig: IpAddr,
    resp: IpAddr,
    transport: Transport,
    port: u16,
}

/// An address as 16 bytes and a family tag, so a key hashes in one `write`.
fn ip_bytes(ip: IpAddr) -> ([u8; 16], u8) {
    match ip {
        IpAddr::V4(v4) => (v4.to_ipv6_mapped().octets(), 4),
        IpAddr::V6(v6) => (v6.octets(), 6),
    }
}

impl Hash for FlowKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut b = [0u8; 36];
        let (o, of) = ip_bytes(self.orig);
        let (r, rf) = ip_bytes(self.resp);
        b[..16].copy_from_slice(&o);
        b[16..32].copy_from_slice(&r);
        b[32] = of << 4 | rf;
        b[33] = self.transport as u8;
        b[34..].copy_from_slice(&self.port.to_le_bytes());
        state.write(&b);
    }
}

#[derive(Debug, Clone)]
struct FlowAcc {
    service: Option<Cow<'static, str>>,
    count: u64,
    unanswered: u64,
    bytes: u64,
    first: i64,
    last: i64,
    /// MACs seen for the originator and the responder (usually one each).
    orig_macs: Vec<[u8; 6]>,
    resp_macs: Vec<[u8; 6]>,
}

fn add_mac(macs: &mut Vec<[u8; 6]>, mac: Option<[u8; 6]>) {
    if let Some(m) = mac
        && !macs.contains(&m)
        && macs.len() < MAX_MACS_PER_ADDRESS
    {
        macs.push(m);
    }
}

/// MAC addresses kept per IP address at most (DHCP churn and spoofing aside, one is usual).
const MAX_MACS_PER_ADDRESS: usize = 16;

#[derive(Debug, Clone)]
struct AddrAcc {
    first: i64,
    last: i64,
    connections: u64,
    macs: Vec<[u8; 6]>,
}

/// A flow: all connections between two addresses on one transport and responder port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// The originator.
    pub source: IpAddr,
    /// The responder.
    pub destination: IpAddr,
    /// The transport.
    pub transport: Transport,
    /// The responder port (for ICMP, Zeek's code field).
    pub port: u16,
    /// The application protocol: see [`app_protocol`].
    pub protocol: String,
    /// Zeek's service as logged, when a connection had one.
    pub zeek_service: Option<Cow<'static, str>>,
    /// Whether the protocol is encrypted (a hint from the service or port).
    pub encrypted: bool,
    /// Connections.
    pub connection_count: u64,
    /// Connections that were never answered or were refused (see [`Connection::unanswered`]).
    pub unanswered_count: u64,
    /// Payload bytes both ways (missing counts as 0).
    pub byte_count: u64,
    /// First connection start, microseconds since the Unix epoch.
    pub first_seen_us: i64,
    /// Last connection start, microseconds since the Unix epoch.
    pub last_seen_us: i64,
}

/// An address seen in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenAddress {
    /// The address.
    pub address: IpAddr,
    /// First seen, microseconds since the Unix epoch.
    pub first_seen_us: i64,
    /// Last seen, microseconds since the Unix epoch.
    pub last_seen_us: i64,
    /// Connections it took part in.
    pub connections: u64,
    /// Link-layer addresses logged for it (`orig_l2_addr`/`resp_l2_addr`), lower-case,
    /// sorted, at most 16. Behind a router these are the router's.
    pub macs: Vec<String>,
}

/// Accumulates connections into flows; the addresses are derived from the flows, so memory
/// grows with distinct flows only.
#[derive(Debug, Default)]
pub struct Aggregator {
    /// Flow key to its index in `accs`: a small map entry, the accumulators packed apart.
    /// foldhash is seeded per process, so keys crafted in traffic cannot force collisions.
    index: HashMap<FlowKey, u32, foldhash::fast::RandomState>,
    keys: Vec<FlowKey>,
    accs: Vec<FlowAcc>,
    connections: u64,
}

impl Aggregator {
    /// An empty aggregator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one connection.
    pub fn add(&mut self, c: &Connection) {
        self.connections += 1;
        let key = FlowKey { orig: c.orig_h, resp: c.resp_h, transport: c.transport, port: c.resp_p };
        let bytes = c.orig_bytes.unwrap_or(0).saturating_add(c.resp_bytes.unwrap_or(0));
        let next = self.accs.len();
        let i = *self.index.entry(key).or_insert_with(|| u32::try_from(next).unwrap_or(u32::MAX)) as usize;
        if i == next {
            self.keys.push(key);
            self.accs.push(FlowAcc {
                service: None,
                count: 0,
                unanswered: 0,
                bytes: 0,
                first: c.ts_us,
                last: c.ts_us,
                orig_macs: Vec::new(),
                resp_macs: Vec::new(),
            });
        }
        let Some(f) = self.accs.get_mut(i) else { return };
        f.count += 1;
        f.unanswered += u64::from(c.unanswered());
        f.bytes = f.bytes.saturating_add(bytes);
        f.first = f.first.min(c.ts_us);
        f.last = f.last.max(c.ts_us);
        if f.service.is_none() && c.service.is_some() {
            f.service.clone_from(&c.service);
        }
        add_mac(&mut f.orig_macs, c.orig_mac);
        add_mac(&mut f.resp_macs, c.resp_mac);
    }

    /// Connections added.
    pub fn connections(&self) -> u64 {
        self.connections
    }

    /// Distinct flows so far.
    pub fn flow_count(&self) -> usize {
        self.accs.len()
    }

    /// The flows, sorted by source, destination, transport and port, and the addresses,
    /// sorted.
    pub fn finish(self) -> (Vec<Flow>, Vec<SeenAddress>) {
        let mut addresses: HashMap<IpAddr, AddrAcc> = HashMap::new();
        let mut see = |ip: IpAddr, f: &FlowAcc, macs: &[[u8; 6]]| {
            let a = addresses.entry(ip).or_insert(AddrAcc {
                first: f.first,
                last: f.last,
                connections: 0,
                macs: Vec::new(),
            });
            a.first = a.first.min(f.first);
            a.last = a.last.max(f.last);
            a.connections += f.count;
            for m in macs {
                add_mac(&mut a.macs, Some(*m));
            }
        };
        for (k, f) in self.keys.iter().zip(&self.accs) {
            see(k.orig, f, &f.orig_macs);
            see(k.resp, f, &f.resp_macs);
        }
        let mut flows: Vec<Flow> = self
            .keys
            .into_iter()
            .zip(self.accs)
            .map(|(k, a)| {
                let (protocol, encrypted) = app_protocol(a.service.as_deref(), k.transport, k.port);
                Flow {
                    source: k.orig,
                    destination: k.resp,
                    transport: k.transport,
                    port: k.port,
                    protocol,
                    zeek_service: a.service,
                    encrypted,
                    connection_count: a.count,
                    unanswered_count: a.unanswered,
                    byte_count: a.bytes,
                    first_seen_us: a.first,
                    last_seen_us: a.last,
                }
            })
            .collect();
        flows.sort_by_key(|f| (f.source, f.destination, f.transport, f.port));
        let mut addresses: Vec<SeenAddress> = addresses
            .into_iter()
            .map(|(ip, a)| {
                let mut macs = a.macs;
                macs.sort_unstable();
                SeenAddress {
                    address: ip,
                    first_seen_us: a.first,
                    last_seen_us: a.last,
                    connections: a.connections,
                    macs: macs.into_iter().map(format_mac).collect(),
                }
            })
            .collect();
        addresses.sort_by_key(|a| a.address);
        (flows, addresses)
    }
}

/// What [`aggregate`] does with a bad line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnLineError {
    /// Stop and return the line's error.
    Stop,
    /// Skip the line, count it, keep the first 100 errors.
    Skip,
}

/// Bad lines kept in a [`ConnSummary`] at most.
pub const MAX_KEPT_LINE_ERRORS: usize = 100;

/// The result of [`aggregate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnSummary {
    /// The flows, sorted.
    pub flows: Vec<Flow>,
    /// The addresses seen, sorted.
    pub addresses: Vec<SeenAddress>,
    /// Lines read, headers and blank lines included.
    pub lines: u64,
    /// Connections aggregated.
    pub connections: u64,
    /// Bad lines skipped.
    pub skipped_lines: u64,
    /// The first bad lines' errors.
    pub line_errors: Vec<LineError>,
}

/// Reads a whole conn log (plain or gzip, TSV or JSON) and aggregates it.
pub fn aggregate(input: impl Read, opts: &ZeekOptions, on_error: OnLineError) -> Result<ConnSummary, ZeekError> {
    let mut reader = ConnReader::new(input, opts)?;
    let mut agg = Aggregator::new();
    let mut skipped = 0;
    let mut errors = Vec::new();
    for rec in reader.by_ref() {
        match rec {
            Ok(c) => agg.add(&c),
            Err(ZeekError::Line(e)) if on_error == OnLineError::Skip => {
                skipped += 1;
                if errors.len() < MAX_KEPT_LINE_ERRORS {
                    errors.push(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
    let connections = agg.connections();
    let (flows, addresses) = agg.finish();
    Ok(ConnSummary { flows, addresses, lines: reader.line(), connections, skipped_lines: skipped, line_errors: errors })
}

#[cfg(test)]
mod tests;
