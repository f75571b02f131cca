//! What `#[rag_stage(retrieve)]` and `#[rag_stage(rerank)]` read from the returned value: the
//! documents, each with an id and a relevance score.

use std::borrow::Cow;

/// One retrieved document: an id and a relevance score.
///
/// Implement it for your document type; `#[rag_stage(retrieve)]` then writes
/// `gen_ai.retrieval.documents` (`[{"id": …, "score": …}]`, semconv v1.41.0) from the value the
/// function returns. The document's text is content: [`Document::content`] is read only by the
/// capture policy, never exported by default.
///
/// # Examples
///
/// ```
/// use std::borrow::Cow;
///
/// struct Chunk { id: u64, score: f32, text: String }
///
/// impl llmscope::Document for Chunk {
///     fn id(&self) -> Cow<'_, str> { Cow::Owned(self.id.to_string()) }
///     fn score(&self) -> Option<f64> { Some(f64::from(self.score)) }
///     fn content(&self) -> Option<&str> { Some(&self.text) }
/// }
/// ```
pub trait Document {
    /// A unique identifier of the document.
    fn id(&self) -> Cow<'_, str>;

    /// Its relevance score, if the retriever gives one.
    fn score(&self) -> Option<f64>;

    /// Its text: content, only ever read under the capture policy. `None` by default.
    fn content(&self) -> Option<&str> {
        None
    }
}

impl<D: Document + ?Sized> Document for &D {
    fn id(&self) -> Cow<'_, str> {
        (**self).id()
    }
    fn score(&self) -> Option<f64> {
        (**self).score()
    }
    fn content(&self) -> Option<&str> {
        (**self).content()
    }
}

impl<D: Document + ?Sized> Document for Box<D> {
    fn id(&self) -> Cow<'_, str> {
        (**self).id()
    }
    fn score(&self) -> Option<f64> {
        (**self).score()
    }
    fn content(&self) -> Option<&str> {
        (**self).content()
    }
}

impl<D: Document + ?Sized> Document for std::sync::Arc<D> {
    fn id(&self) -> Cow<'_, str> {
        (**self).id()
    }
    fn score(&self) -> Option<f64> {
        (**self).score()
    }
    fn content(&self) -> Option<&str> {
        (**self).content()
    }
}

/// `(id, score)` pairs are documents too, for retrievers that return only those.
impl<S: AsRef<str>> Document for (S, f64) {
    fn id(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.0.as_ref())
    }
    fn score(&self) -> Option<f64> {
        Some(self.1)
    }
}

/// A value holding retrieved documents: `Vec<D>`, `[D]`, `[D; N]` for any [`Document`] `D`, and
/// `Option`/`Result`/references of those (an `Err` or `None` holds no documents).
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not hold retrieved documents",
    label = "`#[rag_stage(retrieve)]` and `#[rag_stage(rerank)]` read the documents from the return value",
    note = "return `Vec<D>` (or a slice, `Option`, `Result` of one) where `D: llmscope::Document`, or implement `llmscope::Retrieved`"
)]
pub trait Retrieved {
    /// Calls `each` for every document, in order.
    fn each_document(&self, each: &mut dyn FnMut(&dyn Document));
}

impl<D: Document> Retrieved for [D] {
    fn each_document(&self, each: &mut dyn FnMut(&dyn Document)) {
        for document in self {
            each(document);
        }
    }
}
impl<D: Document> Retrieved for Vec<D> {
    fn each_document(&self, each: &mut dyn FnMut(&dyn Document)) {
        self.as_slice().each_document(each);
    }
}
impl<D: Document, const N: usize> Retrieved for [D; N] {
    fn each_document(&self, each: &mut dyn FnMut(&dyn Document)) {
        self.as_slice().each_document(each);
    }
}
impl<R: Retrieved + ?Sized> Retrieved for &R {
    fn each_document(&self, each: &mut dyn FnMut(&dyn Document)) {
        (**self).each_document(each);
    }
}
impl<R: Retrieved> Retrieved for Option<R> {
    fn each_document(&self, each: &mut dyn FnMut(&dyn Document)) {
        if let Some(documents) = self {
            documents.each_document(each);
        }
    }
}
impl<R: Retrieved, E> Retrieved for Result<R, E> {
    fn each_document(&self, each: &mut dyn FnMut(&dyn Document)) {
        if let Ok(documents) = self {
            documents.each_document(each);
        }
    }
}

/// The `gen_ai.retrieval.documents` JSON of `documents`: `[{"id": …, "score": …}]`, the semconv
/// v1.41.0 schema (`score` is required there: a document without one gets `null`, never an
/// invented number), and the scores in order.
pub(crate) fn documents_json(documents: &(impl Retrieved + ?Sized)) -> (String, Vec<f64>, usize) {
    documents_json_with(documents, &mut |_| None)
}

/// [`documents_json`] with each document's text as `content` where `content` gives one (the
/// capture policy decides: redacted, cut to the room left, or nothing).
pub(crate) fn documents_json_with(
    documents: &(impl Retrieved + ?Sized),
    content: &mut dyn FnMut(&str) -> Option<String>,
) -> (String, Vec<f64>, usize) {
    let mut entries = Vec::new();
    let mut scores = Vec::new();
    documents.each_document(&mut |document| {
        let score = document.score();
        if let Some(score) = score {
            scores.push(score);
        }
        let mut entry = serde_json::json!({
            "id": document.id(),
            "score": score,
        });
        if let Some(text) = document.content().and_then(&mut *content) {
            entry["content"] = serde_json::Value::String(text);
        }
        entries.push(entry);
    });
    let count = entries.len();
    let json = serde_json::Value::Array(entries).to_string();
    (json, scores, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Chunk(&'static str, Option<f64>);
    impl Document for Chunk {
        fn id(&self) -> Cow<'_, str> {
            Cow::Borrowed(self.0)
        }
        fn score(&self) -> Option<f64> {
            self.1
        }
    }

    #[test]
    fn documents_follow_the_semconv_schema() {
        let documents = vec![Chunk("doc-1", Some(0.5)), Chunk("doc \"2\"", None)];
        let (json, scores, count) = documents_json(&documents);
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!([{"id": "doc-1", "score": 0.5}, {"id": "doc \"2\"", "score": null}])
        );
        assert_eq!(scores, [0.5]);
        assert_eq!(count, 2);
    }

    #[test]
    fn errors_and_none_hold_no_documents() {
        let failed: Result<Vec<Chunk>, &str> = Err("down");
        assert_eq!(documents_json(&failed).2, 0);
        let none: Option<Vec<Chunk>> = None;
        assert_eq!(documents_json(&none).0, "[]");
        let pairs = [("a", 0.9), ("b", 0.1)];
        assert_eq!(documents_json(&pairs).1, [0.9, 0.1]);
    }
}
