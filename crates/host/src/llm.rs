//! `fermyon:spin/llm@2.0.0`: Fabula's host runs no models.
//!
//! As in Spin, a component may only name the models in its `ai_models`; any other model is
//! `model-not-supported`. For a listed model the answer depends on `[llm_compute]`:
//! - none configured: `model-not-supported` (there is no local engine);
//! - `type = "remote_http"`: the app still starts (a warning is logged), and every call returns
//!   `runtime-error("remote_http llm_compute is not supported by the Fabula host")`, so an app
//!   whose LLM use is optional keeps working.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker};

use crate::bindings::fermyon::spin2_0_0::llm;
use crate::manifest::Manifest;
use crate::runtime_config::{LlmComputeConfig, RuntimeConfig};
use crate::state::InstanceState;

/// The `runtime-error` text of every call when `[llm_compute]` is `remote_http`.
pub const REMOTE_HTTP_UNSUPPORTED: &str =
    "remote_http llm_compute is not supported by the Fabula host";

/// What serves a model the component may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    /// No `[llm_compute]`.
    None,
    /// `[llm_compute] type = "remote_http"`, which this host does not implement.
    RemoteHttp,
}

/// App-wide LLM state: the configured backend and each component's `ai_models`.
#[derive(Debug)]
pub struct LlmFactor {
    backend: Backend,
    models: HashMap<String, Arc<HashSet<String>>>,
    no_models: Arc<HashSet<String>>,
}

impl LlmFactor {
    /// Reads `[llm_compute]` and every component's `ai_models`. Never fails today: a
    /// `remote_http` backend is accepted with a warning (see the module docs).
    pub fn new(rc: &RuntimeConfig, manifest: &Manifest) -> anyhow::Result<Self> {
        let backend = match &rc.llm_compute {
            None => Backend::None,
            // Neither the URL nor the token is logged: either may hold a credential.
            Some(LlmComputeConfig::RemoteHttp { .. }) => {
                tracing::warn!("{REMOTE_HTTP_UNSUPPORTED}: LLM calls will fail");
                Backend::RemoteHttp
            }
        };
        let models = manifest
            .components
            .iter()
            .map(|(id, c)| (id.clone(), Arc::new(c.ai_models.iter().cloned().collect())))
            .collect();
        Ok(LlmFactor {
            backend,
            models,
            no_models: Arc::default(),
        })
    }

    /// The per-instance state for `component_id` (cheap; no models for an unknown component).
    pub fn instance(&self, component_id: &str) -> LlmInstance {
        let models = self
            .models
            .get(component_id)
            .unwrap_or(&self.no_models)
            .clone();
        LlmInstance {
            backend: self.backend,
            models,
        }
    }
}

/// One instance's LLM access: the models its component lists and the backend.
#[derive(Debug, Clone)]
pub struct LlmInstance {
    backend: Backend,
    models: Arc<HashSet<String>>,
}

impl LlmInstance {
    /// The error every call on `model` gets (this host serves no model).
    fn refuse(&self, model: &str) -> llm::Error {
        if !self.models.contains(model) {
            return llm::Error::ModelNotSupported;
        }
        match self.backend {
            Backend::None => llm::Error::ModelNotSupported,
            Backend::RemoteHttp => llm::Error::RuntimeError(REMOTE_HTTP_UNSUPPORTED.to_owned()),
        }
    }
}

impl llm::Host for LlmInstance {
    async fn infer(
        &mut self,
        model: String,
        _prompt: String,
        _params: Option<llm::InferencingParams>,
    ) -> anyhow::Result<Result<llm::InferencingResult, llm::Error>> {
        Ok(Err(self.refuse(&model)))
    }

    async fn generate_embeddings(
        &mut self,
        model: String,
        _text: Vec<String>,
    ) -> anyhow::Result<Result<llm::EmbeddingsResult, llm::Error>> {
        Ok(Err(self.refuse(&model)))
    }
}

/// Adds `fermyon:spin/llm@2.0.0` to the linker, served by [`InstanceState::llm`].
pub fn add_to_linker(linker: &mut Linker<InstanceState>) -> anyhow::Result<()> {
    llm::add_to_linker::<InstanceState, HasSelf<LlmInstance>>(linker, |s| &mut s.llm)
        .map_err(anyhow::Error::from)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use llm::Host as _;

    use super::*;

    fn manifest() -> Manifest {
        let text = "spin_manifest_version = 2\n[application]\nname = \"t\"\n\
                    [component.ai]\nsource = \"ai.wasm\"\nai_models = [\"llama2-chat\"]\n\
                    [component.plain]\nsource = \"plain.wasm\"\n";
        Manifest::parse(text, Path::new("spin.toml"), PathBuf::from(".")).unwrap()
    }

    fn remote_http() -> RuntimeConfig {
        RuntimeConfig {
            llm_compute: Some(LlmComputeConfig::RemoteHttp {
                url: "https://llm.example.com".into(),
                auth_token: "token".into(),
            }),
            ..RuntimeConfig::default()
        }
    }

    async fn both_calls(instance: &mut LlmInstance, model: &str) -> [llm::Error; 2] {
        let infer = instance
            .infer(model.into(), "hi".into(), None)
            .await
            .unwrap()
            .unwrap_err();
        let embed = instance
            .generate_embeddings(model.into(), vec!["hi".into()])
            .await
            .unwrap();
        [infer, embed.unwrap_err()]
    }

    #[tokio::test]
    async fn without_llm_compute_every_model_is_not_supported() {
        let factor = LlmFactor::new(&RuntimeConfig::default(), &manifest()).unwrap();
        for (component, model) in [
            ("ai", "llama2-chat"),
            ("ai", "other"),
            ("plain", "llama2-chat"),
        ] {
            for err in both_calls(&mut factor.instance(component), model).await {
                assert!(
                    matches!(err, llm::Error::ModelNotSupported),
                    "{component}/{model}: {err:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn remote_http_gives_a_runtime_error_for_listed_models() {
        let factor = LlmFactor::new(&remote_http(), &manifest()).unwrap();
        for err in both_calls(&mut factor.instance("ai"), "llama2-chat").await {
            assert!(
                matches!(err, llm::Error::RuntimeError(ref m) if m == REMOTE_HTTP_UNSUPPORTED),
                "{err:?}"
            );
        }
        for (component, model) in [("ai", "other"), ("plain", "llama2-chat"), ("ghost", "x")] {
            for err in both_calls(&mut factor.instance(component), model).await {
                assert!(
                    matches!(err, llm::Error::ModelNotSupported),
                    "{component}/{model}: {err:?}"
                );
            }
        }
    }
}
