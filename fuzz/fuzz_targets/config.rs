//! The files a service or contract repository brings: the first byte picks `protosync.toml`
//! (both readers), `buf.yaml` or `protosync.lock`; the rest is the text.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 3 {
        0 => {
            let path = Path::new("protosync.toml");
            let _ = protosync::sync::config::parse(path, &text);
            if let Ok(layout) = protosync::config::parse_protosync_toml(path, &text) {
                let _ = protosync::config::rules::resolve(&layout, &Default::default());
            }
        }
        1 => {
            if let Ok(layout) = protosync::config::buf::parse(Path::new("buf.yaml"), &text) {
                let _ = protosync::config::rules::resolve(&layout, &Default::default());
            }
        }
        _ => {
            let _ = protosync::sync::lock::Lock::parse(Path::new("protosync.lock"), &text);
        }
    }
});
