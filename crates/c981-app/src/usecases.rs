//! Create, read, update, delete, list and history for the estate's entities, generic over
//! the entity, each authorized for its site and audited.

use c981_domain::audit::{Action, AuditEntry};
use c981_domain::entity::Entity;
use c981_domain::{EntityKind, FieldError, Record, Risk, SiteId, ValidationError, Zone, ZoneId};
use c981_store::{AuditMeta, AuditQuery, ListQuery, Page, SiteScope, Table};
use serde_json::Value;

use crate::risk::ModelVersion;
use crate::{App, AppError, Ctx, Result};

/// Applies the rules a write of `T` needs beyond its own input, with what
/// [`App::write_context`] loaded: a risk is checked against its stored version and rated under
/// the current risk model.
fn prepare<T: Table>(ctx: &Ctx, model: Option<&ModelVersion>, old: Option<&T>, new: &mut T) -> Result<()> {
    let new: &mut dyn std::any::Any = new;
    if let (Some(m), Some(risk)) = (model, new.downcast_mut::<Risk>()) {
        let old = old.and_then(|o| (o as &dyn std::any::Any).downcast_ref::<Risk>());
        crate::risk::check_write(ctx, m, old, risk)?;
    }
    if let Some(ev) = new.downcast_mut::<c981_domain::Evidence>() {
        // The file fields of evidence are the server's: set by the upload, kept by edits.
        let old = old.and_then(|o| (o as &dyn std::any::Any).downcast_ref::<c981_domain::Evidence>());
        match old {
            Some(o) if o.kind == c981_domain::EvidenceKind::File => {
                ev.file_name = o.file_name.clone();
                ev.size = o.size;
                ev.sha256 = o.sha256.clone();
            }
            _ if ev.kind == c981_domain::EvidenceKind::File => {
                ev.file_name = Default::default();
                ev.size = None;
                ev.sha256 = None;
            }
            _ => {
                ev.file_name = Default::default();
                ev.size = None;
            }
        }
    }
    Ok(())
}

/// What a list request may say (all optional).
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub site_id: Option<SiteId>,
    pub filters: Vec<(String, String)>,
    pub q: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

impl ListParams {
    fn query(&self, scope: SiteScope) -> Result<ListQuery> {
        let after = match self.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(
                c.parse::<i64>()
                    .map_err(|_| AppError::field("cursor", "is not a cursor returned by a previous page"))?,
            ),
        };
        let limit = self.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(AppError::field("limit", "must be between 1 and 1000"));
        }
        Ok(ListQuery { scope, site_id: self.site_id, filters: self.filters.clone(), q: self.q.clone(), after, limit })
    }
}

/// Applies a JSON merge patch (RFC 7396) to `target`.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(serde_json::Map::new());
            }
            let t = target.as_object_mut().expect("made an object above");
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// Parses an input from JSON, naming the offending field when the JSON has the wrong shape.
pub fn input_from_json<T: Entity>(v: Value) -> Result<T::Input> {
    serde_json::from_value::<T::Input>(v).map_err(|e| {
        let msg = e.to_string();
        // serde names unknown fields as "unknown field `x`, expected one of …".
        let field = msg.split('`').nth(1).filter(|_| msg.starts_with("unknown field")).unwrap_or("body").to_owned();
        AppError::Invalid(ValidationError { errors: vec![FieldError::new(field, msg)] })
    })
}

impl App {
    pub(crate) fn meta(&self, ctx: &Ctx) -> AuditMeta {
        AuditMeta {
            at: self.clock.now(),
            actor_id: ctx.actor.id.clone(),
            actor_name: ctx.actor.name.clone(),
            actor_role: ctx.actor.role().as_str().to_owned(),
            channel: ctx.channel,
            request_id: ctx.request_id.clone(),
            reason: ctx.reason.clone(),
        }
    }

