//! Operations: every request gets an id (the caller's `X-Request-Id` when it sent a sane one,
//! else a new one), answered in `X-Request-Id` and carried by the request's log span; and
//! `GET /metrics` in Prometheus' text format — requests by status class and their latency,
//! open sockets, waiting conversations per tier, job lag, and the bot's answers and handovers.

use std::{sync::atomic::Ordering, time::Instant};

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{AppState, error::AppResult, services::metrics::BUCKETS};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives each request an id and counts it.
pub async fn requests(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let sane = |value: &HeaderValue| {
        value
            .to_str()
            .ok()
            .filter(|id| !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map(str::to_owned)
    };
    let id = request.headers().get(&REQUEST_ID).and_then(sane).unwrap_or_else(|| crate::crypto::new_token()[..16].to_owned());
    if let Ok(value) = HeaderValue::from_str(&id) {
        request.headers_mut().insert(REQUEST_ID, value);
    }
    let started = Instant::now();
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path());
    let mut response = tracing::Instrument::instrument(next.run(request), span).await;
    state.metrics.record(response.status().as_u16(), started.elapsed().as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Who may read the metrics: this host (a local Prometheus or agent), or whoever presents
/// `metrics_token`.
pub fn may_read_metrics(ip: std::net::IpAddr, presented: Option<&str>, token: Option<&str>) -> bool {
    ip.is_loopback() || token.is_some_and(|token| presented.is_some_and(|presented| crate::crypto::constant_time_eq(token.as_bytes(), presented.as_bytes())))
}

/// `GET /metrics`: this node's counters and the shared queues, for Prometheus.
pub async fn metrics(
    State(state): State<AppState>,
    crate::http::client_ip::ClientIp(ip): crate::http::client_ip::ClientIp,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    let presented = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).and_then(|value| value.strip_prefix("Bearer "));
    // A request that came through a proxy is not local, even when the proxy runs on this host.
    let proxied = headers.contains_key("x-forwarded-for") || headers.contains_key("forwarded");
    let ip = if proxied && ip.is_loopback() { std::net::IpAddr::from([0, 0, 0, 0]) } else { ip };
    if !may_read_metrics(ip, presented, state.config.metrics_token.as_ref().map(|token| token.expose())) {
        return Err(crate::error::AppError::Unauthorized("metrics: send the metrics token".to_owned()));
    }
    let m = &state.metrics;
    let mut out = String::new();
    out.push_str("# HELP edudesk_http_requests_total HTTP requests answered, by status class.\n# TYPE edudesk_http_requests_total counter\n");
    for (index, count) in m.by_class.iter().enumerate() {
        out.push_str(&format!("edudesk_http_requests_total{{class=\"{}xx\"}} {}\n", index + 1, count.load(Ordering::Relaxed)));
    }
    out.push_str("# HELP edudesk_http_request_duration_seconds Time to answer a request.\n# TYPE edudesk_http_request_duration_seconds histogram\n");
    for (index, bound) in BUCKETS.iter().enumerate() {
        out.push_str(&format!("edudesk_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}\n", m.buckets[index].load(Ordering::Relaxed)));
    }
    let total = m.buckets[BUCKETS.len()].load(Ordering::Relaxed);
    out.push_str(&format!("edudesk_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {total}\n"));
    out.push_str(&format!("edudesk_http_request_duration_seconds_sum {}\n", m.latency_micros.load(Ordering::Relaxed) as f64 / 1_000_000.0));
    out.push_str(&format!("edudesk_http_request_duration_seconds_count {total}\n"));
    out.push_str(&format!(
        "# HELP edudesk_websockets_open Open WebSockets on this node.\n# TYPE edudesk_websockets_open gauge\nedudesk_websockets_open {}\n",
        state.hub.connection_count()
    ));
    out.push_str("# HELP edudesk_queue_waiting Open conversations nobody is assigned to, by tier.\n# TYPE edudesk_queue_waiting gauge\n");
    for queue in crate::services::routing::queues(&state).await? {
        out.push_str(&format!("edudesk_queue_waiting{{tier=\"{}\"}} {}\n", queue.tier.level(), queue.waiting));
    }
    let now = state.clock.now_ms();
    let lag = state.store.next_job_due().await?.map_or(0, |due| (now - due).max(0));
    out.push_str(&format!(
        "# HELP edudesk_job_lag_seconds How late the most overdue job is.\n# TYPE edudesk_job_lag_seconds gauge\nedudesk_job_lag_seconds {}\n",
        lag as f64 / 1000.0
    ));
    out.push_str(&format!(
        "# HELP edudesk_bot_answers_total Answers the bot gave.\n# TYPE edudesk_bot_answers_total counter\nedudesk_bot_answers_total {}\n\
         # HELP edudesk_bot_handovers_total Conversations the bot handed to a person.\n# TYPE edudesk_bot_handovers_total counter\nedudesk_bot_handovers_total {}\n",
        m.bot_answers.load(Ordering::Relaxed),
        m.bot_handovers.load(Ordering::Relaxed)
    ));
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_for_this_host_or_the_token() {
        let far: std::net::IpAddr = [203, 0, 113, 9].into();
        assert!(may_read_metrics([127, 0, 0, 1].into(), None, None));
        assert!(!may_read_metrics(far, None, None));
        assert!(!may_read_metrics(far, Some("guess"), Some("s3cret")));
        assert!(may_read_metrics(far, Some("s3cret"), Some("s3cret")));
        assert!(!may_read_metrics(far, Some("s3cret"), None), "no token configured: other hosts never");
    }
}
