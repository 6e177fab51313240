mod common;
mod api_support;

// Countries, organisations, accreditations and API tokens, through the HTTP
// API of a real hub on a SQLite file.

use api_support::{assert_error, assert_error_field, get, kyrgyz_authority, post};
use serde_json::{Value, json};

fn new_cab(number: &str) -> Value {
    json!({"country": "UZ", "kind": "certification_body", "registration_number": number, "name": format!("Certification body {number}")})
}

fn accreditation_17065(hs_prefixes: &[&str]) -> Value {
    json!({
        "standard": "ISO/IEC 17065",
        "body": "Uzbek accreditation centre",
        "ilac_iaf_signatory": true,
        "hs_prefixes": hs_prefixes,
        "valid_from": "2024-01-01T00:00:00Z",
        "valid_until": "2030-01-01T00:00:00Z"
    })
}

// ---- countries ----

#[tokio::test]
async fn countries_list_with_token() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(&app, "/api/v1/countries", Some(&world.cab.token)).await;

    assert_eq!(status, 200, "body: {body}");
    let codes: Vec<&str> = body["items"].as_array().unwrap().iter().filter_map(|c| c["code"].as_str()).collect();
    assert!(codes.contains(&"UZ"), "UZ is listed; body: {body}");
    assert!(codes.contains(&"KG"), "KG is listed; body: {body}");
    let uzbekistan = body["items"].as_array().unwrap().iter().find(|c| c["code"] == "UZ").unwrap();
    assert_eq!(uzbekistan["track"], "A", "body: {body}");
    assert_eq!(uzbekistan["data_policy"], "full", "body: {body}");
}

#[tokio::test]
async fn countries_list_without_token_rejected() {
    let app = common::spawn_app().await;
    common::world(&app.hub).await;

    let (status, body) = get(&app, "/api/v1/countries", None).await;

    assert_error(status, &body, 401, "unauthorized");
}

#[tokio::test]
async fn countries_list_with_unknown_token_rejected() {
    let app = common::spawn_app().await;
    common::world(&app.hub).await;

    let (status, body) = get(&app, "/api/v1/countries", Some("ecert_not-a-real-token")).await;

    assert_error(status, &body, 401, "unauthorized");
}

#[tokio::test]
async fn country_upsert_by_operator_succeeds() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let kazakhstan = json!({"code": "KZ", "name": "Kazakhstan", "track": "B", "data_policy": "metadata_only"});

    let (status, body) = post(&app, "/api/v1/countries", Some(&world.operator_token), &kazakhstan).await;
    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body, kazakhstan, "the stored country is returned");

    let changed = json!({"code": "KZ", "name": "Kazakhstan", "track": "A", "data_policy": "full"});
    let (status, body) = post(&app, "/api/v1/countries", Some(&world.operator_token), &changed).await;
    assert_eq!(status, 200, "second upsert; body: {body}");

    let (status, list) = get(&app, "/api/v1/countries", Some(&world.operator_token)).await;
    assert_eq!(status, 200, "body: {list}");
    let stored: Vec<&Value> = list["items"].as_array().unwrap().iter().filter(|c| c["code"] == "KZ").collect();
    assert_eq!(stored.len(), 1, "the upsert updates, not duplicates; body: {list}");
    assert_eq!(stored[0]["track"], "A", "body: {list}");
    assert_eq!(stored[0]["data_policy"], "full", "body: {list}");
}

#[tokio::test]
async fn country_upsert_by_national_admin_forbidden() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let request = json!({"code": "UZ", "name": "Uzbekistan", "track": "C", "data_policy": "full"});

    let (status, body) = post(&app, "/api/v1/countries", Some(&world.authority_token), &request).await;

    assert_error(status, &body, 403, "forbidden");
    let (_, list) = get(&app, "/api/v1/countries", Some(&world.authority_token)).await;
    let uzbekistan = list["items"].as_array().unwrap().iter().find(|c| c["code"] == "UZ").unwrap();
    assert_eq!(uzbekistan["track"], "A", "the rejected upsert changed nothing; body: {list}");
}

