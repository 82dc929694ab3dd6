//! Real DNS servers on loopback for tests: an authoritative server over zone files, and a
//! server that never answers.
//!
//! The verify crate's checks ask real DNS questions; testing them against a map would test
//! nothing of the resolver, the wire format or the timeouts. [`ZoneServer`] runs
//! hickory-server on `127.0.0.1`, UDP and TCP on the same port chosen by the system, and
//! serves the zone files it is given (written by the test, or read from a folder). A name
//! outside every zone gets REFUSED, as from a real authoritative server. [`SilentServer`]
//! binds the same kind of port and never replies, which is what proves the timeouts.
//! Each server runs on its own thread and stops when dropped. Nothing here ever listens
//! anywhere but loopback.

use hickory_server::proto::rr::{LowerName, Name};
use hickory_server::store::file::{FileConfig, FileZoneHandler};
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use hickory_server::Server;
use std::io;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// An authoritative DNS server on loopback.
pub struct ZoneServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

/// Bind UDP and TCP on the same loopback port: `port`, or a free one when it is 0.
fn bind_pair(port: u16) -> io::Result<(UdpSocket, TcpListener)> {
    if port != 0 {
        let udp = UdpSocket::bind(("127.0.0.1", port))?;
        let tcp = TcpListener::bind(("127.0.0.1", port))?;
        return Ok((udp, tcp));
    }
    let mut last = None;
    for _ in 0..20 {
        let udp = UdpSocket::bind("127.0.0.1:0")?;
        match TcpListener::bind(udp.local_addr()?) {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free loopback port for UDP and TCP")))
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl ZoneServer {
    /// Serve `zones`: pairs of origin (`example.org`) and zone file text (RFC 1035 §5
    /// master-file format; `@` and relative names are relative to the origin). A zone
    /// needs an SOA record.
    pub fn start(zones: &[(&str, &str)]) -> io::Result<ZoneServer> {
        let dir = tempfile::tempdir()?;
        let mut files = Vec::new();
        for (origin, text) in zones {
            let path = dir
                .path()
                .join(format!("{}.zone", origin.trim_end_matches('.')));
            std::fs::write(&path, text)?;
            files.push((origin.to_string(), path));
        }
        Self::serve(files, dir, 0)
    }

    /// Serve every `ORIGIN.zone` file in `folder` (the file name without `.zone` is the
    /// origin, e.g. `100.51.198.in-addr.arpa.zone`).
    pub fn start_folder(folder: &Path) -> io::Result<ZoneServer> {
        Self::start_folder_on(folder, 0)
    }

    /// [`start_folder`](Self::start_folder) on `127.0.0.1:port` (0: a free port), for
    /// trying `--verify` by hand without the internet.
    pub fn start_folder_on(folder: &Path, port: u16) -> io::Result<ZoneServer> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(folder)? {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if let Some(origin) = name.strip_suffix(".zone") {
                files.push((origin.to_string(), path.clone()));
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(invalid(format!(
                "{}: no ORIGIN.zone files to serve",
                folder.display()
            )));
        }
        Self::serve(files, tempfile::tempdir()?, port)
    }

    fn serve(
        files: Vec<(String, std::path::PathBuf)>,
        dir: tempfile::TempDir,
        port: u16,
    ) -> io::Result<ZoneServer> {
        let mut catalog = Catalog::new();
        for (origin, path) in files {
            let name = Name::from_ascii(format!("{}.", origin.trim_end_matches('.')))
                .map_err(|e| invalid(format!("zone origin {origin:?}: {e}")))?;
            let handler = FileZoneHandler::try_from_config(
                name.clone(),
                ZoneType::Primary,
                AxfrPolicy::Deny,
                None,
                &FileConfig { zone_path: path },
            )
            .map_err(|e| invalid(format!("zone {origin}: {e}")))?;
            let handler: Arc<dyn ZoneHandler> = Arc::new(handler);
            catalog.upsert(LowerName::new(&name), vec![handler]);
        }
        let (udp, tcp) = bind_pair(port)?;
        let addr = udp.local_addr()?;
        udp.set_nonblocking(true)?;
        tcp.set_nonblocking(true)?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
        let thread = std::thread::Builder::new()
            .name(format!("dns-fixture-{}", addr.port()))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let sockets = tokio::net::UdpSocket::from_std(udp)
                        .and_then(|u| Ok((u, tokio::net::TcpListener::from_std(tcp)?)));
                    let (udp, tcp) = match sockets {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let mut server = Server::new(catalog);
                    server.register_socket(udp);
                    server.register_listener(tcp, Duration::from_secs(5), 64);
                    let _ = ready_tx.send(Ok(()));
                    let _ = stopped.await;
                    let _ = server.shutdown_gracefully().await;
                });
            })?;
        ready_rx
            .recv()
            .map_err(|_| io::Error::other("DNS fixture thread ended before serving"))??;
        Ok(ZoneServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
            _dir: dir,
        })
    }

    /// Where it listens (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ZoneServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A DNS server that never answers: UDP queries are received and dropped, TCP connections
/// are accepted by the kernel and never read.
pub struct SilentServer {
    udp: UdpSocket,
    _tcp: TcpListener,
}

impl SilentServer {
    /// Bind a free loopback port.
    pub fn start() -> io::Result<SilentServer> {
        let (udp, tcp) = bind_pair(0)?;
        Ok(SilentServer { udp, _tcp: tcp })
    }

    /// Where it (does not) listen.
    pub fn addr(&self) -> SocketAddr {
        self.udp
            .local_addr()
            .unwrap_or_else(|_| ([127, 0, 0, 1], 0).into())
    }
}

/// An SOA record line for `origin`'s zone file (serial 1, short TTLs).
pub fn soa() -> &'static str {
    "@ 60 IN SOA ns.fixture.invalid. hostmaster.fixture.invalid. 1 60 60 600 60\n"
}
