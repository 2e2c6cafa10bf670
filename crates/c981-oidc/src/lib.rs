//! OpenID Connect relying party: login, and re-authentication at signing time.
//!
//! The authorization code flow with PKCE (S256), as in OpenID Connect Core 1.0 §3.1:
//!
//! 1. [`OidcClient::discover`] reads the provider's discovery document and its signing keys
//!    (JWKS) once; the `issuer` in the document must equal the configured one exactly.
//! 2. [`OidcClient::begin`] makes the authorization URL to send the browser to, and a
//!    [`PendingAuth`] (state, nonce, PKCE verifier) that the caller keeps **server-side**
//!    (database), keyed by its `state`, for at most [`PENDING_TTL_SECS`].
//! 3. When the browser comes back to the redirect URL with `code` and `state`, the caller looks
//!    the pending authentication up by `state` (and deletes it: it is single use) and calls
//!    [`OidcClient::complete`], which checks the state in constant time, redeems the code with
//!    the PKCE verifier and verifies the ID token.
//!
//! The ID token is accepted only when all of these hold: signed with an asymmetric algorithm
//! (RS256, PS256, ES256 or EdDSA) that the provider advertises, by a key of its JWKS (`none`
//! and `HS*` are refused); `iss` equal to the configured issuer; `aud` containing our client id,
//! with `azp` equal to it when there are several audiences (any other audience is refused);
//! `exp` not passed and `iat` not in the future; the `nonce` ours; and, when a maximum
//! authentication age was asked for, an `auth_time` recent enough. Time comparisons allow
//! [`CLOCK_SKEW_SECS`] of clock skew. The current time is always passed in (`now_unix`), from
//! the application's injected clock.
//!
//! Re-authentication before a signature: `begin` with [`BeginOptions::reauthenticate`]
//! (`prompt=login`, `max_age=0`), then check [`OidcIdentity::subject`] against the signed-in
//! user and use [`OidcIdentity::auth_time`] as the proof of a fresh login.
//!
//! Network: HTTPS is required for the issuer and every endpoint, except on loopback hosts
//! (tests, a provider on the same machine). Redirects are never followed (as the
//! `openidconnect` crate requires) and every request has a timeout.
//!
//! Signing keys are fetched once by [`OidcClient::discover`]; after a key rotation at the
//! provider, discover again (verification then fails with [`OidcError::BadSignature`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClaimsVerificationError, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken, IdTokenClaims, IdTokenFields,
    IdTokenVerifier, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    SignatureVerificationError, StandardErrorResponse, StandardTokenResponse, TokenResponse as _,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use subtle::ConstantTimeEq as _;

/// Clock skew allowed in every time comparison, in seconds.
pub const CLOCK_SKEW_SECS: i64 = 60;
/// How long a [`PendingAuth`] stays valid, in seconds (10 minutes).
pub const PENDING_TTL_SECS: i64 = 600;
/// Bytes of randomness in `state` and `nonce` (256 bits), and in the PKCE verifier.
const RANDOM_BYTES: u32 = 32;
/// Signature algorithms we accept at all; the provider's advertised list narrows it further.
const ACCEPTED_ALGS: [CoreJwsSigningAlgorithm; 4] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EdDsa,
];
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest discovery document or JWKS we read.
const MAX_DOCUMENT_BYTES: usize = 512 * 1024;

/// What the relying party needs to know about the provider and itself.
#[derive(Clone)]
pub struct OidcSettings {
    /// The issuer identifier, exactly as the provider states it (`https://idp.example.com/realms/x`).
    pub issuer: String,
    /// Our client id at the provider.
    pub client_id: String,
    /// Our client secret (confidential client, `client_secret_basic`). Never logged.
    pub client_secret: Option<String>,
    /// Where the provider sends the browser back: must be registered at the provider.
    pub redirect_url: String,
    /// Scopes to ask for; `openid` is always sent. Default `openid profile email`.
    pub scopes: Vec<String>,
    /// The ID token claim that carries the user's groups (a string or an array of strings).
    /// Default `groups`.
    pub groups_claim: String,
}

