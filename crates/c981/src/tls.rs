//! TLS termination for `serve`: certificate and key files (PEM), reloadable without a restart.
//!
//! [`TlsListener`] is an [`axum::serve::Listener`]. A background task accepts TCP connections
//! and runs each TLS handshake in a task of its own (with a timeout), so a slow or silent client
//! never holds up the others; finished handshakes reach `accept()` through a bounded channel.
//! Each new connection uses the configuration current at its accept, which [`TlsReloader`]
//! replaces on demand, on SIGHUP, or when the files change; connections already open keep the
//! configuration they started with.
//!
//! For `ConnectInfo<SocketAddr>` wrap the listener as axum's own TCP listener is wrapped:
//! `listener.tap_io(|_| {})` (axum implements `Connected` for `TapIo` of any listener).

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, SystemTime};

use anyhow::{Context, anyhow};
use rustls::ServerConfig;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a client has to complete its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often [`TlsReloader::watch`] looks at the files' modification times.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(30);
/// Handshakes in progress at once; past this, accepting waits (the kernel's backlog queues).
const MAX_HANDSHAKES: usize = 1024;
/// Finished handshakes waiting for `accept()`.
const READY_QUEUE: usize = 64;

/// The certificate (chain) and private key files, PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The server's certificate first, then any intermediates.
    pub cert: PathBuf,
    /// Its private key (PKCS#8, PKCS#1 or SEC1; not encrypted).
    pub key: PathBuf,
}

/// Loads and checks the files now: errors name the file and what is wrong with it (unreadable,
/// no certificate, no private key, an encrypted or unsupported key, a key that does not match
/// the certificate).
pub fn load_server_config(files: &TlsFiles) -> anyhow::Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = read_certificates(&files.cert)?;
    let key_der = read_private_key(&files.key)?;
    let key = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| anyhow!("TLS private key {}: unsupported or invalid key: {e}", files.key.display()))?;
    let certified = CertifiedKey::new(chain, key);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            // A chain in the wrong order is a common slip: say so if a later certificate matches.
            let later = certified
                .cert
                .iter()
                .skip(1)
                .any(|c| CertifiedKey::new(vec![c.clone()], certified.key.clone()).keys_match().is_ok());
            let hint = if later { " (it matches a later certificate: the server's own must come first)" } else { "" };
            return Err(anyhow!(
                "TLS private key {} does not match the certificate in {}{hint}",
                files.key.display(),
                files.cert.display()
            ));
        }
        Err(e) => {
            return Err(anyhow!(
                "TLS certificate file {}: the first certificate is invalid: {e}",
                files.cert.display()
            ));
        }
    }
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("setting up TLS (protocol versions)")?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    // axum is built without HTTP/2 here.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read_certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading the TLS certificate file {}", path.display()))?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("TLS certificate file {}: invalid PEM: {e}", path.display()))?;
    if chain.is_empty() {
        let hint = if PrivateKeyDer::from_pem_slice(&bytes).is_ok() {
            "; it holds a private key: are the certificate and key files swapped?"
        } else {
            ""
        };
        return Err(anyhow!(
            "TLS certificate file {}: no certificate found (expected PEM \"BEGIN CERTIFICATE\" blocks{hint})",
            path.display()
        ));
    }
    Ok(chain)
}

fn read_private_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading the TLS private key file {}", path.display()))?;
    match PrivateKeyDer::from_pem_slice(&bytes) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) => {
            let hint = if contains(&bytes, b"-----BEGIN ENCRYPTED PRIVATE KEY-----") {
                "; it is encrypted: decrypt it, e.g. with `openssl pkey`"
            } else if CertificateDer::pem_slice_iter(&bytes).next().is_some() {
                "; it holds a certificate: are the certificate and key files swapped?"
            } else {
                ""
            };
            Err(anyhow!(
                "TLS private key file {}: no private key found (expected a PEM \"BEGIN PRIVATE KEY\", \
                 \"BEGIN RSA PRIVATE KEY\" or \"BEGIN EC PRIVATE KEY\" block{hint})",
                path.display()
            ))
        }
        Err(e) => Err(anyhow!("TLS private key file {}: invalid PEM: {e}", path.display())),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The files and the configuration in force, shared by the listener and its reloaders.
#[derive(Debug)]
struct Shared {
    files: TlsFiles,
    config: RwLock<Arc<ServerConfig>>,
}

