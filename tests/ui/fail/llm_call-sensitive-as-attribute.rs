use llmscope::Sensitive;

struct User {
    email: Sensitive<String>,
}

#[llmscope::llm_call(provider = "openai", model = "gpt-4o", usage = false, attrs(custom("app.email") = user.email))]
fn chat(user: &User) {
    let _ = user;
}

fn main() {}
