//! Placeholder: the editions front-end is being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    FieldPresence,
    EnumType,
    RepeatedFieldEncoding,
    Utf8Validation,
    MessageEncoding,
    JsonFormat,
    CppStringType,
    JavaUtf8Validation,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureSetting {
    pub feature: Feature,
    pub value: String,
    pub span: [i32; 4],
}
pub struct Lowered {
    pub edition: String,
    pub file: prost_reflect::prost_types::FileDescriptorProto,
    pub lowered_source: String,
    pub features: Vec<(Vec<i32>, FeatureSetting)>,
}
pub fn detect_edition(source: &str) -> Option<String> {
    source
        .lines()
        .find(|l| l.trim_start().starts_with("edition"))
        .map(|_| "2023".into())
}
pub fn lower(name: &str, _source: &str) -> Result<Lowered, protox::Error> {
    Err(protox::Error::new(format!(
        "{name}: editions not supported yet"
    )))
}
