//! What a learner's message says besides its topic: an explicit request for a person, anger
//! or distress (frustration), and "that didn't help". Each combines families of cues with
//! structural signals — for a person: bare or repeated requests, rejection of the bot,
//! someone in charge asked for, misspelt English; for anger: repetition counts, shouting, a
//! counted wait, broken promises, praise beside a failure (sarcasm), angry emoji, high stakes,
//! contempt, going elsewhere — and dampers for hedged, resolved, procedural or third-party
//! messages. They read normalised text, so traditional characters, full-width letters and
//! case do not matter.

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
    // Giving up on the service, said calmly.
    ("不指望", 1.0),
    ("指望不上", 1.0),
    ("心寒", 1.0),
    ("寒心", 1.0),
    ("无语", 0.5),
    ("lost faith", 0.7),
    ("give up on", 0.5),
    ("given up on", 0.6),
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

/// Whether the message holds one of the strong cues: a complaint or legal threat, an insult
/// or swearing ([`STRONG_FRUSTRATION`]).
pub fn strong_cue(text: &str) -> bool {
    STRONG_FRUSTRATION.iter().any(|cue| contains_cue(text, cue))
}

/// The hand-written frustration score alone (the learned model in [`crate::mood`] reads it
/// as one of its features).
pub fn rule_score(raw: &str, normalized: &str) -> f32 {
    frustration(raw, normalized)
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
    score += situation(raw, text);
    for (cue, weight) in CALMING {
        if contains_cue(text, cue) {
            score -= weight;
        }
    }
    score -= neutral_framing(text);
    score
}

/// What the situation says beyond single words: a long wait, a broken promise, praise for a
/// failure (sarcasm), angry emoji, high stakes, contempt, a threat to go elsewhere, a demand.
/// Each is a family of forms, not one phrase, so it reads wordings it was not written for.
fn situation(raw: &str, text: &str) -> f32 {
    let has = |cues: &[&str]| cues.iter().any(|cue| contains_cue(text, cue));
    let mut score = 0.0;
    // A wait counted out: a number and a unit of time, with waiting around it.
    let waited = waited_long(text);
    // Alone a wait is a fact ("退款三天了还没到账，正常吗"); it adds to other signs.
    if waited >= 2 {
        score += 0.5;
    } else if waited == 1 {
        score += 0.3;
    }
    // Promises not kept, the same answer again, starting over with each agent.
    const BROKEN: &[&str] = &[
        "承诺",
        "说好的",
        "说今天",
        "又让我",
        "每次都说",
        "一直说",
        "一模一样",
        "从头再讲",
        "从头再说",
        "换了三个",
        "复制粘贴",
        "套话",
        "模板",
        "鬼打墙",
        "不下十次",
        "好几次",
        "石沉大海",
        "没人回",
        "连个回音",
        "copy-paste",
        "copy paste",
        "same answer",
        "straight answer",
        "every single answer",
        "start over",
    ];
    if has(BROKEN) {
        score += 0.7;
    }
    // Praise next to a failure is sarcasm ("真行，付完钱课程消失", "Amazing, three days").
    const PRAISE: &[&str] = &[
        "真行",
        "厉害",
        "鼓掌",
        "666",
        "真值",
        "贴心",
        "好家伙",
        "你们牛",
        "服了",
        "真“好”",
        "真\"好\"",
        "谢谢啊",
        "倒是",
        "太棒了",
        "好极了",
        "太感人",
        "没让我失望",
        "长见识",
        "amazing",
        "just great",
        "cool cool",
        "appreciate it",
        "lovely",
        "love that",
        "congrats",
        "thanks for nothing",
        "super helpful",
        "great job",
        "wow",
        "bravo",
        "brilliant",
        "nice job",
        "well done",
    ];
    const FAILURE: &[&str] = &[
        "崩",
        "没到账",
        "扣",
        "断",
        "消失",
        "卡",
        "错",
        "等",
        "没有",
        "没",
        "不了",
        "不开",
        "不上",
        "不能",
        "无法",
        "失败",
        "退钱",
        "登不上",
        "processing",
        "locked",
        "charged",
        "wasting",
        "crash",
        "deleted",
        "lost",
        "nothing",
        "again",
        "days",
        "waiting",
        "broken",
        "won't",
        "can't",
        "try again",
        "no one",
        "still",
    ];
    if has(PRAISE) && has(FAILURE) && !has(&["哈哈", "haha", "lol"]) {
        score += 1.0;
    }
    // Angry or mocking emoji.
    let angry_emoji = raw.chars().filter(|c| matches!(c, '😤' | '😡' | '🤬' | '🙄' | '🙃' | '👏' | '💢' | '😠' | '😒' | '🤡')).count();
    score += (angry_emoji as f32 * 0.6).min(1.2);
    // High stakes: an exam, a job, a child, money that matters, with something wrong.
    const STAKES: &[&str] = &[
        "考试",
        "明天就要",
        "面试",
        "饭碗",
        "老板",
        "孩子",
        "单亲",
        "生活费",
        "攒了",
        "一万多",
        "exam",
        "interview",
        "job",
        "career",
        "kid",
        "child",
        "my flight",
        "dollars",
    ];
    const WRONG: &[&str] =
        &["崩", "锁", "没", "不了", "错", "哭", "won't", "crash", "wrong", "failed", "deleted", "nothing", "stuck", "can't", "cannot", "kicking"];
    if has(STAKES) && has(WRONG) {
        score += 0.6;
    }
    // Contempt and accusation.
    const CONTEMPT: &[&str] = &[
        "割韭菜",
        "浪费时间",
        "还好意思",
        "也好意思",
        "良心",
        "看清你们",
        "烂",
        "推卸",
        "阴阳怪气",
        "不像话",
        "像话吗",
        "开玩笑",
        "受这种气",
        "非常生气",
        "很生气",
        "难受",
        "不是来听",
        "智能在哪",
        "这水平",
        "这种服务",
        "waste of time",
        "unbelievable",
        "with a brain",
        "losing my patience",
        "lost a customer",
        "embarrassed",
        "ridiculous",
        "joke",
    ];
    if has(CONTEMPT) {
        score += 1.0;
    }
    // Going elsewhere: the card company, app stores, forums, a dispute.
    const ELSEWHERE: &[&str] = &[
        "信用卡那边",
        "发起争议",
        "dcard",
        "po到",
        "发到网上",
        "朋友圈",
        "credit card company",
        "app store",
        "leaving reviews",
        "法律上见",
        "法庭上见",
        "最后给你们一次机会",
        "最后一次机会",
        "last chance",
    ];
    if has(ELSEWHERE) || goes_public(text) {
        score += 1.0;
    }
    if refuses_more_of_the_same(text) {
        score += 1.0;
    }
    // Demands.
    const DEMAND: &[&str] = &["马上给我", "立刻", "快点", "赶紧", "到底要", "到底有没有", "到底", "do something", "sort this out", "now.", "right now"];
    if has(DEMAND) {
        score += 0.4;
    }
    score
}

/// Refusing the kind of answer already given — another article, link, template or apology —
/// with the refusal right before it: "别再发文章链接了", "又是这个链接", "I don't want another
/// article", "stop apologizing". The two words apart ("不好意思，又是我，上次那个链接打不开")
/// are not a refusal.
fn refuses_more_of_the_same(text: &str) -> bool {
    const ANSWER_KIND: &[&str] = &[
        "文章",
        "链接",
        "模板",
        "道歉",
        "抱歉",
        "对不起",
        "article",
        "articles",
        "link",
        "links",
        "apologizing",
        "apologising",
        "apologies",
        "sorry",
        "faq",
        "help page",
        "script",
    ];
    const REFUSAL: &[&str] = &[
        "别再",
        "不要再",
        "不想再",
        "又是",
        "又发",
        "stop",
        "don't want another",
        "dont want another",
        "no more",
        "not another",
        "enough with",
        "another one",
    ];
    // Bytes after the refusal: five Chinese characters, or a few English words.
    const NEAR: usize = 15;
    REFUSAL.iter().any(|refusal| {
        text.match_indices(refusal).any(|(at, _)| {
            let start = at + refusal.len();
            let after = &text[start..text.ceil_char_boundary((start + NEAR).min(text.len()))];
            ANSWER_KIND.iter().any(|kind| after.contains(kind))
        })
    })
}

