//! Groups short texts by similarity (shared words and character pairs, Jaccard), so the
//! questions nobody could answer show up as topics — "articles to write" — rather than as a
//! long list of near-duplicates.

use std::collections::HashSet;

use crate::features::{Kind, features};
use crate::normalize::normalize;

fn keys(text: &str) -> HashSet<String> {
    features(&normalize(text)).into_iter().filter(|f| matches!(f.kind, Kind::Word | Kind::Bigram)).map(|f| f.key).collect()
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    let shared = a.intersection(b).count();
    let union = a.len() + b.len() - shared;
    if union == 0 { 0.0 } else { shared as f32 / union as f32 }
}

/// Groups `texts` (indexes into it), largest group first: each text joins the first group
/// whose members it resembles on average at least `threshold`, else starts its own.
pub fn group(texts: &[&str], threshold: f32) -> Vec<Vec<usize>> {
    let keyed: Vec<HashSet<String>> = texts.iter().map(|text| keys(text)).collect();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (index, these) in keyed.iter().enumerate() {
        if these.is_empty() {
            continue;
        }
        let home = groups.iter_mut().find(|members| {
            let similarity: f32 = members.iter().map(|m| jaccard(these, &keyed[*m])).sum::<f32>() / members.len() as f32;
            similarity >= threshold
        });
        match home {
            Some(members) => members.push(index),
            None => groups.push(vec![index]),
        }
    }
    groups.sort_by_key(|members| std::cmp::Reverse(members.len()));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_duplicates_group_and_other_topics_do_not() {
        let texts = ["怎么开发票给公司", "公司发票怎么开", "发票抬头写公司", "能不能用花呗分期", "花呗分期可以吗", "how do I get an invoice"];
        let groups = group(&texts, 0.2);
        assert_eq!(groups[0].len(), 3, "{groups:?}");
        assert!(groups[0].iter().all(|i| texts[*i].contains("发票")), "{groups:?}");
        assert!(groups.iter().any(|g| g.len() == 2 && g.iter().all(|i| texts[*i].contains("花呗"))), "{groups:?}");
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), texts.len());
    }
}
