//! The organisation's risk model (ISO/IEC 27001 6.1.2 risk criteria), written for OT: a
//! likelihood scale, impact dimensions beyond confidentiality (safety, production continuity,
//! product quality, integrity of data and commands…) each described level by level on one
//! impact scale, how the dimensions aggregate into one impact, the risk matrix likelihood ×
//! impact → risk level, and the acceptance criteria (the tolerable level, and the highest
//! level each role may accept).
//!
//! The model is versioned by the store: every change makes a new version and a rating keeps
//! the version it was made with. Levels are numbered from 1 (the lowest) in the order given;
//! a rating stores numbers, never names, so [`RiskModel::evaluate`] can map an old rating onto
//! a new model by number ("likelihood 3" stays 3) and say when it no longer fits.
//!
//! [`RiskModel::parse`] reads the model's JSON and reports every problem with the path of the
//! field (`likelihood[2].name`, `matrix[4][0]`, `acceptance.approver`), so an edited model is
//! fixed in one round trip; once parsed, a model is consistent: the matrix has one row per
//! likelihood level and one cell per impact level, its levels exist and never fall as
//! likelihood or impact rises, and the acceptance criteria name existing levels.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Errors, ValidationError};
use crate::values::{Name, Text, enum_key, string_enum};

/// The roles that may sign a risk acceptance (the application's roles that may approve); the
/// acceptance criteria may name only these.
pub const ACCEPTING_ROLES: [&str; 3] = ["administrator", "isms_manager", "approver"];

/// Fewest and most levels of a scale.
pub const MIN_LEVELS: usize = 2;
pub const MAX_LEVELS: usize = 10;
/// Most impact dimensions.
pub const MAX_DIMENSIONS: usize = 12;

string_enum! {
    /// How the impacts rated per dimension become one impact level.
    Aggregation {
        Maximum = "maximum" / "Highest impact of any dimension",
        RoundedMean = "rounded_mean" / "Mean of the rated dimensions, rounded half up",
    }
}

string_enum! {
    /// The colour a risk level is shown in (a closed palette: the pages style by class).
    Colour {
        Green = "green" / "Green",
        Yellow = "yellow" / "Yellow",
        Orange = "orange" / "Orange",
        Red = "red" / "Red",
        Purple = "purple" / "Purple",
        Blue = "blue" / "Blue",
        Grey = "grey" / "Grey",
    }
}

/// One level of a scale: its name and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScaleLevel {
    pub name: Name,
    pub description: Text,
}

/// An impact dimension: a key ratings use (`safety`), its name, and a description of each
/// impact level for this dimension (one per level of [`RiskModel::impact_levels`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dimension {
    pub key: String,
    pub name: Name,
    pub descriptions: Vec<Text>,
}

/// A risk level: its name, colour and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskLevel {
    pub name: Name,
    pub colour: Colour,
    pub description: Text,
}

/// A validated risk model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskModel {
    pub likelihood: Vec<ScaleLevel>,
    pub impact_levels: Vec<ScaleLevel>,
    pub dimensions: Vec<Dimension>,
    pub aggregation: Aggregation,
    pub risk_levels: Vec<RiskLevel>,
    /// `matrix[l - 1][i - 1]` is the risk level of likelihood `l` and impact `i`.
    pub matrix: Vec<Vec<u8>>,
    /// The highest risk level the organisation tolerates.
    pub tolerable_level: u8,
    /// The highest risk level each role may accept; a role not listed accepts nothing.
    pub acceptance: BTreeMap<String, u8>,
}

/// A rating as numbers: the likelihood level and the impact level per dimension key.
#[derive(Debug, Clone, Copy)]
pub struct RatingRef<'a> {
    pub likelihood: u8,
    pub impacts: &'a BTreeMap<String, u8>,
}

/// What a rating comes to under a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evaluation {
    /// The aggregated impact level.
    pub impact: u8,
    /// The risk level from the matrix.
    pub level: u8,
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(v: Option<&Value>) -> Result<String, String> {
    match v {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("must be text, not {other}")),
    }
}