/// Taking the story somewhere public or official: the learner (first person) with a place
/// (social media, the press, a regulator, the company's lawyers) and a verb of telling right
/// next to it — "我就发小红书", "我就去教育局反映", "I'm going to post the whole story on
/// Reddit" (about to do it: 就/去/要, "going to"). The place alone ("你们有小红书吗"), someone else's post ("抖音上发的优惠码能用吗")
/// or a verb far from it is not enough.
fn goes_public(text: &str) -> bool {
    const PLACES: &[&str] = &[
        "微博",
        "小红书",
        "抖音",
        "知乎",
        "贴吧",
        "b站",
        "媒体",
        "记者",
        "教育局",
        "监管",
        "法务",
        "reddit",
        "twitter",
        "facebook",
        "tiktok",
        "youtube",
        "instagram",
        "social media",
        "the press",
        "the news",
        "regulator",
        "ombudsman",
    ];
    const VERBS: &[&str] = &["发", "曝", "反映", "举报", "邮箱", "post", "share", "tell", "report", "write about"];
    // Bytes either side: eight Chinese characters, or a few English words.
    const NEAR: usize = 24;
    let first_person = text.contains('我') || ["i ", "i'm", "i'll", "i am", "we "].iter().any(|me| text.starts_with(me) || text.contains(&format!(" {me}")));
    // What the learner is about to do, not what they did or ask about.
    let intent = ["就", "去", "要", "会发", "会曝", "打算", "准备", "going to", "gonna", "i'll", "will "].iter().any(|cue| text.contains(cue));
    first_person
        && intent
        && PLACES.iter().any(|place| {
            text.match_indices(place).any(|(at, _)| {
                let before = &text[text.floor_char_boundary(at.saturating_sub(NEAR))..at];
                let end = at + place.len();
                let after = &text[end..text.ceil_char_boundary((end + NEAR).min(text.len()))];
                VERBS.iter().any(|verb| before.contains(verb) || after.contains(verb))
            })
        })
}

/// 2: a wait of days or more (or many hours), 1: a wait of hours or a long queue, 0: none.
fn waited_long(text: &str) -> u8 {
    const NUMBERS: &[&str] = &[
        "一", "两", "二", "三", "四", "五", "六", "七", "八", "九", "十", "几", "半", "整", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "two", "three",
        "four", "five", "six", "seven", "several", "many",
    ];
    const LONG_UNITS: &[&str] = &["天", "周", "星期", "礼拜", "个月", "day", "days", "week", "weeks", "month", "months"];
    const SHORT_UNITS: &[&str] = &["小时", "个钟", "十分钟", "四十分钟", "hours"];
    const WAITING: &[&str] =
        &["等", "了", "还", "没", "已经", "都", "拖", "提了", "从", "waiting", "waited", "since", "still", "for", "ago", "already", "been"];
    let waiting = WAITING.iter().any(|cue| contains_cue(text, cue));
    if !waiting {
        return 0;
    }
    let unit_after_number = |units: &[&str]| {
        units.iter().any(|unit| {
            text.match_indices(unit).any(|(at, _)| {
                let before = text[..at].trim_end();
                NUMBERS.iter().any(|number| before.ends_with(number))
            })
        })
    };
    if unit_after_number(LONG_UNITS) || ["since monday", "一整天"].iter().any(|cue| text.contains(cue)) {
        2
    } else if unit_after_number(SHORT_UNITS) || text.contains("排队") {
        1
    } else {
        0
    }
}

/// How much a message reads as a calm question or a story about someone else, even with a
/// trigger word in it ("投诉入口在哪", "what does chargeback mean", "我朋友说要去消协").
fn neutral_framing(text: &str) -> f32 {
    let has = |cues: &[&str]| cues.iter().any(|cue| contains_cue(text, cue));
    let mut damp = 0.0;
    const PROCEDURE: &[&str] = &[
        "怎么",
        "如何",
        "哪里",
        "在哪",
        "多久",
        "流程",
        "是什么意思",
        "什么意思",
        "可以投诉吗",
        "应该走",
        "入口",
        "how do i",
        "how to",
        "what does",
        "where can",
        "mean",
        "procedure",
        "process",
    ];
    const CALM: &[&str] =
        &["好奇", "没别的意思", "提醒一下", "建议", "not angry", "just want", "just curious", "feedback", "先问问", "想问问", "分享", "大家注意", "原来是"];
    const OTHERS: &[&str] = &["我朋友", "另一家", "别的机构", "别家", "my friend", "another site", "another platform"];
    const LAUGHING: &[&str] = &["哈哈", "笑死", "😂", "haha", "lol", "呵呵，原来"];
    const PRAISE_ONLY: &[&str] = &["so much faster", "love the new", "feels great", "works great", "thank you so much"];
    if has(PROCEDURE) {
        damp += 0.6;
    }
    if has(CALM) {
        damp += 1.0;
    }
    if has(OTHERS) {
        damp += 0.6;
    }
    if has(LAUGHING) {
        damp += 0.8;
    }
    if has(PRAISE_ONLY) {
        damp += 1.0;
    }
    // A trigger inside a longer, neutral term: an exam subject, a course topic.
    if has(&["律师资格", "垃圾分类", "学习笔记"]) {
        damp += 1.0;
    }
    damp
}

/// Cues of ASCII letters match whole words only ("hell" is not in "hello"); other cues
/// (Chinese, digits, punctuation) anywhere.
fn contains_cue(text: &str, cue: &str) -> bool {
    find_word(text, cue).is_some()
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
    // "人工智能" (AI, a course subject) is not "人工" (a person).
    let text = &text.replace("人工智能", "ai");
    // Asking what the bot is ("你是真人还是AI", "are you a bot") is a question, not a request.
    if asks_what_the_bot_is(text) {
        return false;
    }
    let rejects = rejects_the_bot(text);
    let bare = bare_request(text) || calls_for_someone(text);
    // "我要找人": wanting a person outright, even beside a question about the hours.
    let outright = ["转人工", "我要找人", "转接人工", "要人工", "叫人来"].iter().any(|cue| text.contains(cue));
    if rejects || bare || outright || wants_a_call(text) {
        return true;
    }
    // Questions about the service itself (opening hours, the phone number, leaving a
    // message) are answered from the knowledge base.
    if asks_about_the_service(text) {
        return false;
    }
    named_request(text) || addresses_someone_in_charge(text) || fuzzy_english_request(text)
}

/// The hand-written readings of a request for a person in normalised text (as
/// [`crate::normalize::spoken`] gives it), as features of the learned model
/// ([`crate::request`]): 1 where a family of forms is present, 0 where not.
pub fn request_cues(text: &str) -> Vec<f32> {
    let flag = |present: bool| if present { 1.0 } else { 0.0 };
    vec![
        flag(wants_human(text)),
        flag(bare_request(text) || calls_for_someone(text)),
        flag(rejects_the_bot(text)),
        flag(named_request(text)),
        flag(addresses_someone_in_charge(text)),
        flag(wants_a_call(text)),
        flag(fuzzy_english_request(text)),
        flag(asks_about_the_service(text)),
        flag(asks_what_the_bot_is(text)),
        flag(declines_a_person(text)),
        flag(already_talked_to_someone(text)),
        flag(review_by_a_person(text)),
        flag(a_clause_only_asks_for_a_person(text)),
        flag(waits_in_line_for_a_person(text)),
        flag(asks_to_escalate(text)),
    ]
}

/// A learner in line for a person, or asking to be put in line: "帮我排人工", "我在等人工",
/// "put me in the queue for an agent", "waiting for the agent to join". In a chat with the
/// bot, the line is the bot's to join. How long the line is in general ("人工一般要排多久")
/// reads the same; the model tells them apart by the rest of the message. Being passed on
/// ("正在为您转接", "connecting you to an agent") or sitting in the chat ("I've been here an
/// hour") is a line too, and nobody having come ("还没人", "no one") names the person awaited.
fn waits_in_line_for_a_person(text: &str) -> bool {
    const ZH_LINE: &[&str] = &["排队", "排上", "排个", "排人工", "在等", "等人工", "等客服", "等真人", "排号", "转接"];
    const ZH_PERSON: &[&str] = &["人工", "客服", "真人", "工作人员", "没人", "人呢", "让人接", "来个人", "派个人"];
    const EN_LINE: &[&str] = &["queue", "in line", "waiting for", "wait for", "waitlist", "been here", "connecting you", "transferring you"];
    const EN_PERSON: &[&str] = &["agent", "human", "person", "someone", "representative", "rep", "staff", "operator", "no one", "nobody", "anyone"];
    // "排了半小时队": the line split by how long it is.
    let split_line = text.match_indices('排').any(|(at, _)| text[at..].chars().skip(1).take(6).any(|c| c == '队'));
    let zh = (ZH_LINE.iter().any(|cue| text.contains(cue)) || split_line) && ZH_PERSON.iter().any(|who| text.contains(who));
    let en = EN_LINE.iter().any(|cue| contains_cue(text, cue)) && EN_PERSON.iter().any(|who| contains_cue(text, who));
    zh || en
}

