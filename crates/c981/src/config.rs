//! Layered configuration: defaults, then a TOML file, then `C981_*` environment variables,
//! then command-line flags. Unknown keys are warned about; secrets (a password in the
//! database URL) are never printed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The settings of a `c981` process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Where the SQLite database, the audit signing key and other files live.
    pub data_dir: PathBuf,
    /// Database URL; empty means SQLite in the data directory. `postgres://…` for PostgreSQL.
    pub database: String,
    /// Address `serve` listens on. Until login exists, only loopback addresses are accepted.
    pub listen: String,
    /// `text` or `json`.
    pub log_format: String,
    /// A tracing filter, e.g. `info` or `c981=debug,info`.
    pub log_level: String,
    /// Path of the Ed25519 key that signs audit checkpoints; empty means
    /// `<data_dir>/audit-signing.key`.
    pub audit_key: String,
    /// Database connections for reads.
    pub max_connections: u32,
    /// The address users reach the server at (`https://c981.example.com`), for links in
    /// one-time password e-mails and the CLI; empty: taken from each request.
    pub public_url: String,
    /// TLS served by `serve` itself.
    pub tls: TlsConfig,
    /// Logins, sessions, second factors, signatures.
    pub auth: AuthConfig,
    /// Single sign-on with OpenID Connect.
    pub oidc: OidcConfig,
    /// Passive discovery from Sparkplug B births on an MQTT broker.
    pub sparkplug: SparkplugConfig,
}

/// `[sparkplug]`: the broker to listen on, and where discovered assets go. An empty `host`
/// turns discovery off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SparkplugConfig {
    pub host: String,
    pub port: u16,
    /// "3.1.1" or "5".
    pub mqtt_version: String,
    /// Unique on the broker; empty: `c981-<host name>-<process id>`.
    pub client_id: String,
    pub username: String,
    /// Secret: prefer `password_file` or the C981_SPARKPLUG_PASSWORD variable.
    pub password: String,
    pub password_file: String,
    /// TLS to the broker: the CA that signs its certificate (PEM); empty: plain MQTT.
    pub ca_file: String,
    pub client_cert_file: String,
    pub client_key_file: String,
    /// The name the broker's certificate carries, when it is not `host`.
    pub server_name: String,
    /// Topic filters (default: every Sparkplug B group).
    pub topics: Vec<String>,
    /// An MQTT 5 shared subscription group: instances with the same group split the messages.
    pub shared_group: String,
    /// The site (code) of assets whose group has no site in `group_sites`.
    pub site: String,
    /// Sparkplug group id → site code, for a broker shared by several plants.
    pub group_sites: std::collections::BTreeMap<String, String>,
    /// Metric name → asset field (vendor, model, serial, firmware, os, os_version,
    /// description, ip_address, mac_address), in addition to the conventional names.
    pub mapping: std::collections::BTreeMap<String, String>,
    /// Largest MQTT packet accepted, in bytes (birth certificates can be large).
    pub max_packet_bytes: usize,
    /// Allow publishing (rebirth requests). Off: Connect 981 never publishes anything.
    pub allow_publish: bool,
}

impl Default for SparkplugConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 1883,
            mqtt_version: "3.1.1".into(),
            client_id: String::new(),
            username: String::new(),
            password: String::new(),
            password_file: String::new(),
            ca_file: String::new(),
            client_cert_file: String::new(),
            client_key_file: String::new(),
            server_name: String::new(),
            topics: vec!["spBv1.0/#".into()],
            shared_group: String::new(),
            site: String::new(),
            group_sites: Default::default(),
            mapping: Default::default(),
            max_packet_bytes: 4 * 1024 * 1024,
            allow_publish: false,
        }
    }
}

/// `[tls]`: certificate and key files (PEM), reloaded when they change or on SIGHUP.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: String,
    pub key: String,
}