#[tokio::test]
async fn country_upsert_unknown_track_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let request = json!({"code": "KZ", "name": "Kazakhstan", "track": "D", "data_policy": "full"});

    let (status, body) = post(&app, "/api/v1/countries", Some(&world.operator_token), &request).await;

    assert_error_field(status, &body, 422, "invalid_field", "track");
}

#[tokio::test]
async fn country_upsert_bad_code_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let request = json!({"code": "UZB", "name": "Uzbekistan", "track": "A", "data_policy": "full"});

    let (status, body) = post(&app, "/api/v1/countries", Some(&world.operator_token), &request).await;

    assert_error_field(status, &body, 422, "invalid_field", "code");
}

#[tokio::test]
async fn country_upsert_empty_name_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let request = json!({"code": "KZ", "name": "  ", "track": "A", "data_policy": "full"});

    let (status, body) = post(&app, "/api/v1/countries", Some(&world.operator_token), &request).await;

    assert_error_field(status, &body, 422, "validation_failed", "name");
}

#[tokio::test]
async fn country_upsert_malformed_json_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let response = app
        .client
        .post(format!("{}/api/v1/countries", app.base))
        .bearer_auth(&world.operator_token)
        .header("content-type", "application/json")
        .body(r#"{"code": "KZ", "name": "#)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();

    assert_error(status, &body, 400, "invalid_json");
}

#[tokio::test]
async fn country_upsert_without_json_type_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let response = app
        .client
        .post(format!("{}/api/v1/countries", app.base))
        .bearer_auth(&world.operator_token)
        .body(r#"{"code": "KZ", "name": "Kazakhstan", "track": "A", "data_policy": "full"}"#)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();

    assert_error(status, &body, 415, "unsupported_media_type");
}

// ---- organisations ----

#[tokio::test]
async fn organisation_create_by_national_admin() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = post(&app, "/api/v1/organisations", Some(&world.authority_token), &new_cab("CB-0100")).await;

    assert_eq!(status, 201, "body: {body}");
    assert_eq!(body["country"], "UZ", "body: {body}");
    assert_eq!(body["kind"], "certification_body", "body: {body}");
    assert_eq!(body["registration_number"], "CB-0100", "body: {body}");
    assert_eq!(body["urn"], "urn:ecert:org:UZ:CB-0100", "body: {body}");
    assert!(body["id"].as_str().is_some_and(|id| id.parse::<uuid::Uuid>().is_ok()), "the id is a UUID; body: {body}");
}

#[tokio::test]
async fn organisation_create_duplicate_number_conflicts() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (status, body) = post(&app, "/api/v1/organisations", Some(&world.authority_token), &new_cab("CB-0100")).await;
    assert_eq!(status, 201, "first creation; body: {body}");

    let (status, body) = post(&app, "/api/v1/organisations", Some(&world.authority_token), &new_cab("CB-0100")).await;

    assert_error_field(status, &body, 409, "organisation_exists", "registration_number");
}

#[tokio::test]
async fn organisation_create_in_other_country_forbidden() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let request = json!({"country": "KG", "kind": "certification_body", "registration_number": "KG-CB-1", "name": "Kyrgyz body"});

    let (status, body) = post(&app, "/api/v1/organisations", Some(&world.authority_token), &request).await;

    assert_error(status, &body, 403, "forbidden");
}

#[tokio::test]
async fn organisation_create_by_cab_forbidden() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = post(&app, "/api/v1/organisations", Some(&world.cab.token), &new_cab("CB-0101")).await;

    assert_error(status, &body, 403, "forbidden");
}

#[tokio::test]
async fn organisation_create_bad_registration_number() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = post(&app, "/api/v1/organisations", Some(&world.authority_token), &new_cab("CB 0100!")).await;

    assert_error_field(status, &body, 422, "validation_failed", "registration_number");
    let details = body["error"]["details"].as_array().unwrap_or_else(|| panic!("details list every field; body: {body}"));
    assert!(details.iter().any(|d| d["field"] == "registration_number"), "body: {body}");
}

#[tokio::test]
async fn organisation_create_unknown_kind_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let request = json!({"country": "UZ", "kind": "bakery", "registration_number": "B-1", "name": "Bakery"});

    let (status, body) = post(&app, "/api/v1/organisations", Some(&world.authority_token), &request).await;

    assert_error_field(status, &body, 422, "invalid_field", "kind");
}

