//! `fermyon:spin/variables@2.0.0`: application and component variables.
//!
//! Everything is resolved once, at start-up, as Spin does with its prepared resolver: every
//! application variable from its sources ([`providers`]), then every component variable's
//! template ([`template`]). A guest's `get` is then a map look-up.

mod name;
mod providers;
mod template;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker};

use crate::bindings::fermyon::spin2_0_0::variables;
use crate::manifest::Manifest;
use crate::runtime_config::RuntimeConfig;
use crate::state::InstanceState;

pub use name::NameError;
pub use providers::ProviderError;
pub use template::{Template, TemplateError, UndefinedVariable};

use name::check_name;
use providers::{DEFAULT_ENV_PREFIX, Source};

/// Variables that could not be resolved at start-up. Messages name the variable and never
/// hold a value.
#[derive(Debug, thiserror::Error)]
pub enum VariablesError {
    /// A variable name breaks Spin's naming rule.
    #[error("{place}: {source}")]
    InvalidName {
        /// `variables.<name>` or `component.<id>.variables.<name>`.
        place: String,
        /// What is wrong with the name.
        source: NameError,
    },
    /// A template is malformed.
    #[error("{place}: {source}")]
    Template {
        /// Where the template is (`component.<id>.variables.<name>`, or the template itself).
        place: String,
        /// What is wrong with it.
        source: TemplateError,
    },
    /// A template refers to a name that is not an application variable.
    #[error("{place}: the template refers to `{name}`, which is not declared in [variables]")]
    UndefinedInTemplate {
        /// Where the template is.
        place: String,
        /// The unknown name.
        name: String,
    },
    /// No source gave an application variable a value and it has no default.
    #[error(
        "variable `{name}` {}: pass `--variable {name}=VALUE`, set {prefix}_{upper}, or give it a value in a [[variables_provider]]",
        if *required { "is required but has no value" } else { "has no default and no value" },
        prefix = DEFAULT_ENV_PREFIX,
        upper = name.to_ascii_uppercase()
    )]
    Missing {
        /// The variable.
        name: String,
        /// Whether it is declared `required = true`.
        required: bool,
    },
    /// A provider failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

/// One resolved application variable.
struct AppValue {
    value: String,
    secret: bool,
}

/// One component's resolved variables.
struct ComponentVariables {
    id: Arc<str>,
    values: HashMap<String, String>,
}

/// App-wide variables: every application variable and every component variable, resolved at
/// start-up. Its `Debug` shows names only.
pub struct VariablesFactor {
    app: HashMap<String, AppValue>,
    components: HashMap<String, Arc<ComponentVariables>>,
}

impl fmt::Debug for VariablesFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut app: Vec<&str> = self.app.keys().map(String::as_str).collect();
        app.sort_unstable();
        let mut components: Vec<&str> = self.components.keys().map(String::as_str).collect();
        components.sort_unstable();
        f.debug_struct("VariablesFactor")
            .field("app_variables", &app)
            .field("components", &components)
            .finish()
    }
}

impl VariablesFactor {
    /// Resolves every application variable and every component variable, reading the process
    /// environment. Sources, highest priority first: `cli` (`--variable name=value`), each
    /// `[[variables_provider]]` in runtime-config order (`env`: `<PREFIX>_<NAME>` then its dotenv
    /// file, default prefix `SPIN_VARIABLE` and file `.env`; `static`: its values), then the
    /// environment provider Spin always adds last (`SPIN_VARIABLE_<NAME>`, then `.env` in the
    /// current folder), then the manifest `default`.
    ///
    /// Fails, naming the variable, when one has no value (required or without a default), when
    /// a component template refers to an undeclared variable, or when a template or a name is
    /// malformed.
    pub fn new(
        manifest: &Manifest,
        rc: &RuntimeConfig,
        cli: &[(String, String)],
    ) -> anyhow::Result<Self> {
        Self::with_env(manifest, rc, cli, &|key| std::env::var(key).ok())
    }

