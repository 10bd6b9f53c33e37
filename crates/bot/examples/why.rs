//! Shows what the shipped bot's matcher sees of each query given as an argument: the query's
//! features and, for the best candidates, the match features the model scores.
//! `cargo run --release -p edudesk-bot --example why -- KB_ARTICLES QUERY...`

use edudesk_bot::eval::parse_lines;
use edudesk_bot::features::features;
use edudesk_bot::normalize::normalize;
use edudesk_bot::{Article, Bot, BotSettings, ConversationState};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let articles: Vec<Article> = parse_lines(&std::fs::read_to_string(&args[1])?, "articles")?;
    let bot = Bot::new(articles, BotSettings::default());
    let request = edudesk_bot::Learned::shipped().request;
    for query in &args[2..] {
        let normalized = normalize(query);
        println!("== {query}\n   normalized: {normalized}");
        println!("   features: {:?}", features(&normalized).iter().map(|f| f.key.as_str()).collect::<Vec<_>>());
        let analysis = bot.matcher().analyse(query);
        println!("   query features: {:?}", analysis.query);
        let ranking = bot.matcher().rank(query, 5);
        for candidate in &ranking.candidates {
            let index = bot.matcher().index_of(&candidate.id).unwrap_or(usize::MAX);
            let features = analysis.candidates.iter().find(|(i, _)| *i == index).map(|(_, f)| *f);
            println!("   {:.3} {} {:?}", candidate.score, candidate.id, features.map(|f| f.map(|x| (x * 100.0).round() / 100.0)));
        }
        println!("   none {:.3}", ranking.none);
        if let Some((reading, unexplained)) = bot.scope_reading(query) {
            println!(
                "   beyond the knowledge base: alone {:.3}, with the unexplained part {:.3} ({:.2}: {:?})",
                reading.alone, reading.with_rest, unexplained.share, unexplained.keys
            );
        }
        let reply = bot.reply(query, &mut ConversationState::default());
        println!(
            "   reply: {:?} {:?} {:?} upset probability {:.2}",
            reply.outcome,
            reply.reason,
            reply.article.map(|a| a.id),
            reply.signals.frustration * edudesk_bot::mood::THRESHOLD
        );
        if reply.signals.wants_human {
            let spoken = edudesk_bot::normalize::spoken(&normalized);
            let keys = edudesk_bot::logistic::sparse(query, &spoken);
            let (whole, sentence) = request.as_ref().map_or((0.0, 0.0), |model| (model.probability_with(&keys, &spoken), model.sentence_probability(&spoken)));
            println!(
                "   a request for a person: model {whole:.2}, best sentence {sentence:.2}, a clause only asks {}, asks someone to act {}",
                edudesk_bot::signals::a_clause_only_asks_for_a_person(&spoken),
                edudesk_bot::signals::asks_someone_to_act(&spoken)
            );
        }
    }
    Ok(())
}
