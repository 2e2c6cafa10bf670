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
        }
    }
}

const KEYS: &[&str] = &["data_dir", "database", "listen", "log_format", "log_level", "audit_key", "max_connections"];

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
            let known = KEYS.contains(&key.as_str())
                || key == "config"
                || k.starts_with("C981_TEST")
                || k == "C981_REQUIRE_POSTGRES";
            if !known {
                warnings.push(format!("unknown environment variable {k} ignored"));
            }
        }
        fig = fig.merge(Env::prefixed("C981_").only(KEYS)).merge(Serialized::defaults(overrides));
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

    /// The listen address, refusing anything but loopback (there is no login yet).
    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        let addr: SocketAddr = match self.listen.parse() {
            Ok(a) => a,
            Err(_) => {
                use std::net::ToSocketAddrs;
                let addrs: Vec<SocketAddr> = self
                    .listen
                    .to_socket_addrs()
                    .with_context(|| format!("listen: {:?} is not an address like 127.0.0.1:8981", self.listen))?
                    .collect();
                let Some(first) = addrs.first() else { bail!("listen: {:?} resolves to no address", self.listen) };
                if addrs.iter().any(|a| !a.ip().is_loopback()) {
                    bail!(
                        "listen: {:?} resolves to a non-loopback address; until login exists, Connect 981 serves loopback only",
                        self.listen
                    );
                }
                *first
            }
        };
        if !addr.ip().is_loopback() {
            bail!(
                "listen: {addr} is not a loopback address; until accounts and login exist, Connect 981 refuses to serve beyond this machine (use 127.0.0.1 or [::1], and a reverse proxy or SSH tunnel to reach it)"
            );
        }
        Ok(addr)
    }

    /// The configuration as TOML with secrets redacted.
    pub fn redacted_toml(&self) -> String {
        let mut c = self.clone();
        c.database = redact(&c.database);
        toml::to_string_pretty(&c).unwrap_or_default()
    }
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

# Address the web UI and API listen on. Until login exists, loopback only.
listen = "127.0.0.1:8981"

# Logs: "text" for people, "json" for a log collector; the level as a tracing filter.
log_format = "text"
log_level = "info"

# The Ed25519 key that signs audit checkpoints. Empty: <data_dir>/audit-signing.key,
# created on first use, readable by its owner only. Keep a copy of the public key (printed
# in every checkpoint) where the database administrators cannot change it.
audit_key = ""

# Database connections for reads.
max_connections = 8
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
    fn only_loopback_addresses_may_be_served_before_login_exists() {
        let mut c = Config::default();
        assert!(c.listen_addr().is_ok());
        c.listen = "[::1]:8981".into();
        assert!(c.listen_addr().is_ok());
        c.listen = "0.0.0.0:8981".into();
        assert!(c.listen_addr().unwrap_err().to_string().contains("loopback"));
        c.listen = "192.0.2.10:8981".into();
        assert!(c.listen_addr().is_err());
    }

    #[test]
    fn the_example_configuration_parses_into_the_defaults() {
        let c: Config = toml::from_str(EXAMPLE).unwrap();
        assert_eq!(c.listen, Config::default().listen);
        assert_eq!(c.max_connections, 8);
    }
}
