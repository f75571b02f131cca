//! [`FailureCause`]: why an export failed, as [`ExportStats`](super::ExportStats) counts it.

use std::fmt;

/// Why an export call failed. The OTLP exporters of `llmscope::init()` name the cause in their
/// error (`export to {endpoint} failed: {cause}`); other exporters' failures are `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FailureCause {
    /// Nothing listens at the endpoint (backend down, wrong port).
    ConnectionRefused,
    /// No answer within the export timeout (backend hung or overloaded), retries included.
    TimedOut,
    /// The backend answered with this HTTP status (after retries for 429, 502, 503, 504).
    HttpStatus(u16),
    /// The TLS handshake failed (certificate, protocol, or an `https` URL without TLS support).
    Tls,
    /// Anything else (another exporter's error, a reset connection, a gRPC status).
    Other,
}

impl FailureCause {
    /// Reads the cause from an export error message.
    pub(crate) fn of(message: &str) -> FailureCause {
        let cause = message
            .split_once(" failed: ")
            .map_or(message, |(_, cause)| cause);
        if cause.starts_with("connection refused") {
            FailureCause::ConnectionRefused
        } else if cause.starts_with("timed out") {
            FailureCause::TimedOut
        } else if let Some(rest) = cause.strip_prefix("HTTP status ") {
            rest.get(..3)
                .and_then(|code| code.parse().ok())
                .map_or(FailureCause::Other, FailureCause::HttpStatus)
        } else if cause.starts_with("TLS error") {
            FailureCause::Tls
        } else {
            FailureCause::Other
        }
    }
}

impl fmt::Display for FailureCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureCause::ConnectionRefused => f.write_str("connection refused"),
            FailureCause::TimedOut => f.write_str("timed out"),
            FailureCause::HttpStatus(code) => write!(f, "HTTP status {code}"),
            FailureCause::Tls => f.write_str("TLS error"),
            FailureCause::Other => f.write_str("other"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_read_from_the_messages_the_exporters_write() {
        let at = "export to http://127.0.0.1:4318/v1/traces failed: ";
        for (cause, expected) in [
            ("connection refused", FailureCause::ConnectionRefused),
            ("timed out after 10s", FailureCause::TimedOut),
            (
                "HTTP status 503 Service Unavailable, Retry-After 1",
                FailureCause::HttpStatus(503),
            ),
            ("HTTP status 400 Bad Request", FailureCause::HttpStatus(400)),
            ("TLS error: invalid peer certificate", FailureCause::Tls),
            ("connection reset", FailureCause::Other),
        ] {
            assert_eq!(
                FailureCause::of(&format!("{at}{cause}")),
                expected,
                "{cause}"
            );
        }
        assert_eq!(FailureCause::of("the file is full"), FailureCause::Other);
        assert_eq!(FailureCause::HttpStatus(429).to_string(), "HTTP status 429");
    }
}
