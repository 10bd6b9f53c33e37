//! What a learner's message says besides its topic: an explicit request for a person, anger
//! or distress (frustration), and "that didn't help". Each is a weighted lexicon of cues with
//! a few structural signals (repetition counts, shouting, exclamation runs) and dampers for
//! hedged or already-resolved messages. They read normalised text, so traditional
//! characters, full-width letters and case do not matter.

/// Strong cues: any one of them means the learner should reach a person now.
const STRONG_FRUSTRATION: &[&str] = &[
    // Complaint and legal threats.
    "投诉",
    "12315",
    "消协",
    "消费者协会",
    "工商局",
    "市场监管",
    "曝光",
    "差评",
    "拒付",
    "举报",
    "起诉",
    "告你们",
    "律师",
    "报警",
    "法院",
    "维权",
    "黑猫",
    "媒体",
    "发帖",
    "微博上",
    "小红书上",
    "complaint",
    "complain",
    "dispute",
    "chargeback",
    "consumer protection",
    "lawyer",
    "sue you",
    "suing",
    "report you",
    "reporting you",
    "1-star",
    "1 star",
    "one star",
    "one-star",
    "bad review",
    "better business bureau",
    "go to the press",
    // Insults and swearing.
    "垃圾",
    "骗子",
    "骗钱",
    "诈骗",
    "抢钱",
    "坑人",
    "坑钱",
    "黑心",
    "无良",
    "智障",
    "弱智",
    "废物",
    "废话",
    "恶心",
    "傻逼",
    "sb客服",
    "滚",
    "tmd",
    "他妈",
    "妈的",
    "卧槽",
    "我靠",
    "尼玛",
    "我操",
    "摆设",
    "倒闭",
    "耍人",
    "耍我",
    "忽悠",
    "不要脸",
    "什么玩意",
    "人话",
    "破系统",
    "破平台",
    "破app",
    "破软件",
    "破网站",
    "烂平台",
    "烂系统",
    "坑爹",
    "吃屎",
    "脑子",
    "stupid",
    "idiot",
    "useless",
    "worst",
    "pathetic",
    "scam",
    "theft",
    "fraud",
    "rip-off",
    "ripoff",
    "rip off",
    "wtf",
    "what the hell",
    "what the heck",
    "damn",
    "shit",
    "fuck",
    "crap",
    "ridiculous",
    "absurd",
    "unacceptable",
    "disgrace",
    "fed up",
    "sick of",
    "sick and tired",
    "had enough",
    "robbery",
    "stealing",
    "thieves",
    "joke of a",
    "incompetent",
    "garbage",
    "trash",
    "terrible service",
    "horrible",
    // Distress.
    "急死",
    "快崩溃",
    "要崩溃",
    "崩溃了吧",
    "我崩溃",
    "都崩溃",
    "快疯了",
    "要疯了",
    "气死",
    "救命",
    "绝望",
    "desperate",
    "panicking",
    "freaking out",
    // Repetition of the same failed exchange.
    "同一个问题",
    "说来说去",
    "一次又一次",
    "说了多少次",
    "问了多少次",
    "多少遍",
    "same question",
    "same useless",
    "last time i'm asking",
    "for the last time",
    "again and again",
    "over and over",
    "how many times do i",
    "how many more times",
    // Sarcasm.
    "呵呵",
    "真行啊",
    "真是服了",
    "服了你们",
    "可真行",
    "thanks for nothing",
    "great job",
    "truly amazing",
    "amazing service",
    "wonderful service",
    "yeah right",
    "oh great",
    "well done guys",
    "bravo",
];

