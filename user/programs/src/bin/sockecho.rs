//! `sockecho [server PATH | client PATH MESSAGE...]`: an echo service over a Unix-domain
//! stream socket (concept I6).
//!
//! - `sockecho server PATH` binds a socket to the path name PATH (a socket file appears
//!   there: `ls -l` shows `s`), listens, and serves one client after another, sending
//!   back every byte it receives until the client closes. It runs until killed (^C).
//! - `sockecho client PATH MESSAGE...` connects to the server at PATH, sends each MESSAGE
//!   and prints what comes back: `echo: MESSAGE`.
//! - `sockecho` alone shows both: it forks a server on `/tmp/sockecho.<pid>` that serves
//!   one client, runs the client with a few messages, and removes the socket file.
//!
//! Exit status 0, or 1 for bad arguments or a failed system call.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::socket::{AF_UNIX, SOCK_STREAM};
use ulib::abi::wait;
use ulib::cli::{Arg, Args, Tool};
use ulib::socket::{self, UnixAddr};
use ulib::{fs, println};

ulib::entry!(main);

const TOOL: Tool = Tool::new(
    "sockecho",
    "sockecho [server PATH | client PATH MESSAGE...]",
);

/// What went wrong: the call and its error.
type Failure = (&'static str, Errno);

fn main() -> i32 {
    let mut operands = Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Operand(text) => operands.push(text),
            other => return TOOL.unexpected(other),
        }
    }
    let result = match operands.as_slice() {
        [] => demo(),
        ["server", path] => serve(&UnixAddr::path(path), None),
        ["client", path, messages @ ..] if !messages.is_empty() => {
            talk(&UnixAddr::path(path), messages)
        }
        _ => {
            return TOOL.usage_error(format_args!(
                "expected server PATH or client PATH MESSAGE..."
            ));
        }
    };
    match result {
        Ok(()) => 0,
        Err((what, error)) => {
            TOOL.error(what, error);
            1
        }
    }
}

/// A listening socket bound to `addr`.
fn listen_at(addr: &UnixAddr) -> Result<i32, Failure> {
    let server = socket::socket(AF_UNIX, SOCK_STREAM, 0).map_err(|e| ("socket", e))?;
    socket::bind(server, addr).map_err(|e| ("bind", e))?;
    socket::listen(server, 4).map_err(|e| ("listen", e))?;
    Ok(server)
}

/// Serves clients of the socket bound to `addr` (listening already if `server` is given),
/// one after another: `clients` of them, or forever.
fn serve(addr: &UnixAddr, server: Option<(i32, usize)>) -> Result<(), Failure> {
    let (server, clients) = match server {
        Some((fd, clients)) => (fd, Some(clients)),
        None => {
            let fd = listen_at(addr)?;
            println!("sockecho: listening on {}", name(addr));
            (fd, None)
        }
    };
    let mut served = 0;
    while clients.is_none_or(|clients| served < clients) {
        let (client, _) = socket::accept(server).map_err(|e| ("accept", e))?;
        let echoed = echo(client);
        let _ = fs::close(client);
        echoed?;
        served += 1;
    }
    let _ = fs::close(server);
    Ok(())
}

/// Sends back everything `client` sends, until it closes.
fn echo(client: i32) -> Result<(), Failure> {
    let mut buf = [0u8; 512];
    loop {
        match socket::recv(client, &mut buf, 0).map_err(|e| ("recv", e))? {
            0 => return Ok(()),
            count => fs::write_all(client, &buf[..count]).map_err(|e| ("send", e))?,
        }
    }
}

/// Connects to the server at `addr`, sends each message and prints its echo.
fn talk(addr: &UnixAddr, messages: &[&str]) -> Result<(), Failure> {
    let fd = socket::socket(AF_UNIX, SOCK_STREAM, 0).map_err(|e| ("socket", e))?;
    socket::connect(fd, addr).map_err(|e| ("connect", e))?;
    for message in messages {
        fs::write_all(fd, message.as_bytes()).map_err(|e| ("send", e))?;
        let mut echoed = Vec::new();
        let mut buf = [0u8; 512];
        while echoed.len() < message.len() {
            match socket::recv(fd, &mut buf, 0).map_err(|e| ("recv", e))? {
                0 => return Err(("recv", Errno::ECONNRESET)),
                count => echoed.extend_from_slice(&buf[..count]),
            }
        }
        println!("echo: {}", alloc::string::String::from_utf8_lossy(&echoed));
    }
    fs::close(fd).map_err(|e| ("close", e))
}

/// The path of a path name, for messages.
fn name(addr: &UnixAddr) -> &str {
    match addr {
        UnixAddr::Path(path) => path,
        _ => "(unnamed)",
    }
}

/// A server process and a client talking through a fresh socket file.
fn demo() -> Result<(), Failure> {
    let path = format!(
        "/tmp/sockecho.{}",
        ulib::getpid().map_err(|e| ("getpid", e))?
    );
    let addr = UnixAddr::path(&path);
    // Listen before forking, so the client cannot come too early.
    let server = listen_at(&addr)?;
    println!("sockecho: server listening on {path}");
    let child = ulib::spawn(|| match serve(&addr, Some((server, 1))) {
        Ok(()) => 0,
        Err((what, error)) => {
            TOOL.error(what, error);
            1
        }
    })
    .map_err(|e| ("fork", e))?;
    let _ = fs::close(server);
    let talked = talk(&addr, &["hello", "from a Unix-domain socket", "bye"]);
    let status = ulib::waitpid(child).map_err(|e| ("wait4", e))?;
    fs::unlink(&path).map_err(|e| ("unlink", e))?;
    talked?;
    if status != wait::exited(0) {
        return Err(("server", Errno::EIO));
    }
    println!("sockecho: the server echoed every message and exited");
    Ok(())
}
