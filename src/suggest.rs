//! "Did you mean" suggestions: the closest names by edit distance.

/// Levenshtein distance between two strings (by characters).
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Up to `n` candidates close to `want` (distance at most a third of its length, at least 2),
/// closest first.
pub fn closest<'a>(
    want: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    let limit = (want.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (distance(want, c), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// The hint after "{kind} {name:?} not found in …" for a git ref: the closest branch or tag
/// names (of the kind asked for; both for a revision expression), else some of the names it
/// has, else that it has none. `owner` names where the refs are (`repository`, `remote`).
pub fn ref_hint(kind: &str, name: &str, branches: &[&str], tags: &[&str], owner: &str) -> String {
    let pool: Vec<&str> = match kind {
        "branch" => branches.to_vec(),
        "tag" => tags.to_vec(),
        _ => branches.iter().chain(tags).copied().collect(),
    };
    let near = closest(name, pool.iter().copied(), 3);
    let plural = if kind == "tag" { "tags" } else { "branches" };
    if !near.is_empty() {
        format!("; closest: {}", near.join(", "))
    } else if pool.is_empty() {
        format!("; the {owner} has no {plural}")
    } else {
        let some: Vec<&str> = pool.iter().take(5).copied().collect();
        format!(
            "; it has: {}{}",
            some.join(", "),
            if pool.len() > 5 { ", …" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(
            closest("mian", ["main", "maint", "release", "dev"], 3),
            vec!["main"]
        );
        assert_eq!(
            closest("relase-1", ["release-1", "release-2", "main"], 3),
            vec!["release-1", "release-2"]
        );
        assert!(closest("zzzzzz", ["main"], 3).is_empty());
    }
}