/// `[auth]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub idle_timeout_minutes: i64,
    pub absolute_timeout_hours: i64,
    /// Roles whose holders must enrol a second factor (TOTP).
    pub mfa_roles: Vec<String>,
    /// Refuse approvals signed by the record's last author.
    pub four_eyes: bool,
    /// Failed logins per account (and per source address) within 15 minutes before logins
    /// are refused for the rest of the window.
    pub max_failures_per_account: i64,
    pub max_failures_per_source: i64,
    /// Reverse proxies whose `X-Forwarded-For` is believed (addresses or networks).
    pub trusted_proxies: Vec<String>,
    pub password_min_length: usize,
    /// A file of further forbidden passwords (one per line), e.g. a breached-password list.
    pub forbidden_passwords_file: String,
    /// How long one-time password links live.
    pub link_hours: i64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            idle_timeout_minutes: 30,
            absolute_timeout_hours: 12,
            mfa_roles: vec!["administrator".into()],
            four_eyes: true,
            max_failures_per_account: 5,
            max_failures_per_source: 30,
            trusted_proxies: Vec::new(),
            password_min_length: 12,
            forbidden_passwords_file: String::new(),
            link_hours: 24,
        }
    }
}

/// `[oidc]`: empty `issuer` turns single sign-on off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    /// Secret: prefer `client_secret_file` or the C981_OIDC_CLIENT_SECRET variable.
    pub client_secret: String,
    pub client_secret_file: String,
    /// `https://<public address>/auth/oidc/callback`, registered at the provider.
    pub redirect_url: String,
    pub scopes: Vec<String>,
    pub groups_claim: String,
    /// Create an account at an unknown user's first login.
    pub auto_provision: bool,
    /// Group-to-role mappings; when given, roles follow the groups at every login.
    pub role_mapping: Vec<RoleMapping>,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            client_secret_file: String::new(),
            redirect_url: String::new(),
            scopes: vec!["openid".into(), "profile".into(), "email".into()],
            groups_claim: "groups".into(),
            auto_provision: false,
            role_mapping: Vec::new(),
        }
    }
}

/// `[[oidc.role_mapping]]`: members of `group` get `role` on `sites` (codes; empty: all).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleMapping {
    pub group: String,
    pub role: String,
    #[serde(default)]
    pub sites: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database: String::new(),
            listen: "127.0.0.1:8981".into(),
            log_format: "text".into(),
            log_level: "info".into(),
            audit_key: String::new(),
            max_connections: 8,
            public_url: String::new(),
            tls: TlsConfig::default(),
            auth: AuthConfig::default(),
            oidc: OidcConfig::default(),
            sparkplug: SparkplugConfig::default(),
        }
    }
}

const KEYS: &[&str] = &[
    "data_dir",
    "database",
    "listen",
    "log_format",
    "log_level",
    "audit_key",
    "max_connections",
    "public_url",
    "tls",
    "auth",
    "oidc",
    "sparkplug",
];
/// Flat keys that may come from `C981_<KEY>` variables.
const ENV_KEYS: &[&str] =
    &["data_dir", "database", "listen", "log_format", "log_level", "audit_key", "max_connections", "public_url"];

/// Flags that override the file and the environment (only those given).
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
}

