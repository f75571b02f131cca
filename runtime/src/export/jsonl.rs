//! A span exporter that appends OTLP/JSON lines to a file, rotating it by size.

use std::collections::HashMap;
use std::error::Error;
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use serde_json::Value as Json;

const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;
const DEFAULT_MAX_FILES: usize = 5;

/// Appends each exported batch of spans to a file as one line of OTLP/JSON: an
/// `ExportTraceServiceRequest` (`{"resourceSpans":[{"resource":…,"scopeSpans":[{"scope":…,
/// "spans":[…]}]}]}`), the format the OpenTelemetry Collector's file exporter writes and its
/// OTLP JSON receiver reads.
///
/// The encoding follows the OTLP/JSON rules: camelCase keys, trace and span ids as lowercase
/// hex, 64-bit integers (timestamps, `intValue`) as decimal strings, enums (span kind, status
/// code) as integers. Non-finite doubles are written as `"NaN"`, `"Infinity"` and
/// `"-Infinity"`, as the protobuf JSON mapping requires (`opentelemetry-proto` alone would write
/// `null` and lose them).
///
/// # Rotation
///
/// When a line would grow the file beyond [`with_max_bytes`](JsonlExporterBuilder::with_max_bytes)
/// (64 MiB by default), the file is rotated first: `traces.jsonl` becomes `traces.jsonl.1`,
/// `traces.jsonl.1` becomes `traces.jsonl.2`, and so on, keeping
/// [`with_max_files`](JsonlExporterBuilder::with_max_files) files in all (5 by default). A line
/// is never split across files; a single line larger than the limit gets a file of its own.
///
/// # Durability and concurrency
///
/// - Each line is built in memory and written with one `write_all` on a file opened in append
///   mode, then flushed. If the write fails midway, the partial line is truncated away.
/// - A crash can at worst leave an incomplete last line: [`read_jsonl`] skips it, and the next
///   exporter opening the file truncates it before appending.
/// - All exporters of one process writing the same path share one writer behind a lock, so
///   threads and several exporters can write the same file; lines never interleave and rotation
///   happens once. Several *processes* appending to the same file is not supported (rotation
///   would race). The rotation limits applied to a line are those of the exporter writing it.
/// - The file is written through its open handle: if it is deleted or renamed by another
///   program while the exporter runs, later lines go to the old file.
///
/// # Examples
///
/// ```
/// use llmscope::export::{read_jsonl, JsonlExporter};
/// use opentelemetry::trace::{Tracer, TracerProvider};
/// use opentelemetry_sdk::trace::SdkTracerProvider;
///
/// let dir = std::env::temp_dir().join(format!("llmscope-doc-{}", std::process::id()));
/// let path = dir.join("traces.jsonl");
/// let exporter = JsonlExporter::builder(&path)
///     .with_max_bytes(16 * 1024 * 1024)
///     .with_max_files(3)
///     .build()?;
/// let provider = SdkTracerProvider::builder().with_simple_exporter(exporter).build();
/// provider.tracer("docs").in_span("chat gpt-4o", |_cx| {});
/// provider.shutdown().unwrap();
///
/// let requests = read_jsonl(&path)?;
/// let span = &requests[0].resource_spans[0].scope_spans[0].spans[0];
/// assert_eq!(span.name, "chat gpt-4o");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), llmscope::export::JsonlError>(())
/// ```
#[derive(Debug)]
pub struct JsonlExporter {
    sink: Arc<Sink>,
    rotation: Rotation,
    resource: ResourceAttributesWithSchema,
    shut_down: AtomicBool,
}

/// Builder for [`JsonlExporter`].
///
/// # Examples
///
/// ```
/// use llmscope::export::JsonlExporter;
///
/// let dir = std::env::temp_dir().join(format!("llmscope-doc-builder-{}", std::process::id()));
/// // Parent directories are created; the file is opened (and created) by `build`.
/// let exporter = JsonlExporter::builder(dir.join("traces.jsonl"))
///     .with_max_bytes(1024 * 1024) // rotate before a line would pass 1 MiB
///     .with_max_files(4)           // traces.jsonl + .1, .2, .3
///     .build()?;
/// # drop(exporter);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), llmscope::export::JsonlError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "call `build()` to get the exporter"]
pub struct JsonlExporterBuilder {
    path: PathBuf,
    rotation: Rotation,
}

