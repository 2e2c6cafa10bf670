//! Building blocks of the identity forms (login, set-up, account, administration,
//! signatures): inputs with their label, help and error, and the problems of a posted form,
//! each message naming its field.

use c981_domain::ValidationError;
use maud::{Markup, html};

/// What is wrong with a posted form: messages per field, each naming the field ("New
/// password must be at least 12 characters long"), and a banner for the rest.
#[derive(Debug, Clone, Default)]
pub(crate) struct Problems {
    /// `(form field, message)`, in order; a field of `""` names no input of the form.
    pub fields: Vec<(String, String)>,
    pub banner: Option<String>,
}

impl Problems {
    pub fn banner(message: impl Into<String>) -> Self {
        Self { banner: Some(message.into()), ..Self::default() }
    }

    /// One field's problem; `message` is a whole sentence that names the field.
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        let mut p = Self::default();
        p.add(name, message);
        p
    }

    pub fn add(&mut self, name: &str, message: impl Into<String>) {
        self.fields.push((name.to_owned(), message.into()));
    }

    /// The validation errors of a use case. `labels` maps each field the use case names to
    /// the form's field and its label: `(use case field, form field, label)`.
    pub fn from_invalid(v: &ValidationError, labels: &[(&str, &str, &str)]) -> Self {
        let mut p = Self::default();
        for e in &v.errors {
            match labels.iter().find(|(from, _, _)| *from == e.field) {
                Some((from, to, label)) => p.add(to, sentence(label, from, &e.message)),
                None => p.add("", format!("{}: {}", e.field, e.message)),
            }
        }
        p
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.banner.is_none()
    }
}

/// A message of a use case as a sentence that names the field: "is not an e-mail address"
/// becomes "E-mail is not an e-mail address", "this code is not valid" becomes "Code: this
/// code is not valid". A message that already starts with the field's name loses it.
pub(crate) fn sentence(label: &str, field: &str, message: &str) -> String {
    let m = message.trim();
    let m = m.strip_prefix(&format!("{field}: ")).unwrap_or(m);
    let first = m.split_whitespace().next().unwrap_or("");
    if matches!(first, "is" | "must" | "may" | "does" | "has" | "cannot" | "should" | "was") {
        format!("{label} {m}")
    } else {
        format!("{label}: {m}")
    }
}

/// The alert above a form: the banner, then each problem linking to its field.
pub(crate) fn summary(p: &Problems) -> Markup {
    if p.is_empty() {
        return html! {};
    }
    let n = p.fields.len();
    html! {
        div.alert.alert-bad role="alert" {
            @if let Some(b) = &p.banner { p { strong { (b) } } }
            @if n > 0 {
                p { strong { @if n == 1 { "Please correct 1 field." } @else { "Please correct " (n) " fields." } } }
                ul {
                    @for (name, message) in &p.fields {
                        @if name.is_empty() { li { (message) } }
                        @else { li { a href=(format!("#f-{name}")) { (message) } } }
                    }
                }
            }
        }
    }
}

/// A banner only (no field list), for forms whose problems are shown beside their fields.
pub(crate) fn banner(p: &Problems) -> Markup {
    html! {
        @if let Some(b) = &p.banner {
            div.alert.alert-bad role="alert" { p { strong { (b) } } }
        }
    }
}

/// A labelled input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Input<'a> {
    ty: &'a str,
    name: &'a str,
    label: &'a str,
    id: Option<&'a str>,
    value: &'a str,
    autocomplete: Option<&'a str>,
    required: bool,
    help: &'a str,
    mono: bool,
    inputmode: Option<&'a str>,
    maxlength: Option<u32>,
    autofocus: bool,
    pattern: Option<&'a str>,
    range: Option<(i64, i64)>,
}

impl<'a> Input<'a> {
    pub fn new(ty: &'a str, name: &'a str, label: &'a str) -> Self {
        Self {
            ty,
            name,
            label,
            id: None,
            value: "",
            autocomplete: None,
            required: false,
            help: "",
            mono: false,
            inputmode: None,
            maxlength: None,
            autofocus: false,
            pattern: None,
            range: None,
        }
    }

    pub fn id(mut self, id: &'a str) -> Self {
        self.id = Some(id);
        self
    }

    pub fn value(mut self, v: &'a str) -> Self {
        self.value = v;
        self
    }

