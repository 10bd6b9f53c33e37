//! Hiring tests for support candidates: a timed typing test in Chinese and in English, a
//! written empathy scenario and a multiple-choice quiz on service judgement. This module owns
//! the content (passages, scenario, questions with their keys) and the scoring; the server
//! times the typing and stores the answers.
//!
//! Typing is scored the way typing tests usually are: the typed text is compared with the
//! passage character by character (edit distance, so one slip costs one error, not the rest of
//! the line), accuracy is the share of the passage typed right, and speed counts only correct
//! characters — per minute for Chinese (characters are what an IME produces), in words of five
//! characters per minute for English.

use serde::{Deserialize, Serialize};

use crate::lang::Lang;

/// Which typing passage: Chinese characters or Latin letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Script {
    Zh,
    En,
}

impl Script {
    pub const ALL: [Script; 2] = [Script::Zh, Script::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Script::Zh => "zh",
            Script::En => "en",
        }
    }
}

/// Typing passages: what an agent writes every day, with the punctuation it needs.
const ZH_PASSAGES: [&str; 3] = [
    "您好，很抱歉让您久等了。请告诉我您使用的设备和浏览器，我们一起看看视频为什么无法播放。",
    "理解您着急的心情。优惠券不可用通常是因为未达到使用门槛或已过有效期，我帮您查一下订单。",
    "退款申请已经提交，预计三到五个工作日原路退回。如有其他问题，欢迎随时联系我们。",
];
const EN_PASSAGES: [&str; 3] = [
    "Thanks for waiting. I understand how frustrating this is. Could you tell me which browser you are using?",
    "Your refund request has been submitted. The money usually returns to your original payment method within five days.",
    "I have checked your order and the coupon has expired. Let me see whether there is another offer you can use.",
];

/// The passage a candidate types in `script` (varied by candidate so links are not all alike).
pub fn passage(script: Script, candidate: i64) -> &'static str {
    let passages = match script {
        Script::Zh => &ZH_PASSAGES,
        Script::En => &EN_PASSAGES,
    };
    passages[candidate.rem_euclid(passages.len() as i64) as usize]
}

/// Longest typed answer accepted (a passage is about a hundred characters).
pub const MAX_TYPED_CHARS: usize = 1000;

/// Faster than this is not typing (pasted, or a script): flagged for the supervisor.
const SUSPICIOUS_ZH_PER_MINUTE: f64 = 250.0;
const SUSPICIOUS_EN_WPM: f64 = 150.0;

/// One typing test's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TypingResult {
    pub script: Script,
    /// Characters in the passage.
    pub passage_chars: usize,
    /// Characters typed.
    pub typed_chars: usize,
    /// Edits (insertions, deletions, substitutions) between what was typed and the passage.
    pub errors: usize,
    /// Share of the passage typed right, 0–1.
    pub accuracy: f64,
    pub seconds: f64,
    /// Correct characters per minute (Chinese) or correct five-character words per minute (English).
    pub speed: f64,
    /// Faster than typing allows: probably pasted.
    pub suspicious: bool,
}

/// Full-width ASCII forms (what some IMEs produce for letters and digits) read as ASCII, and
/// runs of white space as one space, so the comparison counts only real slips.
fn normalise(text: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.trim().chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' if !matches!(c, '，' | '：' | '；' | '！' | '？' | '（' | '）') => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' && out.last() == Some(&' ') {
            continue;
        }
        out.push(c);
    }
    out
}