/// Warnings found while loading, logged once logging is set up.
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads the layers. `file` is `--config`, else `C981_CONFIG`, else `<data_dir>/c981.toml`
    /// when it exists.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> anyhow::Result<Loaded> {
        let mut warnings = Vec::new();
        #[allow(clippy::disallowed_methods)]
        let env: Vec<(String, String)> = std::env::vars().filter(|(k, _)| k.starts_with("C981_")).collect();
        let env_file = env.iter().find(|(k, _)| k == "C981_CONFIG").map(|(_, v)| PathBuf::from(v));
        let file = file.map(Path::to_path_buf).or(env_file).or_else(|| {
            let data_dir = overrides
                .data_dir
                .clone()
                .or_else(|| env.iter().find(|(k, _)| k == "C981_DATA_DIR").map(|(_, v)| PathBuf::from(v)))
                .unwrap_or_else(|| Config::default().data_dir);
            let p = data_dir.join("c981.toml");
            p.exists().then_some(p)
        });
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = &file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the configuration file {}", path.display()))?;
            let table: toml::Table =
                toml::from_str(&text).with_context(|| format!("{}: not valid TOML", path.display()))?;
            for key in table.keys() {
                if !KEYS.contains(&key.as_str()) {
                    warnings.push(format!(
                        "{}: unknown setting {key:?} ignored (known: {})",
                        path.display(),
                        KEYS.join(", ")
                    ));
                }
            }
            fig = fig.merge(Toml::file(path));
        }
        for (k, _) in &env {
            let key = k.trim_start_matches("C981_").to_ascii_lowercase();
            let known = ENV_KEYS.contains(&key.as_str())
                || key == "config"
                || key == "oidc_client_secret"
                || key == "token"
                || key == "server"
                || k.starts_with("C981_TEST")
                || k == "C981_REQUIRE_POSTGRES";
            if !known {
                warnings.push(format!("unknown environment variable {k} ignored"));
            }
        }
        fig = fig
            .merge(Env::prefixed("C981_").only(ENV_KEYS))
            .merge(Env::raw().only(&["C981_OIDC_CLIENT_SECRET"]).map(|_| "oidc.client_secret".into()))
            .merge(Serialized::defaults(overrides));
        let config: Config = fig.extract().context("invalid configuration")?;
        config.validate()?;
        Ok(Loaded { config, warnings })
    }

    fn validate(&self) -> anyhow::Result<()> {
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("log_format: {:?} is not text or json", self.log_format);
        }
        if !self.database.is_empty() && c981_store::Backend::of_url(&self.database).is_err() {
            bail!("database: the URL must start with sqlite: or postgres:// (got {})", redact(&self.database));
        }
        if self.max_connections == 0 || self.max_connections > 256 {
            bail!("max_connections: must be 1 to 256");
        }
        if self.tls.cert.is_empty() != self.tls.key.is_empty() {
            bail!("tls: give both cert and key (PEM files), or neither");
        }
        for r in &self.auth.mfa_roles {
            c981_app::Role::parse(r).map_err(|e| anyhow::anyhow!("auth.mfa_roles: {e}"))?;
        }
        for p in &self.auth.trusted_proxies {
            parse_net(p).map_err(|e| anyhow::anyhow!("auth.trusted_proxies: {e}"))?;
        }
        if self.auth.idle_timeout_minutes < 1 || self.auth.absolute_timeout_hours < 1 {
            bail!("auth: idle_timeout_minutes and absolute_timeout_hours must be at least 1");
        }
        if !(8..=64).contains(&self.auth.password_min_length) {
            bail!("auth.password_min_length: must be 8 to 64");
        }
        if !self.oidc.issuer.is_empty() {
            if self.oidc.client_id.is_empty() || self.oidc.redirect_url.is_empty() {
                bail!("oidc: with an issuer, give client_id and redirect_url too");
            }
            for (i, m) in self.oidc.role_mapping.iter().enumerate() {
                c981_app::Role::parse(&m.role).map_err(|e| anyhow::anyhow!("oidc.role_mapping[{i}].role: {e}"))?;
            }
        }
        Ok(())
    }

    /// The database URL to use.
    pub fn database_url(&self) -> String {
        if self.database.is_empty() {
            format!("sqlite://{}", self.data_dir.join("c981.db").display())
        } else {
            self.database.clone()
        }
    }

    pub fn audit_key_path(&self) -> PathBuf {
        if self.audit_key.is_empty() { self.data_dir.join("audit-signing.key") } else { PathBuf::from(&self.audit_key) }
    }

    /// The listen address.
    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        match self.listen.parse() {
            Ok(a) => Ok(a),
            Err(_) => {
                use std::net::ToSocketAddrs;
                let addrs: Vec<SocketAddr> = self
                    .listen
                    .to_socket_addrs()
                    .with_context(|| format!("listen: {:?} is not an address like 127.0.0.1:8981", self.listen))?
                    .collect();
                addrs
                    .first()
                    .copied()
                    .ok_or_else(|| anyhow::anyhow!("listen: {:?} resolves to no address", self.listen))
            }
        }
    }

    /// The trusted proxies as networks.
    pub fn trusted_proxies(&self) -> Vec<ipnet::IpNet> {
        self.auth.trusted_proxies.iter().filter_map(|p| parse_net(p).ok()).collect()
    }

    /// The identity settings of the application.
    pub fn auth_settings(&self) -> anyhow::Result<c981_app::identity::AuthSettings> {
        let a = &self.auth;
        let mut policy = c981_auth::password::PasswordPolicy { min_len: a.password_min_length, ..Default::default() };
        if !a.forbidden_passwords_file.is_empty() {
            let text = std::fs::read_to_string(&a.forbidden_passwords_file)
                .with_context(|| format!("auth.forbidden_passwords_file: reading {}", a.forbidden_passwords_file))?;
            policy = policy.with_extra_list(c981_auth::password::load_extra_list(&text));
        }
        Ok(c981_app::identity::AuthSettings {
            idle_timeout_secs: a.idle_timeout_minutes * 60,
            absolute_timeout_secs: a.absolute_timeout_hours * 3600,
            mfa_roles: a.mfa_roles.iter().filter_map(|r| c981_app::Role::parse(r).ok()).collect(),
            four_eyes: a.four_eyes,
            account_failures: a.max_failures_per_account,
            source_failures: a.max_failures_per_source,
            link_ttl_secs: a.link_hours * 3600,
            password_policy: policy,
            ..Default::default()
        })
    }

    /// The OpenID Connect client secret (from the file when given).
    pub fn oidc_client_secret(&self) -> anyhow::Result<Option<String>> {
        if !self.oidc.client_secret_file.is_empty() {
            let s = std::fs::read_to_string(&self.oidc.client_secret_file)
                .with_context(|| format!("oidc.client_secret_file: reading {}", self.oidc.client_secret_file))?;
            return Ok(Some(s.trim().to_owned()));
        }
        Ok((!self.oidc.client_secret.is_empty()).then(|| self.oidc.client_secret.clone()))
    }

    /// The Sparkplug listener's settings, or `None` when discovery is not configured.
    pub fn sparkplug_client(&self) -> anyhow::Result<Option<c981_sparkplug::ClientConfig>> {
        let sp = &self.sparkplug;
        if sp.host.is_empty() {
            return Ok(None);
        }
        if sp.site.is_empty() {
            anyhow::bail!("sparkplug.site: give the code of the site discovered assets belong to");
        }
        let client_id = if sp.client_id.is_empty() {
            let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
            format!("c981-{}-{}", host.trim(), std::process::id())
        } else {
            sp.client_id.clone()
        };
        let mut c = c981_sparkplug::ClientConfig::new(&sp.host, sp.port, client_id);
        c.protocol = match sp.mqtt_version.as_str() {
            "3.1.1" | "3" | "4" => c981_sparkplug::Protocol::V311,
            "5" | "5.0" => c981_sparkplug::Protocol::V5,
            other => anyhow::bail!("sparkplug.mqtt_version: {other:?} is not one of \"3.1.1\", \"5\""),
        };
        if !sp.username.is_empty() {
            c.username = Some(sp.username.clone());
        }
        #[allow(clippy::disallowed_methods)]
        let env_password = std::env::var("C981_SPARKPLUG_PASSWORD").ok().filter(|p| !p.is_empty());
        let password = if !sp.password_file.is_empty() {
            Some(
                std::fs::read_to_string(&sp.password_file)
                    .with_context(|| format!("sparkplug.password_file: reading {}", sp.password_file))?
                    .trim()
                    .to_owned(),
            )
        } else {
            env_password.or_else(|| (!sp.password.is_empty()).then(|| sp.password.clone()))
        };
        if let Some(p) = password {
            if c.username.is_none() {
                anyhow::bail!("sparkplug.password needs sparkplug.username");
            }
            c.password = Some(c981_sparkplug::client::Password::new(p));
        }
        if !sp.ca_file.is_empty() {
            c.tls = Some(c981_sparkplug::client::TlsConfig {
                ca_file: sp.ca_file.clone().into(),
                client_cert_file: (!sp.client_cert_file.is_empty()).then(|| sp.client_cert_file.clone().into()),
                client_key_file: (!sp.client_key_file.is_empty()).then(|| sp.client_key_file.clone().into()),
                server_name: (!sp.server_name.is_empty()).then(|| sp.server_name.clone()),
            });
        }
        if !sp.topics.is_empty() {
            c.topic_filters = sp.topics.clone();
        }
        c.shared_group = (!sp.shared_group.is_empty()).then(|| sp.shared_group.clone());
        c.max_packet_size = sp.max_packet_bytes.max(64 * 1024);
        c.limits.max_payload_bytes = c.max_packet_size;
        c.allow_publish = sp.allow_publish;
        let mut extra = Vec::new();
        for (metric, field) in &sp.mapping {
            let f = c981_sparkplug::Field::parse(field)
                .map_err(|e| anyhow::anyhow!("sparkplug.mapping.{metric:?}: {e}"))?;
            extra.push((metric.clone(), f));
        }
        if !extra.is_empty() {
            c.mapping = c981_sparkplug::Mapping::with_defaults(extra);
        }
        Ok(Some(c))
    }

    /// The configuration as TOML with secrets redacted.
    pub fn redacted_toml(&self) -> String {
        let mut c = self.clone();
        c.database = redact(&c.database);
        if !c.oidc.client_secret.is_empty() {
            c.oidc.client_secret = "***".into();
        }
        if !c.sparkplug.password.is_empty() {
            c.sparkplug.password = "***".into();
        }
        toml::to_string_pretty(&c).unwrap_or_default()
    }
}

fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<ipnet::IpNet>() {
        return Ok(n);
    }
    s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from).map_err(|_| format!("{s:?} is not an address or network"))
}

/// A URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &creds[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The example configuration `c981 config example` prints.
pub const EXAMPLE: &str = r#"# Connect 981 configuration. Every setting can also be given as an environment variable
# (C981_<NAME>, e.g. C981_DATABASE) or a command-line flag; flags win over the environment,
# the environment over this file, this file over the defaults shown here.

# Where the SQLite database, the audit signing key and other files live.
data_dir = "data"

# Database URL. Empty: SQLite in the data directory (c981.db).
# PostgreSQL: "postgres://c981:PASSWORD@db.example.internal:5432/c981" (the password is
# never printed or logged).
database = ""

# Address the web UI and API listen on. Everything but /healthz needs a login. Beyond
# loopback, serve TLS yourself ([tls] below) or put a TLS reverse proxy in front.
listen = "127.0.0.1:8981"

# The address users reach Connect 981 at, for one-time links; empty: from each request.
public_url = ""

# Logs: "text" for people, "json" for a log collector; the level as a tracing filter.
log_format = "text"
log_level = "info"

# The Ed25519 key that signs audit checkpoints. Empty: <data_dir>/audit-signing.key,
# created on first use, readable by its owner only. Keep a copy of the public key (printed
# in every checkpoint) where the database administrators cannot change it.
audit_key = ""

