//! Catalog strings with named slots: `arn:${partition}:s3:::${buckets}/*`.
//!
//! `${name}` (lower-case letters, digits, `_`) is an mlrole placeholder, filled at compose time.
//! `${ns:key}` and IAM's special `${*}`, `${?}`, `${$}` are IAM policy variables and pass through
//! untouched, so catalogs can use `${sagemaker:DomainId}` or `${aws:PrincipalAccount}` directly.

/// A parsed catalog string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Slot(String),
}

/// The value a slot takes: one string, or one string per list element.
#[derive(Debug, Clone, Copy)]
pub enum SlotValue<'a> {
    One(&'a str),
    Many(&'a [String]),
}

impl Template {
    /// Parses `text`; the error says what is malformed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            literal.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(format!("`${{` without a closing `}}` in `{text}`"));
            };
            let inner = &after[..end];
            if is_slot_name(inner) {
                if !literal.is_empty() {
                    segments.push(Segment::Literal(std::mem::take(&mut literal)));
                }
                segments.push(Segment::Slot(inner.to_string()));
            } else if inner.contains(':') || matches!(inner, "*" | "?" | "$") {
                literal.push_str("${");
                literal.push_str(inner);
                literal.push('}');
            } else {
                return Err(format!(
                    "`${{{inner}}}` is neither an mlrole placeholder (lower-case name) \
                     nor an IAM policy variable (`${{service:key}}`)"
                ));
            }
            rest = &after[end + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() || segments.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        Ok(Self { segments })
    }

    /// The placeholder names used, in order of appearance.
    pub fn slots(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Slot(name) => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// Fills every slot. A list slot repeats the whole string once per value (several list slots
    /// give every combination); an empty list yields no string at all.
    pub fn expand<'a>(&self, lookup: &dyn Fn(&str) -> SlotValue<'a>) -> Vec<String> {
        let mut results = vec![String::new()];
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => results.iter_mut().for_each(|r| r.push_str(text)),
                Segment::Slot(name) => match lookup(name) {
                    SlotValue::One(value) => results.iter_mut().for_each(|r| r.push_str(value)),
                    SlotValue::Many(values) => {
                        results = results
                            .iter()
                            .flat_map(|prefix| values.iter().map(move |v| format!("{prefix}{v}")))
                            .collect();
                    }
                },
            }
        }
        results
    }
}

impl std::fmt::Display for Template {
    /// The string as written in the catalog.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => f.write_str(text)?,
                Segment::Slot(name) => write!(f, "${{{name}}}")?,
            }
        }
        Ok(())
    }
}

fn is_slot_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> SlotValue<'static> {
        static BUCKETS: [String; 0] = [];
        match name {
            "partition" => SlotValue::One("aws"),
            "empty" => SlotValue::Many(&BUCKETS),
            _ => SlotValue::One("?"),
        }
    }

    #[test]
    fn policy_variables_pass_through() {
        let template =
            Template::parse("arn:${partition}:x:::${aws:PrincipalAccount}/${*}").unwrap();
        assert_eq!(template.slots().collect::<Vec<_>>(), vec!["partition"]);
        assert_eq!(
            template.expand(&lookup),
            vec!["arn:aws:x:::${aws:PrincipalAccount}/${*}"]
        );
    }

    #[test]
    fn list_slots_repeat_and_empty_lists_vanish() {
        let values = vec!["a".to_string(), "b".to_string()];
        let template = Template::parse("arn:aws:s3:::${buckets}/*").unwrap();
        let expanded = template.expand(&|_| SlotValue::Many(&values));
        assert_eq!(expanded, vec!["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]);
        assert!(Template::parse("${empty}")
            .unwrap()
            .expand(&lookup)
            .is_empty());
    }

    #[test]
    fn malformed_slots_are_rejected() {
        assert!(Template::parse("arn:${partition").is_err());
        assert!(Template::parse("${Partition}").is_err());
        assert!(Template::parse("${}").is_err());
    }
}
