//! The Instagram client against a local `wiremock` server answering as the Instagram API with
//! Instagram Login does: connecting (the code exchanged with a flat or a nested answer, the
//! long-lived token, the profile), refreshing, a whole pull (profile, daily insights, the
//! follower series, paged posts and their insights), numbers Instagram will not give (#10),
//! a refused token, rate limits by error code and by usage header (stopping before further
//! calls), and the retired metrics bridged into `views`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
use gd_analytics::instagram::{Connected, Instagram};
use gd_analytics::network::{
    AccountRef, DayInsights, LongLivedToken, Media, MediaInsights, Network, NetworkId, Profile,
    Pull, PullError,
};
use gd_config::{InstagramAppConfig, Secret};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const USER: &str = "17841400000000001";
const TOKEN: &str = "IGAAlong";
const PROFILE_FIELDS: &str = "user_id,username,name,profile_picture_url,followers_count,\
                              follows_count,media_count,account_type";
const MEDIA_FIELDS: &str = "id,caption,media_type,media_product_type,timestamp,permalink,\
                            thumbnail_url,media_url,like_count,comments_count";
const ACCOUNT_METRICS: &str =
    "views,reach,accounts_engaged,total_interactions,likes,comments,shares,saves,profile_links_taps";
const ACCOUNT_METRICS_RETIRED: &str = "impressions,reach,accounts_engaged,total_interactions,\
                                       likes,comments,shares,saves,profile_links_taps";
const MEDIA_METRICS: &str = "views,reach,likes,comments,saved,shares,total_interactions";
const REDIRECT: &str = "https://shop.example/portal/analytics/instagram/callback";

fn app(server: &MockServer) -> InstagramAppConfig {
    InstagramAppConfig {
        app_id: "990001".into(),
        app_secret: Secret::new("app-secret"),
        auth_url: format!("{}/oauth/authorize", server.uri()),
        token_url: format!("{}/oauth/access_token", server.uri()),
        // A trailing slash, as someone may well configure it.
        api_url: format!("{}/", server.uri()),
        api_version: "v23.0".into(),
    }
}

fn instagram(server: &MockServer) -> Instagram {
    Instagram::new(&app(server)).unwrap()
}

fn account() -> AccountRef {
    AccountRef {
        external_id: USER.into(),
        handle: "cafe.kranz".into(),
        token: Some(TOKEN.into()),
    }
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn refused(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"error": {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEf123"
    }}))
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn unix(day: NaiveDate) -> String {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
        .timestamp()
        .to_string()
}

/// The end of `day` as Instagram writes it (midnight Pacific, in UTC, without a colon).
fn end_time(day: NaiveDate) -> String {
    format!("{}T07:00:00+0000", day + TimeDelta::days(1))
}

fn timestamp(day: NaiveDate, hour: u32) -> String {
    format!("{day}T{hour:02}:20:00+0000")
}

fn posted(day: NaiveDate, hour: u32) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(hour, 20, 0).unwrap())
}

fn profile_answer(followers: i64) -> Value {
    json!({
        "user_id": USER,
        "username": "cafe.kranz",
        "name": "Café Kranz",
        "profile_picture_url": "https://scontent.cdninstagram.com/p.jpg",
        "followers_count": followers,
        "follows_count": 310,
        "media_count": 87,
        "account_type": "BUSINESS",
        "id": "27640875392278831"
    })
}

fn profile(followers: i64) -> Profile {
    Profile {
        external_id: USER.into(),
        handle: "cafe.kranz".into(),
        name: Some("Café Kranz".into()),
        picture_url: Some("https://scontent.cdninstagram.com/p.jpg".into()),
        account_type: Some("BUSINESS".into()),
        followers: Some(followers),
        follows: Some(310),
        media_count: Some(87),
    }
}

async fn mount_profile(server: &MockServer, followers: i64) {
    Mock::given(method("GET"))
        .and(path("/v23.0/me"))
        .and(query_param("fields", PROFILE_FIELDS))
        .and(query_param("access_token", TOKEN))
        .respond_with(ok(profile_answer(followers)))
        .expect(1)
        .mount(server)
        .await;
}