#[derive(Debug, Clone, Copy)]
struct Rotation {
    max_bytes: u64,
    max_files: usize,
}

impl JsonlExporterBuilder {
    /// Rotates the file before a line would make it larger than `max_bytes` (default 64 MiB);
    /// `u64::MAX` never rotates.
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.rotation.max_bytes = max_bytes;
        self
    }

    /// Keeps at most `max_files` files in all, the live one included (default 5, at least 1):
    /// with 3, `traces.jsonl`, `traces.jsonl.1` and `traces.jsonl.2`. With 1 the file is
    /// emptied when it is full.
    pub fn with_max_files(mut self, max_files: usize) -> Self {
        self.rotation.max_files = max_files.max(1);
        self
    }

    /// Creates the parent directories, opens (or creates) the file and builds the exporter.
    ///
    /// # Errors
    ///
    /// [`JsonlError::Open`] if the directory cannot be created or the file cannot be opened
    /// for appending.
    pub fn build(self) -> Result<JsonlExporter, JsonlError> {
        let sink = Sink::for_path(&self.path)?;
        sink.lock().ensure_open(&sink.path)?;
        Ok(JsonlExporter {
            sink,
            rotation: self.rotation,
            resource: ResourceAttributesWithSchema::default(),
            shut_down: AtomicBool::new(false),
        })
    }
}

impl JsonlExporter {
    /// Returns a builder writing to `path` (for example `traces.jsonl`).
    pub fn builder(path: impl Into<PathBuf>) -> JsonlExporterBuilder {
        JsonlExporterBuilder {
            path: path.into(),
            rotation: Rotation {
                max_bytes: DEFAULT_MAX_BYTES,
                max_files: DEFAULT_MAX_FILES,
            },
        }
    }

    /// The path of the live file.
    pub fn path(&self) -> &Path {
        &self.sink.path
    }

    fn export_batch(&self, batch: Vec<SpanData>) -> Result<(), JsonlError> {
        if batch.is_empty() {
            return Ok(());
        }
        let request = ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(batch, &self.resource),
        };
        let mut line = encode_request(request)?;
        line.push(b'\n');
        self.sink.append(&line, self.rotation)
    }
}

impl SpanExporter for JsonlExporter {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        let result = if self.shut_down.load(Ordering::Acquire) {
            Err(OTelSdkError::AlreadyShutdown)
        } else {
            self.export_batch(batch)
                .map_err(|err| OTelSdkError::InternalFailure(format!("jsonl exporter: {err}")))
        };
        std::future::ready(result)
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = ResourceAttributesWithSchema::from(resource);
    }
}

/// An error writing or reading a JSONL trace file; each names the file.
#[derive(Debug)]
#[non_exhaustive]
pub enum JsonlError {
    /// The file or its directory could not be created or opened.
    Open {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A line could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The file could not be rotated.
    Rotate {
        /// The file that could not be renamed or removed.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A complete line is not an OTLP/JSON `ExportTraceServiceRequest`.
    Parse {
        /// The file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// The cause.
        source: serde_json::Error,
    },
    /// Spans could not be encoded as JSON.
    Encode {
        /// The cause.
        source: serde_json::Error,
    },
}

impl fmt::Display for JsonlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonlError::Open { path, source } => {
                write!(
                    f,
                    "cannot open `{}` for appending: {source}",
                    path.display()
                )?;
                match open_hint(path) {
                    Some(hint) => write!(f, " ({hint})"),
                    None => Ok(()),
                }
            }
            JsonlError::Write { path, source } => {
                write!(f, "cannot write to `{}`: {source}", path.display())
            }
            JsonlError::Rotate { path, source } => {
                write!(f, "cannot rotate `{}`: {source}", path.display())
            }
            JsonlError::Read { path, source } => {
                write!(f, "cannot read `{}`: {source}", path.display())
            }
            JsonlError::Parse { path, line, source } => write!(
                f,
                "line {line} of `{}` is not an OTLP/JSON trace request: {source}",
                path.display()
            ),
            JsonlError::Encode { source } => {
                write!(f, "cannot encode spans as OTLP/JSON: {source}")
            }
        }
    }
}