impl OidcSettings {
    /// Settings with the default scopes (`openid profile email`) and groups claim (`groups`).
    pub fn new(
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Option<String>,
        redirect_url: impl Into<String>,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret,
            redirect_url: redirect_url.into(),
            scopes: ["openid", "profile", "email"].map(String::from).to_vec(),
            groups_claim: "groups".to_owned(),
        }
    }
}

impl fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("groups_claim", &self.groups_claim)
            .finish()
    }
}

/// How to start an authentication.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BeginOptions {
    /// Ask the provider to authenticate the user again even with a session there (`prompt=login`).
    pub force_login: bool,
    /// Maximum age in seconds of the user's authentication at the provider (`max_age`); the ID
    /// token must then carry an `auth_time` no older than that (before the request, with skew).
    pub max_age: Option<u64>,
}

impl BeginOptions {
    /// A plain login.
    pub fn login() -> Self {
        Self::default()
    }

    /// A fresh authentication, as before a signature: `prompt=login` and `max_age=0`.
    pub fn reauthenticate() -> Self {
        Self { force_login: true, max_age: Some(0) }
    }
}

/// An authentication in progress. Keep it server-side (never in the browser), keyed by
/// `state`, use it once, and drop it after [`PENDING_TTL_SECS`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuth {
    /// The `state` sent to the provider (43 characters, 256 bits).
    pub state: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE code verifier. Secret: redacted in `Debug`.
    pub pkce_verifier: String,
    /// The `max_age` that was asked for, checked against the ID token's `auth_time`.
    pub max_age: Option<u64>,
    /// When the authentication started (Unix seconds).
    pub created_unix: i64,
}

impl fmt::Debug for PendingAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingAuth")
            .field("state", &self.state)
            .field("nonce", &self.nonce)
            .field("pkce_verifier", &"<redacted>")
            .field("max_age", &self.max_age)
            .field("created_unix", &self.created_unix)
            .finish()
    }
}

/// Who the provider says signed in, from a verified ID token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcIdentity {
    /// The issuer (`iss`).
    pub issuer: String,
    /// The user's stable identifier at the issuer (`sub`): with `issuer`, the key to the user.
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub preferred_username: Option<String>,
    /// The groups from the configured groups claim (empty when absent).
    pub groups: Vec<String>,
    /// When the user last authenticated at the provider (Unix seconds), if stated.
    pub auth_time: Option<i64>,
}

/// Why an authentication failed. The messages name no secret and no token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    #[error("OpenID provider discovery failed: {0}")]
    Discovery(String),
    #[error("the returned state does not match the pending authentication")]
    StateMismatch,
    #[error("the pending authentication has expired (older than {PENDING_TTL_SECS} s); start again")]
    Expired,
    #[error("the code could not be redeemed at the token endpoint: {0}")]
    TokenExchange(String),
    #[error("wrong issuer: expected {expected:?}, found {found:?}")]
    WrongIssuer { expected: String, found: String },
    #[error("the ID token is not meant for this client (audience or authorized party)")]
    WrongAudience,
    #[error("the ID token's nonce does not match the pending authentication")]
    BadNonce,
    #[error("unsupported or refused ID token signature algorithm: {0}")]
    UnsupportedAlgorithm(String),
    #[error("the ID token's signature is not valid for the provider's keys")]
    BadSignature,
    #[error("the ID token has expired")]
    TokenExpired,
    #[error("the authentication at the provider is missing its time or is too old; sign in again")]
    AuthTooOld,
    #[error("OpenID Connect error: {0}")]
    Other(String),
}

/// Every claim beyond the standard ones (the groups claim is read from these).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct ExtraClaims {
    #[serde(flatten)]
    claims: serde_json::Map<String, Value>,
}
impl AdditionalClaims for ExtraClaims {}

type OurIdToken = IdToken<ExtraClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;
type OurClaims = IdTokenClaims<ExtraClaims, CoreGenderClaim>;
type OurTokenResponse = StandardTokenResponse<
    IdTokenFields<
        ExtraClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;
type InnerClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    OurTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A relying party bound to one provider. Cheap to clone (shared inside).
#[derive(Clone)]
pub struct OidcClient {
    inner: Arc<Inner>,
}

struct Inner {
    settings: OidcSettings,
    issuer: IssuerUrl,
    client: InnerClient,
    jwks: CoreJsonWebKeySet,
    /// The accepted algorithms the provider also advertises for ID tokens.
    algs: Vec<CoreJwsSigningAlgorithm>,
    http: reqwest::Client,
}

impl fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcClient")
            .field("issuer", &self.inner.settings.issuer)
            .field("client_id", &self.inner.settings.client_id)
            .field("algs", &self.inner.algs)
            .finish_non_exhaustive()
    }
}

impl OidcClient {
    /// Reads the provider's discovery document (`{issuer}/.well-known/openid-configuration`)
    /// and its JWKS. Refused: an issuer in the document that differs from `settings.issuer`
    /// ([`OidcError::WrongIssuer`]), plain HTTP off loopback, no token endpoint, no accepted
    /// signature algorithm advertised, an unusable redirect URL.
    pub async fn discover(settings: OidcSettings) -> Result<Self, OidcError> {
        let discovery = |m: &str| OidcError::Discovery(m.to_owned());
        if settings.client_id.is_empty() {
            return Err(discovery("client_id is empty"));
        }
        let issuer = IssuerUrl::new(settings.issuer.clone()).map_err(|e| discovery(&format!("issuer URL: {e}")))?;
        require_secure(issuer.url(), "issuer")?;
        let redirect =
            RedirectUrl::new(settings.redirect_url.clone()).map_err(|e| discovery(&format!("redirect URL: {e}")))?;

        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("c981-oidc/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| discovery(&format!("HTTP client: {e}")))?;

        let config_url = format!("{}/.well-known/openid-configuration", settings.issuer.trim_end_matches('/'));
        let metadata: CoreProviderMetadata = fetch_json(&http, &config_url, "discovery document").await?;
        if metadata.issuer().as_str() != settings.issuer {
            return Err(OidcError::WrongIssuer {
                expected: settings.issuer.clone(),
                found: metadata.issuer().as_str().to_owned(),
            });
        }
        require_secure(metadata.authorization_endpoint().url(), "authorization endpoint")?;
        let token_endpoint =
            metadata.token_endpoint().ok_or_else(|| discovery("the provider has no token endpoint"))?;
        require_secure(token_endpoint.url(), "token endpoint")?;
        require_secure(metadata.jwks_uri().url(), "jwks_uri")?;

        let algs: Vec<CoreJwsSigningAlgorithm> = ACCEPTED_ALGS
            .into_iter()
            .filter(|alg| metadata.id_token_signing_alg_values_supported().contains(alg))
            .collect();
        if algs.is_empty() {
            return Err(discovery(
                "the provider advertises no accepted ID token algorithm (RS256, PS256, ES256, EdDSA)",
            ));
        }

        let jwks: CoreJsonWebKeySet = fetch_json(&http, metadata.jwks_uri().as_str(), "JWKS").await?;
        if jwks.keys().is_empty() {
            return Err(discovery("the provider's JWKS has no usable key"));
        }
        let metadata = metadata.set_jwks(jwks.clone());
        let client = InnerClient::from_provider_metadata(
            metadata,
            ClientId::new(settings.client_id.clone()),
            settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect);

        Ok(Self { inner: Arc::new(Inner { settings, issuer, client, jwks, algs, http }) })
    }

    /// The settings this client was discovered with.
    pub fn settings(&self) -> &OidcSettings {
        &self.inner.settings
    }

    /// Starts an authentication at `now_unix`: returns the URL to redirect the browser to, and
    /// the [`PendingAuth`] to keep server-side until the browser returns.
    pub fn begin(&self, opts: BeginOptions, now_unix: i64) -> (String, PendingAuth) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256_len(RANDOM_BYTES);
        let mut request = self
            .inner
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                || CsrfToken::new_random_len(RANDOM_BYTES),
                || Nonce::new_random_len(RANDOM_BYTES),
            )
            .set_pkce_challenge(challenge);
        for scope in self.inner.settings.scopes.iter().filter(|s| s.as_str() != "openid" && !s.is_empty()) {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if opts.force_login {
            request = request.add_prompt(CoreAuthPrompt::Login);
        }
        if let Some(max_age) = opts.max_age {
            request = request.set_max_age(Duration::from_secs(max_age));
        }
        let (url, state, nonce) = request.url();
        let pending = PendingAuth {
            state: state.into_secret(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.into_secret(),
            max_age: opts.max_age,
            created_unix: now_unix,
        };
        (url.into(), pending)
    }

    /// Finishes an authentication: checks `returned_state` against `pending` (constant time)
    /// and its age, redeems `code` with the PKCE verifier, and verifies the ID token.
    pub async fn complete(
        &self,
        pending: &PendingAuth,
        returned_state: &str,
        code: &str,
        now_unix: i64,
    ) -> Result<OidcIdentity, OidcError> {
        if !bool::from(pending.state.as_bytes().ct_eq(returned_state.as_bytes())) {
            return Err(OidcError::StateMismatch);
        }
        let age = now_unix.saturating_sub(pending.created_unix);
        if !(-CLOCK_SKEW_SECS..=PENDING_TTL_SECS).contains(&age) {
            return Err(OidcError::Expired);
        }
        let exchange = |m: String| OidcError::TokenExchange(m);
        let response = self
            .inner
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| exchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.inner.http)
            .await
            .map_err(|e| exchange(describe_token_error(&e)))?;
        let id_token = response.id_token().ok_or_else(|| exchange("the token response has no id_token".to_owned()))?;
        // With max_age, the provider must have authenticated the user no earlier than max_age
        // before the request: measure from when the request was made.
        self.verify(id_token, &pending.nonce, now_unix, pending.max_age, pending.created_unix)
    }

