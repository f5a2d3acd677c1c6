//! Parses the prompt wire format (see `notes/contract.md`, "Prompt wire format"): the task line
//! of the system message, and the user message's `Label: value` fields, `## Section` item lists
//! and the free `## Text` / `## Critique` blocks.

use std::collections::BTreeMap;

use crate::types::{Error, Message, Role};

/// The single-line field labels the wire format defines.
const LABELS: &[&str] = &[
    "Title",
    "Premise",
    "Genre",
    "Tone",
    "Point of view",
    "Tense",
    "Chapters",
    "Chapter number",
    "Chapter title",
    "Word budget",
    "Total words",
];

/// A parsed prompt.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prompt {
    /// The task name, e.g. `outline`.
    pub task: String,
    /// The task version, e.g. 1.
    pub version: u32,
    /// The system message after its task line (free instructions).
    pub instructions: String,
    fields: BTreeMap<String, String>,
    sections: BTreeMap<String, Vec<String>>,
    blocks: BTreeMap<String, String>,
}

/// One `## Characters` item: `<Name> — <role>: <description>`.
#[derive(Debug, Clone, PartialEq)]
pub struct CharacterItem {
    /// The name.
    pub name: String,
    /// The role (may be empty).
    pub role: String,
    /// The description (may be empty).
    pub description: String,
}

/// One `## Places` item: `<Name> — <description>`.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceItem {
    /// The name.
    pub name: String,
    /// The description (may be empty).
    pub description: String,
}

impl Prompt {
    /// Parses a conversation: the first system message's first line is the task; the fields
    /// and sections come from the user messages (joined in order).
    pub fn parse(messages: &[Message]) -> Result<Prompt, Error> {
        let system = messages
            .iter()
            .find(|m| m.role == Role::System)
            .ok_or_else(|| Error::InvalidRequest("no system message".into()))?;
        let (task, version) = parse_task_line(system.content.lines().next().unwrap_or(""))?;
        let user: Vec<&str> = messages
            .iter()
            .filter(|m| m.role == Role::User)
            .map(|m| m.content.as_str())
            .collect();
        let mut prompt = Prompt {
            task,
            version,
            instructions: system
                .content
                .lines()
                .skip(1)
                .collect::<Vec<_>>()
                .join("\n"),
            ..Prompt::default()
        };
        prompt.read_user(&user.join("\n\n"));
        Ok(prompt)
    }

    /// The task as written in the prompt, `name@version`.
    pub fn task_id(&self) -> String {
        format!("{}@{}", self.task, self.version)
    }

    /// A field's trimmed value, if present and not empty.
    pub fn field(&self, label: &str) -> Option<&str> {
        self.fields
            .get(label)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A field parsed as a positive integer (digits, optionally with `,` or `_` separators).
    pub fn number(&self, label: &str) -> Result<Option<u32>, Error> {
        let Some(value) = self.field(label) else {
            return Ok(None);
        };
        let digits: String = value
            .split_whitespace()
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| *c != ',' && *c != '_')
            .collect();
        digits
            .parse::<u32>()
            .map(Some)
            .map_err(|_| Error::InvalidRequest(format!("{label}: not a whole number: {value}")))
    }

