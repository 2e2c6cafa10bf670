//! Verifying the audit trail, signed checkpoints, and exports.
//!
//! A hash chain inside the database reveals an edited, inserted, deleted or reordered entry,
//! but not a chain recomputed from the first altered entry on, nor a cut-off tail. Signed
//! checkpoints, written to files kept outside the database, close both holes: a checkpoint
//! names an entry's sequence number and hash under an Ed25519 signature, and verification
//! against it fails if that entry is gone or hashes differently.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;

use c981_domain::Timestamp;
use c981_domain::audit::{Action, AuditEntry, ChainVerifier};
use c981_store::{AuditQuery, SiteScope};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::{App, AppError, Ctx, Result};

/// The result of verifying the chain.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub entries: u64,
    pub last_seq: i64,
    pub last_hash: String,
    /// The first problem found, naming the entry; `None` when the chain is intact.
    pub problem: Option<String>,
    /// The sequence number of the first bad entry, when one is known.
    pub first_bad_seq: Option<i64>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// A signed statement that the chain had reached entry `seq` with hash `hash`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// `c981-audit-checkpoint/1`.
    pub format: String,
    pub seq: i64,
    pub hash: String,
    pub at: String,
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// Ed25519 signature over [`Checkpoint::message`], hex.
    pub signature: String,
}

pub const CHECKPOINT_FORMAT: &str = "c981-audit-checkpoint/1";

impl Checkpoint {
    /// The signed bytes: `"C981-CHECKPOINT" 0x00 0x01 ‖ seq:i64 BE ‖ hash:32 bytes ‖ at:i64 BE (µs)`.
    pub fn message(seq: i64, hash: &[u8; 32], at: Timestamp) -> Vec<u8> {
        let mut m = b"C981-CHECKPOINT\0\x01".to_vec();
        m.extend_from_slice(&seq.to_be_bytes());
        m.extend_from_slice(hash);
        m.extend_from_slice(&at.micros().to_be_bytes());
        m
    }

    /// Checks the signature with `key`; returns the checkpoint's hash.
    pub fn check_signature(&self, key: &VerifyingKey) -> Result<[u8; 32]> {
        let bad = |m: &str| AppError::field("checkpoint", m.to_owned());
        if self.format != CHECKPOINT_FORMAT {
            return Err(bad(&format!("unknown checkpoint format {:?}", self.format)));
        }
        if !self.public_key.eq_ignore_ascii_case(&hex::encode(key.as_bytes())) {
            return Err(bad("the checkpoint was signed with another key than this installation's audit key"));
        }
        let mut hash = [0u8; 32];
        hex::decode_to_slice(&self.hash, &mut hash).map_err(|_| bad("the hash is not 64 hex digits"))?;
        let at = Timestamp::parse(&self.at).map_err(|e| bad(&e))?;
        let mut sig = [0u8; 64];
        hex::decode_to_slice(&self.signature, &mut sig).map_err(|_| bad("the signature is not 128 hex digits"))?;
        key.verify(&Self::message(self.seq, &hash, at), &Signature::from_bytes(&sig))
            .map_err(|_| bad("the signature does not match: the checkpoint file was altered"))?;
        Ok(hash)
    }
}

/// Loads the audit signing key from `path`, creating it (readable by the owner only) on
/// first use.
pub fn load_or_create_key(path: &Path) -> Result<SigningKey> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let mut seed = [0u8; 32];
            hex::decode_to_slice(text.trim(), &mut seed).map_err(|_| {
                AppError::Internal(format!("{}: not an audit signing key (64 hex digits)", path.display()))
            })?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| AppError::Internal(format!("no randomness for a key: {e}")))?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| AppError::Internal(format!("{}: {e}", dir.display())))?;
            }
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(path).map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
            f.write_all(hex::encode(seed).as_bytes()).map_err(|e| AppError::Internal(e.to_string()))?;
            tracing::info!(path = %path.display(), "created the audit signing key");
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) => Err(AppError::Internal(format!("{}: {e}", path.display()))),
    }
}

/// Reads a public key given as 64 hex digits or as a file holding them.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey> {
    let mut b = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut b).map_err(|_| AppError::field("public_key", "not 64 hex digits"))?;
    VerifyingKey::from_bytes(&b).map_err(|_| AppError::field("public_key", "not an Ed25519 public key"))
}

