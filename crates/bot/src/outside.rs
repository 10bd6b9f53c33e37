//! Services and platforms that are not ours. A learner asking about another platform's
//! refund, password or membership ("美团外卖退款多久到账", "my Apple ID is locked") uses the
//! same words as our articles, but the knowledge base cannot answer it. The list is general
//! knowledge — the apps, shops, course sites, mail and cloud services learners in China and
//! abroad use — not lines from any evaluation set; a name the knowledge base itself mentions
//! (an article about paying with Alipay) is not outside and is dropped when the matcher is
//! built. Names that are also everyday words ("line", "teams", 得到, 有道) or part of our own
//! troubleshooting (a router, a VPN slowing videos down) are left out.

use crate::normalize::normalize;

/// Other platforms, in the spelling [`normalize`] gives (lower case, simplified).
const OUTSIDE_SERVICES: &[&str] = &[
    // Shopping, food, travel, payments and banks.
    "淘宝",
    "天猫",
    "京东",
    "拼多多",
    "美团",
    "饿了么",
    "闲鱼",
    "唯品会",
    "携程",
    "滴滴",
    "高德",
    "12306",
    "银行卡",
    "信用卡",
    "花呗额度",
    "借呗",
    "amazon",
    "ebay",
    "paypal",
    "uber",
    "airbnb",
    // Social, video and music.
    "抖音",
    "快手",
    "小红书",
    "微博",
    "知乎",
    "豆瓣",
    "b站",
    "哔哩哔哩",
    "爱奇艺",
    "优酷",
    "腾讯视频",
    "芒果tv",
    "网易云音乐",
    "qq音乐",
    "王者荣耀",
    "youtube",
    "netflix",
    "spotify",
    "tiktok",
    "instagram",
    "facebook",
    "twitter",
    "whatsapp",
    "telegram",
    "discord",
    "snapchat",
    "steam",
    // Other learning platforms and tools.
    "网易云课堂",
    "腾讯课堂",
    "学而思",
    "猿辅导",
    "作业帮",
    "新东方",
    "中国大学mooc",
    "喜马拉雅",
    "百词斩",
    "扇贝",
    "coursera",
    "udemy",
    "edx",
    "duolingo",
    "khan academy",
    "skillshare",
    "chatgpt",
    "zoom",
    "钉钉",
    "飞书",
    // Mail, cloud and accounts of other companies.
    "gmail",
    "outlook",
    "hotmail",
    "yahoo",
    "163邮箱",
    "126邮箱",
    "qq邮箱",
    "icloud",
    "apple id",
    "苹果id",
    "百度网盘",
    "dropbox",
    "onedrive",
    "google drive",
    "wifi密码",
];

/// Platforms whose own accounts, passwords and bills only they can help with, even when the
/// knowledge base names them (as a way to log in or pay): "微信支付密码忘了", "my Apple ID is
/// locked" and "QQ号被盗了" are questions for them.
const ACCOUNT_OWNERS: &[&str] = &[
    "微信",
    "wechat",
    "qq",
    "支付宝",
    "alipay",
    "花呗",
    "淘宝",
    "苹果",
    "apple",
    "google",
    "谷歌",
    "gmail",
    "outlook",
    "hotmail",
    "icloud",
    "163",
    "126",
    "line",
    "facebook",
    "信用卡",
    "银行",
    "wifi",
    "wi-fi",
    "paypal",
    "amazon",
    "microsoft",
    "微软",
    "netflix",
    "spotify",
    "steam",
    "instagram",
    "twitter",
    "抖音",
    "微博",
    "京东",
];

