//! Training for support staff: a course per tier of four modules (product and course
//! knowledge; service skills and empathy; systems and tools; SOPs and compliance), quizzes,
//! the pass marks that certify a tier, and practice with a simulated learner.
//!
//! This module owns the rules and the fixed content; questions about products and SOPs are
//! generated from the knowledge base and the SOP definitions the server passes in, so the
//! course follows the KB as it changes instead of going stale. Generation is deterministic in
//! a seed (the attempt), so an attempt can be re-created and tested, yet two attempts differ.

use serde::{Deserialize, Serialize};

use crate::{hiring, lang::Lang, model::Tier};

/// One of the four modules of every tier's course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Module {
    /// Product and course knowledge (from the KB).
    Product,
    /// Service skills and empathy.
    Skills,
    /// Systems and tools (the console).
    Tools,
    /// SOPs and compliance.
    Sops,
}

impl Module {
    pub const ALL: [Module; 4] = [Module::Product, Module::Skills, Module::Tools, Module::Sops];

    pub fn as_str(self) -> &'static str {
        match self {
            Module::Product => "product",
            Module::Skills => "skills",
            Module::Tools => "tools",
            Module::Sops => "sops",
        }
    }

    pub fn parse(text: &str) -> Option<Module> {
        Module::ALL.into_iter().find(|module| module.as_str() == text)
    }

    pub fn title(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Module::Product => ("产品与课程知识", "Product and course knowledge"),
            Module::Skills => ("服务技巧与共情", "Service skills and empathy"),
            Module::Tools => ("系统与工具", "Systems and tools"),
            Module::Sops => ("SOP 与合规", "SOPs and compliance"),
        };
        if lang == Lang::Zh { zh } else { en }
    }

    /// Questions in one quiz of this module at `tier` (higher tiers answer more about the
    /// product and the SOPs, where their work is deeper).
    pub fn question_count(self, tier: Tier) -> usize {
        let extra = (tier.level() - 1) as usize * 2;
        match self {
            Module::Product => 6 + extra,
            Module::Skills => 6,
            Module::Tools => 5,
            Module::Sops => 6 + extra,
        }
    }
}

/// The share of right answers that passes a module at `tier`.
pub fn pass_mark(tier: Tier) -> f64 {
    match tier.level() {
        1 => 0.8,
        2 => 0.85,
        _ => 0.9,
    }
}

/// A question as asked: the prompt, 2–4 options, and (kept on the server) the right one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizQuestion {
    pub prompt: String,
    pub options: Vec<String>,
    pub answer: usize,
}

/// A written lesson: a title and paragraphs.
#[derive(Debug, Clone, Copy)]
pub struct Lesson {
    pub zh: (&'static str, &'static str),
    pub en: (&'static str, &'static str),
}

impl Lesson {
    /// (title, body) in `lang`.
    pub fn text(&self, lang: Lang) -> (&'static str, &'static str) {
        if lang == Lang::Zh { self.zh } else { self.en }
    }
}

/// The written lessons of the skills and tools modules (product and SOP lessons are the
/// KB's articles and the SOPs themselves).
pub fn written_lessons(module: Module) -> &'static [Lesson] {
    match module {
        Module::Skills => &SKILLS_LESSONS,
        Module::Tools => &TOOLS_LESSONS,
        Module::Sops => &COMPLIANCE_LESSONS,
        Module::Product => &[],
    }
}

