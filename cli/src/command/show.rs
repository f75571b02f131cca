//! `llmscope show <trace-id prefix>`: one trace as a tree with a timing waterfall.

use std::collections::{BTreeMap, HashSet};

use crate::format::{count, duration, money};
use crate::input::Visit;
use crate::span::Span;
use crate::trace::TraceSummary;

/// Collects the traces whose id starts with a prefix (at most a few, to name them if the
/// prefix is ambiguous).
#[derive(Debug)]
pub(crate) struct Finder {
    prefix: String,
    found: Vec<Vec<Span>>,
}

/// Matches kept before giving up on an ambiguous prefix.
const MAX_MATCHES: usize = 10;

impl Finder {
    /// Looks for `prefix` (case-insensitive hex).
    pub(crate) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_ascii_lowercase(),
            found: Vec::new(),
        }
    }

    /// The one trace found.
    ///
    /// # Errors
    ///
    /// No trace, or several (named), match the prefix.
    pub(crate) fn into_trace(mut self) -> Result<Vec<Span>, String> {
        // Fragments of one trace (spans arriving after its root) are merged.
        let mut merged: BTreeMap<String, Vec<Span>> = BTreeMap::new();
        for spans in self.found.drain(..) {
            if let Some(first) = spans.first() {
                merged
                    .entry(first.trace_id.clone())
                    .or_default()
                    .extend(spans);
            }
        }
        match merged.len() {
            0 => Err(format!("no trace id starts with `{}`", self.prefix)),
            1 => Ok(merged.into_values().next().unwrap_or_default()),
            _ => Err(format!(
                "trace id prefix `{}` is ambiguous: {}{}",
                self.prefix,
                merged.keys().cloned().collect::<Vec<_>>().join(", "),
                if merged.len() >= MAX_MATCHES {
                    ", …"
                } else {
                    ""
                }
            )),
        }
    }
}

impl Visit for Finder {
    fn trace(&mut self, spans: Vec<Span>) {
        let matches = spans
            .first()
            .is_some_and(|s| s.trace_id.starts_with(&self.prefix));
        if matches && self.found.len() < MAX_MATCHES {
            self.found.push(spans);
        }
    }
}

/// Width of the waterfall column, characters.
const BAR_WIDTH: usize = 32;

/// Spans of a trace in tree order (children by start time), with their depth; spans whose
/// parent is missing are shown at the top level.
pub(crate) fn tree_order(spans: &[Span]) -> Vec<(usize, &Span)> {
    let ids: HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    let mut children: BTreeMap<Option<&str>, Vec<&Span>> = BTreeMap::new();
    for span in spans {
        let parent = span
            .parent_id
            .as_deref()
            .filter(|p| ids.contains(p) && *p != span.span_id);
        children.entry(parent).or_default().push(span);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.start_ns.cmp(&b.start_ns).then(a.span_id.cmp(&b.span_id)));
    }
    let mut out = Vec::with_capacity(spans.len());
    let mut stack: Vec<(usize, &Span)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|s| (0, *s)).collect())
        .unwrap_or_default();
    let mut visited = HashSet::new();
    while let Some((depth, span)) = stack.pop() {
        if !visited.insert(span.span_id.as_str()) {
            continue;
        }
        out.push((depth, span));
        if let Some(kids) = children.get(&Some(span.span_id.as_str())) {
            for kid in kids.iter().rev() {
                stack.push((depth + 1, kid));
            }
        }
    }
    out
}

fn tokens(span: &Span) -> String {
    let t = span.tokens;
    let mut text = format!("{} in", count(t.input));
    if t.cache_read > 0 {
        text.push_str(&format!(" ({} cached)", count(t.cache_read)));
    }
    if t.cache_write > 0 {
        text.push_str(&format!(" ({} cache write)", count(t.cache_write)));
    }
    text.push_str(&format!(" / {} out", count(t.output)));
    if t.reasoning > 0 {
        text.push_str(&format!(" ({} reasoning)", count(t.reasoning)));
    }
    text
}

