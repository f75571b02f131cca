//! Tests of the generated attribute registry against facts of the semconv v1.41.0 YAML.

use crate::registry::{lookup, AttrType, Deprecation, ATTRIBUTES};

#[test]
fn table_is_sorted_and_unique() {
    for pair in ATTRIBUTES.windows(2) {
        assert!(
            pair[0].name < pair[1].name,
            "`{}` is not strictly before `{}`",
            pair[0].name,
            pair[1].name
        );
    }
}

#[test]
fn lookup_finds_every_entry_of_the_table() {
    for attribute in ATTRIBUTES {
        let found = lookup(attribute.name).map(|found| found.name);
        assert_eq!(found, Some(attribute.name));
    }
}

#[test]
fn request_parameters_have_their_semconv_types() {
    let temperature = lookup("gen_ai.request.temperature").expect("temperature");
    assert_eq!(temperature.ty, AttrType::Double);
    assert!(temperature.members.is_empty());
    assert!(!temperature.open_enum);
    assert_eq!(temperature.deprecated, None);
    assert_eq!(temperature.stability, "development");
    assert_eq!(
        temperature.brief,
        "The temperature setting for the GenAI request."
    );

    assert_eq!(
        lookup("gen_ai.request.max_tokens").map(|a| a.ty),
        Some(AttrType::Int)
    );
    assert_eq!(
        lookup("gen_ai.request.top_k").map(|a| a.ty),
        Some(AttrType::Double)
    );
    assert_eq!(
        lookup("gen_ai.request.seed").map(|a| a.ty),
        Some(AttrType::Int)
    );
    assert_eq!(
        lookup("gen_ai.request.stream").map(|a| a.ty),
        Some(AttrType::Boolean)
    );
    assert_eq!(
        lookup("gen_ai.request.stop_sequences").map(|a| a.ty),
        Some(AttrType::StringArray)
    );
    assert_eq!(
        lookup("gen_ai.input.messages").map(|a| a.ty),
        Some(AttrType::Any)
    );
}

#[test]
fn provider_name_is_an_open_enum_of_well_known_providers() {
    let provider = lookup("gen_ai.provider.name").expect("provider");
    assert_eq!(provider.ty, AttrType::String);
    assert!(provider.open_enum);
    assert_eq!(provider.deprecated, None);
    for value in [
        "openai",
        "anthropic",
        "aws.bedrock",
        "azure.ai.openai",
        "gcp.gemini",
        "gcp.vertex_ai",
        "mistral_ai",
        "cohere",
        "groq",
        "deepseek",
        "x_ai",
    ] {
        assert!(provider.members.contains(&value), "missing `{value}`");
    }
    assert_eq!(provider.members.len(), 15);
}

#[test]
fn operation_name_lists_the_span_operations() {
    let operation = lookup("gen_ai.operation.name").expect("operation");
    assert_eq!(
        operation.members,
        [
            "chat",
            "generate_content",
            "text_completion",
            "embeddings",
            "retrieval",
            "create_agent",
            "invoke_agent",
            "execute_tool",
            "invoke_workflow",
        ]
    );
}

#[test]
fn enum_members_are_values_without_repeats() {
    // `gen_ai.token.type` has a deprecated member `completion` whose value is `output`.
    assert_eq!(
        lookup("gen_ai.token.type").map(|a| a.members),
        Some(&["input", "output"][..])
    );
    // the member id is `other`, the value `_OTHER`.
    assert_eq!(
        lookup("error.type").map(|a| a.members),
        Some(&["_OTHER"][..])
    );
}

#[test]
fn gen_ai_system_is_renamed_to_provider_name() {
    let system = lookup("gen_ai.system").expect("gen_ai.system");
    assert_eq!(
        system.deprecated.and_then(|d| d.renamed_to),
        Some("gen_ai.provider.name")
    );
    assert!(system.members.contains(&"openai"));
}

