//! Scenarios of portal users, sessions and the counters that slow down
//! password guessing.

use super::*;

/// Builds a user of `org` named `username`, enabled, with locale `ru`.
pub fn sample_user(org: &Organisation, username: &str) -> User {
    User {
        id: Uuid::now_v7(),
        org_id: org.id,
        username: username.into(),
        display_name: format!("Display name of {username}"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        roles: vec![Role::CabIssuer],
        locale: Some("ru".into()),
        created_at: now(),
        disabled_at: None,
    }
}

/// Builds a session of `user_id` that started now and expires in 8 hours.
/// Its `id_hash` is `fill` repeated 64 times.
pub fn sample_session(user_id: Uuid, fill: char) -> Session {
    let started = now();
    Session {
        id_hash: fill.to_string().repeat(64),
        user_id,
        csrf_token: format!("csrf-{fill}"),
        created_at: started,
        last_seen_at: started,
        expires_at: started + Duration::hours(8),
    }
}

/// Builds a login device of `user_id` that expires in 30 days. Its
/// `token_hash` is `fill` repeated 64 times.
pub fn sample_login_device(user_id: Uuid, fill: char) -> LoginDevice {
    let created = now();
    LoginDevice { token_hash: fill.to_string().repeat(64), user_id, created_at: created, expires_at: created + Duration::days(30) }
}

/// Returns the events of `kinds` in the log of UZ.
async fn user_events(store: &dyn Store, kinds: &[EventKind]) -> Vec<Event> {
    let events = store.list_events(Some(uz()), 0, 1000).await.unwrap();
    events.into_iter().filter(|e| kinds.contains(&e.kind)).collect()
}

/// Checks that user events name the user by id only, never by user name or
/// display name.
fn assert_no_personal_data(events: &[Event]) {
    for event in events {
        let text = format!("{} {}", event.subject, event.data).to_lowercase();
        assert!(!text.contains("jane"), "{} names the user: {text}", event.kind.as_str());
        assert!(!text.contains("display name"), "{} names the user: {text}", event.kind.as_str());
    }
}

pub async fn sessions_round_trip(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let user = sample_user(&org, "jane.example");
    store.insert_user(&user, Actor::SYSTEM).await.unwrap();
    let session = sample_session(user.id, 'a');
    store.insert_session(&session, Actor::org(org.id)).await.unwrap();
    assert_eq!(store.get_session(&session.id_hash).await.unwrap(), Some(session.clone()));
    assert!(store.get_session(&"b".repeat(64)).await.unwrap().is_none());

    let repeated = conflict_message(store.insert_session(&session, Actor::org(org.id)).await);
    assert!(repeated.contains("already exists"), "{repeated}");
    let orphan = sample_session(Uuid::now_v7(), 'c');
    assert!(matches!(store.insert_session(&orphan, Actor::SYSTEM).await, Err(StoreError::NotFound(_))));

    // Touching moves the last activity forward, never back.
    let later = session.last_seen_at + Duration::minutes(5);
    store.touch_session(&session.id_hash, later).await.unwrap();
    assert_eq!(store.get_session(&session.id_hash).await.unwrap().unwrap().last_seen_at, later);
    store.touch_session(&session.id_hash, session.last_seen_at).await.unwrap();
    let touched = store.get_session(&session.id_hash).await.unwrap().unwrap();
    assert_eq!(touched.last_seen_at, later);
    assert_eq!(touched.expires_at, session.expires_at);

    assert!(store.delete_session(&session.id_hash, Actor::org(org.id)).await.unwrap());
    assert!(store.get_session(&session.id_hash).await.unwrap().is_none());
    assert!(!store.delete_session(&session.id_hash, Actor::org(org.id)).await.unwrap());
    store.touch_session(&session.id_hash, later).await.unwrap();
    assert!(store.get_session(&session.id_hash).await.unwrap().is_none(), "touching recreated a deleted session");

    let events = user_events(store.as_ref(), &[EventKind::UserLoggedIn, EventKind::UserLoggedOut]).await;
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::UserLoggedIn, EventKind::UserLoggedOut]);
    for event in &events {
        assert_eq!(event.subject, user.id.to_string());
        assert_eq!(event.country, Some(uz()));
        assert_eq!(event.actor_org_id, Some(org.id));
    }
    assert!(events.iter().all(|e| !e.data.to_string().contains(&session.id_hash)), "a session hash entered the event log");
    assert_no_personal_data(&events);
}

