//! Turns normalised text into the features both the search index and the bot's matcher count:
//! Chinese words (jieba, search mode), Chinese character bigrams (they survive odd segmentation
//! and single wrong characters), English words with light stemming and synonyms, and English
//! character trigrams (they survive typos), and Chinese syllable pairs in pinyin (they survive
//! a wrong character typed by sound). Function words are dropped.

use std::sync::OnceLock;

use jieba_rs::Jieba;
use pinyin::ToPinyin;

use crate::normalize::is_cjk;

/// What kind of evidence a feature is; the matcher weighs them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Word,
    Bigram,
    Trigram,
    /// Two Chinese syllables as pinyin: learners type by sound, so a wrong character with the
    /// right sound (只付 for 支付, 注测 for 注册) still meets the word it stands for.
    Sound,
    /// One Chinese character (not a function character): a paraphrase often keeps one
    /// character of the article's word (付 of 支付, 证 of 证书, 退 of 退款) when no word or
    /// bigram is shared.
    Char,
}

impl Kind {
    /// How much one matched feature of this kind counts, relative to a word.
    pub fn weight(self) -> f32 {
        match self {
            Kind::Word => 1.0,
            Kind::Bigram => 0.6,
            Kind::Trigram => 0.2,
            Kind::Sound => 0.3,
            Kind::Char => 0.3,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Kind::Word => "w:",
            Kind::Bigram => "b:",
            Kind::Trigram => "t:",
            Kind::Sound => "p:",
            Kind::Char => "c:",
        }
    }
}

/// Words added to jieba's dictionary so support vocabulary stays in one piece.
const DOMAIN_WORDS: &[&str] = &[
    "优惠券",
    "验证码",
    "倍速",
    "闪退",
    "拼团",
    "连麦",
    "结业证书",
    "礼品卡",
    "学习卡",
    "兑换码",
    "花呗",
    "自动续费",
    "连续包月",
    "挤下线",
    "退款",
    "扣款",
    "黑屏",
    "卡顿",
    "缓冲",
    "回放",
    "直播课",
    "直播间",
    "录屏",
    "截屏",
    "字幕",
    "发票",
    "抬头",
    "税号",
    "注销",
    "换绑",
    "补考",
    "补交",
    "调班",
    "价保",
    "差价",
    "到账",
    "分期",
    "离线",
    "下载上限",
    "登录不了",
    "播放不了",
    "没有声音",
    "购买课程",
    "儿童账号",
    "家长",
    "使用时长",
    "异地登录",
    "被盗",
    "学习记录",
    "投影仪",
    "倍速播放",
];

/// Chinese function words and politeness that say nothing about the topic.
const ZH_STOPWORDS: &[&str] = &[
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "呀",
    "嘛",
    "哦",
    "么",
    "我",
    "你",
    "他",
    "她",
    "它",
    "我们",
    "你们",
    "他们",
    "这",
    "那",
    "这个",
    "那个",
    "是",
    "在",
    "有",
    "和",
    "与",
    "或",
    "就",
    "都",
    "也",
    "还",
    "要",
    "会",
    "能",
    "可以",
    "怎么",
    "怎样",
    "如何",
    "什么",
    "为什么",
    "哪里",
    "哪",
    "在哪",
    "请问",
    "你好",
    "您好",
    "一下",
    "一个",
    "现在",
    "已经",
    "但是",
    "可是",
    "然后",
    "如果",
    "的话",
    "就是",
    "还是",
    "想",
    "想要",
    "需要",
    "帮",
    "帮我",
    "麻烦",
    "谢谢",
    "请",
    "个",
    "下",
    "里",
    "被",
    "把",
    "给",
    "让",
    "到",
    "对",
    "从",
    "为",
    "得",
    "地",
    "着",
    "过",
    "又",
    "才",
    "很",
    "太",
    "好",
    "不",
    "没",
    "咋",
    "咋办",
    "怎么办",
    "办",
    "弄",
    "等",
    "吗？",
    "您",
    "我的",
    "你们的",
    "呢？",
    "啥",
    "咱",
    "嗯",
    "哈",
    "一",
    "上",
    "去",
    "来",
    "说",
    "么样",
    "怎么样",
    "能不能",
    "可不可以",
    "是不是",
    "有没有",
    "一直",
    "老是",
    "明明",
];

