//! The verdict's done-when figures on real mail, so they cannot regress: on the
//! hand-labelled messages (`tests/data/verdict/labels.tsv`, read from `../shared`) the relay IP
//! is exact for at least 95 % of open relays and no authenticated-abuse, provider-relay or
//! direct message is called an open relay; over every ham message of the corpus at most 1 %
//! is called `open_relay_suspected`. The same figures are printed by the `verdict-eval`
//! binary (BENCHMARKS.md).

use relayhunt_analyze::eval::{self, Class};
use relayhunt_analyze::Config;

/// The shared folder (the one holding `corpus/`), or `None` after printing the skip.
fn shared_corpus() -> Option<std::path::PathBuf> {
    relayhunt_testdata::shared("corpus").map(|corpus| corpus.parent().unwrap().to_path_buf())
}

#[test]
fn labelled_set_and_corpus_ham_meet_the_thresholds() {
    let Some(shared) = shared_corpus() else {
        return;
    };
    let labels = eval::bundled_labels();
    assert!(labels.len() >= 100, "{} labels", labels.len());
    let modern = labels
        .iter()
        .filter(|l| l.path.contains("phishing_pot") || l.path.contains("osst_users_publicinbox"))
        .count();
    assert!(
        modern * 3 >= labels.len(),
        "{modern} modern of {}",
        labels.len()
    );
    for l in &labels {
        assert!(shared.join(&l.path).is_file(), "{} is missing", l.path);
    }

    // With the mailbox owner's MX hosts configured, as an analyst of that mailbox would.
    let fig = eval::evaluate(&shared, &labels, &eval::mailbox_owner_config());
    let open = fig.open_relays();
    assert!(open >= 20, "only {open} open relays labelled");
    let exact = fig.relay_ip_exact();
    let wrong: Vec<_> = fig
        .scored
        .iter()
        .filter(|s| s.label.class == Class::OpenRelay && s.relay_ip != s.label.relay_ip)
        .map(|s| format!("{} named {:?}", s.label.path, s.relay_ip))
        .collect();
    assert!(
        exact * 100 >= open * 95,
        "relay IP exact for {exact} of {open}: {wrong:#?}"
    );
    let forbidden: Vec<&str> = fig
        .forbidden_calls()
        .iter()
        .map(|s| s.label.path.as_str())
        .collect();
    assert!(forbidden.is_empty(), "called open relay: {forbidden:#?}");
    assert!(fig.precision() >= 0.9, "precision {:.3}", fig.precision());
    assert!(fig.recall() >= 0.8, "recall {:.3}", fig.recall());
    assert!(fig.ham_messages() >= 1400, "{} ham", fig.ham_messages());
    let flagged: Vec<&String> = fig.ham.iter().flat_map(|h| &h.flagged).collect();
    assert!(
        fig.ham_open_relay() * 100 <= fig.ham_messages(),
        "{} of {} ham called open relay: {flagged:#?}",
        fig.ham_open_relay(),
        fig.ham_messages()
    );

    // And with nothing configured at all.
    let plain = eval::evaluate(&shared, &[], &Config::default());
    assert!(
        plain.ham_open_relay() * 100 <= plain.ham_messages(),
        "{} of {} ham called open relay without configuration",
        plain.ham_open_relay(),
        plain.ham_messages()
    );
}
