//! Enums and their values: paired by full name (then by structure), values by number.

use super::*;

impl<'s> Walk<'s> {
    // long: pairs enums by name, then by structure, and emits added/deleted/renamed in one pass.
    pub(super) fn enums(
        &mut self,
        pf: &[&'s File],
        cf: &[&'s File],
        m: &Matches,
        message_pairs: &[(String, String)],
    ) {
        let index = |files: &[&'s File]| -> HashMap<&'s str, (&'s File, &'s Enum)> {
            files
                .iter()
                .flat_map(|f| f.enums.iter().map(move |e| (&*e.full_name, (*f, e))))
                .collect()
        };
        let (before, now) = (index(pf), index(cf));
        let (both, deleted, added) = split_names(&before, &now);
        for n in both {
            let ((pf, pe), (cf, ce)) = (before[n], now[n]);
            if self.moved(pf, cf) {
                let ch = Change::new(K::EnumMoved, n).from_to(&pf.path, &cf.path);
                self.emit(ch, cf, Self::at(cf, &ce.path));
            }
            self.enum_pair(pf, pe, cf, ce);
        }
        // Enums nested in renamed messages follow them; others match by structure.
        let mut pairs = pair_names(&deleted, &added, &HashMap::new(), message_pairs);
        let taken: HashSet<&str> = pairs.iter().map(|(_, a, _)| *a).collect();
        let done: HashSet<&str> = pairs.iter().map(|(d, _, _)| *d).collect();
        let rest: Vec<&str> = deleted
            .iter()
            .copied()
            .filter(|d| !done.contains(d))
            .collect();
        let free: HashSet<&str> = added.difference(&taken).copied().collect();
        pairs.extend(pair_names(&rest, &free, &m.enums, &[]));
        let gone_msgs: HashSet<&str> = self
            .prev_msgs
            .keys()
            .copied()
            .filter(|n| !self.cur_msgs.contains_key(n))
            .collect();
        let new_msgs: HashSet<&str> = self
            .cur_msgs
            .keys()
            .copied()
            .filter(|n| !self.prev_msgs.contains_key(n))
            .collect();
        let (mut pd, mut pa) = (HashSet::new(), HashSet::new());
        for (d, a, outermost) in pairs {
            pd.insert(d);
            pa.insert(a);
            let (pf, pe) = before[d];
            let (cf, ce) = now[a];
            if outermost {
                let kind = if pe.name == ce.name {
                    K::EnumMoved
                } else {
                    K::EnumRenamed
                };
                let ch = Change::new(kind, a).from_to(d, a);
                self.emit(ch, cf, Self::at(cf, &ce.path));
            }
            self.enum_pair(pf, pe, cf, ce);
        }
        for d in deleted {
            if !pd.contains(d) && !nested_in(d, &gone_msgs) {
                let (pf, pe) = before[d];
                let ch = Change::new(K::EnumDeleted, d);
                self.emit(ch, pf, Self::at(pf, &pe.path));
            }
        }
        let mut added: Vec<&str> = added.into_iter().collect();
        added.sort_unstable();
        for a in added {
            if !pa.contains(a) && !nested_in(a, &new_msgs) {
                let (cf, ce) = now[a];
                let ch = Change::new(K::EnumAdded, a);
                self.emit(ch, cf, Self::at(cf, &ce.path));
            }
        }
    }

    pub(super) fn enum_pair(&mut self, pf: &'s File, pe: &'s Enum, cf: &'s File, ce: &'s Enum) {
        let el = ce.full_name.as_str();
        let at = || Self::at(cf, &ce.path);
        self.comments(el, pf, &pe.path, cf, &ce.path);
        self.written(K::EnumOptionChanged, el, pf, &pe.path, cf, &ce.path, &[]);
        if pe.closed != ce.closed {
            let t = |c: bool| if c { "closed" } else { "open" };
            let ch = Change::new(K::EnumTypeChanged, el).from_to(t(pe.closed), t(ce.closed));
            self.emit(ch, cf, at());
        }
        if pe.json_allow != ce.json_allow {
            let v = |x: bool| {
                if x {
                    "json_format = ALLOW"
                } else {
                    "json_format = LEGACY_BEST_EFFORT"
                }
            };
            let ch =
                Change::new(K::EnumOptionChanged, el).from_to(v(pe.json_allow), v(ce.json_allow));
            self.emit(ch, cf, at());
        }
        self.reserved(
            el,
            (&pe.reserved_ranges, &pe.reserved_names),
            (&ce.reserved_ranges, &ce.reserved_names),
            cf,
            &ce.path,
        );
        let first = |e: &'s Enum| {
            let mut m: HashMap<i32, &'s crate::model::EnumValue> = HashMap::new();
            for v in &e.values {
                m.entry(v.number).or_insert(v);
            }
            m
        };
        let (a, b) = (first(pe), first(ce));
        for pv in &pe.values {
            if a[&pv.number].name != pv.name {
                continue; // an alias: the first value of the number speaks for it
            }
            match b.get(&pv.number) {
                Some(v) => {
                    let vel = format!("{el}.{}", v.name);
                    self.comments(&vel, pf, &pv.path, cf, &v.path);
                    self.written(K::OptionChanged, &vel, pf, &pv.path, cf, &v.path, &[]);
                    if v.name != pv.name {
                        let ch = Change::new(K::EnumValueRenamed, &vel)
                            .from_to(format!("{}.{}", pe.full_name, pv.name), &vel);
                        self.emit(ch, cf, Self::at(cf, &v.path));
                    }
                }
                None => {
                    let ch =
                        Change::new(K::EnumValueDeleted, format!("{}.{}", pe.full_name, pv.name));
                    self.emit(ch, pf, Self::at(pf, &pv.path));
                }
            }
        }
        for v in &ce.values {
            if !a.contains_key(&v.number) && b[&v.number].name == v.name {
                let ch = Change::new(K::EnumValueAdded, format!("{el}.{}", v.name));
                self.emit(ch, cf, Self::at(cf, &v.path));
            }
        }
    }
}