/// What belongs to the platform when said right after its name.
const OWNED_THINGS: &[&str] = &[
    "密码",
    "支付密码",
    "账单",
    "号被盗",
    "账号被盗",
    "帐号被盗",
    "被盗",
    "被封",
    "账号被封",
    "帐号被封",
    // Closing or freezing it: "抖音号注销了还能恢复吗", "支付宝被冻结了".
    "号注销",
    "账号注销",
    "帐号注销",
    "注销",
    "号被冻结",
    "账号被冻结",
    "被冻结",
    "冻结",
    // A credit line's own dates and debts: "花呗还款日是几号", "信用卡逾期了一天".
    "还款日",
    "逾期",
    "id",
    "password",
    "account password",
    "pin",
    "hacked",
    "account hacked",
    "account was hacked",
    "account got hacked",
    "account locked",
    "account is locked",
    "account was locked",
    "account suspended",
    "account banned",
    "account deleted",
    "account was deleted",
    "account deletion",
    "account frozen",
    "account was frozen",
    "locked",
    "deleted",
    "banned",
    "suspended",
    "disabled",
    "frozen",
];

/// How-to words and verbs between a platform and its thing: "怎么改密码", "如何找回密码".
const ASKING_HOW: &[&str] = &["怎么", "如何", "怎样", "咋", "修改", "改", "找回", "重置", "重设"];

/// English words between a platform and what happened to its account: "my gmail was
/// deleted", "google account got hacked".
const BEING: &[&str] = &["account ", "was ", "is ", "got ", "has been ", "been ", "just "];

/// Words of signing in or up with us: "用Apple ID登录的", "signed up with my Apple ID".
const SIGN_IN: &[&str] = &["登录", "登陆", "注册", "sign in", "signed in", "sign up", "signed up", "log in", "logged in", "login"];

/// What says the platform's account itself is in trouble, right after the account: its
/// password, or it being locked, stolen or forgotten.
const ACCOUNT_TROUBLE: &[&str] =
    &["密码", "被盗", "被封", "被锁", "锁了", "停用", "忘", "password", "locked", "hacked", "banned", "suspended", "disabled", "pin"];

/// Whether normalised `text` asks about another platform's own account ("<platform>的密码").
/// Its account as the way the learner signs in with us is ours: "用Apple ID登录的，在哪绑手机"
/// and "signed up with my Apple ID, how would I get back in" are about our account, while
/// "Apple ID密码忘了" and "my Apple ID is locked" are about theirs.
pub fn names_another_account(text: &str) -> bool {
    let signs_in_with_it = SIGN_IN.iter().any(|cue| text.contains(cue));
    ACCOUNT_OWNERS.iter().any(|owner| {
        text.match_indices(owner).any(|(at, _)| {
            if owner.is_ascii() && text[..at].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric()) {
                return false;
            }
            let rest = text[at + owner.len()..].trim_start_matches(['的', ' ', '支', '付']);
            let mut rest = rest.strip_prefix("邮箱").unwrap_or(rest).trim_start();
            // "163邮箱怎么改密码", "微信如何找回密码": asking how to change it, the thing still
            // belongs to the platform named before.
            while let Some(shorter) = ASKING_HOW.iter().chain(BEING).find_map(|how| rest.strip_prefix(how)) {
                rest = shorter;
            }
            OWNED_THINGS.iter().any(|thing| {
                let Some(after) = rest.strip_prefix(thing) else { return false };
                let whole = !thing.is_ascii() || after.chars().next().is_none_or(|c| !c.is_ascii_alphanumeric());
                let our_sign_in = *thing == "id" && signs_in_with_it && !ACCOUNT_TROUBLE.iter().any(|trouble| after.contains(trouble));
                whole && !our_sign_in
            })
        })
    })
}

/// Requests no support desk answers, whatever words they share with its articles (the kinds
/// of out-of-scope question a learning platform's desk gets, not lines of any set): someone
/// else doing the learner's coursework or exam, guarantees of a pass or a job, visas, loans,
/// who owns or founded the company and where its offices are, weather and jokes. Chinese
/// phrases match anywhere, English ones as whole words.
const BEYOND_SUPPORT: &[&str] = &[
    "代写",
    "代考",
    "替考",
    "代做",
    "代刷",
    "代上课",
    "枪手",
    "替我考",
    "替我写",
    "替我做",
    "替我上",
    "包过",
    "包就业",
    "推荐工作",
    "介绍工作",
    "签证",
    "工作许可",
    "哪年成立",
    "什么时候成立",
    "老板是谁",
    "创始人",
    "天气",
    "讲个笑话",
    "do my homework",
    "do my assignment",
    "write my essay",
    "write my assignment",
    "write my paper",
    "write my cover letter",
    "take my exam",
    "take my test",
    "take the exam for me",
    "take the test for me",
    "answers to the exam",
    "answers to the quiz",
    "answers to the test",
    "quiz questions for me",
    "guarantee a job",
    "job guarantee",
    "pass guarantee",
    "work permit",
    "student visa",
    "work visa",
    "are you hiring",
    "who owns",
    "weather",
    "tell me a joke",
    "贷款",
    "loan",
    "实体教室",
    "线下校区",
    "总部",
    "公司地址",
    "headquarters",
    "hq",
];

