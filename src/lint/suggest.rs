//! "Did you mean" suggestions for misspelt names.

/// The candidate closest to `input` (case-insensitive), if close enough to be
/// a plausible typo.
pub(crate) fn closest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let needle = input.to_ascii_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for c in candidates {
        let score = strsim::normalized_damerau_levenshtein(&needle, &c.to_ascii_lowercase());
        if best.map_or(true, |(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.filter(|(score, _)| *score >= 0.7).map(|(_, c)| c)
}

/// ` Did you mean `x`?` help text, or a fallback.
pub(crate) fn did_you_mean(suggestion: Option<String>, fallback: &str) -> String {
    match suggestion {
        Some(s) => format!("did you mean `{s}`?"),
        None => fallback.to_string(),
    }
}