pub async fn stale_sessions_are_deleted(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let user = sample_user(&org, "jane.example");
    store.insert_user(&user, Actor::SYSTEM).await.unwrap();
    let at = now();
    let fresh = Session { last_seen_at: at - Duration::minutes(59), expires_at: at + Duration::hours(1), ..sample_session(user.id, 'a') };
    let idle = Session { last_seen_at: at - Duration::minutes(61), expires_at: at + Duration::hours(6), ..sample_session(user.id, 'b') };
    let expired = Session { last_seen_at: at, expires_at: at - Duration::seconds(1), ..sample_session(user.id, 'c') };
    let ends_now = Session { last_seen_at: at, expires_at: at, ..sample_session(user.id, 'd') };
    for session in [&fresh, &idle, &expired, &ends_now] {
        store.insert_session(session, Actor::SYSTEM).await.unwrap();
    }
    let live_device = sample_login_device(user.id, 'e');
    let expired_device = LoginDevice { expires_at: at - Duration::seconds(1), ..sample_login_device(user.id, 'f') };
    store.insert_login_device(&live_device).await.unwrap();
    store.insert_login_device(&expired_device).await.unwrap();
    let events_before = store.list_events(None, 0, 1000).await.unwrap().len();

    assert_eq!(store.delete_stale_sessions(at, at - Duration::hours(1)).await.unwrap(), 3);
    assert_eq!(store.get_session(&fresh.id_hash).await.unwrap(), Some(fresh.clone()));
    for deleted in [&idle, &expired, &ends_now] {
        assert!(store.get_session(&deleted.id_hash).await.unwrap().is_none(), "session {} survived", deleted.csrf_token);
    }
    assert_eq!(store.find_login_device(&live_device.token_hash).await.unwrap(), Some(live_device));
    assert!(store.find_login_device(&expired_device.token_hash).await.unwrap().is_none());
    assert_eq!(store.delete_stale_sessions(at, at - Duration::hours(1)).await.unwrap(), 0);
    assert_eq!(store.list_events(None, 0, 1000).await.unwrap().len(), events_before, "expiry appended events");
}

pub async fn disabling_user_ends_sessions(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let user = sample_user(&org, "jane.example");
    let colleague = sample_user(&org, "colleague");
    store.insert_user(&user, Actor::SYSTEM).await.unwrap();
    store.insert_user(&colleague, Actor::SYSTEM).await.unwrap();
    for session in [sample_session(user.id, 'a'), sample_session(user.id, 'b'), sample_session(colleague.id, 'c')] {
        store.insert_session(&session, Actor::SYSTEM).await.unwrap();
    }

    let disabled_at = time::macros::datetime!(2026-05-02 8:30 UTC);
    store.set_user_disabled(user.id, Some(disabled_at), Actor::org(org.id)).await.unwrap();
    assert_eq!(store.get_user(user.id).await.unwrap().unwrap().disabled_at, Some(disabled_at));
    assert_eq!(store.find_user("jane.example").await.unwrap().unwrap().disabled_at, Some(disabled_at));
    assert!(store.get_session(&"a".repeat(64)).await.unwrap().is_none());
    assert!(store.get_session(&"b".repeat(64)).await.unwrap().is_none());
    assert!(store.get_session(&"c".repeat(64)).await.unwrap().is_some(), "another user's session went");

    let rejected = conflict_message(store.insert_session(&sample_session(user.id, 'd'), Actor::SYSTEM).await);
    assert!(rejected.contains("disabled"), "{rejected}");
    assert!(store.get_session(&"d".repeat(64)).await.unwrap().is_none());

    store.set_user_disabled(user.id, None, Actor::org(org.id)).await.unwrap();
    assert_eq!(store.get_user(user.id).await.unwrap().unwrap().disabled_at, None);
    store.insert_session(&sample_session(user.id, 'd'), Actor::SYSTEM).await.unwrap();
    let unknown = store.set_user_disabled(Uuid::now_v7(), Some(disabled_at), Actor::SYSTEM).await;
    assert!(matches!(unknown, Err(StoreError::NotFound(_))), "{unknown:?}");

    let events = user_events(store.as_ref(), &[EventKind::UserDisabled, EventKind::UserEnabled]).await;
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::UserDisabled, EventKind::UserEnabled]);
    assert_eq!(events[0].effective_at, disabled_at);
    for event in &events {
        assert_eq!(event.subject, user.id.to_string());
        assert_eq!(event.country, Some(uz()));
        assert_eq!(event.actor_org_id, Some(org.id));
    }
    assert_no_personal_data(&events);
}