#[tokio::test]
async fn organisation_list_pages_by_cursor() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let token = Some(world.authority_token.as_str());

    let (status, full) = get(&app, "/api/v1/organisations", token).await;
    assert_eq!(status, 200, "body: {full}");
    let all_ids: Vec<&str> = full["items"].as_array().unwrap().iter().filter_map(|o| o["id"].as_str()).collect();
    let numbers: Vec<&str> = full["items"].as_array().unwrap().iter().filter_map(|o| o["registration_number"].as_str()).collect();
    for expected in ["NSB", "CB-0042", "LAB-0007"] {
        assert!(numbers.contains(&expected), "{expected} is listed; body: {full}");
    }
    assert!(full["items"].as_array().unwrap().iter().all(|o| o["country"] == "UZ"), "only UZ organisations; body: {full}");
    assert!(full["next"].is_null(), "one page holds all; body: {full}");

    let (status, first) = get(&app, "/api/v1/organisations?limit=1", token).await;
    assert_eq!(status, 200, "body: {first}");
    assert_eq!(first["items"].as_array().unwrap().len(), 1, "body: {first}");
    let next = first["next"].as_str().unwrap_or_else(|| panic!("a first page of 1 has next; body: {first}"));

    let (status, second) = get(&app, &format!("/api/v1/organisations?limit=1&after={next}"), token).await;
    assert_eq!(status, 200, "body: {second}");
    assert_eq!(second["items"].as_array().unwrap().len(), 1, "body: {second}");
    assert_eq!(first["items"][0]["id"], all_ids[0], "page 1; body: {first}");
    assert_eq!(second["items"][0]["id"], all_ids[1], "page 2 continues where page 1 ended; body: {second}");

    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(cursor) => format!("/api/v1/organisations?limit=1&after={cursor}"),
            None => "/api/v1/organisations?limit=1".to_owned(),
        };
        let (status, page) = get(&app, &path, token).await;
        assert_eq!(status, 200, "body: {page}");
        paged.extend(page["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        match page["next"].as_str() {
            Some(cursor) => after = Some(cursor.to_owned()),
            None => break,
        }
        assert!(paged.len() <= all_ids.len(), "paging ends; seen: {paged:?}");
    }
    assert_eq!(paged, all_ids, "paging by one returns every organisation once, in order");
}

#[tokio::test]
async fn organisation_list_bad_cursor_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(&app, "/api/v1/organisations?after=not-a-cursor", Some(&world.authority_token)).await;

    assert_error_field(status, &body, 400, "invalid_cursor", "after");
}

#[tokio::test]
async fn organisation_list_other_country_forbidden() {
    let app = common::spawn_app().await;
    common::world(&app.hub).await;
    let (_, kyrgyz_token) = kyrgyz_authority(&app).await;

    let (status, body) = get(&app, "/api/v1/organisations?country=UZ", Some(&kyrgyz_token)).await;

    assert_error(status, &body, 403, "forbidden");
}

#[tokio::test]
async fn organisation_list_by_operator_sees_all() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    kyrgyz_authority(&app).await;

    let (status, body) = get(&app, "/api/v1/organisations", Some(&world.operator_token)).await;

    assert_eq!(status, 200, "body: {body}");
    let numbers: Vec<&str> = body["items"].as_array().unwrap().iter().filter_map(|o| o["registration_number"].as_str()).collect();
    assert!(numbers.contains(&"CB-0042"), "body: {body}");
    assert!(numbers.contains(&"KG-NSB"), "body: {body}");
    assert!(numbers.contains(&"HUB"), "body: {body}");
}

#[tokio::test]
async fn organisation_get_returns_one() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(&app, &format!("/api/v1/organisations/{}", world.cab.org.id), Some(&world.authority_token)).await;

    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body["id"], world.cab.org.id.to_string(), "body: {body}");
    assert_eq!(body["registration_number"], "CB-0042", "body: {body}");
    assert_eq!(body["urn"], "urn:ecert:org:UZ:CB-0042", "body: {body}");
}

