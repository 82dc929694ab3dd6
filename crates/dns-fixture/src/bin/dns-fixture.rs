//! `dns-fixture FOLDER [PORT]`: serve the `ORIGIN.zone` files of FOLDER on 127.0.0.1 until
//! interrupted, so `relayhunt analyze --verify --dns-server 127.0.0.1:PORT` can be tried
//! without the internet (docs/verify.md). Listens on loopback only.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (folder, port) = match args.as_slice() {
        [folder] => (folder, Ok(5353)),
        [folder, port] => (folder, port.parse::<u16>()),
        _ => {
            eprintln!("usage: dns-fixture FOLDER [PORT]  (serves FOLDER/*.zone on 127.0.0.1, port 5353 by default)");
            return ExitCode::from(2);
        }
    };
    let Ok(port) = port else {
        eprintln!("dns-fixture: the port must be a number from 0 to 65535");
        return ExitCode::from(2);
    };
    match relayhunt_dns_fixture::ZoneServer::start_folder_on(std::path::Path::new(folder), port) {
        Ok(server) => {
            println!(
                "serving {folder} on {} (UDP and TCP); Ctrl-C stops",
                server.addr()
            );
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            eprintln!("dns-fixture: cannot serve {folder} on 127.0.0.1:{port}: {e}");
            ExitCode::from(2)
        }
    }
}