/// English function words.
const EN_STOPWORDS: &[&str] = &[
    "a", "an", "the", "i", "me", "my", "we", "you", "your", "it", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "to", "of", "in", "on",
    "for", "with", "at", "by", "from", "and", "or", "but", "if", "so", "that", "this", "what", "how", "why", "when", "where", "which", "who", "can", "could",
    "would", "should", "will", "may", "might", "have", "has", "had", "not", "no", "yes", "please", "there", "here", "just", "get", "got", "any", "some",
    "about", "as", "up", "out", "into", "than", "then", "them", "they", "their", "our", "us", "he", "she", "his", "her", "its", "very", "too", "also", "i'm",
    "i've", "it's", "don't", "can't", "won't", "isn't", "doesn't", "didn't", "hi", "hello", "thanks", "thank", "s", "t", "m", "ve", "d", "ll", "re", "keep",
    "keeps", "still", "now", "want", "need", "way", "there's", "let", "tell", "guys", "ok", "okay", "im", "dont", "cant", "u", "ur",
];

/// English word synonyms after stemming → one canonical stem.
const EN_SYNONYMS: &[(&str, &str)] = &[
    ("purchas", "buy"),
    ("bought", "buy"),
    ("registration", "regist"),
    ("register", "regist"),
    ("audio", "sound"),
    ("caption", "subtitl"),
    ("remov", "delet"),
    ("compromis", "hack"),
    ("application", "app"),
    ("mobile", "phone"),
    ("cellphone", "phone"),
    ("pwd", "password"),
    ("passcode", "password"),
    ("voucher", "coupon"),
    ("promo", "coupon"),
    ("subscription", "vip"),
    ("subscrib", "vip"),
    ("membership", "vip"),
    ("member", "vip"),
    ("recording", "replay"),
    ("record", "replay"),
    ("gmail", "email"),
    ("mail", "email"),
    ("timezon", "timezone"),
    ("cost", "price"),
    ("pric", "price"),
    ("charg", "charge"),
    ("bill", "charge"),
    ("billed", "charge"),
    ("reimburs", "reimburse"),
    ("cancell", "cancel"),
];

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(|| {
        let mut jieba = Jieba::new();
        for word in DOMAIN_WORDS {
            jieba.add_word(word, Some(20_000), None);
        }
        jieba
    })
}

/// The Chinese characters of `run` that the dictionary does not join into words with their
/// neighbours: where a character typed by sound for another one ("考式" for 考试) sits.
pub fn loose_characters(run: &str) -> Vec<bool> {
    let mut loose = Vec::new();
    for token in jieba().cut(run, false) {
        let count = token.word.chars().count();
        loose.extend(std::iter::repeat_n(count == 1, count));
    }
    loose
}

/// Whether the Chinese dictionary knows `word`.
pub fn is_dictionary_word(word: &str) -> bool {
    jieba().has_word(word)
}

/// Loads the Chinese dictionary now rather than on the first query (it takes ~100 ms).
pub fn warm_up() {
    let _ = jieba();
}

fn is_zh_stopword(word: &str) -> bool {
    ZH_STOPWORDS.contains(&word)
}

/// Whether `c` is a function character (的, 是, 不…) the features leave out.
pub fn is_stop_char(c: char) -> bool {
    "的了吗呢吧啊呀嘛哦么我你他她它这那是在有和与或就都也还要会能想帮请个下里被把给让到对从为得地着过又才很太好不没咋您啥咱嗯哈一上去来说".contains(c)
}

