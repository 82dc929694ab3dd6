//! Postfix: main.cf + master.cf (or `postconf -n` / `-M` / `-P` output), evaluated per smtpd
//! service for a stranger, then checked against [`rules::RULES`].

pub mod defaults;
pub mod domains;
pub mod main_cf;
pub mod master_cf;
pub mod networks;
pub mod params;
pub mod rules;
pub mod stranger;
pub mod tables;

use crate::error::AuditError;
use crate::finding::{Finding, Location, Warning};
use crate::netrange::{classify, parse_net, NetClass};
use crate::rules::Hit;
use crate::source::Bundle;
use main_cf::Param;
use master_cf::Service;
use params::Params;
use stranger::Cause;

/// The parsed config plus what the stranger walk found.
pub struct Model {
    /// main.cf settings.
    pub main: Vec<Param>,
    /// main.cf path (for default locations).
    pub main_file: String,
    /// smtpd services.
    pub services: Vec<Service>,
    /// Causes found on services that relay, with the service scope.
    pub causes: Vec<(Option<String>, Cause)>,
    /// The compat-zero hit, if any.
    pub compat_zero: Option<Hit>,
}

impl Model {
    fn params(&self) -> Params<'_> {
        Params {
            main: &self.main,
            service: None,
            main_file: &self.main_file,
        }
    }

    /// Hits where an explicit setting of `name` satisfies `bad` (main.cf or any service).
    pub fn param_is(&self, bad: impl Fn(&str) -> bool, name: &str) -> Vec<Hit> {
        let mut out = Vec::new();
        if let Some(p) = self.params().explicit(name) {
            if bad(&p.value) {
                out.push(Hit::new(
                    p.location.clone(),
                    format!("{name} = {}", p.value),
                ));
            }
        }
        for s in &self.services {
            for p in s.overrides.iter().filter(|p| p.name == name) {
                if bad(&p.value) {
                    out.push(
                        Hit::new(p.location.clone(), format!("-o {name}={}", p.value))
                            .scope(Some(format!("master.cf service {}", s.name))),
                    );
                }
            }
        }
        out
    }

    /// `permit` followed by a relay check in a relay or recipient list (main.cf or -o).
    pub fn permit_before_check(&self) -> Vec<Hit> {
        let mut out = Vec::new();
        let lists = ["smtpd_relay_restrictions", "smtpd_recipient_restrictions"];
        let mut check = |p: &Param, scope: Option<String>, prefix: &str| {
            if !lists.contains(&p.name.as_str()) {
                return;
            }
            let items = main_cf::split_list(&p.value);
            if let Some(pos) = items.iter().position(|i| i == "permit") {
                if items[pos + 1..].iter().any(|i| stranger::is_relay_check(i)) {
                    out.push(
                        Hit::new(p.location.clone(), format!("{prefix}{} = {}", p.name, p.value))
                            .scope(scope)
                            .fix(format!(
                                "{prefix}{} = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
                                p.name
                            )),
                    );
                }
            }
        };
        for p in &self.main {
            check(p, None, "");
        }
        for s in &self.services {
            for p in &s.overrides {
                check(p, Some(format!("master.cf service {}", s.name)), "-o ");
            }
        }
        out
    }

    /// SASL enabled with a security option list (plain or TLS) that lacks `noanonymous`.
    pub fn sasl_anonymous(&self) -> Vec<Hit> {
        let mut out = Vec::new();
        let mut scopes: Vec<Option<&Service>> = vec![None];
        scopes.extend(self.services.iter().map(Some));
        let main_enabled = stranger::is_yes(&self.params().get("smtpd_sasl_auth_enable").expanded);
        for svc in scopes {
            let p = Params {
                main: &self.main,
                service: svc,
                main_file: &self.main_file,
            };
            if !stranger::is_yes(&p.get("smtpd_sasl_auth_enable").expanded) {
                continue;
            }
            for name in [
                "smtpd_sasl_security_options",
                "smtpd_sasl_tls_security_options",
            ] {
                let s = p.get(name);
                if s.expanded.contains("noanonymous") {
                    continue;
                }
                // Report each explicit setting once (main.cf, or the service's own -o).
                let own = svc.is_none_or(|sv| sv.overrides.iter().any(|o| o.name == name));
                if svc.is_some() && !own && main_enabled {
                    continue;
                }
                out.push(
                    Hit::new(s.location.clone(), format!("{name} = {}", s.raw))
                        .scope(svc.map(|sv| format!("master.cf service {}", sv.name)))
                        .fix(format!("{name} = noanonymous")),
                );
            }
        }
        out
    }

    /// Hits where a host list trusts everyone, a huge range or a catch-all table.
    pub fn broad_hosts(&self, name: &str) -> Vec<Hit> {
        self.param_is(
            |v| {
                let params = self.params();
                let expanded = params.expand(v, 0);
                main_cf::split_list(&expanded).iter().any(|e| {
                    e.starts_with("static:")
                        || parse_net(e).is_some_and(|n| {
                            matches!(classify(&n), NetClass::Everyone | NetClass::HugePublic)
                        })
                })
            },
            name,
        )
    }
}