/// Levenshtein distance over characters, in O(len(b)) memory.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// Scores `typed` against `passage`, typed in `elapsed_ms` (as the server timed it).
pub fn score_typing(script: Script, passage: &str, typed: &str, elapsed_ms: i64) -> TypingResult {
    let (passage, typed) = (normalise(passage), normalise(typed));
    let errors = edit_distance(&typed, &passage);
    let correct = passage.len().saturating_sub(errors);
    let accuracy = if passage.is_empty() { 0.0 } else { correct as f64 / passage.len() as f64 };
    // A floor of one second keeps a zero-time answer from dividing by zero (it is flagged anyway).
    let seconds = (elapsed_ms.max(0) as f64 / 1000.0).max(1.0);
    let minutes = seconds / 60.0;
    let speed = match script {
        Script::Zh => correct as f64 / minutes,
        Script::En => correct as f64 / 5.0 / minutes,
    };
    let suspicious = match script {
        Script::Zh => speed > SUSPICIOUS_ZH_PER_MINUTE,
        Script::En => speed > SUSPICIOUS_EN_WPM,
    };
    TypingResult { script, passage_chars: passage.len(), typed_chars: typed.len(), errors, accuracy, seconds, speed, suspicious }
}

/// The empathy scenario: an upset learner's message the candidate answers in writing.
pub fn scenario(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => {
            "学员留言：“我明天就要考试了，课程视频从昨晚到现在一直加载不出来，已经第三次找客服了，你们到底能不能解决？！”\n请写出你给这位学员的第一条回复。"
        }
        Lang::En => {
            "A learner writes: \"My exam is tomorrow and the course videos haven't loaded since last night. This is the third time I've contacted support. Can you actually fix this?!\"\nWrite your first reply to this learner."
        }
    }
}

/// Shortest and longest written answer accepted, in characters.
pub const EMPATHY_MIN_CHARS: usize = 10;
pub const EMPATHY_MAX_CHARS: usize = 2000;

/// What a good first reply to an upset learner does, as words that show it. The supervisor
/// scores the answer; these signals are a reading aid, not the score.
const SIGNALS: [(&str, &[&str]); 4] = [
    ("acknowledges", &["抱歉", "对不起", "理解", "着急", "不便", "辛苦", "sorry", "apolog", "understand", "frustrat", "stressful"]),
    ("owns", &["我来", "我会", "我帮", "帮您", "为您", "马上", "立即", "i will", "i'll", "let me", "right away", "i can"]),
    ("asks", &["设备", "浏览器", "网络", "手机", "电脑", "版本", "device", "browser", "network", "app version", "which", "could you tell"]),
    (
        "next_step",
        &[
            "试试",
            "尝试",
            "清除",
            "刷新",
            "升级",
            "二线",
            "技术",
            "跟进",
            "回复您",
            "try",
            "refresh",
            "clear",
            "update",
            "follow up",
            "escalat",
            "technical team",
        ],
    ),
];
/// Words that blame the learner or brush them off.
const BLAME: [&str; 8] = ["你自己", "你的问题", "不是我们", "没办法", "your fault", "your problem", "not our", "nothing we can"];

/// The signals an empathy answer shows (`acknowledges`, `owns`, `asks`, `next_step`) and
/// `blames` when it blames or dismisses the learner.
pub fn empathy_signals(answer: &str) -> Vec<String> {
    let lower = answer.to_lowercase();
    let mut signals: Vec<String> =
        SIGNALS.iter().filter(|(_, words)| words.iter().any(|word| lower.contains(word))).map(|(name, _)| (*name).to_owned()).collect();
    if BLAME.iter().any(|word| lower.contains(word)) {
        signals.push("blames".to_owned());
    }
    signals
}

/// A multiple-choice question on service judgement.
pub struct Question {
    pub zh: &'static str,
    pub en: &'static str,
    pub options: [(&'static str, &'static str); 4],
    /// The index of the right option.
    pub answer: usize,
}

