mod common;
mod api_support;

// Service endpoints against a real hub: health check, unknown routes and the
// OpenAPI document.

use api_support::{assert_error, get};

#[tokio::test]
async fn healthz_returns_ok() {
    let app = common::spawn_app().await;

    let response = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();

    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body.trim(), "ok", "body: {body}");
}

#[tokio::test]
async fn unknown_api_path_returns_json_404() {
    let app = common::spawn_app().await;

    let (status, body) = get(&app, "/api/v1/nope", None).await;

    assert_error(status, &body, 404, "not_found");
    assert!(body["error"]["fix"].as_str().is_some_and(|f| f.contains("openapi.json")), "the fix names the OpenAPI document; body: {body}");
}

#[tokio::test]
async fn openapi_document_lists_every_path() {
    let app = common::spawn_app().await;

    let (status, body) = get(&app, "/api/v1/openapi.json", None).await;

    assert_eq!(status, 200, "body: {body}");
    assert!(body["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "OpenAPI version 3.1; body: {body}");
    let paths = body["paths"].as_object().unwrap_or_else(|| panic!("the document has paths; body: {body}"));
    let expected = [
        ("/api/v1/countries", &["get", "post"][..]),
        ("/api/v1/organisations", &["get", "post"]),
        ("/api/v1/organisations/{id}", &["get"]),
        ("/api/v1/organisations/{id}/accreditations", &["get", "post"]),
        ("/api/v1/accreditations/{id}/status", &["post"]),
        ("/api/v1/organisations/{id}/tokens", &["post"]),
        ("/api/v1/organisations/{id}/keys", &["get", "post"]),
        ("/api/v1/keys/{kid}", &["get"]),
        ("/api/v1/keys/{kid}/retire", &["post"]),
        ("/api/v1/keys/{kid}/revoke", &["post"]),
        ("/api/v1/hub/keys", &["get"]),
        ("/api/v1/documents", &["get", "post"]),
        ("/api/v1/documents/unsigned", &["post"]),
        ("/api/v1/documents/{hub_id}", &["get"]),
        ("/api/v1/documents/{hub_id}/history", &["get"]),
        ("/api/v1/documents/{hub_id}/status", &["post"]),
        ("/api/v1/documents/{hub_id}/jws", &["get"]),
        ("/api/v1/documents/{hub_id}/file", &["get"]),
        ("/api/v1/documents/{hub_id}/qr.png", &["get"]),
        ("/api/v1/documents/{hub_id}/qr.svg", &["get"]),
        ("/api/v1/documents/{hub_id}/verification", &["get"]),
        ("/api/v1/schemas/conformity/1", &["get"]),
        ("/api/v1/verify", &["post"]),
        ("/api/v1/events", &["get"]),
    ];
    for (path, methods) in expected {
        let item = paths.get(path).unwrap_or_else(|| panic!("{path} is missing; paths: {:?}", paths.keys().collect::<Vec<_>>()));
        for method in methods {
            assert!(item.get(*method).is_some(), "{path} has no {method} operation; item: {item}");
        }
    }
    assert!(
        body.pointer("/components/securitySchemes/bearer").is_some(),
        "the bearer security scheme is declared; components: {}",
        body["components"]
    );
}

#[tokio::test]
async fn wrong_method_returns_json_405() {
    let app = common::spawn_app().await;

    let (status, body) = api_support::call(&app, reqwest::Method::DELETE, "/api/v1/countries", None, None).await;

    assert_error(status, &body, 405, "method_not_allowed");
}

#[tokio::test]
async fn non_utf8_path_returns_json_error() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    // Any unparsable hub ID gets invalid_hub_id. No code is defined for an
    // unreadable kid, so only the shape is checked there.
    let cases = [
        ("/api/v1/documents/%FF", Some("invalid_hub_id")),
        ("/api/v1/documents/%FF/qr.png", Some("invalid_hub_id")),
        ("/api/v1/keys/%FF", None),
    ];
    for (path, code) in cases {
        let response = app.client.get(format!("{}{path}", app.base)).bearer_auth(&world.cab.token).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();

        let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: the body is not JSON: {text:?}"));
        assert!([400, 404].contains(&status), "{path}: HTTP status {status}; body: {body}");
        assert!(body["error"]["code"].as_str().is_some_and(|c| !c.is_empty()), "{path}: body: {body}");
        if let Some(code) = code {
            assert_eq!(body["error"]["code"], code, "{path}: body: {body}");
        }
    }
}