/// Weaker cues: two of them, or one with shouting, mean frustration.
const MILD_FRUSTRATION: &[(&str, f32)] = &[
    ("没用", 0.5),
    ("根本", 0.4),
    ("到底", 0.4),
    ("有没有人管", 0.7),
    ("没人管", 0.7),
    ("没人理", 0.7),
    ("结果呢", 0.5),
    ("故意", 0.5),
    ("说法", 0.4),
    ("算什么", 0.6),
    ("凭什么", 0.6),
    ("赶紧", 0.6),
    ("马上给我", 0.6),
    ("立刻", 0.5),
    ("马上就要", 0.6),
    ("怎么办啊", 0.5),
    ("急急急", 0.8),
    ("着急", 0.4),
    ("尽快", 0.2),
    ("失望", 0.5),
    ("不满", 0.5),
    ("受不了", 0.7),
    ("再也不", 0.6),
    ("再不", 0.5),
    ("别给我", 0.5),
    ("不要再", 0.4),
    ("都看过了", 0.5),
    ("每次都", 0.4),
    ("机器人", 0.3),
    ("一声不吭", 0.5),
    ("一个小时", 0.3),
    ("一晚上", 0.3),
    ("全没了", 0.5),
    ("no one", 0.3),
    ("nobody", 0.5),
    ("disappointed", 0.5),
    ("annoyed", 0.6),
    ("angry", 0.8),
    ("furious", 1.0),
    ("frustrat", 0.8),
    ("upset", 0.6),
    ("urgent", 0.5),
    ("asap", 0.5),
    ("immediately", 0.5),
    ("right now", 0.4),
    ("starts in", 0.5),
    ("minutes left", 0.6),
    ("stop telling", 0.7),
    ("stop sending", 0.7),
    ("again", 0.3),
    ("keep sending", 0.5),
    ("still", 0.2),
    ("just a bot", 0.6),
    ("real support", 0.4),
    ("honestly", 0.3),
    ("never again", 0.7),
    ("not a single", 0.4),
];

/// Messages that report a solved problem or accept the situation.
const CALMING: &[(&str, f32)] = &[
    ("已经好了", 1.2),
    ("已经处理好", 1.2),
    ("解决了", 1.2),
    ("处理好了", 1.0),
    ("后来好了", 1.0),
    ("没关系", 0.8),
    ("能理解", 0.8),
    ("谢谢", 0.3),
    ("点赞", 0.8),
    ("it's fine", 1.0),
    ("its fine", 1.0),
    ("seems fine", 1.0),
    ("that worked", 1.2),
    ("it worked", 1.2),
    ("solved", 1.0),
    ("no worries", 0.8),
    ("not urgent", 0.8),
    ("thank you", 0.3),
    ("thanks", 0.3),
];

/// Words that soften what follows ("a little disappointed", 有点失望).
const HEDGES: &[&str] = &["有点", "有些", "稍微", "略", "不太", "a little", "a bit", "slightly", "kind of", "somewhat"];

/// Words that are written in capitals without shouting.
const ACRONYMS: &[&str] = &["VIP", "APP", "HR", "PDF", "ID", "SMS", "QQ", "IOS", "CNY", "USD", "HSK", "PC", "TV", "OK", "WIFI", "IE", "UK", "US", "CEO", "FAQ"];

/// How a message reads, as the bot's decisions need it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Signals {
    /// Frustration score; [`FRUSTRATION_THRESHOLD`] or more means upset.
    pub frustration: f32,
    /// The learner asks for a person.
    pub wants_human: bool,
    /// The learner says the last answer did not help.
    pub not_helped: bool,
}

/// Score at which a message counts as frustrated.
pub const FRUSTRATION_THRESHOLD: f32 = 1.0;

impl Signals {
    /// Reads `raw` (as typed, for shouting) and `normalized` (for the lexicons).
    pub fn read(raw: &str, normalized: &str) -> Signals {
        Signals { frustration: frustration(raw, normalized), wants_human: wants_human(normalized), not_helped: not_helped(normalized) }
    }

    /// Whether the message is frustrated enough to hand over.
    pub fn frustrated(&self) -> bool {
        self.frustration >= FRUSTRATION_THRESHOLD
    }
}