pub async fn password_change_ends_sessions(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let user = sample_user(&org, "jane.example");
    let colleague = sample_user(&org, "colleague");
    store.insert_user(&user, Actor::SYSTEM).await.unwrap();
    store.insert_user(&colleague, Actor::SYSTEM).await.unwrap();
    store.insert_session(&sample_session(user.id, 'a'), Actor::SYSTEM).await.unwrap();
    store.insert_session(&sample_session(colleague.id, 'c'), Actor::SYSTEM).await.unwrap();

    let new_hash = "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3aGFzaA";
    store.set_user_password(user.id, new_hash, Actor::org(org.id)).await.unwrap();
    assert_eq!(store.find_user("jane.example").await.unwrap().unwrap().password_hash, new_hash);
    assert_eq!(store.get_user(colleague.id).await.unwrap().unwrap().password_hash, colleague.password_hash);
    assert!(store.get_session(&"a".repeat(64)).await.unwrap().is_none());
    assert!(store.get_session(&"c".repeat(64)).await.unwrap().is_some(), "another user's session went");
    let unknown = store.set_user_password(Uuid::now_v7(), new_hash, Actor::SYSTEM).await;
    assert!(matches!(unknown, Err(StoreError::NotFound(_))), "{unknown:?}");

    let events = user_events(store.as_ref(), &[EventKind::UserPasswordChanged]).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].subject, user.id.to_string());
    assert_eq!(events[0].actor_org_id, Some(org.id));
    assert!(!events[0].data.to_string().contains("argon2"), "a password hash entered the event log");
    assert_no_personal_data(&events);
}

pub async fn failed_login_event_has_no_actor(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let user = sample_user(&org, "jane.example");
    store.insert_user(&user, Actor::SYSTEM).await.unwrap();
    store.record_failed_login(user.id).await.unwrap();
    assert!(matches!(store.record_failed_login(Uuid::now_v7()).await, Err(StoreError::NotFound(_))));

    let events = user_events(store.as_ref(), &[EventKind::UserLoginFailed]).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].subject, user.id.to_string());
    assert_eq!(events[0].country, Some(uz()));
    assert_eq!(events[0].actor_org_id, None);
    assert_no_personal_data(&events);
}

