//! Writing an attribute into a span's attribute vector on the hot path.

use opentelemetry::{Key, KeyValue, Value};

/// Pushes `key = value` onto `attributes`, each field written straight into the vector's
/// spare slot.
///
/// `Vec::push` of a `KeyValue` built just before copies it from a stack temporary with wider
/// loads than the stores that built it (the key's tag and length are two 8-byte stores, read
/// back as one 16-byte load), which the CPU cannot forward: a stall of ~12 cycles per
/// attribute. Written field by field through the slot's pointer, each field is stored in place
/// (measured on the realistic call processed on its caller's thread, `BENCHMARKS.md`).
#[inline(always)]
pub(crate) fn push_attribute(
    attributes: &mut Vec<KeyValue>,
    key: impl Into<Key>,
    value: impl Into<Value>,
) {
    push_attribute_with(attributes, key, move || value.into());
}

/// [`push_attribute`] with the value made once the slot is known: a value a function returns
/// through memory (a `StringValue` from the memo) is then written where it belongs, rather
/// than into a temporary the slot is copied from.
#[inline(always)]
pub(crate) fn push_attribute_with(
    attributes: &mut Vec<KeyValue>,
    key: impl Into<Key>,
    value: impl FnOnce() -> Value,
) {
    attributes.reserve(1);
    let len = attributes.len();
    let slot = attributes.spare_capacity_mut()[0].as_mut_ptr();
    // SAFETY: `slot` points to the spare slot just after the length (`reserve` made room for
    // it); both fields of the `KeyValue` there are written, each once, before the length
    // covers it. `value` cannot reach `attributes` (borrowed mutably here), so the slot stays
    // where it is while it runs.
    unsafe {
        std::ptr::addr_of_mut!((*slot).key).write(key.into());
        std::ptr::addr_of_mut!((*slot).value).write(value());
        attributes.set_len(len + 1);
    }
}