/// Renders the tree with a waterfall (`█` where the span runs within the trace).
pub(crate) fn render(spans: &[Span]) -> String {
    let summary = TraceSummary::of(spans);
    let start = spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let end = spans.iter().map(|s| s.end_ns).max().unwrap_or(start);
    let total = end.saturating_sub(start).max(1);
    let mut out = format!(
        "trace {}  {}  {}  {}\n",
        summary.trace_id,
        summary.name(),
        crate::time::timestamp(summary.start_ns),
        duration(summary.duration_ns() as f64)
    );
    out.push_str(&format!(
        "totals: {} llm calls, {} input / {} output tokens, {}, {} errors\n\n",
        summary.llm_calls,
        count(summary.input_tokens),
        count(summary.output_tokens),
        money(summary.cost),
        summary.errors
    ));
    let rows = tree_order(spans);
    let label_width = rows
        .iter()
        .map(|(depth, span)| depth * 2 + span.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    for (depth, span) in rows {
        let offset = span.start_ns.saturating_sub(start);
        let first = (offset as u128 * BAR_WIDTH as u128 / total as u128) as usize;
        let last = (span.end_ns.saturating_sub(start) as u128 * BAR_WIDTH as u128 / total as u128)
            as usize;
        let first = first.min(BAR_WIDTH - 1);
        let last = last.clamp(first + 1, BAR_WIDTH);
        let bar: String = (0..BAR_WIDTH)
            .map(|i| if i >= first && i < last { '█' } else { '·' })
            .collect();
        let label = format!("{}{}", "  ".repeat(depth), span.name);
        let pad = label_width - label.chars().count();
        let marker = if span.is_error() { "✗ " } else { "  " };
        out.push_str(&format!(
            "{marker}{label}{}  {bar}  +{:>8}  {:>8}\n",
            " ".repeat(pad),
            duration(offset as f64),
            duration(span.duration_ns() as f64),
        ));
        let indent = format!("    {}", "  ".repeat(depth));
        let mut facts = Vec::new();
        if let Some(model) = &span.model {
            facts.push(format!("model {model}"));
        }
        if let Some(provider) = &span.provider {
            facts.push(format!("provider {provider}"));
        }
        if span.has_usage {
            facts.push(tokens(span));
        }
        if let Some(cost) = span.cost {
            facts.push(format!("cost {}", money(cost)));
        }
        if let Some(feature) = &span.feature {
            facts.push(format!("feature {feature}"));
        }
        if let Some(user) = &span.user {
            facts.push(format!("user {user}"));
        }
        if !span.finish_reasons.is_empty() {
            facts.push(format!("finish {}", span.finish_reasons.join(",")));
        }
        if let Some(ttfc) = span.time_to_first_chunk {
            facts.push(format!("first chunk {}", duration(ttfc * 1e9)));
        }
        if !facts.is_empty() {
            out.push_str(&format!("{indent}{}\n", facts.join(" · ")));
        }
        for (key, value) in &span.details {
            out.push_str(&format!("{indent}{key} = {value}\n"));
        }
        for evaluation in &span.evaluations {
            out.push_str(&format!(
                "{indent}evaluation {}: {}{}\n",
                evaluation.name,
                evaluation
                    .score
                    .map(|s| format!("{s:.3}"))
                    .unwrap_or_else(|| "-".into()),
                evaluation
                    .label
                    .as_ref()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default()
            ));
        }
        if span.is_error() {
            let class = span.error_type.as_deref().unwrap_or("error");
            let message = span
                .exception
                .as_deref()
                .or(Some(span.status_message.as_str()).filter(|m| !m.is_empty()));
            out.push_str(&format!(
                "{indent}ERROR {class}{}\n",
                message.map(|m| format!(": {m}")).unwrap_or_default()
            ));
        }
    }
    out
}
