//! Spin's variable templates: literal text with `{{ name }}` expressions, as used by component
//! variables and by manifest strings (Redis addresses and channels, allowed hosts).

use super::name::{NameError, check_name};

/// A template that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A `{{` with no `}}` after it.
    #[error("unmatched `{{{{` in template")]
    Unclosed,
    /// `{{ }}` with nothing inside.
    #[error("empty `{{{{ }}}}` expression in template")]
    EmptyExpression,
    /// The expression is not a valid variable name.
    #[error("invalid expression in template: {0}")]
    InvalidName(#[from] NameError),
}

/// A template refers to a variable that `render`'s lookup does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("undefined variable `{0}`")]
pub struct UndefinedVariable(pub String);

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `{{ name }}` expressions (spaces inside the braces optional) and literal text.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find("{{") {
                Some(0) => {
                    let (expr, after) =
                        rest[2..].split_once("}}").ok_or(TemplateError::Unclosed)?;
                    let name = expr.trim();
                    if name.is_empty() {
                        return Err(TemplateError::EmptyExpression);
                    }
                    check_name(name)?;
                    parts.push(Part::Variable(name.to_owned()));
                    rest = after;
                }
                Some(start) => {
                    parts.push(Part::Literal(rest[..start].to_owned()));
                    rest = &rest[start..];
                }
                None => {
                    parts.push(Part::Literal(rest.to_owned()));
                    rest = "";
                }
            }
        }
        Ok(Template { parts })
    }

    /// Whether the text has `{{` in it, i.e. whether it needs expanding at all.
    pub fn is_template(text: &str) -> bool {
        text.contains("{{")
    }

    /// Expands the template; `lookup` gives a variable's value. Fails on the first name that
    /// `lookup` does not know.
    pub fn render<'a>(
        &self,
        lookup: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<String, UndefinedVariable> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Variable(name) => {
                    out.push_str(lookup(name).ok_or_else(|| UndefinedVariable(name.clone()))?)
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str) -> Result<String, UndefinedVariable> {
        let t = Template::parse(text).unwrap();
        t.render(|name| match name {
            "host" => Some("example.com"),
            "port" => Some("8080"),
            _ => None,
        })
    }

    #[test]
    fn expands_expressions_with_or_without_spaces_among_literals() {
        assert_eq!(render("plain").unwrap(), "plain");
        assert_eq!(render("").unwrap(), "");
        assert_eq!(render("{{host}}").unwrap(), "example.com");
        assert_eq!(
            render("https://{{ host }}:{{port}}/x").unwrap(),
            "https://example.com:8080/x"
        );
        assert_eq!(
            render("{{ host }}{{ host }}").unwrap(),
            "example.comexample.com"
        );
        assert_eq!(render("a }} b").unwrap(), "a }} b");
    }

    #[test]
    fn an_unknown_variable_is_returned_by_name() {
        assert_eq!(
            render("x{{ nope }}"),
            Err(UndefinedVariable("nope".to_owned()))
        );
    }

    #[test]
    fn malformed_templates_are_errors() {
        assert_eq!(
            Template::parse("{{ host }} {{ port"),
            Err(TemplateError::Unclosed)
        );
        assert_eq!(
            Template::parse("{{  }}"),
            Err(TemplateError::EmptyExpression)
        );
        assert!(matches!(
            Template::parse("{{ Host }}"),
            Err(TemplateError::InvalidName(_))
        ));
        assert!(matches!(
            Template::parse("{{ a.b }}"),
            Err(TemplateError::InvalidName(_))
        ));
    }

    #[test]
    fn detects_templates() {
        assert!(Template::is_template("redis://{{ host }}"));
        assert!(!Template::is_template("redis://localhost"));
    }
}