const SKILLS_LESSONS: [Lesson; 3] = [
    Lesson {
        zh: (
            "先共情，再解决",
            "学员来找我们时往往已经试过、等过、着急了。第一句话先承认感受（“让您久等了”“理解您着急”），再说明你会做什么。不要辩解，也不要把问题推给学员。",
        ),
        en: (
            "Empathise first, then solve",
            "Learners reach us after trying and waiting. Acknowledge the feeling first (\"sorry for the wait\", \"I understand this is frustrating\"), then say what you will do. Don't argue and don't put the problem back on the learner.",
        ),
    },
    Lesson {
        zh: ("问对问题", "排查时一次问清关键信息：设备、系统和 App 版本、浏览器、网络、出错时的截图。问题要具体、可回答，避免让学员猜你需要什么。"),
        en: (
            "Ask the right questions",
            "Collect what you need in one go: device, OS and app version, browser, network, a screenshot of the error. Ask specific questions the learner can answer, so they never have to guess what you need.",
        ),
    },
    Lesson {
        zh: (
            "给出下一步并跟进",
            "每次回复都要有明确的下一步：请学员尝试什么、你会在什么时间回复、转给哪个团队。承诺的时间要兑现；转二线时把已做的排查写清楚，学员不必重复。",
        ),
        en: (
            "Give a next step and follow up",
            "Every reply ends with a clear next step: what the learner should try, when you will be back, which team takes it over. Keep the times you promise; when you hand over, write down what was checked so the learner never repeats it.",
        ),
    },
];

const TOOLS_LESSONS: [Lesson; 3] = [
    Lesson {
        zh: (
            "收件箱与 SLA",
            "所有渠道（聊天、邮件、微信、短信、电话）都进入同一个收件箱。每个会话有首次响应和解决的 SLA 时钟；快到期的会话会标黄，超时标红。先处理超时和即将超时的会话。",
        ),
        en: (
            "The inbox and SLAs",
            "Every channel (chat, email, WeChat, SMS, phone) arrives in one inbox. Each conversation has first-response and resolution SLA clocks; those close to breach turn amber, breached ones red. Work the breached and nearly breached first.",
        ),
    },
    Lesson {
        zh: (
            "升级与协作",
            "需要二线或三线处理时使用“升级”，并写明原因和已做的排查；系统会把完整上下文带给下一层。需要财务等团队协助时邀请协作者，他们只写内部备注。内部备注学员看不到。",
        ),
        en: (
            "Escalation and collaboration",
            "When Tier 2 or 3 must take over, use Escalate with the reason and what you checked; the full context travels with it. Invite collaborators (e.g. finance) when another team must help; they write internal notes only. Learners never see internal notes.",
        ),
    },
    Lesson {
        zh: (
            "SOP 面板、标签与视图",
            "常见问题会自动带出 SOP：按步骤引导、记录答案，必做步骤完成前不能解决或升级。给会话打标签，用搜索和保存的视图找回同类会话。",
        ),
        en: (
            "The SOP panel, tags and views",
            "Common problems bring up their SOP: it guides you step by step and records the answers; mandatory steps must be done before you resolve or escalate. Tag conversations, and use search and saved views to find similar ones again.",
        ),
    },
];

const COMPLIANCE_LESSONS: [Lesson; 1] = [Lesson {
    zh: (
        "合规要点",
        "绝不索要学员的密码或完整银行卡号；退款和账号变更前先核实身份；不向任何人透露其他学员的信息；学员要求导出或删除个人数据时，按流程转交管理员处理。",
    ),
    en: (
        "Compliance essentials",
        "Never ask for a learner's password or full card number; verify identity before refunds and account changes; never disclose another learner's data; when a learner asks for an export or deletion of their data, hand it to an admin through the process.",
    ),
}];

/// A fixed multiple-choice question in both languages.
struct Fixed {
    zh: &'static str,
    en: &'static str,
    options: [(&'static str, &'static str); 4],
    answer: usize,
}