/// A light English stemmer: enough to make plurals and tenses meet.
fn stem(word: &str) -> String {
    let word = word.trim_end_matches("'s");
    let mut stem = if let Some(base) = word.strip_suffix("ies").filter(|b| b.len() >= 2) {
        format!("{base}y")
    } else if let Some(base) = word.strip_suffix("ing").filter(|b| b.len() >= 3) {
        base.to_owned()
    } else if let Some(base) = word.strip_suffix("ed").filter(|b| b.len() >= 3) {
        base.to_owned()
    } else if let Some(base) = word.strip_suffix("es").filter(|b| b.len() >= 3 && (b.ends_with("sh") || b.ends_with("ch") || b.ends_with('x'))) {
        base.to_owned()
    } else if let Some(base) = word.strip_suffix('s').filter(|b| b.len() >= 3 && !b.ends_with('s') && !b.ends_with('u')) {
        base.to_owned()
    } else {
        word.to_owned()
    };
    if stem.len() > 4 && stem.ends_with('e') {
        stem.pop();
    }
    // Doubled final consonants from "-ing"/"-ed" ("stopped" → "stopp" → "stop").
    let bytes = stem.as_bytes();
    if stem.len() > 3 && bytes[bytes.len() - 1] == bytes[bytes.len() - 2] && !matches!(bytes[bytes.len() - 1], b'l' | b's' | b'z') {
        stem.pop();
    }
    match EN_SYNONYMS.iter().find(|(from, _)| *from == stem) {
        Some((_, to)) => (*to).to_owned(),
        None => stem,
    }
}

/// One feature of a text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Feature {
    pub kind: Kind,
    pub key: String,
}

/// English words learners mix into Chinese ("gift card余额", "上live课要开camera吗"), with the
/// word the Chinese articles use: inside a Chinese message the English word also counts as
/// that word, and inside an English message the Chinese word as the English one ("our office
/// needs a 发票"). Support vocabulary, not answers to particular misses; messages in one
/// language (and the articles) are read as before.
const MIXED_TERMS: &[(&str, &str)] = &[
    ("certificate", "证书"),
    ("certificates", "证书"),
    ("cert", "证书"),
    ("gift", "礼品卡"),
    ("live", "直播"),
    ("camera", "摄像头"),
    ("cam", "摄像头"),
    ("mic", "麦克风"),
    ("microphone", "麦克风"),
    ("video", "视频"),
    ("videos", "视频"),
    ("refund", "退款"),
    ("coupon", "优惠券"),
    ("coupons", "优惠券"),
    ("password", "密码"),
    ("invoice", "发票"),
    ("homework", "作业"),
    ("exam", "考试"),
    ("course", "课程"),
    ("courses", "课程"),
    ("download", "下载"),
    ("subtitle", "字幕"),
    ("subtitles", "字幕"),
    ("caption", "字幕"),
    ("captions", "字幕"),
    ("replay", "回放"),
    ("playback", "回放"),
    ("member", "会员"),
    ("membership", "会员"),
    ("order", "订单"),
    ("email", "邮箱"),
    ("crash", "闪退"),
    ("crashes", "闪退"),
    ("sound", "声音"),
    ("audio", "声音"),
    ("teacher", "老师"),
    ("discount", "优惠"),
    ("payment", "支付"),
    ("account", "账号"),
];

/// The features of already-normalised text, in order, with repeats (callers count them).
pub fn features(normalized: &str) -> Vec<Feature> {
    let mixed = normalized.chars().any(is_cjk);
    // The other way round: a Chinese word in an English message ("our office needs a 发票").
    let english = mixed && !looks_chinese(normalized);
    let mut out = Vec::new();
    let mut run = String::new();
    let mut run_is_cjk = false;
    for c in normalized.chars().chain(std::iter::once(' ')) {
        let cjk = is_cjk(c);
        let word_char = cjk || c.is_ascii_alphanumeric() || c == '\'';
        if word_char && (run.is_empty() || cjk == run_is_cjk) {
            run.push(c);
            run_is_cjk = cjk;
            continue;
        }
        if !run.is_empty() {
            if run_is_cjk {
                chinese_features(&run, &mut out);
                if english {
                    for (word, _) in MIXED_TERMS.iter().filter(|(_, chinese)| run.contains(chinese)) {
                        push(&mut out, Kind::Word, &stem(word));
                    }
                }
            } else {
                english_features(&run, &mut out);
                if mixed && let Some((_, chinese)) = MIXED_TERMS.iter().find(|(english, _)| *english == run) {
                    push(&mut out, Kind::Word, chinese);
                }
            }
            run.clear();
        }
        if word_char {
            run.push(c);
            run_is_cjk = cjk;
        }
    }
    out
}