pub async fn login_failures_count_and_reset(store: Arc<dyn Store>) {
    let window = Duration::minutes(15);
    let start = time::macros::datetime!(2026-05-02 9:00 UTC);
    let add = |key: &'static str, at: OffsetDateTime| {
        let store = store.clone();
        async move { store.add_login_failure(key, at, at - window).await.unwrap() }
    };

    assert!(store.get_login_failures("account:a").await.unwrap().is_none());
    assert_eq!(add("account:a", start).await, LoginFailures { count: 1, first_at: start, last_at: start });
    let second = start + Duration::minutes(1);
    assert_eq!(add("account:a", second).await, LoginFailures { count: 2, first_at: start, last_at: second });
    let third = start + Duration::minutes(14);
    assert_eq!(add("account:a", third).await, LoginFailures { count: 3, first_at: start, last_at: third });
    assert_eq!(store.get_login_failures("account:a").await.unwrap(), Some(LoginFailures { count: 3, first_at: start, last_at: third }));
    assert_eq!(add("address:b", second).await.count, 1, "counters of different keys are shared");

    // Exactly one window after the last failure the counter still counts;
    // after that it starts again from one.
    let at_window = third + window;
    assert_eq!(add("account:a", at_window).await.count, 4);
    let after_window = at_window + window + Duration::microseconds(1);
    assert_eq!(add("account:a", after_window).await, LoginFailures { count: 1, first_at: after_window, last_at: after_window });

    store.clear_login_failures("account:a").await.unwrap();
    assert!(store.get_login_failures("account:a").await.unwrap().is_none());
    assert_eq!(store.get_login_failures("address:b").await.unwrap().map(|f| f.count), Some(1));
    store.clear_login_failures("account:unknown").await.unwrap();

    // Old counters are deleted; a counter whose last failure is exactly at
    // the limit stays.
    add("account:c", third).await;
    assert_eq!(store.delete_old_login_failures(second).await.unwrap(), 0);
    assert_eq!(store.delete_old_login_failures(third).await.unwrap(), 1, "only address:b is older");
    assert!(store.get_login_failures("address:b").await.unwrap().is_none());
    assert_eq!(store.get_login_failures("account:c").await.unwrap().map(|f| f.count), Some(1));
}

/// Several tasks count failures under one key at once, as several hub
/// nodes would. Every increment must be counted, and each must see its own
/// value of the counter.
pub async fn concurrent_login_failures_sum(store: Arc<dyn Store>) {
    const TASKS: u32 = 8;
    const FAILURES_EACH: u32 = 10;
    let start = now();
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut counts = Vec::new();
            for _ in 0..FAILURES_EACH {
                let failures = store.add_login_failure("account:shared", now(), start - Duration::hours(1)).await.unwrap();
                counts.push(failures.count);
            }
            counts
        }));
    }
    let mut seen = Vec::new();
    for task in tasks {
        seen.extend(task.await.unwrap());
    }
    seen.sort_unstable();
    let expected: Vec<u32> = (1..=TASKS * FAILURES_EACH).collect();
    assert_eq!(seen, expected, "increments were lost or counted twice");
    let total = store.get_login_failures("account:shared").await.unwrap().unwrap();
    assert_eq!(total.count, TASKS * FAILURES_EACH);
    assert!(total.first_at >= start, "{total:?}");
    assert!(total.first_at <= total.last_at, "{total:?}");
}

pub async fn login_devices_round_trip(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let user = sample_user(&org, "jane.example");
    store.insert_user(&user, Actor::SYSTEM).await.unwrap();
    let events_before = store.list_events(None, 0, 1000).await.unwrap().len();

    let device = sample_login_device(user.id, 'a');
    store.insert_login_device(&device).await.unwrap();
    assert_eq!(store.find_login_device(&device.token_hash).await.unwrap(), Some(device.clone()));
    assert!(store.find_login_device(&"b".repeat(64)).await.unwrap().is_none());
    let repeated = conflict_message(store.insert_login_device(&device).await);
    assert!(repeated.contains("already exists"), "{repeated}");
    let orphan = sample_login_device(Uuid::now_v7(), 'c');
    assert!(matches!(store.insert_login_device(&orphan).await, Err(StoreError::NotFound(_))));
    assert_eq!(store.list_events(None, 0, 1000).await.unwrap().len(), events_before, "a login device appended an event");
}

