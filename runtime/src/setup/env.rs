//! Reading and parsing the `OTEL_*` variables. Every error names the variable and the value.

use std::collections::HashMap;
use std::time::Duration;

use super::error::{invalid, SetupError};
use crate::sampling::Sampler;

/// Where variables are read from: the process environment, or a map given to the builder.
#[derive(Debug, Default)]
pub(crate) struct Env(pub(crate) Option<HashMap<String, String>>);

impl Env {
    /// The variable's value, `None` when unset or blank.
    ///
    /// # Errors
    ///
    /// A value that is not UTF-8: it cannot be what was meant, and ignoring it would silently
    /// fall back to a default (another endpoint, telemetry left on).
    pub(crate) fn var(&self, key: &'static str) -> Result<Option<String>, SetupError> {
        let value =
            match &self.0 {
                Some(env) => env.get(key).cloned(),
                None => match std::env::var_os(key) {
                    None => None,
                    Some(value) => Some(value.into_string().map_err(|raw| {
                        invalid(key, &raw.to_string_lossy(), "a valid UTF-8 value")
                    })?),
                },
            };
        Ok(value.filter(|v| !v.trim().is_empty()))
    }

    /// A duration in whole milliseconds, greater than zero.
    pub(crate) fn millis(&self, key: &'static str) -> Result<Option<Duration>, SetupError> {
        let Some(value) = self.var(key)? else {
            return Ok(None);
        };
        match value.trim().parse::<u64>() {
            Ok(ms) if ms > 0 => Ok(Some(Duration::from_millis(ms))),
            _ => Err(invalid(
                key,
                &value,
                "a whole number of milliseconds greater than 0",
            )),
        }
    }

    /// A count greater than zero.
    pub(crate) fn count(&self, key: &'static str) -> Result<Option<usize>, SetupError> {
        let Some(value) = self.var(key)? else {
            return Ok(None);
        };
        match value.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(invalid(key, &value, "a whole number greater than 0")),
        }
    }
}

pub(crate) fn parse_bool(var: &'static str, value: &str) -> Result<bool, SetupError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(var, value, "`true` or `false`")),
    }
}

/// Checks an `http://` or `https://` URL: a host, and a port from 1 to 65535 if one is given.
pub(crate) fn check_url(var: &'static str, value: &str) -> Result<(), SetupError> {
    const EXPECTED: &str = "an http:// or https:// URL with a host and an optional port (1-65535)";
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"));
    let Some(rest) = rest else {
        return Err(invalid(var, value, EXPECTED));
    };
    if value.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(invalid(var, value, EXPECTED));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // `[::1]:4318`: the port follows the closing bracket.
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err(invalid(var, value, EXPECTED));
    }
    if let Some(port) = port {
        match port.parse::<u32>() {
            Ok(1..=65535) => {}
            _ => return Err(invalid(var, value, EXPECTED)),
        }
    }
    Ok(())
}

/// Parses `key=value,key2=value2` with percent-encoded keys and values (W3C baggage
/// octets), as `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS` use.
pub(crate) fn parse_pairs(
    var: &'static str,
    value: &str,
) -> Result<Vec<(String, String)>, SetupError> {
    const EXPECTED: &str = "comma-separated key=value pairs, percent-encoded";
    let mut pairs = Vec::new();
    for item in value.split(',') {
        if item.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = item.split_once('=') else {
            return Err(invalid(var, value, "comma-separated key=value pairs"));
        };
        let key = percent_decode(k.trim())
            .filter(|k| !k.is_empty())
            .ok_or_else(|| invalid(var, value, EXPECTED))?;
        let val = percent_decode(v.trim()).ok_or_else(|| invalid(var, value, EXPECTED))?;
        pairs.push((key, val));
    }
    Ok(pairs)
}

/// Checks OTLP headers: names made of HTTP token characters, values without control
/// characters (a newline would split the request or fail every export).
pub(crate) fn check_headers(
    var: &'static str,
    headers: &[(String, String)],
) -> Result<(), SetupError> {
    for (name, value) in headers {
        let token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
        if name.is_empty() || !name.bytes().all(token) {
            return Err(invalid(
                var,
                name,
                "header names made of letters, digits and !#$%&'*+-.^_`|~",
            ));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(invalid(
                var,
                value,
                "header values without control characters (no newline)",
            ));
        }
    }
    Ok(())
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub(crate) fn parse_sampler(
    name: Option<String>,
    arg: Option<String>,
) -> Result<Sampler, SetupError> {
    let ratio = || -> Result<f64, SetupError> {
        match &arg {
            None => Ok(1.0),
            Some(a) => a
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or_else(|| invalid("OTEL_TRACES_SAMPLER_ARG", a, "a ratio between 0 and 1")),
        }
    };
    let Some(name) = name else {
        return Ok(Sampler::default_sampler());
    };
    Ok(match name.trim() {
        "always_on" => Sampler::always_on(),
        "always_off" => Sampler::always_off(),
        "traceidratio" => Sampler::trace_id_ratio(ratio()?),
        "parentbased_always_on" => Sampler::always_on().parent_based(),
        "parentbased_always_off" => Sampler::always_off().parent_based(),
        "parentbased_traceidratio" => Sampler::trace_id_ratio(ratio()?).parent_based(),
        _ => {
            return Err(invalid(
                "OTEL_TRACES_SAMPLER",
                &name,
                "always_on, always_off, traceidratio, parentbased_always_on, \
                 parentbased_always_off or parentbased_traceidratio",
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_a_host_and_a_real_port() {
        for ok in [
            "http://127.0.0.1:4318",
            "https://collector.internal/v1/traces",
            "http://[::1]:4318/",
            "http://localhost",
        ] {
            assert!(check_url("V", ok).is_ok(), "{ok}");
        }
        for bad in [
            "127.0.0.1:4318",
            "http://",
            "http://:4318",
            "http://127.0.0.1:65536",
            "http://127.0.0.1:0",
            "http://127.0.0.1:43x8",
            "http://host /v1",
        ] {
            assert!(check_url("V", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn header_values_with_a_newline_are_refused() {
        let bad = [(
            "authorization".to_owned(),
            "Bearer x\nInjected: 1".to_owned(),
        )];
        let error = check_headers("OTEL_EXPORTER_OTLP_HEADERS", &bad).unwrap_err();
        assert!(error.to_string().contains("OTEL_EXPORTER_OTLP_HEADERS"));
        let bad_name = [("bad name".to_owned(), "v".to_owned())];
        assert!(check_headers("OTEL_EXPORTER_OTLP_HEADERS", &bad_name).is_err());
        let good = [("x-api-key".to_owned(), "abc\tdef".to_owned())];
        assert!(check_headers("OTEL_EXPORTER_OTLP_HEADERS", &good).is_ok());
    }

    #[test]
    fn zero_milliseconds_is_not_a_timeout() {
        let env = Env(Some(HashMap::from([(
            "OTEL_EXPORTER_OTLP_TIMEOUT".to_owned(),
            "0".to_owned(),
        )])));
        let error = env.millis("OTEL_EXPORTER_OTLP_TIMEOUT").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid value \"0\" for OTEL_EXPORTER_OTLP_TIMEOUT: expected a whole number of \
             milliseconds greater than 0"
        );
    }
}