    pub fn autocomplete(mut self, a: &'a str) -> Self {
        self.autocomplete = Some(a);
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn help(mut self, h: &'a str) -> Self {
        self.help = h;
        self
    }

    pub fn mono(mut self) -> Self {
        self.mono = true;
        self
    }

    pub fn inputmode(mut self, m: &'a str) -> Self {
        self.inputmode = Some(m);
        self
    }

    pub fn maxlength(mut self, n: u32) -> Self {
        self.maxlength = Some(n);
        self
    }

    pub fn autofocus(mut self, on: bool) -> Self {
        self.autofocus = on;
        self
    }

    pub fn pattern(mut self, p: &'a str) -> Self {
        self.pattern = Some(p);
        self
    }

    /// The bounds of a number input.
    pub fn range(mut self, min: i64, max: i64) -> Self {
        self.range = Some((min, max));
        self
    }

    pub fn render(&self, p: &Problems) -> Markup {
        let id = self.id.map_or_else(|| format!("f-{}", self.name), str::to_owned);
        let help_id = format!("{id}-help");
        let err_id = format!("{id}-error");
        let err = p.get(self.name);
        let described: Vec<&str> = [(!self.help.is_empty()).then_some(help_id.as_str()), err.map(|_| err_id.as_str())]
            .into_iter()
            .flatten()
            .collect();
        let described = (!described.is_empty()).then(|| described.join(" "));
        html! {
            div class=(if err.is_some() { "field invalid" } else { "field" }) {
                label for=(id) {
                    (self.label)
                    @if self.required { " " abbr.req title="required" { "*" } }
                }
                input id=(id) type=(self.ty) name=(self.name) value=(self.value) class=[self.mono.then_some("mono")]
                    autocomplete=[self.autocomplete] required[self.required] aria-describedby=[described]
                    aria-invalid=[err.map(|_| "true")] inputmode=[self.inputmode] maxlength=[self.maxlength]
                    pattern=[self.pattern] autofocus[self.autofocus] min=[self.range.map(|r| r.0)] max=[self.range.map(|r| r.1)]
                    spellcheck=[matches!(self.ty, "text" | "email").then_some("false")];
                @if !self.help.is_empty() { p.help id=(help_id) { (self.help) } }
                @if let Some(e) = err { p.field-error id=(err_id) { (e) } }
            }
        }
    }
}

/// A labelled select; `placeholder` adds a first, empty option.
#[allow(clippy::too_many_arguments)]
pub(crate) fn select(
    name: &str,
    id: &str,
    label: &str,
    options: &[(String, String)],
    current: &str,
    placeholder: Option<&str>,
    required: bool,
    help: &str,
    p: &Problems,
) -> Markup {
    let help_id = format!("{id}-help");
    let err_id = format!("{id}-error");
    let err = p.get(name);
    let described: Vec<&str> =
        [(!help.is_empty()).then_some(help_id.as_str()), err.map(|_| err_id.as_str())].into_iter().flatten().collect();
    let described = (!described.is_empty()).then(|| described.join(" "));
    html! {
        div class=(if err.is_some() { "field invalid" } else { "field" }) {
            label for=(id) {
                (label)
                @if required { " " abbr.req title="required" { "*" } }
            }
            select id=(id) name=(name) required[required] aria-describedby=[described] aria-invalid=[err.map(|_| "true")] {
                @if let Some(ph) = placeholder { option value="" selected[current.is_empty()] { (ph) } }
                @for (v, l) in options { option value=(v) selected[v == current] { (l) } }
            }
            @if !help.is_empty() { p.help id=(help_id) { (help) } }
            @if let Some(e) = err { p.field-error id=(err_id) { (e) } }
        }
    }
}

/// A secret shown once (an API token, a one-time link): monospaced, selected whole with
/// one click, labelled for screen readers.
pub(crate) fn secret(label: &str, value: &str) -> Markup {
    html! {
        div.secret-box {
            span.visually-hidden { (label) ": " }
            code.secret { (value) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_their_field() {
        assert_eq!(
            sentence("New password", "password", "password: must be at least 12 characters long (it has 3)"),
            "New password must be at least 12 characters long (it has 3)"
        );
        assert_eq!(sentence("E-mail", "email", "is not an e-mail address"), "E-mail is not an e-mail address");
        assert_eq!(sentence("Code", "code", "this code is not valid"), "Code: this code is not valid");
    }
}
