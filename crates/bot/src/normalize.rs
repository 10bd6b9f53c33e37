//! Text normalisation shared by the search index and the bot: one canonical spelling for the
//! many ways learners write the same thing (full-width letters, traditional characters, common
//! wrong characters, colloquial phrasings). Articles and queries go through the same function,
//! so a rewrite here can never make a query stop matching the text it was written from.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Frequent misspellings and variants → the spelling the knowledge base uses. Longest match
/// wins, left to right. Both sides of every pair are simplified Chinese or lower-case ASCII,
/// since this runs after width folding, lower-casing and traditional → simplified conversion.
const VARIANTS: &[(&str, &str)] = &[
    // The converter's table maps the everyday 呵 to the rare 嗬 ("呵呵" is sarcasm we need).
    ("嗬", "呵"),
    // Wrong or old characters learners type every day.
    ("帐号", "账号"),
    ("帐户", "账户"),
    ("帐单", "账单"),
    ("登陆", "登录"),
    ("优惠卷", "优惠券"),
    ("优慧券", "优惠券"),
    ("代金卷", "代金券"),
    ("视屏", "视频"),
    ("密马", "密码"),
    ("秘码", "密码"),
    ("验正码", "验证码"),
    ("效验码", "验证码"),
    ("注消", "注销"),
    ("冲值", "充值"),
    ("支附", "支付"),
    ("下栽", "下载"),
    ("发漂", "发票"),
    ("直拨课", "直播课"),
    ("回访", "回放"),
    ("课成", "课程"),
    ("其它", "其他"),
    // Artificial intelligence (a course subject) is not 人工 (a person).
    ("人工智能", "ai"),
    // Pinyin-keyboard slips for 人工 (ren gong): the same syllables, the wrong character.
    ("人弓", "人工"),
    ("人供", "人工"),
    ("人公", "人工"),
    ("人攻", "人工"),
    ("手机号码", "手机号"),
    // Colloquial phrasings → the wording articles use.
    ("登不上", "登录不了"),
    ("登不进", "登录不了"),
    ("上不去", "登录不了"),
    ("登录不上", "登录不了"),
    ("无法登录", "登录不了"),
    ("退钱", "退款"),
    ("退费", "退款"),
    ("把钱退", "退款"),
    ("扣钱", "扣款"),
    ("扣费", "扣款"),
    ("扣了钱", "扣款"),
    ("付钱", "付款"),
    ("交钱", "付款"),
    ("播不了", "播放不了"),
    ("放不了", "播放不了"),
    ("看不了", "播放不了"),
    ("转圈圈", "缓冲"),
    ("转圈", "缓冲"),
    ("一卡一卡", "卡顿"),
    ("很卡", "卡顿"),
    ("老是卡", "卡顿"),
    ("特别卡", "卡顿"),
    ("没声音", "没有声音"),
    ("没声", "没有声音"),
    ("买课", "购买课程"),
    ("删掉", "删除"),
    // Single characters learners use for the whole word; the identity entries keep the
    // full words from being rewritten into themselves twice.
    ("优惠券", "优惠券"),
    ("代金券", "代金券"),
    ("券", "优惠券"),
    ("购买", "购买"),
    ("买", "购买"),
    ("两笔", "两次"),
    ("什么时候", "多久"),
    ("延一下", "延期"),
    ("延长", "延期"),
    ("忘了", "忘记"),
    ("咋办", "怎么办"),
    ("咋", "怎么"),
    ("肿么", "怎么"),
    ("啥时候", "多久"),
    ("啥", "什么"),
    ("神马", "什么"),
    ("木有", "没有"),
    ("苹果手机", "iphone"),
    ("安卓", "android"),
    ("谷歌", "google"),
    ("会员卡", "会员"),
    // English multi-word forms → one word, so they match however they are spaced.
    ("log in", "login"),
    ("log-in", "login"),
    ("logged in", "login"),
    ("logged into", "login"),
    ("logging in", "login"),
    ("sign in", "login"),
    ("signed in", "login"),
    ("signin", "login"),
    ("log on", "login"),
    ("sign up", "register"),
    ("signup", "register"),
    ("sign-up", "register"),
    ("money back", "refund"),
    ("e-mail", "email"),
    ("time zone", "timezone"),
    ("wi-fi", "wifi"),
    ("two-step", "2fa"),
    ("two step", "2fa"),
    ("two-factor", "2fa"),
    ("greyed out", "greyed"),
    ("grayed out", "greyed"),
    ("gray", "grey"),
    ("auto-renewal", "autorenew"),
    ("auto renewal", "autorenew"),
    ("auto-renew", "autorenew"),
    ("auto renew", "autorenew"),
    ("renewing", "autorenew"),
    ("screen reader", "screenreader"),
    ("off-line", "offline"),
    ("google play", "appstore"),
    ("play store", "appstore"),
    ("app store", "appstore"),
    ("twice", "two times"),
    ("double", "two times"),
    // Chat abbreviations, whole words only ("u" and "ur" are function words of the features
    // instead: as a rewrite, "U盘" would become "you盘").
    ("acct", "account"),
    ("accts", "accounts"),
    ("pw", "password"),
    ("pwd", "password"),
    ("passwd", "password"),
    ("vid", "video"),
    ("vids", "videos"),
    ("cert", "certificate"),
    ("certs", "certificates"),
    ("pls", "please"),
    ("plz", "please"),
    ("thx", "thanks"),
    ("msg", "message"),
];