    /// Refuses (and audits the refusal of) a write the actor may not make on `site`. `site`
    /// is `None` for creating a site, which needs the administrator role.
    pub(crate) async fn authorize_write(
        &self,
        ctx: &Ctx,
        kind: EntityKind,
        id: Option<i64>,
        site: Option<SiteId>,
    ) -> Result<()> {
        let allowed = match site {
            Some(s) => ctx.actor.may_write_site(s),
            None => ctx.actor.is_admin(),
        };
        if allowed {
            return Ok(());
        }
        let what = format!(
            "{}{} may not change {} records{}",
            ctx.actor.name,
            if ctx.actor.read_only { " (read-only token)" } else { "" },
            kind.label().to_lowercase(),
            match site {
                Some(s) => format!(" of site {s}"),
                None => String::new(),
            }
        );
        tracing::warn!(actor = %ctx.actor.id, kind = %kind, ?id, ?site, "write denied");
        let changes = serde_json::json!({ "denied": { "old": null, "new": what } }).to_string();
        self.store.append_audit(&self.meta(ctx), Action::Denied, kind, id, site.map(|s| s.get()), changes).await?;
        Err(AppError::Forbidden(what))
    }

    /// What writes of `T` need loaded beforehand: the current risk model for risks.
    async fn write_context<T: Table>(&self, ctx: &Ctx) -> Result<Option<ModelVersion>> {
        if T::KIND == EntityKind::Risk { Ok(Some(self.risk_model(ctx).await?)) } else { Ok(None) }
    }

    /// Creates a record from an input.
    pub async fn create<T: Table>(&self, ctx: &Ctx, input: &T::Input) -> Result<Record<T>> {
        let mut data = T::parse(input)?;
        self.authorize_write(ctx, T::KIND, None, data.site_id()).await?;
        prepare(ctx, self.write_context::<T>(ctx).await?.as_ref(), None, &mut data)?;
        Ok(self.store.create(&data, &self.meta(ctx)).await?)
    }

    /// Creates many records in one transaction (all or nothing), each audited.
    pub async fn bulk_create<T: Table>(&self, ctx: &Ctx, items: &[T]) -> Result<Vec<i64>> {
        let mut sites: Vec<Option<SiteId>> = items.iter().map(Entity::site_id).collect();
        sites.sort();
        sites.dedup();
        for s in sites {
            self.authorize_write(ctx, T::KIND, None, s).await?;
        }
        if let Some(model) = self.write_context::<T>(ctx).await? {
            let mut prepared = items.to_vec();
            for (n, item) in prepared.iter_mut().enumerate() {
                prepare(ctx, Some(&model), None, item).map_err(|e| match e {
                    AppError::Invalid(v) => AppError::Invalid(ValidationError {
                        errors: v
                            .errors
                            .into_iter()
                            .map(|f| FieldError::new(format!("[{n}].{}", f.field), f.message))
                            .collect(),
                    }),
                    other => other,
                })?;
            }
            return Ok(self.store.bulk_create(&prepared, &self.meta(ctx)).await?);
        }
        Ok(self.store.bulk_create(items, &self.meta(ctx)).await?)
    }

    /// The record, if it exists within the actor's sites.
    pub async fn get<T: Table>(&self, ctx: &Ctx, id: i64) -> Result<Record<T>> {
        Ok(self.store.get::<T>(&ctx.actor.scope, id).await?)
    }

    /// The record as the API's JSON.
    pub async fn get_json<T: Table>(&self, ctx: &Ctx, id: i64) -> Result<Vec<u8>> {
        Ok(self.store.get_json::<T>(&ctx.actor.scope, id).await?)
    }

    pub async fn list<T: Table>(&self, ctx: &Ctx, p: &ListParams) -> Result<Page<Record<T>>> {
        Ok(self.store.list::<T>(&p.query(ctx.actor.scope.clone())?).await?)
    }

    pub async fn list_json<T: Table>(&self, ctx: &Ctx, p: &ListParams) -> Result<Vec<u8>> {
        Ok(self.store.list_json::<T>(&p.query(ctx.actor.scope.clone())?).await?)
    }

    pub async fn count<T: Table>(&self, ctx: &Ctx, p: &ListParams) -> Result<i64> {
        Ok(self.store.count::<T>(&p.query(ctx.actor.scope.clone())?).await?)
    }

    /// Replaces a record with a whole new input (PUT).
    pub async fn replace<T: Table>(
        &self,
        ctx: &Ctx,
        id: i64,
        version: Option<i64>,
        input: &T::Input,
    ) -> Result<Record<T>> {
        let data = T::parse(input)?;
        self.update_with(ctx, id, version, move |_| Ok(data)).await
    }

