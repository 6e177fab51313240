mod common;

#[tokio::test]
async fn signed_coc_registers_and_verifies() {
    let app = common::spawn_app().await;
    let world = common::world(&app.hub).await;
    let credential = common::credential("CB-0042", "CC", "UZ.CB-0042.2026.000001");
    let jws = common::sign_jws(&world.cab.key, &world.cab.kid, credential.to_string().as_bytes());
    let response = app
        .client
        .post(format!("{}/api/v1/documents", app.base))
        .bearer_auth(&world.cab.token)
        .json(&serde_json::json!({"jws": jws}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    let hub_id = body["hub_id"].as_str().unwrap();
    let verification: serde_json::Value = app
        .client
        .get(format!("{}/api/v1/documents/{hub_id}/verification", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verification["verdict"], "valid", "{verification:#}");
}
