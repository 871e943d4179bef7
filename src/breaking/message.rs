//! Rules about messages matched by full name: fields deleted, reserved and extension ranges,
//! oneofs, required fields, JSON format and the descriptor accessor option.

use std::collections::{HashMap, HashSet};

use super::{field, q, At, Checker, Names, RuleId as R};
use crate::model::{Cardinality, File, Message};

/// Largest field number, and the larger one of message-set messages.
const MESSAGE_MAX: i64 = 536_870_911;
const MESSAGE_SET_MAX: i64 = 2_147_483_646;
pub(super) const ENUM_MAX: i64 = 2_147_483_647;

pub(super) fn check(c: &mut Checker, prev_names: &Names, cur_names: &Names) {
    let (prev, cur) = (c.prev, c.cur);
    for (name, &(pfi, pmi)) in &prev_names.messages {
        let Some(&(cfi, cmi)) = cur_names.messages.get(name) else {
            continue;
        };
        let pf = &prev.files[pfi];
        let cf = &cur.files[cfi];
        pair(c, pf, &pf.messages[pmi], cfi, cf, &cf.messages[cmi]);
    }
}

// long: one block per rule on a message pair; each block reads the same pair
fn pair(c: &mut Checker, pf: &File, pm: &Message, cfi: usize, cf: &File, cm: &Message) {
    let at_msg = || At::elem(cfi, &cm.path);
    let max = if cm.message_set_wire_format {
        MESSAGE_SET_MAX
    } else {
        MESSAGE_MAX
    };
    if c.on(R::EXTENSION_MESSAGE_NO_DELETE) {
        for msg in tag_range_findings(
            "extension",
            "message",
            &cm.name,
            &pm.extension_ranges,
            &cm.extension_ranges,
            max,
        ) {
            c.report(
                R::EXTENSION_MESSAGE_NO_DELETE,
                at_msg(),
                Some(&pf.path),
                &cm.full_name,
                msg,
            );
        }
    }
    if c.on(R::RESERVED_MESSAGE_NO_DELETE) {
        for msg in tag_range_findings(
            "reserved",
            "message",
            &cm.name,
            &pm.reserved_ranges,
            &cm.reserved_ranges,
            max,
        ) {
            c.report(
                R::RESERVED_MESSAGE_NO_DELETE,
                at_msg(),
                Some(&pf.path),
                &cm.full_name,
                msg,
            );
        }
        for n in pm
            .reserved_names
            .iter()
            .filter(|n| !cm.reserved_names.contains(n))
        {
            c.report(
                R::RESERVED_MESSAGE_NO_DELETE,
                at_msg(),
                Some(&pf.path),
                &cm.full_name,
                format!(
                    "Previously present reserved name {} on message {} was deleted.",
                    q(n),
                    q(&cm.name)
                ),
            );
        }
    }
    if !pm.no_standard_descriptor_accessor && cm.no_standard_descriptor_accessor {
        c.report(
            R::MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR,
            At::file(cfi).or_opt(&cm.path, 7, 2, "no_standard_descriptor_accessor"),
            Some(&pf.path),
            &cm.full_name,
            "Message option \"no_standard_descriptor_accessor\" changed from \"false\" to \"true\".".to_owned(),
        );
    }
    if pm.json_allow && !cm.json_allow {
        c.report(
            R::MESSAGE_SAME_JSON_FORMAT,
            At::file(cfi).or_raw(cm.json_format_span).or_elem(&cm.path),
            Some(&pf.path),
            &cm.full_name,
            format!(
                "Message {} JSON format support changed from ALLOW to LEGACY_BEST_EFFORT.",
                q(&cm.name)
            ),
        );
    }
    if c.on(R::ONEOF_NO_DELETE) {
        let now: HashSet<&str> = cm.oneofs.iter().map(|o| o.name.as_str()).collect();
        for o in pm
            .oneofs
            .iter()
            .filter(|o| !o.synthetic && !now.contains(o.name.as_str()))
        {
            c.report(
                R::ONEOF_NO_DELETE,
                at_msg(),
                Some(&pf.path),
                &format!("{}.{}", cm.full_name, o.name),
                format!(
                    "Previously present oneof {} on message {} was deleted.",
                    q(&o.name),
                    q(&cm.name)
                ),
            );
        }
    }
    if c.on(R::MESSAGE_SAME_REQUIRED_FIELDS) {
        let req = |m: &Message| -> HashSet<i32> {
            m.fields
                .iter()
                .filter(|f| f.cardinality == Cardinality::Required)
                .map(|f| f.number)
                .collect()
        };
        let (before, after) = (req(pm), req(cm));
        let mut deleted: Vec<i32> = before.difference(&after).copied().collect();
        deleted.sort();
        for n in deleted {
            c.report(
                R::MESSAGE_SAME_REQUIRED_FIELDS,
                at_msg(),
                Some(&pf.path),
                &cm.full_name,
                format!("Message {} had required field \"{n}\" deleted. Required fields must always be sent, so if one side does not know about the required field, this will result in a breakage.", q(&pm.name)),
            );
        }
        for f in cm
            .fields
            .iter()
            .filter(|f| after.contains(&f.number) && !before.contains(&f.number))
        {
            c.report(
                R::MESSAGE_SAME_REQUIRED_FIELDS,
                At::elem(cfi, &f.path),
                Some(&pf.path),
                &f.full_name,
                format!("Message {} had required field \"{}\" added. Required fields must always be sent, so if one side does not know about the required field, this will result in a breakage.", q(&cm.name), f.number),
            );
        }
    }
    let cur_by_number: HashMap<i32, usize> = cm
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.number, i))
        .collect();
    for pfield in &pm.fields {
        match cur_by_number.get(&pfield.number) {
            Some(&i) => field::pair(c, pf, pfield, cfi, cf, &cm.fields[i]),
            None => {
                let number_reserved = in_ranges(pfield.number as i64, &cm.reserved_ranges);
                let name_reserved = cm.reserved_names.contains(&pfield.name);
                let desc = format!(
                    "field \"{}\" with name {} on message {}",
                    pfield.number,
                    q(&pfield.name),
                    q(&pm.name)
                );
                let variants = [
                    (R::FIELD_NO_DELETE, false, String::new()),
                    (
                        R::FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED,
                        number_reserved,
                        format!(" without reserving the number \"{}\"", pfield.number),
                    ),
                    (
                        R::FIELD_NO_DELETE_UNLESS_NAME_RESERVED,
                        name_reserved,
                        format!(" without reserving the name {}", q(&pfield.name)),
                    ),
                ];
                for (rule, allowed, suffix) in variants {
                    if !allowed {
                        c.report(
                            rule,
                            at_msg(),
                            Some(&pf.path),
                            &pfield.full_name,
                            format!("Previously present {desc} was deleted{suffix}."),
                        );
                    }
                }
            }
        }
    }
}

