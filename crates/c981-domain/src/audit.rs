//! The audit entry and its canonical encoding: a compatibility contract.
//!
//! Every change writes one [`AuditEntry`]. Entries form a hash chain: the hash of entry *n* is
//! `SHA-256(hash of entry n-1 ‖ canonical bytes of entry n)`, the first entry chaining from 32
//! zero bytes. The canonical bytes are built here, in Rust, with a fixed field order and
//! integer timestamps, never from text rendered by a database, so both backends produce the
//! same chain and a verifier years from now can recompute it. The encoding is versioned
//! ([`FORMAT_V1`]); golden vectors in the tests pin it. Changing it means a new version
//! number, never an edit of v1.
//!
//! Canonical bytes, version 1 (integers big-endian; `str` is a u32 length then UTF-8 bytes;
//! `opt` is a 0 byte for none or a 1 byte then the value):
//!
//! ```text
//! "C981-AUDIT" 0x00  format:u8=1
//! seq:i64  at_us:i64
//! actor_id:str  actor_name:str  actor_role:str  channel:str  request_id:str
//! action:str  entity_type:str  entity_id:opt i64  site_id:opt i64  reason:opt str
//! changes:str   (the JSON text exactly as stored)
//! ```

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::values::{Timestamp, string_enum};

/// The canonical encoding written by this version.
pub const FORMAT_V1: i32 = 1;

/// The hash the first entry chains from.
pub const GENESIS: [u8; 32] = [0; 32];

string_enum! {
    /// How a change reached Connect 981.
    Channel {
        Api = "api" / "API",
        Ui = "ui" / "Web UI",
        Cli = "cli" / "Command line",
        Import = "import" / "Import",
        Mqtt = "mqtt" / "MQTT discovery",
        System = "system" / "System",
    }
}

string_enum! {
    /// What happened.
    Action {
        Create = "create" / "Created",
        Update = "update" / "Updated",
        Delete = "delete" / "Deleted",
        Denied = "denied" / "Access denied",
        Checkpoint = "checkpoint" / "Checkpoint signed",
        Login = "login" / "Logged in",
        LoginFailed = "login_failed" / "Login failed",
        Logout = "logout" / "Logged out",
        Sign = "sign" / "Signed",
        SignFailed = "sign_failed" / "Signing failed",
        Import = "import" / "Imported",
        Export = "export" / "Exported",
    }
}

/// One field's old and new value; `null` stands for "absent".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub old: Value,
    pub new: Value,
}

/// The field-level changes of one entry, keyed by field name (sorted).
pub type Changes = BTreeMap<String, Change>;

/// Diffs two JSON renderings of an entity field by field. `None` is the entity's absence
/// (before a create, after a delete); on create and delete every non-empty field is listed.
pub fn diff(old: Option<&Value>, new: Option<&Value>) -> Changes {
    let empty = serde_json::Map::new();
    let o = old.and_then(Value::as_object).unwrap_or(&empty);
    let n = new.and_then(Value::as_object).unwrap_or(&empty);
    let mut out = Changes::new();
    for key in o.keys().chain(n.keys()) {
        let ov = o.get(key).cloned().unwrap_or(Value::Null);
        let nv = n.get(key).cloned().unwrap_or(Value::Null);
        if ov != nv && !(is_blank(&ov) && is_blank(&nv)) {
            out.insert(key.clone(), Change { old: ov, new: nv });
        }
    }
    out
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The canonical JSON text of a set of changes (sorted keys, no spaces).
pub fn changes_json(changes: &Changes) -> String {
    serde_json::to_string(changes).unwrap_or_else(|_| "{}".into())
}

/// An entry before it is chained: what the write path knows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditDraft {
    pub at: Timestamp,
    pub actor_id: String,
    pub actor_name: String,
    pub actor_role: String,
    pub channel: Channel,
    pub request_id: String,
    pub action: Action,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    pub site_id: Option<i64>,
    pub reason: Option<String>,
    /// Canonical JSON from [`changes_json`].
    pub changes: String,
}

