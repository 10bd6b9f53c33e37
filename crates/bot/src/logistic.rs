//! A logistic model over sparse text features and a few dense ones, trained by stochastic
//! gradient descent on the log-loss. The learned readings of a message — is the learner upset
//! ([`crate::mood`]), do they ask for a person ([`crate::request`]) — are both this model
//! over different features; it trains in milliseconds from labelled lines, so nothing is
//! downloaded.

use std::collections::HashMap;

use crate::normalize::is_cjk;

/// One labelled line as the model sees it.
pub struct Example {
    /// Sparse feature keys ([`sparse`]).
    pub keys: Vec<String>,
    /// Dense features (the hand-written readings), always the same number.
    pub dense: Vec<f32>,
    /// 1 for yes, 0 for no.
    pub label: f32,
    /// How much the line counts.
    pub importance: f32,
}

/// How a model trains.
#[derive(Debug, Clone, Copy)]
pub struct Training {
    pub epochs: usize,
    pub rate: f32,
    pub l2: f32,
    /// Visit the examples in a new order each pass (the same orders every time, so the same
    /// data still gives the same model). In file order, the lines read last — for the
    /// frustration model, hundreds of calm questions — pull every pass's end towards them.
    pub shuffle: bool,
}

/// The trained weights.
#[derive(Debug, Clone, Default)]
pub struct Logistic {
    weights: HashMap<String, f32>,
    dense_weights: Vec<f32>,
    bias: f32,
}

/// The sparse features of a message: characters and character pairs of Chinese, English
/// words and word pairs, and how it is typed (capitals, repeated marks, emoji).
pub fn sparse(raw: &str, normalized: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = normalized.chars().filter(|c| !c.is_whitespace()).collect();
    for (i, c) in chars.iter().enumerate() {
        if is_cjk(*c) || "!?？！…~".contains(*c) {
            out.push(format!("c{c}"));
            if let Some(next) = chars.get(i + 1) {
                out.push(format!("b{c}{next}"));
            }
        }
    }
    let words: Vec<&str> = normalized.split(|c: char| !c.is_ascii_alphanumeric() && c != '\'').filter(|w| !w.is_empty()).collect();
    for (i, word) in words.iter().enumerate() {
        out.push(format!("w{word}"));
        if let Some(next) = words.get(i + 1) {
            out.push(format!("p{word} {next}"));
        }
    }
    let letters = raw.chars().filter(char::is_ascii_alphabetic).count();
    let capitals = raw.chars().filter(char::is_ascii_uppercase).count();
    if letters >= 8 && capitals * 2 > letters {
        out.push("#caps".into());
    }
    if raw.contains("!!") || raw.contains("！！") {
        out.push("#bangs".into());
    }
    if raw.contains("??") || raw.contains("？？") {
        out.push("#questions".into());
    }
    if raw.chars().any(|c| matches!(c as u32, 0x1F300..=0x1FAFF | 0x2600..=0x27BF)) {
        out.push("#emoji".into());
    }
    out.sort();
    out.dedup();
    out
}

/// Sparse evidence is scaled by one over the square root of its count, so a long message
/// does not outvote a short one by length alone.
fn scale_of(keys: usize) -> f32 {
    1.0 / (keys.max(1) as f32).sqrt()
}

impl Logistic {
    /// Trains on `examples`, in file order or shuffled with a fixed seed: the same data gives
    /// the same model.
    pub fn train(examples: &[Example], training: Training) -> Logistic {
        let dense_len = examples.first().map_or(0, |e| e.dense.len());
        // Features become indexes once, so the passes below are plain arithmetic.
        let mut vocabulary: HashMap<String, usize> = HashMap::new();
        let prepared: Vec<Vec<usize>> = examples
            .iter()
            .map(|example| {
                example
                    .keys
                    .iter()
                    .map(|key| {
                        let next = vocabulary.len();
                        *vocabulary.entry(key.clone()).or_insert(next)
                    })
                    .collect()
            })
            .collect();
        let mut weights = vec![0.0f32; vocabulary.len()];
        let mut dense_weights = vec![0.0f32; dense_len];
        let mut bias = 0.0f32;
        let mut order: Vec<usize> = (0..examples.len()).collect();
        // Fisher–Yates with xorshift64 from a fixed seed: no random-number crate, and no run
        // differs from another.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..training.epochs {
            if training.shuffle {
                for i in (1..order.len()).rev() {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let j = usize::try_from(state % (i as u64 + 1)).unwrap_or(i);
                    order.swap(i, j);
                }
            }
            for &index in &order {
                let (example, keys) = (&examples[index], &prepared[index]);
                let scale = scale_of(keys.len());
                let dense: f32 = dense_weights.iter().zip(&example.dense).map(|(w, x)| w * x).sum();
                let z = bias + dense + keys.iter().map(|k| weights[*k]).sum::<f32>() * scale;
                let p = 1.0 / (1.0 + (-z).exp());
                let error = (p - example.label) * example.importance;
                for key in keys {
                    let weight = &mut weights[*key];
                    *weight -= training.rate * (error * scale + training.l2 * *weight);
                }
                for (weight, x) in dense_weights.iter_mut().zip(&example.dense) {
                    *weight -= training.rate * error * x;
                }
                bias -= training.rate * error;
            }
        }
        Logistic { weights: vocabulary.into_iter().map(|(key, index)| (key, weights[index])).collect(), dense_weights, bias }
    }

    /// The probability of "yes" for a line with these features.
    pub fn probability(&self, keys: &[String], dense: &[f32]) -> f32 {
        let scale = scale_of(keys.len());
        let sparse: f32 = keys.iter().filter_map(|k| self.weights.get(k)).sum::<f32>() * scale;
        let dense: f32 = self.dense_weights.iter().zip(dense).map(|(w, x)| w * x).sum();
        let z = self.bias + dense + sparse;
        1.0 / (1.0 + (-z).exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples() -> Vec<Example> {
        let line = |text: &str, label: f32| Example { keys: sparse(text, text), dense: vec![], label, importance: 1.0 };
        vec![line("太慢了！！", 1.0), line("请问怎么退款", 0.0), line("垃圾平台", 1.0), line("谢谢", 0.0), line("气死了", 1.0), line("在哪下载", 0.0)]
    }

    #[test]
    fn shuffled_training_gives_the_same_model_every_time() {
        let training = Training { epochs: 20, rate: 0.2, l2: 1e-4, shuffle: true };
        let (first, second) = (Logistic::train(&examples(), training), Logistic::train(&examples(), training));
        let keys = sparse("太慢了，垃圾", "太慢了，垃圾");
        assert_eq!(first.probability(&keys, &[]).to_bits(), second.probability(&keys, &[]).to_bits());
        assert!(first.probability(&keys, &[]) > 0.5);
        // The order is not the file order: the same data in file order trains another model.
        let in_order = Logistic::train(&examples(), Training { shuffle: false, ..training });
        assert_ne!(first.probability(&keys, &[]).to_bits(), in_order.probability(&keys, &[]).to_bits());
    }
}
