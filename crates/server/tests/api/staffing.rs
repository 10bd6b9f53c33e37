//! Staffing (issue 13.5): the hour-of-week forecast from the last weeks' arrivals, agents
//! needed by Erlang C, who is scheduled (weekly shifts), and Erlang A's waits and abandonment.

use chrono::{Datelike, TimeZone};
use edudesk_core::staffing;
use reqwest::Method;
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(the_day_plan_compares_the_forecast_with_who_is_scheduled);

async fn the_day_plan_compares_the_forecast_with_who_is_scheduled(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let lead = app.login("lead@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t1_id = app.get("/api/v1/auth/me", &t1).await.expect(200)["user"]["id"].as_i64().unwrap();
    let (learner, _) = app.learner("L9201").await;
    for n in 0..7 {
        app.open_conversation(&learner, &format!("问题 {n}")).await;
    }
    // Every conversation arrived last week at 10:30 (the team's time zone), the same weekday
    // as the day planned: the forecast for 10:00–11:00 is the count ÷ 4 weeks.
    let zone = chrono_tz::Asia::Shanghai;
    let planned = (chrono::Utc::now().with_timezone(&zone) + chrono::Duration::days(1)).date_naive();
    let last_week = zone.from_local_datetime(&(planned - chrono::Duration::days(7)).and_hms_opt(10, 30, 0).unwrap()).unwrap().timestamp_millis();
    sqlx::query("UPDATE conversations SET created_at = $1").bind(last_week).execute(&app.store.write).await.unwrap();
    let arrived: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM conversations").fetch_one(&app.store.read).await.unwrap();
    let weekday = planned.weekday().num_days_from_monday();

    // t1 works 9:00–12:00 that weekday.
    let shifts = format!("/api/v1/users/{t1_id}/shifts");
    let pattern = json!([{"weekday": weekday, "start_hour": 9, "end_hour": 12}]);
    app.call(Method::PUT, &shifts, Some(&t1), Some(pattern.clone())).await.problem(403);
    for bad in [json!([{"weekday": 7, "start_hour": 9, "end_hour": 12}]), json!([{"weekday": 1, "start_hour": 12, "end_hour": 9}]), json!([{"weekday": 1}])] {
        app.call(Method::PUT, &shifts, Some(&lead), Some(bad)).await.problem(422);
    }
    app.call(Method::PUT, "/api/v1/users/999999/shifts", Some(&lead), Some(pattern.clone())).await.problem(404);
    assert_eq!(app.call(Method::PUT, &shifts, Some(&lead), Some(pattern.clone())).await.expect(200), pattern);
    assert_eq!(app.get(&shifts, &lead).await.expect(200), pattern);

    let plan = app.get(&format!("/api/v1/staffing?date={planned}"), &lead).await.expect(200);
    assert_eq!((plan["aht_seconds"].as_i64(), plan["target_seconds"].as_i64()), (Some(360), Some(60)));
    let hours = plan["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    let ten = &hours[10];
    let forecast = arrived as f64 / 4.0;
    assert_eq!(ten["forecast"].as_f64(), Some(forecast), "{ten}");
    assert!(ten["forecast_by_channel"]["widget"].as_f64().unwrap_or_default() > 0.0, "{ten}");
    let needed = staffing::agents_needed(forecast, 360.0, 60.0, 0.8, 0.85);
    assert!(needed >= 1);
    assert_eq!((ten["needed"].as_u64(), ten["scheduled"].as_u64(), ten["gap"].as_i64()), (Some(u64::from(needed)), Some(1), Some(1 - i64::from(needed))));
    let expected_sl = staffing::service_level(1, staffing::traffic(forecast, 360.0), 360.0, 60.0);
    assert!((ten["service_level"].as_f64().unwrap() - expected_sl).abs() < 1e-9, "{ten}");
    assert!(ten["with_abandonment"]["abandon_probability"].as_f64().is_some(), "{ten}");
    // Quiet hours need nobody; an hour with nobody scheduled shows no service level.
    assert_eq!((hours[3]["forecast"].as_f64(), hours[3]["needed"].as_u64(), hours[3]["scheduled"].as_u64()), (Some(0.0), Some(0), Some(0)));
    assert_eq!(hours[3]["service_level"], serde_json::Value::Null);

    // "tomorrow" is the team's tomorrow, whatever the server's or the browser's date.
    assert_eq!(app.get("/api/v1/staffing?date=tomorrow", &lead).await.expect(200)["date"], planned.to_string());
    app.get("/api/v1/staffing?date=someday", &lead).await.problem(400);
    app.get("/api/v1/staffing", &t1).await.problem(403);
    app.get("/api/v1/staffing", &learner).await.problem(403);
}
