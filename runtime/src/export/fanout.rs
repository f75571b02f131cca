//! [`FanOut`]: the embedded default's two exporters behind one.

use std::time::Duration;

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

use super::{JsonlExporter, TerminalExporter};

/// The terminal tree and the JSONL file, each optional, fed the same batches.
#[derive(Debug)]
pub(crate) struct FanOut {
    terminal: Option<TerminalExporter>,
    jsonl: Option<JsonlExporter>,
}

impl FanOut {
    pub(crate) fn new(terminal: Option<TerminalExporter>, jsonl: Option<JsonlExporter>) -> FanOut {
        FanOut { terminal, jsonl }
    }
}

impl SpanExporter for FanOut {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        match (&self.terminal, &self.jsonl) {
            (Some(terminal), Some(jsonl)) => {
                let printed = terminal.export(batch.clone()).await;
                let written = jsonl.export(batch).await;
                printed.and(written)
            }
            (Some(terminal), None) => terminal.export(batch).await,
            (None, Some(jsonl)) => jsonl.export(batch).await,
            (None, None) => Ok(()),
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        let printed = self.terminal.as_ref().map_or(Ok(()), |t| t.force_flush());
        let written = self.jsonl.as_ref().map_or(Ok(()), |j| j.force_flush());
        printed.and(written)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let printed = self
            .terminal
            .as_ref()
            .map_or(Ok(()), |t| t.shutdown_with_timeout(timeout));
        let written = self
            .jsonl
            .as_ref()
            .map_or(Ok(()), |j| j.shutdown_with_timeout(timeout));
        printed.and(written)
    }

    fn set_resource(&mut self, resource: &Resource) {
        if let Some(terminal) = &mut self.terminal {
            terminal.set_resource(resource);
        }
        if let Some(jsonl) = &mut self.jsonl {
            jsonl.set_resource(resource);
        }
    }
}
