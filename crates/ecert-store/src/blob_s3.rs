//! Blob store on an S3-compatible object store. The tests run it against
//! moto's S3 server.
//!
//! The store is configured by a URL:
//!
//! ```text
//! s3://BUCKET/PREFIX?endpoint=http://127.0.0.1:9000&region=us-east-1&allow_http=true
//! ```
//!
//! - `BUCKET`: the bucket name, which must already exist.
//! - `PREFIX` (optional, may contain `/`): the folder for the blobs. A blob
//!   is stored under the key `{PREFIX}/{first two hex}/{sha256}`, or
//!   `{first two hex}/{sha256}` without a prefix.
//! - `endpoint` (optional): the base URL of an S3-compatible server. Without
//!   it the client talks to AWS at `https://s3.{region}.amazonaws.com`.
//!   Requests always use path-style addressing (`{endpoint}/{bucket}/{key}`),
//!   which local servers need.
//! - `region` (optional, default `us-east-1`): the signing region.
//! - `allow_http` (optional, `true` or `false`, default `false`): permits an
//!   `http://` endpoint.
//!
//! Credentials come from the environment variables `AWS_ACCESS_KEY_ID` and
//! `AWS_SECRET_ACCESS_KEY`, plus `AWS_SESSION_TOKEN` for temporary
//! credentials. Both of the first two are required, so the client never
//! falls back to the EC2 instance metadata service. Error messages and
//! `Debug` output never show the secret key or the session token, but may
//! show the access key id, as AWS's own errors do.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use object_store::aws::{AmazonS3, AmazonS3Builder, Checksum};
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore as _, ObjectStoreExt as _, PutPayload, RetryConfig};

use crate::blob::{BlobError, BlobStore, check_id, sha256_hex};

const ACCESS_KEY_ID_VARIABLE: &str = "AWS_ACCESS_KEY_ID";
const SECRET_ACCESS_KEY_VARIABLE: &str = "AWS_SECRET_ACCESS_KEY";
const SESSION_TOKEN_VARIABLE: &str = "AWS_SESSION_TOKEN";

const DEFAULT_REGION: &str = "us-east-1";
const QUERY_PARAMETERS: &str = "endpoint, region, allow_http";

/// Bucket, key prefix and server of an S3 blob store: the parsed form of an
/// `s3://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Key prefix without leading or trailing `/`, or empty for none.
    pub prefix: String,
    /// Base URL of the server, or `None` for AWS.
    pub endpoint: Option<String>,
    pub region: String,
    pub allow_http: bool,
}

