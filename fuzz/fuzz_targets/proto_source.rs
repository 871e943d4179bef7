//! A .proto file (bytes) compiled as one side of a `breaking` run: limits, parse, link, model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protosync::compile::{compile, source_text, SourceTree};

fuzz_target!(|data: &[u8]| {
    let mut tree = SourceTree::default();
    tree.files
        .insert("fuzz.proto".to_owned(), source_text(data.to_vec()).into());
    if let Ok(compiled) = compile(tree, "input") {
        let _ = protosync::model::build(&compiled);
    }
});