/// The quiz: service judgement, not product knowledge (that is what training is for).
pub const QUIZ: [Question; 6] = [
    Question {
        zh: "学员第三次来问视频打不开，语气很激动。你首先应该：",
        en: "A learner asks about a video that won't play for the third time and is upset. First you:",
        options: [
            ("告诉他问题出在他的网络", "Tell them their network is the problem"),
            ("先承认他的困扰并道歉，再询问设备和浏览器", "Acknowledge the trouble and apologise, then ask for device and browser"),
            ("立刻转给二线", "Hand it to tier 2 at once"),
            ("发送退款政策链接", "Send the refund policy link"),
        ],
        answer: 1,
    },
    Question {
        zh: "你无法解决学员的问题，需要升级到二线时，应当：",
        en: "You cannot solve a learner's problem and must escalate to tier 2. You:",
        options: [
            ("让学员向二线重新描述一遍问题", "Ask the learner to explain it all again to tier 2"),
            ("附上已确认的信息和已尝试的步骤，并告诉学员接下来会发生什么", "Pass on what you found and tried, and tell the learner what happens next"),
            ("先关闭会话，等二线联系学员", "Close the conversation and let tier 2 contact the learner"),
            ("不告诉学员，直接转走", "Transfer without telling the learner"),
        ],
        answer: 1,
    },
    Question {
        zh: "学员要求你告诉他另一位同学的手机号，以便一起学习。你应当：",
        en: "A learner asks for another learner's phone number so they can study together. You:",
        options: [
            ("告诉他，学习是好事", "Give it: studying together is good"),
            ("只告诉后四位", "Give only the last four digits"),
            ("礼貌拒绝：不能透露其他学员的个人信息", "Politely refuse: other learners' personal data is never shared"),
            ("让他去问老师要", "Tell them to ask the teacher for it"),
        ],
        answer: 2,
    },
    Question {
        zh: "内部备注（internal note）和回复的区别是：",
        en: "The difference between an internal note and a reply is:",
        options: [
            ("没有区别", "There is none"),
            ("内部备注只有团队能看到，学员看不到", "An internal note is seen by the team only, never by the learner"),
            ("内部备注会以短信发给学员", "An internal note goes to the learner by SMS"),
            ("回复只有主管能看到", "Only supervisors see replies"),
        ],
        answer: 1,
    },
    Question {
        zh: "你答应学员“24 小时内回复”，但还没查到结果。24 小时快到了，你应当：",
        en: "You promised a learner an answer within 24 hours and have none yet. The time is nearly up. You:",
        options: [
            ("等查到结果再说", "Wait until you have the answer"),
            ("按时联系学员，说明进展和新的时间", "Contact them on time with the progress and a new time"),
            ("把会话标记为已解决", "Mark the conversation resolved"),
            ("让同事去回复", "Ask a colleague to reply instead"),
        ],
        answer: 1,
    },
    Question {
        zh: "学员说优惠券用不了。最有帮助的第一个问题是：",
        en: "A learner says a coupon won't apply. The most useful first question is:",
        options: [
            ("“你确定输入对了吗？”", "\"Are you sure you typed it right?\""),
            (
                "“请问是哪门课程、订单金额多少？优惠券的有效期是到什么时候？”",
                "\"Which course is it, what is the order total, and until when is the coupon valid?\"",
            ),
            ("“优惠券经常有问题。”", "\"Coupons often have problems.\""),
            ("“请稍后再试。”", "\"Please try again later.\""),
        ],
        answer: 1,
    },
];

/// One quiz result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuizResult {
    /// The option chosen for each question, in order.
    pub answers: Vec<usize>,
    pub correct: usize,
    pub total: usize,
}

