//! Descriptor images: one side of a comparison read from a serialised `FileDescriptorSet`
//! instead of `.proto` sources.
//!
//! Owns reading an image (`binpb`: the binary form `protoc -o` / `buf build -o x.binpb` write,
//! `-` for stdin; `json`: the protobuf JSON mapping `buf build -o x.json` writes; `txtpb`: the
//! text format `buf build -o x.txtpb` writes, in `text`), turning its
//! files into a [`Compiled`] exactly like the source compiler would, and the errors for images
//! that cannot be used. It does not compile sources and does not know about rules.
//!
//! * **Format.** buf's images are a superset of `FileDescriptorSet` (an `Image` whose files carry
//!   a `buf_extension`, field 8042); everything that is not a `FileDescriptorSet` field is
//!   ignored, except `buf_extension.is_import`, which is honoured (see targets).
//! * **Targets** (the files whose elements are compared): every file of the image, except files
//!   buf marks as imports and `google/protobuf/*` files that another file of the image imports
//!   (`protoc --include_imports` adds `descriptor.proto`, `timestamp.proto`, `cpp_features.proto`,
//!   …; a directory input never lists them either). Other imported files that `--include_imports`
//!   adds are targets: protoc does not record which files were named on its command line.
//! * **Missing imports.** A `google/protobuf/*.proto` import the image lacks (an image built
//!   without `--include_imports`) is taken from protox's bundled well-known types, or, for the
//!   language feature files protox does not bundle (`cpp_features.proto`, …), an empty stand-in,
//!   for linking only: never a target. Any other missing import is an error that names the
//!   image, the file and the import, and suggests `--include_imports`.
//! * **Editions.** prost-reflect 0.16 refuses `syntax = "editions"` and prost-types 0.14 has no
//!   `edition` / `features` fields, so each editions file is also decoded dynamically, with
//!   protox's bundled `descriptor.proto` (which has `edition`, `FeatureSet` and the `features`
//!   field of every options message) plus `image_features.proto` next to this file (a trimmed
//!   `pb.cpp` / `pb.java` that extends `FeatureSet` with 1000 and 1001). It is then lowered as
//!   the source front-end lowers (`compile::editions::lower`): syntax `proto2`,
//!   `LEGACY_REQUIRED` fields get `LABEL_REQUIRED`, delimited fields stay (or become)
//!   `TYPE_MESSAGE`, features disappear from the options (prost-types drops them), and every
//!   explicitly set feature becomes a [`FeatureSetting`](crate::compile::editions::FeatureSetting) keyed by element path in
//!   [`Compiled::editions`], so the model resolves features identically for sources and images.
//!   As in the source front-end, features on the synthetic map-entry messages protoc writes
//!   (protoc copies a map field's features onto the entry's key and value) are not recorded.
//! * **Positions.** Source info is kept: the model locates findings with it (`Origin::Info`).
//!   A feature's span is the location protoc records for `options.features.<feature>` (e.g.
//!   element path + `[8, 21, 1]` for a field's `field_presence`), else the enclosing
//!   `options.features` location, else the element's; without source info it is
//!   [`UNLOCATED`](crate::model::UNLOCATED), and findings in such files carry no position at all.
//!
//! This file decodes; the steps are child modules: `split` (an image into its files, binary or
//! JSON), `validate` (what prost-reflect assumes), `editions` (features and lowering) and `link`
//! (bundled files, dependency order, the pool).

use std::collections::{HashMap, HashSet};
use std::io::Read;

use anyhow::{anyhow, bail, Result};
use prost_reflect::prost::Message as _;
use prost_reflect::prost_types::FileDescriptorProto;
use prost_reflect::DynamicMessage;

use super::{Format, Spec};
use crate::compile::Compiled;

/// Reads the image a `binpb` / `json` / `txtpb` spec names. `side` names it in errors ("input", "against").
pub fn load(spec: &Spec, side: &str) -> Result<Compiled> {
    let what = if spec.location == "-" {
        format!("{side} {:?} (stdin)", spec.raw)
    } else {
        format!("{side} {:?}", spec.raw)
    };
    let bytes = if spec.location == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| anyhow!("{what}: cannot read the image from stdin: {e}"))?;
        buf
    } else {
        std::fs::read(&spec.location).map_err(|e| anyhow!("{what}: cannot read the image: {e}"))?
    };
    decode(&bytes, spec.format, &what)
}

/// Decodes an image held in memory; `what` names it in errors.
pub fn decode(bytes: &[u8], format: Format, what: &str) -> Result<Compiled> {
    let entries = match format {
        Format::Json => split_json(bytes),
        Format::Txtpb => text::split_text(bytes),
        _ => split_binary(bytes),
    }
    .map_err(|e| {
        anyhow!(
            "{what}: not a FileDescriptorSet{e}{}",
            text_hint(bytes, format)
        )
    })?;
    if entries.is_empty() {
        bail!(
            "{what}: the image holds no files (an empty FileDescriptorSet){}",
            text_hint(bytes, format)
        );
    }
    let mut files = Vec::with_capacity(entries.len());
    let mut seen = HashSet::new();
    let mut editions = HashMap::new();
    let mut option_imports = HashSet::new();
    for (i, entry) in entries.iter().enumerate() {
        let mut proto = FileDescriptorProto::decode(entry.bytes.as_slice())
            .map_err(|e| anyhow!("{what}: not a FileDescriptorSet (file #{}: {e})", i + 1))?;
        if proto.name().is_empty() {
            bail!("{what}: file #{} of the image has no name", i + 1);
        }
        if !seen.insert(proto.name().to_owned()) {
            bail!("{what}: the image holds {} twice", proto.name());
        }
        if proto.syntax() == "editions" {
            let dynamic = DynamicMessage::decode(decoder().file.clone(), entry.bytes.as_slice())
                .map_err(|e| anyhow!("{what}: {}: cannot decode: {e}", proto.name()))?;
            let lowered = lower(&mut proto, &dynamic)
                .map_err(|e| anyhow!("{what}: {}: {e}", proto.name()))?;
            editions.insert(proto.name().to_owned(), lowered);
            option_imports.extend(option_dependencies(&entry.bytes));
        }
        files.push((proto, entry.is_import));
    }
    for (proto, _) in &mut files {
        // protoc reads an empty syntax as proto2; prost-reflect panics on it.
        if proto.syntax.as_deref() == Some("") {
            proto.syntax = None;
        }
        validate(proto).map_err(|e| anyhow!("{what}: {}: {e}", proto.name()))?;
    }
    link(files, editions, &option_imports, what)
}

/// Edition 2024's `FileDescriptorProto.option_dependency` (15, `import option "…"`), which
/// prost-types 0.14 does not know: such a file is imported too (it is never a target).
fn option_dependencies(file: &[u8]) -> Vec<String> {
    let mut wire = Wire::new(file);
    let mut out = Vec::new();
    while let Some(Ok((number, value))) = wire.next_field() {
        if let (15, WireValue::Bytes(name)) = (number, value) {
            out.extend(std::str::from_utf8(name).ok().map(str::to_owned));
        }
    }
    out
}

mod editions;
mod link;
mod split;
mod text;
mod validate;

use editions::lower;
use link::link;
use split::{decoder, split_binary, split_json, text_hint, Wire, WireValue};
use validate::validate;

#[cfg(test)]
mod tests;
