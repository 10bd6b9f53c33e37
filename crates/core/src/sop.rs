//! SOPs (standard operating procedures) as data, and the runner that walks a conversation
//! through one.
//!
//! A SOP is a list of steps: `say` (a script with variables), `ask` (typed questions:
//! choice, text, yes/no), `branch` (jump by the answers), `self_help` (articles or guided
//! steps to send), `escalate` (to a tier, with the answers as the note) and `follow_up`
//! (a check-back some hours after the conversation is resolved). Steps run in order unless
//! a step names its `next` or a branch jumps. A `mandatory` step must be completed before
//! the conversation may be escalated or resolved.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

/// Text in Chinese and English (a plain string is used for both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Localized {
    One(String),
    Both { zh: String, en: String },
}

impl Localized {
    pub fn get(&self, lang: &str) -> &str {
        match self {
            Localized::One(text) => text,
            Localized::Both { zh, en } => {
                if lang.starts_with("zh") {
                    zh
                } else {
                    en
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Say,
    Ask,
    Branch,
    SelfHelp,
    Escalate,
    FollowUp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Choice,
    Text,
    YesNo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: QuestionKind,
    pub label: Localized,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default = "yes")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

/// A branch rule: when the answer to `question` is one of `any_of`, go to `goto`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub question: String,
    pub any_of: Vec<String>,
    pub goto: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub kind: StepKind,
    pub title: Localized,
    #[serde(default)]
    pub mandatory: bool,
    /// `say`: the script, with `{{learner.name}}` and `{{agent.name}}`; `follow_up`: the task.
    pub text: Option<Localized>,
    /// `ask`
    #[serde(default)]
    pub questions: Vec<Question>,
    /// `branch`: rules in order, then `default`.
    #[serde(default)]
    pub rules: Vec<Rule>,
    pub default: Option<String>,
    /// `self_help`: knowledge-base article ids and guided steps to send.
    #[serde(default)]
    pub articles: Vec<String>,
    #[serde(default)]
    pub guide: Vec<Localized>,
    /// `escalate`
    pub to_tier: Option<i64>,
    /// `follow_up`: hours after the conversation is resolved; also the message to the learner.
    pub due_in_hours: Option<i64>,
    pub message: Option<Localized>,
    /// The step after this one (default: the next in the list; none after escalate/follow_up ends).
    pub next: Option<String>,
}

/// A SOP definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sop {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub title: Localized,
    /// Categories it is chosen for by default.
    #[serde(default)]
    pub categories: Vec<String>,
    pub steps: Vec<Step>,
}

/// How far a conversation got in its SOP.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub step: Option<String>,
    pub answers: BTreeMap<String, String>,
    pub completed: Vec<String>,
    pub visited: Vec<String>,
}

/// What advancing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advance {
    /// Now at this step.
    Moved(String),
    /// Escalate to this tier now; the SOP continues there.
    Escalate { to_tier: i64 },
    /// No more steps.
    Finished,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SopError {
    #[error("the SOP is invalid: {0}")]
    Invalid(String),
    #[error("{0}")]
    BadAnswer(String),
    #[error("finish these first: {}", .0.join(", "))]
    Missing(Vec<String>),
    #[error("the SOP has no more steps")]
    Finished,
}

impl Sop {
    /// Every question of every step, in order.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.steps.iter().flat_map(|step| step.questions.iter())
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|step| step.id == id)
    }

    /// Checks ids, references and what each kind of step needs.
    pub fn validate(&self) -> Result<(), SopError> {
        let invalid = |why: String| Err(SopError::Invalid(why));
        if self.id.is_empty() || !self.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return invalid(format!("id '{}' must be letters, digits, - or _", self.id));
        }
        if self.steps.is_empty() {
            return invalid("it has no steps".to_owned());
        }
        let mut ids = HashSet::new();
        let mut questions = HashSet::new();
        for step in &self.steps {
            if !ids.insert(step.id.as_str()) {
                return invalid(format!("step id '{}' is used twice", step.id));
            }
            for question in &step.questions {
                if !questions.insert(question.id.as_str()) {
                    return invalid(format!("question id '{}' is used twice", question.id));
                }
                if question.kind == QuestionKind::Choice && question.options.is_empty() {
                    return invalid(format!("choice question '{}' has no options", question.id));
                }
            }
            let needs = match step.kind {
                StepKind::Say => step.text.is_none().then_some("a text"),
                StepKind::Ask => step.questions.is_empty().then_some("questions"),
                StepKind::Branch => (step.rules.is_empty() || step.default.is_none()).then_some("rules and a default"),
                StepKind::SelfHelp => (step.articles.is_empty() && step.guide.is_empty()).then_some("articles or guide steps"),
                StepKind::Escalate => (!matches!(step.to_tier, Some(1..=3))).then_some("to_tier 1, 2 or 3"),
                StepKind::FollowUp => (!matches!(step.due_in_hours, Some(1..=720)) || step.text.is_none()).then_some("due_in_hours (1 to 720) and a text"),
            };
            if let Some(needs) = needs {
                return invalid(format!("step '{}' needs {needs}", step.id));
            }
        }
        for step in &self.steps {
            let targets = step.rules.iter().map(|rule| &rule.goto).chain(step.default.iter()).chain(step.next.iter());
            for target in targets {
                if !ids.contains(target.as_str()) {
                    return invalid(format!("step '{}' goes to unknown step '{target}'", step.id));
                }
            }
            for rule in &step.rules {
                if !questions.contains(rule.question.as_str()) {
                    return invalid(format!("step '{}' branches on unknown question '{}'", step.id, rule.question));
                }
            }
        }
        // Branches decide at once, one after another: a loop of branches would never end.
        for start in self.steps.iter().filter(|step| step.kind == StepKind::Branch) {
            let mut seen = HashSet::new();
            let mut stack = vec![start];
            while let Some(branch) = stack.pop() {
                if !seen.insert(branch.id.as_str()) {
                    if branch.id == start.id {
                        return invalid(format!("branch step '{}' leads back to itself through branches only", start.id));
                    }
                    continue;
                }
                let targets = branch.rules.iter().map(|rule| &rule.goto).chain(branch.default.iter());
                stack.extend(targets.filter_map(|id| self.step(id)).filter(|step| step.kind == StepKind::Branch));
            }
        }
        Ok(())
    }

    /// A run offered by the conversation's category: at the first step, but not binding
    /// until someone works it ([`Sop::engage`]); until then nothing is missing.
    pub fn offer(&self) -> Progress {
        Progress { step: self.steps.first().map(|step| step.id.clone()), ..Progress::default() }
    }

    /// Someone works the SOP: its current step now counts (and its mandatory steps bind).
    pub fn engage(&self, progress: &mut Progress) {
        if let Some(step) = &progress.step
            && !progress.visited.contains(step)
        {
            progress.visited.push(step.clone());
        }
    }

    /// A fresh run, at the first step, binding at once (an agent chose it).
    pub fn start(&self) -> Progress {
        let first = self.steps.first().map(|step| step.id.clone());
        Progress { visited: first.iter().cloned().collect(), step: first, ..Progress::default() }
    }

    fn question(&self, id: &str) -> Option<&Question> {
        self.steps.iter().flat_map(|step| &step.questions).find(|question| question.id == id)
    }

    /// Records typed answers (any question of the SOP; later answers replace earlier ones).
    pub fn answer(&self, progress: &mut Progress, answers: &BTreeMap<String, String>) -> Result<(), SopError> {
        for (id, value) in answers {
            let question = self.question(id).ok_or_else(|| SopError::BadAnswer(format!("there is no question '{id}' in this SOP")))?;
            let value = value.trim();
            let valid = match question.kind {
                QuestionKind::Choice => question.options.iter().any(|option| option == value),
                QuestionKind::YesNo => matches!(value, "yes" | "no"),
                QuestionKind::Text => !value.is_empty() && value.chars().count() <= 500,
            };
            if !valid {
                let expected = match question.kind {
                    QuestionKind::Choice => format!("one of: {}", question.options.join(", ")),
                    QuestionKind::YesNo => "yes or no".to_owned(),
                    QuestionKind::Text => "1 to 500 characters".to_owned(),
                };
                return Err(SopError::BadAnswer(format!("{id}: expected {expected}")));
            }
        }
        for (id, value) in answers {
            progress.answers.insert(id.clone(), value.trim().to_owned());
        }
        Ok(())
    }

    /// What a step still needs before it counts as done (question ids, or the step id).
    fn unfinished(&self, step: &Step, progress: &Progress) -> Vec<String> {
        match step.kind {
            StepKind::Ask => {
                step.questions.iter().filter(|q| q.required && !progress.answers.contains_key(&q.id)).map(|q| format!("{}.{}", step.id, q.id)).collect()
            }
            _ if progress.completed.contains(&step.id) => Vec::new(),
            _ => vec![step.id.clone()],
        }
    }

    /// Mandatory work reached and not done: blocks escalation and resolution.
    pub fn missing(&self, progress: &Progress) -> Vec<String> {
        progress
            .visited
            .iter()
            .filter_map(|id| self.step(id))
            .filter(|step| step.mandatory && matches!(step.kind, StepKind::Say | StepKind::Ask | StepKind::SelfHelp))
            .flat_map(|step| self.unfinished(step, progress))
            .collect()
    }

    /// What must be done before the conversation leaves for another tier, whether or not
    /// anyone has worked the SOP yet (an offered SOP binds here too): the mandatory work
    /// already reached, plus every mandatory question on the SOP's path up to its hand-over
    /// step. The path follows branches as far as the answers decide them.
    pub fn missing_before_escalation(&self, progress: &Progress) -> Vec<String> {
        let mut missing = self.missing(progress);
        let mut seen = HashSet::new();
        let mut step = self.steps.first();
        while let Some(current) = step {
            if !seen.insert(current.id.as_str()) {
                break;
            }
            step = match current.kind {
                StepKind::Escalate => break,
                StepKind::Branch => {
                    let chosen = current
                        .rules
                        .iter()
                        .find(|rule| progress.answers.get(&rule.question).is_some_and(|answer| rule.any_of.iter().any(|option| option == answer)))
                        .map(|rule| &rule.goto);
                    let decided = chosen.is_some() || current.rules.iter().all(|rule| progress.answers.contains_key(&rule.question));
                    if !decided {
                        break;
                    }
                    chosen.or(current.default.as_ref()).and_then(|id| self.step(id))
                }
                _ => {
                    if current.mandatory && current.kind == StepKind::Ask {
                        for item in self.unfinished(current, progress) {
                            if !missing.contains(&item) {
                                missing.push(item);
                            }
                        }
                    }
                    self.following(current)
                }
            };
        }
        missing
    }

    fn following(&self, step: &Step) -> Option<&Step> {
        if let Some(next) = &step.next {
            return self.step(next);
        }
        if matches!(step.kind, StepKind::Escalate | StepKind::FollowUp) {
            return None;
        }
        let index = self.steps.iter().position(|candidate| candidate.id == step.id)?;
        self.steps.get(index + 1)
    }

    /// Completes the current step and moves on; branches decide at once.
    pub fn advance(&self, progress: &mut Progress) -> Result<Advance, SopError> {
        self.engage(progress);
        let current = progress.step.as_deref().and_then(|id| self.step(id)).ok_or(SopError::Finished)?;
        if current.kind == StepKind::Ask {
            let unfinished = self.unfinished(current, progress);
            if !unfinished.is_empty() {
                return Err(SopError::Missing(unfinished));
            }
        }
        if !progress.completed.contains(&current.id) {
            progress.completed.push(current.id.clone());
        }
        if current.kind == StepKind::Escalate {
            let missing = self.missing(progress);
            if !missing.is_empty() {
                return Err(SopError::Missing(missing));
            }
            let to_tier = current.to_tier.unwrap_or(2);
            progress.step = self.following(current).map(|step| step.id.clone());
            if let Some(step) = &progress.step {
                progress.visited.push(step.clone());
            }
            return Ok(Advance::Escalate { to_tier });
        }
        let mut next = self.following(current);
        // Branches are decided as soon as they are reached (validation refuses loops of
        // branches; the bound guards definitions that were never validated).
        let mut hops = 0;
        while let Some(branch) = next.filter(|step| step.kind == StepKind::Branch) {
            hops += 1;
            if hops > self.steps.len() {
                return Err(SopError::Invalid(format!("branch step '{}' loops", branch.id)));
            }
            progress.visited.push(branch.id.clone());
            progress.completed.push(branch.id.clone());
            let target = branch
                .rules
                .iter()
                .find(|rule| progress.answers.get(&rule.question).is_some_and(|answer| rule.any_of.iter().any(|option| option == answer)))
                .map(|rule| &rule.goto)
                .or(branch.default.as_ref());
            next = target.and_then(|id| self.step(id));
        }
        match next {
            Some(step) => {
                progress.step = Some(step.id.clone());
                progress.visited.push(step.id.clone());
                Ok(Advance::Moved(step.id.clone()))
            }
            None => {
                progress.step = None;
                Ok(Advance::Finished)
            }
        }
    }

    /// The follow-up step, if the SOP has one (scheduled when the conversation is resolved).
    pub fn follow_up(&self) -> Option<&Step> {
        self.steps.iter().find(|step| step.kind == StepKind::FollowUp)
    }
}