    /// [`VariablesFactor::new`] with an explicit environment look-up (`env(KEY)`).
    pub fn with_env(
        manifest: &Manifest,
        rc: &RuntimeConfig,
        cli: &[(String, String)],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        Ok(Self::resolve(manifest, rc, cli, env)?)
    }

    fn resolve(
        manifest: &Manifest,
        rc: &RuntimeConfig,
        cli: &[(String, String)],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, VariablesError> {
        for (name, _) in cli {
            if !manifest.variables.contains_key(name) {
                tracing::warn!(variable = %name, "--variable names no application variable; ignored");
            }
        }
        let sources = Source::all(rc, cli);
        let mut app = HashMap::with_capacity(manifest.variables.len());
        for (name, decl) in &manifest.variables {
            check_name(name).map_err(|source| VariablesError::InvalidName {
                place: format!("variables.{name}"),
                source,
            })?;
            let mut value = None;
            for source in &sources {
                if let Some(v) = source.get(name, env)? {
                    tracing::debug!(variable = %name, source = %source, "variable resolved");
                    value = Some(v);
                    break;
                }
            }
            let value =
                value
                    .or_else(|| decl.default.clone())
                    .ok_or_else(|| VariablesError::Missing {
                        name: name.clone(),
                        required: decl.required,
                    })?;
            app.insert(
                name.clone(),
                AppValue {
                    value,
                    secret: decl.secret,
                },
            );
        }

        let mut factor = VariablesFactor {
            app,
            components: HashMap::new(),
        };
        for (id, component) in &manifest.components {
            let mut values = HashMap::with_capacity(component.variables.len());
            for (name, text) in &component.variables {
                let place = format!("component.{id}.variables.{name}");
                check_name(name).map_err(|source| VariablesError::InvalidName {
                    place: place.clone(),
                    source,
                })?;
                values.insert(name.clone(), factor.expand(text, place)?);
            }
            let resolved = ComponentVariables {
                id: Arc::from(id.as_str()),
                values,
            };
            factor.components.insert(id.clone(), Arc::new(resolved));
        }
        Ok(factor)
    }

    /// Expands a template over the application variables; `place` names it in errors.
    fn expand(&self, text: &str, place: String) -> Result<String, VariablesError> {
        let template = Template::parse(text).map_err(|source| VariablesError::Template {
            place: place.clone(),
            source,
        })?;
        template
            .render(|name| self.app.get(name).map(|v| v.value.as_str()))
            .map_err(|UndefinedVariable(name)| VariablesError::UndefinedInTemplate { place, name })
    }

    /// The variables `component_id` may `get` (none for an unknown component). Cheap.
    pub fn instance(&self, component_id: &str) -> VariablesInstance {
        let resolved = self
            .components
            .get(component_id)
            .cloned()
            .unwrap_or_else(|| {
                Arc::new(ComponentVariables {
                    id: Arc::from(component_id),
                    values: HashMap::new(),
                })
            });
        VariablesInstance { resolved }
    }

    /// Expands `{{ app_var }}` templates in a manifest string (Redis address and channel,
    /// allowed hosts). Errors quote the template, never a value.
    pub fn resolve_app_template(&self, template: &str) -> anyhow::Result<String> {
        Ok(self.expand(template, format!("`{template}`"))?)
    }

    /// The values of the `secret = true` variables (empty ones left out), so that logs can
    /// scrub them.
    pub fn secret_values(&self) -> Vec<String> {
        let mut secrets: Vec<String> = self
            .app
            .values()
            .filter(|v| v.secret && !v.value.is_empty())
            .map(|v| v.value.clone())
            .collect();
        secrets.sort_unstable();
        secrets.dedup();
        secrets
    }

    /// `text` with every secret value replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        // Longest first, so a secret that contains another is replaced whole.
        let mut secrets = self.secret_values();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.iter().fold(text.to_owned(), |acc, secret| {
            acc.replace(secret.as_str(), "***")
        })
    }
}

/// One instance's variables: its component's resolved values. Its `Debug` shows names only.
#[derive(Clone)]
pub struct VariablesInstance {
    resolved: Arc<ComponentVariables>,
}

impl fmt::Debug for VariablesInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.resolved.values.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("VariablesInstance")
            .field("component", &self.resolved.id)
            .field("variables", &names)
            .finish()
    }
}

