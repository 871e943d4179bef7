//! Rules about files: deletion, package, syntax, file options, and elements that a file no
//! longer declares (FILE category: moving an element to another file counts as deleting it).

use std::collections::HashSet;

use super::{q, surviving_parent, At, Checker, RuleId as R};
use crate::model::File;

/// (rule, option number in FileOptions, option name).
const FILE_OPTIONS: &[(R, i32, &str)] = &[
    (R::FILE_SAME_JAVA_PACKAGE, 1, "java_package"),
    (R::FILE_SAME_JAVA_OUTER_CLASSNAME, 8, "java_outer_classname"),
    (R::FILE_SAME_OPTIMIZE_FOR, 9, "optimize_for"),
    (R::FILE_SAME_JAVA_MULTIPLE_FILES, 10, "java_multiple_files"),
    (R::FILE_SAME_GO_PACKAGE, 11, "go_package"),
    (R::FILE_SAME_CC_GENERIC_SERVICES, 16, "cc_generic_services"),
    (
        R::FILE_SAME_JAVA_GENERIC_SERVICES,
        17,
        "java_generic_services",
    ),
    (R::FILE_SAME_PY_GENERIC_SERVICES, 18, "py_generic_services"),
    (R::FILE_SAME_CC_ENABLE_ARENAS, 31, "cc_enable_arenas"),
    (R::FILE_SAME_OBJC_CLASS_PREFIX, 36, "objc_class_prefix"),
    (R::FILE_SAME_CSHARP_NAMESPACE, 37, "csharp_namespace"),
    (R::FILE_SAME_SWIFT_PREFIX, 39, "swift_prefix"),
    (R::FILE_SAME_PHP_CLASS_PREFIX, 40, "php_class_prefix"),
    (R::FILE_SAME_PHP_NAMESPACE, 41, "php_namespace"),
    (
        R::FILE_SAME_PHP_METADATA_NAMESPACE,
        44,
        "php_metadata_namespace",
    ),
    (R::FILE_SAME_RUBY_PACKAGE, 45, "ruby_package"),
];

pub(super) fn check(c: &mut Checker) {
    let (prev, cur) = (c.prev, c.cur);
    for pf in &prev.files {
        match cur.file_index(&pf.path) {
            None => c.report(
                R::FILE_NO_DELETE,
                At::nowhere(),
                Some(&pf.path),
                &pf.path,
                format!("Previously present file {} was deleted.", q(&pf.path)),
            ),
            Some(fi) => pair(c, pf, fi, &cur.files[fi]),
        }
    }
}

// long: one block per rule on a file pair; each block reads the same pair
fn pair(c: &mut Checker, pf: &File, fi: usize, cf: &File) {
    for &(rule, number, name) in FILE_OPTIONS {
        let (a, b) = (&pf.options.values[&number], &cf.options.values[&number]);
        if a != b {
            c.report(
                rule,
                At::file(fi).or_opt(&[], 8, number, name),
                Some(&pf.path),
                &cf.path,
                format!("File option {} changed from {} to {}.", q(name), q(a), q(b)),
            );
        }
    }
    if pf.syntax.name() != cf.syntax.name() {
        c.report(
            R::FILE_SAME_SYNTAX,
            At::elem(fi, &[12]).or_elem(&[14]),
            Some(&pf.path),
            &cf.path,
            format!(
                "File syntax changed from {} to {}.",
                q(pf.syntax.name()),
                q(cf.syntax.name())
            ),
        );
    }
    if pf.package != cf.package {
        c.report(
            R::FILE_SAME_PACKAGE,
            At::elem(fi, &[2]),
            Some(&pf.path),
            &cf.path,
            format!(
                "File package changed from {} to {}.",
                q(&pf.package),
                q(&cf.package)
            ),
        );
    }
    if c.on(R::MESSAGE_NO_DELETE) {
        let names: HashSet<&str> = cf.messages.iter().map(|m| m.nested_name.as_str()).collect();
        for m in pf
            .messages
            .iter()
            .filter(|m| !names.contains(m.nested_name.as_str()))
        {
            c.report(
                R::MESSAGE_NO_DELETE,
                deleted_at(fi, cf, &m.nested_name),
                Some(&pf.path),
                &m.full_name,
                format!(
                    "Previously present message {} was deleted from file.",
                    q(&m.nested_name)
                ),
            );
        }
    }
    if c.on(R::ENUM_NO_DELETE) {
        let names: HashSet<&str> = cf.enums.iter().map(|e| e.nested_name.as_str()).collect();
        for e in pf
            .enums
            .iter()
            .filter(|e| !names.contains(e.nested_name.as_str()))
        {
            c.report(
                R::ENUM_NO_DELETE,
                deleted_at(fi, cf, &e.nested_name),
                Some(&pf.path),
                &e.full_name,
                format!(
                    "Previously present enum {} was deleted from file.",
                    q(&e.nested_name)
                ),
            );
        }
    }
    if c.on(R::EXTENSION_NO_DELETE) {
        let names: HashSet<&str> = cf
            .extensions
            .iter()
            .map(|x| x.nested_name.as_str())
            .collect();
        for x in pf
            .extensions
            .iter()
            .filter(|x| !names.contains(x.nested_name.as_str()))
        {
            c.report(
                R::EXTENSION_NO_DELETE,
                deleted_at(fi, cf, &x.nested_name),
                Some(&pf.path),
                &x.full_name,
                format!(
                    "Previously present extension {} was deleted from file.",
                    q(&x.nested_name)
                ),
            );
        }
    }
    if c.on(R::SERVICE_NO_DELETE) {
        let names: HashSet<&str> = cf.services.iter().map(|s| s.name.as_str()).collect();
        for s in pf
            .services
            .iter()
            .filter(|s| !names.contains(s.name.as_str()))
        {
            c.report(
                R::SERVICE_NO_DELETE,
                At::file(fi),
                Some(&pf.path),
                &s.full_name,
                format!(
                    "Previously present service {} was deleted from file.",
                    q(&s.name)
                ),
            );
        }
    }
}

/// A deleted element points at its closest surviving parent message, else at the file.
fn deleted_at(fi: usize, cf: &File, nested_name: &str) -> At {
    match surviving_parent(cf, nested_name) {
        Some(parent) => At::elem(fi, &parent.path),
        None => At::file(fi),
    }
}
