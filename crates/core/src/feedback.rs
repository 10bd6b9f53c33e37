//! What a learner's survey comment is about, so it reaches the people who can act on it:
//! the product team (a wish, a missing feature), engineering (something broken or slow in
//! the app or site) or support operations (waiting, tone, a process). Words in Chinese and
//! English; a comment that names nothing actionable (e.g. just "thanks") goes nowhere.

use serde::{Deserialize, Serialize};

/// Who owns a piece of feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Product,
    Tech,
    Ops,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Product => "product",
            Area::Tech => "tech",
            Area::Ops => "ops",
        }
    }

    pub fn parse(text: &str) -> Option<Area> {
        match text {
            "product" => Some(Area::Product),
            "tech" => Some(Area::Tech),
            "ops" => Some(Area::Ops),
            _ => None,
        }
    }
}

const TECH: &[&str] = &[
    "闪退",
    "崩溃",
    "卡顿",
    "卡住",
    "卡死",
    "报错",
    "错误",
    "打不开",
    "加载",
    "黑屏",
    "白屏",
    "没声音",
    "无法播放",
    "登不上",
    "bug",
    "crash",
    "error",
    "freez",
    "slow to load",
    "loading",
    "broken",
    "doesn't work",
    "does not work",
    "glitch",
    "lag",
];
const PRODUCT: &[&str] = &[
    "希望",
    "建议",
    "能不能",
    "可不可以",
    "增加",
    "加个",
    "功能",
    "倍速",
    "下载",
    "夜间模式",
    "wish",
    "suggest",
    "would be nice",
    "please add",
    "feature",
    "could you add",
    "it would help",
];
const OPS: &[&str] = &[
    "客服",
    "等了",
    "等待",
    "回复慢",
    "太慢",
    "态度",
    "转来转去",
    "退款慢",
    "流程",
    "排队",
    "waited",
    "waiting",
    "response time",
    "rude",
    "slow reply",
    "took days",
    "support",
    "transferred",
];

/// The area a comment is about, judged by the words it uses (the most matched area wins;
/// engineering first on a tie, since broken things hurt every learner).
pub fn classify(comment: &str) -> Option<Area> {
    let text = comment.to_lowercase();
    let count = |words: &[&str]| words.iter().filter(|word| text.contains(*word)).count();
    let scores = [(Area::Tech, count(TECH)), (Area::Product, count(PRODUCT)), (Area::Ops, count(OPS))];
    let best = scores.iter().max_by_key(|(area, score)| (*score, matches!(area, Area::Tech)))?;
    (best.1 > 0).then_some(best.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_reach_the_team_that_can_act() {
        assert_eq!(classify("视频一播放就闪退，希望修一下"), Some(Area::Tech));
        assert_eq!(classify("希望增加倍速播放功能"), Some(Area::Product));
        assert_eq!(classify("客服回复慢，等了两天"), Some(Area::Ops));
        assert_eq!(classify("The app keeps crashing with an error"), Some(Area::Tech));
        assert_eq!(classify("It would be nice if you could add offline downloads"), Some(Area::Product));
        assert_eq!(classify("I waited three days for support"), Some(Area::Ops));
        assert_eq!(classify("谢谢，很满意"), None);
        assert_eq!(classify(""), None);
    }
}
