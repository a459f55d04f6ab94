//! Shell variables and the environment (concept U3): the shell keeps every variable it
//! knows; the exported ones become the `envp` of the programs it starts (`execve`), which is
//! how a child inherits `PATH` and `HOME`.
//!
//! Invariants: every name in the store is a valid name ([`is_valid_name`]); a variable may
//! be exported without a value (`export NAME` before `NAME=...`), and is then left out of
//! the environment until it gets one.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// One variable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Variable {
    /// `None`: declared (exported) but never given a value.
    value: Option<String>,
    /// Passed to the programs the shell starts.
    exported: bool,
}

/// The shell's variables, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variables {
    entries: BTreeMap<String, Variable>,
}

/// Whether `name` can name a variable: a letter or `_`, then letters, digits and `_`.
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

/// Splits `NAME=value` at the first `=`; `None` without `=` or with an invalid name.
pub fn split_assignment(text: &str) -> Option<(&str, &str)> {
    text.split_once('=').filter(|(name, _)| is_valid_name(name))
}

impl Variables {
    /// An empty store.
    pub fn new() -> Variables {
        Variables::default()
    }

    /// The store for a shell started with `environment` (`(name, value)` pairs, as the
    /// process received them): all of them exported. Entries whose name is not valid are
    /// dropped.
    pub fn from_environment<'a>(
        environment: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Variables {
        let mut variables = Variables::new();
        for (name, value) in environment {
            if is_valid_name(name) {
                variables.set(name, value);
                variables.export(name);
            }
        }
        variables
    }

    /// The value of `name`, if it has one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries.get(name)?.value.as_deref()
    }

    /// Sets `name` (which the caller has checked with [`is_valid_name`]) to `value`,
    /// keeping whether it is exported.
    pub fn set(&mut self, name: &str, value: &str) {
        self.entries.entry(String::from(name)).or_default().value = Some(String::from(value));
    }

    /// Marks `name` exported (declaring it without a value if it does not exist).
    pub fn export(&mut self, name: &str) {
        self.entries.entry(String::from(name)).or_default().exported = true;
    }

    /// Whether `name` is exported.
    pub fn is_exported(&self, name: &str) -> bool {
        self.entries.get(name).is_some_and(|var| var.exported)
    }

    /// Forgets `name` entirely.
    pub fn unset(&mut self, name: &str) {
        self.entries.remove(name);
    }

    /// The environment for a program: `NAME=value` for every exported variable with a
    /// value, sorted by name, with `overrides` (the command's own `NAME=value` prefixes)
    /// replacing or adding entries.
    pub fn environment(&self, overrides: &[(String, String)]) -> Vec<String> {
        let mut merged: BTreeMap<&str, &str> = self
            .entries
            .iter()
            .filter(|(_, var)| var.exported)
            .filter_map(|(name, var)| Some((name.as_str(), var.value.as_deref()?)))
            .collect();
        for (name, value) in overrides {
            merged.insert(name, value);
        }
        merged
            .into_iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect()
    }

    /// `(name, value)` of every exported variable, sorted (what `export` alone lists).
    pub fn exported(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.entries
            .iter()
            .filter(|(_, var)| var.exported)
            .map(|(name, var)| (name.as_str(), var.value.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn names() {
        for good in ["a", "_", "PATH", "x_1", "_9"] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["", "1a", "a-b", "a b", "é", "a=b"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn assignments_split_at_the_first_equals() {
        assert_eq!(split_assignment("A=b=c"), Some(("A", "b=c")));
        assert_eq!(split_assignment("A="), Some(("A", "")));
        assert_eq!(split_assignment("A"), None);
        assert_eq!(split_assignment("1=x"), None);
    }

    #[test]
    fn the_start_up_environment_is_exported() {
        let vars = Variables::from_environment([("PATH", "/bin"), ("HOME", "/"), ("1x", "no")]);
        assert_eq!(vars.get("PATH"), Some("/bin"));
        assert!(vars.is_exported("HOME"));
        assert_eq!(vars.get("1x"), None);
        assert_eq!(vars.environment(&[]), ["HOME=/", "PATH=/bin"]);
    }

    #[test]
    fn only_exported_variables_reach_programs() {
        let mut vars = Variables::new();
        vars.set("LOCAL", "1");
        vars.set("SHARED", "2");
        vars.export("SHARED");
        assert_eq!(vars.environment(&[]), ["SHARED=2"]);
        vars.export("LOCAL");
        assert_eq!(vars.environment(&[]), ["LOCAL=1", "SHARED=2"]);
    }

    #[test]
    fn exported_without_value_waits_for_one() {
        let mut vars = Variables::new();
        vars.export("LATER");
        assert_eq!(vars.get("LATER"), None);
        assert!(vars.environment(&[]).is_empty());
        assert_eq!(vars.exported().collect::<Vec<_>>(), [("LATER", None)]);
        vars.set("LATER", "now");
        assert_eq!(vars.environment(&[]), ["LATER=now"]);
    }

    #[test]
    fn overrides_apply_to_one_command() {
        let mut vars = Variables::from_environment([("PATH", "/bin"), ("HOME", "/")]);
        vars.set("LOCAL", "x");
        let overrides = vec![
            ("HOME".to_string(), "/tmp".to_string()),
            ("LOCAL".to_string(), "y".to_string()),
        ];
        assert_eq!(
            vars.environment(&overrides),
            ["HOME=/tmp", "LOCAL=y", "PATH=/bin"]
        );
        assert_eq!(vars.get("HOME"), Some("/"));
    }

    #[test]
    fn set_keeps_export_and_unset_forgets() {
        let mut vars = Variables::from_environment([("A", "1")]);
        vars.set("A", "2");
        assert!(vars.is_exported("A"));
        vars.unset("A");
        assert_eq!(vars.get("A"), None);
        assert!(!vars.is_exported("A"));
        vars.unset("never");
    }
}
