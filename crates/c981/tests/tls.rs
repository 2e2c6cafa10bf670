//! TLS termination: HTTPS on loopback with a certificate made at test time, reloads (on demand,
//! on file change, on SIGHUP), slow handshakes, and clear errors for bad files.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::serve::ListenerExt;
use c981::tls::{TlsFiles, TlsListener, TlsReloader, load_server_config};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Cert {
    pem: String,
    key_pem: String,
    der: Vec<u8>,
}

fn new_cert() -> Cert {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    Cert { pem: ck.cert.pem(), key_pem: ck.signing_key.serialize_pem(), der: ck.cert.der().to_vec() }
}

fn write(files: &TlsFiles, cert: &Cert) {
    std::fs::write(&files.cert, &cert.pem).unwrap();
    std::fs::write(&files.key, &cert.key_pem).unwrap();
}

fn files_in(dir: &Path) -> TlsFiles {
    TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") }
}

struct Server {
    addr: SocketAddr,
    reloader: TlsReloader,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(files: &TlsFiles) -> Server {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let (listener, reloader) = TlsListener::new(tcp, files.clone()).unwrap();
        let router = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/peer", get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            // `tap_io` gives `ConnectInfo<SocketAddr>`, as `serve` wires it.
            axum::serve(listener.tap_io(|_| {}), router.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Server { addr, reloader, stop: Some(stop), task }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), self.task).await.expect("graceful shutdown").unwrap();
    }
}

/// A fresh HTTPS client (no pooled connection) that trusts `cert` only.
fn client_trusting(cert: &Cert) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert.pem.as_bytes()).unwrap())
        .tls_info(true)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// GETs `path`; returns the body and the certificate the server presented.
async fn get_https(addr: SocketAddr, trust: &Cert, path: &str) -> Result<(String, Vec<u8>), reqwest::Error> {
    let res = client_trusting(trust).get(format!("https://127.0.0.1:{}{path}", addr.port())).send().await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.version(), reqwest::Version::HTTP_11);
    let der = res.extensions().get::<reqwest::tls::TlsInfo>().unwrap().peer_certificate().unwrap().to_vec();
    Ok((res.text().await?, der))
}

