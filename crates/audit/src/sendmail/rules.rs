//! stub
use super::Model;
use crate::rules::Rule;
/// Rules.
pub static RULES: &[Rule<Model>] = &[];
