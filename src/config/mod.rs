//! Configuration: one TOML file → a validated [`Config`]. `file` mirrors the TOML, `load`
//! parses it section by section, `validate` cross-checks and builds the model in `model`.
//! `check`, `serve` and SIGHUP reload all go through [`load`].

pub mod access;
pub mod authenticator;
pub mod branding;
pub mod canonical;
pub mod duration;
pub mod email;
pub mod file;
mod glob;
pub mod load;
pub mod model;
pub mod oidc;
pub mod problem;
pub mod validate;
mod validate_access;

use std::path::Path;

pub use access::{Access, Allow, Claim, IdentityHeaders, MethodRule, PathPattern, Preset};
pub use authenticator::{AuthenticatorSettings, AuthenticatorType, InvocationType, HOSTED_WEB_ID};
pub use canonical::{canonical_path, RequestPath, UnsafePath};
pub use model::*;
pub use problem::{ConfigError, Problem};

/// How a file is loaded.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Resolve upstream host names (and refuse names that do not resolve). `passgate check
    /// --no-resolve` turns it off, to check a file outside the network it runs in (a
    /// Compose or Kubernetes service name); `serve` always resolves.
    pub resolve_upstreams: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            resolve_upstreams: true,
        }
    }
}

/// Reads, parses and validates the file at `path`, reporting every problem found.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    load_with(path, LoadOptions::default())
}

/// [`load`] with `options`.
pub fn load_with(path: &Path, options: LoadOptions) -> Result<Config, ConfigError> {
    let name = path.display().to_string();
    let src = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: name.clone(),
        problems: vec![Problem::new("", format!("cannot read the file: {e}"))],
    })?;
    let base_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    from_str_with(&src, base_dir, options).map_err(|problems| ConfigError {
        file: name,
        problems,
    })
}

/// Parses and validates TOML text; relative paths in it are resolved against `base_dir`.
pub fn from_str(src: &str, base_dir: &Path) -> Result<Config, Vec<Problem>> {
    from_str_with(src, base_dir, LoadOptions::default())
}

/// [`from_str`] with `options`.
pub fn from_str_with(
    src: &str,
    base_dir: &Path,
    options: LoadOptions,
) -> Result<Config, Vec<Problem>> {
    let mut problems = Vec::new();
    let config = load::parse_file(src, &mut problems)
        .and_then(|file| validate::validate_with(file, base_dir, options, &mut problems));
    match config {
        Some(c) if problems.is_empty() => Ok(c),
        _ => {
            load::attach_lines(src, &mut problems);
            problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
            Err(problems)
        }
    }
}
