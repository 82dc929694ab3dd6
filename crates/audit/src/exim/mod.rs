//! Exim 4: exim4.conf or Debian's split conf.d, RCPT ACL evaluated for a stranger, then
//! checked against [`rules::RULES`].

pub mod parse;
pub mod rules;
pub mod stranger;

use crate::error::AuditError;
use crate::finding::{Effect, Finding, Location, Warning};
use crate::source::Bundle;
use parse::Config;
use stranger::Cause;

/// The parsed config and what the stranger walk found.
pub struct Model {
    /// The config.
    pub config: Config,
    /// Causes when a stranger relays.
    pub causes: Vec<Cause>,
    /// An authenticator that accepts anyone.
    pub always_true_auth: Option<Cause>,
}

/// Audit an Exim config bundle.
pub fn audit(bundle: &Bundle) -> Result<(Vec<Finding>, Vec<Warning>), AuditError> {
    let mut warnings = Vec::new();
    let Some((main_file, lines)) = parse::collect(bundle, &mut warnings) else {
        return Err(AuditError::MissingFile {
            what: "exim4.conf, exim4.conf.template or conf.d/",
            path: bundle.root.clone(),
        });
    };
    let config = parse::parse(main_file, &lines, &mut warnings);
    let always_true_auth = config.authenticators.iter().find_map(|a| {
        let cond = a.options.get("server_condition")?;
        let v = cond.value.trim().trim_matches('"').to_ascii_lowercase();
        let always = matches!(v.as_str(), "yes" | "true" | "1")
            || v.replace(' ', "").contains("${if{true}")
            || v.replace(' ', "") == "${if eq{1}{1}}";
        always.then(|| Cause {
            rule: "EXIM-AUTH-ALWAYS-TRUE",
            effect: Effect::Open,
            location: cond.location.clone(),
            value: format!("{}: server_condition = {}", a.name, cond.value),
            detail: format!(
                "Authenticator `{}` accepts any user name and password.",
                a.name
            ),
        })
    });
    let outcome = stranger::evaluate(&config, bundle, always_true_auth.as_ref(), &mut warnings);
    if !config.main.contains_key("acl_smtp_rcpt") {
        warnings.push(Warning {
            location: Location { file: config.main_file.clone(), line: 0 },
            message: "acl_smtp_rcpt is not set: Exim refuses every recipient (closed, but no mail is received either)".into(),
        });
    }
    let model = Model {
        config,
        causes: outcome.causes,
        always_true_auth,
    };
    Ok((crate::rules::run(rules::RULES, &model), warnings))
}