const TOOLS_QUIZ: [Fixed; 6] = [
    Fixed {
        zh: "一个会话的 SLA 已经超时（红色）。你应该：",
        en: "A conversation's SLA has breached (red). You:",
        options: [
            ("等手头的会话都处理完再看", "Finish everything else first"),
            ("优先处理它", "Work it first"),
            ("直接关闭它", "Close it"),
            ("把它转给学员自己处理", "Tell the learner to sort it out"),
        ],
        answer: 1,
    },
    Fixed {
        zh: "升级到二线时，必须写上：",
        en: "When you escalate to Tier 2 you must write:",
        options: [
            ("学员的密码", "The learner's password"),
            ("什么都不用写", "Nothing"),
            ("升级原因和已做的排查", "The reason and what you checked"),
            ("你的下班时间", "When your shift ends"),
        ],
        answer: 2,
    },
    Fixed {
        zh: "内部备注：",
        en: "Internal notes are:",
        options: [
            ("学员和员工都能看到", "Seen by learners and staff"),
            ("只有员工能看到", "Seen by staff only"),
            ("会通过短信发给学员", "Sent to the learner by SMS"),
            ("保存后立刻删除", "Deleted once saved"),
        ],
        answer: 1,
    },
    Fixed {
        zh: "SOP 的必做步骤还没完成时：",
        en: "While an SOP's mandatory steps are not done:",
        options: [
            ("不能解决或升级该会话", "The conversation cannot be resolved or escalated"),
            ("可以随时解决", "You may resolve it anyway"),
            ("会话会被自动删除", "The conversation is deleted"),
            ("学员会被封号", "The learner is blocked"),
        ],
        answer: 0,
    },
    Fixed {
        zh: "退款纠纷需要财务同事帮忙，你应该：",
        en: "A refund dispute needs finance's help. You:",
        options: [
            ("把学员的电话发到群里", "Post the learner's phone number in a group chat"),
            ("让学员自己找财务", "Tell the learner to find finance"),
            ("邀请财务作为协作者", "Invite finance as a collaborator"),
            ("把会话转成已解决", "Mark it resolved"),
        ],
        answer: 2,
    },
    Fixed {
        zh: "想快速找回所有标了“VIP”的退款会话，最好：",
        en: "To find every refund conversation tagged \"vip\" again quickly, best:",
        options: [
            ("逐个翻看收件箱", "Scroll through the inbox"),
            ("用搜索筛选后保存为视图", "Search with filters and save it as a view"),
            ("问主管", "Ask your supervisor"),
            ("导出数据库", "Export the database"),
        ],
        answer: 1,
    },
];

const COMPLIANCE_QUIZ: [Fixed; 4] = [
    Fixed {
        zh: "学员说登录不了，你可以向他索要：",
        en: "A learner cannot sign in. You may ask them for:",
        options: [
            ("他的密码", "Their password"),
            ("注册手机号和出错截图", "Their registered phone number and a screenshot of the error"),
            ("完整的银行卡号", "Their full card number"),
            ("他朋友的账号", "A friend's account"),
        ],
        answer: 1,
    },
    Fixed {
        zh: "有人自称学员家长，要求查看该学员的订单。你应该：",
        en: "Someone says they are a learner's parent and asks for the learner's orders. You:",
        options: [
            ("直接告诉他", "Tell them"),
            ("先按流程核实身份和授权", "Verify identity and authorisation first, as the process says"),
            ("把学员的邮箱发给他", "Send them the learner's email address"),
            ("挂断电话", "Hang up"),
        ],
        answer: 1,
    },
    Fixed {
        zh: "学员要求删除自己的所有个人数据，你应该：",
        en: "A learner asks to delete all their personal data. You:",
        options: [
            ("告诉他做不到", "Say it cannot be done"),
            ("自己去数据库里删", "Delete rows in the database yourself"),
            ("按流程转交管理员处理", "Hand it to an admin through the process"),
            ("忽略这个请求", "Ignore it"),
        ],
        answer: 2,
    },
    Fixed {
        zh: "办理退款前，必须：",
        en: "Before a refund you must:",
        options: [
            ("核实是本人账号和订单", "Verify the account holder and the order"),
            ("让学员先给好评", "Ask for a good rating first"),
            ("等一个月", "Wait a month"),
            ("什么都不用做", "Do nothing"),
        ],
        answer: 0,
    },
];

fn fixed(questions: &[Fixed], lang: Lang) -> Vec<QuizQuestion> {
    questions
        .iter()
        .map(|q| QuizQuestion {
            prompt: (if lang == Lang::Zh { q.zh } else { q.en }).to_owned(),
            options: q.options.iter().map(|(zh, en)| (if lang == Lang::Zh { *zh } else { *en }).to_owned()).collect(),
            answer: q.answer,
        })
        .collect()
}