# Database connections for reads.
max_connections = 8

[tls]
# PEM certificate chain and private key; reloaded on SIGHUP and when the files change.
cert = ""
key = ""

[auth]
idle_timeout_minutes = 30
absolute_timeout_hours = 12
# Roles whose holders must enrol a second factor (TOTP) before they can work.
mfa_roles = ["administrator"]
# Nobody approves (signs as approved, reviewed, verified, risk accepted) their own work.
four_eyes = true
# Failed logins within 15 minutes before further attempts are refused.
max_failures_per_account = 5
max_failures_per_source = 30
# Reverse proxies whose X-Forwarded-For is believed, e.g. ["10.0.0.5", "fd00::/64"].
trusted_proxies = []
password_min_length = 12
# A file of further forbidden passwords, one per line (e.g. a breached-password list).
forbidden_passwords_file = ""
# How long one-time password links live.
link_hours = 24

[oidc]
# Single sign-on with OpenID Connect; an empty issuer turns it off.
issuer = ""
client_id = ""
# Prefer client_secret_file or the C981_OIDC_CLIENT_SECRET environment variable.
client_secret = ""
client_secret_file = ""
redirect_url = ""          # https://<public address>/auth/oidc/callback
scopes = ["openid", "profile", "email"]
groups_claim = "groups"
auto_provision = false
# [[oidc.role_mapping]]
# group = "ot-security-lyon"
# role = "site_engineer"
# sites = ["LYO"]          # empty: all sites

