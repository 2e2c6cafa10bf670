//! The relying party against a real OpenID provider: `tests/oidc-provider/provider.mjs`
//! (panva/oidc-provider on Node), started on loopback by each test.
//!
//! Needs `node` and `npm ci --prefix tests/oidc-provider` (once). Without them the tests are
//! skipped locally, and fail under CI (`CI` set) or with `C981_REQUIRE_OIDC=1`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use c981_oidc::{BeginOptions, OidcClient, OidcError, OidcIdentity, OidcSettings, PendingAuth};
use hmac::{Hmac, Mac as _};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

const REDIRECT: &str = "http://127.0.0.1:8981/auth/oidc/callback";
const SECRET: &str = "c981-test-secret";

#[allow(clippy::disallowed_methods, reason = "tests read the real clock to compare with the provider's")]
fn now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970");
    i64::try_from(since.as_secs()).expect("time fits")
}

#[allow(clippy::disallowed_methods, reason = "tests decide whether a missing provider is a skip or a failure")]
fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
        || std::env::var_os("C981_REQUIRE_OIDC").is_some_and(|v| !v.is_empty() && v != "0")
}

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc-provider")
}

/// A provider process; killed when dropped.
struct Provider {
    issuer: String,
    _child: Child,
}

/// Starts a provider, or returns `None` (skip) when Node or its packages are missing locally.
async fn start_provider() -> Option<Provider> {
    let dir = provider_dir();
    let missing = if !dir.join("node_modules/oidc-provider").is_dir() {
        Some("tests/oidc-provider/node_modules is missing")
    } else if std::process::Command::new("node").arg("--version").output().is_err() {
        Some("`node` is not on PATH")
    } else {
        None
    };
    if let Some(why) = missing {
        let how = "install Node.js 20.19+ and run `npm ci --prefix tests/oidc-provider` at the repository root";
        if required() {
            panic!("the OpenID provider for these tests cannot start: {why}; {how}");
        }
        eprintln!("SKIPPED (OpenID provider unavailable: {why}; {how}; set C981_REQUIRE_OIDC=1 to fail instead)");
        return None;
    }
    let mut child = Command::new("node")
        .arg(dir.join("provider.mjs"))
        .arg("0")
        .current_dir(&dir)
        .env("C981_REDIRECT_URIS", REDIRECT)
        .env("C981_OIDC_EXIT_ON_EOF", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn node tests/oidc-provider/provider.mjs");
    // The provider's stderr, less the notices it always prints (development storage, Node version).
    let mut errors = BufReader::new(child.stderr.take().expect("stderr")).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = errors.next_line().await {
            if !line.starts_with("oidc-provider WARNING") {
                eprintln!("[oidc-provider] {line}");
            }
        }
    });
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let issuer = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("read provider stdout") {
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && let Some(issuer) = v.get("issuer").and_then(Value::as_str)
            {
                return issuer.to_owned();
            }
        }
        panic!("the provider exited before printing its issuer");
    })
    .await
    .expect("the provider did not start within 30 s");
    // Keep draining stdout so the provider never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Some(Provider { issuer, _child: child })
}

fn settings(issuer: &str, client_id: &str, secret: &str) -> OidcSettings {
    OidcSettings::new(issuer, client_id, Some(secret.to_owned()), REDIRECT)
}

async fn client(p: &Provider, client_id: &str, secret: &str) -> OidcClient {
    OidcClient::discover(settings(&p.issuer, client_id, secret)).await.expect("discover")
}

/// A browser: a cookie store, redirects followed by hand.
struct Browser {
    http: reqwest::Client,
}

/// Where a browser flow ended: the redirect back to us.
struct Callback {
    code: String,
    state: String,
    iss: Option<String>,
    prompts: Vec<String>,
}