fn rustls_client(
    trust: &[&Cert],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for c in trust {
        roots.add(CertificateDer::from(c.der.clone())).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Handshakes with a client trusting all of `trust`; returns the certificate presented.
async fn presented(addr: SocketAddr, trust: &[&Cert]) -> Vec<u8> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let tls = rustls_client(trust, rustls::DEFAULT_VERSIONS)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

/// Waits (up to 10 s) until the server presents `want`.
async fn until_presented(addr: SocketAddr, trust: &[&Cert], want: &Cert) {
    for _ in 0..100 {
        if presented(addr, trust).await == want.der {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server never presented the new certificate");
}

#[tokio::test]
async fn serves_https_and_reloads_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let files = files_in(dir.path());
    let (first, second) = (new_cert(), new_cert());
    write(&files, &first);
    let server = Server::start(&files).await;

    let (body, der) = get_https(server.addr, &first, "/healthz").await.unwrap();
    assert_eq!(body, "ok");
    assert_eq!(der, first.der);
    let (peer, _) = get_https(server.addr, &first, "/peer").await.unwrap();
    assert_eq!(peer, "127.0.0.1");

    // A second certificate at the same paths: served to new connections once reloaded.
    write(&files, &second);
    server.reloader.reload().unwrap();
    let (body, der) = get_https(server.addr, &second, "/healthz").await.unwrap();
    assert_eq!(body, "ok");
    assert_eq!(der, second.der);
    assert!(get_https(server.addr, &first, "/healthz").await.is_err(), "the old certificate is no longer served");

    // A failed reload names the file and keeps the certificate in force.
    std::fs::write(&files.key, "not a key\n").unwrap();
    let err = format!("{:#}", server.reloader.reload().unwrap_err());
    assert!(err.contains(&files.key.display().to_string()), "{err}");
    assert!(err.contains("no private key"), "{err}");
    let (_, der) = get_https(server.addr, &second, "/healthz").await.unwrap();
    assert_eq!(der, second.der);

    server.stop().await;
}

#[tokio::test]
async fn http11_alpn_and_tls12_and_13() {
    let dir = tempfile::tempdir().unwrap();
    let files = files_in(dir.path());
    let cert = new_cert();
    write(&files, &cert);
    let server = Server::start(&files).await;

    for versions in [&[&rustls::version::TLS12][..], &[&rustls::version::TLS13][..]] {
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let mut tls =
            rustls_client(&[&cert], versions).connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
        let conn = tls.get_ref().1;
        assert_eq!(conn.alpn_protocol(), Some(&b"http/1.1"[..]), "h2 is not offered");
        assert_eq!(conn.protocol_version(), Some(versions[0].version));
        tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        tls.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("ok"), "{answer}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_silent_client_does_not_block_others() {
    let dir = tempfile::tempdir().unwrap();
    let files = files_in(dir.path());
    let cert = new_cert();
    write(&files, &cert);
    let server = Server::start(&files).await;

    // Connections that never start their handshake (nor send anything)...
    let mut silent = Vec::new();
    for _ in 0..8 {
        silent.push(TcpStream::connect(server.addr).await.unwrap());
    }
    // ...do not hold up a real client (well within the 10 s handshake timeout).
    let started = std::time::Instant::now();
    let (body, _) = get_https(server.addr, &cert, "/healthz").await.unwrap();
    assert_eq!(body, "ok");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    drop(silent);
    server.stop().await;
}

#[tokio::test]
async fn watch_reloads_when_the_files_change() {
    let dir = tempfile::tempdir().unwrap();
    let files = files_in(dir.path());
    let (first, second) = (new_cert(), new_cert());
    write(&files, &first);
    let server = Server::start(&files).await;
    server.reloader.clone().watch_every(Duration::from_millis(100));
    assert_eq!(presented(server.addr, &[&first, &second]).await, first.der);

    tokio::time::sleep(Duration::from_millis(20)).await; // a later modification time
    write(&files, &second);
    until_presented(server.addr, &[&first, &second], &second).await;
    server.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn watch_reloads_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let files = files_in(dir.path());
    let (first, second) = (new_cert(), new_cert());
    write(&files, &first);
    let server = Server::start(&files).await;
    server.reloader.clone().watch(); // checks the files every 30 s: the signal is what reloads here
    write(&files, &second);
    assert_eq!(presented(server.addr, &[&first, &second]).await, first.der);

    let status = std::process::Command::new("kill").args(["-HUP", &std::process::id().to_string()]).status().unwrap();
    assert!(status.success());
    until_presented(server.addr, &[&first, &second], &second).await;
    server.stop().await;
}

fn load_err(files: &TlsFiles) -> String {
    format!("{:#}", load_server_config(files).unwrap_err())
}

#[tokio::test]
async fn bad_files_give_clear_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let files = files_in(dir.path());
    let cert = new_cert();
    let other = new_cert();
    let cert_path = files.cert.display().to_string();
    let key_path = files.key.display().to_string();

    // Neither file exists.
    let err = load_err(&files);
    assert!(err.contains(&cert_path) && err.contains("reading the TLS certificate file"), "{err}");
    write(&files, &cert);
    let missing_key = TlsFiles { cert: files.cert.clone(), key: dir.path().join("nope.pem") };
    let err = load_err(&missing_key);
    assert!(err.contains("nope.pem") && err.contains("reading the TLS private key file"), "{err}");

    // The listener refuses to start on bad files.
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = format!("{:#}", TlsListener::new(tcp, missing_key).unwrap_err());
    assert!(err.contains("nope.pem"), "{err}");

    // A certificate file without a certificate (here: the key).
    std::fs::write(&files.cert, &cert.key_pem).unwrap();
    let err = load_err(&files);
    assert!(err.contains(&cert_path) && err.contains("no certificate found") && err.contains("swapped"), "{err}");
    std::fs::write(&files.cert, "").unwrap();
    let err = load_err(&files);
    assert!(err.contains(&cert_path) && err.contains("no certificate found"), "{err}");

    // A key file without a key (here: the certificate).
    std::fs::write(&files.cert, &cert.pem).unwrap();
    std::fs::write(&files.key, &cert.pem).unwrap();
    let err = load_err(&files);
    assert!(err.contains(&key_path) && err.contains("no private key found") && err.contains("swapped"), "{err}");

    // An encrypted key.
    std::fs::write(&files.key, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n")
        .unwrap();
    let err = load_err(&files);
    assert!(err.contains(&key_path) && err.contains("encrypted"), "{err}");

    // Broken PEM.
    std::fs::write(&files.key, "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n").unwrap();
    let err = load_err(&files);
    assert!(err.contains(&key_path) && err.contains("invalid PEM"), "{err}");

    // A key that does not match the certificate.
    std::fs::write(&files.key, &other.key_pem).unwrap();
    let err = load_err(&files);
    assert!(err.contains(&key_path) && err.contains(&cert_path) && err.contains("does not match"), "{err}");
    // ...but does match a later certificate of the chain: the order is wrong.
    std::fs::write(&files.cert, format!("{}{}", cert.pem, other.pem)).unwrap();
    let err = load_err(&files);
    assert!(err.contains("does not match") && err.contains("must come first"), "{err}");

    // And the good pair loads.
    write(&files, &cert);
    let config = load_server_config(&files).unwrap();
    assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
}
