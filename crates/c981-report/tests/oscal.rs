//! OSCAL documents: structure, determinism and validation against NIST's schemas.
//!
//! The schema check runs `tests/oscal-validate/validate.py` with the Python named by
//! `C981_OSCAL_PYTHON` (a venv made from `tests/oscal-validate/requirements.txt`).
//! Without it the check is skipped with a message, unless `C981_REQUIRE_OSCAL=1`,
//! in which case it fails.

// A test reads its own switches from the environment (as the test kit does).
#![allow(clippy::disallowed_methods)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use c981_report::oscal::{self, OscalError};
use serde_json::Value;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("c981-oscal-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn validator() -> Option<(PathBuf, PathBuf)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oscal-validate/validate.py");
    match std::env::var_os("C981_OSCAL_PYTHON") {
        Some(python) if !python.is_empty() => Some((PathBuf::from(python), script)),
        _ => {
            let required = std::env::var("C981_REQUIRE_OSCAL").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "C981_REQUIRE_OSCAL=1 but C981_OSCAL_PYTHON is not set (see tests/oscal-validate/requirements.txt)"
            );
            eprintln!(
                "SKIPPED: OSCAL schema validation needs C981_OSCAL_PYTHON (see tests/oscal-validate/requirements.txt)"
            );
            None
        }
    }
}

fn run_validator(python: &Path, script: &Path, files: &[&Path]) -> (bool, String) {
    let out = Command::new(python).arg(script).args(files).output().expect("run the OSCAL validator");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_ne!(out.status.code(), Some(2), "validator environment error:\n{text}");
    (out.status.success(), text)
}

fn documents() -> (String, String, String) {
    let (catalog, ssp, profile) = common::oscal_inputs();
    (oscal::catalog_json(&catalog).unwrap(), oscal::ssp_json(&ssp).unwrap(), oscal::profile_json(&profile).unwrap())
}

#[test]
fn the_documents_validate_against_the_nist_oscal_schemas() {
    let Some((python, script)) = validator() else { return };
    let dir = temp_dir("valid");
    let (catalog, ssp, profile) = documents();
    let paths = [dir.join("catalog.json"), dir.join("ssp.json"), dir.join("profile.json")];
    for (p, text) in paths.iter().zip([&catalog, &ssp, &profile]) {
        std::fs::write(p, text).unwrap();
    }
    let (ok, text) = run_validator(&python, &script, &[&paths[0], &paths[1], &paths[2]]);
    std::fs::remove_dir_all(&dir).ok();
    assert!(ok, "schema violations:\n{text}");
    assert_eq!(text.matches("valid ").count(), 3, "{text}");
}

#[test]
fn the_validator_rejects_a_document_that_breaks_the_schema() {
    let Some((python, script)) = validator() else { return };
    let dir = temp_dir("invalid");
    let (catalog, ssp, _) = documents();
    let mut broken: Value = serde_json::from_str(&catalog).unwrap();
    broken["catalog"]["groups"][0]["controls"][0]["id"] = "5.1".into();
    let mut broken_ssp: Value = serde_json::from_str(&ssp).unwrap();
    broken_ssp["system-security-plan"]["system-characteristics"]["status"]["state"] = "running".into();
    let (c, s) = (dir.join("catalog.json"), dir.join("ssp.json"));
    std::fs::write(&c, serde_json::to_string(&broken).unwrap()).unwrap();
    std::fs::write(&s, serde_json::to_string(&broken_ssp).unwrap()).unwrap();
    let (ok, text) = run_validator(&python, &script, &[&c, &s]);
    std::fs::remove_dir_all(&dir).ok();
    assert!(!ok, "broken documents must fail:\n{text}");
    assert!(text.contains("controls[0].id") && text.contains("\"5.1\""), "{text}");
    assert!(text.contains("status.state"), "{text}");
}

#[test]
fn the_same_input_gives_the_same_documents() {
    assert_eq!(documents(), documents());
}