fn frustration(raw: &str, text: &str) -> f32 {
    let hedged = HEDGES.iter().any(|h| text.contains(h));
    let mut score = 0.0;
    if STRONG_FRUSTRATION.iter().any(|cue| contains_cue(text, cue)) {
        score += 1.0;
    }
    score += repetition(text);
    let mut mild = 0.0;
    for (cue, weight) in MILD_FRUSTRATION {
        if contains_cue(text, cue) {
            mild += weight;
        }
    }
    if hedged {
        mild *= 0.5;
    }
    score += mild;
    score += shouting(raw);
    for (cue, weight) in CALMING {
        if contains_cue(text, cue) {
            score -= weight;
        }
    }
    score
}

/// Cues of ASCII letters match whole words only ("hell" is not in "hello").
fn contains_cue(text: &str, cue: &str) -> bool {
    if !cue.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return text.contains(cue);
    }
    text.match_indices(cue).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + cue.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(|c| c.is_ascii_alphabetic())
    })
}

/// "第三次", "三遍了", "five times", "third time": the learner has been here before. Two is
/// not enough ("扣了两次钱" is a double charge, not a repeated complaint).
fn repetition(text: &str) -> f32 {
    const ZH_COUNTS: &[char] = &['三', '四', '五', '六', '七', '八', '九', '十', '几', '多', 'n', '3', '4', '5', '6', '7', '8', '9'];
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if !ZH_COUNTS.contains(c) {
            continue;
        }
        let next = chars.get(i + 1).copied();
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let ordinal = previous == Some('第');
        // "几次"/"多次" on their own are vague ("点了好几次获取" is not anger); they need 了 after.
        let vague = matches!(c, '几' | '多');
        // "三次了", "三次电话了", "已经三次": a count of past attempts, not of something else.
        let done_soon_after = chars.iter().skip(i + 2).take(4).any(|c| *c == '了');
        let already_before = chars[i.saturating_sub(6)..i].iter().collect::<String>().contains("已经");
        match next {
            Some('遍') if !vague || chars.get(i + 2) == Some(&'了') => return 1.0,
            Some('次') if ordinal => return 1.0,
            Some('次') if !vague && (done_soon_after || already_before) => return 1.0,
            _ => {}
        }
    }
    const EN_COUNTS: &[&str] = &["three", "four", "five", "six", "seven", "ten", "3", "4", "5", "6", "10", "100", "a hundred", "a million"];
    const EN_ORDINALS: &[&str] = &["third", "fourth", "fifth", "sixth", "umpteenth", "nth", "3rd", "4th", "5th"];
    for count in EN_COUNTS {
        if contains_cue(text, &format!("{count} times")) {
            return 1.0;
        }
    }
    for ordinal in EN_ORDINALS {
        if contains_cue(text, &format!("{ordinal} time")) {
            return 1.0;
        }
    }
    // Vague counts ("several times") hint at it without saying so.
    if ["several times", "multiple times", "so many times", "many times already"].iter().any(|cue| contains_cue(text, cue)) {
        return 0.5;
    }
    0.0
}

/// Exclamation runs and words in capitals.
fn shouting(raw: &str) -> f32 {
    let mut score = 0.0;
    let bangs = raw.chars().filter(|c| matches!(c, '!' | '！')).count();
    if bangs >= 2 {
        score += 0.4;
    }
    let shouted =
        raw.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_uppercase()) && !ACRONYMS.contains(w)).count();
    if shouted >= 1 {
        score += 0.3 * shouted.min(2) as f32;
    }
    score
}

