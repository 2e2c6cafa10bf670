//! Throughput of the spreadsheet reader: a synthetic 1,000,000-row × 20-column asset CSV built
//! in memory, read row by row; then a smaller XLSX sheet. Prints rows per second.
//! Run with `cargo bench --bench tabular_csv` (release profile).

use std::hint::black_box;
use std::time::Instant;

use c981_ingest::tabular::{Options, Reader, TargetKind};

const HEADERS: [&str; 20] = [
    "Asset Tag",
    "Hostname",
    "IP Address",
    "MAC Address",
    "Manufacturer",
    "Model",
    "Serial Number",
    "Firmware Version",
    "Asset Type",
    "Zone",
    "Purdue Level",
    "Criticality",
    "Owner",
    "Protocols",
    "End of Life",
    "First Seen",
    "Last Seen",
    "Tags",
    "Plant",
    "Description",
];

const VENDORS: [&str; 6] = ["Siemens", "Rockwell Automation", "Schneider Electric", "ABB", "WAGO", "Moxa"];
const KINDS: [&str; 6] = ["PLC", "HMI", "RTU", "Network device", "Historian", "Engineering workstation"];

fn row(i: u64, out: &mut String) {
    use std::fmt::Write;
    let v = VENDORS[(i % 6) as usize];
    let k = KINDS[(i / 7 % 6) as usize];
    let _ = writeln!(
        out,
        "AS-{i:07},host-{i}.plant.local,10.{}.{}.{},00:1b:1b:{:02x}:{:02x}:{:02x},{v},Model {},SN{:010},V{}.{}.{},{k},Cell {},{},{},\
         \"Maintenance, shift {}\",\"modbus, s7comm\",2030-12-31,2024-01-0{}T08:00:00Z,2024-05-06T08:00:00Z,\"gxp;line-{}\",P3,\
         \"Unit {i} of line {}, installed by contractor\"",
        i >> 16 & 255,
        i >> 8 & 255,
        i & 255,
        i >> 16 & 255,
        i >> 8 & 255,
        i & 255,
        i % 97,
        i * 7919,
        i % 4,
        i % 10,
        i % 30,
        i % 40,
        i % 4,
        ["low", "medium", "high", "critical"][(i % 4) as usize],
        i % 3,
        1 + i % 9,
        i % 12,
        i % 12,
    );
}

/// Time this thread spent on a CPU, in seconds (Linux `schedstat`); on a shared machine it
/// is steadier than wall time.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

fn main() {
    let rows = 1_000_000u64;
    let mut csv = HEADERS.join(",");
    csv.push('\n');
    for i in 0..rows {
        row(i, &mut csv);
    }
    let mb = csv.len() as f64 / 1e6;
    println!("tabular CSV: {rows} rows x {} columns, {mb:.0} MB", HEADERS.len());

    for round in 1..=3 {
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let mut reader = Reader::open("bench.csv", csv.as_bytes(), TargetKind::Assets, &Options::default()).unwrap();
        let (mut n, mut bytes) = (0u64, 0usize);
        for r in reader.rows() {
            let r = r.unwrap();
            n += 1;
            bytes += r.cells().map(|c| c.value.len()).sum::<usize>();
        }
        let (s, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        black_box(bytes);
        assert_eq!(n, rows);
        println!(
            "  round {round}: {s:.3} s wall, {cpu:.3} s on CPU, {:.0} rows/s and {:.0} MB/s by CPU time",
            n as f64 / cpu,
            mb / cpu
        );
    }
    let (t, cpu) = (Instant::now(), cpu_seconds());
    let mut reader = Reader::open("bench.csv", csv.as_bytes(), TargetKind::Assets, &Options::default()).unwrap();
    let keys: usize = reader.rows().map(|r| r.unwrap().to_json_object().len()).sum();
    let (s, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    black_box(keys);
    println!("  with to_json_object on every row: {s:.3} s wall, {cpu:.3} s on CPU, {:.0} rows/s", rows as f64 / cpu);

    let xrows = 100_000u32;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let mut line = String::new();
    for i in 0..xrows {
        line.clear();
        row(u64::from(i), &mut line);
        for (c, v) in line.trim_end().split(',').take(HEADERS.len()).enumerate() {
            ws.write_string(i + 1, c as u16, v.trim_matches('"')).unwrap();
        }
    }
    let xlsx = wb.save_to_buffer().unwrap();
    println!("tabular XLSX: {xrows} rows x {} columns, {:.1} MB zipped", HEADERS.len(), xlsx.len() as f64 / 1e6);
    let (t, cpu) = (Instant::now(), cpu_seconds());
    let mut reader = Reader::open("bench.xlsx", &xlsx, TargetKind::Assets, &Options::default()).unwrap();
    let n = reader.rows().map(|r| r.unwrap().cells().count()).filter(|&c| c > 0).count();
    let (s, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    assert_eq!(n, xrows as usize);
    println!("  {s:.3} s wall, {cpu:.3} s on CPU (zip checks included), {:.0} rows/s by CPU time", n as f64 / cpu);
}
