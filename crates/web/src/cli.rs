//! `relayhunt serve`: flags, the listening socket, and the server loop.
//!
//! Loopback by default: the UI has no login, and every analysis it holds is message
//! content. Binding anywhere else is allowed but warned about.

use crate::state::{AppState, Options};
use relayhunt_analyze::owner::OwnerLookup;
use relayhunt_takedown::cli::{AnalyzeOwnerLookup, OwnerArgs};
use relayhunt_takedown::config::{self, Settings};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Serve the web UI and its JSON API.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Address and port to listen on. Anything but loopback exposes every analysis to the
    /// network (there is no login); relayhunt warns when you do.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8025")]
    pub listen: SocketAddr,
    /// Extra host name the server answers to (it answers only to localhost and its address
    /// otherwise, against DNS rebinding); repeatable.
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,
    /// Largest request body accepted (an uploaded .eml or pasted headers), in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_upload: usize,
    /// Analyses kept in memory for their pages and reports.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub keep: usize,
    /// Receivers you trust, as for `relayhunt analyze` (CIDR, IP or host pattern);
    /// repeatable.
    #[arg(long, value_name = "CIDR|HOST")]
    pub trusted: Vec<String>,
    /// Reporter identity file for abuse reports [default: ~/.config/relayhunt/report.conf].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The store the relay, message, probe and audit pages read: an SQLite file path or
    /// postgres://user@host:port/dbname, as for `relayhunt relays`
    /// [default: relayhunt/store.sqlite in the user's data directory].
    #[arg(long, value_name = "PATH|URL", env = "RELAYHUNT_DB")]
    pub db: Option<String>,
    /// Keep every analysis in the store (otherwise only those whose "Keep in the store"
    /// box is ticked, or `POST /api/analyze?store=1`).
    #[arg(long)]
    pub store: bool,
    #[command(flatten)]
    pub owner: OwnerArgs,
}

/// The state these flags describe: options, owner lookup, reporter identity, the store.
pub fn state(args: &Args) -> Result<AppState, String> {
    let cfg = relayhunt_analyze::Config {
        trusted: args.trusted.clone(),
        ..relayhunt_analyze::Config::default()
    };
    cfg.check().map_err(|e| format!("--trusted: {e}"))?;
    let owner = AnalyzeOwnerLookup::from_args(&args.owner)
        .map_err(|e| format!("--owner: {e}"))?
        .map(|l| Arc::new(l) as Arc<dyn OwnerLookup + Send + Sync>);
    let reporter = {
        let explicit = args.config.is_some();
        let path = args.config.clone().or_else(config::default_file);
        Settings::load(path.as_deref(), explicit)
            .and_then(|s| s.reporter())
            .map_err(|e| e.to_string())
    };
    let options = Options {
        trusted: args.trusted.clone(),
        max_upload: args.max_upload.max(1024),
        keep: args.keep.max(1),
        now: None,
        allowed_hosts: args
            .allow_hosts
            .iter()
            .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
            .collect(),
        allowed_ips: vec![args.listen.ip()],
        store_all: args.store,
    };
    let store = relayhunt_store::Store::open_or_default(args.db.as_deref())
        .map_err(|e| format!("--db: {e}"))?;
    Ok(AppState::new(options, owner, reporter).with_store(store))
}

/// Run the server until interrupted; returns the exit code.
pub fn run(args: Args) -> u8 {
    let state = match state(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("relayhunt serve: {e}");
            return 2;
        }
    };
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "relayhunt serve: warning: listening on {} — anyone who can reach it can upload \
             messages and read every analysis (there is no login). Use the default \
             127.0.0.1 unless you mean this.",
            args.listen
        );
    }
    if let Err(e) = &state.reporter {
        eprintln!("relayhunt serve: note: abuse report downloads are off until the reporter identity is set: {e}");
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("relayhunt serve: cannot start the runtime: {e}");
            return 2;
        }
    };
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "relayhunt serve: cannot listen on {}: {e} (choose another with --listen)",
                    args.listen
                );
                return 2;
            }
        };
        let addr = listener.local_addr().unwrap_or(args.listen);
        if let Some(s) = &state.store {
            let s = s.lock().unwrap_or_else(|e| e.into_inner());
            eprintln!("relayhunt serve: store {}", s.location());
        }
        eprintln!("relayhunt serve: listening on http://{addr}/");
        let app = crate::router(Arc::new(state));
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("relayhunt serve: {e}");
                1
            }
        }
    })
}