    /// Verifies a compact-serialized ID token for this client: algorithm, signature, issuer,
    /// audience, expiry, issue time, `nonce`, and — with `max_age` — that `auth_time` is no
    /// older than `max_age` seconds before `now_unix`. Used by [`OidcClient::complete`].
    pub fn verify_id_token(
        &self,
        id_token: &str,
        nonce: &str,
        now_unix: i64,
        max_age: Option<u64>,
    ) -> Result<OidcIdentity, OidcError> {
        let token: OurIdToken = id_token.parse().map_err(|_| OidcError::Other("malformed ID token".to_owned()))?;
        self.verify(&token, nonce, now_unix, max_age, now_unix)
    }

    fn verify(
        &self,
        token: &OurIdToken,
        nonce: &str,
        now_unix: i64,
        max_age: Option<u64>,
        auth_reference_unix: i64,
    ) -> Result<OidcIdentity, OidcError> {
        let inner = &*self.inner;
        // Our own look at the unverified header and payload first, for precise refusals; the
        // library's verification below checks all of it again, with the signature.
        let (alg, unverified) = peek(&token.to_string())?;
        if !inner.algs.iter().any(|a| alg_name(a) == alg) {
            return Err(OidcError::UnsupportedAlgorithm(alg));
        }
        match unverified.get("iss").and_then(Value::as_str) {
            Some(iss) if iss == inner.settings.issuer => {}
            found => {
                return Err(OidcError::WrongIssuer {
                    expected: inner.settings.issuer.clone(),
                    found: found.unwrap_or("").to_owned(),
                });
            }
        }

        let exp_reference = unix_to_datetime(now_unix.saturating_sub(CLOCK_SKEW_SECS))?;
        let latest_iat = now_unix.saturating_add(CLOCK_SKEW_SECS);
        let earliest_auth = max_age.map(|m| {
            auth_reference_unix.saturating_sub(i64::try_from(m).unwrap_or(i64::MAX)).saturating_sub(CLOCK_SKEW_SECS)
        });
        let verifier = IdTokenVerifier::new_public_client(
            ClientId::new(inner.settings.client_id.clone()),
            inner.issuer.clone(),
            inner.jwks.clone(),
        )
        .set_allowed_algs(inner.algs.iter().cloned())
        // `exp` is compared with this time: `now - skew` accepts up to `skew` past expiry.
        .set_time_fn(move || exp_reference)
        .set_issue_time_verifier_fn(move |iat| {
            if iat.timestamp() > latest_iat { Err("issued in the future".to_owned()) } else { Ok(()) }
        })
        .set_auth_time_verifier_fn(move |auth_time| match (earliest_auth, auth_time) {
            (None, _) => Ok(()),
            (Some(_), None) => Err("auth_time missing".to_owned()),
            (Some(earliest), Some(t)) if t.timestamp() < earliest => Err("auth_time too old".to_owned()),
            (Some(_), Some(t)) if t.timestamp() > latest_iat => Err("auth_time in the future".to_owned()),
            _ => Ok(()),
        });
        let expected_nonce = Nonce::new(nonce.to_owned());
        let claims =
            token.claims(&verifier, &expected_nonce).map_err(|e| map_verification_error(e, &inner.settings.issuer))?;

        // Several audiences: `azp` must name us (openidconnect leaves azp to the caller; it has
        // already refused every other audience, as we trust none).
        let client_id = inner.settings.client_id.as_str();
        match claims.authorized_party() {
            Some(azp) if azp.as_str() != client_id => return Err(OidcError::WrongAudience),
            None if claims.audiences().len() > 1 => return Err(OidcError::WrongAudience),
            _ => {}
        }
        Ok(identity(claims, &inner.settings.groups_claim))
    }
}

