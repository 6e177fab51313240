//! The `BlobStore` contract, run against `LocalBlobStore` and against
//! `S3BlobStore` talking to a real S3-compatible server: moto in server mode,
//! started by the test on a free port of 127.0.0.1.
//!
//! moto is found through `ECERT_MOTO_SERVER` (path of `moto_server`) or on
//! `PATH`; `.ci/s3-test-server` installs it. Without moto the S3 tests print
//! why they skipped and pass, unless `ECERT_REQUIRE_TEST_SERVICES=1`, which
//! makes them fail.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ecert_store::blob::{BlobError, BlobStore, LocalBlobStore, open_blob_store, sha256_hex};
use ecert_store::blob_s3::{S3BlobStore, S3Credentials, S3Location, S3Timeouts};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::{ObjectStoreExt as _, PutPayload};

/// Any key pair works, because moto does not check signatures by default.
const ACCESS_KEY_ID: &str = "ecert-test-key-id";
const SECRET_ACCESS_KEY: &str = "ecert-test-secret";
const BUCKET: &str = "ecert-test-blobs";
const PREFIX: &str = "hub/blobs";

/// Time allowed for moto to listen. It imports boto and its service models
/// first, which is slow on a cold file cache.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

const CHILD_URL_VARIABLE: &str = "ECERT_TEST_CHILD_BLOB_URL";

// ---------------------------------------------------------------------------
// The contract, written once for every backend.

/// Runs the behaviour every `BlobStore` must have.
async fn check_blob_store_contract(store: &dyn BlobStore) {
    check_round_trip(store).await;
    check_idempotent_put(store).await;
    check_empty_blob(store).await;
    check_one_megabyte_blob(store).await;
    check_not_found(store).await;
    check_invalid_ids(store).await;
}

async fn check_round_trip(store: &dyn BlobStore) {
    let bytes = b"%PDF-1.7 round trip".to_vec();

    let id = store.put(&bytes).await.unwrap();
    assert_eq!(id, sha256_hex(&bytes), "put returns the SHA-256 of the bytes");
    assert!(store.exists(&id).await.unwrap(), "exists after put");
    assert_eq!(store.get(&id).await.unwrap(), bytes, "get returns the bytes put");
}

async fn check_idempotent_put(store: &dyn BlobStore) {
    let bytes = b"stored twice".to_vec();

    let first = store.put(&bytes).await.unwrap();
    let second = store.put(&bytes).await.unwrap();
    assert_eq!(first, second, "the same bytes get the same id");
    assert_eq!(store.get(&first).await.unwrap(), bytes, "get after the second put");
}