#[test]
fn other_deprecated_gen_ai_attributes_are_present() {
    let renamed = [
        ("gen_ai.usage.prompt_tokens", "gen_ai.usage.input_tokens"),
        (
            "gen_ai.usage.completion_tokens",
            "gen_ai.usage.output_tokens",
        ),
        ("gen_ai.openai.request.seed", "gen_ai.request.seed"),
        (
            "gen_ai.openai.request.response_format",
            "gen_ai.output.type",
        ),
        (
            "gen_ai.openai.request.service_tier",
            "openai.request.service_tier",
        ),
        (
            "gen_ai.openai.response.service_tier",
            "openai.response.service_tier",
        ),
        (
            "gen_ai.openai.response.system_fingerprint",
            "openai.response.system_fingerprint",
        ),
    ];
    for (old, new) in renamed {
        let deprecated = lookup(old).and_then(|a| a.deprecated);
        assert_eq!(deprecated.and_then(|d| d.renamed_to), Some(new), "{old}");
    }
    for obsoleted in ["gen_ai.prompt", "gen_ai.completion"] {
        assert_eq!(
            lookup(obsoleted).and_then(|a| a.deprecated),
            Some(Deprecation {
                renamed_to: None,
                note: "Removed, no replacement at this time.",
            }),
            "{obsoleted}"
        );
    }
}

#[test]
fn every_rename_target_is_a_current_attribute() {
    for attribute in ATTRIBUTES {
        let Some(target) = attribute.deprecated.and_then(|d| d.renamed_to) else {
            continue;
        };
        let replacement = lookup(target)
            .unwrap_or_else(|| panic!("`{}` renamed to unknown `{target}`", attribute.name));
        assert_eq!(replacement.deprecated, None, "{target}");
    }
}

#[test]
fn shared_server_error_and_exception_attributes_are_present() {
    assert_eq!(
        lookup("server.address").map(|a| a.ty),
        Some(AttrType::String)
    );
    assert_eq!(lookup("server.port").map(|a| a.ty), Some(AttrType::Int));
    assert_eq!(lookup("server.port").map(|a| a.stability), Some("stable"));
    let error_type = lookup("error.type").expect("error.type");
    assert!(error_type.open_enum);
    for name in [
        "exception.type",
        "exception.message",
        "exception.stacktrace",
    ] {
        assert_eq!(lookup(name).map(|a| a.ty), Some(AttrType::String), "{name}");
    }
    assert!(lookup("exception.escaped").is_some_and(|a| a.deprecated.is_some()));
    assert!(lookup("error.message").is_some_and(|a| a.deprecated.is_some()));
}

#[test]
fn openai_and_mcp_attributes_are_present() {
    let service_tier = lookup("openai.request.service_tier").expect("service tier");
    assert_eq!(service_tier.members, ["auto", "default"]);
    assert!(lookup("openai.response.system_fingerprint").is_some());
    let method = lookup("mcp.method.name").expect("mcp.method.name");
    assert!(method.members.contains(&"tools/call"));
    assert!(lookup("mcp.session.id").is_some());
}

#[test]
fn only_enums_are_open() {
    for attribute in ATTRIBUTES {
        assert_eq!(
            attribute.open_enum,
            !attribute.members.is_empty(),
            "{}",
            attribute.name
        );
    }
}

#[test]
fn unknown_names_are_not_found() {
    assert!(lookup("gen_ai.request.temprature").is_none());
    assert!(lookup("").is_none());
    assert!(lookup("gen_ai").is_none());
    assert!(lookup("gen_ai.request.temperature.").is_none());
    assert!(lookup("GEN_AI.REQUEST.TEMPERATURE").is_none());
}

#[test]
fn semconv_names_of_types() {
    assert_eq!(AttrType::StringArray.semconv_name(), "string[]");
    assert_eq!(AttrType::Boolean.semconv_name(), "boolean");
}