fn push(out: &mut Vec<Feature>, kind: Kind, text: &str) {
    out.push(Feature { kind, key: format!("{}{}", kind.prefix(), text) });
}

fn chinese_features(run: &str, out: &mut Vec<Feature>) {
    // Without jieba's HMM for unknown words: it glued characters across a word boundary
    // ("刚付完钱" → 刚付 / 完钱), words no article has; as single characters (付, 钱) they meet
    // the articles' 付款 and 退钱 (see [`Kind::Char`]).
    for token in jieba().cut_for_search(run, false) {
        let word = token.word;
        if is_zh_stopword(word) || (word.chars().count() == 1 && word.chars().all(is_stop_char)) {
            continue;
        }
        push(out, Kind::Word, word);
    }
    let chars: Vec<char> = run.chars().collect();
    for c in &chars {
        if !is_stop_char(*c) {
            push(out, Kind::Char, &c.to_string());
        }
    }
    for pair in chars.windows(2) {
        if is_stop_char(pair[0]) && is_stop_char(pair[1]) {
            continue;
        }
        let bigram: String = pair.iter().collect();
        if is_zh_stopword(&bigram) {
            continue;
        }
        push(out, Kind::Bigram, &bigram);
    }
    let sounds: Vec<Option<&str>> = run.to_pinyin().map(|p| p.map(|p| p.plain())).collect();
    for (pair, chars) in sounds.windows(2).zip(chars.windows(2)) {
        if let [Some(first), Some(second)] = pair
            && !(is_stop_char(chars[0]) || is_stop_char(chars[1]))
        {
            push(out, Kind::Sound, &format!("{first}{second}"));
        }
    }
}

fn english_features(run: &str, out: &mut Vec<Feature>) {
    let word = run.trim_matches('\'');
    if word.is_empty() || EN_STOPWORDS.contains(&word) {
        return;
    }
    let stemmed = stem(word);
    if stemmed.is_empty() {
        return;
    }
    push(out, Kind::Word, &stemmed);
    // An error code typed with its prefix ("E4002", "err3005") meets the bare number an
    // article's table lists.
    let digits: String = word.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 3 && digits.len() < word.len() && word.chars().all(|c| c.is_ascii_alphanumeric()) {
        push(out, Kind::Word, &digits);
    }
    if word.len() >= 5 && word.chars().all(|c| c.is_ascii_alphabetic()) {
        let padded: Vec<char> = format!("#{word}#").chars().collect();
        for window in padded.windows(3) {
            let trigram: String = window.iter().collect();
            push(out, Kind::Trigram, &trigram);
        }
    }
}

/// Whether a feature key is supporting evidence only (a trigram, a pinyin pair or a single
/// character): it helps a word that is otherwise missing but adds no information of its own
/// and is not part of an article's questions as the matcher compares them.
pub fn is_supporting(key: &str) -> bool {
    key.starts_with("t:") || key.starts_with("p:") || key.starts_with("c:")
}

