//! XARF documents checked against the published XARF v4 schemas (4.2.0), vendored in
//! `tests/data/xarf/` (see ORIGIN.md there), the way the reference validator checks them:
//! the master schema with format assertions, plus its unknown-field rule (a field neither
//! the core nor the type schema defines), plus every evidence payload decoded against its
//! declared hash and size.

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The schema files, all of them: the master schema refers to every type schema.
fn schema_files() -> Vec<std::path::PathBuf> {
    let dir = crate::support::data("xarf");
    let mut files = vec![dir.join("xarf-core.json"), dir.join("xarf-v4-master.json")];
    let mut types: Vec<_> = std::fs::read_dir(dir.join("types"))
        .expect("vendored XARF type schemas")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    types.sort();
    files.extend(types);
    files
}

fn load(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Schemas {
    master: jsonschema::Validator,
    core_fields: BTreeSet<String>,
    /// `$id` of each type schema by `category-type` file stem, with the fields it adds.
    type_fields: Vec<(String, BTreeSet<String>)>,
}

fn properties(schema: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(p) = schema.get("properties").and_then(Value::as_object) {
        out.extend(p.keys().cloned());
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.extend(properties(part));
    }
    out
}

fn schemas() -> &'static Schemas {
    static S: OnceLock<Schemas> = OnceLock::new();
    S.get_or_init(|| {
        let mut registry = jsonschema::Registry::new();
        let mut master = None;
        let mut core_fields = BTreeSet::new();
        let mut type_fields = Vec::new();
        for path in schema_files() {
            let doc = load(&path);
            let id = doc["$id"].as_str().expect("$id").to_string();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            match stem.as_str() {
                "xarf-v4-master" => master = Some(doc.clone()),
                "xarf-core" => core_fields = properties(&doc),
                _ => type_fields.push((stem, properties(&doc))),
            }
            registry = registry.add(id, doc).expect("schema registers");
        }
        let registry = registry.prepare().expect("schemas resolve");
        let master = jsonschema::options()
            .with_registry(&registry)
            .should_validate_formats(true)
            .build(&master.expect("master schema"))
            .expect("master schema compiles offline");
        Schemas {
            master,
            core_fields,
            type_fields,
        }
    })
}

/// Every way `doc` falls short of the schema, the reference validator's unknown-field rule
/// or its own evidence hashes; empty when it is a valid XARF v4 report.
pub fn problems(doc: &Value) -> Vec<String> {
    let s = schemas();
    let mut out: Vec<String> = s
        .master
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    let stem = format!(
        "{}-{}",
        doc["category"].as_str().unwrap_or_default(),
        doc["type"].as_str().unwrap_or_default().replace('_', "-")
    );
    let mut known = s.core_fields.clone();
    if let Some((_, f)) = s.type_fields.iter().find(|(n, _)| *n == stem) {
        known.extend(f.iter().cloned());
    }
    for key in doc.as_object().into_iter().flat_map(|o| o.keys()) {
        if !known.contains(key) {
            out.push(format!(
                "field {key:?} is defined by neither xarf-core nor {stem}"
            ));
        }
    }
    for (i, item) in doc["evidence"].as_array().into_iter().flatten().enumerate() {
        let Some(bytes) = payload(item) else {
            out.push(format!("evidence[{i}]: payload is not base64"));
            continue;
        };
        let hex: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let hash = format!("sha256:{hex}");
        if item["hash"].as_str() != Some(hash.as_str()) {
            out.push(format!("evidence[{i}]: hash does not match the payload"));
        }
        if item["size"].as_u64() != Some(bytes.len() as u64) {
            out.push(format!("evidence[{i}]: size does not match the payload"));
        }
    }
    out
}

/// The decoded payload of one evidence item.
pub fn payload(item: &Value) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(item["payload"].as_str()?)
        .ok()
}

/// The decoded payload of the first evidence item of `content_type`.
pub fn evidence(doc: &Value, content_type: &str) -> Option<Vec<u8>> {
    doc["evidence"]
        .as_array()?
        .iter()
        .find(|i| i["content_type"] == content_type)
        .and_then(payload)
}

#[test]
fn the_schema_check_rejects_what_the_published_schema_rejects() {
    // The schema's own example, its evidence payload (shortened with "..." there) made whole.
    let mut ok =
        load(&crate::support::data("xarf/types/messaging-spam.json"))["examples"][0].clone();
    ok["evidence"][0] = serde_json::json!({
        "content_type": "message/rfc822",
        "description": "Complete spam email with headers",
        "payload": "U3ViamVjdDogaGkNCg0KYm9keQ0K",
        "hash": "sha256:c41a1d1716991e03fb5a3e9fa96cbd431efb945f1fd51d6d67a7a25c8d61c496",
        "size": 21,
    });
    assert!(problems(&ok).is_empty(), "{:?}", problems(&ok));
    let broken = |f: &dyn Fn(&mut Value)| {
        let mut d = ok.clone();
        f(&mut d);
        problems(&d)
    };
    // SMTP spam needs the envelope sender and the port (types/messaging-spam.json).
    assert!(!broken(&|d| {
        d.as_object_mut().unwrap().remove("smtp_from");
    })
    .is_empty());
    assert!(!broken(&|d| {
        d.as_object_mut().unwrap().remove("source_port");
    })
    .is_empty());
    // Formats are asserted: a report_id that is not a UUID, a contact that is not a mailbox.
    assert!(!broken(&|d| d["report_id"] = "report-1".into()).is_empty());
    assert!(!broken(&|d| d["reporter"]["contact"] = "desk at example".into()).is_empty());
    assert!(!broken(&|d| d["timestamp"] = "2024-01-15 14:30".into()).is_empty());
    // A category/type pair the master schema does not list.
    assert!(!broken(&|d| d["type"] = "open_relay".into()).is_empty());
    // The pre-4.x draft keys are unknown fields.
    assert!(!broken(&|d| d["ReportClass"] = "Messaging".into()).is_empty());
    // Evidence whose hash is not its payload's.
    assert!(!broken(&|d| {
        d["evidence"][0]["payload"] = "aGVsbG8=".into();
        d["evidence"][0]["hash"] = "sha256:00".into();
        d["evidence"][0]["size"] = 5.into();
    })
    .is_empty());
}
