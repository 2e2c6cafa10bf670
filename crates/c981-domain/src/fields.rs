//! Field descriptions: one table per entity that the forms, the list columns, the filters and
//! the OpenAPI schemas are all generated from, so the four never drift apart. A test checks
//! that each table names exactly the fields of the entity's input.

use crate::entity::EntityKind;

/// The shape of a field, as a form and a schema see it.
#[derive(Debug, Clone, Copy)]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    /// One of a closed set: `(value, label)` pairs.
    Choice(fn() -> Vec<(&'static str, &'static str)>),
    /// Several of a closed set.
    MultiChoice(fn() -> Vec<(&'static str, &'static str)>),
    /// Yes or no.
    Bool,
    /// A list of short texts (addresses, protocols, tags), comma-separated in forms.
    List,
    /// A whole number.
    Int,
    /// A calendar date.
    Date,
    /// A date and time (RFC 3339).
    DateTime,
    /// The id of another entity of the same site.
    Ref(EntityKind),
    /// The ids of several entities of the same site.
    RefList(EntityKind),
    /// A security level vector over the 7 FRs.
    SlVector,
    /// Impact levels per dimension of the risk model: a JSON object `{"safety": 4}`.
    Impacts,
    /// The actions of a risk treatment plan: a JSON array of objects.
    Plan,
}

/// One field of an entity's input.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    /// Shown as a column in list pages.
    pub column: bool,
    pub help: &'static str,
    /// Computed by the application (shown, never edited; a value sent is replaced).
    pub computed: bool,
}

impl FieldSpec {
    pub const fn new(name: &'static str, label: &'static str, kind: FieldKind) -> Self {
        Self { name, label, kind, required: false, column: false, help: "", computed: false }
    }

    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub const fn column(mut self) -> Self {
        self.column = true;
        self
    }

    pub const fn help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }

    pub const fn computed(mut self) -> Self {
        self.computed = true;
        self
    }
}

/// `(value, label)` pairs of a string enum, for [`FieldKind::Choice`].
#[macro_export]
macro_rules! choices {
    ($t:ty) => {
        || <$t>::ALL.iter().map(|v| (v.as_str(), v.label())).collect()
    };
}