/// A learner already waiting for a person and impatient for one: "排队排了半天了人工怎么还没来",
/// "I've been waiting in the queue for an agent for 20 min, is anyone coming?", "怎么还不给我转人工".
/// The learner is in line (or asked to be) and says so; the line is the bot's to join, so this
/// is a request however the question is worded. Asking how long the line is in general ("人工
/// 一般要排多久") says no wait of the learner's own.
pub fn still_waiting_for_a_person(text: &str) -> bool {
    const ZH_OWN_WAIT: &[&str] = &["还没", "还不", "还在", "还是没", "已经", "半天", "好久", "这么久", "多久了", "一直", "分钟了", "小时了", "队了"];
    const EN_OWN_WAIT: &[&str] =
        &["still", "been waiting", "anyone coming", "someone coming", "anybody coming", "is anyone", "is someone", "yet", "for ages", "forever", "so long"];
    const ZH_NOT_YET_PASSED_ON: &[&str] = &["还不给我转", "还不转", "还没转", "还没给我转", "还不帮我转", "还没帮我转"];
    let waits = waits_in_line_for_a_person(text)
        && !review_by_a_person(text)
        && (ZH_OWN_WAIT.iter().any(|cue| text.contains(cue)) || EN_OWN_WAIT.iter().any(|cue| contains_cue(text, cue)));
    // "退款还不转到卡上" is money not passed on: the person must be named.
    let not_yet_passed_on = ZH_NOT_YET_PASSED_ON.iter().any(|cue| text.contains(cue)) && ["人工", "客服", "真人"].iter().any(|who| text.contains(who));
    waits || not_yet_passed_on
}

/// Asking for support above the first line: "升级到高级客服", "一线处理不了就升级吧",
/// "escalate this", "bump it up to a senior specialist", "tier 2 please".
fn asks_to_escalate(text: &str) -> bool {
    const ZH: &[&str] = &["升级处理", "升级到", "往上升", "往上报", "上报给", "更高级别", "高级客服", "资深客服", "二线", "专员", "专家客服", "技术人员"];
    const EN: &[&str] =
        &["escalate", "escalation", "bump this up", "bump it up", "senior", "specialist", "tier 2", "tier two", "second line", "level 2", "higher level"];
    let zh = ZH.iter().any(|cue| text.contains(cue))
        || text.contains("升级") && ["客服", "人工", "一线", "处理不了", "解决不了"].iter().any(|cue| text.contains(cue));
    zh || EN.iter().any(|cue| contains_cue(text, cue))
}

/// One clause of the message is nothing but a request for a person: "还是不会弄，转人工",
/// "试了还是不行 要人工", "ok. agent please". Whatever the rest says, that clause asks — unless
/// the message declines a person, asks whether the bot is one, or thanks one whose help ended
/// the trouble ("谢谢客服，问题解决了"). A bare "客服" is left out: "客服，我的退款呢" addresses
/// whoever answers.
pub fn a_clause_only_asks_for_a_person(text: &str) -> bool {
    if declines_a_person(text) || asks_what_the_bot_is(text) || thanks_for_help_already_given(text) {
        return false;
    }
    text.split(|c: char| "，,。.!！?？;；~、…\n".contains(c) || c.is_whitespace() && !text.is_ascii())
        .map(|clause| {
            clause.trim().trim_start_matches("麻烦").trim_start_matches('你').trim_start_matches("帮我").trim_end_matches("处理").trim_end_matches("一下")
        })
        .filter(|clause| !clause.is_empty() && !matches!(*clause, "客服" | "客服客服" | "customer service"))
        .any(|clause| bare_request(clause) || asks_where_the_person_is(clause))
}

/// A clause asking where the person is, in a chat with the bot: "人工客服在哪", "真人呢",
/// "where's the human". The bot can hand over at once, which is what the learner wants.
fn asks_where_the_person_is(clause: &str) -> bool {
    const ZH_PEOPLE: &[&str] = &["人工客服", "真人客服", "人工", "真人", "活人", "客服人员", "工作人员"];
    const ZH_WHERE: &[&str] = &["在哪里", "在哪儿", "在哪", "呢", "去哪了", "哪去了"];
    const EN: &[&str] = &["where's the", "wheres the", "where is the", "where are the", "where is a", "where's a", "where is your", "where are your"];
    const EN_PEOPLE: &[&str] = &["human", "humans", "agent", "agents", "person", "people", "staff", "representative", "operator"];
    // The clause ends with the person and where: "人工客服在哪", "你们的真人到底在哪里".
    let zh = ZH_PEOPLE.iter().any(|who| {
        clause.match_indices(who).any(|(at, _)| {
            let rest = clause[at + who.len()..].trim().trim_start_matches("到底").trim_start_matches("究竟").trim_start_matches('都');
            ZH_WHERE.contains(&rest)
        })
    });
    let en = EN.iter().any(|cue| {
        clause.match_indices(cue).any(|(at, _)| {
            let next = clause[at + cue.len()..].split_whitespace().next().unwrap_or("");
            EN_PEOPLE.contains(&next)
        })
    });
    zh || en
}

/// Whether a sentence of a long message may be its request for a person: it names someone who
/// could take over (a person, staff, a team, a role) and neither declines one, nor quotes one
/// already talked to, nor puts one off ("如果还不行我再找人工", "I'll talk to an agent
/// tomorrow"). The request model decides; this only keeps it to sentences about a person.
pub fn a_sentence_may_ask_for_a_person(sentence: &str) -> bool {
    const ZH: &[&str] = &[
        "人工",
        "客服",
        "真人",
        "工作人员",
        "有人",
        "个人",
        "人帮",
        "人看",
        "人处理",
        "人核",
        "人查",
        "人来",
        "老师",
        "班主任",
        "助教",
        "顾问",
        "财务",
        "技术",
        "同事",
        "专员",
        "主管",
        "经理",
        "领导",
        "监考",
        "教务",
        "负责",
        "电话",
    ];
    const EN: &[&str] = &[
        "human",
        "person",
        "someone",
        "somebody",
        "anyone",
        "anybody",
        "agent",
        "representative",
        "rep",
        "staff",
        "team",
        "supervisor",
        "manager",
        "tutor",
        "teacher",
        "adviser",
        "advisor",
        "specialist",
        "support",
        "call",
        "operator",
        "people",
        "employee",
        "colleague",
    ];
    let names_someone = ZH.iter().any(|who| sentence.match_indices(who).any(|(at, _)| !quoted(&sentence[at + who.len()..])))
        || EN.iter().any(|who| contains_cue(sentence, who));
    names_someone && !declines_a_person(sentence) && !already_talked_to_someone(sentence) && !puts_off_a_person(sentence)
}

/// A person wanted later or only if something fails: "如果这样还不行我再找人工", "明天再打客服电话",
/// "if this doesn't work I'll talk to an agent tomorrow".
fn puts_off_a_person(text: &str) -> bool {
    const ZH: &[&str] = &["再找", "再联系", "再打", "再转", "明天", "回头", "以后", "改天", "晚点", "到时候", "如果", "要是"];
    const EN: &[&str] = &["if this", "if that", "if it", "tomorrow", "later", "i'll", "i will", "next week", "don't want to bother", "dont want to bother"];
    ZH.iter().any(|cue| text.contains(cue)) || EN.iter().any(|cue| contains_cue(text, cue))
}