[sparkplug]
# Passive discovery from Sparkplug B births and deaths (c981 serve, or c981 discover
# sparkplug). An empty host turns it off. Connect 981 subscribes only; it publishes nothing
# unless allow_publish is true.
host = ""
port = 1883
mqtt_version = "3.1.1"     # or "5"
client_id = ""             # empty: c981-<host>-<pid>
username = ""
password = ""              # prefer password_file or C981_SPARKPLUG_PASSWORD
password_file = ""
ca_file = ""               # TLS: the CA of the broker's certificate (PEM)
client_cert_file = ""
client_key_file = ""
server_name = ""
topics = ["spBv1.0/#"]
shared_group = ""          # MQTT 5 shared subscription: instances split the load
site = ""                  # the site code of discovered assets
max_packet_bytes = 4194304
allow_publish = false
# [sparkplug.group_sites]
# "Lyon-Fill" = "LYO"
# [sparkplug.mapping]
# "Device Info/Firmware Rev" = "firmware"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_a_database_url_is_redacted() {
        assert_eq!(redact("postgres://c981:s3cret@db:5432/c981"), "postgres://c981:***@db:5432/c981");
        assert_eq!(redact("postgres://c981@db/c981"), "postgres://c981@db/c981");
        assert_eq!(redact("sqlite://data/c981.db"), "sqlite://data/c981.db");
    }

    #[test]
    fn the_sparkplug_section_becomes_the_listener_settings_and_bad_values_are_named() {
        let mut c = Config::default();
        assert!(c.sparkplug_client().unwrap().is_none(), "no host: discovery off");
        c.sparkplug.host = "mqtt.plant3.example".into();
        assert!(c.sparkplug_client().unwrap_err().to_string().contains("sparkplug.site"));
        c.sparkplug.site = "P3".into();
        c.sparkplug.port = 8883;
        c.sparkplug.mqtt_version = "5".into();
        c.sparkplug.username = "c981".into();
        c.sparkplug.password = "s3cret".into();
        c.sparkplug.ca_file = "/etc/c981/ca.pem".into();
        c.sparkplug.shared_group = "c981".into();
        c.sparkplug.mapping.insert("Device Info/Firmware Rev".into(), "firmware".into());
        let l = c.sparkplug_client().unwrap().unwrap();
        assert_eq!((l.host.as_str(), l.port), ("mqtt.plant3.example", 8883));
        assert_eq!(l.protocol, c981_sparkplug::Protocol::V5);
        assert_eq!(l.subscriptions(), vec!["$share/c981/spBv1.0/#".to_owned()]);
        assert!(l.tls.is_some() && !l.allow_publish);
        assert_eq!(l.password.as_ref().map(|p| p.expose()), Some("s3cret"));
        assert!(!c.redacted_toml().contains("s3cret"), "the password is never shown");
        c.sparkplug.mqtt_version = "6".into();
        assert!(c.sparkplug_client().unwrap_err().to_string().contains("sparkplug.mqtt_version"));
        c.sparkplug.mqtt_version = "3.1.1".into();
        c.sparkplug.username = String::new();
        assert!(c.sparkplug_client().unwrap_err().to_string().contains("needs sparkplug.username"));
        c.sparkplug.username = "c981".into();
        c.sparkplug.mapping.insert("X".into(), "colour".into());
        assert!(c.sparkplug_client().unwrap_err().to_string().contains("sparkplug.mapping"));
    }

    #[test]
    fn listen_addresses_parse_and_bad_ones_are_named() {
        let mut c = Config::default();
        assert!(c.listen_addr().is_ok());
        c.listen = "[::1]:8981".into();
        assert!(c.listen_addr().is_ok());
        c.listen = "0.0.0.0:8981".into();
        assert!(c.listen_addr().is_ok());
        c.listen = "no port".into();
        assert!(c.listen_addr().unwrap_err().to_string().contains("listen"));
    }

    #[test]
    fn identity_settings_are_checked() {
        let mut c = Config::default();
        c.auth.mfa_roles = vec!["superuser".into()];
        assert!(c.validate().unwrap_err().to_string().contains("auth.mfa_roles"));
        let mut c = Config::default();
        c.auth.trusted_proxies = vec!["10.0.0.0/8".into(), "192.0.2.1".into()];
        assert!(c.validate().is_ok());
        assert_eq!(c.trusted_proxies().len(), 2);
        c.auth.trusted_proxies = vec!["proxy.local".into()];
        assert!(c.validate().unwrap_err().to_string().contains("trusted_proxies"));
        let mut c = Config::default();
        c.tls.cert = "cert.pem".into();
        assert!(c.validate().unwrap_err().to_string().contains("tls"));
        let mut c = Config::default();
        c.oidc.issuer = "https://idp.example".into();
        assert!(c.validate().unwrap_err().to_string().contains("client_id"));
        c.oidc.client_id = "c981".into();
        c.oidc.redirect_url = "https://c981.example/auth/oidc/callback".into();
        c.oidc.client_secret = "hunter2-very-secret".into();
        assert!(c.validate().is_ok());
        assert!(!c.redacted_toml().contains("hunter2"));
    }

    #[test]
    fn the_example_configuration_parses_into_the_defaults() {
        let c: Config = toml::from_str(EXAMPLE).unwrap();
        assert_eq!(c.listen, Config::default().listen);
        assert_eq!(c.max_connections, 8);
    }
}
