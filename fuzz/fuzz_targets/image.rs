//! A descriptor image (binary, or JSON when the first byte is `{`): decoding, validation, the
//! pool, the model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protosync::input::{image, Format};

fuzz_target!(|data: &[u8]| {
    let format = if data.first() == Some(&b'{') {
        Format::Json
    } else {
        Format::Binpb
    };
    if let Ok(compiled) = image::decode(data, format, "fuzz") {
        let _ = protosync::model::build(&compiled);
    }
});
