//! Fuzz target: arbitrary topic and payload bytes into `interpret_with` (must never panic) and,
//! for accepted events, through the tracker.
//!
//! Input layout: bytes before the first NUL are the topic (lossy UTF-8), the rest the payload;
//! without a NUL the first byte picks one of the valid topic forms and the rest is the payload.
#![no_main]

use c981_sparkplug::event::interpret_with;
use c981_sparkplug::guard::Limits;
use c981_sparkplug::identity::Mapping;
use c981_sparkplug::tracker::Tracker;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static MAPPING: LazyLock<Mapping> = LazyLock::new(Mapping::default);

const TOPICS: [&str; 10] = [
    "spBv1.0/G/NBIRTH/E",
    "spBv1.0/G/NDEATH/E",
    "spBv1.0/G/DBIRTH/E/D",
    "spBv1.0/G/DDEATH/E/D",
    "spBv1.0/G/NDATA/E",
    "spBv1.0/G/DDATA/E/D",
    "spBv1.0/G/NCMD/E",
    "spBv1.0/G/DCMD/E/D",
    "spBv1.0/STATE/host",
    "STATE/host",
];

fuzz_target!(|data: &[u8]| {
    let (topic, payload) = match data.iter().position(|b| *b == 0) {
        Some(nul) => (String::from_utf8_lossy(&data[..nul]).into_owned(), &data[nul + 1..]),
        None => match data.split_first() {
            Some((pick, rest)) => (TOPICS[usize::from(*pick) % TOPICS.len()].to_owned(), rest),
            None => return,
        },
    };
    let limits = Limits { max_elements: 4096, ..Limits::default() };
    if let Ok(event) = interpret_with(&topic, payload, 0, &MAPPING, &limits) {
        let mut tracker = Tracker::new();
        let _ = tracker.observe(event, data.len());
        let _ = tracker.take_dirty(1);
        let _ = tracker.stats(1);
    }
});