/// A small deterministic generator (SplitMix64): the same seed makes the same quiz.
pub struct Seeded(u64);

impl Seeded {
    pub fn new(seed: u64) -> Seeded {
        Seeded(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Moves the right option to a random place, so its position says nothing.
fn shuffled(question: QuizQuestion, rng: &mut Seeded) -> QuizQuestion {
    let right = question.options[question.answer].clone();
    let mut options = question.options;
    rng.shuffle(&mut options);
    let answer = options.iter().position(|option| *option == right).unwrap_or(0);
    QuizQuestion { prompt: question.prompt, options, answer }
}

/// What the product quiz needs to know about an article.
#[derive(Debug, Clone)]
pub struct ArticleFacts {
    pub id: String,
    pub title: String,
    pub category: String,
    /// How learners ask for it: its alternative questions and real queries that landed on it.
    pub asks: Vec<String>,
}

/// What the SOP quiz needs to know about an SOP.
#[derive(Debug, Clone)]
pub struct SopFacts {
    pub title: String,
    /// The problems it is chosen for, as learners would name them (e.g. "视频、播放").
    pub categories: Vec<String>,
    /// Step titles in order.
    pub steps: Vec<String>,
}

/// Up to three wrong options for `right` from `pool`, distinct and in a seeded order; at
/// higher tiers `near` ones (same category) come first, which is harder.
fn distractors(right: &str, pool: &[(String, bool)], rng: &mut Seeded, prefer_near: bool) -> Vec<String> {
    let mut candidates: Vec<&(String, bool)> = pool.iter().filter(|(text, _)| text != right).collect();
    rng.shuffle(&mut candidates);
    if prefer_near {
        candidates.sort_by_key(|(_, near)| !near);
    }
    let mut chosen: Vec<String> = Vec::new();
    for (text, _) in candidates {
        if chosen.len() == 3 {
            break;
        }
        if !chosen.contains(text) {
            chosen.push(text.clone());
        }
    }
    chosen
}

/// Product questions: a learner's wording, and which article answers it.
pub fn product_questions(articles: &[ArticleFacts], lang: Lang, tier: Tier, seed: u64) -> Vec<QuizQuestion> {
    let mut rng = Seeded::new(seed);
    let mut askable: Vec<&ArticleFacts> = articles.iter().filter(|article| !article.asks.is_empty()).collect();
    rng.shuffle(&mut askable);
    askable
        .into_iter()
        .take(Module::Product.question_count(tier))
        .filter_map(|article| {
            let ask = &article.asks[rng.below(article.asks.len())];
            let pool: Vec<(String, bool)> = articles.iter().map(|other| (other.title.clone(), other.category == article.category)).collect();
            let wrong = distractors(&article.title, &pool, &mut rng, tier > Tier::ONE);
            if wrong.is_empty() {
                return None;
            }
            let prompt = match lang {
                Lang::Zh => format!("学员问：“{ask}”。哪篇文章能解决？"),
                Lang::En => format!("A learner asks: \"{ask}\". Which article answers it?"),
            };
            let options = std::iter::once(article.title.clone()).chain(wrong).collect();
            Some(shuffled(QuizQuestion { prompt, options, answer: 0 }, &mut rng))
        })
        .collect()
}

/// SOP questions: which step comes next, and which SOP a problem calls for; then the fixed
/// compliance questions, to `question_count` in all.
pub fn sop_questions(sops: &[SopFacts], lang: Lang, tier: Tier, seed: u64) -> Vec<QuizQuestion> {
    let mut rng = Seeded::new(seed);
    let mut questions = Vec::new();
    let all_steps: Vec<(String, bool)> = sops.iter().flat_map(|sop| sop.steps.iter().map(|step| (step.clone(), false))).collect();
    for sop in sops {
        if sop.steps.len() >= 2 {
            let at = rng.below(sop.steps.len() - 1);
            let right = &sop.steps[at + 1];
            // Steps of the same SOP are the near (harder) wrong answers.
            let pool: Vec<(String, bool)> =
                sop.steps.iter().enumerate().filter(|(n, _)| *n != at).map(|(_, step)| (step.clone(), true)).chain(all_steps.iter().cloned()).collect();
            let wrong = distractors(right, &pool, &mut rng, true);
            if !wrong.is_empty() {
                let prompt = match lang {
                    Lang::Zh => format!("在“{}”中，“{}”之后的下一步是？", sop.title, sop.steps[at]),
                    Lang::En => format!("In \"{}\", which step comes after \"{}\"?", sop.title, sop.steps[at]),
                };
                questions.push(shuffled(QuizQuestion { prompt, options: std::iter::once(right.clone()).chain(wrong).collect(), answer: 0 }, &mut rng));
            }
        }
        if let Some(category) = sop.categories.first() {
            let pool: Vec<(String, bool)> = sops.iter().map(|other| (other.title.clone(), false)).collect();
            let wrong = distractors(&sop.title, &pool, &mut rng, false);
            if !wrong.is_empty() {
                let prompt = match lang {
                    Lang::Zh => format!("学员的问题与“{category}”有关，应该按哪个 SOP 处理？"),
                    Lang::En => format!("A learner's problem is about \"{category}\". Which SOP do you follow?"),
                };
                questions.push(shuffled(QuizQuestion { prompt, options: std::iter::once(sop.title.clone()).chain(wrong).collect(), answer: 0 }, &mut rng));
            }
        }
    }
    rng.shuffle(&mut questions);
    let compliance = fixed(&COMPLIANCE_QUIZ, lang);
    let from_sops = Module::Sops.question_count(tier).saturating_sub(compliance.len());
    questions.truncate(from_sops);
    questions.extend(compliance.into_iter().map(|question| shuffled(question, &mut rng)));
    questions
}

/// The fixed quizzes: skills (the hiring test's judgement questions) and tools.
pub fn fixed_questions(module: Module, lang: Lang, tier: Tier, seed: u64) -> Vec<QuizQuestion> {
    let mut rng = Seeded::new(seed);
    let mut questions = match module {
        Module::Skills => hiring::QUIZ
            .iter()
            .map(|q| QuizQuestion {
                prompt: (if lang == Lang::Zh { q.zh } else { q.en }).to_owned(),
                options: q.options.iter().map(|(zh, en)| (if lang == Lang::Zh { *zh } else { *en }).to_owned()).collect(),
                answer: q.answer,
            })
            .collect(),
        Module::Tools => fixed(&TOOLS_QUIZ, lang),
        Module::Product | Module::Sops => Vec::new(),
    };
    rng.shuffle(&mut questions);
    questions.truncate(module.question_count(tier));
    questions.into_iter().map(|question| shuffled(question, &mut rng)).collect()
}

/// A scored quiz.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuizScore {
    pub correct: usize,
    pub total: usize,
    pub passed: bool,
}

/// Scores answers (one option index per question) against the questions' keys.
pub fn score(questions: &[QuizQuestion], answers: &[usize], tier: Tier) -> Result<QuizScore, String> {
    if answers.len() != questions.len() {
        return Err(format!("answer all {} questions", questions.len()));
    }
    if let Some(n) = questions.iter().zip(answers).position(|(question, answer)| *answer >= question.options.len()) {
        return Err(format!("question {} has no option {}", n + 1, answers[n] + 1));
    }
    let correct = questions.iter().zip(answers).filter(|(question, answer)| question.answer == **answer).count();
    let total = questions.len();
    Ok(QuizScore { correct, total, passed: total > 0 && correct as f64 >= pass_mark(tier) * total as f64 - 1e-9 })
}

/// A practice scenario: a learner with a question the KB answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    pub lang: Lang,
    /// The learner's first message.
    pub opening: String,
    /// The article that solves it.
    pub article_id: String,
    pub article_title: String,
    /// How the learner says it again when the reply misses (other wordings of the question).
    pub restatements: Vec<String>,
    /// The learner arrives upset (acknowledging it is then part of the score).
    pub upset: bool,
}

/// Details a simulated learner gives when asked about their setup.
const DETAILS_ZH: [&str; 4] = [
    "我用的是 iPhone 13，在 App 里操作的，网络是家里的 Wi-Fi。",
    "是华为手机，微信里打开的，4G 网络。",
    "用的 Windows 电脑，Chrome 浏览器，公司网络。",
    "MacBook，Safari 浏览器，刚更新过系统。",
];
const DETAILS_EN: [&str; 4] = [
    "I'm on an iPhone 13, in the app, on home Wi-Fi.",
    "It's an Android phone, opened from WeChat, on 4G.",
    "A Windows laptop with Chrome, on the office network.",
    "A MacBook with Safari; I just updated the system.",
];

/// One turn of the trainee, as the server judged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraineeTurn {
    pub body: String,
    /// Empathy signals in the reply (see [`hiring::empathy_signals`]).
    pub signals: Vec<String>,
    /// The reply gives the scenario's answer (links or names the article, or says what it says).
    pub solves: bool,
}