fn identity(claims: &OurClaims, groups_claim: &str) -> OidcIdentity {
    let groups = match claims.additional_claims().claims.get(groups_claim) {
        Some(Value::String(g)) => vec![g.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    OidcIdentity {
        issuer: claims.issuer().as_str().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().to_owned()),
        email_verified: claims.email_verified(),
        name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned()),
        preferred_username: claims.preferred_username().map(|u| u.as_str().to_owned()),
        groups,
        auth_time: claims.auth_time().map(|t| t.timestamp()),
    }
}

fn map_verification_error(err: ClaimsVerificationError, expected_issuer: &str) -> OidcError {
    match err {
        ClaimsVerificationError::Expired(m) if m.contains("future") => OidcError::Other(format!("ID token {m}")),
        ClaimsVerificationError::Expired(_) => OidcError::TokenExpired,
        ClaimsVerificationError::InvalidAudience(_) => OidcError::WrongAudience,
        ClaimsVerificationError::InvalidAuthTime(_) => OidcError::AuthTooOld,
        ClaimsVerificationError::InvalidIssuer(m) => {
            OidcError::WrongIssuer { expected: expected_issuer.to_owned(), found: m }
        }
        ClaimsVerificationError::InvalidNonce(_) => OidcError::BadNonce,
        ClaimsVerificationError::SignatureVerification(e) => match e {
            SignatureVerificationError::DisallowedAlg(m) | SignatureVerificationError::UnsupportedAlg(m) => {
                OidcError::UnsupportedAlgorithm(m)
            }
            SignatureVerificationError::NoSignature => OidcError::UnsupportedAlgorithm("none".to_owned()),
            _ => OidcError::BadSignature,
        },
        other => OidcError::Other(other.to_string()),
    }
}

fn describe_token_error<RE: std::error::Error>(
    err: &RequestTokenError<RE, StandardErrorResponse<CoreErrorResponseType>>,
) -> String {
    match err {
        RequestTokenError::ServerResponse(e) => match e.error_description() {
            Some(d) => format!("{}: {d}", e.error().as_ref()),
            None => e.error().as_ref().to_owned(),
        },
        RequestTokenError::Request(e) => format!("request failed: {e}"),
        RequestTokenError::Parse(e, _) => format!("unreadable token response: {e}"),
        RequestTokenError::Other(m) => m.clone(),
    }
}

