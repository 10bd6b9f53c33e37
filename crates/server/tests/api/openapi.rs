//! The OpenAPI document describes every route the server answers.

use reqwest::Method;

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(openapi_lists_every_endpoint);

async fn openapi_lists_every_endpoint(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let document = app.call(Method::GET, "/api/v1/openapi.json", None, None).await.expect(200);
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let expected = [
        ("/api/v1/health", "get"),
        ("/api/v1/ready", "get"),
        ("/api/v1/kpis", "get"),
        ("/api/v1/wall", "get"),
        ("/api/v1/hiring/candidates", "get"),
        ("/api/v1/hiring/candidates", "post"),
        ("/api/v1/hiring/candidates/{id}", "get"),
        ("/api/v1/hiring/candidates/{id}/review", "put"),
        ("/api/v1/conversations/{id}/survey", "get"),
        ("/api/v1/conversations/{id}/survey", "post"),
        ("/api/v1/training", "get"),
        ("/api/v1/training/attempts", "post"),
        ("/api/v1/training/attempts/{id}/answers", "post"),
        ("/api/v1/training/team", "get"),
        ("/api/v1/training/certifications", "post"),
        ("/api/v1/training/practice", "post"),
        ("/api/v1/training/practice/{id}", "get"),
        ("/api/v1/training/practice/{id}/replies", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/me", "get"),
        ("/api/v1/widget/sessions", "post"),
        ("/api/v1/conversations", "get"),
        ("/api/v1/conversations", "post"),
        ("/api/v1/conversations/{id}", "get"),
        ("/api/v1/conversations/{id}", "patch"),
        ("/api/v1/conversations/{id}/messages", "get"),
        ("/api/v1/conversations/{id}/messages", "post"),
        ("/api/v1/conversations/{id}/events", "get"),
        ("/api/v1/contacts", "post"),
        ("/api/v1/contacts/{id}", "get"),
        ("/api/v1/contacts/{id}", "delete"),
        ("/api/v1/contacts/{id}/export", "get"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/presence", "put"),
        ("/api/v1/conversations/{id}/attachments", "post"),
        ("/api/v1/attachments/{id}", "get"),
        ("/api/v1/queues", "get"),
        ("/api/v1/conversations/{id}/escalate", "post"),
        ("/api/v1/conversations/{id}/collaborators", "post"),
        ("/api/v1/surveys", "get"),
        ("/api/v1/surveys/{token}", "get"),
        ("/api/v1/surveys/{token}", "post"),
        ("/api/v1/feedback-items", "get"),
        ("/api/v1/feedback-items/{id}", "patch"),
        ("/api/v1/qa/sample", "get"),
        ("/api/v1/staffing", "get"),
        ("/api/v1/conversations/{id}/calls", "post"),
        ("/api/v1/conversations/{id}/calls", "get"),
        ("/api/v1/calls/{id}/accept", "post"),
        ("/api/v1/calls/{id}/decline", "post"),
        ("/api/v1/calls/{id}/hangup", "post"),
        ("/api/v1/calls/ice-servers", "get"),
        ("/api/v1/conversations/{id}/board", "get"),
        ("/api/v1/conversations/{id}/tags", "get"),
        ("/api/v1/conversations/{id}/tags", "put"),
        ("/api/v1/tags", "get"),
        ("/api/v1/views", "get"),
        ("/api/v1/views", "post"),
        ("/api/v1/views/{id}", "delete"),
        ("/api/v1/incidents", "get"),
        ("/api/v1/incidents/check", "post"),
        ("/api/v1/incidents/{id}", "patch"),
        ("/api/v1/incidents/{id}/answer", "post"),
        ("/api/v1/users/{id}/shifts", "get"),
        ("/api/v1/users/{id}/shifts", "put"),
        ("/api/v1/awards", "get"),
        ("/api/v1/awards/leaderboard", "get"),
        ("/api/v1/awards/service-star", "post"),
        ("/api/v1/awards/nominations", "post"),
        ("/api/v1/awards/nominations/{id}/decision", "post"),
        ("/api/v1/qa/reviews", "get"),
        ("/api/v1/conversations/{id}/review", "put"),
        ("/api/v1/conversations/{id}/follow-ups", "post"),
        ("/api/v1/conversations/{id}/follow-ups", "get"),
        ("/api/v1/widget/status", "get"),
        ("/api/v1/tasks", "get"),
        ("/api/v1/tasks/{id}/done", "post"),
        ("/api/v1/sops", "get"),
        ("/api/v1/kb/articles", "get"),
        ("/api/v1/kb/articles/{id}", "get"),
        ("/api/v1/kb/articles/{id}", "put"),
        ("/api/v1/kb/articles/{id}/versions", "get"),
        ("/api/v1/kb/articles/{id}/vote", "post"),
        ("/api/v1/kb/search", "get"),
        ("/api/v1/kb/deflections", "post"),
        ("/api/v1/kb/search-stats", "get"),
        ("/api/v1/kb/learned-questions", "get"),
        ("/api/v1/kb/learned-questions/{id}/accept", "post"),
        ("/api/v1/kb/learned-questions/{id}/reject", "post"),
        ("/api/v1/kb/gaps", "get"),
        ("/api/v1/channels", "get"),
        ("/api/v1/feedback", "post"),
        ("/api/v1/contacts/{id}/merge", "post"),
        ("/api/v1/channels/{kind}/{name}", "put"),
        ("/api/v1/conversations/{id}/deliveries", "get"),
        ("/api/v1/conversations/{id}/article", "post"),
        ("/api/v1/sops/{id}", "put"),
        ("/api/v1/conversations/{id}/sop", "post"),
        ("/api/v1/conversations/{id}/sop", "get"),
        ("/api/v1/conversations/{id}/sop/answers", "post"),
    ];
    for (path, method) in expected {
        assert!(document["paths"][path][method].is_object(), "{method} {path} is documented");
    }
    let operations: usize = document["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum();
    assert_eq!(operations, expected.len(), "no undocumented extras and nothing missing");
    let conversation = &document["components"]["schemas"]["Conversation"]["properties"];
    for field in ["id", "status", "tier", "priority", "category", "assignee_id"] {
        assert!(conversation[field].is_object(), "Conversation.{field} is in the schema");
    }
    assert!(document["components"]["schemas"]["Problem"].is_object());
}