/// How people write in chat beyond standard Mandarin → standard Mandarin, for reading what a
/// message says about the learner (a request for a person, their mood): Cantonese words and
/// pinyin typed instead of characters. The article matcher does not use it: its words come
/// from the articles, and cross-validated the rewrite only shuffled its learned associations.
const SPOKEN: &[(&str, &str)] = &[
    // Cantonese words (after conversion to simplified characters) → Mandarin, so a message
    // typed in Hong Kong reads like one typed in Beijing: 搵 (find), 唔 (not), 冇 (have no),
    // 嚟 (come), 哋 (plural), 咗 (done), 睇 (look), 喺 (at), 畀 / 俾 (give), 嘢 (thing).
    ("搵", "找"),
    ("揾", "找"),
    ("唔该晒", "谢谢"),
    ("唔该", "谢谢"),
    ("唔使", "不用"),
    ("唔好", "不要"),
    ("唔系", "不是"),
    ("唔得", "不行"),
    ("唔", "不"),
    ("系咪", "是不是"),
    ("系唔系", "是不是"),
    ("冇", "没有"),
    ("嚟", "来"),
    ("哋", "们"),
    ("咗", "了"),
    ("睇", "看"),
    ("喺", "在"),
    ("畀", "给"),
    ("俾", "给"),
    ("讲嘢", "说话"),
    ("乜嘢", "什么"),
    ("嘢", "东西"),
    ("佢", "他"),
    ("咁", "这么"),
    ("啲", "些"),
    ("谂", "想"),
    ("攞", "拿"),
    ("边度", "哪里"),
    ("边个", "谁"),
    ("点解决", "点解决"),
    ("点解", "为什么"),
    ("而家", "现在"),
    ("搞掂", "搞定"),
    ("同我", "跟我"),
    ("机械人", "机器人"),
    // Pinyin typed instead of characters, for the words a request for a person uses.
    ("zhuan rengong", "转人工"),
    ("zhuanrengong", "转人工"),
    ("rengong kefu", "人工客服"),
    ("ren gong ke fu", "人工客服"),
    ("rengongkefu", "人工客服"),
    ("rengong", "人工"),
    ("ren gong", "人工"),
    ("kefu", "客服"),
    ("ke fu", "客服"),
    ("zhenren", "真人"),
    ("zhen ren", "真人"),
    ("rgkf", "人工客服"),
    ("zrg", "转人工"),
    ("rg", "人工"),
    // 垃圾 ("rubbish") is an insult on its own and a plain noun in these compounds: the spam
    // folder the confirmation mail went to, junk files cleared to free space. Read as the
    // thing they name, they do not make a calm question angry.
    ("垃圾邮件箱", "广告邮件箱"),
    ("垃圾邮件", "广告邮件"),
    ("垃圾邮箱", "广告邮箱"),
    ("垃圾箱", "广告邮件箱"),
    ("垃圾短信", "广告短信"),
    ("垃圾桶", "回收站"),
    ("垃圾分类", "分类回收"),
    ("垃圾文件", "缓存文件"),
    ("清理垃圾", "清理缓存"),
    ("清垃圾", "清缓存"),
];

type Table = HashMap<char, Vec<(&'static str, &'static str)>>;

/// The pairs indexed by their first character, longest first.
fn table_of(pairs: &'static [(&'static str, &'static str)]) -> Table {
    let mut table: Table = HashMap::new();
    for (from, to) in pairs {
        if let Some(first) = from.chars().next() {
            table.entry(first).or_default().push((from, to));
        }
    }
    for candidates in table.values_mut() {
        candidates.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
    }
    table
}