async fn check_empty_blob(store: &dyn BlobStore) {
    let id = store.put(b"").await.unwrap();
    assert_eq!(id, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert!(store.exists(&id).await.unwrap(), "empty blob exists");
    assert_eq!(store.get(&id).await.unwrap(), Vec::<u8>::new(), "empty blob round trip");
}

async fn check_one_megabyte_blob(store: &dyn BlobStore) {
    // A pattern that repeats every 251 bytes, so a shifted or truncated copy
    // does not compare equal.
    let bytes: Vec<u8> = (0..1024 * 1024).map(|i: u32| (i % 251) as u8).collect();

    let id = store.put(&bytes).await.unwrap();
    assert_eq!(id, sha256_hex(&bytes));
    let read = store.get(&id).await.unwrap();
    assert_eq!(read.len(), bytes.len(), "1 MiB blob length");
    assert!(read == bytes, "1 MiB blob content differs");
}

async fn check_not_found(store: &dyn BlobStore) {
    let missing = sha256_hex(uuid::Uuid::now_v7().as_bytes());

    assert!(!store.exists(&missing).await.unwrap(), "exists of a blob never put");
    match store.get(&missing).await {
        Err(BlobError::NotFound(id)) => assert_eq!(id, missing),
        other => panic!("get of a blob never put: expected NotFound, got {other:?}"),
    }
}

async fn check_invalid_ids(store: &dyn BlobStore) {
    let valid = sha256_hex(b"valid");
    let invalid_ids = [
        String::new(),
        "abc".to_owned(),
        valid[..63].to_owned(),
        format!("{valid}0"),
        valid.to_uppercase(),
        "g".repeat(64),
        format!("../{}", &valid[3..]),
        format!("{}/{}", &valid[..2], &valid[3..]),
    ];
    for id in &invalid_ids {
        match store.get(id).await {
            Err(BlobError::InvalidId(rejected)) => assert_eq!(&rejected, id),
            other => panic!("get({id:?}): expected InvalidId, got {other:?}"),
        }
        match store.exists(id).await {
            Err(BlobError::InvalidId(rejected)) => assert_eq!(&rejected, id),
            other => panic!("exists({id:?}): expected InvalidId, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Local directory.

#[tokio::test]
async fn local_blob_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::new(dir.path().join("blobs"));
    check_blob_store_contract(&store).await;
}

#[tokio::test]
async fn open_blob_store_local_forms() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    let file_url = url::Url::from_directory_path(dir.path().join("from-url")).unwrap();

    for (value, root) in
        [(plain.to_str().unwrap().to_owned(), plain.clone()), (file_url.to_string(), dir.path().join("from-url"))]
    {
        let store = open_blob_store(&value).unwrap();
        let id = store.put(b"opened by URL").await.unwrap();
        let file = root.join(&id[..2]).join(&id);
        assert!(file.is_file(), "{value}: expected the blob at {}", file.display());
        assert_eq!(store.get(&id).await.unwrap(), b"opened by URL", "{value}");
    }
}

#[test]
fn open_blob_store_rejects_other_forms() {
    let cases = [
        ("http://user:hunter2@127.0.0.1/blobs", "unsupported scheme \"http\""),
        ("gs://bucket/prefix", "unsupported scheme \"gs\""),
        ("", "ECERT_BLOB_URL is empty"),
        ("file://other-host/blobs", "\"file://other-host/blobs\" is not a local absolute path"),
        ("file://user:hunter2@other-host/blobs", "ECERT_BLOB_URL is not a local absolute path"),
        ("s3://Bad_Bucket", "ECERT_BLOB_URL: invalid S3 blob store URL"),
    ];
    for (value, expected) in cases {
        let message = match open_blob_store(value) {
            Ok(_) => panic!("{value:?}: expected an error"),
            Err(e) => e.to_string(),
        };
        assert!(message.contains(expected), "{value:?}: {message}");
        assert!(!message.contains("hunter2"), "{value:?}: the message shows the password: {message}");
    }

    let message = open_blob_store("ftp://host/dir").err().unwrap().to_string();
    assert!(message.contains("ECERT_BLOB_URL"), "{message}");
    assert!(message.contains("file:///ABSOLUTE/DIR"), "{message}");
    assert!(message.contains("s3://BUCKET/PREFIX"), "{message}");
}

// ---------------------------------------------------------------------------
// S3 on moto.

#[tokio::test]
async fn s3_blob_store_on_moto() {
    let Some(server) = MotoServer::start_or_skip("s3_blob_store_on_moto") else {
        return;
    };
    server.create_bucket(BUCKET);
    let url = server.blob_url(BUCKET, PREFIX);
    let store = S3BlobStore::new(S3Location::parse(&url).unwrap(), test_credentials()).unwrap();

    check_blob_store_contract(&store).await;

    let raw = server.raw_client(BUCKET);
    check_key_layout(&store, &raw).await;
    check_corrupt_object(&store, &raw).await;
    check_truncated_object_repaired(&store, &raw).await;
    check_missing_bucket(&server).await;
    check_open_blob_store_from_environment(&url);
}

/// Checks that a blob lands at `{prefix}/{first two hex}/{sha256}`.
async fn check_key_layout(store: &S3BlobStore, raw: &AmazonS3) {
    let id = store.put(b"key layout").await.unwrap();
    let key = object_store::path::Path::from(format!("{PREFIX}/{}/{id}", &id[..2]));

    let stored = raw.get(&key).await.unwrap().bytes().await.unwrap();
    assert_eq!(stored.as_ref(), b"key layout");
}

/// Checks that `get` reports bytes that do not hash to their key, and does
/// not return them.
async fn check_corrupt_object(store: &S3BlobStore, raw: &AmazonS3) {
    let id = sha256_hex(b"original");
    let key = object_store::path::Path::from(format!("{PREFIX}/{}/{id}", &id[..2]));
    raw.put(&key, PutPayload::from_static(b"tampered")).await.unwrap();

    match store.get(&id).await {
        Err(BlobError::Corrupt { expected, actual }) => {
            assert_eq!(expected, id);
            assert_eq!(actual, sha256_hex(b"tampered"));
        }
        other => panic!("get of a tampered object: expected Corrupt, got {other:?}"),
    }
}

/// Checks that `put` replaces an object whose size shows it is not the blob.
async fn check_truncated_object_repaired(store: &S3BlobStore, raw: &AmazonS3) {
    let bytes = b"a blob that an earlier upload cut short".to_vec();
    let id = sha256_hex(&bytes);
    let key = object_store::path::Path::from(format!("{PREFIX}/{}/{id}", &id[..2]));
    raw.put(&key, PutPayload::from(bytes[..10].to_vec())).await.unwrap();
    assert!(matches!(store.get(&id).await, Err(BlobError::Corrupt { .. })), "truncated object before put");

    assert_eq!(store.put(&bytes).await.unwrap(), id);
    assert_eq!(store.get(&id).await.unwrap(), bytes, "get after put replaced the truncated object");
}

/// Checks that `put`, `get` and `exists` on a bucket that does not exist
/// fail with a remote error that names the bucket and endpoint, without the
/// secret key in its message, instead of reporting the blob as missing.
async fn check_missing_bucket(server: &MotoServer) {
    let url = server.blob_url("ecert-no-such-bucket", PREFIX);
    let store = S3BlobStore::new(S3Location::parse(&url).unwrap(), test_credentials()).unwrap();
    let endpoint = format!("http://{}", server.address);

    let put_error = store.put(b"nowhere to go").await.unwrap_err();
    let get_error = store.get(&sha256_hex(b"never stored")).await.unwrap_err();
    let exists_error = store.exists(&sha256_hex(b"never stored")).await.unwrap_err();

    for (operation, error) in [("put", put_error), ("get", get_error), ("exists", exists_error)] {
        let message = error.to_string();
        assert!(matches!(error, BlobError::Remote { .. }), "{operation} in a missing bucket: {error:?}");
        assert!(message.contains("s3://ecert-no-such-bucket/hub/blobs/"), "{operation}: {message}");
        assert!(message.contains(&endpoint), "{operation}: the message does not name the endpoint: {message}");
        assert!(!message.contains(SECRET_ACCESS_KEY), "{operation}: the message shows the secret key: {message}");
    }
}

/// A server that accepts TCP connections but never responds makes requests
/// fail after the configured time limits, not after minutes of retries.
#[tokio::test]
async fn s3_unresponsive_server_times_out() {
    // The kernel completes connections into the backlog of a listener that
    // never calls accept, so requests are sent and get no response.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let url = format!("s3://{BUCKET}/{PREFIX}?endpoint=http://{}&allow_http=true", listener.local_addr().unwrap());
    let timeouts =
        S3Timeouts { connect: Duration::from_secs(1), request: Duration::from_secs(1), retry: Duration::from_secs(2) };
    let store = S3BlobStore::with_timeouts(S3Location::parse(&url).unwrap(), test_credentials(), timeouts).unwrap();
    let started = Instant::now();

    let result = store.get(&sha256_hex(b"never answered")).await;

    assert!(matches!(result, Err(BlobError::Remote { .. })), "get from a silent server: {result:?}");
    assert!(started.elapsed() < Duration::from_secs(15), "get took {:?}", started.elapsed());
}

/// `open_blob_store` reads the credentials from the environment. Tests may
/// not change their own environment (`set_var` is unsafe and the workspace
/// forbids unsafe code), so this runs the ignored test below in a child
/// process of this test binary with the variables set.
fn check_open_blob_store_from_environment(url: &str) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "open_blob_store_s3_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_URL_VARIABLE, url)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child test failed ({}):\n{stdout}\n{stderr}", output.status);
    assert!(stdout.contains("1 passed"), "child test did not run:\n{stdout}\n{stderr}");
}

#[tokio::test]
#[ignore = "run by s3_blob_store_on_moto in a child process with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set"]
async fn open_blob_store_s3_child() {
    let url = std::env::var(CHILD_URL_VARIABLE)
        .unwrap_or_else(|_| panic!("{CHILD_URL_VARIABLE} is not set; s3_blob_store_on_moto runs this test"));

    let store: Arc<dyn BlobStore> = open_blob_store(&url).unwrap();
    let id = store.put(b"opened from ECERT_BLOB_URL").await.unwrap();
    assert_eq!(store.get(&id).await.unwrap(), b"opened from ECERT_BLOB_URL");
}

fn test_credentials() -> S3Credentials {
    S3Credentials {
        access_key_id: ACCESS_KEY_ID.to_owned(),
        secret_access_key: SECRET_ACCESS_KEY.to_owned(),
        session_token: None,
    }
}

// ---------------------------------------------------------------------------
// The moto server process.

/// A `moto_server` child process on 127.0.0.1, killed on drop.
struct MotoServer {
    child: Child,
    address: SocketAddr,
    /// Holds the server's log file until the test ends.
    _log_dir: tempfile::TempDir,
}

impl MotoServer {
    /// Starts moto, or explains why it could not and returns `None`, unless
    /// `ECERT_REQUIRE_TEST_SERVICES=1`, which turns that into a failure.
    fn start_or_skip(test: &str) -> Option<MotoServer> {
        match Self::start() {
            Ok(server) => Some(server),
            Err(reason) if std::env::var("ECERT_REQUIRE_TEST_SERVICES").as_deref() == Ok("1") => {
                panic!("{test}: ECERT_REQUIRE_TEST_SERVICES=1 but the S3 test server is unavailable: {reason}")
            }
            Err(reason) => {
                eprintln!("skipped {test}: {reason}");
                None
            }
        }
    }

    fn start() -> Result<MotoServer, String> {
        let executable = find_moto_server()?;
        let port = free_loopback_port()?;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));

        let log_dir = tempfile::tempdir().map_err(|e| format!("failed to create a directory for the moto log: {e}"))?;
        let log_path = log_dir.path().join("moto.log");
        let log = File::create(&log_path).map_err(|e| format!("failed to create {}: {e}", log_path.display()))?;
        let log_for_stderr = log.try_clone().map_err(|e| format!("failed to duplicate the log file handle: {e}"))?;

        let started = Instant::now();
        let child = Command::new(&executable)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_for_stderr)
            .spawn()
            .map_err(|e| format!("failed to start {}: {e}", executable.display()))?;
        // From here on, dropping `server` kills the child, also on an early return.
        let mut server = MotoServer { child, address, _log_dir: log_dir };

        loop {
            if let Some(status) = server.child.try_wait().map_err(|e| format!("failed to poll moto_server: {e}"))? {
                return Err(format!(
                    "{} exited with {status} before it answered; its log:\n{}",
                    executable.display(),
                    read_log_tail(&log_path)
                ));
            }
            if http_request(address, "GET", "/").is_ok() {
                eprintln!(
                    "moto_server ({}) answers on {address} after {} ms",
                    executable.display(),
                    started.elapsed().as_millis()
                );
                return Ok(server);
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                return Err(format!(
                    "{} did not answer on {address} within {} s; its log:\n{}",
                    executable.display(),
                    STARTUP_TIMEOUT.as_secs(),
                    read_log_tail(&log_path)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Creates a bucket with a plain unsigned `PUT /{bucket}`, which moto
    /// accepts because it does not check signatures by default.
    fn create_bucket(&self, bucket: &str) {
        let status = http_request(self.address, "PUT", &format!("/{bucket}")).unwrap();
        assert_eq!(status, 200, "PUT /{bucket} on moto");
    }

    fn blob_url(&self, bucket: &str, prefix: &str) -> String {
        format!("s3://{bucket}/{prefix}?endpoint=http://{}&region=us-east-1&allow_http=true", self.address)
    }

    /// Builds an object store client on the bucket without the blob layer, to
    /// plant objects that the blob store would never write.
    fn raw_client(&self, bucket: &str) -> AmazonS3 {
        AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region("us-east-1")
            .with_endpoint(format!("http://{}", self.address))
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_access_key_id(ACCESS_KEY_ID)
            .with_secret_access_key(SECRET_ACCESS_KEY)
            .build()
            .unwrap()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        if let Err(e) = self.child.kill() {
            eprintln!("failed to stop moto_server (pid {}): {e}", self.child.id());
        }
        let _ = self.child.wait();
    }
}

/// `ECERT_MOTO_SERVER` when set, else `moto_server` on `PATH`.
fn find_moto_server() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("ECERT_MOTO_SERVER") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("ECERT_MOTO_SERVER is {}, which is not a file", path.display()))
        };
    }
    let path_variable = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path_variable)
        .map(|dir| dir.join("moto_server"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            "moto_server is not installed: set ECERT_MOTO_SERVER to its path or put it on PATH \
             (.ci/s3-test-server installs moto[server] with pip)"
                .to_owned()
        })
}

/// Returns a port that was free a moment ago. Another process may take it
/// before moto binds it, and then moto exits and the test reports its log.
fn free_loopback_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| format!("failed to bind 127.0.0.1:0: {e}"))?;
    listener.local_addr().map(|address| address.port()).map_err(|e| format!("failed to read the bound port: {e}"))
}

/// Sends a bodiless HTTP/1.1 request and returns the response status code.
fn http_request(address: SocketAddr, method: &str, path: &str) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;

    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response);
    let status_line = response.lines().next().unwrap_or_default();
    status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {status_line:?}")))
}

fn read_log_tail(path: &Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_else(|e| format!("(failed to read {}: {e})", path.display()));
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