/// A person mentioned only to say one is not needed (now): "不用转人工了", "先别转人工",
/// "no need for an agent", "I don't need a person, just…".
fn declines_a_person(text: &str) -> bool {
    const ZH: &[&str] = &["不用", "不需要", "无需", "先别", "别", "不必", "不要", "暂时不", "先不", "不急着", "不想麻烦"];
    const ZH_PERSON: &[&str] = &["人工", "客服", "真人", "转", "找人", "专人", "联系"];
    const EN: &[&str] = &["no need", "don't need", "dont need", "do not need", "never mind", "nevermind", "no longer need"];
    // Mixed messages decline in English and name the person in Chinese: "no need 人工".
    const EN_PERSON: &[&str] = &["human", "agent", "person", "someone", "anyone", "anybody", "staff", "transfer", "anymore", "now", "人工", "客服", "真人"];
    // The person must follow the "no" closely: "我不需要再看帮助文章，请让工作人员接手" declines
    // the articles, not the person.
    let close_after = |cues: &[&str], people: &[&str], reach: usize| {
        cues.iter().any(|cue| {
            text.match_indices(cue).any(|(at, _)| {
                // "不用帮我联系客服": the person follows the favour asked.
                let after: String = text[at + cue.len()..].trim_start_matches("帮我").chars().take(reach).collect();
                people.iter().any(|who| after.contains(who))
            })
        })
    };
    close_after(ZH, ZH_PERSON, 3) || close_after(EN, EN_PERSON, 12)
}

/// Someone already talked to, whose words the learner now asks about: "昨天已经跟人工客服聊过了",
/// "the agent I talked to said…".
fn already_talked_to_someone(text: &str) -> bool {
    const ZH: &[&str] = &[
        "已经跟",
        "已经和",
        "已经有",
        "刚才",
        "昨天跟",
        "昨天和",
        "上次跟",
        "上次和",
        "之前跟",
        "之前和",
        "找过",
        "客服说",
        "客服说过",
        "刚刚那个",
        "刚才那个",
        "上次那个",
        "表扬",
        "电话客服说",
        "客服讲",
        "客服答应",
        "客服回复",
    ];
    const EN: &[&str] = &[
        "talked to",
        "spoke to",
        "spoke with",
        "talked with",
        "the agent said",
        "an agent said",
        "your staff said",
        "agent told",
        "staff told",
        "support told",
        "support said",
        "compliment",
        "praise",
    ];
    let past_zh = ZH.iter().any(|cue| text.contains(cue)) && ["过", "说", "讲", "答应", "回复", "处理好", "解决了"].iter().any(|done| text.contains(done));
    past_zh || EN.iter().any(|cue| text.contains(cue))
}

/// A person's review as a step of a process, asked about: "人工审核要多久", "does a human
/// check my essay", "manual review".
fn review_by_a_person(text: &str) -> bool {
    [
        "人工审核",
        "客服审核",
        "人工复核",
        "人工核",
        "人工批改",
        "人工检查",
        "人工申诉",
        "真人老师批改",
        "老师批改",
        "manual review",
        "manually review",
        "human review",
        "reviewed by a human",
        "checked by a human",
    ]
    .iter()
    .any(|cue| text.contains(cue))
}

/// The requests the dev sets were first written with: a person named with an asking verb.
fn named_request(text: &str) -> bool {
    const ZH_PEOPLE: &[&str] = &[
        "人工",
        "真人",
        "活人",
        "人类",
        "坐席",
        "专员",
        "专人",
        "工作人员",
        "接线员",
        "客服人员",
        "客服小姐姐",
        "客服经理",
        "技术支持",
        "技术人员",
        "财务",
        "高级客服",
        "资深客服",
        "懂行的",
        "人来",
    ];
    const ZH_ASKING: &[&str] =
        &["转", "找", "要", "接", "叫", "换", "让", "安排", "需要", "联系", "请", "来", "给我", "跟", "和", "沟通", "说话", "对接", "处理", "服务"];
    const ZH_DIRECT: &[&str] = &[
        "转人工",
        "人工服务",
        "人工客服来",
        "找客服",
        "叫客服",
        "真人客服",
        "转客服",
        "接通客服",
        "转接",
        // A measure word between the verb and the person: 叫个客服, 找个人, 来个人.
        "叫个客服",
        "找个客服",
        "换个客服",
        "要个客服",
        "来个客服",
        "叫个人",
        "找个人来",
        "来个人",
        "让客服来",
        // Someone else than the bot: 换个人, 换人.
        "换个人",
        "换人",
        "换一个人",
        // Calling out for someone in a chat: "客服在吗".
        "客服在吗",
        "客服在不在",
        "人工在吗",
    ];
    const EN_PEOPLE: &[&str] = &[
        "agent",
        "human",
        "person",
        "representative",
        "operator",
        "someone",
        "somebody",
        "staff",
        "supervisor",
        "manager",
        "real people",
        "live support",
        "member of your",
        "employee",
        "colleague",
        "specialist",
        "advisor",
        "adviser",
        // A department stands for its people: "talk to billing", "connect me with tech support".
        "billing",
        "tech support",
        "technical support",
    ];
    const EN_ASKING: &[&str] = &[
        "talk",
        "speak",
        "transfer",
        "connect",
        "want",
        "need",
        "get me",
        "put me",
        "let me",
        "chat with",
        "escalate",
        "can i get",
        "give me",
        "i'd like",
        "take over",
        "hand me",
        "hand this",
        "pass me",
        "pass this",
        "discuss",
        "help me",
        "look at this",
    ];
    if ZH_DIRECT.iter().any(|cue| text.contains(cue)) {
        return true;
    }
    if ZH_PEOPLE.iter().any(|who| text.contains(who)) && ZH_ASKING.iter().any(|verb| text.contains(verb)) {
        return true;
    }
    if text.contains("有没有活人") || text.contains("有活人吗") || text.contains("有人吗") && (text.contains("真人") || text.contains("跟人")) {
        return true;
    }
    // "有没有真人服务" asks for a person now; "有人工客服吗" at night asks about hours (above).
    if ["有没有真人", "有没有人工"].iter().any(|cue| text.contains(cue)) {
        return true;
    }
    EN_PEOPLE.iter().any(|who| contains_cue(text, who)) && EN_ASKING.iter().any(|verb| contains_cue(text, verb)) && !text.contains("hours")
}

/// "你们经理呢", "叫你们领导来", "找你们的负责人": someone in charge, asked for.
fn addresses_someone_in_charge(text: &str) -> bool {
    const IN_CHARGE: &[&str] = &["经理", "主管", "领导", "负责人", "管事的", "能做主的", "上级", "上司", "老板"];
    const ASKED: &[&str] = &["你们", "叫", "找", "让", "要", "来", "呢"];
    const EN_IN_CHARGE: &[&str] = &["boss", "supervisor", "manager", "superior", "someone in charge", "person in charge", "higher up", "higher-up"];
    const EN_ASKED: &[&str] = &["get", "your", "let me", "i want", "i need", "talk", "speak", "put", "bring", "where"];
    let zh = IN_CHARGE.iter().any(|who| text.contains(who)) && ASKED.iter().any(|cue| text.contains(cue)) && !text.contains("证书") && !text.contains("课程");
    zh || EN_IN_CHARGE.iter().any(|who| contains_cue(text, who)) && EN_ASKED.iter().any(|cue| contains_cue(text, cue))
}

/// "不要机器人", "别让AI回我", "机器人闭嘴", "跳过机器人", "no more bot answers", "bots can't fix this",
/// "skip the bot".
fn rejects_the_bot(text: &str) -> bool {
    const ZH_BOT: &[&str] = &["机器人", "机器", "ai", "智能", "自动回复", "自动的", "程序", "bot"];
    const ZH_AGAINST: &[&str] =
        &["不要", "别", "不想", "不跟", "不和", "闭嘴", "走开", "滚", "不用", "受够", "换", "不是跟", "听不懂", "不懂", "没用", "跳过", "绕过"];
    const EN_BOT: &[&str] = &["bot", "bots", "robot", "robots", "chatbot", "chatbots", "ai", "automated", "machine", "machines", "auto-reply", "auto reply"];
    const EN_AGAINST: &[&str] = &[
        "no",
        "stop",
        "not",
        "don't",
        "dont",
        "can't",
        "cant",
        "cannot",
        "isn't",
        "isnt",
        "enough",
        "no more",
        "useless",
        "quit",
        "stupid",
        "tired of",
        "done with",
        "skip",
        "bypass",
        "get past",
        "get rid of",
    ];
    let zh = ZH_BOT.iter().any(|bot| text.contains(bot)) && ZH_AGAINST.iter().any(|cue| text.contains(cue));
    let en = EN_BOT.iter().any(|bot| contains_cue(text, bot)) && EN_AGAINST.iter().any(|cue| contains_cue(text, cue));
    (zh || en) && !asks_what_the_bot_is(text)
}