/// Scores a quiz: one chosen option per question, each within its options.
pub fn score_quiz(answers: &[usize]) -> Result<QuizResult, String> {
    if answers.len() != QUIZ.len() {
        return Err(format!("answer all {} questions", QUIZ.len()));
    }
    if let Some(n) = answers.iter().position(|&a| a >= 4) {
        return Err(format!("question {}: choose one of the four options", n + 1));
    }
    let correct = QUIZ.iter().zip(answers).filter(|(question, answer)| question.answer == **answer).count();
    Ok(QuizResult { answers: answers.to_vec(), correct, total: QUIZ.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfect_passage_is_fully_accurate_and_speed_counts_characters() {
        // 40 characters in 20 s: 120 characters a minute.
        let passage = "一二三四五六七八九十".repeat(4);
        let result = score_typing(Script::Zh, &passage, &passage, 20_000);
        assert_eq!((result.errors, result.accuracy, result.speed, result.suspicious), (0, 1.0, 120.0, false));
        // 100 Latin characters in 30 s: 20 words in half a minute, 40 WPM.
        let latin = "abcd ".repeat(20);
        let result = score_typing(Script::En, &latin, &latin, 30_000);
        assert_eq!(result.passage_chars, 99, "trailing space trimmed");
        assert!((result.speed - 39.6).abs() < 1e-9, "{}", result.speed);
    }

    #[test]
    fn each_slip_costs_one_error_not_the_rest_of_the_line() {
        let passage = "您好，请告诉我您使用的设备。";
        // A missing character, a wrong one and an extra one: three edits.
        let typed = "您好请告诉我你使用的的设备。";
        let result = score_typing(Script::Zh, passage, typed, 60_000);
        assert_eq!(result.errors, 3);
        assert_eq!(result.typed_chars, 14);
        assert!((result.accuracy - 11.0 / 14.0).abs() < 1e-9, "{}", result.accuracy);
        assert_eq!(result.speed, 11.0);
        // Stopping half way counts the rest as errors.
        let half = score_typing(Script::En, "hello world", "hello", 60_000);
        assert_eq!((half.errors, half.accuracy), (6, 5.0 / 11.0));
    }

    #[test]
    fn full_width_forms_and_extra_spaces_are_not_slips() {
        let result = score_typing(Script::En, "Order 42, please.", "  Ｏｒｄｅｒ  ４２, please.\n", 10_000);
        assert_eq!(result.errors, 0);
        // Chinese punctuation is kept as itself: a Latin comma for "，" is a slip.
        assert_eq!(score_typing(Script::Zh, "好，的", "好,的", 10_000).errors, 1);
    }

    #[test]
    fn impossible_speed_is_flagged_and_no_time_does_not_divide_by_zero() {
        let passage = passage(Script::Zh, 0);
        let pasted = score_typing(Script::Zh, passage, passage, 0);
        assert!(pasted.suspicious && pasted.speed.is_finite() && pasted.seconds == 1.0);
        let typed = score_typing(Script::Zh, passage, passage, 60_000);
        assert!(!typed.suspicious);
        assert!(score_typing(Script::En, passage_en(), passage_en(), 2_000).suspicious);
    }

    fn passage_en() -> &'static str {
        passage(Script::En, 7)
    }

    #[test]
    fn passages_vary_by_candidate_and_never_fail_on_odd_ids() {
        assert_ne!(passage(Script::Zh, 1), passage(Script::Zh, 2));
        assert_eq!(passage(Script::En, -1), passage(Script::En, 2));
        assert!(ZH_PASSAGES.iter().chain(EN_PASSAGES.iter()).all(|p| (30..=140).contains(&p.chars().count())));
    }

    #[test]
    fn empathy_signals_read_both_languages() {
        let good = "非常抱歉让您着急了！我马上帮您处理。请问您用的是什么设备和浏览器？也可以先试试清除缓存。";
        assert_eq!(empathy_signals(good), ["acknowledges", "owns", "asks", "next_step"]);
        let curt = "That's your problem, check your network.";
        assert_eq!(empathy_signals(curt), ["asks", "blames"]);
        assert_eq!(empathy_signals("I'm so sorry! Let me look into it right away."), ["acknowledges", "owns"]);
    }

    #[test]
    fn the_quiz_is_scored_against_its_keys_and_bad_answers_are_named() {
        let keys: Vec<usize> = QUIZ.iter().map(|q| q.answer).collect();
        assert_eq!(score_quiz(&keys).map(|r| (r.correct, r.total)), Ok((6, 6)));
        let mut one_wrong = keys.clone();
        one_wrong[2] = 0;
        assert_eq!(score_quiz(&one_wrong).map(|r| r.correct), Ok(5));
        assert_eq!(score_quiz(&keys[..5]), Err("answer all 6 questions".to_owned()));
        let mut out_of_range = keys;
        out_of_range[3] = 4;
        assert_eq!(score_quiz(&out_of_range), Err("question 4: choose one of the four options".to_owned()));
    }
}