/// An explicit request for a person: 转人工, 找真人, "talk to an agent".
fn wants_human(text: &str) -> bool {
    const ZH_PEOPLE: &[&str] = &["人工", "真人", "活人", "坐席", "专员", "工作人员", "接线员", "客服人员", "客服小姐姐", "客服经理", "主管", "经理"];
    const ZH_ASKING: &[&str] = &["转", "找", "要", "接", "叫", "换", "让", "安排", "需要", "联系", "请", "来", "给我"];
    const ZH_DIRECT: &[&str] = &["转人工", "人工服务", "人工客服来", "找客服", "叫客服", "真人客服", "转客服", "接通客服", "转接"];
    const EN_PEOPLE: &[&str] =
        &["agent", "human", "person", "representative", "operator", "someone", "somebody", "staff", "supervisor", "manager", "real people", "live support"];
    const EN_ASKING: &[&str] = &["talk", "speak", "transfer", "connect", "want", "need", "get me", "put me", "let me", "chat with", "escalate"];
    if ZH_DIRECT.iter().any(|cue| text.contains(cue)) {
        // "晚上有人工客服吗" asks about opening hours, not for a person now.
        let asks_about_service = ["有人工", "有没有人工客服", "人工客服几点", "人工客服什么时候", "人工客服电话"].iter().any(|c| text.contains(c));
        return !asks_about_service || ZH_ASKING.iter().any(|verb| text.contains(&format!("{verb}人工")));
    }
    if ZH_PEOPLE.iter().any(|who| text.contains(who)) && ZH_ASKING.iter().any(|verb| text.contains(verb)) {
        let asks_about_service = ["有人工", "人工客服几点", "人工客服什么时候", "人工客服电话", "上班"].iter().any(|c| text.contains(c));
        return !asks_about_service || text.contains("有没有活人") || text.contains("有活人");
    }
    if text.contains("有没有活人") || text.contains("有活人吗") || text.contains("有人吗") && text.contains("真人") {
        return true;
    }
    EN_PEOPLE.iter().any(|who| contains_cue(text, who)) && EN_ASKING.iter().any(|verb| contains_cue(text, verb)) && !text.contains("hours")
}

/// The learner says the last answer did not help.
fn not_helped(text: &str) -> bool {
    const CUES: &[&str] = &[
        "没用",
        "不行",
        "没解决",
        "没有解决",
        "还是不行",
        "不管用",
        "没帮助",
        "没有帮助",
        "不是这个",
        "答非所问",
        "试过了",
        "都试了",
        "not helpful",
        "didn't help",
        "doesn't help",
        "did not help",
        "didn't work",
        "doesn't work",
        "does not work",
        "not working",
        "still not",
        "still can't",
        "tried that",
        "already tried",
        "not what i asked",
        "wrong answer",
        "no help",
    ];
    CUES.iter().any(|cue| contains_cue(text, cue))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    fn read(text: &str) -> Signals {
        Signals::read(text, &normalize(text))
    }

    #[test]
    fn anger_and_threats_are_frustration() {
        for text in ["你们这什么破系统，我要投诉！", "說了三遍了", "Worst platform ever.", "I've done it five times!!", "呵呵，智能客服", "已经打了三次电话了"]
        {
            assert!(read(text).frustrated(), "{text}: {:?}", read(text));
        }
    }

    #[test]
    fn calm_or_resolved_messages_are_not() {
        for text in [
            "我昨天投诉的问题已经处理好了，谢谢你们",
            "I was charged twice, could you look into it?",
            "有点着急，能尽快帮我看看订单吗",
            "Hello?",
            "验证码一直收不到，点了好几次获取了",
        ] {
            assert!(!read(text).frustrated(), "{text}: {:?}", read(text));
        }
    }

    #[test]
    fn requests_for_a_person() {
        for text in ["转人工", "我要找真人客服", "let me talk to an agent", "connect me to a customer service representative", "請幫我接通人工坐席"]
        {
            assert!(read(text).wants_human, "{text}");
        }
        for text in ["晚上有人工客服吗", "你们客服几点下班", "what are your support hours", "hello"] {
            assert!(!read(text).wants_human, "{text}");
        }
    }

    #[test]
    fn not_helped_is_recognised() {
        assert!(read("还是不行").not_helped);
        assert!(read("That didn't work").not_helped);
        assert!(!read("thanks, that worked").not_helped);
    }
}
