//! Integration tests of the takedown, one binary: owner lookups against loopback
//! registries, whois dialects, reports parsed back, SMTP submission, hostile input and the
//! shared corpus.

mod analyze_owner;
mod corpus_reports;
mod hostile_input;
mod owner_lookup;
mod report_documents;
mod submit_smtp;
mod support;
mod whois_command;
mod whois_dialects;
mod xarf_schema;
