//! "Did you mean" hints for unknown names.

/// The candidate closest to `input`, if it is close enough to be a likely typo.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(input, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, candidate)| candidate)
}

/// `did you mean `x`?` or a list of what is available.
pub fn hint<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match closest(input, candidates.clone()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => {
            let all: Vec<&str> = candidates.into_iter().collect();
            format!("expected one of: {}", all.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_typos_only() {
        let ids = ["manage-ml-jobs", "manage-models", "s3-bucket-access"];
        assert_eq!(super::closest("manage-ml-job", ids), Some("manage-ml-jobs"));
        assert_eq!(super::closest("zzz", ids), None);
    }
}