/// Fills `{{learner.name}}` and `{{agent.name}}` in a script.
pub fn render(script: &str, learner_name: &str, agent_name: &str) -> String {
    script.replace("{{learner.name}}", learner_name).replace("{{agent.name}}", agent_name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SHIPPED: [&str; 5] = [
        include_str!("../../server/sops/video-playback.toml"),
        include_str!("../../server/sops/login-failure.toml"),
        include_str!("../../server/sops/payment-failed.toml"),
        include_str!("../../server/sops/refund-request.toml"),
        include_str!("../../server/sops/coupon-not-applicable.toml"),
    ];

    fn video() -> Sop {
        toml::from_str(SHIPPED[0]).unwrap()
    }

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_shipped_sops_are_valid() {
        for text in SHIPPED {
            let sop: Sop = toml::from_str(text).unwrap();
            sop.validate().unwrap_or_else(|error| panic!("{}: {error}", sop.id));
            assert!(sop.follow_up().is_some(), "{} follows up", sop.id);
        }
    }

    #[test]
    fn video_sop_guides_self_help_when_every_video_fails() {
        let sop = video();
        let mut run = sop.start();
        assert_eq!(run.step.as_deref(), Some("empathise"));
        assert_eq!(sop.missing(&run), ["empathise"]);
        assert_eq!(sop.advance(&mut run), Ok(Advance::Moved("questions".into())));
        assert_eq!(
            sop.advance(&mut run),
            Err(SopError::Missing(vec![
                "questions.device".into(),
                "questions.network".into(),
                "questions.browser".into(),
                "questions.other_videos_play".into()
            ]))
        );
        sop.answer(&mut run, &answers(&[("device", "phone"), ("network", "mobile"), ("browser", "Safari 17"), ("other_videos_play", "no")])).unwrap();
        assert_eq!(sop.advance(&mut run), Ok(Advance::Moved("self-help".into())));
        assert_eq!(sop.missing(&run), ["self-help"]);
        assert_eq!(sop.advance(&mut run), Ok(Advance::Moved("follow-up".into())));
        assert!(sop.missing(&run).is_empty());
    }

    #[test]
    fn an_offered_sop_still_requires_its_mandatory_answers_before_escalation() {
        let sop = video();
        let offered = sop.offer();
        assert!(sop.missing(&offered).is_empty(), "offered, nothing binds resolution");
        assert_eq!(
            sop.missing_before_escalation(&offered),
            ["questions.device", "questions.network", "questions.browser", "questions.other_videos_play"],
            "but escalation needs the standard questions"
        );
        let mut answered = offered.clone();
        sop.answer(&mut answered, &answers(&[("device", "phone"), ("network", "wifi"), ("browser", "App 5.2"), ("other_videos_play", "yes")])).unwrap();
        assert!(sop.missing_before_escalation(&answered).is_empty(), "the path goes straight to tier 2");
        let mut self_help = offered;
        sop.answer(&mut self_help, &answers(&[("device", "phone"), ("network", "wifi"), ("browser", "App 5.2"), ("other_videos_play", "no")])).unwrap();
        assert!(sop.missing_before_escalation(&self_help).is_empty(), "answers given; self-help binds only once reached");
    }

    #[test]
    fn video_sop_hands_to_tier_2_when_only_this_course_fails() {
        let sop = video();
        let mut run = sop.start();
        sop.advance(&mut run).unwrap();
        sop.answer(&mut run, &answers(&[("device", "computer"), ("network", "wifi"), ("browser", "Chrome 131"), ("other_videos_play", "yes")])).unwrap();
        assert_eq!(sop.advance(&mut run), Ok(Advance::Moved("to-tier-2".into())));
        assert_eq!(sop.advance(&mut run), Ok(Advance::Escalate { to_tier: 2 }));
        assert_eq!(run.step.as_deref(), Some("follow-up"));
        assert!(!run.visited.contains(&"self-help".to_owned()), "the branch skipped self-help");
    }

    #[test]
    fn an_offered_sop_binds_once_someone_works_it() {
        let sop = video();
        let mut run = sop.offer();
        assert!(sop.missing(&run).is_empty(), "offered by category: nothing is required yet");
        sop.engage(&mut run);
        assert_eq!(sop.missing(&run), ["empathise"]);
    }

    #[test]
    fn answers_are_typed() {
        let sop = video();
        let mut run = sop.start();
        for bad in [("device", "fridge"), ("other_videos_play", "maybe"), ("browser", "  "), ("nope", "x")] {
            assert!(matches!(sop.answer(&mut run, &answers(&[bad])), Err(SopError::BadAnswer(_))), "{bad:?}");
        }
        assert!(run.answers.is_empty(), "a bad answer records nothing");
    }

    #[test]
    fn invalid_definitions_are_refused() {
        let mut sop = video();
        sop.steps[2].default = Some("nowhere".into());
        assert!(matches!(sop.validate(), Err(SopError::Invalid(why)) if why.contains("nowhere")));
        let mut sop = video();
        sop.steps[1].questions[0].options.clear();
        assert!(sop.validate().is_err());
    }

    #[test]
    fn loops_of_branches_are_refused() {
        let mut sop = video();
        sop.steps[2].default = Some("decide".into());
        assert!(matches!(sop.validate(), Err(SopError::Invalid(why)) if why.contains("leads back")));
        let mut run = sop.start();
        sop.advance(&mut run).unwrap();
        sop.answer(&mut run, &answers(&[("device", "phone"), ("network", "wifi"), ("browser", "x"), ("other_videos_play", "no")])).unwrap();
        assert!(matches!(sop.advance(&mut run), Err(SopError::Invalid(_))), "an unvalidated loop ends in an error, not a hang");
    }

    #[test]
    fn scripts_are_rendered() {
        assert_eq!(render("您好 {{learner.name}}，我是{{agent.name}}", "李明", "Tina"), "您好 李明，我是Tina");
    }
}