impl Browser {
    fn new() -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("http client");
        Self { http }
    }

    /// Follows the authorization URL through login (as `login`) and consent to our redirect URL.
    async fn authorize(&self, auth_url: &str, login: &str) -> Callback {
        let mut url = reqwest::Url::parse(auth_url).expect("authorization URL");
        let mut prompts = Vec::new();
        for _ in 0..12 {
            let location = self.expect_redirect(self.http.get(url.clone())).await;
            let next = url.join(&location).expect("Location");
            if next.as_str().starts_with(REDIRECT) {
                let q: std::collections::HashMap<String, String> = next.query_pairs().into_owned().collect();
                assert!(!q.contains_key("error"), "the provider refused: {q:?}");
                return Callback {
                    code: q.get("code").expect("code").clone(),
                    state: q.get("state").expect("state").clone(),
                    iss: q.get("iss").cloned(),
                    prompts,
                };
            }
            if next.path().starts_with("/interaction/") {
                let details: Value = serde_json::from_slice(
                    &self.http.get(next.clone()).send().await.expect("interaction").bytes().await.expect("body"),
                )
                .expect("interaction JSON");
                let prompt = details["prompt"].as_str().expect("prompt").to_owned();
                let action = next.join(&format!("{}/{prompt}", next.path())).expect("action URL");
                let request = match prompt.as_str() {
                    "login" => self.http.post(action).form(&[("login", login)]),
                    "consent" => self.http.post(action),
                    other => panic!("unexpected prompt {other}"),
                };
                prompts.push(prompt);
                url = next.join(&self.expect_redirect(request).await).expect("resume URL");
            } else {
                url = next;
            }
        }
        panic!("too many redirects");
    }

    async fn expect_redirect(&self, request: reqwest::RequestBuilder) -> String {
        let response = request.send().await.expect("request to the provider");
        let status = response.status();
        let location = response.headers().get(reqwest::header::LOCATION).map(|l| l.to_str().unwrap().to_owned());
        match location {
            Some(l) if status.is_redirection() => l,
            _ => panic!("expected a redirect, got {status}: {}", response.text().await.unwrap_or_default()),
        }
    }
}

/// A full login as `login` through `client`, returning the identity.
async fn login(client: &OidcClient, browser: &Browser, login: &str, opts: BeginOptions) -> (OidcIdentity, Callback) {
    let (url, pending) = client.begin(opts, now());
    let cb = browser.authorize(&url, login).await;
    let identity = client.complete(&pending, &cb.state, &cb.code, now()).await.expect("complete");
    (identity, cb)
}

/// Runs the browser flow and redeems the code by hand, returning the raw ID token and the
/// pending authentication (for its nonce).
async fn raw_id_token(
    p: &Provider,
    client: &OidcClient,
    client_id: &str,
    secret: &str,
    opts: BeginOptions,
) -> (String, PendingAuth) {
    let (url, pending) = client.begin(opts, now());
    let cb = Browser::new().authorize(&url, "alice").await;
    let (status, body) = redeem(p, client_id, secret, &cb.code, &pending.pkce_verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (body["id_token"].as_str().expect("id_token").to_owned(), pending)
}

async fn redeem(p: &Provider, client_id: &str, secret: &str, code: &str, verifier: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/token", p.issuer))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .expect("token request");
    let status = response.status();
    (status, serde_json::from_slice(&response.bytes().await.expect("body")).expect("token JSON"))
}

fn payload(id_token: &str) -> Value {
    let part = id_token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64")).expect("JSON")
}

#[tokio::test]
async fn login_returns_the_identity() {
    let Some(p) = start_provider().await else { return };
    let c = client(&p, "c981", SECRET).await;
    let started = now();
    let (id, cb) = login(&c, &Browser::new(), "alice", BeginOptions::login()).await;
    assert_eq!(cb.prompts, ["login", "consent"]);
    assert_eq!(cb.iss.as_deref(), Some(p.issuer.as_str()));
    assert_eq!(id.issuer, p.issuer);
    assert_eq!(id.subject, "alice");
    assert_eq!(id.email.as_deref(), Some("alice@example.test"));
    assert_eq!(id.email_verified, Some(true));
    assert_eq!(id.name.as_deref(), Some("Alice Test"));
    assert_eq!(id.preferred_username.as_deref(), Some("alice"));
    assert_eq!(id.groups, ["c981-engineers-LYO"]);
    let auth_time = id.auth_time.expect("auth_time");
    assert!((started - 5..=now() + 5).contains(&auth_time), "auth_time {auth_time}, started {started}");

    let (carol, _) = login(&c, &Browser::new(), "carol", BeginOptions::login()).await;
    assert_eq!(carol.groups, ["c981-auditors", "c981-engineers-LYO"]);
}

#[tokio::test]
async fn begin_makes_fresh_pkce_state_and_nonce() {
    let Some(p) = start_provider().await else { return };
    let c = client(&p, "c981", SECRET).await;
    let (url, a) = c.begin(BeginOptions::login(), 1_000);
    let (_, b) = c.begin(BeginOptions::login(), 1_000);
    assert_ne!(a.state, b.state);
    assert_ne!(a.nonce, b.nonce);
    assert_ne!(a.pkce_verifier, b.pkce_verifier);
    assert!(a.state.len() >= 43 && a.nonce.len() >= 43, "256 bits, base64url");
    let q: std::collections::HashMap<String, String> =
        reqwest::Url::parse(&url).unwrap().query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["client_id"], "c981");
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["scope"], "openid profile email");
    assert_eq!(q["state"], a.state);
    assert_eq!(q["nonce"], a.nonce);
    assert!(!q.contains_key("prompt") && !q.contains_key("max_age"));
    assert!(!url.contains(&a.pkce_verifier));
    // It survives a round trip through the caller's storage.
    let stored: PendingAuth = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(stored, a);
}