    /// The instructions' list items (`- ...` lines), e.g. problems found by automatic checks.
    pub fn instruction_items(&self) -> Vec<&str> {
        self.instructions
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- "))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// A section's items (without the `- `), empty when absent.
    pub fn items(&self, section: &str) -> &[String] {
        self.sections.get(section).map_or(&[], Vec::as_slice)
    }

    /// A free text block (`Text`, `Critique`), trimmed, if present and not empty.
    pub fn block(&self, name: &str) -> Option<&str> {
        self.blocks
            .get(name)
            .map(|b| b.trim())
            .filter(|b| !b.is_empty())
    }

    /// The `## Characters` items.
    pub fn characters(&self) -> Vec<CharacterItem> {
        self.items("Characters")
            .iter()
            .filter_map(|item| {
                let (name, rest) = split_name(item);
                let (role, description) = match rest.split_once(':') {
                    Some((role, description)) => (role.trim(), description.trim()),
                    None => ("", rest.trim()),
                };
                (!name.is_empty()).then(|| CharacterItem {
                    name: name.to_owned(),
                    role: role.to_owned(),
                    description: description.to_owned(),
                })
            })
            .collect()
    }

    /// The `## Places` items.
    pub fn places(&self) -> Vec<PlaceItem> {
        self.items("Places")
            .iter()
            .filter_map(|item| {
                let (name, rest) = split_name(item);
                (!name.is_empty()).then(|| PlaceItem {
                    name: name.to_owned(),
                    description: rest.trim().to_owned(),
                })
            })
            .collect()
    }

    fn read_user(&mut self, user: &str) {
        enum State {
            Top,
            Items(String),
            Block(String),
        }
        let mut state = State::Top;
        for line in user.lines() {
            if let Some(heading) = line.strip_prefix("## ") {
                let heading = heading.trim().to_owned();
                if let State::Block(name) = &state
                    && name == "Text"
                {
                    // `## Text` runs to the end: headings inside a chapter are its text.
                    self.push_block_line(name.clone(), line);
                    continue;
                }
                state = if heading == "Text" || heading == "Critique" {
                    self.blocks.entry(heading.clone()).or_default();
                    State::Block(heading)
                } else {
                    self.sections.entry(heading.clone()).or_default();
                    State::Items(heading)
                };
                continue;
            }
            match &state {
                State::Block(name) => self.push_block_line(name.clone(), line),
                State::Items(name) => {
                    let trimmed = line.trim();
                    if trimmed.is_empty() {
                        state = State::Top;
                    } else if let Some(item) = trimmed.strip_prefix("- ") {
                        self.sections
                            .entry(name.clone())
                            .or_default()
                            .push(item.trim().to_owned());
                    } else if let Some(last) = self
                        .sections
                        .get_mut(name)
                        .and_then(|items| items.last_mut())
                    {
                        // A wrapped item: the line continues the previous one.
                        last.push(' ');
                        last.push_str(trimmed);
                    }
                }
                State::Top => {
                    if let Some((label, value)) = line.split_once(':')
                        && LABELS.contains(&label)
                    {
                        self.fields
                            .insert(label.to_owned(), value.trim().to_owned());
                    }
                }
            }
        }
    }

    fn push_block_line(&mut self, name: String, line: &str) {
        let block = self.blocks.entry(name).or_default();
        block.push_str(line);
        block.push('\n');
    }
}

/// Parses `Task: <name>@<version>`.
fn parse_task_line(line: &str) -> Result<(String, u32), Error> {
    let spec = line
        .trim()
        .strip_prefix("Task:")
        .ok_or_else(|| {
            Error::InvalidRequest(
                "the system message does not start with `Task: <name>@<version>`".into(),
            )
        })?
        .trim();
    let (name, version) = spec
        .split_once('@')
        .ok_or_else(|| Error::InvalidRequest(format!("task without a version: {spec}")))?;
    let version = version
        .trim()
        .parse()
        .map_err(|_| Error::InvalidRequest(format!("task version is not a number: {spec}")))?;
    Ok((name.trim().to_owned(), version))
}

/// Splits `<Name> — <rest>` (also tolerating ` – ` and ` - `); no separator: all name.
fn split_name(item: &str) -> (&str, &str) {
    for separator in [" — ", " – ", " - ", "—"] {
        if let Some((name, rest)) = item.split_once(separator) {
            return (name.trim(), rest.trim());
        }
    }
    (item.trim(), "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(system: &str, user: &str) -> Result<Prompt, Error> {
        Prompt::parse(&[
            Message {
                role: Role::System,
                content: system.into(),
            },
            Message {
                role: Role::User,
                content: user.into(),
            },
        ])
    }

    #[test]
    fn reads_task_fields_sections_and_blocks() {
        let p = prompt(
            "Task: rewrite@1\nWrite well.",
            "Title: The Salt Road\nWord budget: 1,200\nUnknown: x\n\n## Characters\n- Mara Quill — protagonist: a cartographer\n  who lost her map\n- Ivo\n\n## Places\n- The Lantern Archive — a library\n## Critique\nToo repetitive.\n## Text\nFirst line.\n## Not a section\nLast line.",
        )
        .unwrap();
        assert_eq!(p.task_id(), "rewrite@1");
        assert_eq!(p.field("Title"), Some("The Salt Road"));
        assert_eq!(p.number("Word budget").unwrap(), Some(1200));
        assert_eq!(p.field("Unknown"), None);
        let characters = p.characters();
        assert_eq!(characters[0].name, "Mara Quill");
        assert_eq!(characters[0].role, "protagonist");
        assert_eq!(characters[0].description, "a cartographer who lost her map");
        assert_eq!(characters[1].name, "Ivo");
        assert_eq!(p.places()[0].name, "The Lantern Archive");
        assert_eq!(p.block("Critique"), Some("Too repetitive."));
        assert_eq!(
            p.block("Text"),
            Some("First line.\n## Not a section\nLast line.")
        );
    }

    #[test]
    fn a_missing_or_malformed_task_line_is_an_invalid_request() {
        for system in ["Write a chapter.", "Task: chapter", "Task: chapter@one"] {
            assert!(
                matches!(prompt(system, ""), Err(Error::InvalidRequest(_))),
                "{system}"
            );
        }
        assert!(matches!(Prompt::parse(&[]), Err(Error::InvalidRequest(_))));
    }

    #[test]
    fn a_non_numeric_budget_is_an_invalid_request() {
        let p = prompt("Task: chapter@1", "Word budget: lots").unwrap();
        assert!(matches!(
            p.number("Word budget"),
            Err(Error::InvalidRequest(_))
        ));
    }
}
