//! Sorting a million ids into natural order (`id_order`) fast: when every id has at most four
//! `/` segments and each position holds only numbers or only text, each id becomes four
//! integers (a number, or the rank of a text among the texts at its place; 0 for a missing
//! segment), compared without touching the strings again. Otherwise each id is taken apart once
//! (`IdKey`). Either way the order is exactly `id_order`'s, ties kept in their first order.

use std::collections::{BTreeSet, HashMap};

use super::IdKey;

/// The most segments an id may have for the packed key.
const WIDTH: usize = 4;

/// The positions that put `ids` in natural id order, stably.
pub fn id_sorted_order<'a>(ids: &[&'a str]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    match packed(ids) {
        Some(keys) => order.sort_by_key(|&i| keys[i]),
        None => {
            let keys: Vec<IdKey<'a>> = ids.iter().map(|id| IdKey::of(id)).collect();
            order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        }
    }
    order
}

/// Each id as `WIDTH` integers ordered as `id_order` orders the ids, if the ids allow it.
fn packed(ids: &[&str]) -> Option<Vec<[u64; WIDTH]>> {
    // Which positions hold numbers and which texts; no position may hold both.
    let mut numeric = [false; WIDTH];
    let mut texts: [BTreeSet<&str>; WIDTH] = Default::default();
    for id in ids {
        for (k, part) in id.split('/').enumerate() {
            if k >= WIDTH {
                return None;
            }
            match part.parse::<u64>() {
                // The number is stored plus one (0 is a missing segment).
                Ok(n) if n < u64::MAX => numeric[k] = true,
                Ok(_) => return None,
                Err(_) => {
                    texts[k].insert(part);
                }
            }
            if numeric[k] && !texts[k].is_empty() {
                return None;
            }
        }
    }
    let ranks: Vec<HashMap<&str, u64>> = texts
        .iter()
        .map(|set| set.iter().zip(1..).map(|(t, r)| (*t, r)).collect())
        .collect();
    Some(
        ids.iter()
            .map(|id| {
                let mut key = [0u64; WIDTH];
                for (k, part) in id.split('/').enumerate() {
                    key[k] = if numeric[k] {
                        part.parse::<u64>().map_or(0, |n| n + 1)
                    } else {
                        ranks[k].get(part).copied().unwrap_or(0)
                    };
                }
                key
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::id_order;

    fn by_id_order(ids: &[&str]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by(|&a, &b| id_order(ids[a], ids[b]));
        order
    }

    #[test]
    fn packed_and_taken_apart_both_order_as_id_order() {
        let mut ids: Vec<String> = Vec::new();
        for n in 0..400u32 {
            let seq = (n * 7919) % 401;
            ids.push(format!("cq-{}/a{}/{seq}", n % 3, n % 12));
            // Shorter ids, equal numbers spelled apart, a text id.
            if n % 50 == 0 {
                ids.push(format!("cq-{}/a{}", n % 3, n % 12));
                ids.push(format!("cq-{}/a{}/0{seq}", n % 3, n % 12));
            }
        }
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert!(packed(&refs).is_some());
        assert_eq!(id_sorted_order(&refs), by_id_order(&refs));
        // A position holding numbers and texts, and too many segments: taken apart instead.
        for odd in ["cq-1/a3/x", "cq-1/a3/1/2/3"] {
            let mut mixed = refs.clone();
            mixed.push(odd);
            assert!(packed(&mixed).is_none(), "{odd}");
            assert_eq!(id_sorted_order(&mixed), by_id_order(&mixed), "{odd}");
        }
    }
}