pub(super) fn in_ranges(n: i64, ranges: &[(i64, i64)]) -> bool {
    ranges.iter().any(|&(s, e)| s <= n && n <= e)
}

/// Messages for previous ranges that are no longer fully covered by the current ranges.
pub(super) fn tag_range_findings(
    range_kind: &str,
    element_kind: &str,
    element_name: &str,
    previous: &[(i64, i64)],
    current: &[(i64, i64)],
    max: i64,
) -> Vec<String> {
    if previous.is_empty() {
        return Vec::new();
    }
    let collapsed = collapse(current);
    let fmt_range = |(s, e): (i64, i64)| {
        if s == e {
            format!("[{s}]")
        } else if e == max {
            format!("[{s},max]")
        } else {
            format!("[{s},{e}]")
        }
    };
    let mut out = Vec::new();
    for &(start, end) in previous {
        let missing = find_missing(start, end, &collapsed);
        if missing.is_empty() {
            continue;
        }
        let removed: Vec<String> = missing.into_iter().map(fmt_range).collect();
        out.push(format!(
            "Previously present {range_kind} range {} on {element_kind} {} is missing values: {} were removed.",
            q(&fmt_range((start, end))),
            q(element_name),
            removed.join(", ")
        ));
    }
    out
}

fn collapse(ranges: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut sorted = ranges.to_vec();
    sorted.sort();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(sorted.len());
    for (s, e) in sorted {
        match out.last_mut() {
            Some(last) if s <= last.1 + 1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

fn find_missing(start: i64, end: i64, collapsed: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut missing = Vec::new();
    let mut cursor = start;
    for &(s, e) in collapsed {
        if e < cursor {
            continue;
        }
        if s > end {
            break;
        }
        if s > cursor {
            missing.push((cursor, s - 1));
        }
        cursor = e + 1;
        if cursor > end {
            return missing;
        }
    }
    if cursor <= end {
        missing.push((cursor, end));
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_parts_of_ranges() {
        assert_eq!(
            find_missing(1, 10, &collapse(&[(1, 3), (5, 10)])),
            vec![(4, 4)]
        );
        assert_eq!(find_missing(1, 10, &collapse(&[(1, 3), (4, 10)])), vec![]);
        assert_eq!(find_missing(1, 10, &[]), vec![(1, 10)]);
        assert_eq!(
            find_missing(5, 20, &collapse(&[(1, 6), (9, 9), (30, 40)])),
            vec![(7, 8), (10, 20)]
        );
    }
}