/// The simulated learner's state and transcript.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Practice {
    /// (speaker, text): `learner` or `trainee`.
    pub transcript: Vec<(String, String)>,
    pub turns: Vec<TraineeTurn>,
    pub solved: bool,
    pub ended: bool,
}

/// The most replies a trainee gets before the learner gives up.
pub const PRACTICE_TURNS: usize = 6;

impl Practice {
    pub fn start(scenario: &Scenario) -> Practice {
        Practice { transcript: vec![("learner".to_owned(), scenario.opening.clone())], ..Practice::default() }
    }

    /// The trainee replies; the learner answers. Returns the learner's answer.
    pub fn reply(&mut self, scenario: &Scenario, turn: TraineeTurn, seed: u64) -> String {
        let zh = scenario.lang == Lang::Zh;
        let asked = turn.signals.iter().any(|s| s == "asks");
        let blamed = turn.signals.iter().any(|s| s == "blames");
        let solves = turn.solves;
        self.transcript.push(("trainee".to_owned(), turn.body.clone()));
        self.turns.push(turn);
        let mut rng = Seeded::new(seed ^ self.turns.len() as u64);
        let answer = if solves {
            self.solved = true;
            self.ended = true;
            (if zh { "好的，我试了一下，解决了，谢谢！" } else { "OK, I tried that and it works. Thank you!" }).to_owned()
        } else if self.turns.len() >= PRACTICE_TURNS {
            self.ended = true;
            (if zh { "算了，问了半天也没解决，我去投诉了。" } else { "Forget it. This got nowhere; I'm filing a complaint." }).to_owned()
        } else if blamed {
            (if zh { "这怎么是我的问题？你们到底能不能解决？" } else { "How is this my fault? Can you fix it or not?" }).to_owned()
        } else if asked {
            (if zh { DETAILS_ZH[rng.below(DETAILS_ZH.len())] } else { DETAILS_EN[rng.below(DETAILS_EN.len())] }).to_owned()
        } else {
            let again = scenario.restatements.get(self.turns.len() - 1).or(scenario.restatements.first()).unwrap_or(&scenario.opening);
            let impatient = self.turns.len() >= 3;
            match (zh, impatient) {
                (true, false) => format!("我的意思是：{again}"),
                (true, true) => format!("还是没说到点上，我都问了 {} 遍了：{again}", self.turns.len()),
                (false, false) => format!("What I mean is: {again}"),
                (false, true) => format!("That still misses it, and this is the {}th time I'm asking: {again}", self.turns.len()),
            }
        };
        self.transcript.push(("learner".to_owned(), answer.clone()));
        answer
    }