/// Asking whether someone who contacted the learner is really the platform's staff: "有个自称客服的
/// 加我，靠谱吗", "直播间有人私信叫我转账，是你们的人吗", "someone claiming to be from support
/// asked for my code". A question about a possible scam, answered from the knowledge base;
/// the staff it names are the ones in doubt, not the ones asked for.
pub fn asks_whether_someone_is_staff(text: &str) -> bool {
    const ZH: &[&str] =
        &["自称", "冒充", "假冒", "是你们的人", "是不是你们的人", "是你们客服吗", "是你们的客服吗", "是不是你们客服", "是不是你们的客服", "是你们的工作人员吗"];
    const EN: &[&str] = &[
        "claims to be",
        "claiming to be",
        "claimed to be",
        "pretending to be",
        "pretends to be",
        "is this really your",
        "is that really your",
        "really from your",
        "actually from your",
        "are they your staff",
        "is he your staff",
        "is she your staff",
    ];
    ZH.iter().any(|cue| text.contains(cue)) || EN.iter().any(|cue| contains_cue(text, cue))
}

/// Asking whether a course of some kind exists: "有没有人工翻译方向的课程", "有没有真人老师一对一的课",
/// "有真人老师直播的课吗". The person these name (人工, 真人老师) describes the course, not someone
/// wanted now. A clause about the learner's own course ("有没有人管管我买的课") or asking for
/// something done ("有没有人能弄一下", "有没有人工处理退课") is not one.
pub fn asks_whether_a_course_exists(text: &str) -> bool {
    const OPENINGS: &[&str] = &["有没有", "有无", "是否有", "有"];
    const COURSES: &[&str] = &["课程", "课", "班"];
    const DOING: &[&str] = &["我", "帮", "看", "管", "弄", "搞", "处理", "解决", "查", "退", "联系", "回复", "回", "接", "转", "能"];
    // Subjects a course teaches that hold a doing character: 人力资源管理, 直播回放.
    const SUBJECTS: &[&str] = &["管理", "回放"];
    sentences(text).into_iter().flat_map(|sentence| sentence.split(['，', ',', ' '])).any(|clause| {
        let asked = clause.trim_end_matches(['吗', '呢', '啊', '呀', '么', '嘛']);
        let without_subjects = SUBJECTS.iter().fold(clause.to_owned(), |rest, subject| rest.replace(subject, " "));
        OPENINGS.iter().any(|opening| clause.starts_with(opening))
            && COURSES.iter().any(|course| asked.ends_with(course))
            && !DOING.iter().any(|doing| without_subjects.contains(doing))
    })
}

/// Thanks for help already given, with the trouble over: "昨天人工客服帮我解决了，谢谢你们",
/// "thanks, the agent already fixed it". The person these name is the one who helped, not
/// someone wanted now. Trouble still there ("谢谢，但是还没解决") is not over.
pub fn thanks_for_help_already_given(text: &str) -> bool {
    const THANKS: &[&str] = &["谢谢", "感谢", "多谢", "谢了", "thanks", "thank you", "thx"];
    const OVER: &[&str] = &["解决了", "搞定了", "弄好了", "处理好了", "办好了", "好了", "resolved", "sorted", "fixed", "works now", "working now", "all good"];
    const NOT_OVER: &[&str] = &[
        "没解决",
        "未解决",
        "没有解决",
        "没搞定",
        "没弄好",
        "没处理好",
        "还没",
        "不好",
        "但是",
        "可是",
        "not resolved",
        "not fixed",
        "not sorted",
        "isn't",
        "hasn't",
        "didn't",
        "still",
        "but",
    ];
    // "退款好了吗", "is it fixed?": asking whether it is over is not saying so.
    const ASKED: &[char] = &['吗', '没', '么', '嘛', '呢', '?', '？'];
    let over = OVER.iter().any(|cue| text.match_indices(cue).any(|(at, _)| !text[at + cue.len()..].trim_start().starts_with(ASKED)));
    // Thanks for help on an earlier day, asking nothing ("谢谢昨天帮我处理退款的那位客服",
    // "thanks to whoever helped me yesterday"): the help is over too. Asking that person
    // again ("之前帮我的客服能再帮我看看吗"), or asking anything now ("谢谢，之前的问题帮我转人工
    // 处理"), is not.
    const PAST: &[&str] = &["昨天", "前天", "上次", "之前", "刚才", "刚刚", "那天", "yesterday", "earlier", "last time", "the other day"];
    const HELPED: &[&str] = &["帮", "处理", "helped", "handled", "took care"];
    const ASKS: &[&str] =
        &["吗", "?", "？", "能不能", "可以", "再", "转", "找", "请", "麻烦", "想", "要", "again", "can", "could", "please", "pls", "want", "need"];
    // English cues as whole words: "scan" asks nothing.
    let helped_before =
        PAST.iter().any(|cue| contains_cue(text, cue)) && HELPED.iter().any(|cue| text.contains(cue)) && !ASKS.iter().any(|cue| contains_cue(text, cue));
    THANKS.iter().any(|cue| text.contains(cue)) && (over || helped_before) && !NOT_OVER.iter().any(|cue| contains_cue(text, cue))
}

/// The message without the learner's own people: the staff of a company buying for its team
/// ("公司想给20个员工统一买课", "courses for about 20 staff", "our employees need invoices")
/// are theirs, not ours, and a question about them asks for nobody. None when it names none.
pub fn without_the_learners_own_people(text: &str) -> Option<String> {
    const ZH_PEOPLE: &[&str] = &["员工", "同事", "职员", "学员", "学生", "孩子", "员工们", "同事们"];
    const ZH_OWNERS: &[&str] = &["我们公司的", "我们公司", "我们单位的", "我们单位", "我们的", "公司的", "公司", "单位", "本公司", "我们", "我的", "我家"];
    const ZH_NUMBERS: &[char] = &['一', '二', '两', '三', '四', '五', '六', '七', '八', '九', '十', '百', '千', '几', '多'];
    const EN_PEOPLE: &[&str] = &["staff", "employees", "employee", "colleagues", "coworkers", "team", "people", "members", "students", "kids"];
    const EN_OWNERS: &[&str] = &["our", "my", "company's", "all", "several", "few", "many", "some"];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut removed = false;
    'scan: while let Some(first) = rest.chars().next() {
        for who in ZH_PEOPLE.iter().rev() {
            if rest.starts_with(who) {
                let before = out.trim_end_matches(['个', '名', '位', ' ']);
                let owned = before.ends_with(|c: char| c.is_ascii_digit() || ZH_NUMBERS.contains(&c)) || ZH_OWNERS.iter().any(|owner| before.ends_with(owner));
                if owned {
                    out.push(' ');
                    rest = &rest[who.len()..];
                    removed = true;
                    continue 'scan;
                }
            }
        }
        out.push(first);
        rest = &rest[first.len_utf8()..];
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    let mut kept: Vec<&str> = Vec::with_capacity(words.len());
    for word in &words {
        let bare = word.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
        let previous = kept.last().map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '\''));
        let owned = previous.is_some_and(|p| EN_OWNERS.contains(&p) || !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        if EN_PEOPLE.contains(&bare) && owned {
            removed = true;
            continue;
        }
        kept.push(word);
    }
    removed.then(|| kept.join(" "))
}

/// Ways of asking whether the other side is a bot or a person.
const WHAT_THE_BOT_IS: &[&str] =
    &["你是真人还是", "你是机器人吗", "你是不是机器人", "你是ai吗", "你是人吗", "are you a bot", "are you a human", "are you real", "is this a bot"];

/// Asking whether the other side is a bot or a person.
fn asks_what_the_bot_is(text: &str) -> bool {
    WHAT_THE_BOT_IS.iter().any(|cue| text.contains(cue))
}

/// A message that asks only whether the other side is a bot ("are you a bot lol", "你是真人还是AI"):
/// small talk about the assistant, which no article answers. Beside a question ("are you a bot?
/// my coupon won't apply") the question is what the learner wants answered.
pub fn only_asks_what_the_bot_is(text: &str) -> bool {
    if !asks_what_the_bot_is(text) {
        return false;
    }
    let rest = WHAT_THE_BOT_IS.iter().fold(text.to_owned(), |rest, cue| rest.replace(cue, " "));
    let words = rest.split(|c: char| !c.is_ascii_alphanumeric()).filter(|word| !word.is_empty()).count();
    let characters = rest.chars().filter(|c| crate::normalize::is_cjk(*c)).count();
    words <= 3 && characters <= 4
}