/// Whether the text is mostly Chinese (decides which articles a query is matched against and
/// the language of replies): some Chinese, and at least half as many Chinese characters as
/// English words. "login一直失败，password是对的" is Chinese with English words in it; "our
/// shanghai office needs a 发票, how do i get one" is English with a Chinese word in it.
///
/// A message with no word in either language (a bare error code, "3005") is read as Chinese,
/// the platform's first language: learners who type only a code mostly write Chinese.
pub fn looks_chinese(text: &str) -> bool {
    let chinese = text.chars().filter(|c| is_cjk(*c)).count();
    let english_words = text.split(|c: char| !c.is_ascii_alphabetic()).filter(|word| !word.is_empty()).count();
    chinese > 0 && 2 * chinese >= english_words || chinese == 0 && english_words == 0 && text.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    fn keys(text: &str) -> Vec<String> {
        features(&normalize(text)).into_iter().map(|f| f.key).collect()
    }

    #[test]
    fn a_few_words_of_the_other_language_do_not_change_the_language() {
        assert!(looks_chinese("login一直失败，password确定是对的，app也是最新版"));
        assert!(looks_chinese("课程video打不开"));
        assert!(looks_chinese("请问 how to get refund"));
        assert!(!looks_chinese("our shanghai office needs a 发票, how do i get one"));
        assert!(!looks_chinese("I bought 《Python 入门》 but can't find it in my courses"));
        assert!(!looks_chinese("3005 error"));
        assert!(looks_chinese("3005"));
        assert!(!looks_chinese("👍"));
    }

    #[test]
    fn chinese_words_and_bigrams_without_function_words() {
        let keys = keys("优惠券怎么用");
        assert!(keys.contains(&"w:优惠券".to_owned()), "{keys:?}");
        assert!(keys.contains(&"b:惠券".to_owned()), "{keys:?}");
        assert!(!keys.contains(&"w:怎么".to_owned()), "{keys:?}");
    }

    #[test]
    fn english_stems_and_synonyms_meet() {
        assert!(keys("I purchased two courses").contains(&"w:buy".to_owned()));
        let words = |text: &str| keys(text).into_iter().filter(|k| k.starts_with("w:")).collect::<Vec<_>>();
        assert_eq!(words("courses"), words("course"));
        assert!(keys("crashing").contains(&"w:crash".to_owned()));
        assert!(keys("crashes").contains(&"w:crash".to_owned()));
        assert_eq!(stem("declined"), stem("decline"));
        assert_eq!(stem("charged"), stem("charges"));
    }

    #[test]
    fn mixed_text_splits_by_script() {
        let keys = keys("app闪退了");
        assert!(keys.contains(&"w:app".to_owned()), "{keys:?}");
        assert!(keys.contains(&"w:闪退".to_owned()), "{keys:?}");
    }

    #[test]
    fn an_english_word_inside_chinese_also_counts_as_the_chinese_word() {
        let mixed = keys("gift card余额能开会员吗");
        assert!(mixed.contains(&"w:gift".to_owned()) && mixed.contains(&"w:礼品卡".to_owned()), "{mixed:?}");
        assert!(keys("上live课要开camera吗").contains(&"w:摄像头".to_owned()));
        // An English message keeps its own words only, and a Chinese word in it also counts as
        // the English one.
        assert!(!keys("can I use my gift card balance").contains(&"w:礼品卡".to_owned()));
        assert!(keys("our office needs a 发票, how do i get one").contains(&format!("w:{}", stem("invoice"))));
    }

    #[test]
    fn an_error_code_with_a_prefix_meets_the_bare_number() {
        assert!(keys("E4002??").contains(&"w:4002".to_owned()));
        assert!(keys("报错err3005").contains(&"w:3005".to_owned()));
        // Plain numbers and words are left alone.
        assert_eq!(keys("3005").iter().filter(|k| k.starts_with("w:")).count(), 1);
        assert!(!keys("mp4 video").contains(&"w:4".to_owned()));
    }

    #[test]
    fn trigrams_tolerate_typos() {
        let right = keys("password");
        let typo = keys("pasword");
        let shared = typo.iter().filter(|k| k.starts_with("t:") && right.contains(k)).count();
        assert!(shared >= 4, "{typo:?}");
    }
}