    /// The score so far (final once ended).
    pub fn score(&self, scenario: &Scenario) -> PracticeScore {
        let any = |signal: &str| self.turns.iter().any(|turn| turn.signals.iter().any(|s| s == signal));
        let first_acknowledges = self.turns.first().is_some_and(|turn| turn.signals.iter().any(|s| s == "acknowledges"));
        let solved = if self.solved { 50u32.saturating_sub(5 * (self.turns.len().saturating_sub(2) as u32)).max(30) } else { 0 };
        // Acknowledging in the first reply matters most when the learner arrived upset.
        let empathy = match (first_acknowledges, any("acknowledges"), scenario.upset) {
            (true, _, _) => 20,
            (false, true, true) => 5,
            (false, true, false) => 15,
            (false, false, _) => 0,
        };
        let asked = if any("asks") { 10 } else { 0 };
        let next_step = if any("next_step") || any("owns") { 10 } else { 0 };
        let respectful = if any("blames") { 0 } else { 10 };
        PracticeScore { total: solved + empathy + asked + next_step + respectful, solved, empathy, asked, next_step, respectful, turns: self.turns.len() }
    }
}

/// How a practice went, out of 100: solving it (50, less for many turns), empathy (20),
/// asking what was needed (10), owning it with a next step (10), never blaming (10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PracticeScore {
    pub total: u32,
    pub solved: u32,
    pub empathy: u32,
    pub asked: u32,
    pub next_step: u32,
    pub respectful: u32,
    pub turns: usize,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn articles() -> Vec<ArticleFacts> {
        (0..12)
            .map(|n| ArticleFacts {
                id: format!("a{n}"),
                title: format!("Article {n}"),
                category: format!("c{}", n % 3),
                asks: if n % 4 == 3 { vec![] } else { vec![format!("how do I {n}?"), format!("{n} is broken")] },
            })
            .collect()
    }

    #[test]
    fn product_questions_come_from_the_kb_with_the_right_article_among_distinct_options() {
        let articles = articles();
        let quiz = product_questions(&articles, Lang::En, Tier::ONE, 7);
        assert_eq!(quiz.len(), 6);
        for question in &quiz {
            let right = &question.options[question.answer];
            let article = articles.iter().find(|a| &a.title == right).unwrap();
            assert!(article.asks.iter().any(|ask| question.prompt.contains(ask.as_str())), "{question:?}");
            let mut distinct = question.options.clone();
            distinct.dedup();
            distinct.sort();
            distinct.dedup();
            assert_eq!((question.options.len(), distinct.len()), (4, 4));
        }
        // Deterministic in the seed, different across seeds.
        assert_eq!(quiz, product_questions(&articles, Lang::En, Tier::ONE, 7));
        assert_ne!(quiz, product_questions(&articles, Lang::En, Tier::ONE, 8));
        // Tier 2 asks more and picks wrong options from the same category first.
        let harder = product_questions(&articles, Lang::En, Tier::TWO, 7);
        assert_eq!(harder.len(), 8);
        let same_category = |q: &QuizQuestion| {
            let category = |title: &String| articles.iter().find(|a| &a.title == title).unwrap().category.clone();
            q.options.iter().filter(|o| category(o) == category(&q.options[q.answer])).count()
        };
        assert!(harder.iter().all(|q| same_category(q) == 4), "three others share the category");
    }

    #[test]
    fn sop_questions_ask_the_next_step_and_the_sop_then_compliance() {
        let sops = vec![
            SopFacts {
                title: "Video".into(),
                categories: vec!["playback".into()],
                steps: vec!["Empathise".into(), "Ask device".into(), "Self-help".into(), "Tier 2".into()],
            },
            SopFacts { title: "Refund".into(), categories: vec!["refunds".into()], steps: vec!["Verify".into(), "Check policy".into(), "Submit".into()] },
            SopFacts { title: "Login".into(), categories: vec!["account".into()], steps: vec!["Ask phone".into(), "Reset".into()] },
        ];
        assert_eq!(sop_questions(&sops, Lang::En, Tier::ONE, 3).len(), 6, "two from the SOPs, four on compliance");
        // Tier 3 asks ten: every generated question (next step and SOP of each) and compliance.
        let quiz = sop_questions(&sops, Lang::En, Tier::THREE, 3);
        assert_eq!(quiz.len(), 10);
        let next = quiz.iter().find(|q| q.prompt.starts_with("In \"Video\"")).expect("a next-step question on the video SOP");
        let (before, answer) = (next.prompt.split("after \"").nth(1).unwrap().trim_end_matches("\"?"), &next.options[next.answer]);
        let steps = &sops[0].steps;
        assert_eq!(steps.iter().position(|s| s == before).map(|n| &steps[n + 1]), Some(answer));
        assert_eq!(quiz.iter().filter(|q| COMPLIANCE_QUIZ.iter().any(|c| c.en == q.prompt)).count(), 4);
    }

    #[test]
    fn a_quiz_passes_at_the_tiers_mark_and_bad_answers_are_named() {
        let quiz = fixed_questions(Module::Tools, Lang::Zh, Tier::ONE, 1);
        assert_eq!(quiz.len(), 5);
        let keys: Vec<usize> = quiz.iter().map(|q| q.answer).collect();
        assert_eq!(score(&quiz, &keys, Tier::ONE), Ok(QuizScore { correct: 5, total: 5, passed: true }));
        let mut one_wrong = keys.clone();
        one_wrong[0] = (one_wrong[0] + 1) % 4;
        // 4 of 5 is 80%: a pass at tier 1, not at tier 2 (85%).
        assert!(score(&quiz, &one_wrong, Tier::ONE).unwrap().passed);
        assert!(!score(&quiz, &one_wrong, Tier::TWO).unwrap().passed);
        assert_eq!(score(&quiz, &keys[..4], Tier::ONE), Err("answer all 5 questions".to_owned()));
        let mut out_of_range = keys;
        out_of_range[2] = 9;
        assert_eq!(score(&quiz, &out_of_range, Tier::ONE), Err("question 3 has no option 10".to_owned()));
    }

    fn scenario(upset: bool) -> Scenario {
        Scenario {
            lang: Lang::Zh,
            opening: "视频一直转圈".into(),
            article_id: "zh-video".into(),
            article_title: "视频无法播放".into(),
            restatements: vec!["视频加载不出来".into()],
            upset,
        }
    }

    fn turn(body: &str, solves: bool) -> TraineeTurn {
        TraineeTurn { body: body.into(), signals: hiring::empathy_signals(body), solves }
    }

    #[test]
    fn the_simulated_learner_answers_questions_restates_and_thanks_a_solution() {
        let scenario = scenario(true);
        let mut practice = Practice::start(&scenario);
        let detail = practice.reply(&scenario, turn("抱歉让您久等了，请问您用的是什么设备和浏览器？", false), 1);
        assert!(DETAILS_ZH.contains(&detail.as_str()), "{detail}");
        let again = practice.reply(&scenario, turn("好的", false), 1);
        assert!(again.contains("视频加载不出来"), "{again}");
        let thanks = practice.reply(&scenario, turn("我来帮您，请先试试清除缓存后刷新", true), 1);
        assert!(thanks.contains("谢谢") && practice.ended && practice.solved);
        let score = practice.score(&scenario);
        assert_eq!((score.solved, score.empathy, score.asked, score.next_step, score.respectful), (45, 20, 10, 10, 10));
        assert_eq!(score.total, 95);
        assert_eq!(practice.transcript.len(), 7);
    }

    #[test]
    fn a_learner_gives_up_after_the_last_turn_and_blame_costs_points() {
        let scenario = scenario(false);
        let mut practice = Practice::start(&scenario);
        for n in 0..PRACTICE_TURNS {
            assert!(!practice.ended, "still going at turn {n}");
            practice.reply(&scenario, turn("这是你自己的问题", false), 2);
        }
        assert!(practice.ended && !practice.solved);
        assert_eq!(practice.score(&scenario).total, 0);
    }
}