#[tokio::test]
async fn organisation_created_at_reads_back() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (status, created) = post(&app, "/api/v1/organisations", Some(&world.authority_token), &new_cab("CB-0100")).await;
    assert_eq!(status, 201, "body: {created}");

    let (status, body) = get(&app, &format!("/api/v1/organisations/{}", created["id"].as_str().unwrap()), Some(&world.authority_token)).await;

    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body["created_at"], created["created_at"], "GET body: {body}; 201 body: {created}");
}

#[tokio::test]
async fn organisation_get_bad_uuid_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(&app, "/api/v1/organisations/not-a-uuid", Some(&world.authority_token)).await;

    assert_error_field(status, &body, 400, "invalid_id", "id");
}

#[tokio::test]
async fn organisation_get_unknown_not_found() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(&app, &format!("/api/v1/organisations/{}", uuid::Uuid::now_v7()), Some(&world.authority_token)).await;

    assert_error(status, &body, 404, "not_found");
}

#[tokio::test]
async fn organisation_get_other_country_forbidden() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (_, kyrgyz_token) = kyrgyz_authority(&app).await;

    let (status, body) = get(&app, &format!("/api/v1/organisations/{}", world.cab.org.id), Some(&kyrgyz_token)).await;

    assert_error(status, &body, 403, "forbidden");
}

// ---- accreditations ----

#[tokio::test]
async fn accreditation_add_returns_created() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (_, cab) = post(&app, "/api/v1/organisations", Some(&world.authority_token), &new_cab("CB-0100")).await;
    let cab_id = cab["id"].as_str().unwrap();

    let (status, body) = post(
        &app,
        &format!("/api/v1/organisations/{cab_id}/accreditations"),
        Some(&world.authority_token),
        &accreditation_17065(&["6907", "2523"]),
    )
    .await;

    assert_eq!(status, 201, "body: {body}");
    assert_eq!(body["standard"], "ISO/IEC 17065", "body: {body}");
    assert_eq!(body["status"], "active", "body: {body}");
    assert_eq!(body["hs_prefixes"], json!(["6907", "2523"]), "body: {body}");
    assert!(body["id"].as_str().is_some(), "the record has an id; body: {body}");
}

#[tokio::test]
async fn accreditation_add_bad_hs_prefix() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = post(
        &app,
        &format!("/api/v1/organisations/{}/accreditations", world.cab.org.id),
        Some(&world.authority_token),
        &accreditation_17065(&["69A7"]),
    )
    .await;

    assert_error_field(status, &body, 422, "validation_failed", "hs_prefixes[0]");
}

#[tokio::test]
async fn accreditation_add_by_other_country_forbidden() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (_, kyrgyz_token) = kyrgyz_authority(&app).await;

    let (status, body) = post(
        &app,
        &format!("/api/v1/organisations/{}/accreditations", world.cab.org.id),
        Some(&kyrgyz_token),
        &accreditation_17065(&["6907"]),
    )
    .await;

    assert_error(status, &body, 403, "forbidden");
}

#[tokio::test]
async fn accreditation_list_returns_records() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(&app, &format!("/api/v1/organisations/{}/accreditations", world.cab.org.id), Some(&world.authority_token)).await;

    assert_eq!(status, 200, "body: {body}");
    let records = body["items"].as_array().unwrap();
    assert_eq!(records.len(), 1, "body: {body}");
    assert_eq!(records[0]["standard"], "ISO/IEC 17065", "body: {body}");
    assert_eq!(records[0]["hs_prefixes"], json!(["6907", "2523"]), "body: {body}");
    assert_eq!(records[0]["status"], "active", "body: {body}");
}

#[tokio::test]
async fn accreditation_list_unknown_org_not_found() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = get(
        &app,
        &format!("/api/v1/organisations/{}/accreditations", uuid::Uuid::now_v7()),
        Some(&world.authority_token),
    )
    .await;

    assert_error(status, &body, 404, "not_found");
}

