//! The matcher's scoring model: a softmax over the shortlisted articles and a "none of
//! these" option, linear in the match features ([`crate::matcher::Analysis`]). Sixteen
//! numbers, trained by [`train`] on labelled questions (the dev sets under `kb/`, and what
//! agents teach the bot) and shipped as constants, so nothing is downloaded or trained at
//! start. Because it is trained to say which option is right, its probabilities are
//! calibrated: 0.6 means right about six times in ten, whatever the question's length.

use crate::matcher::Analysis;

/// Features of one (query, article) match: coverage by the best body sentence, coverage, best question share, coverage by the
/// title/questions/tags, coverage by the body, best question overlap (Dice), reciprocal
/// rank, coverage relative to the leader, leader flag, coverage by words the other leading
/// articles lack.
pub const CANDIDATE_FEATURES: usize = 10;
/// Features of the query for the "none" option: bias, leader's coverage, its margin over
/// the runner-up, share of the query the knowledge base does not know, length, names another
/// platform ([`crate::outside`]).
pub const QUERY_FEATURES: usize = 6;

/// The model's weights.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Model {
    pub candidate: [f32; CANDIDATE_FEATURES],
    pub none: [f32; QUERY_FEATURES],
}

impl Default for Model {
    fn default() -> Self {
        Model::shipped()
    }
}

/// What a labelled question's right option is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The article at this index of the matcher.
    Article(usize),
    /// No article answers it.
    None,
}

impl Model {
    /// The weights [`crate::eval::train_model`] gives on the demo knowledge base and every
    /// shipped dev set (`edudesk bot train` prints them).
    pub const fn shipped() -> Model {
        Model { candidate: [2.264, 2.803, 2.613, -0.756, 4.012, -1.287, 1.241, 3.259, -0.465, 1.263], none: [4.269, 1.153, -0.745, 2.915, -0.600, 6.071] }
    }

    /// The linear scores of each shortlisted article and of "none".
    pub fn logits(&self, analysis: &Analysis) -> (Vec<f32>, f32) {
        let candidates = analysis.candidates.iter().map(|(_, x)| dot(&self.candidate, x)).collect();
        (candidates, dot(&self.none, &analysis.query))
    }

    /// The probability of each shortlisted article and of "none", summing to one.
    pub fn probabilities(&self, analysis: &Analysis) -> (Vec<f32>, f32) {
        let (logits, none) = self.logits(analysis);
        softmax(&logits, none)
    }
}

/// Softmax over the articles' scores and "none"'s.
pub fn softmax(logits: &[f32], none: f32) -> (Vec<f32>, f32) {
    let top = logits.iter().copied().fold(none, f32::max);
    let exps: Vec<f32> = logits.iter().map(|l| (l - top).exp()).collect();
    let none = (none - top).exp();
    let total = exps.iter().sum::<f32>() + none;
    (exps.into_iter().map(|e| e / total).collect(), none / total)
}

fn dot<const N: usize>(weights: &[f32; N], features: &[f32; N]) -> f32 {
    weights.iter().zip(features).map(|(w, x)| w * x).sum()
}

/// Trains the model on analysed labelled questions by gradient descent on the log-loss,
/// with a little L2 so rare features do not run away. Questions whose article did not make
/// the shortlist teach nothing (no weight can rank what is not there) and are skipped.
pub fn train(examples: &[(Analysis, Target)], epochs: usize) -> Model {
    const RATE: f32 = 0.5;
    const L2: f32 = 1e-3;
    let usable: Vec<(&Analysis, Option<usize>)> = examples
        .iter()
        .filter_map(|(analysis, target)| match target {
            Target::None => Some((analysis, None)),
            Target::Article(index) => analysis.candidates.iter().position(|(i, _)| i == index).map(|at| (analysis, Some(at))),
        })
        .collect();
    if usable.is_empty() {
        return Model::shipped();
    }
    // A fixed start (coverage and question overlap matter, nothing else known), so the same
    // data always trains the same weights.
    let mut model = Model { candidate: [0.0, 4.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0], none: [1.0, 0.0, 0.0, 0.0, 0.0, 0.0] };
    let scale = 1.0 / usable.len() as f32;
    for _ in 0..epochs {
        let mut candidate_gradient = [0.0f32; CANDIDATE_FEATURES];
        let mut none_gradient = [0.0f32; QUERY_FEATURES];
        for (analysis, right) in &usable {
            let (probabilities, none) = model.probabilities(analysis);
            for (at, ((_, x), p)) in analysis.candidates.iter().zip(&probabilities).enumerate() {
                let error = p - if *right == Some(at) { 1.0 } else { 0.0 };
                for (g, v) in candidate_gradient.iter_mut().zip(x) {
                    *g += error * v;
                }
            }
            let error = none - if right.is_none() { 1.0 } else { 0.0 };
            for (g, v) in none_gradient.iter_mut().zip(&analysis.query) {
                *g += error * v;
            }
        }
        for (w, g) in model.candidate.iter_mut().zip(candidate_gradient) {
            *w -= RATE * (g * scale + L2 * *w);
        }
        for (w, g) in model.none.iter_mut().zip(none_gradient) {
            *w -= RATE * (g * scale + L2 * *w);
        }
    }
    model
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn analysis(candidates: &[[f32; CANDIDATE_FEATURES]], unknown: f32) -> Analysis {
        Analysis { candidates: candidates.iter().enumerate().map(|(i, x)| (i, *x)).collect(), query: [1.0, 0.5, 0.1, unknown, 0.5, 0.0], keys: Vec::new() }
    }

    #[test]
    fn training_learns_which_feature_tells_the_right_option() {
        // The right article is always the one with the high first feature; the question is
        // out of scope when much of it is unknown.
        let mut right = [0.0; CANDIDATE_FEATURES];
        right[0] = 1.0;
        let wrong = [0.2; CANDIDATE_FEATURES];
        let examples = vec![
            (analysis(&[wrong, right], 0.0), Target::Article(1)),
            (analysis(&[right, wrong], 0.1), Target::Article(0)),
            (analysis(&[wrong, wrong], 0.9), Target::None),
            (analysis(&[wrong, right], 0.05), Target::Article(1)),
            (analysis(&[wrong, wrong], 1.0), Target::None),
        ];
        let model = train(&examples, 500);
        let (probabilities, none) = model.probabilities(&analysis(&[wrong, right], 0.0));
        assert!(probabilities[1] > 0.6 && probabilities[1] > probabilities[0], "{probabilities:?}");
        assert!((probabilities.iter().sum::<f32>() + none - 1.0).abs() < 1e-4);
        let (_, none) = model.probabilities(&analysis(&[wrong, wrong], 0.95));
        assert!(none > 0.5, "{none}");
    }
}
