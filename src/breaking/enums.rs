//! Rules about enums matched by full name, and their values matched by number.

use std::collections::{BTreeMap, BTreeSet};

use super::message::{in_ranges, tag_range_findings, ENUM_MAX};
use super::{q, At, Checker, Names, RuleId as R};
use crate::model::{Enum, File};

pub(super) fn check(c: &mut Checker, prev_names: &Names, cur_names: &Names) {
    let (prev, cur) = (c.prev, c.cur);
    for (name, &(pfi, pei)) in &prev_names.enums {
        let Some(&(cfi, cei)) = cur_names.enums.get(name) else {
            continue;
        };
        let pf = &prev.files[pfi];
        pair(c, pf, &pf.enums[pei], cfi, &cur.files[cfi].enums[cei]);
    }
}

fn quoted_list(names: &BTreeSet<&str>) -> String {
    names.iter().map(|n| q(n)).collect::<Vec<_>>().join(", ")
}

fn by_number(en: &Enum) -> BTreeMap<i32, BTreeSet<&str>> {
    let mut m: BTreeMap<i32, BTreeSet<&str>> = BTreeMap::new();
    for v in &en.values {
        m.entry(v.number).or_default().insert(v.name.as_str());
    }
    m
}

// long: one block per rule on an enum pair; each block reads the same pair
fn pair(c: &mut Checker, pf: &File, pe: &Enum, cfi: usize, e: &Enum) {
    let prev_path = Some(pf.path.as_str());
    let at_enum = || At::elem(cfi, &e.path);
    if pe.closed != e.closed {
        let (a, b) = if e.closed {
            ("open", "closed")
        } else {
            ("closed", "open")
        };
        c.report(
            R::ENUM_SAME_TYPE,
            At::file(cfi).or_raw(e.enum_type_span).or_elem(&e.path),
            prev_path,
            &e.full_name,
            format!("Enum {} changed from {a} to {b}.", q(&e.name)),
        );
    }
    if pe.json_allow && !e.json_allow {
        c.report(
            R::ENUM_SAME_JSON_FORMAT,
            At::file(cfi).or_raw(e.json_format_span).or_elem(&e.path),
            prev_path,
            &e.full_name,
            format!(
                "Enum {} JSON format support changed from ALLOW to LEGACY_BEST_EFFORT.",
                q(&e.name)
            ),
        );
    }
    let (before, after) = (by_number(pe), by_number(e));
    for (number, names) in &before {
        match after.get(number) {
            None => {
                let number_reserved = in_ranges(*number as i64, &e.reserved_ranges);
                let names_reserved = names
                    .iter()
                    .all(|n| e.reserved_names.iter().any(|r| r == n));
                let plural = if names.len() > 1 { "s" } else { "" };
                let variants = [
                    (R::ENUM_VALUE_NO_DELETE, false, String::new()),
                    (
                        R::ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED,
                        number_reserved,
                        format!(" without reserving the number \"{number}\""),
                    ),
                    (
                        R::ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED,
                        names_reserved,
                        format!(" without reserving the name{plural} {}", quoted_list(names)),
                    ),
                ];
                for (rule, allowed, suffix) in variants {
                    if !allowed {
                        c.report(
                            rule,
                            at_enum(),
                            prev_path,
                            &format!("{}.{}", e.full_name, names.iter().next().unwrap_or(&"")),
                            format!(
                                "Previously present enum value \"{number}\" on enum {} was deleted{suffix}.",
                                q(&e.name)
                            ),
                        );
                    }
                }
            }
            Some(now) => {
                if !names.is_subset(now) {
                    let plural = if names.len() > 1 && now.len() > 1 {
                        "s"
                    } else {
                        ""
                    };
                    for v in e.values.iter().filter(|v| v.number == *number) {
                        c.report(
                            R::ENUM_VALUE_SAME_NAME,
                            At::file(cfi).or_sub(&v.path, &[2]).or_elem(&v.path),
                            prev_path,
                            &format!("{}.{}", e.full_name, v.name),
                            format!(
                                "Enum value \"{number}\" on enum {} changed name{plural} from {} to {}.",
                                q(&e.name),
                                quoted_list(names),
                                quoted_list(now)
                            ),
                        );
                    }
                }
            }
        }
    }
    if c.on(R::RESERVED_ENUM_NO_DELETE) {
        for msg in tag_range_findings(
            "reserved",
            "enum",
            &e.name,
            &pe.reserved_ranges,
            &e.reserved_ranges,
            ENUM_MAX,
        ) {
            c.report(
                R::RESERVED_ENUM_NO_DELETE,
                at_enum(),
                prev_path,
                &e.full_name,
                msg,
            );
        }
        for n in pe
            .reserved_names
            .iter()
            .filter(|n| !e.reserved_names.contains(n))
        {
            c.report(
                R::RESERVED_ENUM_NO_DELETE,
                at_enum(),
                prev_path,
                &e.full_name,
                format!(
                    "Previously present reserved name {} on enum {} was deleted.",
                    q(n),
                    q(&e.name)
                ),
            );
        }
    }
}