#[tokio::test]
async fn accreditation_status_change_with_reason() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (_, list) = get(&app, &format!("/api/v1/organisations/{}/accreditations", world.cab.org.id), Some(&world.authority_token)).await;
    let id = list["items"][0]["id"].as_str().unwrap();

    let (status, body) = post(
        &app,
        &format!("/api/v1/accreditations/{id}/status"),
        Some(&world.authority_token),
        &json!({"status": "suspended", "reason": "Surveillance audit overdue"}),
    )
    .await;

    assert_eq!(status, 200, "body: {body}");
    assert_eq!(body["id"], id, "body: {body}");
    assert_eq!(body["status"], "suspended", "body: {body}");
    let (_, list) = get(&app, &format!("/api/v1/organisations/{}/accreditations", world.cab.org.id), Some(&world.authority_token)).await;
    assert_eq!(list["items"][0]["status"], "suspended", "the change is stored; body: {list}");
}

#[tokio::test]
async fn accreditation_status_change_blank_reason() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (_, list) = get(&app, &format!("/api/v1/organisations/{}/accreditations", world.cab.org.id), Some(&world.authority_token)).await;
    let id = list["items"][0]["id"].as_str().unwrap();

    let (status, body) = post(
        &app,
        &format!("/api/v1/accreditations/{id}/status"),
        Some(&world.authority_token),
        &json!({"status": "suspended", "reason": "   "}),
    )
    .await;

    assert_error_field(status, &body, 422, "validation_failed", "reason");
    let (_, list) = get(&app, &format!("/api/v1/organisations/{}/accreditations", world.cab.org.id), Some(&world.authority_token)).await;
    assert_eq!(list["items"][0]["status"], "active", "the rejected change is not stored; body: {list}");
}

#[tokio::test]
async fn accreditation_status_change_missing_reason() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (_, list) = get(&app, &format!("/api/v1/organisations/{}/accreditations", world.cab.org.id), Some(&world.authority_token)).await;
    let id = list["items"][0]["id"].as_str().unwrap();

    let (status, body) = post(
        &app,
        &format!("/api/v1/accreditations/{id}/status"),
        Some(&world.authority_token),
        &json!({"status": "suspended"}),
    )
    .await;

    assert_error(status, &body, 422, "invalid_field");
}

#[tokio::test]
async fn accreditation_status_by_other_country_forbidden() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (_, kyrgyz_token) = kyrgyz_authority(&app).await;
    let (_, list) = get(&app, &format!("/api/v1/organisations/{}/accreditations", world.cab.org.id), Some(&world.authority_token)).await;
    let id = list["items"][0]["id"].as_str().unwrap();

    let (status, body) = post(
        &app,
        &format!("/api/v1/accreditations/{id}/status"),
        Some(&kyrgyz_token),
        &json!({"status": "withdrawn", "reason": "not ours to change"}),
    )
    .await;

    assert_error(status, &body, 403, "forbidden");
}

#[tokio::test]
async fn accreditation_status_unknown_not_found() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = post(
        &app,
        &format!("/api/v1/accreditations/{}/status", uuid::Uuid::now_v7()),
        Some(&world.authority_token),
        &json!({"status": "suspended", "reason": "Surveillance audit overdue"}),
    )
    .await;

    assert_error(status, &body, 404, "not_found");
}

// ---- tokens ----

#[tokio::test]
async fn token_create_returns_working_token() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (_, cab) = post(&app, "/api/v1/organisations", Some(&world.authority_token), &new_cab("CB-0100")).await;
    let cab_id = cab["id"].as_str().unwrap();

    let (status, body) = post(
        &app,
        &format!("/api/v1/organisations/{cab_id}/tokens"),
        Some(&world.authority_token),
        &json!({"roles": ["cab_issuer"], "label": "national system"}),
    )
    .await;

    assert_eq!(status, 201, "body: {body}");
    assert_eq!(body["org_id"], cab_id, "body: {body}");
    assert_eq!(body["roles"], json!(["cab_issuer"]), "body: {body}");
    let token = body["token"].as_str().unwrap_or_else(|| panic!("the secret is returned once; body: {body}"));
    assert!(token.starts_with("ecert_"), "body: {body}");

    let (status, own) = get(&app, &format!("/api/v1/organisations/{cab_id}"), Some(token)).await;
    assert_eq!(status, 200, "the new token authenticates; body: {own}");
    assert_eq!(own["registration_number"], "CB-0100", "body: {own}");
}