impl Error for JsonlError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            JsonlError::Open { source, .. }
            | JsonlError::Write { source, .. }
            | JsonlError::Rotate { source, .. }
            | JsonlError::Read { source, .. } => Some(source),
            JsonlError::Parse { source, .. } | JsonlError::Encode { source } => Some(source),
        }
    }
}

/// Reads a JSONL trace file: one `ExportTraceServiceRequest` per complete line.
///
/// Empty lines are skipped, and so is a last line without its newline when it does not parse
/// (a write cut short by a crash, or one still in progress). Accepts the OTLP/JSON forms of
/// other writers too (integers as numbers or strings, `"NaN"`/`"Infinity"` doubles).
///
/// # Errors
///
/// [`JsonlError::Read`] if the file cannot be read, [`JsonlError::Parse`] (with the line
/// number) if a complete line is not an OTLP/JSON trace request.
pub fn read_jsonl(path: impl AsRef<Path>) -> Result<Vec<ExportTraceServiceRequest>, JsonlError> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|source| JsonlError::Read {
        path: path.to_owned(),
        source,
    })?;
    let complete_len = bytes
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |last| last + 1);
    let mut requests = Vec::new();
    for (index, line) in bytes[..complete_len].split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let request = decode_request(line).map_err(|source| JsonlError::Parse {
            path: path.to_owned(),
            line: index + 1,
            source,
        })?;
        requests.push(request);
    }
    let tail = &bytes[complete_len..];
    if !tail.iter().all(u8::is_ascii_whitespace) {
        if let Ok(request) = decode_request(tail) {
            requests.push(request);
        }
    }
    Ok(requests)
}

/// Encodes a request as one line of OTLP/JSON (without the newline).
fn encode_request(mut request: ExportTraceServiceRequest) -> Result<Vec<u8>, JsonlError> {
    let encode = |source| JsonlError::Encode { source };
    let line = serde_json::to_vec(&request).map_err(encode)?;
    // opentelemetry-proto serializes a non-finite `doubleValue` as `null` (and a finite one never
    // so); the protobuf JSON mapping wants the strings "NaN", "Infinity" and "-Infinity". Inside
    // a JSON string the quotes would be escaped, so this pattern only matches the structure.
    if !contains(&line, b"\"doubleValue\":null") {
        return Ok(line);
    }
    let mut json = serde_json::to_value(&request).map_err(encode)?;
    zip_values(&mut request, &mut json, &mut |value, json| {
        if let Some(any_value::Value::DoubleValue(d)) = value.value {
            if !d.is_finite() {
                *json = serde_json::json!({ "doubleValue": special_double_name(d) });
            }
        }
    });
    serde_json::to_vec(&json).map_err(encode)
}