    /// Changes some fields of a record (JSON merge patch on its input).
    pub async fn patch<T: Table>(&self, ctx: &Ctx, id: i64, version: Option<i64>, patch: &Value) -> Result<Record<T>> {
        if !patch.is_object() {
            return Err(AppError::field("body", "a patch is a JSON object of the fields to change"));
        }
        let patch = patch.clone();
        self.update_with(ctx, id, version, move |old: &Record<T>| {
            let mut v = serde_json::to_value(old.data.to_input()).map_err(|e| AppError::Internal(e.to_string()))?;
            merge_patch(&mut v, &patch);
            let input = input_from_json::<T>(v)?;
            Ok(T::parse(&input)?)
        })
        .await
    }

    async fn update_with<T: Table>(
        &self,
        ctx: &Ctx,
        id: i64,
        version: Option<i64>,
        change: impl FnOnce(&Record<T>) -> Result<T>,
    ) -> Result<Record<T>> {
        // Authorize on the stored record's site (never on what the client says it is).
        let current = self.store.get::<T>(&ctx.actor.scope, id).await?;
        let site = current.data.site_id().or((T::KIND == EntityKind::Site).then(|| SiteId::new(id)));
        self.authorize_write(ctx, T::KIND, Some(id), site).await?;
        let context = self.write_context::<T>(ctx).await?;
        let change = |old: &Record<T>| -> Result<T> {
            let mut new = change(old)?;
            prepare(ctx, context.as_ref(), Some(&old.data), &mut new)?;
            Ok(new)
        };
        let mut failure: Option<AppError> = None;
        let result = self
            .store
            .update::<T>(&ctx.actor.scope, id, version, &self.meta(ctx), |old| {
                change(old).map_err(|e| {
                    let se = match &e {
                        AppError::Invalid(v) => c981_store::StoreError::Invalid(v.clone()),
                        other => c981_store::StoreError::Conflict(other.to_string()),
                    };
                    failure = Some(e);
                    se
                })
            })
            .await;
        match (result, failure) {
            (Ok(r), _) => Ok(r),
            (Err(_), Some(e)) => Err(e),
            (Err(e), None) => Err(e.into()),
        }
    }

    /// Deletes a record; refused while others use it.
    pub async fn delete<T: Table>(&self, ctx: &Ctx, id: i64, version: Option<i64>) -> Result<Record<T>> {
        let current = self.store.get::<T>(&ctx.actor.scope, id).await?;
        let site = current.data.site_id().or((T::KIND == EntityKind::Site).then(|| SiteId::new(id)));
        self.authorize_write(ctx, T::KIND, Some(id), site).await?;
        Ok(self.store.delete::<T>(&ctx.actor.scope, id, version, &self.meta(ctx)).await?)
    }

    /// Deletes a zone, first moving its assets and interfaces to `target` (`None`: to no
    /// zone), when the caller asks for it explicitly.
    pub async fn delete_zone_reassigning(&self, ctx: &Ctx, id: ZoneId, target: Option<ZoneId>) -> Result<Record<Zone>> {
        let current = self.store.get::<Zone>(&ctx.actor.scope, id.get()).await?;
        self.authorize_write(ctx, EntityKind::Zone, Some(id.get()), Some(current.data.site_id)).await?;
        Ok(self.store.delete_zone_reassigning(&ctx.actor.scope, id, target, &self.meta(ctx)).await?)
    }

    /// A record's history, newest first. Visible to whoever may see the record; the
    /// entries of a deleted record stay visible to those who see its site.
    pub async fn history(
        &self,
        ctx: &Ctx,
        kind: EntityKind,
        id: i64,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let q = AuditQuery {
            entity_type: Some(kind),
            entity_id: Some(id),
            after_seq: before_seq,
            limit: Some(limit.clamp(1, 1000)),
            newest_first: true,
            ..Default::default()
        };
        let entries = self.store.audit_entries(&ctx.actor.scope, &q).await?;
        if entries.is_empty() && before_seq.is_none() {
            // Distinguish "no such record in your sites" from "no history".
            return Err(AppError::NotFound { kind, id });
        }
        Ok(entries)
    }
}