impl S3Location {
    /// Parses `s3://BUCKET/PREFIX?endpoint=…&region=…&allow_http=…`.
    pub fn parse(url: &str) -> Result<Self, BlobError> {
        let invalid = |reason: String| BlobError::InvalidConfig(format!("invalid S3 blob store URL: {reason}"));

        let parsed = url::Url::parse(url).map_err(|e| invalid(format!("{e}")))?;
        if parsed.scheme() != "s3" {
            return Err(invalid(format!("scheme is {:?}, expected \"s3\"", parsed.scheme())));
        }
        // Rejected without echoing the URL, because the user part may contain a secret.
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid(format!(
                "the URL contains a user name or password; set {ACCESS_KEY_ID_VARIABLE} and {SECRET_ACCESS_KEY_VARIABLE} instead"
            )));
        }
        if parsed.port().is_some() {
            return Err(invalid(format!(
                "{url:?} has a port after the bucket name; put the server address in the endpoint parameter"
            )));
        }
        if parsed.fragment().is_some() {
            return Err(invalid(format!("{url:?} has a fragment (#…), which has no meaning here")));
        }

        let bucket = parsed.host_str().unwrap_or_default().to_owned();
        check_bucket_name(&bucket).map_err(|reason| invalid(format!("{url:?}: {reason}")))?;

        // The URL parser resolves `.` and `..` segments, so they are looked
        // for in the text as written. Resolving them would silently store the
        // blobs under another prefix.
        let written_path = url.strip_prefix("s3://").unwrap_or(url).split(['?', '#']).next().unwrap_or_default();
        let written_prefix = written_path.split_once('/').map_or("", |(_, prefix)| prefix);
        if written_prefix.contains('%') {
            return Err(invalid(format!(
                "prefix {written_prefix:?} contains percent-encoded characters; use letters, digits, '-', '_', '.' and '/'"
            )));
        }
        if written_prefix.split('/').any(|segment| segment == "." || segment == "..") {
            return Err(invalid(format!("prefix {written_prefix:?} contains a '.' or '..' segment")));
        }

        let prefix = parsed.path().trim_matches('/').to_owned();
        if prefix.contains('%') {
            return Err(invalid(format!(
                "prefix {written_prefix:?} contains characters that need percent-encoding; use letters, digits, '-', '_', '.' and '/'"
            )));
        }
        Path::parse(&prefix)
            .map_err(|e| invalid(format!("prefix {prefix:?} is not a valid object key prefix: {e}")))?;

        let mut endpoint = None;
        let mut region = None;
        let mut allow_http = None;
        for (name, value) in parsed.query_pairs() {
            let duplicate = match name.as_ref() {
                "endpoint" => endpoint.replace(value.into_owned()).is_some(),
                "region" => region.replace(value.into_owned()).is_some(),
                "allow_http" => {
                    let flag = match value.as_ref() {
                        "true" => true,
                        "false" => false,
                        other => {
                            return Err(invalid(format!("allow_http is {other:?}, expected \"true\" or \"false\"")));
                        }
                    };
                    allow_http.replace(flag).is_some()
                }
                other => {
                    return Err(invalid(format!(
                        "unknown query parameter {other:?}; the accepted ones are {QUERY_PARAMETERS}"
                    )));
                }
            };
            if duplicate {
                return Err(invalid(format!("query parameter {name:?} is given more than once")));
            }
        }
        let allow_http = allow_http.unwrap_or(false);

        if let Some(endpoint) = &endpoint {
            let endpoint_url =
                url::Url::parse(endpoint).map_err(|e| invalid(format!("endpoint {endpoint:?} is not a URL: {e}")))?;
            // Checked first, because the messages below show the endpoint.
            if !endpoint_url.username().is_empty() || endpoint_url.password().is_some() {
                return Err(invalid(format!(
                    "the endpoint contains a user name or password; set {ACCESS_KEY_ID_VARIABLE} and {SECRET_ACCESS_KEY_VARIABLE} instead"
                )));
            }
            match endpoint_url.scheme() {
                "https" => {}
                "http" if allow_http => {}
                "http" => {
                    return Err(invalid(format!(
                        "endpoint {endpoint:?} uses http but allow_http is not true; add allow_http=true or use https"
                    )));
                }
                other => return Err(invalid(format!("endpoint scheme is {other:?}, expected \"http\" or \"https\""))),
            }
        }

        let region = region.unwrap_or_else(|| DEFAULT_REGION.to_owned());
        if region.is_empty() {
            return Err(invalid("region is empty".to_owned()));
        }

        Ok(S3Location { bucket, prefix, endpoint, region, allow_http })
    }
}