/// Decodes one line of OTLP/JSON.
fn decode_request(line: &[u8]) -> Result<ExportTraceServiceRequest, serde_json::Error> {
    let error = match serde_json::from_slice(line) {
        Ok(request) => return Ok(request),
        Err(error) => error,
    };
    // opentelemetry-proto cannot read a `doubleValue` written as a string ("NaN", "Infinity",
    // "-Infinity", or a number in quotes, all valid protobuf JSON): read the request with those
    // values replaced by 0, then put the real values back.
    let Ok(mut json) = serde_json::from_slice::<Json>(line) else {
        return Err(error);
    };
    let mut original = json.clone();
    replace_string_doubles(&mut json);
    let Ok(mut request) = serde_json::from_value::<ExportTraceServiceRequest>(json) else {
        return Err(error);
    };
    zip_values(&mut request, &mut original, &mut |value, json| {
        let text = json.get("doubleValue").and_then(Json::as_str);
        if let Some(d) = text.and_then(parse_string_double) {
            value.value = Some(any_value::Value::DoubleValue(d));
        }
    });
    Ok(request)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn special_double_name(value: f64) -> &'static str {
    if value.is_nan() {
        "NaN"
    } else if value > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

fn parse_string_double(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// Replaces every `"doubleValue": "<string>"` by `"doubleValue": 0`.
///
/// Only `AnyValue` objects have a `doubleValue` key in a trace request: attribute keys are the
/// values of `"key"`, never object keys.
fn replace_string_doubles(json: &mut Json) {
    match json {
        Json::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "doubleValue" && value.is_string() {
                    *value = Json::from(0);
                } else {
                    replace_string_doubles(value);
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(replace_string_doubles),
        _ => {}
    }
}

/// Calls `visit` on every scalar `AnyValue` of `request` paired with its JSON encoding in
/// `json` (the same request as a JSON tree), walking both by field name and position.
fn zip_values(
    request: &mut ExportTraceServiceRequest,
    json: &mut Json,
    visit: &mut impl FnMut(&mut AnyValue, &mut Json),
) {
    fn items<'a>(json: &'a mut Json, key: &str) -> impl Iterator<Item = &'a mut Json> {
        json.get_mut(key)
            .and_then(Json::as_array_mut)
            .into_iter()
            .flatten()
    }
    fn attributes(
        list: &mut [KeyValue],
        json: &mut Json,
        key: &str,
        visit: &mut impl FnMut(&mut AnyValue, &mut Json),
    ) {
        for (kv, kv_json) in list.iter_mut().zip(items(json, key)) {
            if let (Some(value), Some(value_json)) = (&mut kv.value, kv_json.get_mut("value")) {
                any(value, value_json, visit);
            }
        }
    }
    fn any(
        value: &mut AnyValue,
        json: &mut Json,
        visit: &mut impl FnMut(&mut AnyValue, &mut Json),
    ) {
        match &mut value.value {
            Some(any_value::Value::ArrayValue(array)) => {
                if let Some(array_json) = json.get_mut("arrayValue") {
                    for (item, item_json) in
                        array.values.iter_mut().zip(items(array_json, "values"))
                    {
                        any(item, item_json, visit);
                    }
                }
            }
            Some(any_value::Value::KvlistValue(list)) => {
                if let Some(list_json) = json.get_mut("kvlistValue") {
                    attributes(&mut list.values, list_json, "values", visit);
                }
            }
            _ => visit(value, json),
        }
    }
    for (resource_spans, rs_json) in request
        .resource_spans
        .iter_mut()
        .zip(items(json, "resourceSpans"))
    {
        if let (Some(resource), Some(resource_json)) =
            (&mut resource_spans.resource, rs_json.get_mut("resource"))
        {
            attributes(&mut resource.attributes, resource_json, "attributes", visit);
        }
        for (scope_spans, ss_json) in resource_spans
            .scope_spans
            .iter_mut()
            .zip(items(rs_json, "scopeSpans"))
        {
            if let (Some(scope), Some(scope_json)) =
                (&mut scope_spans.scope, ss_json.get_mut("scope"))
            {
                attributes(&mut scope.attributes, scope_json, "attributes", visit);
            }
            for (span, span_json) in scope_spans.spans.iter_mut().zip(items(ss_json, "spans")) {
                attributes(&mut span.attributes, span_json, "attributes", visit);
                for (event, event_json) in span.events.iter_mut().zip(items(span_json, "events")) {
                    attributes(&mut event.attributes, event_json, "attributes", visit);
                }
                for (link, link_json) in span.links.iter_mut().zip(items(span_json, "links")) {
                    attributes(&mut link.attributes, link_json, "attributes", visit);
                }
            }
        }
    }
}

/// The one writer of a path in this process.
#[derive(Debug)]
struct Sink {
    path: PathBuf,
    state: Mutex<SinkState>,
}

#[derive(Debug, Default)]
struct SinkState {
    file: Option<File>,
    /// Length of the file as written through this sink.
    len: u64,
}

impl Sink {
    /// Returns the process-wide sink of `path`, creating it if no exporter holds one.
    fn for_path(path: &Path) -> Result<Arc<Sink>, JsonlError> {
        static SINKS: OnceLock<Mutex<HashMap<PathBuf, Weak<Sink>>>> = OnceLock::new();
        let open_error = |source| JsonlError::Open {
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(open_error)?;
        }
        let key = canonical_file_path(path).map_err(open_error)?;
        let mut sinks = SINKS
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(sink) = sinks.get(&key).and_then(Weak::upgrade) {
            return Ok(sink);
        }
        sinks.retain(|_, sink| sink.strong_count() > 0);
        let sink = Arc::new(Sink {
            path: path.to_owned(),
            state: Mutex::default(),
        });
        sinks.insert(key, Arc::downgrade(&sink));
        Ok(sink)
    }

    fn lock(&self) -> MutexGuard<'_, SinkState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends one complete line, rotating first if it would pass `rotation.max_bytes`.
    fn append(&self, line: &[u8], rotation: Rotation) -> Result<(), JsonlError> {
        let mut state = self.lock();
        state.ensure_open(&self.path)?;
        if state.len > 0 && state.len.saturating_add(line.len() as u64) > rotation.max_bytes {
            state.file = None;
            rotate(&self.path, rotation.max_files)?;
            state.ensure_open(&self.path)?;
        }
        let len = state.len;
        let Some(file) = state.file.as_mut() else {
            unreachable!("ensure_open leaves the file open");
        };
        match file.write_all(line).and_then(|()| file.flush()) {
            Ok(()) => {
                state.len += line.len() as u64;
                Ok(())
            }
            Err(source) => {
                // Take back a partial line; if even that fails, the next open repairs the file.
                if file.set_len(len).is_err() {
                    state.file = None;
                }
                Err(JsonlError::Write {
                    path: self.path.clone(),
                    source,
                })
            }
        }
    }
}

impl SinkState {
    fn ensure_open(&mut self, path: &Path) -> Result<(), JsonlError> {
        if self.file.is_none() {
            let (file, len) = open_repaired(path).map_err(|source| JsonlError::Open {
                path: path.to_owned(),
                source,
            })?;
            self.file = Some(file);
            self.len = len;
        }
        Ok(())
    }
}

/// The absolute path of `path` with its directory's symlinks resolved, so two spellings of one
/// file share a sink.
/// What is wrong with a path that could not be opened, when the file system says more than
/// the OS error does ("Not a directory" names neither the path nor the culprit).
fn open_hint(path: &Path) -> Option<String> {
    if path.is_dir() {
        return Some(format!(
            "`{}` is a directory: give the path of a file",
            path.display()
        ));
    }
    path.ancestors()
        .skip(1)
        .filter(|dir| !dir.as_os_str().is_empty())
        .find(|dir| dir.is_file())
        .map(|file| {
            format!(
                "`{}` is a file, so it cannot hold `{}`",
                file.display(),
                path.display()
            )
        })
}

fn canonical_file_path(path: &Path) -> io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => Ok(fs::canonicalize(parent)?.join(name)),
        _ => Ok(absolute),
    }
}