impl App {
    fn require_audit_reader(&self, ctx: &Ctx) -> Result<()> {
        if ctx.actor.audit_scope() == Some(SiteScope::All) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("{} may not read the whole audit trail", ctx.actor.name)))
        }
    }

    /// Verifies the whole chain, streaming it, and checks that the head row agrees with the
    /// last entry.
    pub async fn audit_verify(&self, ctx: &Ctx) -> Result<VerifyReport> {
        self.require_audit_reader(ctx)?;
        let mut v = ChainVerifier::default();
        let broken = self
            .store()
            .for_each_audit_entry(|e| match v.check(&e) {
                Ok(()) => ControlFlow::Continue(()),
                Err(b) => ControlFlow::Break((e.seq, b)),
            })
            .await?;
        let (last_seq, last_hash) = v.last();
        let mut report = VerifyReport {
            entries: v.checked,
            last_seq,
            last_hash: hex::encode(last_hash),
            problem: None,
            first_bad_seq: None,
        };
        if let Some((seq, b)) = broken {
            report.first_bad_seq = Some(match b {
                c981_domain::audit::ChainBreak::Gap { previous, .. } => previous + 1,
                _ => seq,
            });
            report.problem = Some(b.to_string());
            return Ok(report);
        }
        let (head_seq, head_hash) = self.store().audit_head().await?;
        if head_seq != last_seq || head_hash != last_hash {
            report.first_bad_seq = Some(last_seq + 1);
            report.problem = Some(format!(
                "the chain ends at entry {last_seq} but the chain head records entry {head_seq}: entries after {last_seq} were deleted"
            ));
        }
        Ok(report)
    }

    /// Signs a checkpoint of the current head (after recording the act of signing itself in
    /// the trail, so the checkpoint covers it).
    pub async fn audit_checkpoint(&self, ctx: &Ctx) -> Result<Checkpoint> {
        self.require_audit_reader(ctx)?;
        let key = load_or_create_key(&self.key_path)?;
        let public_key = hex::encode(key.verifying_key().as_bytes());
        let changes = serde_json::json!({ "public_key": { "old": null, "new": public_key } }).to_string();
        let entry = self
            .store()
            .append_audit(
                &self.meta(ctx),
                Action::Checkpoint,
                c981_domain::EntityKind::AuditCheckpoint,
                None,
                None,
                changes,
            )
            .await?;
        let at = entry.draft.at;
        let sig = key.sign(&Checkpoint::message(entry.seq, &entry.hash, at));
        Ok(Checkpoint {
            format: CHECKPOINT_FORMAT.into(),
            seq: entry.seq,
            hash: hex::encode(entry.hash),
            at: at.to_string(),
            public_key,
            signature: hex::encode(sig.to_bytes()),
        })
    }

    /// The public half of the audit signing key.
    pub fn audit_public_key(&self) -> Result<VerifyingKey> {
        Ok(load_or_create_key(&self.key_path)?.verifying_key())
    }

    /// Verifies the chain and then the checkpoint: its signature (with `trusted`, or this
    /// installation's key), and that the chain still holds the entry it names with the same
    /// hash. Catches a cut-off tail and a chain recomputed after an alteration.
    pub async fn audit_verify_checkpoint(
        &self,
        ctx: &Ctx,
        cp: &Checkpoint,
        trusted: Option<VerifyingKey>,
    ) -> Result<VerifyReport> {
        let key = match trusted {
            Some(k) => k,
            None => self.audit_public_key()?,
        };
        let cp_hash = cp.check_signature(&key)?;
        let mut report = self.audit_verify(ctx).await?;
        if !report.ok() {
            return Ok(report);
        }
        match self.store().audit_entry(cp.seq).await? {
            None => {
                report.problem = Some(format!(
                    "the checkpoint covers entry {} but the chain ends at entry {}: the tail of the trail was cut off",
                    cp.seq, report.last_seq
                ));
                report.first_bad_seq = Some(report.last_seq + 1);
            }
            Some(e) if e.hash != cp_hash => {
                report.problem = Some(format!(
                    "entry {} does not have the hash the checkpoint signed: the chain was recomputed after an alteration at or before entry {}",
                    cp.seq, cp.seq
                ));
                report.first_bad_seq = Some(cp.seq);
            }
            Some(_) => {}
        }
        Ok(report)
    }

    /// Audit entries for an export or a review, in chain order.
    pub async fn audit_entries(&self, ctx: &Ctx, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let Some(scope) = ctx.actor.audit_scope() else {
            return Err(AppError::Forbidden(format!("{} may not read the audit trail", ctx.actor.name)));
        };
        Ok(self.store().audit_entries(&scope, q).await?)
    }
}

/// Neutralises a CSV cell that a spreadsheet would run as a formula (a leading `=`, `+`,
/// `-`, `@`, tab or carriage return gets a leading apostrophe).
pub fn csv_safe(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}").into() } else { s.into() }
}

/// Writes entries as CSV (one row per entry, formula-injection safe) to `w`.
pub fn write_csv<W: Write>(entries: &[AuditEntry], w: W) -> Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let io = |e: csv::Error| AppError::Internal(e.to_string());
    out.write_record([
        "seq",
        "at",
        "actor_id",
        "actor_name",
        "actor_role",
        "channel",
        "request_id",
        "action",
        "entity_type",
        "entity_id",
        "site_id",
        "reason",
        "changes",
        "prev_hash",
        "hash",
        "format",
    ])
    .map_err(io)?;
    for e in entries {
        let d = &e.draft;
        out.write_record([
            e.seq.to_string().as_str(),
            &d.at.to_string(),
            &csv_safe(&d.actor_id),
            &csv_safe(&d.actor_name),
            &csv_safe(&d.actor_role),
            d.channel.as_str(),
            &csv_safe(&d.request_id),
            d.action.as_str(),
            &d.entity_type,
            &d.entity_id.map(|i| i.to_string()).unwrap_or_default(),
            &d.site_id.map(|i| i.to_string()).unwrap_or_default(),
            &csv_safe(d.reason.as_deref().unwrap_or("")),
            &csv_safe(&d.changes),
            &hex::encode(e.prev_hash),
            &hex::encode(e.hash),
            &e.format.to_string(),
        ])
        .map_err(io)?;
    }
    out.flush().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(())
}

/// Writes entries as a JSON array to `w`.
pub fn write_json<W: Write>(entries: &[AuditEntry], w: W) -> Result<()> {
    serde_json::to_writer_pretty(w, entries).map_err(|e| AppError::Internal(e.to_string()))
}
