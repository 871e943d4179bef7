//! Structural wire identity: whether a message or enum of the previous schema and one of the
//! current schema, under different full names, encode alike — the same field numbers with the
//! same kinds and cardinalities, referenced types identical in turn (recursively; a cycle is
//! assumed identical while it is being compared), and for JSON the same JSON names and enum
//! value names.
//!
//! This is what the opt-in structural mode of the WIRE and WIRE_JSON type checks asks
//! (`[breaking] structural = true`, `--structural`; docs/PARITY.md lists it as a deliberate
//! difference). Reads only the schema model.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use crate::model::{Cardinality, Kind, Message, Schema};

/// Answers structural questions about two schemas (indexes built once).
pub struct Matcher<'s> {
    prev: &'s Schema,
    cur: &'s Schema,
    prev_msgs: HashMap<&'s str, &'s Message>,
    cur_msgs: HashMap<&'s str, &'s Message>,
    memo: RefCell<HashMap<(String, String, bool), bool>>,
}

fn index(schema: &Schema) -> HashMap<&str, &Message> {
    schema
        .files
        .iter()
        .flat_map(|f| f.messages.iter().map(|m| (m.full_name.as_str(), m)))
        .collect()
}

fn same_cardinality(a: Cardinality, b: Cardinality, json: bool) -> bool {
    use Cardinality::*;
    match (a, b) {
        (OptionalExplicit | OptionalImplicit, OptionalExplicit | OptionalImplicit) => true,
        (Repeated, Map) | (Map, Repeated) => !json,
        _ => a == b,
    }
}

impl<'s> Matcher<'s> {
    pub fn new(prev: &'s Schema, cur: &'s Schema) -> Matcher<'s> {
        Matcher {
            prev,
            cur,
            prev_msgs: index(prev),
            cur_msgs: index(cur),
            memo: RefCell::new(HashMap::new()),
        }
    }

    /// Whether message `a` (previous side) and message `b` (current side) are wire-identical
    /// (`json`: and JSON-identical).
    pub fn same_message(&self, a: &str, b: &str, json: bool) -> bool {
        let key = (a.to_owned(), b.to_owned(), json);
        if let Some(&v) = self.memo.borrow().get(&key) {
            return v;
        }
        let v = self.message(a, b, json, &mut HashSet::new());
        self.memo.borrow_mut().insert(key, v);
        v
    }

    /// Whether enum `a` (previous side) and enum `b` (current side) have the same numbers
    /// (`json`: the same (number, name) pairs).
    pub fn same_enum(&self, a: &str, b: &str, json: bool) -> bool {
        let (Some(pe), Some(e)) = (self.prev.enum_shapes.get(a), self.cur.enum_shapes.get(b))
        else {
            return false;
        };
        if json {
            let x: HashSet<&(i32, String)> = pe.values.iter().collect();
            let y: HashSet<&(i32, String)> = e.values.iter().collect();
            x == y
        } else {
            let x: HashSet<i32> = pe.values.iter().map(|v| v.0).collect();
            let y: HashSet<i32> = e.values.iter().map(|v| v.0).collect();
            x == y
        }
    }

    fn message<'n>(
        &self,
        a: &'n str,
        b: &'n str,
        json: bool,
        visiting: &mut HashSet<(&'n str, &'n str)>,
    ) -> bool
    where
        's: 'n,
    {
        if !visiting.insert((a, b)) {
            return true;
        }
        let (Some(pm), Some(cm)) = (self.prev_msgs.get(a), self.cur_msgs.get(b)) else {
            return false;
        };
        if pm.fields.len() != cm.fields.len()
            || pm.message_set_wire_format != cm.message_set_wire_format
        {
            return false;
        }
        let now: HashMap<i32, &crate::model::Field> =
            cm.fields.iter().map(|f| (f.number, f)).collect();
        pm.fields.iter().all(|p| {
            let Some(f) = now.get(&p.number) else {
                return false;
            };
            if p.kind != f.kind
                || !same_cardinality(p.cardinality, f.cardinality, json)
                || (json && p.json_name != f.json_name)
            {
                return false;
            }
            match p.kind {
                Kind::Message | Kind::Group => {
                    p.type_name == f.type_name
                        || self.message(&p.type_name, &f.type_name, json, visiting)
                }
                Kind::Enum => {
                    p.type_name == f.type_name || self.same_enum(&p.type_name, &f.type_name, json)
                }
                _ => true,
            }
        })
    }
}