/// Opens `path` for appending; if it ends with an incomplete line (a crash mid-write), truncates
/// that line so the next one starts on a line of its own. Returns the file and its length.
fn open_repaired(path: &Path) -> io::Result<(File, u64)> {
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    let len = file.metadata()?.len();
    let complete = complete_prefix_len(&mut file, len)?;
    if complete != len {
        file.set_len(complete)?;
    }
    Ok((file, complete))
}

/// The length of the file up to and including its last newline.
fn complete_prefix_len(file: &mut File, len: u64) -> io::Result<u64> {
    const CHUNK: u64 = 64 * 1024;
    let mut end = len;
    let mut buf = vec![0; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(last) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + last as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// `traces.jsonl` → `traces.jsonl.{index}`.
fn numbered(path: &Path, index: usize) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(format!(".{index}"));
    PathBuf::from(name)
}

/// Shifts `path.1` … `path.{max_files - 2}` up by one (dropping the oldest) and moves `path` to
/// `path.1`; with `max_files == 1`, removes `path`.
fn rotate(path: &Path, max_files: usize) -> Result<(), JsonlError> {
    let rotate_error = |path: &Path| {
        let path = path.to_owned();
        move |source| JsonlError::Rotate { path, source }
    };
    let ignore_missing = |result: io::Result<()>| match result {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    };
    if max_files <= 1 {
        return ignore_missing(fs::remove_file(path)).map_err(rotate_error(path));
    }
    let oldest = numbered(path, max_files - 1);
    ignore_missing(fs::remove_file(&oldest)).map_err(rotate_error(&oldest))?;
    for index in (1..max_files - 1).rev() {
        let from = numbered(path, index);
        ignore_missing(fs::rename(&from, numbered(path, index + 1)))
            .map_err(rotate_error(&from))?;
    }
    ignore_missing(fs::rename(path, numbered(path, 1))).map_err(rotate_error(path))
}
