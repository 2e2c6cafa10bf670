//! Rows to JSON and entities to column values.
//!
//! A row renders straight to the JSON the API serves (no intermediate structs: the list hot
//! path writes bytes), and the same JSON parses back into the entity's input, so a stored
//! record is re-validated by the one `parse` every input goes through.

use std::io::Write;

use c981_domain::Timestamp;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::tables::{ColType, Table};
use crate::{Result, StoreError};

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
}

pub(crate) fn bind<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    v: Val,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    match v {
        Val::Int(i) => q.bind(i),
        Val::Text(s) => q.bind(s),
        Val::Bool(b) => q.bind(b),
    }
}

fn corrupt(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("column {col}: {e}"))
}

/// Converts one input field (as the input's JSON) to a column value.
pub(crate) fn to_val(name: &str, ty: ColType, v: &Value) -> Result<Val> {
    let text = |v: &Value| -> Option<String> {
        match v {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    };
    Ok(match ty {
        ColType::Text => Val::Text(Some(text(v).unwrap_or_default())),
        ColType::OptText => Val::Text(text(v)),
        ColType::Int | ColType::OptInt => Val::Int(match text(v) {
            None => None,
            Some(s) => Some(s.parse::<i64>().map_err(|e| corrupt(name, e))?),
        }),
        ColType::Bool => Val::Bool(matches!(text(v).as_deref(), Some("true"))),
        ColType::List => {
            let items: Vec<Value> = match v {
                Value::Array(a) => a
                    .iter()
                    .map(|x| match x.as_str().map(|s| s.parse::<i64>()) {
                        // Lists of ids are stored as numbers.
                        Some(Ok(n)) if name.ends_with("_ids") => Value::from(n),
                        _ => x.clone(),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            Val::Text(Some(serde_json::to_string(&items).map_err(|e| corrupt(name, e))?))
        }
        ColType::OptTime => Val::Text(match text(v) {
            None => None,
            Some(s) => Some(Timestamp::parse(&s).map_err(|e| corrupt(name, e))?.to_string()),
        }),
        ColType::Json => Val::Text(Some(match v {
            Value::Object(_) => serde_json::to_string(v).map_err(|e| corrupt(name, e))?,
            _ => "{}".to_owned(),
        })),
    })
}

/// The names of the columns a write sets, in the order of [`values`]: `COLUMNS`, then
/// `DERIVED`, then `doc`.
pub(crate) fn write_columns<T: Table>() -> impl Iterator<Item = &'static str> {
    T::COLUMNS.iter().chain(T::DERIVED).map(|c| c.name).chain(std::iter::once("doc"))
}

/// The column values of an entity, in [`write_columns`] order. `doc` is the record's data
/// as the members of the API's JSON object (fields in column order, without the braces), kept beside the columns so that a page of
/// records is served by concatenating stored text rather than rendering every column of
/// every row: a read model written in the same statement as the row, never apart from it.
pub(crate) fn values<T: Table>(data: &T) -> Result<Vec<Val>> {
    let input = serde_json::to_value(data.to_input()).map_err(|e| corrupt(T::TABLE, e))?;
    let mut out = Vec::with_capacity(T::COLUMNS.len() + T::DERIVED.len() + 1);
    for col in T::COLUMNS {
        out.push(to_val(col.name, col.ty, input.get(col.name).unwrap_or(&Value::Null))?);
    }
    let mut doc = Vec::with_capacity(512);
    for (n, (col, v)) in T::COLUMNS.iter().zip(&out).enumerate() {
        if n > 0 {
            doc.push(b',');
        }
        write_str(&mut doc, col.name);
        doc.push(b':');
        match (col.ty, v) {
            (ColType::List | ColType::Json, Val::Text(Some(s))) => doc.extend_from_slice(s.as_bytes()),
            (ColType::Text, Val::Text(None)) => doc.extend_from_slice(b"\"\""),
            (_, Val::Text(Some(s))) => write_str(&mut doc, s),
            (_, Val::Text(None) | Val::Int(None)) => doc.extend_from_slice(b"null"),
            (_, Val::Int(Some(i))) => {
                let _ = write!(doc, "{i}");
            }
            (_, Val::Bool(b)) => doc.extend_from_slice(if *b { b"true" } else { b"false" }),
        }
    }
    for (col, v) in T::DERIVED.iter().zip(data.derived()) {
        out.push(to_val(col.name, col.ty, &v)?);
    }
    out.push(Val::Text(Some(String::from_utf8(doc).map_err(|e| corrupt("doc", e))?)));
    Ok(out)
}

/// The JSON object of an entity's data as the API shows it (keyed by column).
pub(crate) fn data_json<T: Table>(data: &T) -> Result<Value> {
    data_json_of::<T>(&values(data)?)
}

/// [`data_json`] from the values [`values`] gave.
pub(crate) fn data_json_of<T: Table>(vals: &[Val]) -> Result<Value> {
    let mut map = serde_json::Map::new();
    for (col, v) in T::COLUMNS.iter().zip(vals) {
        map.insert(col.name.to_owned(), val_json(col.ty, v)?);
    }
    Ok(Value::Object(map))
}

fn val_json(ty: ColType, v: &Val) -> Result<Value> {
    Ok(match (ty, v) {
        (ColType::List | ColType::Json, Val::Text(Some(s))) => {
            serde_json::from_str(s).map_err(|e| corrupt("list", e))?
        }
        (_, Val::Int(i)) => i.map_or(Value::Null, Value::from),
        (ColType::Text, Val::Text(s)) => Value::String(s.clone().unwrap_or_default()),
        (_, Val::Text(s)) => s.clone().map_or(Value::Null, Value::String),
        (_, Val::Bool(b)) => Value::Bool(*b),
    })
}

pub(crate) fn get_bool(row: &AnyRow, i: usize) -> Result<bool> {
    match row.try_get::<bool, _>(i) {
        Ok(b) => Ok(b),
        Err(_) => Ok(row.try_get::<i64, _>(i).map_err(|e| corrupt("bool", e))? != 0),
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // serde_json's string escaping cannot fail on a Vec.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Writes the JSON object of a row selected as `id, COLUMNS…, version, created_at,
/// updated_at`. With `meta` false only the data columns are written.
pub(crate) fn write_row<T: Table>(row: &AnyRow, out: &mut Vec<u8>, meta: bool) -> Result<()> {
    out.push(b'{');
    if meta {
        let id: i64 = row.try_get(0).map_err(|e| corrupt("id", e))?;
        let _ = write!(out, "\"id\":{id},");
    }
    for (n, col) in T::COLUMNS.iter().enumerate() {
        let i = n + 1;
        if n > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(col.name.as_bytes());
        out.extend_from_slice(b"\":");
        match col.ty {
            ColType::Text | ColType::OptText => {
                match row.try_get::<Option<String>, _>(i).map_err(|e| corrupt(col.name, e))? {
                    Some(s) => write_str(out, &s),
                    None if col.ty == ColType::Text => out.extend_from_slice(b"\"\""),
                    None => out.extend_from_slice(b"null"),
                }
            }
            ColType::Int | ColType::OptInt => {
                match row.try_get::<Option<i64>, _>(i).map_err(|e| corrupt(col.name, e))? {
                    Some(v) => {
                        let _ = write!(out, "{v}");
                    }
                    None => out.extend_from_slice(b"null"),
                }
            }
            ColType::Bool => out.extend_from_slice(if get_bool(row, i)? { b"true" } else { b"false" }),
            ColType::List => {
                let s: String = row.try_get(i).map_err(|e| corrupt(col.name, e))?;
                if s.starts_with('[') && s.ends_with(']') {
                    out.extend_from_slice(s.as_bytes());
                } else {
                    return Err(corrupt(col.name, "not a JSON array"));
                }
            }
            ColType::Json => {
                let s: String = row.try_get(i).map_err(|e| corrupt(col.name, e))?;
                if s.starts_with('{') && s.ends_with('}') {
                    out.extend_from_slice(s.as_bytes());
                } else {
                    return Err(corrupt(col.name, "not a JSON object"));
                }
            }
            ColType::OptTime => match row.try_get::<Option<String>, _>(i).map_err(|e| corrupt(col.name, e))? {
                Some(s) => write_str(out, &s),
                None => out.extend_from_slice(b"null"),
            },
        }
    }
    if meta {
        let k = T::COLUMNS.len() + 1;
        let version: i64 = row.try_get(k).map_err(|e| corrupt("version", e))?;
        let created: String = row.try_get(k + 1).map_err(|e| corrupt("created_at", e))?;
        let updated: String = row.try_get(k + 2).map_err(|e| corrupt("updated_at", e))?;
        let _ = write!(out, ",\"version\":{version},\"created_at\":");
        write_str(out, &created);
        out.extend_from_slice(b",\"updated_at\":");
        write_str(out, &updated);
    }
    out.push(b'}');
    Ok(())
}

/// Decodes a row (same layout as [`write_row`]) into a typed record, re-validating it.
pub(crate) fn decode<T: Table>(row: &AnyRow) -> Result<c981_domain::Record<T>> {
    let mut buf = Vec::with_capacity(512);
    write_row::<T>(row, &mut buf, false)?;
    let input: T::Input = serde_json::from_slice(&buf).map_err(|e| corrupt(T::TABLE, e))?;
    let data = T::parse(&input).map_err(|e| corrupt(T::TABLE, e))?;
    let k = T::COLUMNS.len() + 1;
    let get = |i: usize, name: &str| row.try_get::<i64, _>(i).map_err(|e| corrupt(name, e));
    let time = |i: usize, name: &str| -> Result<Timestamp> {
        let s: String = row.try_get(i).map_err(|e| corrupt(name, e))?;
        Timestamp::parse(&s).map_err(|e| corrupt(name, e))
    };
    Ok(c981_domain::Record {
        id: T::id_from_raw(get(0, "id")?),
        data,
        version: get(k, "version")?,
        created_at: time(k + 1, "created_at")?,
        updated_at: time(k + 2, "updated_at")?,
    })
}

/// The column list of a full select.
pub(crate) fn select_list<T: Table>() -> String {
    let mut s = String::from("id");
    for c in T::COLUMNS {
        s.push_str(", ");
        s.push_str(c.name);
    }
    s.push_str(", version, created_at, updated_at");
    s
}

/// The SQL expression that renders a stored row as the API's JSON object: the stored `doc`
/// with the id, version and timestamps spliced in (the same shape as [`write_row`] with
/// `meta`).
pub(crate) fn json_expr() -> &'static str {
    "'{\"id\":' || id || ',' || doc || ',\"version\":' || version || ',\"created_at\":\"' || created_at || '\",\"updated_at\":\"' || updated_at || '\"}'"
}
