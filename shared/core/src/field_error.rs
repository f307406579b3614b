//! Where a document (the configuration file, a request body) went wrong,
//! said so a person can find and fix it: the field's path, the item it sits
//! in by its id, the line and column when the YAML text is at hand, and
//! what to do about the usual slip (an id YAML read as a number).

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A value that is not what its field takes.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// `queues[1].priorty`; `.` for the document itself.
    pub path: String,
    /// The item the field sits in, by its id: `queue "general"`.
    pub item: Option<String>,
    /// Line and column in the YAML text (1-based).
    pub line: Option<(usize, usize)>,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path != "." {
            write!(f, "{}", self.path)?;
            if let Some(item) = &self.item {
                write!(f, " ({item})")?;
            }
            if let Some((line, column)) = self.line {
                write!(f, " at line {line} column {column}")?;
            }
            write!(f, ": ")?;
        } else if let Some((line, column)) = self.line {
            write!(f, "line {line} column {column}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(hint) = hint(&self.message) {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

/// What to do about a message's usual cause.
fn hint(message: &str) -> Option<&'static str> {
    (message.contains("invalid type: integer") && message.contains("expected a string")).then_some(
        "write it in quotes (page_id: \"104857600000001\"): YAML reads bare digits as a number, and ids are text",
    )
}

/// `doc` read as `T`, or where and why it is not one.
pub fn from_value<T: DeserializeOwned>(doc: &Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(doc.clone()).map_err(|e| {
        let path = e.path().to_string();
        FieldError {
            item: item_at(doc, &path),
            path,
            line: None,
            message: strip_location(&e.into_inner().to_string()),
        }
    })
}

/// `yaml` read as `T` (through `doc`, the JSON value it states, as the admin
/// API reads it), with the line and column the YAML reader finds for the
/// same slip.
pub fn from_yaml_value<T: DeserializeOwned>(yaml: &str, doc: &Value) -> Result<T, FieldError> {
    from_value(doc).map_err(|mut e| {
        e.line = locate::<T>(yaml, &e);
        e
    })
}

/// Where the YAML reader, reading `T` from the text, stops on the same path.
fn locate<T: DeserializeOwned>(yaml: &str, wanted: &FieldError) -> Option<(usize, usize)> {
    let de = serde_yaml_ng::Deserializer::from_str(yaml);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Err(e) if e.path().to_string() == wanted.path => {
            e.inner().location().map(|l| (l.line(), l.column()))
        }
        _ => None,
    }
}

/// A YAML error read straight from the text (the file's own sections).
pub fn from_yaml<T: DeserializeOwned>(yaml: &str) -> Result<T, FieldError> {
    let de = serde_yaml_ng::Deserializer::from_str(yaml);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let doc = serde_yaml_ng::from_str::<Value>(yaml).unwrap_or_default();
        let inner = e.into_inner();
        FieldError {
            item: item_at(&doc, &path),
            line: inner.location().map(|l| (l.line(), l.column())),
            message: strip_path(&path, &strip_location(&inner.to_string())),
            path,
        }
    })
}

/// serde_yaml's messages start with the path they are about: said once, by us.
fn strip_path(path: &str, message: &str) -> String {
    match message.split_once(": ") {
        Some((p, rest)) if !p.is_empty() && path.starts_with(p) => rest.to_string(),
        _ => message.to_string(),
    }
}

/// serde_yaml's messages end in ` at line L column C`: said once, by us.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message.get(..i).unwrap_or(message).to_string(),
        None => message.to_string(),
    }
}

/// The innermost list item on `path` that has an id, named by its list:
/// `queues[1].priorty` in a document whose second queue is `general` is
/// `queue "general"`.
fn item_at(doc: &Value, path: &str) -> Option<String> {
    let mut here = doc;
    let mut found = None;
    for segment in path.split('.') {
        let (key, indexes) = match segment.find('[') {
            Some(i) => (segment.get(..i)?, segment.get(i..)?),
            None => (segment, ""),
        };
        if !key.is_empty() {
            here = here.get(key)?;
        }
        for ix in indexes
            .split(['[', ']'])
            .filter(|s| !s.is_empty())
            .map(str::parse::<usize>)
        {
            here = here.get(ix.ok()?)?;
            let id = ["id", "page_id", "name"]
                .iter()
                .find_map(|k| here.get(*k).and_then(Value::as_str));
            if let Some(id) = id {
                let kind = key.strip_suffix('s').unwrap_or(key);
                found = Some(format!("{kind} {id:?}"));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Queue {
        id: String,
        #[serde(default)]
        priority: u32,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Workstream {
        id: String,
        pages: Vec<String>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Doc {
        #[serde(default)]
        queues: Vec<Queue>,
        #[serde(default)]
        workstreams: Vec<Workstream>,
    }

    const TYPO: &str =
        "queues:\n  - id: billing\n    priority: 1\n  - id: general\n    priorty: 5\n";

    #[test]
    fn an_unknown_field_names_its_item_and_line() {
        let doc: Value = serde_yaml_ng::from_str(TYPO).unwrap();
        let e = from_yaml_value::<Doc>(TYPO, &doc).unwrap_err();
        assert_eq!(e.path, "queues[1].priorty");
        assert_eq!(e.item.as_deref(), Some("queue \"general\""));
        assert_eq!(e.line.map(|l| l.0), Some(5));
        let said = e.to_string();
        assert!(
            said.starts_with(
                "queues[1].priorty (queue \"general\") at line 5 column 5: unknown field `priorty`"
            ),
            "{said}"
        );
        assert_eq!(from_yaml::<Doc>(TYPO).unwrap_err().to_string(), said);
    }

    #[test]
    fn a_page_id_written_as_a_number_says_to_quote_it() {
        let yaml = "workstreams:\n  - id: support\n    pages: [104857600000001]\n";
        let doc: Value = serde_yaml_ng::from_str(yaml).unwrap();
        let said = from_yaml_value::<Doc>(yaml, &doc).unwrap_err().to_string();
        assert!(
            said.starts_with(
                "workstreams[0].pages[0] (workstream \"support\"): invalid type: integer"
            ),
            "{said}"
        );
        assert!(said.contains("write it in quotes"), "{said}");
    }

    #[test]
    fn a_body_without_text_has_no_line_and_odd_paths_name_no_item() {
        let doc = serde_json::json!({"queues": [{"id": "x", "priority": "high"}]});
        let e = from_value::<Doc>(&doc).unwrap_err();
        assert_eq!(e.line, None);
        assert!(
            e.to_string()
                .starts_with("queues[0].priority (queue \"x\"): invalid type"),
            "{e}"
        );
        assert_eq!(item_at(&doc, "queues[7].id"), None);
        assert_eq!(item_at(&doc, "nothing[x]"), None);
        assert_eq!(item_at(&doc, "."), None);
    }
}