fn variant_table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| table_of(VARIANTS))
}

fn spoken_table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| table_of(SPOKEN))
}

/// Rewrites `text` left to right, the longest listed spelling at each point first.
fn rewrite(text: &str, table: &Table) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(first) = rest.chars().next() {
        let replaced = table
            .get(&first)
            .and_then(|candidates| candidates.iter().find(|(from, _)| rest.starts_with(from)))
            .filter(|(from, _)| !from.is_ascii() || word_boundary_before(&out) && word_boundary_after(rest, from.len()));
        match replaced {
            Some((from, to)) => {
                out.push_str(to);
                rest = &rest[from.len()..];
            }
            None => {
                out.push(first);
                rest = &rest[first.len_utf8()..];
            }
        }
    }
    out
}

/// Folds full-width ASCII and the ideographic space to half width and lower-cases ASCII.
fn fold_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The canonical form of `text` for matching: half width, lower case, simplified Chinese,
/// variants and colloquial phrasings rewritten.
pub fn normalize(text: &str) -> String {
    rewrite(&simplet2s::convert(&fold_width(text)), variant_table())
}

/// `normalized` (as [`normalize`] gives it) in standard Mandarin: Cantonese words and pinyin
/// spellings rewritten ([`SPOKEN`]). What the signals and the request and mood models read.
pub fn spoken(normalized: &str) -> String {
    rewrite(&squeeze_letters(normalized), spoken_table())
}

/// A letter typed three or more times in a row once: "humaaan" → "human", "pleeease" →
/// "please". Doubled letters stay ("agent", "too").
fn squeeze_letters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run: Option<(char, usize)> = None;
    let flush = |out: &mut String, run: Option<(char, usize)>| {
        if let Some((c, n)) = run {
            for _ in 0..if n >= 3 { 1 } else { n } {
                out.push(c);
            }
        }
    };
    for c in text.chars() {
        match run {
            Some((last, n)) if last == c && c.is_ascii_alphabetic() => run = Some((last, n + 1)),
            _ => {
                flush(&mut out, run);
                run = Some((c, 1));
            }
        }
    }
    flush(&mut out, run);
    out
}

/// An ASCII variant only applies to whole words ("rg" but not "org").
fn word_boundary_before(written: &str) -> bool {
    !written.chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric())
}

/// An ASCII variant only applies to whole words ("log in" but not "log inside").
fn word_boundary_after(text: &str, at: usize) -> bool {
    !text[at..].chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
}

/// Whether `c` is a CJK ideograph (the scripts the Chinese tokenizer handles).
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2A6DF}')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_case_script_and_variants() {
        assert_eq!(normalize("ＡＰＰ閃退"), "app闪退");
        assert_eq!(normalize("帳號登陸不了"), "账号登录不了");
        assert_eq!(normalize("帐号被锁了"), "账号被锁了");
        assert_eq!(normalize("优惠卷"), "优惠券");
        assert_eq!(normalize("I can't Log In"), "i can't login");
        assert_eq!(normalize("log inside"), "log inside");
        assert_eq!(normalize("退钱"), "退款");
        assert_eq!(spoken(&normalize("我唔想同機械人講嘢，搵個職員嚟")), "我不想同机器人说话,找个职员来");
        assert_eq!(spoken(&normalize("快点解决")), "快点解决");
        assert_eq!(spoken(&normalize("zhuan rengong")), "转人工");
        assert_eq!(spoken(&normalize("rg org")), "人工 org");
        assert_eq!(spoken(&normalize("HUMAAAN pleeease, too slow")), "human please, too slow");
        assert_eq!(spoken(&normalize("人工人工人工")), "人工人工人工");
        assert_eq!(spoken(&normalize("确认信不在垃圾箱里，手机也清理垃圾了")), "确认信不在广告邮件箱里,手机也清理缓存了");
        assert_eq!(spoken(&normalize("什么垃圾平台")), "什么垃圾平台");
        assert_eq!(normalize("blog in org"), "blog in org");
        assert_eq!(normalize("Google acct PW reset"), "google account password reset");
        assert_eq!(normalize("vid wont play, cert?"), "video wont play, certificate?");
        assert_eq!(normalize("U盘 password"), "u盘 password");
        assert_eq!(normalize("肿么木有声音"), "怎么没有声音");
    }

    #[test]
    fn recognises_cjk() {
        assert!(is_cjk('课'));
        assert!(!is_cjk('a'));
        assert!(!is_cjk('，'));
    }
}