/// A message that is only a person asked for ("人工", "真人", "客服客服客服", "human",
/// "AGENT PLZ", "人工！人工！人工！"), however often repeated.
fn bare_request(text: &str) -> bool {
    const NOUNS: &[&str] = &[
        "人工客服",
        "真人客服",
        "人工服务",
        "转人工",
        "人工",
        "真人",
        "活人",
        "客服",
        "工作人员",
        "human being",
        "human",
        "humans",
        "agent",
        "representative",
        "rep",
        "operator",
        "person",
        "real person",
        "live agent",
        "customer service",
        "cs rep",
        "cs agent",
        "support agent",
        "support rep",
    ];
    const FILLERS: &[&str] = &[
        "please",
        "pls",
        "plz",
        "now",
        "asap",
        "a",
        "an",
        "请",
        "要",
        "我要",
        "给我",
        "谢谢",
        "呀",
        "啊",
        "吧",
        "快点",
        "快",
        "赶紧",
        "马上",
        "立刻",
        "速度",
        "找",
        "求求了",
        "求求你",
        "求你了",
        "拜托了",
        "拜托",
        "直接",
        "转接",
        "转",
    ];
    only(text, NOUNS, FILLERS)
}

/// A message that only calls out for someone: "有人吗", "人呢？", "真人在吗", "hello?? anyone
/// there", "hello?? anybody??". In a chat that is a person wanted; with a question after it,
/// the question is answered instead.
fn calls_for_someone(text: &str) -> bool {
    const CALLS: &[&str] = &[
        "有没有人在",
        "有没有人",
        "有人在吗",
        "有人在不在",
        "有人吗",
        "真人在吗",
        "人在吗",
        "人呢",
        "anyone there",
        "anybody there",
        "anyone real",
        "anybody real",
        "someone real",
        "anyone here",
        "anybody here",
        "someone there",
        "somebody there",
        "anyone around",
        "anybody around",
        "anyone",
        "anybody",
    ];
    const FILLERS: &[&str] = &[
        "喂",
        "哈喽",
        "你好",
        "您好",
        "请问",
        "到底",
        "还",
        "hello",
        "hi",
        "hey",
        "is",
        "are",
        "there",
        "please",
        "pls",
        "on the other end",
        "on the other side",
        "out there",
    ];
    only(text, CALLS, FILLERS)
}

/// Whether `text` holds one of `wanted` and nothing but `fillers` and punctuation besides.
fn only(text: &str, wanted: &[&str], fillers: &[&str]) -> bool {
    let mut rest: String =
        text.chars().map(|c| if c.is_alphanumeric() || c.is_whitespace() || c > '\u{2E80}' && c.is_alphabetic() { c } else { ' ' }).collect();
    let mut found = false;
    // Longest first, so "人工客服" is not left as "客服" halves.
    let mut nouns: Vec<&str> = wanted.to_vec();
    nouns.sort_by_key(|noun| std::cmp::Reverse(noun.len()));
    for noun in nouns {
        while let Some(at) = find_word(&rest, noun) {
            rest.replace_range(at..at + noun.len(), " ");
            found = true;
        }
    }
    if !found {
        return false;
    }
    let mut fillers: Vec<&str> = fillers.to_vec();
    fillers.sort_by_key(|filler| std::cmp::Reverse(filler.len()));
    for filler in fillers {
        while let Some(at) = find_word(&rest, filler) {
            rest.replace_range(at..at + filler.len(), " ");
        }
    }
    rest.trim().is_empty()
}

/// Where `word` stands in `text` as a word of its own: words of ASCII letters need a
/// boundary before them and no letter after them; others match anywhere.
fn find_word(text: &str, word: &str) -> Option<usize> {
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        if !word.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return true;
        }
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(|c| c.is_ascii_alphabetic())
    })
}

/// Someone asked to act on the learner's case, as a long message puts it after describing the
/// problem: "Can a representative look at my account?", "is there anyone on your staff who can
/// check…", "I'd like the tech team to check the logs", "请帮我联系一下班主任", "请接一个客服给我",
/// "安排一个专人对接", "请让监考老师人工复核一下". A question about how to reach someone ("请问老师
/// 怎么联系", "how can a tutor check my homework?") is not one.
pub fn asks_someone_to_act(text: &str) -> bool {
    // A sentence that declines, puts off or quotes a person, or asks about a review, asks
    // no one to act; another sentence of the message still may.
    let sentences = sentences(text);
    let asking = |sentence: &&str| {
        !(declines_a_person(sentence)
            || puts_off_a_person(sentence)
            || already_talked_to_someone(sentence)
            || review_by_a_person(sentence)
            || asks_what_the_bot_is(sentence))
    };
    sentences.into_iter().filter(asking).flat_map(|sentence| sentence.split(['，', ','])).any(|clause| {
        let clause = clause.trim();
        let asks_how = ["怎么", "如何", "怎样", "哪里", "在哪", "what", "how", "where", "when", "does", "do"].iter().any(|cue| contains_cue(clause, cue));
        !asks_how && (someone_asked_to_act_zh(clause) || someone_asked_to_act_en(clause))
    })
}

/// The sentences of `text`: split at full stops, question and exclamation marks, semicolons and
/// line breaks (an English full stop only before a space or at the end, so "v2.1" and "8.5"
/// stay whole); pieces under two characters are dropped.
pub(crate) fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let next = chars.peek().map(|(_, next)| *next);
        let ends = "。！？!?；;\n".contains(c) || c == '.' && next.is_none_or(char::is_whitespace);
        if ends {
            let sentence = text[start..at].trim();
            if sentence.chars().count() >= 2 {
                out.push(sentence);
            }
            start = at + c.len_utf8();
        }
    }
    let rest = text[start..].trim();
    if rest.chars().count() >= 2 {
        out.push(rest);
    }
    out
}

/// [`asks_someone_to_act`] in one Chinese clause: a verb that brings a person in before them
/// ("帮我联系财务"), or an asking word before and an action after ("让老师复核").
fn someone_asked_to_act_zh(clause: &str) -> bool {
    const PEOPLE: &[&str] = &[
        "人工",
        "客服",
        "真人",
        "专人",
        "工作人员",
        "班主任",
        "老师",
        "助教",
        "顾问",
        "教务",
        "财务",
        "技术",
        "同事",
        "监考",
        "主管",
        "经理",
        "负责人",
        "专员",
    ];
    // Verbs that bring the person in by themselves ("帮我联系班主任") …
    const BRING: &[&str] =
        &["联系", "帮我接", "给我接", "接一下", "接一个", "接个", "帮我找", "给我找", "找个", "找一个", "叫", "安排", "转给", "转到", "交给"];
    // … or that ask the person, once named, to do something ("让老师复核").
    const ASK: &[&str] = &["让", "请", "麻烦", "能不能", "可不可以", "可以", "能否"];
    const ACT: &[&str] =
        &["看", "查", "处理", "复核", "核实", "核对", "对接", "联系我", "打电话", "致电", "跟进", "解决", "恢复", "解锁", "审核", "确认", "开", "补"];
    PEOPLE.iter().any(|who| {
        clause.match_indices(who).any(|(at, _)| {
            let before: String = clause[..at].chars().rev().take(6).collect::<Vec<char>>().into_iter().rev().collect();
            let after: String = clause[at + who.len()..].chars().take(8).collect();
            !quoted(&after)
                && (BRING.iter().any(|verb| before.contains(verb)) || ASK.iter().any(|cue| before.contains(cue)) && ACT.iter().any(|verb| after.contains(verb)))
        })
    })
}

/// Text right after a person that quotes them: "老师说", "客服告诉我", "财务那边说".
fn quoted(after_the_person: &str) -> bool {
    let after = after_the_person.trim_start_matches("那边").trim_start_matches("之前").trim_start_matches("也");
    ["说", "讲", "告诉", "回复", "表示", "讲过", "答应"].iter().any(|verb| after.starts_with(verb))
}