/// An account-insights answer with `total_value`s.
fn totals(values: &[(&str, i64)]) -> ResponseTemplate {
    let data: Vec<Value> = values
        .iter()
        .map(|(name, value)| {
            json!({"name": name, "period": "day", "title": name, "description": "…",
                   "total_value": {"value": value}, "id": format!("{USER}/insights/{name}/day")})
        })
        .collect();
    ok(json!({ "data": data }))
}

fn follows(gained: i64, lost: i64) -> ResponseTemplate {
    ok(json!({"data": [{
        "name": "follows_and_unfollows",
        "period": "day",
        "title": "Follows and unfollows",
        "total_value": {"breakdowns": [{
            "dimension_keys": ["follow_type"],
            "results": [
                {"dimension_values": ["FOLLOWER"], "value": gained},
                {"dimension_values": ["NON_FOLLOWER"], "value": lost}
            ]
        }]},
        "id": format!("{USER}/insights/follows_and_unfollows/day")
    }]}))
}

/// Lifetime media insights in the `values[0]` shape.
fn lifetime(values: &[(&str, i64)]) -> ResponseTemplate {
    let data: Vec<Value> = values
        .iter()
        .map(|(name, value)| {
            json!({"name": name, "period": "lifetime", "values": [{"value": value}],
                   "title": name, "id": format!("x/insights/{name}/lifetime")})
        })
        .collect();
    ok(json!({ "data": data }))
}

async fn mount_day(server: &MockServer, day: NaiveDate, metrics: &str, answer: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{USER}/insights")))
        .and(query_param("metric", metrics))
        .and(query_param("period", "day"))
        .and(query_param("metric_type", "total_value"))
        .and(query_param("since", unix(day)))
        .and(query_param("until", unix(day + TimeDelta::days(1))))
        .and(query_param("access_token", TOKEN))
        .and(query_param_is_missing("breakdown"))
        .respond_with(answer)
        .expect(1)
        .mount(server)
        .await;
}

async fn mount_follows(server: &MockServer, day: NaiveDate, answer: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{USER}/insights")))
        .and(query_param("metric", "follows_and_unfollows"))
        .and(query_param("breakdown", "follow_type"))
        .and(query_param("metric_type", "total_value"))
        .and(query_param("since", unix(day)))
        .and(query_param("until", unix(day + TimeDelta::days(1))))
        .respond_with(answer)
        .expect(1)
        .mount(server)
        .await;
}

async fn mount_media_page(server: &MockServer, items: Value, next: Option<String>) {
    let mut body = json!({ "data": items });
    if let Some(next) = next {
        body["paging"] = json!({"cursors": {"before": "B", "after": "A"}, "next": next});
    }
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{USER}/media")))
        .and(query_param("fields", MEDIA_FIELDS))
        .and(query_param("limit", "50"))
        .and(query_param("access_token", TOKEN))
        .and(query_param_is_missing("after"))
        .respond_with(ok(body))
        .expect(1)
        .mount(server)
        .await;
}

async fn mount_media_insights(
    server: &MockServer,
    media: &str,
    metrics: &str,
    answer: ResponseTemplate,
) {
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{media}/insights")))
        .and(query_param("metric", metrics))
        .and(query_param("access_token", TOKEN))
        .respond_with(answer)
        .expect(1)
        .mount(server)
        .await;
}

/// A mock that must not be called: everything under `/v23.0/{USER}/…` (insights and media).
async fn forbid_account_calls(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{USER}/insights")))
        .respond_with(ok(json!({"data": []})))
        .expect(0)
        .named("account insights after the stop")
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{USER}/media")))
        .respond_with(ok(json!({"data": []})))
        .expect(0)
        .named("media after the stop")
        .mount(server)
        .await;
}

