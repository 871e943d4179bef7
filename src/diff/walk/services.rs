//! Services and their RPCs (paired by name), and extensions by (extendee, number).

use super::*;

impl<'s> Walk<'s> {
    pub(super) fn services(&mut self, pf: &[&'s File], cf: &[&'s File], m: &Matches) {
        let index = |files: &[&'s File]| -> HashMap<&'s str, (&'s File, &'s Service)> {
            files
                .iter()
                .flat_map(|f| f.services.iter().map(move |s| (&*s.full_name, (*f, s))))
                .collect()
        };
        let (before, now) = (index(pf), index(cf));
        let (both, deleted, added) = split_names(&before, &now);
        for n in both {
            let ((pf, ps), (cf, cs)) = (before[n], now[n]);
            if self.moved(pf, cf) {
                let ch = Change::new(K::ServiceMoved, n).from_to(&pf.path, &cf.path);
                self.emit(ch, cf, Self::at(cf, &cs.path));
            }
            self.service_pair(pf, ps, cf, cs);
        }
        let pairs = pair_names(&deleted, &added, &m.services, &[]);
        let (mut pd, mut pa) = (HashSet::new(), HashSet::new());
        for (d, a, _) in pairs {
            pd.insert(d);
            pa.insert(a);
            let (pf, ps) = before[d];
            let (cf, cs) = now[a];
            let kind = if ps.name == cs.name {
                K::ServiceMoved
            } else {
                K::ServiceRenamed
            };
            let ch = Change::new(kind, a).from_to(d, a);
            self.emit(ch, cf, Self::at(cf, &cs.path));
            self.service_pair(pf, ps, cf, cs);
        }
        for d in deleted {
            if !pd.contains(d) {
                let (pf, ps) = before[d];
                let ch = Change::new(K::ServiceDeleted, d);
                self.emit(ch, pf, Self::at(pf, &ps.path));
            }
        }
        let mut added: Vec<&str> = added.into_iter().collect();
        added.sort_unstable();
        for a in added {
            if !pa.contains(a) {
                let (cf, cs) = now[a];
                let ch = Change::new(K::ServiceAdded, a);
                self.emit(ch, cf, Self::at(cf, &cs.path));
            }
        }
    }

    pub(super) fn service_pair(
        &mut self,
        pf: &'s File,
        ps: &'s Service,
        cf: &'s File,
        cs: &'s Service,
    ) {
        let el = cs.full_name.as_str();
        self.comments(el, pf, &ps.path, cf, &cs.path);
        self.written(K::OptionChanged, el, pf, &ps.path, cf, &cs.path, &[]);
        let now: HashMap<&str, &'s crate::model::Method> =
            cs.methods.iter().map(|m| (m.name.as_str(), m)).collect();
        let before: HashSet<&str> = ps.methods.iter().map(|m| m.name.as_str()).collect();
        for pm in &ps.methods {
            let mel = format!("{el}.{}", pm.name);
            let Some(m) = now.get(pm.name.as_str()) else {
                let ch = Change::new(K::RpcDeleted, format!("{}.{}", ps.full_name, pm.name));
                self.emit(ch, pf, Self::at(pf, &pm.path));
                continue;
            };
            let at = || Self::at(cf, &m.path);
            self.comments(&mel, pf, &pm.path, cf, &m.path);
            self.written(
                K::RpcOptionChanged,
                &mel,
                pf,
                &pm.path,
                cf,
                &m.path,
                &["idempotency_level"],
            );
            if pm.input != m.input {
                let ch = Change::new(K::RpcRequestChanged, &mel).from_to(&pm.input, &m.input);
                self.emit(ch, cf, at());
            }
            if pm.output != m.output {
                let ch = Change::new(K::RpcResponseChanged, &mel).from_to(&pm.output, &m.output);
                self.emit(ch, cf, at());
            }
            let streaming = |c: bool, s: bool| match (c, s) {
                (false, false) => "unary",
                (true, false) => "client streaming",
                (false, true) => "server streaming",
                (true, true) => "bidirectional streaming",
            };
            let (a, b) = (
                streaming(pm.client_streaming, pm.server_streaming),
                streaming(m.client_streaming, m.server_streaming),
            );
            if a != b {
                let ch = Change::new(K::RpcStreamingChanged, &mel).from_to(a, b);
                self.emit(ch, cf, at());
            }
            if pm.idempotency != m.idempotency {
                let ch = Change::new(K::RpcOptionChanged, &mel).from_to(
                    format!("idempotency_level = {}", pm.idempotency),
                    format!("idempotency_level = {}", m.idempotency),
                );
                self.emit(ch, cf, at());
            }
        }
        for m in &cs.methods {
            if !before.contains(m.name.as_str()) {
                let ch = Change::new(K::RpcAdded, format!("{el}.{}", m.name));
                self.emit(ch, cf, Self::at(cf, &m.path));
            }
        }
    }

    pub(super) fn extensions(&mut self, pf: &[&'s File], cf: &[&'s File]) {
        type Key<'k> = (&'k str, i32);
        let index = |files: &[&'s File]| -> BTreeMap<Key<'s>, (&'s File, &'s Field)> {
            files
                .iter()
                .flat_map(|f| {
                    f.extensions
                        .iter()
                        .map(move |x| ((x.extendee.as_deref().unwrap_or(""), x.number), (*f, x)))
                })
                .collect()
        };
        let (before, now) = (index(pf), index(cf));
        for (k, (pf, px)) in &before {
            match now.get(k) {
                Some((cf, x)) => self.field_pair(pf, px, cf, x),
                None => {
                    let ch = Change::new(K::ExtensionDeleted, &px.full_name);
                    self.emit(ch, pf, Self::at(pf, &px.path));
                }
            }
        }
        for (k, (cf, x)) in &now {
            if !before.contains_key(k) {
                let ch = Change::new(K::ExtensionAdded, &x.full_name);
                self.emit(ch, cf, Self::at(cf, &x.path));
            }
        }
    }

    /// A file whose text differs and where nothing else changed: `formatting`.
    pub(super) fn formatting(&mut self, prev: &'s Schema, cf: &[&'s File]) {
        let touched: HashSet<&str> = self
            .out
            .iter()
            .filter_map(|(_, p)| match p {
                Place::File(f) | Place::Elem(f, _) | Place::FileOption(f, ..) => {
                    Some(f.path.as_str())
                }
                Place::None => None,
            })
            .collect();
        let mut quiet = Vec::new();
        for &c in cf {
            if let Some(p) = prev.file(&c.path) {
                if !touched.contains(c.path.as_str())
                    && texts_differ(p, c)
                    && p.spans.text().is_some()
                {
                    quiet.push(c);
                }
            }
        }
        for c in quiet {
            let ch = Change::new(K::Formatting, &c.path);
            self.emit(ch, c, Place::File(c));
        }
    }
}