/// National and international exams the platform does not run: registering for one is a
/// question for its organiser ("四六级报名官网是哪个"), while a course preparing for it is ours.
const OTHER_EXAMS: &[&str] = &["四六级", "自考", "教资", "考研", "高考", "中考", "公务员", "考公", "雅思", "托福", "ielts", "toefl", "gre", "gmat"];
const EXAM_REGISTRATION: &[&str] = &["报名", "报考", "准考证", "考点", "查分", "成绩查询", "register for", "registration"];

/// Asking for help with coursework itself rather than with the platform: "帮我做/写" next to
/// the work, or the answers sent over.
const DOING_IT_FOR_ME: &[&str] = &["帮我做", "帮我写", "帮我答", "帮忙做", "帮忙写"];
const COURSEWORK: &[&str] = &["作业", "题", "考试", "论文"];
const SEND_ME: &[&str] = &["发我", "给我", "发一份", "告诉我"];

/// The phrases of [`BEYOND_SUPPORT`] the knowledge base built from `article_texts`
/// (normalised) does not mention itself: a platform with an article on its job guarantee
/// answers questions about it.
pub fn beyond_support_phrases(article_texts: &[String]) -> Vec<&'static str> {
    let everything = article_texts.join("\n");
    BEYOND_SUPPORT.iter().copied().filter(|phrase| !mentions(&everything, phrase)).collect()
}

/// Whether normalised `text` asks for something no support desk answers: one of `phrases`
/// (from [`beyond_support_phrases`]), coursework done for the learner, or registering for
/// an exam someone else runs.
pub fn asks_beyond_support(phrases: &[&str], text: &str) -> bool {
    phrases.iter().any(|phrase| mentions(text, phrase))
        || (DOING_IT_FOR_ME.iter().any(|ask| text.contains(ask)) && COURSEWORK.iter().any(|work| text.contains(work)))
        || (text.contains("答案") && SEND_ME.iter().any(|ask| text.contains(ask)))
        || (OTHER_EXAMS.iter().any(|exam| mentions(text, exam)) && EXAM_REGISTRATION.iter().any(|step| mentions(text, step)))
}

/// The outside names the knowledge base built from `article_texts` (normalised) does not
/// mention itself.
pub fn outside_names(article_texts: &[String]) -> Vec<&'static str> {
    let everything = article_texts.join("\n");
    OUTSIDE_SERVICES.iter().copied().filter(|name| !mentions(&everything, name)).collect()
}

/// Whether normalised `text` names `name` (ASCII names as whole words).
pub fn mentions(text: &str, name: &str) -> bool {
    if !name.is_ascii() {
        return text.contains(name);
    }
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back().is_none_or(|c| !c.is_ascii_alphanumeric());
        let after = text[at + name.len()..].chars().next().is_none_or(|c| !c.is_ascii_alphanumeric());
        before && after
    })
}

/// Mail services: another company's account, but also the address a learner binds to ours.
const MAIL_SERVICES: &[&str] = &["gmail", "outlook", "hotmail", "yahoo", "163邮箱", "126邮箱", "qq邮箱"];

/// Words of binding, changing or registering an address with us: "把绑定的qq邮箱换成163邮箱"
/// is about our account, "qq邮箱登不上" is not.
const ADDRESS_USE: &[&str] = &[
    "绑定",
    "换绑",
    "换成",
    "改成",
    "改为",
    "更换",
    "注册",
    "bind",
    "switch my",
    "switch to",
    "change my email",
    "change the email",
    "sign up with",
    "register with",
    "registered with",
];