#[tokio::test]
async fn state_mismatch_is_refused() {
    let Some(p) = start_provider().await else { return };
    let c = client(&p, "c981", SECRET).await;
    let (url, pending) = c.begin(BeginOptions::login(), now());
    let cb = Browser::new().authorize(&url, "alice").await;
    let mut forged = cb.state.clone();
    forged.replace_range(0..1, if forged.starts_with('A') { "B" } else { "A" });
    assert_eq!(c.complete(&pending, &forged, &cb.code, now()).await, Err(OidcError::StateMismatch));
    assert_eq!(c.complete(&pending, "", &cb.code, now()).await, Err(OidcError::StateMismatch));
    // The code was not spent by the refused attempts.
    assert!(c.complete(&pending, &cb.state, &cb.code, now()).await.is_ok());
}

#[tokio::test]
async fn stale_pending_authentication_is_refused() {
    let Some(p) = start_provider().await else { return };
    let c = client(&p, "c981", SECRET).await;
    let (url, pending) = c.begin(BeginOptions::login(), now());
    let cb = Browser::new().authorize(&url, "alice").await;
    let late = pending.created_unix + 601;
    assert_eq!(c.complete(&pending, &cb.state, &cb.code, late).await, Err(OidcError::Expired));
}

#[tokio::test]
async fn bad_nonce_is_refused() {
    let Some(p) = start_provider().await else { return };
    let c = client(&p, "c981", SECRET).await;
    let (url, mut pending) = c.begin(BeginOptions::login(), now());
    let cb = Browser::new().authorize(&url, "alice").await;
    pending.nonce.push('x');
    assert_eq!(c.complete(&pending, &cb.state, &cb.code, now()).await, Err(OidcError::BadNonce));
}

#[tokio::test]
async fn token_for_another_client_is_refused() {
    let Some(p) = start_provider().await else { return };
    let other = client(&p, "c981-other", "c981-other-secret").await;
    let (token, pending) = raw_id_token(&p, &other, "c981-other", "c981-other-secret", BeginOptions::login()).await;
    assert_eq!(payload(&token)["aud"], "c981-other");
    // Valid for the client it was issued to...
    assert!(other.verify_id_token(&token, &pending.nonce, now(), None).is_ok());
    // ...and refused by ours.
    let ours = client(&p, "c981", SECRET).await;
    assert_eq!(ours.verify_id_token(&token, &pending.nonce, now(), None), Err(OidcError::WrongAudience));
}

#[tokio::test]
async fn issuer_that_differs_from_the_discovery_document_is_refused() {
    let Some(p) = start_provider().await else { return };
    // Same server, named differently: the document's issuer is not the configured one.
    let as_localhost = p.issuer.replace("127.0.0.1", "localhost");
    match OidcClient::discover(settings(&as_localhost, "c981", SECRET)).await {
        Err(OidcError::WrongIssuer { expected, found }) => {
            assert_eq!(expected, as_localhost);
            assert_eq!(found, p.issuer);
        }
        other => panic!("expected WrongIssuer, got {other:?}"),
    }
    let with_path = format!("{}/tenant", p.issuer);
    assert!(matches!(OidcClient::discover(settings(&with_path, "c981", SECRET)).await, Err(OidcError::Discovery(_))));
    let with_slash = format!("{}/", p.issuer);
    assert!(matches!(
        OidcClient::discover(settings(&with_slash, "c981", SECRET)).await,
        Err(OidcError::WrongIssuer { .. })
    ));
    // Plain http off loopback is refused before any request.
    let err = OidcClient::discover(settings("http://idp.example.invalid", "c981", SECRET)).await.unwrap_err();
    assert!(err.to_string().contains("https"), "{err}");
}