fn form(request: &Request) -> std::collections::HashMap<String, String> {
    let body = String::from_utf8_lossy(&request.body).into_owned();
    reqwest::Url::parse(&format!("http://x/?{body}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

#[test]
fn the_authorization_address_asks_for_insights_with_a_fresh_state() {
    let ig = Instagram::new(&InstagramAppConfig {
        app_id: "990001".into(),
        app_secret: Secret::new("app-secret"),
        auth_url: "https://www.instagram.com/oauth/authorize".into(),
        token_url: "https://api.instagram.com/oauth/access_token".into(),
        api_url: "https://graph.instagram.com".into(),
        api_version: "v23.0".into(),
    })
    .unwrap();
    let (url, state) = ig.authorize_url(REDIRECT).unwrap();
    let url = reqwest::Url::parse(&url).unwrap();
    assert_eq!(url.host_str(), Some("www.instagram.com"));
    assert_eq!(url.path(), "/oauth/authorize");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "990001");
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["response_type"], "code");
    assert_eq!(
        q["scope"],
        "instagram_business_basic,instagram_business_manage_insights"
    );
    assert_eq!(q["state"], state);
    assert!(state.len() >= 16);
    assert!(!url.as_str().contains("app-secret"));
    let (_, other) = ig.authorize_url(REDIRECT).unwrap();
    assert_ne!(state, other, "each attempt gets its own state");
    assert_eq!(ig.id(), NetworkId::Instagram);
    assert_eq!(ig.backfill_days(), 30);
}

/// Connects with Instagram answering the code exchange with `token_answer`.
async fn connect_with(token_answer: Value) -> Connected {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/access_token"))
        .and(|r: &Request| {
            let f = form(r);
            f.get("grant_type").map(String::as_str) == Some("authorization_code")
                && f.get("code").map(String::as_str) == Some("AQBcode")
                && f.get("client_id").map(String::as_str) == Some("990001")
                && f.get("client_secret").map(String::as_str) == Some("app-secret")
                && f.get("redirect_uri").map(String::as_str) == Some(REDIRECT)
        })
        .respond_with(ok(token_answer))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/access_token"))
        .and(query_param("grant_type", "ig_exchange_token"))
        .and(query_param("client_secret", "app-secret"))
        .and(query_param("access_token", "IGAAshort"))
        .respond_with(ok(json!({
            "access_token": TOKEN, "token_type": "bearer", "expires_in": 5_183_944
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_profile(&server, 1240).await;
    // Instagram appends `#_` to the code in the redirect.
    instagram(&server)
        .connect(REDIRECT, "AQBcode#_")
        .await
        .unwrap()
}

fn connected() -> Connected {
    Connected {
        token: LongLivedToken {
            token: TOKEN.into(),
            expires_in: Duration::from_secs(5_183_944),
        },
        profile: profile(1240),
    }
}

#[tokio::test]
async fn connecting_with_the_flat_token_answer() {
    let c = connect_with(json!({
        "access_token": "IGAAshort",
        "user_id": 27_640_875_392_278_831u64,
        "permissions": ["instagram_business_basic", "instagram_business_manage_insights"]
    }))
    .await;
    assert_eq!(c, connected());
    assert!(!format!("{c:?}").contains(TOKEN), "Debug hides the token");
}

#[tokio::test]
async fn connecting_with_the_nested_token_answer() {
    let c = connect_with(json!({"data": [{
        "access_token": "IGAAshort",
        "user_id": "17841400000000001",
        "permissions": "instagram_business_basic,instagram_business_manage_insights"
    }]}))
    .await;
    assert_eq!(c, connected());
}

#[tokio::test]
async fn a_used_code_is_refused_with_instagrams_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/access_token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_type": "OAuthException",
            "code": 400,
            "error_message": "Matching code was not found or was already used"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok(json!({})))
        .expect(0)
        .mount(&server)
        .await;
    let err = instagram(&server)
        .connect(REDIRECT, "AQBold")
        .await
        .unwrap_err();
    let PullError::TokenRefused(message) = err else {
        panic!("expected a refusal, got {err:?}");
    };
    assert!(message.contains("Matching code was not found"), "{message}");
}

#[tokio::test]
async fn a_long_lived_token_is_refreshed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/refresh_access_token"))
        .and(query_param("grant_type", "ig_refresh_token"))
        .and(query_param("access_token", TOKEN))
        .respond_with(ok(json!({
            "access_token": "IGAAfresh", "token_type": "bearer", "expires_in": 5_184_000,
            "permissions": "instagram_business_basic"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let fresh = instagram(&server).refresh_token(TOKEN).await.unwrap();
    assert_eq!(
        fresh,
        Some(LongLivedToken {
            token: "IGAAfresh".into(),
            expires_in: Duration::from_secs(5_184_000),
        })
    );
}

#[tokio::test]
async fn a_pull_brings_the_profile_the_days_and_the_posts() {
    let server = MockServer::start().await;
    let (t0, t1, t2) = (
        today() - TimeDelta::days(2),
        today() - TimeDelta::days(1),
        today(),
    );
    mount_profile(&server, 1000).await;
    for (i, day) in [t0, t1, t2].into_iter().enumerate() {
        let n = 100 * (i as i64 + 1);
        mount_day(
            &server,
            day,
            ACCOUNT_METRICS,
            totals(&[
                ("views", n * 10),
                ("reach", n * 4),
                ("accounts_engaged", n / 2),
                ("total_interactions", n),
                ("likes", n - 20),
                ("comments", 9),
                ("shares", 6),
                ("saves", 5),
                ("profile_links_taps", 3),
            ]),
        )
        .await;
    }
    mount_follows(&server, t0, follows(3, 1)).await;
    // Yesterday's follows are not there (yet): the follower series stands in for the gains.
    mount_follows(&server, t1, ok(json!({"data": []}))).await;
    mount_follows(&server, t2, follows(5, 2)).await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{USER}/insights")))
        .and(query_param("metric", "follower_count"))
        .and(query_param("period", "day"))
        .and(query_param_is_missing("metric_type"))
        .and(query_param("since", unix(t0)))
        .and(query_param("until", unix(t2)))
        .respond_with(ok(json!({"data": [{
            "name": "follower_count", "period": "day", "title": "Follower Count",
            "values": [
                {"value": 7, "end_time": end_time(t0)},
                {"value": 4, "end_time": end_time(t1)}
            ],
            "id": format!("{USER}/insights/follower_count/day")
        }]})))
        .expect(1)
        .mount(&server)
        .await;

    // Posts: a reel and an image on the first page; a carousel and one too old on the
    // second, which ends the paging (the third page is never asked for).
    let old_day = t0 - TimeDelta::days(90);
    let next = |after: &str| {
        format!(
            "{}/v23.0/{USER}/media?access_token={TOKEN}&fields={MEDIA_FIELDS}&limit=50&after={after}",
            server.uri()
        )
    };
    mount_media_page(
        &server,
        json!([
            {"id": "18000000000000001", "caption": "Neue Torten", "media_type": "VIDEO",
             "media_product_type": "REELS", "timestamp": timestamp(t1, 18),
             "permalink": "https://www.instagram.com/reel/A1/",
             "thumbnail_url": "https://cdn.example/r1.jpg", "media_url": "https://cdn.example/r1.mp4",
             "like_count": 40, "comments_count": 4},
            {"id": "18000000000000002", "media_type": "IMAGE", "media_product_type": "FEED",
             "timestamp": timestamp(t0 - TimeDelta::days(1), 9),
             "permalink": "https://www.instagram.com/p/A2/",
             "media_url": "https://cdn.example/i2.jpg", "like_count": 12, "comments_count": 3}
        ]),
        Some(next("PAGE2")),
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{USER}/media")))
        .and(query_param("after", "PAGE2"))
        .and(query_param("access_token", TOKEN))
        .respond_with(ok(json!({
            "data": [
                {"id": "18000000000000003", "caption": "Sommer", "media_type": "CAROUSEL_ALBUM",
                 "media_product_type": "FEED", "timestamp": timestamp(t0 - TimeDelta::days(30), 12),
                 "permalink": "https://www.instagram.com/p/A3/",
                 "media_url": "https://cdn.example/c3.jpg", "like_count": 30, "comments_count": 1},
                {"id": "18000000000000004", "media_type": "IMAGE", "media_product_type": "FEED",
                 "timestamp": timestamp(old_day, 12), "like_count": 1, "comments_count": 0}
            ],
            "paging": {"next": next("PAGE3")}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{USER}/media")))
        .and(query_param("after", "PAGE3"))
        .respond_with(ok(json!({"data": []})))
        .expect(0)
        .mount(&server)
        .await;
    mount_media_insights(
        &server,
        "18000000000000001",
        MEDIA_METRICS,
        lifetime(&[
            ("views", 5400),
            ("reach", 2006),
            ("likes", 41),
            ("comments", 4),
            ("saved", 17),
            ("shares", 8),
            ("total_interactions", 70),
        ]),
    )
    .await;
    // The image's answer in the `total_value` shape, without likes and comments: the
    // post's own counts stand in.
    mount_media_insights(
        &server,
        "18000000000000002",
        MEDIA_METRICS,
        ok(json!({"data": [
            {"name": "views", "period": "lifetime", "total_value": {"value": 800}},
            {"name": "reach", "period": "lifetime", "total_value": {"value": 500}},
            {"name": "saved", "period": "lifetime", "total_value": {"value": 2}}
        ]})),
    )
    .await;
    mount_media_insights(
        &server,
        "18000000000000003",
        MEDIA_METRICS,
        lifetime(&[
            ("views", 900),
            ("reach", 700),
            ("likes", 30),
            ("comments", 1),
        ]),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v23.0/18000000000000004/insights"))
        .respond_with(ok(json!({"data": []})))
        .expect(0)
        .mount(&server)
        .await;

    let pull = instagram(&server).pull(&account(), t0, t2).await.unwrap();

    let day =
        |day: NaiveDate, n: i64, followers: Option<i64>, gained: Option<i64>, lost: Option<i64>| {
            DayInsights {
                day,
                followers,
                views: Some(n * 10),
                reach: Some(n * 4),
                accounts_engaged: Some(n / 2),
                total_interactions: Some(n),
                likes: Some(n - 20),
                comments: Some(9),
                shares: Some(6),
                saves: Some(5),
                followers_gained: gained,
                followers_lost: lost,
                profile_links_taps: Some(3),
            }
        };
    let expected = Pull {
        profile: profile(1000),
        days: vec![
            // Yesterday's losses are unknown, so the count cannot be worked back further.
            day(t0, 100, None, Some(3), Some(1)),
            day(t1, 200, Some(997), Some(4), None),
            day(t2, 300, Some(1000), Some(5), Some(2)),
        ],
        media: vec![
            Media {
                external_id: "18000000000000001".into(),
                media_type: "VIDEO".into(),
                product_type: Some("REELS".into()),
                caption: Some("Neue Torten".into()),
                permalink: Some("https://www.instagram.com/reel/A1/".into()),
                thumbnail_url: Some("https://cdn.example/r1.jpg".into()),
                posted_at: posted(t1, 18),
                insights: MediaInsights {
                    views: Some(5400),
                    reach: Some(2006),
                    likes: Some(41),
                    comments: Some(4),
                    saved: Some(17),
                    shares: Some(8),
                    total_interactions: Some(70),
                },
            },
            Media {
                external_id: "18000000000000002".into(),
                media_type: "IMAGE".into(),
                product_type: Some("FEED".into()),
                caption: None,
                permalink: Some("https://www.instagram.com/p/A2/".into()),
                thumbnail_url: Some("https://cdn.example/i2.jpg".into()),
                posted_at: posted(t0 - TimeDelta::days(1), 9),
                insights: MediaInsights {
                    views: Some(800),
                    reach: Some(500),
                    likes: Some(12),
                    comments: Some(3),
                    saved: Some(2),
                    shares: None,
                    total_interactions: None,
                },
            },
            Media {
                external_id: "18000000000000003".into(),
                media_type: "CAROUSEL_ALBUM".into(),
                product_type: Some("FEED".into()),
                caption: Some("Sommer".into()),
                permalink: Some("https://www.instagram.com/p/A3/".into()),
                // A carousel's media_url may be a video: no thumbnail rather than a broken one.
                thumbnail_url: None,
                posted_at: posted(t0 - TimeDelta::days(30), 12),
                insights: MediaInsights {
                    views: Some(900),
                    reach: Some(700),
                    likes: Some(30),
                    comments: Some(1),
                    saved: None,
                    shares: None,
                    total_interactions: None,
                },
            },
        ],
    };
    assert_eq!(pull, expected);
}

#[tokio::test]
async fn too_few_viewers_leave_numbers_missing_and_keep_the_rest() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    mount_profile(&server, 80).await;
    mount_day(
        &server,
        today(),
        ACCOUNT_METRICS,
        refused(
            400,
            10,
            "(#10) Not enough viewers to show insights for this account",
        ),
    )
    .await;
    mount_follows(&server, today(), follows(1, 0)).await;
    // A next page elsewhere is not followed: it would carry the token there.
    Mock::given(method("GET"))
        .respond_with(ok(json!({"data": []})))
        .expect(0)
        .mount(&elsewhere)
        .await;
    mount_media_page(
        &server,
        json!([{"id": "18000000000000009", "media_type": "IMAGE", "media_product_type": "FEED",
                "timestamp": timestamp(today(), 8), "like_count": 6, "comments_count": 2}]),
        Some(format!(
            "{}/v23.0/{USER}/media?access_token={TOKEN}&after=X",
            elsewhere.uri()
        )),
    )
    .await;
    mount_media_insights(
        &server,
        "18000000000000009",
        MEDIA_METRICS,
        refused(
            400,
            10,
            "(#10) Not enough viewers for the media to show insights",
        ),
    )
    .await;

    let pull = instagram(&server)
        .pull(&account(), today(), today())
        .await
        .unwrap();
    assert_eq!(pull.profile, profile(80));
    assert_eq!(
        pull.days,
        vec![DayInsights {
            day: today(),
            followers: Some(80),
            followers_gained: Some(1),
            followers_lost: Some(0),
            ..Default::default()
        }]
    );
    assert_eq!(pull.media.len(), 1);
    assert_eq!(
        pull.media[0].insights,
        MediaInsights {
            likes: Some(6),
            comments: Some(2),
            ..Default::default()
        },
        "the post's own counts stay; the rest is missing, not zero"
    );
}

#[tokio::test]
async fn a_refused_token_asks_the_client_to_connect_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v23.0/me"))
        .respond_with(refused(
            400,
            190,
            "Error validating access token: The user has not authorized application 990001.",
        ))
        .expect(1)
        .mount(&server)
        .await;
    forbid_account_calls(&server).await;
    let err = instagram(&server)
        .pull(&account(), today(), today())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        PullError::TokenRefused(
            "Error validating access token: The user has not authorized application 990001.".into()
        )
    );
}

#[tokio::test]
async fn rate_limit_codes_stop_the_pull_for_a_while() {
    for (code, message) in [
        (4, "(#4) Application request limit reached"),
        (17, "(#17) User request limit reached"),
    ] {
        let server = MockServer::start().await;
        mount_profile(&server, 1000).await;
        mount_day(
            &server,
            today(),
            ACCOUNT_METRICS,
            refused(403, code, message),
        )
        .await;
        Mock::given(method("GET"))
            .and(path(format!("/v23.0/{USER}/media")))
            .respond_with(ok(json!({"data": []})))
            .expect(0)
            .mount(&server)
            .await;
        let err = instagram(&server)
            .pull(&account(), today(), today())
            .await
            .unwrap_err();
        let PullError::RateLimited { wait, reason, .. } = err else {
            panic!("code {code}: expected a rate limit, got {err:?}");
        };
        assert_eq!(wait, Duration::from_secs(15 * 60));
        assert!(reason.contains(message), "{reason}");
    }
}

#[tokio::test]
async fn high_app_usage_stops_the_pull_before_further_calls() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v23.0/me"))
        .respond_with(ok(profile_answer(1000)).insert_header(
            "X-App-Usage",
            r#"{"call_count":90,"total_time":12,"total_cputime":8}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    forbid_account_calls(&server).await;
    let err = instagram(&server)
        .pull(&account(), today() - TimeDelta::days(3), today())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        PullError::RateLimited {
            wait: Duration::from_secs(15 * 60),
            reason: "X-App-Usage call_count at 90%".into(),
            account_only: false,
        }
    );
}

#[tokio::test]
async fn high_business_usage_waits_as_long_as_instagram_says() {
    let server = MockServer::start().await;
    mount_profile(&server, 1000).await;
    mount_day(
        &server,
        today(),
        ACCOUNT_METRICS,
        totals(&[("views", 10)]).insert_header(
            "X-Business-Use-Case-Usage",
            format!(
                r#"{{"{USER}":[{{"type":"instagram","call_count":12,"total_cputime":3,"total_time":91,"estimated_time_to_regain_access":42}}]}}"#
            )
            .as_str(),
        ),
    )
    .await;
    // Neither the day's follows nor the posts are asked for any more.
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{USER}/insights")))
        .and(query_param("metric", "follows_and_unfollows"))
        .respond_with(follows(1, 1))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{USER}/media")))
        .respond_with(ok(json!({"data": []})))
        .expect(0)
        .mount(&server)
        .await;
    let err = instagram(&server)
        .pull(&account(), today(), today())
        .await
        .unwrap_err();
    let PullError::RateLimited { wait, reason, .. } = err else {
        panic!("expected a rate limit, got {err:?}");
    };
    assert_eq!(wait, Duration::from_secs(42 * 60));
    assert!(
        reason.contains("X-Business-Use-Case-Usage total_time"),
        "{reason}"
    );
    assert!(reason.contains("91%"), "{reason}");
}

#[tokio::test]
async fn retired_metrics_in_an_answer_count_as_views() {
    let server = MockServer::start().await;
    mount_profile(&server, 1000).await;
    mount_day(
        &server,
        today(),
        ACCOUNT_METRICS,
        totals(&[("impressions", 777), ("reach", 300)]),
    )
    .await;
    mount_follows(&server, today(), follows(0, 0)).await;
    mount_media_page(
        &server,
        json!([
            {"id": "18000000000000011", "media_type": "VIDEO", "media_product_type": "REELS",
             "timestamp": timestamp(today(), 7), "like_count": 1, "comments_count": 0},
            {"id": "18000000000000012", "media_type": "IMAGE", "media_product_type": "FEED",
             "timestamp": timestamp(today(), 6), "like_count": 2, "comments_count": 0}
        ]),
        None,
    )
    .await;
    mount_media_insights(
        &server,
        "18000000000000011",
        MEDIA_METRICS,
        lifetime(&[("plays", 1500), ("reach", 900)]),
    )
    .await;
    mount_media_insights(
        &server,
        "18000000000000012",
        MEDIA_METRICS,
        lifetime(&[("impressions", 420), ("reach", 300)]),
    )
    .await;

    let pull = instagram(&server)
        .pull(&account(), today(), today())
        .await
        .unwrap();
    assert_eq!(pull.days[0].views, Some(777));
    assert_eq!(pull.days[0].reach, Some(300));
    assert_eq!(pull.media[0].insights.views, Some(1500));
    assert_eq!(pull.media[1].insights.views, Some(420));
}

#[tokio::test]
async fn a_version_without_views_is_asked_again_with_the_retired_metric() {
    let server = MockServer::start().await;
    mount_profile(&server, 1000).await;
    mount_day(
        &server,
        today(),
        ACCOUNT_METRICS,
        refused(
            400,
            100,
            "(#100) metric[0] must be one of the following values: impressions, reach, \
             follower_count, email_contacts, phone_call_clicks, text_message_clicks",
        ),
    )
    .await;
    mount_day(
        &server,
        today(),
        ACCOUNT_METRICS_RETIRED,
        totals(&[("impressions", 321), ("reach", 120)]),
    )
    .await;
    mount_follows(&server, today(), follows(2, 1)).await;
    mount_media_page(
        &server,
        json!([{"id": "18000000000000021", "media_type": "VIDEO", "media_product_type": "REELS",
                "timestamp": timestamp(today(), 5), "like_count": 3, "comments_count": 1}]),
        None,
    )
    .await;
    mount_media_insights(
        &server,
        "18000000000000021",
        MEDIA_METRICS,
        refused(
            400,
            100,
            "(#100) The Media Insights API does not support the views metric for this media product type.",
        ),
    )
    .await;
    mount_media_insights(
        &server,
        "18000000000000021",
        "plays,reach,likes,comments,saved,shares,total_interactions",
        lifetime(&[("plays", 999), ("reach", 500)]),
    )
    .await;

    let pull = instagram(&server)
        .pull(&account(), today(), today())
        .await
        .unwrap();
    assert_eq!(pull.days[0].views, Some(321));
    assert_eq!(pull.days[0].reach, Some(120));
    assert_eq!(pull.days[0].followers_gained, Some(2));
    assert_eq!(pull.media[0].insights.views, Some(999));
    assert_eq!(pull.media[0].insights.likes, Some(3));
}