/// Whether normalised `text` names one of `outside` (from [`outside_names`]); a mail service
/// named as the address the learner binds, changes or registers with us does not count.
pub fn names_outside_service(outside: &[&str], text: &str) -> bool {
    let as_address = ADDRESS_USE.iter().any(|cue| text.contains(cue));
    outside.iter().any(|name| mentions(text, name) && !(as_address && MAIL_SERVICES.contains(name)))
}

/// What a service's own membership or account is called, right after its name.
const MEMBERSHIP: &[&str] = &[
    "会员",
    "订阅",
    "自动续费",
    "续费",
    "注册",
    "账号",
    "密码",
    "退款",
    "订单",
    "subscription",
    "membership",
    "premium",
    "plus",
    "account",
    "password",
    "login",
    "refund",
    "order",
    "plan",
];

/// Whether normalised `text` asks about the membership, subscription or account of a service
/// the knowledge base never mentions ("netflix会员怎么退款", "cancel my Coursera Plus
/// subscription", "chatgpt怎么注册"): only that service can help. Naming it for anything
/// else ("在小红书上看到你们的课") is not enough.
pub fn asks_about_an_outside_membership(outside: &[&str], text: &str) -> bool {
    outside.iter().any(|name| {
        text.match_indices(name).any(|(at, _)| {
            let end = at + name.len();
            let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
            if name.is_ascii() && (glued(text[..at].chars().next_back()) || glued(text[end..].chars().next())) {
                return false;
            }
            let rest: String = text[end..].chars().filter(|c| !matches!(c, '的' | ' ')).collect();
            let rest = rest.strip_prefix("怎么").or_else(|| rest.strip_prefix("如何")).unwrap_or(&rest);
            // One word may come between, the plan's own name: "duolingo super 会员", "spotify
            // family plan".
            let after_plan: String = text[end..]
                .trim_start_matches(['的', ' '])
                .trim_start_matches(|c: char| c.is_ascii_alphanumeric())
                .chars()
                .filter(|c| !matches!(c, '的' | ' '))
                .collect();
            MEMBERSHIP.iter().any(|thing| rest.starts_with(thing) || after_plan.starts_with(thing))
        })
    })
}

