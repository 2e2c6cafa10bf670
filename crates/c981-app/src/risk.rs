//! Risk assessment and treatment: the organisation's risk model (one for all sites,
//! versioned, changed only by administrators and ISMS managers of every site), the rating of
//! every write of a risk under the current model, the re-rating of the register after a model
//! change, the acceptance of a residual risk by its owner's electronic signature against the
//! model's acceptance criteria, and the overdue list.
//!
//! Rules of the register that need more than one record:
//! - every create and update of a risk is rated under the current model version (levels and
//!   version computed here, never taken from the client); a rating that does not fit is
//!   refused naming the field;
//! - "accepted" is reached only through [`App::sign`] with the meaning "risk accepted", which
//!   checks the signer is the risk owner and may accept the residual level, then writes the
//!   state change and the signature in one transaction (the signature binds the accepted
//!   version);
//! - an accepted risk cannot change its ratings, treatment, plan, controls or owner while it
//!   stays accepted: the same change must move it back (to treated, say), so a new acceptance
//!   is needed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use c981_domain::audit::Action;
use c981_domain::risk_model::ACCEPTING_ROLES;
use c981_domain::values::Date;
use c981_domain::{EntityKind, Record, Risk, RiskModel, RiskState, SiteId, Timestamp, ValidationError};
use c981_store::{RerateCounts, RiskModelRow};
use serde::Serialize;
use serde_json::Value;

use crate::actor::{Ctx, Role};
use crate::{App, AppError, Result};

/// A version of the risk model, parsed.
#[derive(Debug, Clone)]
pub struct ModelVersion {
    pub version: i64,
    pub model: Arc<RiskModel>,
    /// `None` for version 1 (installed with the database).
    pub created_at: Option<Timestamp>,
    pub created_by: String,
    pub reason: Option<String>,
}

/// Parsed model versions by number (versions never change, so nothing is ever evicted).
#[derive(Debug, Default)]
pub(crate) struct ModelCache(Mutex<HashMap<i64, Arc<RiskModel>>>);

/// An action past its due date.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueAction {
    /// Its position in the plan (from 0).
    pub index: usize,
    pub action: String,
    pub owner: String,
    pub due_date: String,
    pub status: String,
}

/// A risk with something overdue.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueRisk {
    pub id: i64,
    pub site_id: i64,
    pub title: String,
    pub risk_owner: String,
    pub state: RiskState,
    pub residual_level: Option<u8>,
    pub inherent_level: Option<u8>,
    pub review_date: Option<String>,
    pub review_overdue: bool,
    pub overdue_actions: Vec<OverdueAction>,
}

/// A page of the overdue list.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueList {
    /// The day the list is for (UTC).
    pub today: String,
    pub items: Vec<OverdueRisk>,
    pub next_cursor: Option<String>,
}

/// Whether the actor may change the organisation's risk model.
fn may_change_model(ctx: &Ctx) -> bool {
    !ctx.actor.read_only
        && ctx
            .actor
            .grants
            .iter()
            .any(|g| g.site.is_none() && matches!(g.role, Role::Administrator | Role::IsmsManager))
}

/// The message for a state change to "accepted" outside a signature.
const ACCEPTED_BY_SIGNATURE: &str = "a risk becomes accepted only by its owner's electronic signature with the meaning \"risk accepted\" (sign the risk); save it as treated first";

/// Checks a write of a risk against the life-cycle rules that need the stored version, and
/// rates it under the model.
pub(crate) fn check_write(ctx: &Ctx, model: &ModelVersion, old: Option<&Risk>, new: &mut Risk) -> Result<()> {
    // Other sites a risk names are sites the writer may see (so ids of other sites cannot be
    // probed); sites named before and kept are left alone.
    let kept = |s: &SiteId| old.is_some_and(|o| o.other_site_ids.contains(s));
    if let Some(s) = new.other_site_ids.iter().find(|s| !ctx.actor.may_see(**s) && !kept(s)) {
        return Err(AppError::field("other_site_ids", format!("there is no site {s} among your sites")));
    }
    match old {
        None if new.state == RiskState::Accepted => return Err(AppError::field("state", ACCEPTED_BY_SIGNATURE)),
        Some(o) if o.state != RiskState::Accepted && new.state == RiskState::Accepted => {
            return Err(AppError::field("state", ACCEPTED_BY_SIGNATURE));
        }
        Some(o)
            if o.state == RiskState::Accepted
                && new.state == RiskState::Accepted
                && o.acceptance_basis_differs(new) =>
        {
            return Err(AppError::field(
                "state",
                "this risk is accepted: a change to its ratings, treatment, plan, controls or owner needs a new acceptance, so move it back (to treated, for instance) in the same change",
            ));
        }
        _ => {}
    }
    new.rate(&model.model, model.version)?;
    Ok(())
}

