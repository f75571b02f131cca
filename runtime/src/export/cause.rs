//! [`FailureCause`]: why an export failed, as [`ExportStats`](super::ExportStats) counts it.

use std::fmt;

/// Why an export call failed. The OTLP exporters of `llmscope::init()` name the cause in their
/// error (`export to {endpoint} failed: {cause}`); other exporters' failures are `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FailureCause {
    /// Nothing listens at the endpoint (backend down, wrong port).
    ConnectionRefused,
    /// The connection broke while an export was on it: the backend went down or restarted
    /// during the call (a reset, a broken pipe, a closed stream). The call's spans are lost
    /// (they may have reached the backend); the next call connects anew.
    ConnectionLost,
    /// No answer within the export timeout (backend hung or overloaded), retries included.
    TimedOut,
    /// The backend answered with this HTTP status (after retries for 429, 502, 503, 504).
    HttpStatus(u16),
    /// The backend answered with this gRPC status code (after retries for `UNAVAILABLE`, and
    /// for `RESOURCE_EXHAUSTED` that carries a `RetryInfo`): 3 `INVALID_ARGUMENT`, 8
    /// `RESOURCE_EXHAUSTED`, 14 `UNAVAILABLE`, …
    GrpcStatus(u16),
    /// The TLS handshake failed (certificate, protocol, or an `https` URL without TLS support).
    Tls,
    /// Anything else (another exporter's error).
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
        } else if cause.starts_with("connection lost") {
            FailureCause::ConnectionLost
        } else if cause.starts_with("timed out") {
            FailureCause::TimedOut
        } else if let Some(rest) = cause.strip_prefix("HTTP status ") {
            rest.get(..3)
                .and_then(|code| code.parse().ok())
                .map_or(FailureCause::Other, FailureCause::HttpStatus)
        } else if let Some(rest) = cause.strip_prefix("gRPC status ") {
            rest.split(' ')
                .next()
                .and_then(|code| code.parse().ok())
                .map_or(FailureCause::Other, FailureCause::GrpcStatus)
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
            FailureCause::ConnectionLost => f.write_str("connection lost"),
            FailureCause::TimedOut => f.write_str("timed out"),
            FailureCause::HttpStatus(code) => write!(f, "HTTP status {code}"),
            FailureCause::GrpcStatus(code) => match GRPC_CODES.get(usize::from(*code)) {
                Some((_, name)) => write!(f, "gRPC status {code} {name}"),
                None => write!(f, "gRPC status {code}"),
            },
            FailureCause::Tls => f.write_str("TLS error"),
            FailureCause::Other => f.write_str("other"),
        }
    }
}

/// The gRPC status codes by number: tonic's name (as `{:?}` prints it) and the canonical one.
const GRPC_CODES: [(&str, &str); 17] = [
    ("Ok", "OK"),
    ("Cancelled", "CANCELLED"),
    ("Unknown", "UNKNOWN"),
    ("InvalidArgument", "INVALID_ARGUMENT"),
    ("DeadlineExceeded", "DEADLINE_EXCEEDED"),
    ("NotFound", "NOT_FOUND"),
    ("AlreadyExists", "ALREADY_EXISTS"),
    ("PermissionDenied", "PERMISSION_DENIED"),
    ("ResourceExhausted", "RESOURCE_EXHAUSTED"),
    ("FailedPrecondition", "FAILED_PRECONDITION"),
    ("Aborted", "ABORTED"),
    ("OutOfRange", "OUT_OF_RANGE"),
    ("Unimplemented", "UNIMPLEMENTED"),
    ("Internal", "INTERNAL"),
    ("Unavailable", "UNAVAILABLE"),
    ("DataLoss", "DATA_LOSS"),
    ("Unauthenticated", "UNAUTHENTICATED"),
];

/// `gRPC status 14 UNAVAILABLE` for tonic's code name `Unavailable`; `None` for another name.
#[cfg_attr(not(feature = "otlp-grpc"), allow(dead_code))]
pub(crate) fn grpc_status(tonic_name: &str) -> Option<String> {
    GRPC_CODES
        .iter()
        .position(|(name, _)| *name == tonic_name)
        .map(|code| FailureCause::GrpcStatus(code as u16).to_string())
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
            (
                "connection lost (error sending request: connection reset by peer)",
                FailureCause::ConnectionLost,
            ),
            ("the exporter is gone", FailureCause::Other),
            (
                "gRPC status 14 UNAVAILABLE (TonicTracesClient export failed with gRPC code: \
                 Unavailable)",
                FailureCause::GrpcStatus(14),
            ),
        ] {
            assert_eq!(
                FailureCause::of(&format!("{at}{cause}")),
                expected,
                "{cause}"
            );
        }
        assert_eq!(FailureCause::of("the file is full"), FailureCause::Other);
        assert_eq!(FailureCause::HttpStatus(429).to_string(), "HTTP status 429");
        assert_eq!(
            FailureCause::GrpcStatus(8).to_string(),
            "gRPC status 8 RESOURCE_EXHAUSTED"
        );
        assert_eq!(
            grpc_status("InvalidArgument").as_deref(),
            Some("gRPC status 3 INVALID_ARGUMENT")
        );
        assert_eq!(grpc_status("NoSuchCode"), None);
    }
}