pub async fn users_list_by_org_and_country(store: Arc<dyn Store>) {
    let first_org = seed_issuer(store.as_ref()).await;
    let second_org = organisation(Some(uz()), "CB-0043");
    store.insert_organisation(&second_org, Actor::SYSTEM).await.unwrap();
    let kyrgyzstan = Country { code: "KG".parse().unwrap(), name: "Kyrgyzstan".into(), track: Track::B, data_policy: DataPolicy::Full };
    store.upsert_country(&kyrgyzstan, Actor::SYSTEM).await.unwrap();
    let kyrgyz_org = organisation(Some(kyrgyzstan.code), "CB-0001");
    store.insert_organisation(&kyrgyz_org, Actor::SYSTEM).await.unwrap();

    let carol = sample_user(&first_org, "carol");
    let alice = sample_user(&second_org, "alice");
    let bob = sample_user(&kyrgyz_org, "bob");
    let dave = sample_user(&first_org, "dave");
    for user in [&carol, &alice, &bob, &dave] {
        store.insert_user(user, Actor::SYSTEM).await.unwrap();
    }
    let names = |users: Vec<User>| users.into_iter().map(|u| u.username).collect::<Vec<_>>();

    assert_eq!(names(store.list_users(None, None).await.unwrap()), ["alice", "bob", "carol", "dave"]);
    assert_eq!(names(store.list_users(Some(uz()), None).await.unwrap()), ["alice", "carol", "dave"]);
    assert_eq!(names(store.list_users(None, Some(first_org.id)).await.unwrap()), ["carol", "dave"]);
    assert_eq!(names(store.list_users(Some(kyrgyzstan.code), Some(first_org.id)).await.unwrap()), ["carol", "dave"], "org_id must win over country");
    assert!(store.list_users(Some("KZ".parse().unwrap()), None).await.unwrap().is_empty());
    assert!(store.list_users(None, Some(Uuid::now_v7())).await.unwrap().is_empty());

    assert_eq!(store.get_user(bob.id).await.unwrap(), Some(bob.clone()));
    assert!(store.get_user(Uuid::now_v7()).await.unwrap().is_none());

    let events_before = store.list_events(None, 0, 1000).await.unwrap().len();
    store.set_user_locale(bob.id, Some("en")).await.unwrap();
    assert_eq!(store.get_user(bob.id).await.unwrap().unwrap().locale.as_deref(), Some("en"));
    store.set_user_locale(bob.id, None).await.unwrap();
    assert_eq!(store.get_user(bob.id).await.unwrap().unwrap().locale, None);
    assert!(matches!(store.set_user_locale(Uuid::now_v7(), Some("en")).await, Err(StoreError::NotFound(_))));
    assert_eq!(store.list_events(None, 0, 1000).await.unwrap().len(), events_before, "a locale change appended an event");
}

pub async fn tokens_list_by_org(store: Arc<dyn Store>) {
    let org = seed_issuer(store.as_ref()).await;
    let other_org = organisation(Some(uz()), "CB-0043");
    store.insert_organisation(&other_org, Actor::SYSTEM).await.unwrap();
    let token = |org_id: Uuid, fill: char, created_at: OffsetDateTime| ApiToken {
        id: Uuid::now_v7(),
        org_id,
        roles: vec![Role::Viewer],
        token_hash: fill.to_string().repeat(64),
        label: format!("token {fill}"),
        created_at,
        revoked_at: None,
    };
    // Inserted newest first, so that the order of the list comes from `created_at`.
    let newer = token(org.id, 'b', now() - Duration::minutes(1));
    let older = token(org.id, 'a', now() - Duration::minutes(2));
    let other = token(other_org.id, 'c', now());
    for token in [&newer, &older, &other] {
        store.insert_token(token, Actor::SYSTEM).await.unwrap();
    }
    store.revoke_token(newer.id, Actor::SYSTEM).await.unwrap();

    let listed = store.list_tokens(org.id).await.unwrap();
    assert_eq!(listed.iter().map(|t| t.id).collect::<Vec<_>>(), [older.id, newer.id]);
    assert_eq!(listed[0], older);
    assert!(listed[1].revoked_at.is_some(), "the revoked token is missing its revocation time");
    assert_eq!(store.list_tokens(other_org.id).await.unwrap(), [other]);
    assert!(store.list_tokens(Uuid::now_v7()).await.unwrap().is_empty());
}