/// The highest risk level the actor may accept on `site` under `model` (0: none), with the
/// role that gives it.
fn acceptance_limit(ctx: &Ctx, model: &RiskModel, site: SiteId) -> (u8, Option<Role>) {
    ctx.actor
        .grants
        .iter()
        .filter(|g| g.covers(site))
        .map(|g| (model.acceptance_limit(g.role.as_str()), Some(g.role)))
        .max_by_key(|(l, _)| *l)
        .unwrap_or((0, None))
}

/// Checks that the actor, as `username` with `printed_name`, may accept `risk` as it stands
/// under `model`: every reason it may not, by field.
pub(crate) fn check_acceptance(
    ctx: &Ctx,
    model: &ModelVersion,
    risk: &Risk,
    username: &str,
    printed_name: &str,
) -> Result<()> {
    let mut errors = ValidationError::default();
    let mut push = |f: &str, m: String| errors.errors.push(c981_domain::FieldError::new(f, m));
    if risk.state == RiskState::Closed {
        push("state", "a closed risk cannot be accepted: reopen it first".into());
    }
    if risk.needs_rerating {
        push(
            "needs_rerating",
            format!(
                "the ratings do not fit the current risk model (version {}): rate this risk again before accepting it",
                model.version
            ),
        );
    }
    let owner = risk.risk_owner.as_str().trim();
    if owner.is_empty() {
        push("risk_owner", "is required: name the risk owner, who then accepts the risk".into());
    } else if !owner.eq_ignore_ascii_case(username) && !owner.eq_ignore_ascii_case(printed_name) {
        push("risk_owner", format!("only the risk owner ({owner}) may accept this risk; you sign as {printed_name}"));
    }
    // The residual level the acceptance is about, under the current model.
    let mut rated = risk.clone();
    if !risk.needs_rerating {
        match rated.rate(&model.model, model.version) {
            Ok(()) => {}
            Err(v) => errors.errors.extend(v.errors),
        }
    }
    match rated.residual_level {
        None if !risk.needs_rerating => errors.errors.push(c981_domain::FieldError::new(
            "residual_likelihood",
            "is required: the residual risk is rated before it is accepted",
        )),
        None => {}
        Some(level) => {
            let (limit, role) = acceptance_limit(ctx, &model.model, risk.site_id);
            if level > limit {
                let who = match role {
                    Some(r) if limit > 0 => {
                        format!("the role {} accepts up to {}", r.label(), model.model.level_label(limit))
                    }
                    _ => "your roles on this site accept no risk".to_owned(),
                };
                let able: Vec<String> = ACCEPTING_ROLES
                    .iter()
                    .filter(|r| model.model.acceptance_limit(r) >= level)
                    .map(|r| Role::parse(r).map_or_else(|_| (*r).to_owned(), |x| x.label().to_owned()))
                    .collect();
                let hint = if able.is_empty() {
                    format!(
                        "no role may accept {}: treat, avoid or share the risk further",
                        model.model.level_label(level)
                    )
                } else {
                    format!("it needs: {}", able.join(" or "))
                };
                errors.errors.push(c981_domain::FieldError::new(
                    "residual_level",
                    format!(
                        "the residual risk level {} is above your acceptance limit ({who}); {hint}",
                        model.model.level_label(level)
                    ),
                ));
            }
        }
    }
    if errors.errors.is_empty() { Ok(()) } else { Err(AppError::Invalid(errors)) }
}

impl App {
    fn model_of(&self, row: RiskModelRow) -> Result<ModelVersion> {
        let cached = self.risk_models.0.lock().unwrap_or_else(|e| e.into_inner()).get(&row.version).cloned();
        let model = match cached {
            Some(m) => m,
            None => {
                let m = Arc::new(RiskModel::parse(&row.model).map_err(|e| {
                    AppError::Internal(format!(
                        "risk model version {} in the database does not parse: {e}",
                        row.version
                    ))
                })?);
                self.risk_models.0.lock().unwrap_or_else(|e| e.into_inner()).insert(row.version, m.clone());
                m
            }
        };
        Ok(ModelVersion {
            version: row.version,
            model,
            created_at: row.created_at,
            created_by: if row.actor_name.is_empty() { "Connect 981 (built-in)".into() } else { row.actor_name },
            reason: row.reason,
        })
    }

    /// The current risk model. Every actor may read it: it is the organisation's policy.
    pub async fn risk_model(&self, _ctx: &Ctx) -> Result<ModelVersion> {
        self.model_of(self.store.risk_model_current().await?)
    }

    /// A version of the risk model (to read old ratings under the version they were made with).
    pub async fn risk_model_version(&self, _ctx: &Ctx, version: i64) -> Result<ModelVersion> {
        match self.store.risk_model_version(version).await? {
            Some(row) => self.model_of(row),
            None => Err(AppError::NotFound { kind: EntityKind::RiskModel, id: version }),
        }
    }