/// [`asks_someone_to_act`] in one English clause: a person with an asking word up to six words
/// before and an action up to five words after ("could a technician check…").
fn someone_asked_to_act_en(clause: &str) -> bool {
    const PEOPLE: &[&str] = &[
        "human",
        "person",
        "agent",
        "representative",
        "rep",
        "staff",
        "someone",
        "somebody",
        "anyone",
        "anybody",
        "supervisor",
        "manager",
        "specialist",
        "technician",
        "assistant",
        "tutor",
        "teacher",
        "adviser",
        "advisor",
        "team",
        "employee",
        "colleague",
        "operator",
    ];
    // "I'd appreciate it if a staff member could…": "'d" is "would".
    const ASK: &[&str] =
        &["can", "could", "would", "i'd", "we'd", "appreciate", "will", "may", "there", "have", "get", "like", "need", "want", "let", "please", "pls", "plz"];
    const ACT: &[&str] = &[
        "check",
        "look",
        "review",
        "handle",
        "unlock",
        "restore",
        "reopen",
        "fix",
        "call",
        "contact",
        "go",
        "walk",
        "speed",
        "verify",
        "confirm",
        "sort",
        "investigate",
        "process",
        "escalate",
        "see",
        "take",
        "help",
        "reach",
        "ring",
        "phone",
        "email",
    ];
    let words: Vec<&str> = clause.split(|c: char| !c.is_ascii_alphanumeric() && c != '\'').filter(|word| !word.is_empty()).collect();
    words.iter().enumerate().any(|(at, word)| {
        PEOPLE.contains(word)
            // "my teacher" is the course's, not the desk's.
            && at.checked_sub(1).is_none_or(|before| words[before] != "my")
            && words[at.saturating_sub(6)..at].iter().any(|before| ASK.contains(before))
            && words.iter().skip(at + 1).take(5).any(|after| ACT.contains(after))
    })
}

/// "让客服打电话给我", "语音沟通", "call me".
fn wants_a_call(text: &str) -> bool {
    [
        "打电话给我",
        "打个电话给我",
        "给我打个电话",
        "给我打电话",
        "电话联系我",
        "致电我",
        "致电给我",
        "打给我",
        "语音沟通",
        "语音通话",
        "打电话教",
        "电话教",
        "打过去跟人",
        "电话指导",
        "回电话",
        "回个电话",
        "回电",
        "来电",
        "call me",
        "phone me",
        "call me back",
        "callback",
        "call back",
        "ring me",
        "give me a call",
        "voice call",
        "phone call",
    ]
    .iter()
    .any(|cue| text.contains(cue))
}

/// Questions about the support service rather than a request for a person now.
fn asks_about_the_service(text: &str) -> bool {
    const ZH: &[&str] = &[
        "几点",
        "上班",
        "下班",
        "营业",
        "电话多少",
        "电话号码",
        "客服电话",
        "工作时间",
        "非工作时间",
        "留言",
        "周末",
        "节假日",
        "过年",
        "打得通",
        "区别",
        "评价",
        "邮箱是",
    ];
    const EN: &[&str] = &["hours", "phone number", "opening", "open on", "weekend", "holiday", "leave a message", "difference", "rate the", "email address"];
    ZH.iter().any(|cue| text.contains(cue)) || EN.iter().any(|cue| contains_cue(text, cue))
}

/// English requests with a misspelt person ("huamn pls", "transfer me to an agnet").
fn fuzzy_english_request(text: &str) -> bool {
    const PEOPLE: &[&str] = &["human", "agent", "person", "operator", "representative", "someone", "supervisor"];
    const ASKING: &[&str] = &["talk", "speak", "speek", "transfer", "connect", "get", "give", "want", "need", "pls", "plz", "please", "now", "chat"];
    let words: Vec<&str> = text.split(|c: char| !c.is_ascii_alphabetic() && c != '\'').filter(|w| !w.is_empty()).collect();
    let person = words.iter().any(|word| word.len() >= 5 && PEOPLE.iter().any(|target| damerau_at_most_one(word, target)));
    let asking = words.iter().any(|word| ASKING.contains(word));
    person && (asking || words.len() <= 2)
}

/// Whether two words differ by at most one edit (insert, delete, substitute, or swap of
/// neighbours).
fn damerau_at_most_one(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return true;
    }
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    match ra.len().cmp(&rb.len()) {
        std::cmp::Ordering::Equal => ra[1..] == rb[1..] || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..]),
        std::cmp::Ordering::Greater => ra[1..] == *rb,
        std::cmp::Ordering::Less => *ra == rb[1..],
    }
}

/// The learner says the last answer did not help.
fn not_helped(text: &str) -> bool {
    NOT_HELPED
        .iter()
        .any(|cue| if cue.is_ascii() { contains_cue(text, cue) } else { text.match_indices(cue).any(|(at, _)| says_it_did_not_help(text, cue, at)) })
}

/// Whether the Chinese `cue` at byte `at` of `text` is feedback rather than part of another
/// phrase: "没用过" and "没用的券" are "not used (yet)", "行不行" asks whether something will do.
fn says_it_did_not_help(text: &str, cue: &str, at: usize) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at + cue.len()..].chars().next();
    match cue {
        "没用" => !after.is_some_and(|c| "过的掉完上".contains(c)),
        "不行" => before != Some('行') && after != Some('吗'),
        _ => true,
    }
}

/// Whether normalised `text` says only that the answer did not help ("没用", "that didn't
/// work", "还是不行啊"): feedback on the last answer, with no question of its own. The matcher
/// may still find an article for its words ("didn't work" shares "work" with "my coupon is
/// not working"), but it is the same failed answer.
pub fn only_not_helped(text: &str) -> bool {
    const FILLER_WORDS: &[&str] =
        &["that", "it", "this", "still", "the", "answer", "just", "really", "sorry", "but", "nope", "no", "at", "all", "sadly", "unfortunately", "either"];
    const FILLER_CHARS: &str = "还是了啊呀呢吧这个那都也你的好像根本完全真";
    if !not_helped(text) {
        return false;
    }
    let rest = without_not_helped(text);
    let words = rest.split(|c: char| !c.is_ascii_alphanumeric() && c != '\'').filter(|word| !word.is_empty() && !FILLER_WORDS.contains(word)).count();
    let characters = rest.chars().filter(|c| crate::normalize::is_cjk(*c) && !FILLER_CHARS.contains(*c)).count();
    words == 0 && characters == 0
}

/// `text` with the words of an answer that did not help taken out ("没用，高考志愿怎么填" →
/// " ，高考志愿怎么填"): what is left is the learner's new question, if any.
pub fn without_not_helped(text: &str) -> String {
    NOT_HELPED.iter().fold(text.to_owned(), |rest, cue| rest.replace(cue, " "))
}