impl VariablesInstance {
    /// The guest's `get`: `invalid-name` for a name breaking Spin's rule, `undefined` for a
    /// name that is not one of this component's variables.
    fn lookup(&self, name: &str) -> Result<String, variables::Error> {
        check_name(name).map_err(|e| variables::Error::InvalidName(e.to_string()))?;
        self.resolved.values.get(name).cloned().ok_or_else(|| {
            variables::Error::Undefined(format!(
                "component `{}` has no variable `{name}`",
                self.resolved.id
            ))
        })
    }
}

impl variables::Host for VariablesInstance {
    async fn get(&mut self, name: String) -> anyhow::Result<Result<String, variables::Error>> {
        Ok(self.lookup(&name))
    }
}

/// Adds `fermyon:spin/variables@2.0.0` to the linker, served by [`InstanceState::variables`].
pub fn add_to_linker(linker: &mut Linker<InstanceState>) -> anyhow::Result<()> {
    variables::add_to_linker::<InstanceState, HasSelf<VariablesInstance>>(linker, |s| {
        &mut s.variables
    })
    .map_err(anyhow::Error::from)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::bindings::fermyon::spin2_0_0::variables::Host as _;
    use crate::runtime_config::VariablesProviderConfig;

    fn manifest(body: &str) -> Manifest {
        let text = format!("spin_manifest_version = 2\n[application]\nname = \"t\"\n{body}");
        Manifest::parse(&text, Path::new("spin.toml"), PathBuf::from(".")).unwrap()
    }

    fn env_from(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn env_provider(prefix: Option<&str>, dotenv: &Path) -> VariablesProviderConfig {
        VariablesProviderConfig::Env {
            prefix: prefix.map(str::to_owned),
            dotenv_path: Some(dotenv.to_owned()),
        }
    }

    fn static_provider(values: &[(&str, &str)]) -> VariablesProviderConfig {
        VariablesProviderConfig::Static {
            values: values
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn rc(providers: Vec<VariablesProviderConfig>) -> RuntimeConfig {
        RuntimeConfig {
            variables_providers: providers,
            ..RuntimeConfig::default()
        }
    }

    const FOUR: &str = "[variables]\n\
        from_cli = { default = \"default\" }\n\
        from_env = { default = \"default\" }\n\
        from_static = { default = \"default\" }\n\
        from_default = { default = \"default\" }\n\
        [component.c]\nsource = \"c.wasm\"\n\
        [component.c.variables]\n\
        cli = \"{{ from_cli }}\"\nenv = \"{{ from_env }}\"\n\
        stat = \"{{ from_static }}\"\ndef = \"{{ from_default }}\"\n";

    fn four(factor: &VariablesFactor) -> [String; 4] {
        let c = factor.instance("c");
        ["cli", "env", "stat", "def"].map(|n| c.lookup(n).unwrap())
    }

    #[test]
    fn sources_are_tried_in_spins_order() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("absent.env");
        let m = manifest(FOUR);
        let cli = [("from_cli".to_owned(), "cli".to_owned())];
        let env = env_from(&[
            ("SPIN_VARIABLE_FROM_CLI", "env"),
            ("SPIN_VARIABLE_FROM_ENV", "env"),
        ]);
        let statics = static_provider(&[
            ("from_cli", "static"),
            ("from_env", "static"),
            ("from_static", "static"),
        ]);

        let env_first = rc(vec![env_provider(None, &missing), statics.clone()]);
        let f = VariablesFactor::with_env(&m, &env_first, &cli, &env).unwrap();
        assert_eq!(four(&f), ["cli", "env", "static", "default"]);

        // Runtime-config order decides between providers.
        let static_first = rc(vec![statics.clone(), env_provider(None, &missing)]);
        let f = VariablesFactor::with_env(&m, &static_first, &cli, &env).unwrap();
        assert_eq!(four(&f), ["cli", "static", "static", "default"]);

        // The implicit environment provider comes after the configured ones, before defaults.
        let only_static = rc(vec![statics]);
        let f = VariablesFactor::with_env(&m, &only_static, &[], &env).unwrap();
        assert_eq!(four(&f), ["static", "static", "static", "default"]);
        let f = VariablesFactor::with_env(&m, &rc(vec![]), &[], &env).unwrap();
        assert_eq!(four(&f), ["env", "env", "default", "default"]);
    }

    #[test]
    fn env_provider_uses_its_prefix_and_dotenv_file() {
        let dir = tempfile::tempdir().unwrap();
        let dotenv = dir.path().join("app.env");
        std::fs::write(&dotenv, "APP_DB_URL=sqlite://file\nAPP_MODE=file\n").unwrap();
        let m = manifest(
            "[variables]\ndb_url = { required = true }\nmode = { required = true }\n\
             [component.c]\nsource = \"c.wasm\"\n\
             [component.c.variables]\ndb = \"{{ db_url }}\"\nmode = \"{{ mode }}\"\n",
        );
        let env = env_from(&[("APP_MODE", "env"), ("SPIN_VARIABLE_DB_URL", "other")]);
        let config = rc(vec![env_provider(Some("APP"), &dotenv)]);
        let f = VariablesFactor::with_env(&m, &config, &[], &env).unwrap();
        let c = f.instance("c");
        assert_eq!(c.lookup("db").unwrap(), "sqlite://file");
        assert_eq!(c.lookup("mode").unwrap(), "env");
    }

    #[test]
    fn a_required_variable_without_value_fails_naming_it() {
        let m = manifest("[variables]\napi_token = { required = true }\n");
        let err = VariablesFactor::with_env(&m, &rc(vec![]), &[], &env_from(&[])).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("variable `api_token` is required but has no value"),
            "{msg}"
        );
        assert!(msg.contains("SPIN_VARIABLE_API_TOKEN"), "{msg}");
        assert!(matches!(
            err.downcast_ref::<VariablesError>(),
            Some(VariablesError::Missing { required: true, .. })
        ));

        let m = manifest("[variables]\nloose = {}\n");
        let err = VariablesFactor::with_env(&m, &rc(vec![]), &[], &env_from(&[])).unwrap_err();
        assert!(
            err.to_string().contains("variable `loose` has no default"),
            "{err}"
        );

        let cli = [("api_token".to_owned(), "t".to_owned())];
        let m = manifest("[variables]\napi_token = { required = true }\n");
        assert!(VariablesFactor::with_env(&m, &rc(vec![]), &cli, &env_from(&[])).is_ok());
    }

    #[test]
    fn template_errors_name_the_component_variable() {
        let undefined = manifest(
            "[variables]\nhost = { default = \"h\" }\n\
             [component.c]\nsource = \"c.wasm\"\n[component.c.variables]\nurl = \"http://{{ port }}\"\n",
        );
        let err = VariablesFactor::with_env(&undefined, &rc(vec![]), &[], &env_from(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("component.c.variables.url") && err.contains("`port`"),
            "{err}"
        );

        let malformed = manifest(
            "[variables]\nhost = { default = \"h\" }\n\
             [component.c]\nsource = \"c.wasm\"\n[component.c.variables]\nurl = \"{{ host \"\n",
        );
        let err = VariablesFactor::with_env(&malformed, &rc(vec![]), &[], &env_from(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("component.c.variables.url") && err.contains("unmatched"),
            "{err}"
        );
    }

    #[test]
    fn names_breaking_spins_rule_fail_start_up() {
        let m = manifest("[variables]\na__b = { default = \"x\" }\n");
        let err = VariablesFactor::with_env(&m, &rc(vec![]), &[], &env_from(&[])).unwrap_err();
        assert!(err.to_string().contains("variables.a__b"), "{err}");
    }

    #[test]
    fn a_component_sees_only_its_own_variables() {
        let m = manifest(
            "[variables]\nhost = { default = \"example.com\" }\n\
             [component.a]\nsource = \"a.wasm\"\n[component.a.variables]\n\
             url = \"https://{{ host }}:{{host}}/x\"\n\
             [component.b]\nsource = \"b.wasm\"\n[component.b.variables]\nother = \"plain\"\n",
        );
        let f = VariablesFactor::with_env(&m, &rc(vec![]), &[], &env_from(&[])).unwrap();
        let a = f.instance("a");
        assert_eq!(
            a.lookup("url").unwrap(),
            "https://example.com:example.com/x"
        );
        assert!(matches!(
            a.lookup("other"),
            Err(variables::Error::Undefined(_))
        ));
        assert!(matches!(
            a.lookup("host"),
            Err(variables::Error::Undefined(_))
        ));
        assert_eq!(f.instance("b").lookup("other").unwrap(), "plain");
        assert!(matches!(
            f.instance("ghost").lookup("url"),
            Err(variables::Error::Undefined(_))
        ));
    }

    #[tokio::test]
    async fn guest_get_reports_invalid_names_and_undefined_variables() {
        let m = manifest(
            "[variables]\nhost = { default = \"h\" }\n\
             [component.a]\nsource = \"a.wasm\"\n[component.a.variables]\nurl = \"{{ host }}\"\n",
        );
        let f = VariablesFactor::with_env(&m, &rc(vec![]), &[], &env_from(&[])).unwrap();
        let mut a = f.instance("a");
        assert_eq!(a.get("url".into()).await.unwrap().unwrap(), "h");
        for bad in ["URL", "my-var", "", "a__b", "x_"] {
            let got = a.get(bad.into()).await.unwrap();
            assert!(
                matches!(got, Err(variables::Error::InvalidName(_))),
                "{bad}: {got:?}"
            );
        }
        let got = a.get("missing".into()).await.unwrap();
        assert!(matches!(got, Err(variables::Error::Undefined(ref m)) if m.contains("missing")));
    }

    #[test]
    fn app_templates_expand_over_application_variables() {
        let m = manifest(
            "[variables]\nhost = { default = \"localhost\" }\nport = { default = \"6379\" }\n",
        );
        let f = VariablesFactor::with_env(&m, &rc(vec![]), &[], &env_from(&[])).unwrap();
        assert_eq!(
            f.resolve_app_template("redis://{{ host }}:{{port}}")
                .unwrap(),
            "redis://localhost:6379"
        );
        assert_eq!(
            f.resolve_app_template("no templates").unwrap(),
            "no templates"
        );
        let err = f
            .resolve_app_template("redis://{{ nope }}")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`nope`") && err.contains("redis://{{ nope }}"),
            "{err}"
        );
        let err = f
            .resolve_app_template("redis://{{ host")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unmatched"), "{err}");
    }

    #[test]
    fn secrets_are_listed_scrubbed_and_never_shown() {
        let m = manifest(
            "[variables]\ntoken = { required = true, secret = true }\n\
             empty = { default = \"\", secret = true }\nplain = { default = \"visible\" }\n\
             [component.c]\nsource = \"c.wasm\"\n[component.c.variables]\n\
             auth = \"Bearer {{ token }}\"\n",
        );
        let cli = [("token".to_owned(), "s3cr3t-value".to_owned())];
        let f = VariablesFactor::with_env(&m, &rc(vec![]), &cli, &env_from(&[])).unwrap();
        assert_eq!(f.secret_values(), ["s3cr3t-value"]);
        assert_eq!(
            f.scrub("sent Bearer s3cr3t-value to visible"),
            "sent Bearer *** to visible"
        );
        let c = f.instance("c");
        assert_eq!(c.lookup("auth").unwrap(), "Bearer s3cr3t-value");
        let shown = format!("{f:?} {c:?}");
        assert!(
            !shown.contains("s3cr3t") && shown.contains("auth"),
            "{shown}"
        );
    }

    #[test]
    fn unknown_cli_variables_are_ignored() {
        let m = manifest("[variables]\nhost = { default = \"h\" }\n");
        let cli = [("nothing".to_owned(), "x".to_owned())];
        let f = VariablesFactor::with_env(&m, &rc(vec![]), &cli, &env_from(&[])).unwrap();
        assert_eq!(f.resolve_app_template("{{ host }}").unwrap(), "h");
        assert!(f.resolve_app_template("{{ nothing }}").is_err());
    }
}
