//! `#[rag_stage(retrieve)]`: a search of an index or store, span `retrieval {data_source}`,
//! CLIENT.

use super::{
    Decl, End, NameRule, Operation, Required, Return, Scope, SpanKind, Stage, Target, COMMON,
};
use crate::registry::AttrType;

/// The declaration.
pub(crate) const DECL: Decl = Decl {
    label: "rag_stage(retrieve)",
    operation: Operation::Fixed("retrieval"),
    span_kind: SpanKind::Client,
    stage: Stage::Fixed("retrieve"),
    args: &[
        ("data_source", Target::Semconv("gen_ai.data_source.id")),
        ("top_k", Target::Semconv("gen_ai.request.top_k")),
        (
            "similarity_threshold",
            Target::Extension("llmscope.retrieval.similarity_threshold", AttrType::Double),
        ),
        ("server_address", Target::Semconv("server.address")),
        ("server_port", Target::Semconv("server.port")),
        ("capture", Target::Capture),
        ("query", Target::Query),
    ],
    common: COMMON,
    required: &[Required {
        arg: "data_source",
        message: "`#[rag_stage(retrieve)]` needs `data_source = \"…\"`: the id of the index or \
                  store searched (`gen_ai.data_source.id`, the span name's second word)",
    }],
    name: NameRule::OperationThen("data_source"),
    before: &[],
    returns: &[Return::Documents],
    scope: Scope::Call,
    end: End::BodyReturns,
};