/// What a learner says when the answer did not help.
const NOT_HELPED: &[&str] = &[
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    fn read(text: &str) -> Signals {
        Signals::read(text, &normalize(text))
    }

    #[test]
    fn ironic_praise_beside_a_failure_is_sarcasm_and_praise_alone_is_not() {
        let score = |text: &str| frustration(text, &normalize(text));
        for text in
            ["好极了，刚升级完app，连登录都登不上了", "Brilliant, locked out of my account the morning of my final exam.", "Cool cool cool, charged twice"]
        {
            assert!(score(text) >= 1.0, "{text}: {}", score(text));
        }
        for text in ["太感人了，老师讲得真好", "Thanks, I really appreciate it", "挺好的课，就是视频有点卡", "这个老师真厉害，又学到了很多"]
        {
            assert!(score(text) < 1.0, "{text}: {}", score(text));
        }
    }

    #[test]
    fn refusing_another_article_or_apology_is_anger_and_asking_for_one_is_not() {
        let score = |text: &str| frustration(text, &normalize(text));
        for text in
            ["别再发文章链接了，我要的是解决方案", "I don't want another article. I want my money back.", "Please stop apologizing and actually fix it."]
        {
            assert!(score(text) >= 1.0, "{text}: {}", score(text));
        }
        for text in
            ["能发我一个文章链接吗", "Is there an article about refunds?", "sorry, one more question about coupons", "不好意思，又是我，上次那个链接打不开"]
        {
            assert!(score(text) < 1.0, "{text}: {}", score(text));
        }
    }

    #[test]
    fn going_public_is_a_threat_and_mentioning_a_platform_is_not() {
        for text in [
            "最后问一次，不退的话我就发小红书，把经过一五一十写清楚",
            "行，那我去微博发一下",
            "今天给不了答复，我就去教育局反映",
            "I'm going to post the whole story on Reddit",
            "我已经截图了，会发到小红书让大家看看",
            "我准备把聊天记录发微博",
        ] {
            assert!(goes_public(&normalize(text)), "{text}");
        }
        for text in ["抖音上发的优惠码能用吗", "你们有小红书账号吗", "我在微博看到你们的活动", "can i share my certificate on facebook"]
        {
            assert!(!goes_public(&normalize(text)), "{text}");
        }
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
    fn anger_without_swear_words_is_read_from_the_situation() {
        // Sarcasm, counted waits with no answer, contempt, going elsewhere, angry emoji, high
        // stakes (wordings of our own, not from the dev sets).
        for text in [
            "太棒了，交了钱课程直接打不开",
            "Brilliant, my downloads got deleted again",
            "等了五天了，到现在没人回",
            "你们这服务也好意思收费",
            "我要在朋友圈发一下你们的处理态度",
            "又崩了😡😡",
            "明天就要考试，账号还是锁着，快点",
            "It's been two weeks and every single answer is copy-paste",
            "算了，不指望你们了",
            "说实话挺心寒的",
        ] {
            assert!(read(text).frustrated(), "{text}: {:?}", read(text));
        }
        // Calm questions with trigger words, stories about others, laughter, plain facts.
        for text in [
            "投诉的流程是什么",
            "我朋友想投诉另一家机构，你们的退款规则是怎样的",
            "哈哈谢谢你们，太棒了",
            "退款三天了还没到账，正常吗",
            "不好意思，我发错了",
            "what does dispute mean on my statement",
        ] {
            assert!(!read(text).frustrated(), "{text}: {:?}", read(text));
        }
    }

    #[test]
    fn requests_for_a_person_in_the_many_ways_learners_write_them() {
        // Bare, repeated, misspelt, rejecting the bot, addressing someone in charge, asking
        // for a call (wordings of our own, not from the dev sets).
        for text in [
            "人工服务！！",
            "真人真人",
            "客服 客服",
            "human pls",
            "Representative!",
            "get me a humna please",
            "不要AI回复我",
            "机器人别回了，换个人",
            "stop the bot, I need a person",
            "this chatbot is useless",
            "你们主管呢",
            "能打个电话给我吗",
            "人供客服",
            "轉人工",
        ] {
            assert!(read(text).wants_human, "{text}");
        }
        // Questions about the service, or about the bot, or another meaning of the words.
        for text in
            ["你是真人还是机器人", "客服电话多少", "我想学人工智能", "人工智能课程怎么样", "are you a bot?", "项目经理证书怎么报名", "agent of change course"]
        {
            assert!(!read(text).wants_human, "{text}");
        }
    }

    #[test]
    fn requests_with_a_measure_word_or_a_plural_are_requests() {
        // Forms found by asking the bot ourselves, not in any dev set.
        for text in ["叫个客服过来", "来个人处理一下", "客服在吗", "no more robots please", "I'm done with chatbots"] {
            assert!(read(text).wants_human, "{text}");
        }
        for text in ["人工智能课程怎么退款", "客服电话多少", "人工智能的课能退吗"] {
            assert!(!read(text).wants_human, "{text}");
        }
    }

    #[test]
    fn a_message_that_only_calls_out_for_someone_wants_a_person() {
        for text in ["有人吗？？", "喂，有人在吗", "人呢", "真人在吗", "到底有没有人", "hello?? anyone there", "Is anybody there?"] {
            assert!(read(text).wants_human, "{text}");
        }
        // A question after the call is answered; someone else, or the bot itself, is not asked for.
        for text in ["有人吗？我想问下退款多久到账", "有没有人代写作业", "直播间有人私信我要钱", "你是真人还是AI", "anyone there know how to reset a password"]
        {
            assert!(!read(text).wants_human, "{text}");
        }
    }

    #[test]
    fn a_clause_asking_for_a_person_politely_or_bluntly_is_a_request() {
        for text in [
            "证书名字错了，改了还是旧的，麻烦帮我转人工处理",
            "不用回答了，直接转客服",
            "求求了人工🙏🙏",
            "CS rep pls",
            "Is there anyone real on the other end?",
        ] {
            let text = &crate::normalize::normalize(text);
            assert!(a_clause_only_asks_for_a_person(text) || calls_for_someone(text), "{text}");
        }
        for text in ["不用转人工了，谢谢", "人工审核一般要几天"] {
            assert!(!a_clause_only_asks_for_a_person(text), "{text}");
        }
    }

    #[test]
    fn waiting_in_line_and_escalation_are_read() {
        for text in ["帮我排个人工", "我在等人工", "put me in the queue for an agent", "I've been waiting for the agent to join"] {
            assert!(waits_in_line_for_a_person(text), "{text}");
        }
        for text in ["排队买课有优惠吗", "waiting for my refund", "人工审核一般要几天"] {
            assert!(!waits_in_line_for_a_person(text), "{text}");
        }
        for text in [
            "排队等人工十分钟了还没轮到我",
            "still in the queue for a human, anyone there?",
            "为什么还不给我转人工",
            "排了四十分钟队了还是没人",
            "说正在转接，都过去二十分钟了还没人",
            "i've been here 40 minutes and still nobody",
            "it said connecting you to an agent ages ago, still waiting",
        ] {
            assert!(still_waiting_for_a_person(text), "{text}");
        }
        for text in [
            "人工一般要排多久",
            "still waiting for my refund",
            "客服说三天到账，我再等等",
            "我一直在等人工审核结果",
            "退款怎么还不转到我卡上",
            "周五提的问题到现在还没人回",
            "发起的团过了一天还没人来",
            "nobody in the live class can hear me, still",
        ] {
            assert!(!still_waiting_for_a_person(text), "{text}");
        }
        for text in ["一线处理不了就升级吧", "能不能帮我升级到高级客服", "can you escalate this", "bump it up to a senior specialist"] {
            assert!(asks_to_escalate(text), "{text}");
        }
        for text in ["app怎么升级", "会员能升级成年卡吗", "how do I update the app"] {
            assert!(!asks_to_escalate(text), "{text}");
        }
    }

    #[test]
    fn someone_asked_to_act_on_the_case_is_a_request_and_someone_quoted_or_put_off_is_not() {
        for text in [
            "订单号我发过来了，麻烦帮我联系一下财务",
            "证书上名字错了。能不能让老师帮我核实一下",
            "the video froze at 80%. could a technician check my account please?",
            "is there someone on your team who can restore my deleted notes?",
            // Formal and contracted asking: 能否 … 致电, "we'd" (we would).
            "发票的事说不清楚，能否请财务致电我",
            "we'd be grateful if someone could phone us about the refund",
        ] {
            assert!(asks_someone_to_act(text), "{text}");
        }
        for text in [
            "财务说发票三天内开好，现在能下载了吗",
            "请问老师怎么联系",
            "如果明天还不行我再联系客服",
            "can my teacher check my homework before the deadline?",
            "the agent said it would be refunded. how long does it take?",
            "不用帮我联系客服，告诉我在哪改就行",
            "app里能直接打客服电话吗",
        ] {
            assert!(!asks_someone_to_act(text), "{text}");
        }
        assert!(a_sentence_may_ask_for_a_person("能不能找个人帮我看看后台记录"));
        assert!(!a_sentence_may_ask_for_a_person("课程视频一直黑屏"));
        assert!(!a_sentence_may_ask_for_a_person("if it still fails i'll call support tomorrow"));
    }

    #[test]
    fn not_helped_is_recognised() {
        assert!(read("还是不行").not_helped);
        assert!(read("That didn't work").not_helped);
        assert!(!read("thanks, that worked").not_helped);
        // Not used yet, and "will it do?", are not feedback on an answer.
        for text in ["我还没用过这张券，能退吗", "没用的优惠券过期了怎么办", "先试听一节行不行", "这样不行吗"] {
            assert!(!read(text).not_helped, "{text}");
        }
        assert!(read("试了，没用。").not_helped);
    }

    #[test]
    fn feedback_alone_is_told_from_feedback_with_a_question() {
        for text in ["没用", "还是不行啊", "That didn't work", "nope, still not working", "试过了，没用"] {
            assert!(only_not_helped(&normalize(text)), "{text}");
        }
        for text in ["没用，我问的是退款", "didn't work, how do I get a refund instead", "thanks, that worked", "优惠券不行"] {
            assert!(!only_not_helped(&normalize(text)), "{text}");
        }
    }
}