#[tokio::test]
async fn token_from_another_issuer_is_refused() {
    let Some(p) = start_provider().await else { return };
    let Some(elsewhere) = start_provider().await else { return };
    let theirs = client(&elsewhere, "c981", SECRET).await;
    let (token, pending) = raw_id_token(&elsewhere, &theirs, "c981", SECRET, BeginOptions::login()).await;
    let ours = client(&p, "c981", SECRET).await;
    assert_eq!(
        ours.verify_id_token(&token, &pending.nonce, now(), None),
        Err(OidcError::WrongIssuer { expected: p.issuer.clone(), found: elsewhere.issuer.clone() })
    );
}

#[tokio::test]
async fn unsigned_token_is_refused() {
    let Some(p) = start_provider().await else { return };
    let c = client(&p, "c981-none", "c981-none-secret").await;
    let (url, pending) = c.begin(BeginOptions::login(), now());
    let cb = Browser::new().authorize(&url, "alice").await;
    let err = c.complete(&pending, &cb.state, &cb.code, now()).await.unwrap_err();
    assert_eq!(err, OidcError::UnsupportedAlgorithm("none".into()));

    // The same through verify_id_token, on a token taken from the provider by hand.
    let (token, pending) = raw_id_token(&p, &c, "c981-none", "c981-none-secret", BeginOptions::login()).await;
    assert!(token.ends_with('.'), "unsigned");
    assert_eq!(
        c.verify_id_token(&token, &pending.nonce, now(), None),
        Err(OidcError::UnsupportedAlgorithm("none".into()))
    );
}

#[tokio::test]
async fn symmetric_and_tampered_signatures_are_refused() {
    let Some(p) = start_provider().await else { return };
    let c = client(&p, "c981", SECRET).await;
    let (token, pending) = raw_id_token(&p, &c, "c981", SECRET, BeginOptions::login()).await;
    assert!(c.verify_id_token(&token, &pending.nonce, now(), None).is_ok());
    let mut parts = token.split('.');
    let (header, body, signature) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());

    // HS256 keyed with our client secret (key confusion): refused, whatever the MAC.
    let hs_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{hs_header}.{body}").as_bytes());
    let hs = format!("{hs_header}.{body}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()));
    assert_eq!(
        c.verify_id_token(&hs, &pending.nonce, now(), None),
        Err(OidcError::UnsupportedAlgorithm("HS256".into()))
    );

    // A changed claim under the provider's signature.
    let mut claims = payload(&token);
    claims["sub"] = "bob".into();
    let forged = format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    assert_eq!(c.verify_id_token(&forged, &pending.nonce, now(), None), Err(OidcError::BadSignature));

    // Garbage.
    assert!(matches!(c.verify_id_token("not.a.jwt", &pending.nonce, now(), None), Err(OidcError::Other(_))));
}

#[tokio::test]
async fn expired_token_is_refused() {
    let Some(p) = start_provider().await else { return };
    let c = client(&p, "c981", SECRET).await;
    let (token, pending) = raw_id_token(&p, &c, "c981", SECRET, BeginOptions::login()).await;
    let exp = payload(&token)["exp"].as_i64().expect("exp");
    assert_eq!(c.verify_id_token(&token, &pending.nonce, now() + 2 * 3600, None), Err(OidcError::TokenExpired));
    // 60 s of clock skew is allowed, not more.
    assert!(c.verify_id_token(&token, &pending.nonce, exp + 59, None).is_ok());
    assert_eq!(c.verify_id_token(&token, &pending.nonce, exp + 61, None), Err(OidcError::TokenExpired));
    // Issued in the future (our clock far behind the provider's).
    let iat = payload(&token)["iat"].as_i64().expect("iat");
    assert!(matches!(c.verify_id_token(&token, &pending.nonce, iat - 3600, None), Err(OidcError::Other(_))));
}

