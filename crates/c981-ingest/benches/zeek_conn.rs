//! Throughput of the conn.log reader and aggregator: a synthetic 1,000,000-line conn.log of a
//! plant network (Modbus, S7, EtherNet/IP, OPC UA, DNP3, PROFINET, DNS, NTP, HTTPS, RDP, SMB;
//! see [`lines`]) built in memory, as TSV, JSON lines and gzip TSV. Prints lines per second.
//! Run with `cargo bench --bench zeek_conn` (release profile).

use std::io::Write;
use std::time::Instant;

use c981_ingest::zeek::{OnLineError, ZeekOptions, aggregate};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// (responder port, proto, Zeek service, weight)
const MIX: [(u16, &str, &str, u64); 12] = [
    (502, "tcp", "modbus", 30),
    (102, "tcp", "-", 15),
    (44818, "tcp", "-", 10),
    (2222, "udp", "-", 10),
    (4840, "tcp", "-", 8),
    (20000, "tcp", "dnp3", 4),
    (34964, "udp", "-", 5),
    (53, "udp", "dns", 8),
    (123, "udp", "ntp", 3),
    (443, "tcp", "ssl", 4),
    (3389, "tcp", "rdp", 1),
    (445, "tcp", "smb,gssapi,ntlm", 2),
];

struct Line {
    ts: u64,
    orig: String,
    op: u64,
    resp: String,
    rp: u16,
    proto: &'static str,
    service: &'static str,
    ob: u64,
    rb: u64,
    state: &'static str,
    omac: String,
    rmac: String,
}

fn pick_mix(rng: &mut Rng) -> (u16, &'static str, &'static str) {
    let total: u64 = MIX.iter().map(|m| m.3).sum();
    let mut pick = rng.below(total);
    for m in MIX {
        if pick < m.3 {
            return (m.0, m.1, m.2);
        }
        pick -= m.3;
    }
    (MIX[0].0, MIX[0].1, MIX[0].2)
}

/// A plant network: 40 clients (HMIs, SCADA, engineering stations) each talking to a fixed
/// few of 160 servers (PLCs, RTUs, historians) over a fixed protocol: 2,000 conversations,
/// some much busier than others; plus 5% of lines between random pairs (IT noise, scans).
fn lines(n: u64) -> impl Iterator<Item = Line> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let conversations: Vec<(u64, u64, (u16, &str, &str))> =
        (0..2000).map(|_| (rng.below(40), 100 + rng.below(160), pick_mix(&mut rng))).collect();
    (0..n).map(move |i| {
        let (client, server, (rp, proto, service)) = if rng.below(20) == 0 {
            (rng.below(40), 100 + rng.below(160), pick_mix(&mut rng))
        } else {
            // Skewed toward the first conversations: busy polling loops.
            let a = rng.below(2000);
            conversations[(a * rng.below(2000) / 2000) as usize]
        };
        Line {
            ts: 1_715_000_000_000_000 + i * 3_000 + rng.below(1000),
            orig: format!("10.20.{}.{}", client / 250, client % 250 + 1),
            op: 1024 + rng.below(60000),
            resp: format!("10.20.{}.{}", server / 250 + 1, server % 250 + 1),
            rp,
            proto,
            service,
            ob: rng.below(2000),
            rb: rng.below(4000),
            state: if rng.below(50) == 0 { "S0" } else { "SF" },
            omac: format!("00:1b:1b:00:{:02x}:{:02x}", client >> 8, client & 255),
            rmac: format!("00:0e:8c:00:{:02x}:{:02x}", server >> 8, server & 255),
        }
    })
}

fn tsv(n: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n as usize * 230);
    out.extend_from_slice(
        b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2024-05-06-07-00-00\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\torig_l2_addr\tresp_l2_addr\n\
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tstring\tstring\n",
    );
    for l in lines(n) {
        let _ = writeln!(
            out,
            "{}.{:06}\tCk3Jq81mBPRfRzLx2\t{}\t{}\t{}\t{}\t{}\t{}\t0.004512\t{}\t{}\t{}\tT\tT\t0\tShADadFf\t6\t412\t4\t300\t(empty)\t{}\t{}",
            l.ts / 1_000_000,
            l.ts % 1_000_000,
            l.orig,
            l.op,
            l.resp,
            l.rp,
            l.proto,
            l.service,
            l.ob,
            l.rb,
            l.state,
            l.omac,
            l.rmac
        );
    }
    out.extend_from_slice(b"#close\t2024-05-06-08-00-00\n");
    out
}

fn json(n: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n as usize * 400);
    for l in lines(n) {
        let service = if l.service == "-" { String::new() } else { format!(",\"service\":\"{}\"", l.service) };
        let _ = writeln!(
            out,
            "{{\"ts\":{}.{:06},\"uid\":\"Ck3Jq81mBPRfRzLx2\",\"id.orig_h\":\"{}\",\"id.orig_p\":{},\"id.resp_h\":\"{}\",\"id.resp_p\":{},\"proto\":\"{}\"{service},\"duration\":0.004512,\"orig_bytes\":{},\"resp_bytes\":{},\"conn_state\":\"{}\",\"local_orig\":true,\"local_resp\":true,\"missed_bytes\":0,\"history\":\"ShADadFf\",\"orig_pkts\":6,\"orig_ip_bytes\":412,\"resp_pkts\":4,\"resp_ip_bytes\":300,\"orig_l2_addr\":\"{}\",\"resp_l2_addr\":\"{}\"}}",
            l.ts / 1_000_000,
            l.ts % 1_000_000,
            l.orig,
            l.op,
            l.resp,
            l.rp,
            l.proto,
            l.ob,
            l.rb,
            l.state,
            l.omac,
            l.rmac
        );
    }
    out
}

/// Time this thread spent on a CPU, in seconds (Linux `schedstat`); on a shared machine it
/// is steadier than wall time.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

fn run(label: &str, data: &[u8], n: u64) {
    for round in 1..=3 {
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let s = aggregate(data, &ZeekOptions::default(), OnLineError::Stop).unwrap();
        let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        assert_eq!(s.connections, n);
        println!(
            "  {label} round {round}: {secs:.3} s wall, {cpu:.3} s on CPU, {:.0} lines/s by CPU time ({} flows, {} addresses)",
            n as f64 / cpu,
            s.flows.len(),
            s.addresses.len()
        );
    }
}

fn main() {
    // `cargo bench --bench zeek_conn -- tsv` runs only the plain TSV case.
    let only_tsv = std::env::args().any(|a| a == "tsv");
    let n = 1_000_000;
    let t = tsv(n);
    println!("zeek conn.log: {n} lines, TSV {:.0} MB", t.len() as f64 / 1e6);
    run("TSV", &t, n);
    if only_tsv {
        return;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&t).unwrap();
    let gz = gz.finish().unwrap();
    drop(t);
    println!("  gzip TSV {:.0} MB", gz.len() as f64 / 1e6);
    run("gzip TSV", &gz, n);
    drop(gz);
    let j = json(n);
    println!("  JSON lines {:.0} MB", j.len() as f64 / 1e6);
    run("JSON", &j, n);
}