#[tokio::test]
async fn token_create_unfit_role_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    for role in ["national_admin", "customs_officer", "hub_operator"] {
        let (status, body) = post(
            &app,
            &format!("/api/v1/organisations/{}/tokens", world.cab.org.id),
            Some(&world.authority_token),
            &json!({"roles": ["viewer", role]}),
        )
        .await;

        assert_error_field(status, &body, 422, "validation_failed", "roles[1]");
    }
}

#[tokio::test]
async fn token_create_empty_roles_rejected() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = post(
        &app,
        &format!("/api/v1/organisations/{}/tokens", world.cab.org.id),
        Some(&world.authority_token),
        &json!({"roles": []}),
    )
    .await;

    assert_error_field(status, &body, 422, "validation_failed", "roles");
}

#[tokio::test]
async fn token_create_by_cab_forbidden() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;

    let (status, body) = post(
        &app,
        &format!("/api/v1/organisations/{}/tokens", world.cab.org.id),
        Some(&world.cab.token),
        &json!({"roles": ["cab_issuer"]}),
    )
    .await;

    assert_error(status, &body, 403, "forbidden");
}

#[tokio::test]
async fn token_create_other_country_forbidden() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (_, kyrgyz_token) = kyrgyz_authority(&app).await;

    let (status, body) = post(
        &app,
        &format!("/api/v1/organisations/{}/tokens", world.cab.org.id),
        Some(&kyrgyz_token),
        &json!({"roles": ["cab_issuer"]}),
    )
    .await;

    assert_error(status, &body, 403, "forbidden");
}

#[tokio::test]
async fn token_revocation_locks_token_out() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let (status, created) = post(
        &app,
        &format!("/api/v1/organisations/{}/tokens", world.cab.org.id),
        Some(&world.authority_token),
        &json!({"roles": ["cab_issuer"], "label": "integration"}),
    )
    .await;
    assert_eq!(status, 201, "body: {created}");
    let secret = created["token"].as_str().unwrap();
    let id = created["id"].as_str().unwrap();

    let (kg_authority, kg_token) = api_support::kyrgyz_authority(&app).await;
    assert!(kg_authority.country.is_some());
    let (status, body) = post(&app, &format!("/api/v1/tokens/{id}/revoke"), Some(&kg_token), &json!({})).await;
    assert_error(status, &body, 403, "forbidden");

    let (status, body) = post(&app, &format!("/api/v1/tokens/{id}/revoke"), Some(&world.authority_token), &json!({})).await;
    assert_eq!(status, 200, "body: {body}");
    assert!(body["revoked_at"].is_string(), "body: {body}");

    let (status, body) = get(&app, "/api/v1/countries", Some(secret)).await;
    assert_error(status, &body, 401, "unauthorized");
    let (status, body) = post(&app, &format!("/api/v1/tokens/{id}/revoke"), Some(&world.authority_token), &json!({})).await;
    assert_error(status, &body, 409, "token_revoked");
    let (status, body) = post(&app, &format!("/api/v1/tokens/{}/revoke", uuid::Uuid::now_v7()), Some(&world.authority_token), &json!({})).await;
    assert_error(status, &body, 404, "not_found");
}

#[tokio::test]
async fn history_hides_reasons_abroad() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let document = api_support::register(&app, &world.cab, &common::credential("CB-0042", "CC", "UZ.CB-0042.2026.H1")).await;
    let hub_id = api_support::hub_id_of(&document);
    let (status, body) =
        api_support::change_status(&app, &world.cab.token, &hub_id, &json!({"action": "suspend", "reason": "Inspector J. Example found a defect"})).await;
    assert_eq!(status, 200, "body: {body}");

    let (_, own) = get(&app, &format!("/api/v1/documents/{hub_id}/history"), Some(&world.cab.token)).await;
    assert_eq!(own["items"][0]["reason"], "Inspector J. Example found a defect", "body: {own}");
    let (_, kg_token) = api_support::kyrgyz_authority(&app).await;
    let (_, abroad) = get(&app, &format!("/api/v1/documents/{hub_id}/history"), Some(&kg_token)).await;
    assert!(abroad["items"][0]["reason"].is_null(), "body: {abroad}");
    assert_eq!(abroad["items"][0]["to"], "suspended", "body: {abroad}");
}
