//! `fermyon:spin/llm@2.0.0`. (Skeleton.)

/// One instance's LLM access.
pub struct LlmInstance;