    /// Every version of the risk model, newest first.
    pub async fn risk_model_versions(&self, _ctx: &Ctx) -> Result<Vec<ModelVersion>> {
        self.store.risk_model_versions().await?.into_iter().map(|r| self.model_of(r)).collect()
    }

    /// Refuses (and audits the refusal of) a change to the organisation's risk model by an
    /// actor who is not an administrator or ISMS manager of every site.
    async fn authorize_model_change(&self, ctx: &Ctx, what: &str) -> Result<()> {
        if may_change_model(ctx) {
            return Ok(());
        }
        let why = format!(
            "{}{} may not {what}: that needs the administrator or ISMS manager role on every site",
            ctx.actor.name,
            if ctx.actor.read_only { " (read-only token)" } else { "" },
        );
        tracing::warn!(actor = %ctx.actor.id, "risk model change denied");
        let changes = serde_json::json!({ "denied": { "old": null, "new": why } }).to_string();
        self.store.append_audit(&self.meta(ctx), Action::Denied, EntityKind::RiskModel, None, None, changes).await?;
        Err(AppError::Forbidden(why))
    }

    /// Checks `model` and stores it as the next version (audited, with what changed). With
    /// `based_on`, a model changed meanwhile is a conflict. An unchanged model makes no new
    /// version. Existing ratings keep their version until [`App::rerate_risks`].
    pub async fn set_risk_model(&self, ctx: &Ctx, model: &Value, based_on: Option<i64>) -> Result<ModelVersion> {
        self.authorize_model_change(ctx, "change the risk model").await?;
        let parsed = RiskModel::parse(model)?;
        let version = self.store.save_risk_model(&parsed.to_json(), based_on, &self.meta(ctx)).await?;
        self.risk_model_version(ctx, version).await
    }

    /// Moves every risk rated under an older model version to the current one, level numbers
    /// mapped by number and dimensions by key; a risk whose ratings do not fit (a level or a
    /// dimension the model no longer has) keeps them under its version and is flagged "needs
    /// re-rating". One transaction, set-based, one audit entry per risk changed.
    pub async fn rerate_risks(&self, ctx: &Ctx) -> Result<RerateCounts> {
        self.authorize_model_change(ctx, "re-rate the register").await?;
        let current = self.risk_model(ctx).await?;
        let model = current.model.clone();
        let level = move |likelihood: i64, impacts: &str| -> Option<(i64, i64)> {
            let impacts: std::collections::BTreeMap<String, u8> = serde_json::from_str(impacts).ok()?;
            let likelihood = u8::try_from(likelihood).ok()?;
            let r = c981_domain::risk_model::RatingRef { likelihood, impacts: &impacts };
            model.evaluate(r).ok().map(|e| (i64::from(e.level), i64::from(e.impact)))
        };
        let counts = self.store.rerate_risks(current.version, level, &self.meta(ctx)).await?;
        tracing::info!(?counts, "risk register re-rated");
        Ok(counts)
    }

    /// Today, UTC.
    pub fn today(&self) -> Date {
        let day: String = self.now().to_string().chars().take(10).collect();
        Date::parse(&day).unwrap_or_else(|_| Date::parse("1970-01-01").expect("a date"))
    }

    /// Risks of the caller's sites (or of `site`) with a review date passed or an open action
    /// past due, the earliest first.
    pub async fn overdue_risks(
        &self,
        ctx: &Ctx,
        site: Option<SiteId>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<OverdueList> {
        let limit = limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(AppError::field("limit", "must be between 1 and 1000"));
        }
        let today = self.today();
        let today_s = today.to_string();
        let cursor = cursor.map(str::trim).filter(|c| !c.is_empty());
        let page = self.store.risks_overdue(&ctx.actor.scope, site, &today_s, cursor, limit).await?;
        let items = page.items.iter().map(|r| overdue_item(r, today)).collect();
        Ok(OverdueList { today: today_s, items, next_cursor: page.next })
    }
}

fn overdue_item(r: &Record<Risk>, today: Date) -> OverdueRisk {
    let d = &r.data;
    OverdueRisk {
        id: r.id.get(),
        site_id: d.site_id.get(),
        title: d.title.to_string(),
        risk_owner: d.risk_owner.as_str().to_owned(),
        state: d.state,
        residual_level: d.residual_level,
        inherent_level: d.inherent_level,
        review_date: d.review_date.map(|x| x.to_string()),
        review_overdue: d.review_overdue(today),
        overdue_actions: d
            .overdue_actions(today)
            .into_iter()
            .map(|(index, p)| OverdueAction {
                index,
                action: p.action.as_str().to_owned(),
                owner: p.owner.as_str().to_owned(),
                due_date: p.due_date.to_string(),
                status: p.status.as_str().to_owned(),
            })
            .collect(),
    }
}