#[test]
fn the_catalog_groups_controls_by_theme_and_keeps_the_original_id_as_label() {
    let (catalog, _, _) = documents();
    let v: Value = serde_json::from_str(&catalog).unwrap();
    let groups = v["catalog"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 4);
    assert_eq!(groups[0]["id"], "organizational-controls");
    let counts: Vec<usize> = groups.iter().map(|g| g["controls"].as_array().unwrap().len()).collect();
    assert_eq!(counts, vec![37, 8, 14, 34]);
    let first = &groups[0]["controls"][0];
    assert_eq!(first["id"], "a.5.1");
    assert_eq!(first["props"][0], serde_json::json!({ "name": "label", "value": "5.1" }));
    assert_eq!(first["parts"][0]["name"], "statement");
    assert!(groups[0]["controls"][1].get("parts").is_none(), "no licensed text, no parts");
    assert_eq!(v["catalog"]["metadata"]["oscal-version"], oscal::OSCAL_VERSION);
    assert_eq!(v["catalog"]["metadata"]["last-modified"], "2026-05-04T07:30:00Z");
}

#[test]
fn the_ssp_has_one_implemented_requirement_per_control_with_status_and_evidence() {
    let (_, ssp, _) = documents();
    let v: Value = serde_json::from_str(&ssp).unwrap();
    let plan = &v["system-security-plan"];
    let reqs = plan["control-implementation"]["implemented-requirements"].as_array().unwrap();
    assert_eq!(reqs.len(), 93);
    let r0 = &reqs[0];
    assert_eq!(r0["control-id"], "a.5.1");
    let by = &r0["by-components"][0];
    assert_eq!(by["component-uuid"], plan["system-implementation"]["components"][0]["uuid"]);
    assert_eq!(by["implementation-status"]["state"], "not-applicable", "entry 0 is not applicable");
    assert_eq!(reqs[1]["by-components"][0]["implementation-status"]["state"], "partial");
    assert_eq!(reqs[3]["by-components"][0]["implementation-status"]["remarks"], "Implementation has not started.");
    assert_eq!(by["responsible-roles"][0]["role-id"], "it-security-manager");
    let link = by["links"][0]["href"].as_str().unwrap();
    let resources = plan["back-matter"]["resources"].as_array().unwrap();
    let res = resources.iter().find(|r| format!("#{}", r["uuid"].as_str().unwrap()) == link).unwrap();
    assert_eq!(res["rlinks"][0]["href"], "evidence/5.1%20report.pdf");
    assert_eq!(res["rlinks"][0]["hashes"][0]["algorithm"], "SHA-256");
    assert_eq!(res["rlinks"][0]["media-type"], "application/pdf");
    // The shared policy is one resource however many controls cite it.
    let shared = resources.iter().filter(|r| r["title"] == "Shared ISMS policy").count();
    assert_eq!(shared, 1);
    let info_type = &plan["system-characteristics"]["system-information"]["information-types"][0];
    assert_eq!(info_type["categorizations"][0]["system"], "urn:acme:data-classification");
    assert_eq!(info_type["integrity-impact"]["base"], "fips-199-high");
    assert_eq!(
        plan["system-characteristics"]["security-impact-level"]["security-objective-integrity"],
        "fips-199-high"
    );
    let roles: Vec<&str> =
        plan["metadata"]["roles"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(roles, vec!["it-security-manager", "qa-lead", "ot-engineer"]);
    for r in reqs {
        assert_eq!(Value::from(uuid::Uuid::parse_str(r["uuid"].as_str().unwrap()).unwrap().get_version_num()), 5);
    }
}

#[test]
fn the_profile_selects_only_applicable_controls() {
    let (_, _, profile) = documents();
    let v: Value = serde_json::from_str(&profile).unwrap();
    let ids = v["profile"]["imports"][0]["include-controls"][0]["with-ids"].as_array().unwrap();
    assert_eq!(ids.len(), 93 - 9, "every 11th control is not applicable");
    assert!(!ids.contains(&Value::from("a.5.1")));
    assert_eq!(v["profile"]["imports"][0]["href"], "catalog.json");
}

#[test]
fn bad_input_is_refused_with_a_clear_error() {
    let (mut catalog, mut ssp, mut profile) = common::oscal_inputs();
    catalog.controls[1].id = "5.1 ".into();
    assert!(matches!(oscal::catalog(&catalog), Err(OscalError::DuplicateControlId { .. })));
    ssp.entries[4].evidence[0].sha256 = Some("abc".into());
    let err = oscal::ssp(&ssp).unwrap_err();
    assert!(err.to_string().contains("64 hex digits"), "{err}");
    profile.control_ids.clear();
    assert_eq!(oscal::profile(&profile).unwrap_err(), OscalError::EmptySelection);
}