/// Whether `query` names one of `outside` (from [`outside_names`]).
pub fn names_outside(outside: &[&str], query: &str) -> bool {
    names_outside_service(outside, &normalize(query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_beyond_a_support_desk_are_not_ours() {
        let kb = vec![normalize("作业怎么提交？考试可以补考吗？证书可以下载。")];
        let phrases = beyond_support_phrases(&kb);
        for text in [
            "有没有人代写作业",
            "能不能找人替我考结课考试",
            "作业题目发你，帮我做一下",
            "结课考试的答案能发我一份吗",
            "这个课包过吗",
            "学完包就业吗",
            "四六级报名官网是哪个",
            "can someone do my homework for me",
            "does the certificate help with a student visa",
            "where is your hq",
            "can i take out a loan to pay for it",
        ] {
            assert!(asks_beyond_support(&phrases, &normalize(text)), "{text}");
        }
        for text in [
            "作业怎么提交",
            "帮我看看作业为什么交不了",
            "考试答案什么时候公布",
            "四六级的课能退吗",
            "how do i submit my homework",
            "my exam answers were not saved",
            "can i pay with visa",
        ] {
            assert!(!asks_beyond_support(&phrases, &normalize(text)), "{text}");
        }
        let with_jobs = beyond_support_phrases(&[normalize("学完包就业：合格学员推荐工作。")]);
        assert!(!asks_beyond_support(&with_jobs, &normalize("学完包就业吗")), "the knowledge base answers it");
    }

    #[test]
    fn names_not_in_the_knowledge_base_are_outside() {
        let kb = vec![normalize("支持微信、支付宝和银行卡付款。可以用 PayPal 吗？")];
        let outside = outside_names(&kb);
        assert!(!outside.contains(&"paypal") && !outside.contains(&"银行卡"), "the KB names them");
        assert!(names_outside(&outside, "美团外卖退款多久到账"));
        assert!(names_outside(&outside, "My Netflix keeps buffering"));
        assert!(!names_outside(&outside, "onlineclass refund"), "whole words only");
        assert!(!names_outside(&outside, "退款多久到账"));
        // A mail service as the learner's address with us is ours to answer; its own account is not.
        assert!(!names_outside(&outside, "我想把绑定的qq邮箱换成163邮箱"));
        assert!(!names_outside(&outside, "can I switch my login email to gmail"));
        assert!(names_outside(&outside, "qq邮箱登不上了"));
        assert!(names_outside(&outside, "my outlook keeps switching accounts"));
    }

    #[test]
    fn another_platforms_account_is_theirs() {
        for text in [
            "微信支付密码忘了咋办",
            "gmail的密码重置邮件收不到",
            "my apple id is locked",
            "苹果id密码忘了",
            "qq号被盗了怎么办",
            "how do i reset my gmail password",
            "line的密码忘了怎么办",
            "whats my wifi password",
            // Payment and shopping platforms the knowledge base names as ways to pay.
            "forgot my paypal password",
            "微博账号被封了能解吗",
            "my microsoft account was hacked",
            "163邮箱怎么改密码",
            "微信如何找回密码",
            // Signing in with it does not make its own trouble ours.
            "用apple id登录，但是apple id密码忘了",
            "my apple id is locked so i can't log in",
            // Closing or freezing their account.
            "抖音号注销了30天，还能恢复吗",
            "微信账号被冻结了怎么解",
            "支付宝被冻结了",
            "qq被冻结了，说检测到异常登录",
            "花呗逾期了一天会怎么样",
            "信用卡还款日是哪天",
            "my facebook account was deleted, can i get it back",
            "my gmail was deleted",
            "my google account got hacked",
            "instagram is suspended",
        ] {
            assert!(names_another_account(&normalize(text)), "{text}");
        }
        for text in [
            "密码忘了怎么办",
            "用微信登录后课程不见了",
            "微信付款失败",
            "我想把绑定的qq邮箱换成163邮箱",
            "reset my password",
            "online class password",
            "paid with paypal but the course is missing",
            "my account was hacked",
            "怎么改密码",
            "用微信登录的账号怎么改密码",
            // Their account as the way in to ours.
            "用apple id登录的，买课的时候让我先绑手机，在哪绑",
            "signed up with my apple id last week. if i ever lose access to that, how would i get back in?",
            // Closing our account, or theirs as the way in to ours.
            "账号注销了还能恢复吗",
            "how do i delete my account",
            "my account was locked after too many tries",
            "signed in with google and now my account is locked",
            "注销账号后用微信登录还能恢复吗",
            "用花呗分期买的课，退款以后还要还款吗",
        ] {
            assert!(!names_another_account(&normalize(text)), "{text}");
        }
    }

    #[test]
    fn another_services_membership_is_theirs_unless_the_knowledge_base_names_the_service() {
        let outside = outside_names(&["我们的会员可以免费看所有课程".to_owned()]);
        for text in [
            "Spotify会员怎么取消",
            "how do i cancel my udemy subscription",
            "skillshare premium refund",
            "chatgpt怎么注册",
            // Its refunds and orders, and a plan's name between: "duolingo super 会员".
            "my netflix refund never came",
            "美团退款多久到账",
            "duolingo super 会员怎么退",
            "spotify family plan price",
        ] {
            assert!(asks_about_an_outside_membership(&outside, &normalize(text)), "{text}");
        }
        for text in [
            "在小红书上看到你们的课，会员多少钱",
            "会员怎么取消",
            "zoom meeting link for the live class",
            "udemyish account",
            "在淘宝买的课怎么退款",
            "my netflix keeps buffering, is it my refund?",
        ] {
            assert!(!asks_about_an_outside_membership(&outside, &normalize(text)), "{text}");
        }
        // A service the knowledge base names (paying by Spotify, say) is not outside.
        let outside = outside_names(&["可以用 spotify 会员积分抵扣".to_owned()]);
        assert!(!asks_about_an_outside_membership(&outside, &normalize("Spotify会员怎么取消")));
    }
}
