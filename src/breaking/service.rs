//! Rules about services matched by full name, and their RPCs matched by name.

use std::collections::HashMap;

use super::{q, At, Checker, Names, RuleId as R};

// long: one block per service and method rule over the matched services and methods
pub(super) fn check(c: &mut Checker, prev_names: &Names, cur_names: &Names) {
    let (prev, cur) = (c.prev, c.cur);
    for (name, &(pfi, psi)) in &prev_names.services {
        let Some(&(cfi, csi)) = cur_names.services.get(name) else {
            continue;
        };
        let pf = &prev.files[pfi];
        let ps = &pf.services[psi];
        let s = &cur.files[cfi].services[csi];
        let prev_path = Some(pf.path.as_str());
        let methods: HashMap<&str, usize> = s
            .methods
            .iter()
            .enumerate()
            .map(|(i, m)| (m.name.as_str(), i))
            .collect();
        for pm in &ps.methods {
            let Some(&mi) = methods.get(pm.name.as_str()) else {
                c.report(
                    R::RPC_NO_DELETE,
                    At::elem(cfi, &s.path),
                    prev_path,
                    &format!("{}.{}", s.full_name, pm.name),
                    format!(
                        "Previously present RPC {} on service {} was deleted.",
                        q(&pm.name),
                        q(&s.name)
                    ),
                );
                continue;
            };
            let m = &s.methods[mi];
            let el = format!("{}.{}", s.full_name, m.name);
            let streaming = |b: bool| if b { "streaming" } else { "unary" };
            if pm.client_streaming != m.client_streaming {
                c.report(
                    R::RPC_SAME_CLIENT_STREAMING,
                    At::elem(cfi, &m.path),
                    prev_path,
                    &el,
                    format!(
                        "RPC {} on service {} changed from client {} to client {}.",
                        q(&m.name),
                        q(&s.name),
                        streaming(pm.client_streaming),
                        streaming(m.client_streaming)
                    ),
                );
            }
            if pm.server_streaming != m.server_streaming {
                c.report(
                    R::RPC_SAME_SERVER_STREAMING,
                    At::elem(cfi, &m.path),
                    prev_path,
                    &el,
                    format!(
                        "RPC {} on service {} changed from server {} to server {}.",
                        q(&m.name),
                        q(&s.name),
                        streaming(pm.server_streaming),
                        streaming(m.server_streaming)
                    ),
                );
            }
            if pm.idempotency != m.idempotency {
                c.report(
                    R::RPC_SAME_IDEMPOTENCY_LEVEL,
                    At::file(cfi).or_opt(&m.path, 4, 34, "idempotency_level"),
                    prev_path,
                    &el,
                    format!(
                        "RPC {} on service {} changed option \"idempotency_level\" from {} to {}.",
                        q(&m.name),
                        q(&s.name),
                        q(&pm.idempotency),
                        q(&m.idempotency)
                    ),
                );
            }
            if pm.input != m.input {
                c.report(
                    R::RPC_SAME_REQUEST_TYPE,
                    At::file(cfi).or_sub(&m.path, &[2]).or_elem(&m.path),
                    prev_path,
                    &el,
                    format!(
                        "RPC {} on service {} changed request type from {} to {}.",
                        q(&m.name),
                        q(&s.name),
                        q(&pm.input),
                        q(&m.input)
                    ),
                );
            }
            if pm.output != m.output {
                c.report(
                    R::RPC_SAME_RESPONSE_TYPE,
                    At::file(cfi).or_sub(&m.path, &[3]).or_elem(&m.path),
                    prev_path,
                    &el,
                    format!(
                        "RPC {} on service {} changed response type from {} to {}.",
                        q(&m.name),
                        q(&s.name),
                        q(&pm.output),
                        q(&m.output)
                    ),
                );
            }
        }
    }
}