impl Shared {
    fn current(&self) -> Arc<ServerConfig> {
        self.config.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A TLS listener for `axum::serve`; see the module documentation.
#[derive(Debug)]
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local_addr: SocketAddr,
    acceptor: tokio::task::AbortHandle,
}

impl TlsListener {
    /// Loads the files (failing as [`load_server_config`] does) and starts accepting on `tcp`.
    /// Must be called inside a Tokio runtime. The listener stops accepting (and closes `tcp`)
    /// when it is dropped, as `axum::serve` does at graceful shutdown.
    pub fn new(tcp: TcpListener, files: TlsFiles) -> anyhow::Result<(Self, TlsReloader)> {
        let runtime = tokio::runtime::Handle::try_current().context("TlsListener::new needs a Tokio runtime")?;
        let config = load_server_config(&files)?;
        let local_addr = tcp.local_addr().context("the TLS listener's local address")?;
        let shared = Arc::new(Shared { files, config: RwLock::new(config) });
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        let acceptor = runtime.spawn(accept_loop(tcp, shared.clone(), tx)).abort_handle();
        Ok((Self { ready, local_addr, acceptor }, TlsReloader { shared }))
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept task only ends when aborted, which drops this listener first; should it
            // ever end otherwise (a panic), accept nothing rather than spin.
            None => {
                tracing::error!("the TLS accept task has stopped; no new connections are accepted");
                std::future::pending().await
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

async fn accept_loop(tcp: TcpListener, shared: Arc<Shared>, ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>) {
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(permit) = handshakes.clone().acquire_owned().await else { return };
        let (stream, peer) = match tcp.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // As axum's own TCP listener does: a failed connection is the peer's business;
                // anything else (e.g. out of file descriptors) is logged and retried after a pause.
                if !matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset
                ) {
                    tracing::error!(error = %e, "accept error");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                continue;
            }
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let acceptor = TlsAcceptor::from(shared.current());
        let handoff = ready.clone();
        tokio::spawn(async move {
            let result = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
            drop(permit);
            match result {
                Ok(Ok(tls)) => {
                    // Fails only when the listener is gone (shutting down): the connection drops.
                    let _ = handoff.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
        if ready.is_closed() {
            return;
        }
    }
}

/// Reloads the certificate and key files for new connections; cheap to clone.
#[derive(Debug, Clone)]
pub struct TlsReloader {
    shared: Arc<Shared>,
}

impl TlsReloader {
    /// The files this reloader reads.
    pub fn files(&self) -> &TlsFiles {
        &self.shared.files
    }

    /// Loads the files again and, if they are good, uses them for new connections. A failure is
    /// logged (naming the file) and returned, and the configuration in force stays.
    pub fn reload(&self) -> anyhow::Result<()> {
        match load_server_config(&self.shared.files) {
            Ok(config) => {
                *self.shared.config.write().unwrap_or_else(|e| e.into_inner()) = config;
                tracing::info!(
                    cert = %self.shared.files.cert.display(),
                    key = %self.shared.files.key.display(),
                    "reloaded the TLS certificate and key"
                );
                Ok(())
            }
            Err(e) => {
                tracing::error!("could not reload the TLS certificate and key, keeping the previous ones: {e:#}");
                Err(e)
            }
        }
    }

    /// Spawns a task that reloads on SIGHUP (unix) and when either file's modification time (or
    /// size) changes, checked every [`WATCH_INTERVAL`]. The task ends when the listener and every
    /// other reloader are gone. Must be called inside a Tokio runtime.
    pub fn watch(self) {
        self.watch_every(WATCH_INTERVAL);
    }

    /// [`watch`](Self::watch), checking the files every `period`.
    pub fn watch_every(self, period: Duration) {
        // Registered before returning, so a SIGHUP sent right after is not lost (nor fatal).
        #[cfg(unix)]
        let hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; TLS files are reloaded when they change only");
                None
            }
        };
        let mut seen = stamps(&self.shared.files);
        let shared: Weak<Shared> = Arc::downgrade(&self.shared);
        drop(self);
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hangup = hangup;
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                #[cfg(unix)]
                let hup = async {
                    match hangup.as_mut() {
                        Some(s) => s.recv().await,
                        None => std::future::pending().await,
                    }
                };
                #[cfg(not(unix))]
                let hup = std::future::pending::<Option<()>>();
                let signalled = tokio::select! {
                    _ = ticks.tick() => false,
                    _ = hup => true,
                };
                let Some(shared) = shared.upgrade() else { return };
                let now = stamps(&shared.files);
                if signalled {
                    tracing::info!("SIGHUP: reloading the TLS certificate and key");
                } else if now == seen {
                    continue;
                } else {
                    tracing::info!("the TLS certificate or key file changed: reloading");
                }
                // Remembered even if the reload fails: the next change is tried, not the same one
                // every period (the error is logged once).
                seen = now;
                let _ = TlsReloader { shared }.reload();
            }
        });
    }
}

/// What tells a file changed: its modification time and size (`None`: unreadable).
type Stamp = Option<(SystemTime, u64)>;

fn stamps(files: &TlsFiles) -> (Stamp, Stamp) {
    let stamp = |p: &Path| std::fs::metadata(p).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
    (stamp(&files.cert), stamp(&files.key))
}
