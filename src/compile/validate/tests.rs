use super::checks::unit::*;

#[test]
fn prefix_removal_matches_protoc() {
    assert_eq!(remove_prefix("foo", "FOO_BAR"), "BAR");
    assert_eq!(remove_prefix("foo", "FOOBAR"), "BAR");
    assert_eq!(remove_prefix("foo", "FOO"), "FOO");
    assert_eq!(remove_prefix("foo", "FOO__"), "FOO__");
    assert_eq!(remove_prefix("foobar", "FOO_BAR_BAZ"), "BAZ");
    assert_eq!(remove_prefix("foo", "BAR"), "BAR");
    assert_eq!(enum_value_to_pascal_case("BAR_BAZ"), "BarBaz");
    assert_eq!(enum_value_to_pascal_case("bar__baz"), "BarBaz");
    assert_eq!(to_camel_case("foo_bar"), "FooBar");
    assert_eq!(to_camel_case("fooBar"), "FooBar");
}
