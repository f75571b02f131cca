//! A fake OTLP/HTTP backend on 127.0.0.1 that can accept, refuse with a status (and
//! `Retry-After`), hang, or reset connections, switched at run time; it counts what it saw and
//! keeps each accepted request's body by path (`/v1/traces`, `/v1/metrics`).

// Each test binary that includes this file uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the backend answers the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// 200 OK.
    Accept,
    /// This status, with `Retry-After: 1` when `retry_after`.
    Status { code: u16, retry_after: bool },
    /// Reads the request and never answers, until the client closes the connection.
    Hang,
    /// Closes the connection without answering.
    Reset,
}

#[derive(Default)]
struct State {
    mode: Mutex<Option<Mode>>,
    /// Requests received on `/v1/traces`, whatever the answer.
    requests: AtomicUsize,
    /// Requests answered 200.
    accepted: AtomicUsize,
    /// Accepted requests on any path: path and body.
    bodies: Mutex<Vec<(String, Vec<u8>)>>,
    /// Hung requests whose client closed the connection (gave up on the request).
    abandoned_by_client: AtomicUsize,
    stopped: AtomicBool,
    status_code: AtomicU16,
}

/// The running backend; stops accepting when dropped.
pub(crate) struct FakeOtlp {
    pub(crate) port: u16,
    state: Arc<State>,
}

impl FakeOtlp {
    pub(crate) fn start(mode: Mode) -> FakeOtlp {
        FakeOtlp::start_on(TcpListener::bind("127.0.0.1:0").unwrap(), mode)
    }

    /// Serves on `listener` (a backend that comes back on a port it had before).
    pub(crate) fn start_on(listener: TcpListener, mode: Mode) -> FakeOtlp {
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        *state.mode.lock().unwrap() = Some(mode);
        let for_thread = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if for_thread.stopped.load(Ordering::SeqCst) {
                    return;
                }
                let state = Arc::clone(&for_thread);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        FakeOtlp { port, state }
    }

    /// The base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it.
    pub(crate) fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The traces URL, as `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` takes it.
    pub(crate) fn traces_url(&self) -> String {
        format!("{}/v1/traces", self.base_url())
    }

    pub(crate) fn set_mode(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = Some(mode);
    }

    pub(crate) fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    pub(crate) fn accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }

    /// Accepted `/v1/traces` request bodies containing `needle`.
    pub(crate) fn bodies_containing(&self, needle: &str) -> usize {
        self.bodies_at("/v1/traces", needle)
    }

    /// Accepted request bodies on `path` containing `needle`.
    pub(crate) fn bodies_at(&self, path: &str, needle: &str) -> usize {
        self.state
            .bodies
            .lock()
            .unwrap()
            .iter()
            .filter(|(at, body)| {
                at == path && body.windows(needle.len()).any(|w| w == needle.as_bytes())
            })
            .count()
    }

    /// Hung requests whose client closed the connection: the client gave up on them.
    pub(crate) fn abandoned_by_client(&self) -> usize {
        self.state.abandoned_by_client.load(Ordering::SeqCst)
    }
}

impl Drop for FakeOtlp {
    fn drop(&mut self) {
        self.state.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, state: &State) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_owned();
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let traces = path == "/v1/traces";
        if traces {
            state.requests.fetch_add(1, Ordering::SeqCst);
        }
        let mode = if traces {
            state.mode.lock().unwrap().unwrap_or(Mode::Accept)
        } else {
            Mode::Accept
        };
        let response = match mode {
            Mode::Accept => {
                if traces {
                    state.accepted.fetch_add(1, Ordering::SeqCst);
                }
                state.bodies.lock().unwrap().push((path, body));
                "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n"
                    .to_owned()
            }
            Mode::Status { code, retry_after } => {
                state.status_code.store(code, Ordering::SeqCst);
                format!(
                    "HTTP/1.1 {code} Error\r\ncontent-length: 0\r\n{}\r\n",
                    if retry_after {
                        "retry-after: 1\r\n"
                    } else {
                        ""
                    }
                )
            }
            Mode::Hang => {
                // Never answer; notice when the client closes the connection.
                let _ = reader
                    .get_ref()
                    .set_read_timeout(Some(Duration::from_millis(50)));
                let mut byte = [0u8; 1];
                loop {
                    match reader.read(&mut byte) {
                        Ok(0) => {
                            state.abandoned_by_client.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                        Ok(_) => {}
                        Err(e)
                            if matches!(
                                e.kind(),
                                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                            ) =>
                        {
                            if state.stopped.load(Ordering::SeqCst) {
                                return;
                            }
                        }
                        Err(_) => {
                            state.abandoned_by_client.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                    }
                }
            }
            Mode::Reset => return,
        };
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}