/// Audit a Postfix config bundle; `interfaces` are the server's addresses with prefix
/// lengths when known (they decide what `mynetworks_style` trusts).
pub fn audit(
    bundle: &Bundle,
    interfaces: &[ipnet::IpNet],
) -> Result<(Vec<Finding>, Vec<Warning>), AuditError> {
    let mut warnings = Vec::new();
    let main_file = bundle.named("main.cf").or_else(|| {
        // `postconf -n` output or a single file with main.cf syntax (in a directory only
        // main.cf itself counts: main.cf.proto, dynamicmaps.cf and friends are not it).
        if !bundle.single_file {
            return None;
        }
        bundle.files.iter().find(|f| {
            let n = f
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            n != "master.cf"
                && f.text
                    .lines()
                    .any(|l| l.contains('=') && !l.starts_with(char::is_whitespace))
                && !looks_like_master_cf(&f.text)
        })
    });
    let master_file = bundle
        .named("master.cf")
        .or_else(|| bundle.files.iter().find(|f| looks_like_master_cf(&f.text)));
    if main_file.is_none() && master_file.is_none() {
        return Err(AuditError::MissingFile {
            what: "main.cf or master.cf",
            path: bundle.root.clone(),
        });
    }
    let (main, per_service) = match main_file {
        Some(f) => main_cf::parse(f, &mut warnings),
        None => {
            warnings.push(Warning {
                location: Location {
                    file: bundle.root.display().to_string(),
                    line: 0,
                },
                message: "no main.cf: evaluating master.cf against Postfix defaults".into(),
            });
            (Vec::new(), Vec::new())
        }
    };
    let main_name = main_file
        .map(|f| f.path.display().to_string())
        .unwrap_or_else(|| "main.cf".into());
    let mut services: Vec<Service> = match master_file {
        Some(f) => master_cf::parse(f, &mut warnings)
            .into_iter()
            .filter(Service::is_smtpd)
            .collect(),
        None => Vec::new(),
    };
    for sp in per_service {
        if let Some(s) = services
            .iter_mut()
            .find(|s| s.name == sp.service && s.kind == sp.kind)
        {
            s.overrides.push(sp.param);
        } else {
            warnings.push(Warning {
                location: sp.param.location.clone(),
                message: format!(
                    "override for service {}/{} which is not an smtpd service in master.cf",
                    sp.service, sp.kind
                ),
            });
        }
    }
    let implicit = services.is_empty();
    if implicit {
        services.push(Service {
            name: "smtp".into(),
            kind: "inet".into(),
            command: "smtpd".into(),
            location: Location {
                file: main_name.clone(),
                line: 0,
            },
            overrides: Vec::new(),
        });
        if master_file.is_none() {
            warnings.push(Warning {
                location: Location { file: main_name.clone(), line: 0 },
                message: "no master.cf: evaluated the default smtp listener only; submission/smtps listeners with -o overrides were not seen".into(),
            });
        }
    }
    let mut causes = Vec::new();
    let mut compat_zero = None;
    for s in &services {
        let params = Params {
            main: &main,
            service: Some(s),
            main_file: &main_name,
        };
        let outcome = stranger::evaluate(&params, bundle, interfaces, &mut warnings);
        let scope = (!implicit).then(|| format!("master.cf service {} ({})", s.name, s.kind));
        if outcome.fatal_no_reject {
            let relay = params.get("smtpd_relay_restrictions");
            if params.level() < 1 && relay.is_default {
                let cl = params.get("compatibility_level");
                compat_zero.get_or_insert_with(|| {
                    Hit::new(cl.location.clone(), format!("compatibility_level = {}", cl.raw))
                        .detail("smtpd_relay_restrictions is unset and smtpd_recipient_restrictions has no reject_unauth_destination.")
                });
            } else {
                warnings.push(Warning {
                    location: relay.location.clone(),
                    message: format!(
                        "{}: neither smtpd_relay_restrictions nor smtpd_recipient_restrictions has a working reject_unauth_destination/reject; Postfix will refuse to start this smtpd (fatal)",
                        scope.clone().unwrap_or_else(|| "smtp".into())
                    ),
                });
            }
            continue;
        }
        for mut c in outcome.causes {
            // A fix for a list set by `-o` in master.cf belongs in master.cf syntax.
            if let Some(fix) = &c.fix {
                if let Some((name, value)) = fix.split_once(" = ") {
                    if s.overrides.iter().any(|p| p.name == name) {
                        c.fix = Some(format!(
                            "-o {name}={}",
                            value.replace(", ", ",").replace(' ', ",")
                        ));
                    }
                }
            }
            causes.push((scope.clone(), c));
        }
    }
    let model = Model {
        main,
        main_file: main_name,
        services,
        causes,
        compat_zero,
    };
    let findings = crate::rules::run(rules::RULES, &model);
    Ok((findings, warnings))
}

/// Does this text look like master.cf (`name type private unpriv chroot wakeup maxproc cmd`)?
fn looks_like_master_cf(text: &str) -> bool {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(char::is_whitespace))
        .any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() >= 8 && matches!(f[1], "inet" | "unix" | "fifo" | "pass" | "unix-dgram")
        })
}