/// The `alg` of the header and the payload, unverified.
fn peek(compact: &str) -> Result<(String, serde_json::Map<String, Value>), OidcError> {
    let malformed = || OidcError::Other("malformed ID token".to_owned());
    let mut parts = compact.split('.');
    let (Some(header), Some(payload), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(malformed());
    };
    let decode = |part: &str| -> Result<serde_json::Map<String, Value>, OidcError> {
        let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed())?;
        serde_json::from_slice(&bytes).map_err(|_| malformed())
    };
    let alg = decode(header)?.get("alg").and_then(Value::as_str).ok_or_else(malformed)?.to_owned();
    Ok((alg, decode(payload)?))
}

fn alg_name(alg: &CoreJwsSigningAlgorithm) -> &'static str {
    match alg {
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256 => "RS256",
        CoreJwsSigningAlgorithm::RsaSsaPssSha256 => "PS256",
        CoreJwsSigningAlgorithm::EcdsaP256Sha256 => "ES256",
        CoreJwsSigningAlgorithm::EdDsa => "EdDSA",
        _ => "",
    }
}

fn unix_to_datetime(unix: i64) -> Result<DateTime<Utc>, OidcError> {
    DateTime::from_timestamp(unix, 0).ok_or_else(|| OidcError::Other("time out of range".to_owned()))
}

/// HTTPS, or plain HTTP to a loopback host only.
fn require_secure(url: &openidconnect::url::Url, what: &str) -> Result<(), OidcError> {
    use openidconnect::url::Host;
    let loopback = match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(OidcError::Discovery(format!("{what} must use https (plain http only on loopback): {url}"))),
    }
}

async fn fetch_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    what: &str,
) -> Result<T, OidcError> {
    let fail = |m: String| OidcError::Discovery(format!("{what} at {url}: {m}"));
    let mut response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if !response.status().is_success() {
        return Err(fail(format!("HTTP status {}", response.status())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| fail(e.to_string()))? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(fail("too large".to_owned()));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| fail(format!("unreadable: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let mut s = OidcSettings::new("https://idp.example", "c981", Some("s3cret".into()), "https://app/cb");
        s.scopes.push("groups".into());
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cret") && shown.contains("<redacted>"), "{shown}");
        let p = PendingAuth {
            state: "st".into(),
            nonce: "no".into(),
            pkce_verifier: "verifier-secret".into(),
            max_age: None,
            created_unix: 1,
        };
        assert!(!format!("{p:?}").contains("verifier-secret"));
    }

    #[test]
    fn defaults() {
        let s = OidcSettings::new("https://idp.example", "c981", None, "https://app/cb");
        assert_eq!(s.scopes, ["openid", "profile", "email"]);
        assert_eq!(s.groups_claim, "groups");
        assert_eq!(BeginOptions::reauthenticate(), BeginOptions { force_login: true, max_age: Some(0) });
    }

    #[test]
    fn only_https_or_loopback() {
        let ok = ["https://idp.example/x", "http://127.0.0.1:8080", "http://localhost/", "http://[::1]:1/"];
        for u in ok {
            assert!(require_secure(&u.parse().unwrap(), "t").is_ok(), "{u}");
        }
        for u in ["http://idp.example", "http://10.0.0.1", "ftp://127.0.0.1"] {
            assert!(matches!(require_secure(&u.parse().unwrap(), "t"), Err(OidcError::Discovery(_))), "{u}");
        }
    }

    #[test]
    fn peek_reads_alg_and_payload() {
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let p = URL_SAFE_NO_PAD.encode(br#"{"iss":"x"}"#);
        let (alg, payload) = peek(&format!("{h}.{p}.")).unwrap();
        assert_eq!(alg, "none");
        assert_eq!(payload["iss"], "x");
        assert!(peek("a.b").is_err());
        assert!(peek("a.b.c.d").is_err());
    }
}
