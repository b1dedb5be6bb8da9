//! Compacts a tera template that renders JSON, for the built-in policy templates.
//!
//! tera's parser spends about a thousand instructions on every character of template text,
//! comments and indentation included, and `generate` parses its two policy templates in every
//! run. JSON ignores whitespace between tokens and mlrole parses every rendered policy back
//! into a value, so build.rs embeds a second copy of each built-in `*.json.tera` template with
//! comments and the whitespace outside JSON strings removed; the readable file stays what users
//! see and copy. Tags are kept byte for byte.

/// The template without `{# comments #}` and without whitespace outside JSON strings in its
/// text. A template this cannot read safely (a `raw` block, an unclosed tag) is returned as it
/// is, so that compacting never changes what a template means or which error tera reports.
pub fn compact_json_template(template: &str) -> String {
    if template.contains("raw %}") || template.contains("raw -%}") {
        return template.to_string();
    }
    let mut out = String::with_capacity(template.len());
    let mut text = TextState::default();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let (before, from_brace) = rest.split_at(start);
        let close = match from_brace.as_bytes().get(1) {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => "#}",
            _ => {
                text.push(&mut out, &rest[..start + 1]);
                rest = &rest[start + 1..];
                continue;
            }
        };
        text.push(&mut out, before);
        let Some(end) = from_brace[2..].find(close) else {
            return template.to_string();
        };
        let tag_len = 2 + end + close.len();
        if close != "#}" {
            out.push_str(&from_brace[..tag_len]);
        }
        rest = &from_brace[tag_len..];
    }
    text.push(&mut out, rest);
    out
}

/// Where the template's text stands in the JSON it writes; carried across tags, since a tag
/// may sit inside a string (`"arn:aws:s3:::{{ bucket }}"`).
#[derive(Default)]
struct TextState {
    in_string: bool,
    escaped: bool,
}

impl TextState {
    fn push(&mut self, out: &mut String, text: &str) {
        for c in text.chars() {
            if self.in_string {
                out.push(c);
                if self.escaped {
                    self.escaped = false;
                } else if c == '\\' {
                    self.escaped = true;
                } else if c == '"' {
                    self.in_string = false;
                }
            } else if !c.is_whitespace() {
                out.push(c);
                self.in_string = c == '"';
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::compact_json_template as compact;

    #[test]
    fn drops_comments_and_whitespace_between_tokens() {
        let template = "{#- about -#}\n{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n{%- for s in statements %}\n    {{ s | json_encode() }}{% if not loop.last %},{% endif %}\n{%- endfor %}\n  ]\n}\n";
        assert_eq!(
            compact(template),
            "{\"Version\":\"2012-10-17\",\"Statement\":[{%- for s in statements %}{{ s | json_encode() }}{% if not loop.last %},{% endif %}{%- endfor %}]}"
        );
    }

    #[test]
    fn keeps_strings_and_tags_inside_them() {
        let template = "{ \"a b\": \"x {{ v }} \\\" y\" , \"c\" : \"\\\\\" }";
        assert_eq!(
            compact(template),
            "{\"a b\":\"x {{ v }} \\\" y\",\"c\":\"\\\\\"}"
        );
    }

    #[test]
    fn keeps_tags_byte_for_byte() {
        let template = "[ {{ a  |  default(value = \"x y\") }} , {%  if  b  %} 1 {% endif %} ]";
        assert_eq!(
            compact(template),
            "[{{ a  |  default(value = \"x y\") }},{%  if  b  %}1{% endif %}]"
        );
    }

    #[test]
    fn leaves_what_it_cannot_read_alone() {
        for template in [
            "{ \"a\": {{ value }",
            "{% raw %} {{ x }} {% endraw %}",
            "{# open comment",
        ] {
            assert_eq!(compact(template), template);
        }
    }

    #[test]
    fn single_braces_in_text_are_text() {
        assert_eq!(compact("{ \"a\" : { } }"), "{\"a\":{}}");
    }
}