#[tokio::test]
async fn wrong_pkce_verifier_is_refused() {
    let Some(p) = start_provider().await else { return };
    let c = client(&p, "c981", SECRET).await;
    let (url, mut pending) = c.begin(BeginOptions::login(), now());
    let cb = Browser::new().authorize(&url, "alice").await;
    let (_, other) = c.begin(BeginOptions::login(), now());
    pending.pkce_verifier = other.pkce_verifier;
    match c.complete(&pending, &cb.state, &cb.code, now()).await {
        Err(OidcError::TokenExchange(m)) => assert!(m.contains("invalid_grant"), "{m}"),
        other => panic!("expected TokenExchange, got {other:?}"),
    }
}

#[tokio::test]
async fn code_is_single_use() {
    let Some(p) = start_provider().await else { return };
    let c = client(&p, "c981", SECRET).await;
    let (url, pending) = c.begin(BeginOptions::login(), now());
    let cb = Browser::new().authorize(&url, "alice").await;
    assert!(c.complete(&pending, &cb.state, &cb.code, now()).await.is_ok());
    assert!(matches!(c.complete(&pending, &cb.state, &cb.code, now()).await, Err(OidcError::TokenExchange(_))));
}

#[tokio::test]
async fn wrong_client_secret_is_refused() {
    let Some(p) = start_provider().await else { return };
    let c = client(&p, "c981", "not-the-secret").await;
    let (url, pending) = c.begin(BeginOptions::login(), now());
    let cb = Browser::new().authorize(&url, "alice").await;
    let err = c.complete(&pending, &cb.state, &cb.code, now()).await.unwrap_err();
    assert!(matches!(&err, OidcError::TokenExchange(m) if m.contains("invalid_client")), "{err:?}");
    assert!(!err.to_string().contains("not-the-secret"));
}

#[tokio::test]
async fn reauthentication_forces_a_fresh_login() {
    let Some(p) = start_provider().await else { return };
    let c = client(&p, "c981", SECRET).await;
    let browser = Browser::new();
    // A session at the provider already exists...
    let (first, _) = login(&c, &browser, "bob", BeginOptions::login()).await;
    assert_eq!(first.groups, ["c981-admins"]);
    // ...and a plain login reuses it without a prompt.
    let (_, again) = login(&c, &browser, "bob", BeginOptions::login()).await;
    assert!(again.prompts.is_empty(), "{:?}", again.prompts);

    // Before a signature: prompt=login and max_age=0.
    let (url, pending) = c.begin(BeginOptions::reauthenticate(), now());
    let q: std::collections::HashMap<String, String> =
        reqwest::Url::parse(&url).unwrap().query_pairs().into_owned().collect();
    assert_eq!(q.get("prompt").map(String::as_str), Some("login"));
    assert_eq!(q.get("max_age").map(String::as_str), Some("0"));
    assert_eq!(pending.max_age, Some(0));
    let cb = browser.authorize(&url, "bob").await;
    assert_eq!(cb.prompts, ["login"], "the provider asked for the login again");
    let id = c.complete(&pending, &cb.state, &cb.code, now()).await.expect("complete");
    assert_eq!(id.subject, "bob");
    let auth_time = id.auth_time.expect("auth_time");
    assert!(auth_time >= pending.created_unix - 1 && auth_time <= now() + 1, "fresh: {auth_time}");
}

#[tokio::test]
async fn old_authentication_is_refused_when_max_age_is_asked() {
    let Some(p) = start_provider().await else { return };
    let c = client(&p, "c981", SECRET).await;
    let opts = BeginOptions { force_login: false, max_age: Some(300) };
    let (token, pending) = raw_id_token(&p, &c, "c981", SECRET, opts).await;
    let auth_time = payload(&token)["auth_time"].as_i64().expect("auth_time");
    assert!(c.verify_id_token(&token, &pending.nonce, now(), Some(300)).is_ok());
    // Ten minutes later the same authentication is older than 300 s (+60 s skew).
    let later = auth_time + 600;
    assert_eq!(c.verify_id_token(&token, &pending.nonce, later, Some(300)), Err(OidcError::AuthTooOld));
    assert!(c.verify_id_token(&token, &pending.nonce, later, None).is_ok(), "no max_age, no check");
    assert!(c.verify_id_token(&token, &pending.nonce, auth_time + 359, Some(300)).is_ok());
}
