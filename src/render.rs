//! Rendering through tera. Built-in templates are embedded; `--templates DIR` adds or replaces
//! files by name. Templates receive already-valid data, and every JSON they produce is parsed back
//! and checked before anyone sees it.

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;
use tera::{Context, Tera};

use crate::embedded;
use crate::error::{Error, Result};

pub struct Renderer {
    templates: Templates,
}

/// Parsing every template costs about 2 ms, longer than the rest of a `generate` run. The
/// built-in templates are tested, so each is parsed the first time it is used. With
/// `--templates DIR` all are parsed at once, into one tera instance: the user's templates are
/// checked before anything runs, and may include or import one another.
enum Templates {
    BuiltIn(Vec<LazyTemplate>),
    Custom(Box<Tera>),
}

struct LazyTemplate {
    name: &'static str,
    text: &'static str,
    parsed: OnceLock<std::result::Result<Tera, String>>,
}

impl LazyTemplate {
    fn tera(&self) -> Result<&Tera> {
        self.parsed
            .get_or_init(|| {
                let mut tera = new_tera();
                tera.add_raw_template(self.name, self.text)
                    .map(|()| tera)
                    .map_err(|error| error_chain(&error))
            })
            .as_ref()
            .map_err(|message| Error::Template {
                template: self.name.into(),
                message: message.clone(),
            })
    }
}

fn new_tera() -> Tera {
    let mut tera = Tera::default();
    tera.autoescape_on(Vec::new());
    crate::iac::register_filters(&mut tera);
    tera
}

fn builtin_templates() -> impl Iterator<Item = (&'static str, &'static str)> {
    embedded::FILES
        .iter()
        .filter_map(|(path, text)| path.strip_prefix("templates/").map(|name| (name, *text)))
}

/// The text tera parses for a built-in template: the compacted copy of a JSON template.
fn text_to_parse(name: &str, text: &'static str) -> &'static str {
    embedded::COMPACT_TEMPLATES
        .iter()
        .find(|(compact_name, _)| *compact_name == name)
        .map_or(text, |(_, compact)| compact)
}

impl Renderer {
    pub fn new(user_dir: Option<&Path>) -> Result<Renderer> {
        let Some(dir) = user_dir else {
            let lazy = builtin_templates()
                .map(|(name, text)| LazyTemplate {
                    name,
                    text: text_to_parse(name, text),
                    parsed: OnceLock::new(),
                })
                .collect();
            return Ok(Renderer {
                templates: Templates::BuiltIn(lazy),
            });
        };
        let mut templates: Vec<(String, String)> = builtin_templates()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect();
        let io = |source| Error::Io {
            action: "cannot read templates folder",
            path: dir.to_path_buf(),
            source,
        };
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .collect::<std::result::Result<_, _>>()
            .map_err(io)?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .filter(|n| n.ends_with(".tera"))
            else {
                continue;
            };
            let bytes = crate::input::read_capped(&path, "cannot read template")?;
            let text = String::from_utf8(bytes).map_err(|_| Error::Template {
                template: path.display().to_string(),
                message: "the file is not valid UTF-8".into(),
            })?;
            templates.retain(|(existing, _)| existing != name);
            templates.push((name.to_string(), text));
        }
        let mut tera = new_tera();
        for (name, text) in &templates {
            tera.add_raw_template(name, text)
                .map_err(|error| Error::Template {
                    template: name.clone(),
                    message: error_chain(&error),
                })?;
        }
        Ok(Renderer {
            templates: Templates::Custom(Box::new(tera)),
        })
    }

    fn tera_for(&self, template: &str) -> Result<&Tera> {
        match &self.templates {
            Templates::Custom(tera) => Ok(tera),
            Templates::BuiltIn(lazy) => lazy
                .iter()
                .find(|candidate| candidate.name == template)
                .ok_or_else(|| Error::Template {
                    template: template.into(),
                    message: "no such template".into(),
                })?
                .tera(),
        }
    }

    pub fn render_text(&self, template: &str, context: &Context) -> Result<String> {
        self.tera_for(template)?
            .render(template, context)
            .map_err(|error| Error::Template {
                template: template.into(),
                message: error_chain(&error),
            })
    }

    /// Renders a policy template and checks that the result is a well-formed IAM policy document.
    pub fn render_policy(&self, template: &str, context: &Context) -> Result<Value> {
        let text = self.render_text(template, context)?;
        let document: Value = serde_json::from_str(&text).map_err(|error| Error::Template {
            template: template.into(),
            message: format!(
                "rendered invalid JSON at line {} column {}: {error}",
                error.line(),
                error.column()
            ),
        })?;
        // A user's template can write a key twice; the parsed document would silently keep one.
        // The built-in templates write each key once.
        if matches!(self.templates, Templates::Custom(_)) {
            if let Some(duplicate) = crate::json_keys::duplicate_keys(&text).first.first() {
                return Err(Error::Template {
                    template: template.into(),
                    message: format!(
                        "rendered `{}` twice in {}",
                        duplicate.key,
                        duplicate.object_name()
                    ),
                });
            }
        }
        check_policy_shape(&document).map_err(|message| Error::Template {
            template: template.into(),
            message: format!("rendered an invalid policy: {message}"),
        })?;
        Ok(document)
    }
}

/// tera nests the real cause several errors deep; show all of them.
fn error_chain(error: &tera::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The minimal grammar every rendered document must satisfy (the linter checks far more).
fn check_policy_shape(document: &Value) -> std::result::Result<(), String> {
    let object = document
        .as_object()
        .ok_or("the document is not a JSON object")?;
    if object.get("Version").and_then(Value::as_str) != Some("2012-10-17") {
        return Err("`Version` must be \"2012-10-17\"".into());
    }
    let statements = object
        .get("Statement")
        .and_then(Value::as_array)
        .ok_or("`Statement` must be an array")?;
    if statements.is_empty() {
        return Err("`Statement` is empty".into());
    }
    for (index, statement) in statements.iter().enumerate() {
        let statement = statement
            .as_object()
            .ok_or(format!("Statement[{index}] is not an object"))?;
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => {
                return Err(format!(
                    "Statement[{index}].Effect must be \"Allow\" or \"Deny\""
                ))
            }
        }
        if !statement.contains_key("Action") && !statement.contains_key("NotAction") {
            return Err(format!("Statement[{index}] has no Action"));
        }
        if let Some(sid) = statement.get("Sid") {
            let valid = sid
                .as_str()
                .is_some_and(|s| s.chars().all(|c| c.is_ascii_alphanumeric()));
            if !valid {
                return Err(format!(
                    "Statement[{index}].Sid may only hold ASCII letters and digits"
                ));
            }
        }
    }
    Ok(())
}
