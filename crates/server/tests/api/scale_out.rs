//! Scale-out: two `edudesk serve` processes on one PostgreSQL database and one NATS
//! server; a learner on node A and an agent on node B chat in real time both ways.

use serde_json::json;

use crate::{
    cli::{edudesk, post_json, serve_with},
    helpers::{TestBackend, TestDatabase},
    realtime::Ws,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learner_on_node_a_and_agent_on_node_b_chat_both_ways() {
    let (Some(backend), Ok(nats)) = (TestBackend::postgres(), std::env::var("EDUDESK_TEST_NATS_URL")) else {
        eprintln!("skipped: needs EDUDESK_TEST_POSTGRES_URL and EDUDESK_TEST_NATS_URL");
        return;
    };
    let database = TestDatabase::create(&backend).await;
    // This test's own subject prefix, so parallel tests on the same NATS do not mix.
    let prefix = format!("edudesk_test_{}", &edudesk::crypto::new_token()[..10]);
    let node = |demo: bool| {
        let mut command = edudesk(&database);
        command.env("EDUDESK_NATS_URL", &nats).env("EDUDESK_NATS_PREFIX", &prefix);
        serve_with(command, demo)
    };
    let node_a = node(true).await;
    let node_b = node(false).await;
    let client = reqwest::Client::new();

    let signature = edudesk::crypto::learner_signature("demo-platform-secret", "L1001");
    let session = post_json(&client, format!("{}/api/v1/widget/sessions", node_a.base), None, json!({"learner_id": "L1001", "signature": signature})).await;
    let learner_token = session["token"].as_str().unwrap().to_owned();
    let start = json!({"channel": "widget", "message": {"body": "两个节点之间能聊天吗？", "client_id": "start"}});
    let conversation = post_json(&client, format!("{}/api/v1/conversations", node_a.base), Some(&learner_token), start).await["id"].as_i64().unwrap();
    let login = post_json(&client, format!("{}/api/v1/auth/login", node_b.base), None, json!({"email": "t1@edudesk.demo", "password": "edudesk-demo"})).await;
    let agent_token = login["token"].as_str().unwrap().to_owned();

    let mut learner = Ws::connect_to(&node_a.base, &learner_token).await;
    let mut agent = Ws::connect_to(&node_b.base, &agent_token).await;
    learner.send(json!({"type": "subscribe", "conversation_id": conversation})).await;
    learner.next_of("subscribed").await;
    agent.send(json!({"type": "subscribe", "conversation_id": conversation, "after_seq": 0})).await;
    assert_eq!(agent.next_of("message").await["seq"], 1);
    agent.next_of("subscribed").await;

    for round in 0..5 {
        learner.send(json!({"type": "send", "conversation_id": conversation, "client_id": format!("l{round}"), "body": format!("learner {round}")})).await;
        let seq = learner.next_of("ack").await["seq"].as_i64().unwrap();
        let received = agent.message_with_seq(seq).await;
        assert_eq!(
            (received["seq"].as_i64(), received["message"]["body"].as_str()),
            (Some(seq), Some(format!("learner {round}").as_str())),
            "node B got node A's message"
        );

        agent.send(json!({"type": "send", "conversation_id": conversation, "client_id": format!("a{round}"), "body": format!("agent {round}")})).await;
        let seq = agent.next_of("ack").await["seq"].as_i64().unwrap();
        let received = learner.message_with_seq(seq).await;
        assert_eq!(
            (received["seq"].as_i64(), received["message"]["body"].as_str()),
            (Some(seq), Some(format!("agent {round}").as_str())),
            "node A got node B's message"
        );
    }
    agent.send(json!({"type": "typing", "conversation_id": conversation, "typing": true})).await;
    assert_eq!(learner.next_of("typing").await["who"]["kind"], "agent");

    // A call across the nodes: rung on A, accepted on B, signals relayed both ways.
    let call = post_json(&client, format!("{}/api/v1/conversations/{conversation}/calls", node_a.base), Some(&learner_token), json!({"media": "video"})).await;
    let call_id = call["id"].as_i64().unwrap();
    assert_eq!(agent.next_of("media_call").await["call"]["state"], "ringing", "node B's agent hears node A's ring");
    let accepted = post_json(&client, format!("{}/api/v1/calls/{call_id}/accept", node_b.base), Some(&agent_token), json!({})).await;
    assert_eq!(accepted["state"], "accepted");
    loop {
        if learner.next_of("media_call").await["call"]["state"] == "accepted" {
            break;
        }
    }
    learner.send(json!({"type": "call_signal", "call_id": call_id, "data": {"description": {"type": "offer", "sdp": "v=0 from A"}}})).await;
    assert_eq!(agent.next_of("call_signal").await["data"]["description"]["sdp"], "v=0 from A");
    agent.send(json!({"type": "call_signal", "call_id": call_id, "data": {"candidate": {"candidate": "candidate:1 1 udp 1 192.0.2.9 5000 typ host"}}})).await;
    assert_eq!(learner.next_of("call_signal").await["data"]["candidate"]["candidate"], "candidate:1 1 udp 1 192.0.2.9 5000 typ host");
}