/// Checks the S3 bucket naming rules that a typo is likely to break:
/// 3 to 63 characters, lowercase letters, digits, '.' and '-', starting and
/// ending with a letter or digit.
fn check_bucket_name(bucket: &str) -> Result<(), String> {
    if bucket.is_empty() {
        return Err("the bucket name is missing (expected s3://BUCKET/PREFIX)".to_owned());
    }
    let allowed = bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let edges_alphanumeric = bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !(3..=63).contains(&bucket.len()) || !allowed || !edges_alphanumeric {
        return Err(format!(
            "bucket name {bucket:?} is invalid: expected 3 to 63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// Access key for S3 request signing. `Debug` hides the secret parts.
#[derive(Clone)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl S3Credentials {
    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the optional
    /// `AWS_SESSION_TOKEN` from the process environment.
    pub fn from_env() -> Result<Self, BlobError> {
        Self::from_variables(|name| std::env::var(name).ok())
    }

    fn from_variables(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, BlobError> {
        let required = |name: &str| {
            lookup(name).filter(|value| !value.is_empty()).ok_or_else(|| {
                BlobError::InvalidConfig(format!(
                    "{name} is not set; the S3 blob store needs {ACCESS_KEY_ID_VARIABLE} and {SECRET_ACCESS_KEY_VARIABLE} in the environment"
                ))
            })
        };
        Ok(S3Credentials {
            access_key_id: required(ACCESS_KEY_ID_VARIABLE)?,
            secret_access_key: required(SECRET_ACCESS_KEY_VARIABLE)?,
            session_token: lookup(SESSION_TOKEN_VARIABLE).filter(|value| !value.is_empty()),
        })
    }
}

/// Time limits of the requests to the object store. Without them a request
/// to a server that accepts connections but never responds failed only
/// after about 3 minutes of retries (measured with `object_store` 0.14),
/// long after the client or load balancer in front of the hub gave up.
#[derive(Debug, Clone)]
pub struct S3Timeouts {
    /// Time to open a TCP connection. Default 5 s.
    pub connect: Duration,
    /// Time for one request, from sending it to the end of the response
    /// body. Default 30 s.
    pub request: Duration,
    /// Time after the first attempt after which failed requests are no
    /// longer retried. Default 30 s.
    pub retry: Duration,
}

impl Default for S3Timeouts {
    fn default() -> Self {
        S3Timeouts { connect: Duration::from_secs(5), request: Duration::from_secs(30), retry: Duration::from_secs(30) }
    }
}

/// Blobs as objects in an S3 bucket, at `{prefix}/{first two hex}/{sha256}`.
pub struct S3BlobStore {
    client: AmazonS3,
    bucket: String,
    /// Base URL of the server, for error messages.
    endpoint: String,
    prefix: Path,
    /// Secret key and session token, removed from the text of remote errors.
    secrets: Vec<String>,
    /// Set once a listing of the bucket has succeeded. Until then a missing
    /// object makes the store check that the bucket exists, because S3
    /// returns 404 for a missing bucket as for a missing object.
    bucket_found: AtomicBool,
}

impl fmt::Debug for S3BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3BlobStore")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix.as_ref())
            .finish_non_exhaustive()
    }
}

impl S3BlobStore {
    /// Opens the store described by an `s3://` URL (see the module
    /// documentation), with credentials from the environment.
    pub fn from_url(url: &str) -> Result<Self, BlobError> {
        let location = S3Location::parse(url)?;
        let credentials = S3Credentials::from_env()?;
        Self::new(location, credentials)
    }

    /// Builds the client with the default [`S3Timeouts`]. No request is
    /// sent, so a wrong endpoint or missing bucket shows only at the first
    /// operation.
    pub fn new(location: S3Location, credentials: S3Credentials) -> Result<Self, BlobError> {
        Self::with_timeouts(location, credentials, S3Timeouts::default())
    }

    /// Builds the client with the given time limits.
    pub fn with_timeouts(location: S3Location, credentials: S3Credentials, timeouts: S3Timeouts) -> Result<Self, BlobError> {
        let secrets: Vec<String> = [Some(&credentials.secret_access_key), credentials.session_token.as_ref()]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        // The client options come first, because `with_client_options`
        // replaces all of them, `allow_http` included.
        let mut builder = AmazonS3Builder::new()
            .with_client_options(ClientOptions::new().with_connect_timeout(timeouts.connect).with_timeout(timeouts.request))
            .with_bucket_name(&location.bucket)
            .with_region(&location.region)
            .with_allow_http(location.allow_http)
            .with_virtual_hosted_style_request(false)
            // AWS S3 checks the body against this header and rejects a PUT
            // whose bytes changed in transit. moto 5.2 does not check it.
            .with_checksum_algorithm(Checksum::SHA256)
            .with_access_key_id(credentials.access_key_id)
            .with_secret_access_key(credentials.secret_access_key)
            .with_retry(RetryConfig { retry_timeout: timeouts.retry, ..RetryConfig::default() });
        if let Some(token) = credentials.session_token {
            builder = builder.with_token(token);
        }
        if let Some(endpoint) = &location.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let client =
            builder.build().map_err(|e| BlobError::InvalidConfig(format!("failed to configure the S3 client: {e}")))?;

        let prefix = Path::parse(&location.prefix)
            .map_err(|e| BlobError::InvalidConfig(format!("invalid S3 key prefix {:?}: {e}", location.prefix)))?;
        let endpoint = location.endpoint.clone().unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", location.region));
        Ok(S3BlobStore { client, bucket: location.bucket, endpoint, prefix, secrets, bucket_found: AtomicBool::new(false) })
    }

    /// Checks, when an object is missing, that the bucket exists and can be
    /// read, by listing the key prefix once per process. A wrong bucket name
    /// then fails with an error naming the bucket and endpoint instead of
    /// looking like missing files.
    async fn check_bucket(&self, operation: &'static str, key: &Path) -> Result<(), BlobError> {
        if self.bucket_found.load(Ordering::Relaxed) {
            return Ok(());
        }
        match self.client.list_with_delimiter(Some(&self.prefix)).await {
            Ok(_) => {
                self.bucket_found.store(true, Ordering::Relaxed);
                Ok(())
            }
            // The HTTP layer logs the error of a failed request with its cause.
            Err(error) => Err(self.remote_error(operation, key, error)),
        }
    }

    /// Object key of a blob whose id has passed `check_id`.
    fn key(&self, sha256: &str) -> Path {
        self.prefix.clone().join(&sha256[..2]).join(sha256)
    }

    /// Wraps a failed request. Only the error text is kept, with the secret
    /// key and session token replaced, because the text includes the
    /// server's response body, which may quote parts of the signed request.
    fn remote_error(&self, operation: &'static str, key: &Path, source: object_store::Error) -> BlobError {
        let mut message = source.to_string();
        for secret in &self.secrets {
            message = message.replace(secret.as_str(), "<redacted>");
        }
        BlobError::Remote {
            operation,
            object: format!("s3://{}/{key} at {}", self.bucket, self.endpoint),
            source: message.into(),
        }
    }

    /// Size of the object at `key`, or `None` when there is none (HEAD). A
    /// missing bucket is an error, not `None`.
    async fn object_size(&self, key: &Path) -> Result<Option<u64>, BlobError> {
        match self.client.head(key).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => {
                self.check_bucket("HEAD", key).await?;
                Ok(None)
            }
            Err(e) => Err(self.remote_error("HEAD", key, e)),
        }
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, bytes: &[u8]) -> Result<String, BlobError> {
        let id = sha256_hex(bytes);
        let key = self.key(&id);

        // The key is the content hash, so an object of the right size at the
        // key is taken to hold these bytes, and `get` checks the hash on every
        // read. An object of another size was damaged or cut short, and the
        // upload below replaces it.
        if self.object_size(&key).await? == Some(bytes.len() as u64) {
            return Ok(id);
        }

        // Two concurrent writers of the same blob upload the same bytes, and
        // the last one wins harmlessly.
        self.client.put(&key, PutPayload::from(bytes.to_vec())).await.map_err(|e| self.remote_error("PUT", &key, e))?;
        Ok(id)
    }

    async fn get(&self, sha256: &str) -> Result<Vec<u8>, BlobError> {
        check_id(sha256)?;
        let key = self.key(sha256);

        let response = match self.client.get(&key).await {
            Ok(response) => response,
            Err(object_store::Error::NotFound { .. }) => {
                self.check_bucket("GET", &key).await?;
                return Err(BlobError::NotFound(sha256.to_owned()));
            }
            Err(e) => return Err(self.remote_error("GET", &key, e)),
        };
        let bytes = response.bytes().await.map_err(|e| self.remote_error("GET", &key, e))?;

        // The bucket is outside this process, so the bytes are checked
        // against their address before anyone relies on them.
        let actual = sha256_hex(&bytes);
        if actual != sha256 {
            return Err(BlobError::Corrupt { expected: sha256.to_owned(), actual });
        }
        Ok(bytes.to_vec())
    }

    async fn exists(&self, sha256: &str) -> Result<bool, BlobError> {
        check_id(sha256)?;
        Ok(self.object_size(&self.key(sha256)).await?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_full_url() {
        let location = S3Location::parse(
            "s3://ecert-blobs/hub/prod?endpoint=http://127.0.0.1:9000&region=eu-west-1&allow_http=true",
        )
        .unwrap();
        assert_eq!(location.bucket, "ecert-blobs");
        assert_eq!(location.prefix, "hub/prod");
        assert_eq!(location.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(location.region, "eu-west-1");
        assert!(location.allow_http);
    }

    #[test]
    fn parse_defaults() {
        for url in ["s3://ecert-blobs", "s3://ecert-blobs/", "s3://ecert-blobs?region=us-east-1"] {
            let location = S3Location::parse(url).unwrap();
            assert_eq!(location.bucket, "ecert-blobs", "{url}");
            assert_eq!(location.prefix, "", "{url}");
            assert_eq!(location.endpoint, None, "{url}");
            assert_eq!(location.region, "us-east-1", "{url}");
            assert!(!location.allow_http, "{url}");
        }
    }

    #[test]
    fn parse_rejects_invalid_urls() {
        let cases = [
            ("s3://", "bucket name is missing"),
            ("s3:///prefix", "bucket name is missing"),
            ("s3://Upper-Case", "bucket name \"Upper-Case\" is invalid"),
            ("s3://ab", "bucket name \"ab\" is invalid"),
            ("s3://bucket:9000/prefix", "has a port"),
            ("s3://bucket/a//b", "not a valid object key prefix"),
            ("s3://bucket/a/../b", "contains a '.' or '..' segment"),
            ("s3://bucket/./b", "contains a '.' or '..' segment"),
            ("s3://bucket/%2e%2e/b", "percent-encoded"),
            ("s3://bucket/with%20space", "percent-encoded"),
            ("s3://bucket/with space", "need percent-encoding"),
            ("s3://bucket?endpoint=http://127.0.0.1:9000", "allow_http is not true"),
            ("s3://bucket?endpoint=ftp://127.0.0.1", "endpoint scheme is \"ftp\""),
            ("s3://bucket?endpoint=not-a-url", "is not a URL"),
            ("s3://bucket?allow_http=yes", "allow_http is \"yes\""),
            ("s3://bucket?allow-http=true", "unknown query parameter \"allow-http\""),
            ("s3://bucket?region=a&region=b", "given more than once"),
            ("s3://bucket?region=", "region is empty"),
            ("s3://bucket#top", "fragment"),
            ("http://bucket", "expected \"s3\""),
        ];
        for (url, expected) in cases {
            let message = S3Location::parse(url).unwrap_err().to_string();
            assert!(message.contains(expected), "{url}: {message}");
        }
    }

    #[test]
    fn parse_hides_user_info() {
        for url in [
            "s3://AKIDEXAMPLE:hunter2@bucket/prefix",
            "s3://bucket?endpoint=http://AKIDEXAMPLE:hunter2@127.0.0.1:9000&allow_http=true",
            "s3://bucket?endpoint=http://AKIDEXAMPLE:hunter2@127.0.0.1:9000",
        ] {
            let message = S3Location::parse(url).unwrap_err().to_string();
            assert!(message.contains("user name or password"), "{message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
    }

    #[test]
    fn credentials_require_both_keys() {
        let only_id = |name: &str| (name == ACCESS_KEY_ID_VARIABLE).then(|| "AKIDEXAMPLE".to_owned());
        let message = S3Credentials::from_variables(only_id).unwrap_err().to_string();
        assert!(message.contains("AWS_SECRET_ACCESS_KEY is not set"), "{message}");

        let message = S3Credentials::from_variables(|_| None).unwrap_err().to_string();
        assert!(message.contains("AWS_ACCESS_KEY_ID is not set"), "{message}");
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let all = |name: &str| Some(format!("value-of-{name}"));
        let credentials = S3Credentials::from_variables(all).unwrap();
        assert_eq!(credentials.session_token.as_deref(), Some("value-of-AWS_SESSION_TOKEN"));

        let debug = format!("{credentials:?}");
        assert!(debug.contains("value-of-AWS_ACCESS_KEY_ID"), "{debug}");
        assert!(!debug.contains("value-of-AWS_SECRET_ACCESS_KEY"), "{debug}");
        assert!(!debug.contains("value-of-AWS_SESSION_TOKEN"), "{debug}");
    }

    #[test]
    fn remote_error_redacts_credentials() {
        let credentials = S3Credentials {
            access_key_id: "AKIDEXAMPLE".to_owned(),
            secret_access_key: "secret-key-value".to_owned(),
            session_token: Some("session-token-value".to_owned()),
        };
        let store = S3BlobStore::new(S3Location::parse("s3://bucket/prefix").unwrap(), credentials).unwrap();
        let key = Path::from("prefix/ab/abcd");
        let source = object_store::Error::Generic {
            store: "S3",
            source: "<CanonicalRequest>x-amz-security-token:session-token-value</CanonicalRequest> secret-key-value"
                .into(),
        };

        let message = store.remote_error("GET", &key, source).to_string();
        assert!(
            message.starts_with("object store GET of s3://bucket/prefix/ab/abcd at https://s3.us-east-1.amazonaws.com failed: "),
            "{message}"
        );
        assert!(!message.contains("session-token-value"), "{message}");
        assert!(!message.contains("secret-key-value"), "{message}");
        assert!(message.contains("x-amz-security-token:<redacted>"), "{message}");
    }

    #[test]
    fn key_layout() {
        let credentials = S3Credentials {
            access_key_id: "id".to_owned(),
            secret_access_key: "secret".to_owned(),
            session_token: None,
        };
        let id = sha256_hex(b"key layout");

        let store = S3BlobStore::new(S3Location::parse("s3://bucket/hub/blobs").unwrap(), credentials.clone()).unwrap();
        assert_eq!(store.key(&id).as_ref(), format!("hub/blobs/{}/{id}", &id[..2]));

        let store = S3BlobStore::new(S3Location::parse("s3://bucket").unwrap(), credentials).unwrap();
        assert_eq!(store.key(&id).as_ref(), format!("{}/{id}", &id[..2]));
    }
}