/// A dimension key: 1 to 40 characters of `a-z`, `0-9` and `_`, starting with a letter.
pub fn parse_dimension_key(input: &str) -> Result<String, String> {
    let s = input.trim();
    let ok = (1..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!("{s:?} is not a dimension key (lower-case letters, digits and _, starting with a letter)"))
    }
}

/// Reads a list of scale levels (`likelihood`, `impact_levels`).
fn scale(e: &mut Errors, field: &str, v: Option<&Value>) -> Option<Vec<ScaleLevel>> {
    let Some(items) = v.and_then(Value::as_array) else {
        e.push(field, format!("is required: a list of {MIN_LEVELS} to {MAX_LEVELS} levels, lowest first"));
        return None;
    };
    if !(MIN_LEVELS..=MAX_LEVELS).contains(&items.len()) {
        e.push(field, format!("has {} levels; a scale has {MIN_LEVELS} to {MAX_LEVELS}", items.len()));
        return None;
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut ok = true;
    for (n, item) in items.iter().enumerate() {
        let at = format!("{field}[{n}]");
        let Some(obj) = item.as_object() else {
            e.push(&at, "must be an object with a name and a description");
            ok = false;
            continue;
        };
        unknown_keys(e, &at, obj, &["name", "description"]);
        let name = e.take(&format!("{at}.name"), text(obj.get("name")).and_then(|s| Name::parse(&s)));
        let description =
            e.take(&format!("{at}.description"), text(obj.get("description")).and_then(|s| Text::parse(&s)));
        if let Some(n) = &name
            && !seen.insert(enum_key(n.as_str()))
        {
            e.push(&format!("{at}.name"), format!("{:?} is used by another level of this scale", n.as_str()));
        }
        match (name, description) {
            (Some(name), Some(description)) => out.push(ScaleLevel { name, description }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

fn unknown_keys(e: &mut Errors, at: &str, obj: &Map<String, Value>, known: &[&str]) {
    for k in obj.keys() {
        if !known.contains(&k.as_str()) {
            e.push(&format!("{at}.{k}"), format!("is not a field here; known: {}", known.join(", ")));
        }
    }
}

impl RiskModel {
    /// The number of likelihood levels.
    pub fn likelihood_count(&self) -> u8 {
        self.likelihood.len() as u8
    }

    /// The number of impact levels.
    pub fn impact_count(&self) -> u8 {
        self.impact_levels.len() as u8
    }

    /// The number of risk levels.
    pub fn level_count(&self) -> u8 {
        self.risk_levels.len() as u8
    }

    /// The dimension with this key.
    pub fn dimension(&self, key: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.key == key)
    }

    /// The risk level numbered `level` (from 1).
    pub fn risk_level(&self, level: u8) -> Option<&RiskLevel> {
        self.risk_levels.get(usize::from(level).checked_sub(1)?)
    }

    /// `"3 High"` for a risk level, `"level 3"` when the model has no such level.
    pub fn level_label(&self, level: u8) -> String {
        match self.risk_level(level) {
            Some(l) => format!("{level} {}", l.name),
            None => format!("level {level}"),
        }
    }

    /// The highest risk level `role` may accept (0: none).
    pub fn acceptance_limit(&self, role: &str) -> u8 {
        self.acceptance.get(role).copied().unwrap_or(0)
    }

    /// Rates a likelihood and impacts under this model; every problem is reported, each
    /// named by `field` (`field.likelihood`-style names are the caller's: the errors carry
    /// `likelihood` or `impacts.<key>` as the field, to be prefixed).
    pub fn evaluate(&self, r: RatingRef<'_>) -> Result<Evaluation, Vec<(String, String)>> {
        let mut errors = Vec::new();
        if r.likelihood == 0 || r.likelihood > self.likelihood_count() {
            errors.push((
                "likelihood".to_owned(),
                format!(
                    "{} is not on the likelihood scale of this model, which has levels 1 ({}) to {} ({})",
                    r.likelihood,
                    self.likelihood[0].name,
                    self.likelihood_count(),
                    self.likelihood[self.likelihood.len() - 1].name
                ),
            ));
        }
        if r.impacts.is_empty() {
            errors.push(("impacts".to_owned(), "rate the impact in at least one dimension".to_owned()));
        }
        for (key, level) in r.impacts {
            if self.dimension(key).is_none() {
                let known: Vec<&str> = self.dimensions.iter().map(|d| d.key.as_str()).collect();
                errors.push((
                    format!("impacts.{key}"),
                    format!("{key:?} is not an impact dimension of this model; it has: {}", known.join(", ")),
                ));
            } else if *level == 0 || *level > self.impact_count() {
                errors.push((
                    format!("impacts.{key}"),
                    format!(
                        "{level} is not on the impact scale of this model, which has levels 1 ({}) to {} ({})",
                        self.impact_levels[0].name,
                        self.impact_count(),
                        self.impact_levels[self.impact_levels.len() - 1].name
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let impact = self.aggregate(r.impacts.values().copied());
        let level = self.matrix[usize::from(r.likelihood) - 1][usize::from(impact) - 1];
        Ok(Evaluation { impact, level })
    }

    /// The aggregated impact of some impact levels (at least one).
    pub fn aggregate(&self, levels: impl Iterator<Item = u8>) -> u8 {
        match self.aggregation {
            Aggregation::Maximum => levels.max().unwrap_or(1),
            Aggregation::RoundedMean => {
                let (sum, n) = levels.fold((0u32, 0u32), |(s, n), l| (s + u32::from(l), n + 1));
                if n == 0 { 1 } else { ((2 * sum + n) / (2 * n)) as u8 }
            }
        }
    }

    /// The model as JSON (the shape [`RiskModel::parse`] reads).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Parses and checks a model; every problem is reported with its field path.
    pub fn parse(v: &Value) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let Some(obj) = v.as_object() else {
            return Err(ValidationError::single("body", "a risk model is a JSON object"));
        };
        unknown_keys(
            &mut e,
            "model",
            obj,
            &[
                "likelihood",
                "impact_levels",
                "dimensions",
                "aggregation",
                "risk_levels",
                "matrix",
                "tolerable_level",
                "acceptance",
            ],
        );
        let likelihood = scale(&mut e, "likelihood", obj.get("likelihood"));
        let impact_levels = scale(&mut e, "impact_levels", obj.get("impact_levels"));
        let impact_count = obj
            .get("impact_levels")
            .and_then(Value::as_array)
            .map(Vec::len)
            .filter(|n| (MIN_LEVELS..=MAX_LEVELS).contains(n));
        let dimensions = Self::parse_dimensions(&mut e, obj.get("dimensions"), impact_count);
        let aggregation = e.take(
            "aggregation",
            match obj.get("aggregation") {
                None | Some(Value::Null) => Ok(Aggregation::Maximum),
                Some(v) => text(Some(v)).and_then(|s| Aggregation::parse(&s)),
            },
        );
        let risk_levels = Self::parse_levels(&mut e, obj.get("risk_levels"));
        // The number of levels as given, even when one of them is faulty, so the levels
        // named elsewhere are still checked.
        let count_of = |key: &str| {
            obj.get(key).and_then(Value::as_array).map(Vec::len).filter(|n| (MIN_LEVELS..=MAX_LEVELS).contains(n))
        };
        let level_count = count_of("risk_levels");
        let matrix = Self::parse_matrix(
            &mut e,
            obj.get("matrix"),
            count_of("likelihood"),
            count_of("impact_levels"),
            level_count,
        );
        let in_levels = |n: i64| level_count.is_none_or(|c| (1..=c as i64).contains(&n));
        let tolerable = match obj.get("tolerable_level").map(int) {
            Some(Some(n)) if in_levels(n) => Some(n as u8),
            Some(Some(n)) => {
                e.push("tolerable_level", format!("there is no risk level {n}; levels are numbered from 1"));
                None
            }
            _ => {
                e.push("tolerable_level", "is required: the number of the highest risk level tolerated");
                None
            }
        };
        let mut acceptance = BTreeMap::new();
        match obj.get("acceptance") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (role, limit) in m {
                    let at = format!("acceptance.{role}");
                    if !ACCEPTING_ROLES.contains(&role.as_str()) {
                        e.push(
                            &at,
                            format!(
                                "{role:?} is not a role that may sign a risk acceptance; use one of: {}",
                                ACCEPTING_ROLES.join(", ")
                            ),
                        );
                        continue;
                    }
                    match int(limit) {
                        Some(0) => {}
                        Some(n) if in_levels(n) => {
                            acceptance.insert(role.clone(), n as u8);
                        }
                        _ => e.push(
                            &at,
                            format!(
                                "{limit} is not a risk level (the highest level this role may accept, or 0 for none)"
                            ),
                        ),
                    }
                }
            }
            Some(_) => e.push("acceptance", "must be an object: role → highest risk level it may accept"),
        }
        if let Some(t) = tolerable
            && e.is_empty()
            && !acceptance.values().any(|l| *l >= t)
        {
            e.push(
                "acceptance",
                format!("no role may accept risks at the tolerable level {t}: give at least one role that limit"),
            );
        }
        e.finish()?;
        Ok(Self {
            likelihood: likelihood.unwrap_or_default(),
            impact_levels: impact_levels.unwrap_or_default(),
            dimensions: dimensions.unwrap_or_default(),
            aggregation: aggregation.unwrap_or(Aggregation::Maximum),
            risk_levels: risk_levels.unwrap_or_default(),
            matrix: matrix.unwrap_or_default(),
            tolerable_level: tolerable.unwrap_or(1),
            acceptance,
        })
    }

    fn parse_dimensions(e: &mut Errors, v: Option<&Value>, impact_count: Option<usize>) -> Option<Vec<Dimension>> {
        let Some(items) = v.and_then(Value::as_array) else {
            e.push("dimensions", "is required: a list of impact dimensions");
            return None;
        };
        if items.is_empty() || items.len() > MAX_DIMENSIONS {
            e.push("dimensions", format!("has {} dimensions; a model has 1 to {MAX_DIMENSIONS}", items.len()));
            return None;
        }
        let mut out = Vec::new();
        let mut keys = BTreeSet::new();
        let mut names = BTreeSet::new();
        let mut ok = true;
        for (n, item) in items.iter().enumerate() {
            let at = format!("dimensions[{n}]");
            let Some(obj) = item.as_object() else {
                e.push(&at, "must be an object with a key, a name and descriptions");
                ok = false;
                continue;
            };
            unknown_keys(e, &at, obj, &["key", "name", "descriptions"]);
            let key = e.take(&format!("{at}.key"), text(obj.get("key")).and_then(|s| parse_dimension_key(&s)));
            if let Some(k) = &key
                && !keys.insert(k.clone())
            {
                e.push(&format!("{at}.key"), format!("{k:?} is the key of another dimension"));
            }
            let name = e.take(&format!("{at}.name"), text(obj.get("name")).and_then(|s| Name::parse(&s)));
            if let Some(nm) = &name
                && !names.insert(enum_key(nm.as_str()))
            {
                e.push(&format!("{at}.name"), format!("{:?} is the name of another dimension", nm.as_str()));
            }
            let mut descriptions = Vec::new();
            match obj.get("descriptions").and_then(Value::as_array) {
                Some(d) if impact_count.is_none_or(|c| c == d.len()) => {
                    for (i, x) in d.iter().enumerate() {
                        let f = format!("{at}.descriptions[{i}]");
                        match text(Some(x)).and_then(|s| Text::parse(&s)) {
                            Ok(t) if t.is_empty() => {
                                e.push(&f, format!("is required: say what impact level {} means here", i + 1));
                                ok = false;
                            }
                            Ok(t) => descriptions.push(t),
                            Err(m) => {
                                e.push(&f, m);
                                ok = false;
                            }
                        }
                    }
                }
                Some(d) => {
                    e.push(
                        &format!("{at}.descriptions"),
                        format!(
                            "has {} descriptions; give one per impact level ({})",
                            d.len(),
                            impact_count.unwrap_or_default()
                        ),
                    );
                    ok = false;
                }
                None => {
                    e.push(&format!("{at}.descriptions"), "is required: one description per impact level");
                    ok = false;
                }
            }
            match (key, name) {
                (Some(key), Some(name)) => out.push(Dimension { key, name, descriptions }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn parse_levels(e: &mut Errors, v: Option<&Value>) -> Option<Vec<RiskLevel>> {
        let Some(items) = v.and_then(Value::as_array) else {
            e.push("risk_levels", format!("is required: a list of {MIN_LEVELS} to {MAX_LEVELS} levels, lowest first"));
            return None;
        };
        if !(MIN_LEVELS..=MAX_LEVELS).contains(&items.len()) {
            e.push("risk_levels", format!("has {} levels; a model has {MIN_LEVELS} to {MAX_LEVELS}", items.len()));
            return None;
        }
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut ok = true;
        for (n, item) in items.iter().enumerate() {
            let at = format!("risk_levels[{n}]");
            let Some(obj) = item.as_object() else {
                e.push(&at, "must be an object with a name, a colour and a description");
                ok = false;
                continue;
            };
            unknown_keys(e, &at, obj, &["name", "colour", "description"]);
            let name = e.take(&format!("{at}.name"), text(obj.get("name")).and_then(|s| Name::parse(&s)));
            if let Some(nm) = &name
                && !seen.insert(enum_key(nm.as_str()))
            {
                e.push(&format!("{at}.name"), format!("{:?} is the name of another level", nm.as_str()));
            }
            let colour = e.take(&format!("{at}.colour"), text(obj.get("colour")).and_then(|s| Colour::parse(&s)));
            let description =
                e.take(&format!("{at}.description"), text(obj.get("description")).and_then(|s| Text::parse(&s)));
            match (name, colour, description) {
                (Some(name), Some(colour), Some(description)) => out.push(RiskLevel { name, colour, description }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn parse_matrix(
        e: &mut Errors,
        v: Option<&Value>,
        rows: Option<usize>,
        cols: Option<usize>,
        levels: Option<usize>,
    ) -> Option<Vec<Vec<u8>>> {
        let Some(items) = v.and_then(Value::as_array) else {
            e.push("matrix", "is required: one row per likelihood level (lowest first), one cell per impact level");
            return None;
        };
        if let Some(r) = rows
            && items.len() != r
        {
            e.push("matrix", format!("has {} rows; the likelihood scale has {r} levels, one row each", items.len()));
            return None;
        }
        let mut out: Vec<Vec<u8>> = Vec::new();
        let mut ok = true;
        for (l, row) in items.iter().enumerate() {
            let Some(cells) = row.as_array() else {
                e.push(&format!("matrix[{l}]"), "must be a list of risk levels, one per impact level");
                ok = false;
                continue;
            };
            if let Some(c) = cols
                && cells.len() != c
            {
                e.push(
                    &format!("matrix[{l}]"),
                    format!("has {} cells; the impact scale has {c} levels, one cell each", cells.len()),
                );
                ok = false;
                continue;
            }
            let mut parsed = Vec::new();
            for (i, cell) in cells.iter().enumerate() {
                match int(cell) {
                    Some(n) if n >= 1 && levels.is_none_or(|c| n <= c as i64) => parsed.push(n as u8),
                    _ => {
                        e.push(
                            &format!("matrix[{l}][{i}]"),
                            format!(
                                "{cell} is not a risk level{}",
                                levels.map(|c| format!(" (1 to {c})")).unwrap_or_default()
                            ),
                        );
                        ok = false;
                    }
                }
            }
            out.push(parsed);
        }
        if !ok {
            return None;
        }
        // Higher likelihood or higher impact never lowers the risk.
        for l in 0..out.len() {
            for i in 0..out[l].len() {
                if i > 0 && out[l][i] < out[l][i - 1] {
                    e.push(
                        &format!("matrix[{l}][{i}]"),
                        format!(
                            "level {} is lower than level {} at a lower impact (matrix[{l}][{}]): the risk level may not fall as impact rises",
                            out[l][i],
                            out[l][i - 1],
                            i - 1
                        ),
                    );
                    ok = false;
                } else if l > 0 && out[l][i] < out[l - 1][i] {
                    e.push(
                        &format!("matrix[{l}][{i}]"),
                        format!(
                            "level {} is lower than level {} at a lower likelihood (matrix[{}][{i}]): the risk level may not fall as likelihood rises",
                            out[l][i],
                            out[l - 1][i],
                            l - 1
                        ),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }
}

fn lvl(name: &str, description: &str) -> ScaleLevel {
    ScaleLevel { name: Name::parse(name).expect("a valid name"), description: Text::parse(description).expect("text") }
}

fn dim(key: &str, name: &str, descriptions: [&str; 5]) -> Dimension {
    Dimension {
        key: key.to_owned(),
        name: Name::parse(name).expect("a valid name"),
        descriptions: descriptions.iter().map(|d| Text::parse(d).expect("text")).collect(),
    }
}

fn risk(name: &str, colour: Colour, description: &str) -> RiskLevel {
    RiskLevel {
        name: Name::parse(name).expect("a valid name"),
        colour,
        description: Text::parse(description).expect("text"),
    }
}

impl Default for RiskModel {
    /// The built-in model for manufacturers' OT (installed as version 1 with the database).
    fn default() -> Self {
        Self {
            likelihood: vec![
                lvl(
                    "Rare",
                    "Not expected during the life of the installation: needs a capable attacker with inside knowledge and privileged or physical access, or several independent failures at once.",
                ),
                lvl(
                    "Unlikely",
                    "Could happen within ten years: needs deliberate effort against an exposed path (vendor remote access, a DMZ service) or a rare error in operation or maintenance.",
                ),
                lvl(
                    "Possible",
                    "Could happen within a few years: a publicly known weakness of reachable equipment, or a common mistake during maintenance or an engineering change, is enough.",
                ),
                lvl(
                    "Likely",
                    "Expected within a year: the entry point is reachable from enterprise IT or the internet, or comparable incidents have hit plants of the sector.",
                ),
                lvl(
                    "Almost certain",
                    "Expected within months or already seen here: commodity malware, automated scanning, or everyday practices (shared accounts, USB transfers) expose the asset.",
                ),
            ],
            impact_levels: vec![
                lvl("Negligible", "Absorbed by normal operation."),
                lvl("Minor", "Noticed and handled by the site within a shift."),
                lvl("Moderate", "Needs management attention and planned recovery at the site."),
                lvl("Major", "Hurts the business or people beyond the site; outside parties involved."),
                lvl("Severe", "Threatens lives, the licence to operate or the company."),
            ],
            dimensions: vec![
                dim(
                    "safety",
                    "Safety of people and the environment",
                    [
                        "No injury and no release to the environment.",
                        "First-aid injury, or a contained minor release without lasting harm.",
                        "Injury needing medical treatment or lost time, or a reportable release cleaned up on site.",
                        "Permanent injury, or a release causing harm outside the site; authorities involved.",
                        "One or more deaths, or a major environmental incident.",
                    ],
                ),
                dim(
                    "production_continuity",
                    "Production continuity",
                    [
                        "No effect on output: redundancy or a manual fallback covers it.",
                        "Degraded operation, or one line stopped for less than an hour.",
                        "A line stopped for up to a shift, or the site degraded for up to a day.",
                        "The site stopped for one to seven days, or customer deliveries missed.",
                        "The site stopped for more than a week, or several sites stopped.",
                    ],
                ),
                dim(
                    "product_quality",
                    "Product quality and regulatory compliance",
                    [
                        "No product affected.",
                        "Product put on hold and released after review; deviation closed on site.",
                        "Batches or lots rejected or reworked; a reportable deviation (GxP, AS9100).",
                        "Non-conforming product shipped and recalled, or a finding by a regulator or certification body.",
                        "Harm to patients or users, or a licence, approval or certification withdrawn.",
                    ],
                ),
                dim(
                    "integrity",
                    "Integrity of data and commands",
                    [
                        "No data or command affected, or errors caught at once by plausibility checks.",
                        "Wrong values in non-critical data, noticed and corrected within a shift.",
                        "Operating or maintenance decisions taken on wrong data; records must be rebuilt.",
                        "Unauthorised commands or setpoints reach controllers, or GxP records lose their integrity.",
                        "Manipulated commands drive equipment outside its safe envelope without being detected.",
                    ],
                ),
                dim(
                    "confidentiality",
                    "Confidentiality",
                    [
                        "Public information only.",
                        "Internal operating data: counts, logs, schedules.",
                        "Process parameters, network designs, or credentials of one system.",
                        "Recipes, formulations, customer designs or export-controlled technical data.",
                        "Core intellectual property, or credentials that give control over several sites.",
                    ],
                ),
                dim(
                    "financial",
                    "Financial and reputational",
                    [
                        "Loss below 10,000 in the company's currency; no outside attention.",
                        "Loss up to 100,000; a customer complaint.",
                        "Loss up to 1 million; local press, or a key customer escalates.",
                        "Loss up to 10 million; national press, contractual penalties, notification to authorities (NIS2).",
                        "Loss above 10 million; international press, major customers or the licence to operate lost.",
                    ],
                ),
            ],
            aggregation: Aggregation::Maximum,
            risk_levels: vec![
                risk("Low", Colour::Green, "Acceptable: keep the controls and review at the planned date."),
                risk(
                    "Medium",
                    Colour::Yellow,
                    "Tolerable: treat where it pays; the risk owner may accept it as an approver.",
                ),
                risk(
                    "High",
                    Colour::Orange,
                    "Not tolerable: treat within the planning cycle; only the ISMS manager may accept it.",
                ),
                risk(
                    "Very high",
                    Colour::Red,
                    "Not acceptable: treat, avoid or share without delay; nobody may accept it as it stands.",
                ),
            ],
            matrix: vec![
                vec![1, 1, 1, 2, 3],
                vec![1, 1, 2, 2, 3],
                vec![1, 2, 2, 3, 3],
                vec![2, 2, 3, 3, 4],
                vec![2, 3, 3, 4, 4],
            ],
            tolerable_level: 2,
            acceptance: [("approver", 2u8), ("isms_manager", 3), ("administrator", 3)]
                .into_iter()
                .map(|(r, l)| (r.to_owned(), l))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(e: &ValidationError) -> Vec<&str> {
        e.errors.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn the_default_model_parses_back_to_itself() {
        let m = RiskModel::default();
        assert_eq!(RiskModel::parse(&m.to_json()).unwrap(), m);
        assert_eq!(m.likelihood_count(), 5);
        assert_eq!(m.impact_count(), 5);
        assert_eq!(m.dimensions.len(), 6);
        assert_eq!(m.level_label(3), "3 High");
    }

    #[test]
    fn a_rating_is_evaluated_by_the_highest_impact_and_the_matrix() {
        let m = RiskModel::default();
        let impacts: BTreeMap<String, u8> = [("safety".to_owned(), 2), ("production_continuity".to_owned(), 4)].into();
        let r = m.evaluate(RatingRef { likelihood: 4, impacts: &impacts }).unwrap();
        assert_eq!(r, Evaluation { impact: 4, level: 3 });
        let mut mean = m.clone();
        mean.aggregation = Aggregation::RoundedMean;
        assert_eq!(mean.evaluate(RatingRef { likelihood: 4, impacts: &impacts }).unwrap().impact, 3);
    }

    #[test]
    fn a_rating_outside_the_model_names_each_bad_part() {
        let m = RiskModel::default();
        let impacts: BTreeMap<String, u8> = [("safety".to_owned(), 6), ("weather".to_owned(), 1)].into();
        let errs = m.evaluate(RatingRef { likelihood: 7, impacts: &impacts }).unwrap_err();
        let names: Vec<&str> = errs.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, ["likelihood", "impacts.safety", "impacts.weather"]);
        assert!(errs[0].1.contains("levels 1 (Rare) to 5 (Almost certain)"), "{errs:?}");
        assert!(errs[2].1.contains("not an impact dimension"), "{errs:?}");
    }

    #[test]
    fn a_matrix_that_does_not_fit_the_scales_is_refused_naming_the_row() {
        let mut v = RiskModel::default().to_json();
        v["matrix"][2] = json!([1, 2, 2, 3]);
        let e = RiskModel::parse(&v).unwrap_err();
        assert_eq!(fields(&e), ["matrix[2]"], "{e:?}");
        let mut v = RiskModel::default().to_json();
        v["matrix"].as_array_mut().unwrap().pop();
        assert_eq!(fields(&RiskModel::parse(&v).unwrap_err()), ["matrix"]);
    }

    #[test]
    fn a_matrix_whose_level_falls_as_likelihood_or_impact_rises_is_refused() {
        let mut v = RiskModel::default().to_json();
        v["matrix"][4][0] = json!(1);
        let e = RiskModel::parse(&v).unwrap_err();
        assert_eq!(fields(&e), ["matrix[4][0]"], "{e:?}");
        assert!(e.errors[0].message.contains("likelihood rises"), "{e:?}");
        let mut v = RiskModel::default().to_json();
        v["matrix"][0][4] = json!(9);
        let e = RiskModel::parse(&v).unwrap_err();
        assert_eq!(fields(&e), ["matrix[0][4]"], "{e:?}");
    }

    #[test]
    fn every_bad_field_of_a_model_is_named() {
        let mut v = RiskModel::default().to_json();
        v["likelihood"][1]["name"] = json!("");
        v["dimensions"][0]["descriptions"] = json!(["only one"]);
        v["dimensions"][2]["key"] = json!("safety");
        v["risk_levels"][0]["colour"] = json!("teal");
        v["tolerable_level"] = json!(7);
        v["acceptance"]["viewer"] = json!(2);
        v["colour"] = json!("x");
        let e = RiskModel::parse(&v).unwrap_err();
        let mut f = fields(&e);
        f.sort();
        assert_eq!(
            f,
            [
                "acceptance.viewer",
                "dimensions[0].descriptions",
                "dimensions[2].key",
                "likelihood[1].name",
                "model.colour",
                "risk_levels[0].colour",
                "tolerable_level"
            ],
            "{e:?}"
        );
    }

    #[test]
    fn nobody_able_to_accept_the_tolerable_level_is_refused() {
        let mut v = RiskModel::default().to_json();
        v["acceptance"] = json!({ "approver": 1 });
        let e = RiskModel::parse(&v).unwrap_err();
        assert_eq!(fields(&e), ["acceptance"], "{e:?}");
    }

    #[test]
    fn a_smaller_model_with_a_rounded_mean_is_accepted() {
        let v = json!({
            "likelihood": [{ "name": "Low" }, { "name": "Medium" }, { "name": "High" }],
            "impact_levels": [{ "name": "Low" }, { "name": "High" }],
            "dimensions": [{ "key": "production", "name": "Production", "descriptions": ["hours", "days"] }],
            "aggregation": "rounded mean",
            "risk_levels": [{ "name": "Acceptable", "colour": "green" }, { "name": "Unacceptable", "colour": "red" }],
            "matrix": [[1, 1], [1, 2], [2, 2]],
            "tolerable_level": 1,
            "acceptance": { "isms_manager": 1 }
        });
        let m = RiskModel::parse(&v).unwrap();
        assert_eq!(m.aggregation, Aggregation::RoundedMean);
        assert_eq!(m.acceptance_limit("approver"), 0);
        assert_eq!(m.acceptance_limit("isms_manager"), 1);
    }
}