/// A stored, chained entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub format: i32,
    #[serde(flatten)]
    pub draft: AuditDraft,
    #[serde(serialize_with = "hex_ser")]
    pub prev_hash: [u8; 32],
    #[serde(serialize_with = "hex_ser")]
    pub hash: [u8; 32],
}

fn hex_ser<S: serde::Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(h))
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u32).to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
}

fn put_opt_i64(buf: &mut Vec<u8>, v: Option<i64>) {
    match v {
        None => buf.push(0),
        Some(n) => {
            buf.push(1);
            buf.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// The canonical bytes of an entry in format 1.
pub fn canonical_v1(seq: i64, d: &AuditDraft) -> Vec<u8> {
    let mut b = Vec::with_capacity(160 + d.changes.len());
    b.extend_from_slice(b"C981-AUDIT\0");
    b.push(1);
    b.extend_from_slice(&seq.to_be_bytes());
    b.extend_from_slice(&d.at.micros().to_be_bytes());
    for s in [&d.actor_id, &d.actor_name, &d.actor_role] {
        put_str(&mut b, s);
    }
    put_str(&mut b, d.channel.as_str());
    put_str(&mut b, &d.request_id);
    put_str(&mut b, d.action.as_str());
    put_str(&mut b, &d.entity_type);
    put_opt_i64(&mut b, d.entity_id);
    put_opt_i64(&mut b, d.site_id);
    match &d.reason {
        None => b.push(0),
        Some(r) => {
            b.push(1);
            put_str(&mut b, r);
        }
    }
    put_str(&mut b, &d.changes);
    b
}

/// The hash of an entry given its predecessor's hash.
pub fn chain_hash(format: i32, prev: &[u8; 32], seq: i64, d: &AuditDraft) -> Result<[u8; 32], String> {
    let bytes = match format {
        FORMAT_V1 => canonical_v1(seq, d),
        other => return Err(format!("unknown audit entry format {other}")),
    };
    let mut h = Sha256::new();
    h.update(prev);
    h.update(&bytes);
    Ok(h.finalize().into())
}

/// Chains a draft after `prev` as entry `seq`.
pub fn seal(prev: [u8; 32], seq: i64, draft: AuditDraft) -> AuditEntry {
    let hash = chain_hash(FORMAT_V1, &prev, seq, &draft).expect("format 1 is known");
    AuditEntry { seq, format: FORMAT_V1, draft, prev_hash: prev, hash }
}

/// Why an entry fails verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {found} follows entry {previous}: entries are missing or were inserted")]
    Gap { previous: i64, found: i64 },
    #[error("entry {seq} does not link to the hash of its predecessor (deleted, inserted or reordered entries)")]
    BrokenLink { seq: i64 },
    #[error("entry {seq} was altered: its content no longer matches its hash")]
    Altered { seq: i64 },
    #[error("entry {seq}: {message}")]
    Unreadable { seq: i64, message: String },
}

/// Verifies entries in order, one at a time, keeping only the previous hash: streams a
/// chain of any length in constant memory.
#[derive(Debug)]
pub struct ChainVerifier {
    prev_seq: i64,
    prev_hash: [u8; 32],
    pub checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { prev_seq: 0, prev_hash: GENESIS, checked: 0 }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq != self.prev_seq + 1 {
            return Err(ChainBreak::Gap { previous: self.prev_seq, found: e.seq });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak::BrokenLink { seq: e.seq });
        }
        let h = chain_hash(e.format, &e.prev_hash, e.seq, &e.draft)
            .map_err(|message| ChainBreak::Unreadable { seq: e.seq, message })?;
        if h != e.hash {
            return Err(ChainBreak::Altered { seq: e.seq });
        }
        self.prev_seq = e.seq;
        self.prev_hash = e.hash;
        self.checked += 1;
        Ok(())
    }

    pub fn last(&self) -> (i64, [u8; 32]) {
        (self.prev_seq, self.prev_hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(n: i64) -> AuditDraft {
        AuditDraft {
            at: Timestamp::from_micros(1_795_000_000_000_000 + n),
            actor_id: "local:alice".into(),
            actor_name: "Alice Martin".into(),
            actor_role: "administrator".into(),
            channel: Channel::Cli,
            request_id: format!("req-{n}"),
            action: Action::Update,
            entity_type: "asset".into(),
            entity_id: Some(42),
            site_id: Some(7),
            reason: if n % 2 == 0 { Some("firmware upgrade CR-12".into()) } else { None },
            changes: r#"{"firmware":{"new":"V4.5","old":"V4.2"}}"#.into(),
        }
    }

    /// Golden vectors, computed by an independent implementation of the encoding (a few lines
    /// of Python, see docs/audit-trail.md): these hashes are the compatibility contract of format 1. If this test
    /// fails, the encoding changed and every stored chain would fail verification.
    #[test]
    fn format_1_encoding_matches_the_golden_vectors() {
        let e1 = seal(GENESIS, 1, draft(1));
        let e2 = seal(e1.hash, 2, draft(2));
        assert_eq!(hex::encode(e1.hash), GOLDEN_1);
        assert_eq!(hex::encode(e2.hash), GOLDEN_2);
        assert_eq!(
            hex::encode(&canonical_v1(1, &draft(1))[..40]),
            "433938312d4155444954000100000000000000010006608b015f30010000000b6c6f63616c3a616c"
        );
    }

    const GOLDEN_1: &str = "864422dd18d1560905835ab23a0b9db17bcbd3e166c28650aca3bf32d3872fbe";
    const GOLDEN_2: &str = "ec717d22caf120a3be89a265f4b920586b91b376d06e85c48126bf30d812a2db";

    #[test]
    fn a_verifier_accepts_an_intact_chain_and_names_the_first_bad_entry() {
        let mut chain = Vec::new();
        let mut prev = GENESIS;
        for n in 1..=5 {
            let e = seal(prev, n, draft(n));
            prev = e.hash;
            chain.push(e);
        }
        let run = |c: &[AuditEntry]| -> Result<(), ChainBreak> {
            let mut v = ChainVerifier::default();
            c.iter().try_for_each(|e| v.check(e))
        };
        assert!(run(&chain).is_ok());

        let mut altered = chain.clone();
        altered[2].draft.changes = r#"{"firmware":{"new":"V9","old":"V4.2"}}"#.into();
        assert_eq!(run(&altered), Err(ChainBreak::Altered { seq: 3 }));

        let mut deleted = chain.clone();
        deleted.remove(1);
        assert_eq!(run(&deleted), Err(ChainBreak::Gap { previous: 1, found: 3 }));

        let mut reordered = chain.clone();
        reordered.swap(1, 2);
        reordered[1].seq = 2;
        reordered[2].seq = 3;
        assert_eq!(run(&reordered), Err(ChainBreak::BrokenLink { seq: 2 }));
    }

    #[test]
    fn a_diff_lists_only_changed_fields_with_old_and_new_values() {
        let old = serde_json::json!({"name": "PLC-1", "firmware": "V1", "tags": []});
        let new = serde_json::json!({"name": "PLC-1", "firmware": "V2", "tags": ["line-3"]});
        let d = diff(Some(&old), Some(&new));
        assert_eq!(d.len(), 2);
        assert_eq!(d["firmware"], Change { old: "V1".into(), new: "V2".into() });
        assert_eq!(changes_json(&d), r#"{"firmware":{"old":"V1","new":"V2"},"tags":{"old":[],"new":["line-3"]}}"#);
        let created = diff(None, Some(&new));
        assert_eq!(created.len(), 3 - 1 + 1, "blank fields are left out of a create: {created:?}");
    }
}
