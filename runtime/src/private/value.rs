//! Rust values to attribute values: the `kind` markers the macros name per argument and the
//! [`AttrValue`] conversions behind [`value`].

// The conversion impls are generated over every integer type with one body; for some types the
// fallible conversion cannot fail or converts to the same type.
#![allow(clippy::unnecessary_fallible_conversions, clippy::useless_conversion)]

use std::borrow::Cow;

use opentelemetry::{Array, StringValue, Value};

use crate::capture;

/// Marker types naming the kind of an attribute value.
pub mod kind {
    /// A string attribute.
    #[derive(Debug)]
    pub struct Str;
    /// An integer attribute.
    #[derive(Debug)]
    pub struct Int;
    /// A floating-point attribute.
    #[derive(Debug)]
    pub struct Double;
    /// A boolean attribute.
    #[derive(Debug)]
    pub struct Bool;
    /// A string-array attribute.
    #[derive(Debug)]
    pub struct StrArray;
    /// An integer-array attribute.
    #[derive(Debug)]
    pub struct IntArray;
    /// A floating-point-array attribute.
    #[derive(Debug)]
    pub struct DoubleArray;
    /// A boolean-array attribute.
    #[derive(Debug)]
    pub struct BoolArray;
    /// A custom attribute: any scalar or array.
    #[derive(Debug)]
    pub struct Any;
}

/// A Rust value usable as an attribute of kind `K`; `None` (from an `Option`) omits it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not have the type this attribute expects",
    label = "wrong type for this attribute",
    note = "string attributes take `&str`/`String`, integers any integer type, doubles `f64`/`f32`, and each may be wrapped in `Option`",
    note = "a `Sensitive` value is never an attribute (attributes are always exported): give it as content, e.g. `prompt = …`, which exports it only as `[SENSITIVE]`"
)]
pub trait AttrValue<K> {
    /// The OpenTelemetry value, or `None` to leave the attribute out.
    fn attr_value(&self) -> Option<Value>;

    /// The text this value is (the window of it the byte limit can keep), when it is text
    /// held by the application: then a call processed on its own thread redacts it straight
    /// into the exported form, without a copy first (`Start::describe`). `None` for anything
    /// else, which goes through [`AttrValue::attr_value`].
    #[inline]
    fn attr_text(&self) -> Option<&str> {
        None
    }
}

macro_rules! forward_attr_value {
    ($($wrapper:ty),*) => {$(
        impl<K, T: AttrValue<K> + ?Sized> AttrValue<K> for $wrapper {
            #[inline]
            fn attr_value(&self) -> Option<Value> {
                (**self).attr_value()
            }
            #[inline]
            fn attr_text(&self) -> Option<&str> {
                (**self).attr_text()
            }
        }
    )*};
}
forward_attr_value!(&T, &mut T, Box<T>, std::sync::Arc<T>, std::rc::Rc<T>);

/// Implemented by nothing: it is the bound a [`capture::Sensitive`] value fails when given as
/// an attribute, so the error says "`ExportableAttribute` is not implemented for
/// `Sensitive<…>`" rather than listing every attribute type.
pub trait ExportableAttribute {}

impl<K, T> AttrValue<K> for capture::Sensitive<T>
where
    capture::Sensitive<T>: ExportableAttribute,
{
    fn attr_value(&self) -> Option<Value> {
        None
    }
}

impl<K, T: AttrValue<K>> AttrValue<K> for Option<T> {
    #[inline]
    fn attr_value(&self) -> Option<Value> {
        self.as_ref().and_then(AttrValue::attr_value)
    }
    #[inline]
    fn attr_text(&self) -> Option<&str> {
        self.as_ref().and_then(AttrValue::attr_text)
    }
}

// Strings are copied once into an `Arc<str>`: the span keeps one copy and llmscope can keep
// the provider and model for pricing without another allocation. A short one the process
// keeps already (a model, a feature that every call repeats) is not copied at all
// (`memo::recorded`).
impl AttrValue<kind::Str> for str {
    #[inline]
    fn attr_value(&self) -> Option<Value> {
        // A huge string is never copied whole: only the window the byte limit can keep.
        Some(Value::String(super::memo::recorded(
            capture::attribute_window(self),
        )))
    }
    #[inline]
    fn attr_text(&self) -> Option<&str> {
        Some(capture::attribute_window(self))
    }
}
impl AttrValue<kind::Str> for String {
    #[inline]
    fn attr_value(&self) -> Option<Value> {
        AttrValue::<kind::Str>::attr_value(self.as_str())
    }
    #[inline]
    fn attr_text(&self) -> Option<&str> {
        AttrValue::<kind::Str>::attr_text(self.as_str())
    }
}
impl AttrValue<kind::Str> for Cow<'_, str> {
    #[inline]
    fn attr_value(&self) -> Option<Value> {
        AttrValue::<kind::Str>::attr_value(&**self)
    }
    #[inline]
    fn attr_text(&self) -> Option<&str> {
        AttrValue::<kind::Str>::attr_text(&**self)
    }
}
impl AttrValue<kind::Str> for StringValue {
    #[inline]
    fn attr_value(&self) -> Option<Value> {
        Some(Value::String(self.clone()))
    }
}

macro_rules! int_attr_value {
    ($($int:ty),*) => {$(
        impl AttrValue<kind::Int> for $int {
            #[inline]
            fn attr_value(&self) -> Option<Value> {
                Some(Value::I64(i64::try_from(*self).unwrap_or(i64::MAX)))
            }
        }
    )*};
}
int_attr_value!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

impl AttrValue<kind::Double> for f64 {
    #[inline]
    fn attr_value(&self) -> Option<Value> {
        Some(Value::F64(*self))
    }
}
impl AttrValue<kind::Double> for f32 {
    #[inline]
    fn attr_value(&self) -> Option<Value> {
        Some(Value::F64(f64::from(*self)))
    }
}
impl AttrValue<kind::Bool> for bool {
    #[inline]
    fn attr_value(&self) -> Option<Value> {
        Some(Value::Bool(*self))
    }
}

/// A value whose text can be read as `&str`, for string arrays.
pub trait AsText {
    /// The text.
    fn as_text(&self) -> &str;
}
impl AsText for str {
    fn as_text(&self) -> &str {
        self
    }
}
impl AsText for String {
    fn as_text(&self) -> &str {
        self
    }
}
impl AsText for Cow<'_, str> {
    fn as_text(&self) -> &str {
        self
    }
}
impl<T: AsText + ?Sized> AsText for &T {
    fn as_text(&self) -> &str {
        (**self).as_text()
    }
}

impl<S: AsText> AttrValue<kind::StrArray> for [S] {
    fn attr_value(&self) -> Option<Value> {
        Some(Value::Array(Array::String(
            self.iter()
                .map(|s| StringValue::from(s.as_text().to_owned()))
                .collect(),
        )))
    }
}
impl<S: AsText> AttrValue<kind::StrArray> for Vec<S> {
    fn attr_value(&self) -> Option<Value> {
        AttrValue::<kind::StrArray>::attr_value(self.as_slice())
    }
}
impl<S: AsText, const N: usize> AttrValue<kind::StrArray> for [S; N] {
    fn attr_value(&self) -> Option<Value> {
        AttrValue::<kind::StrArray>::attr_value(self.as_slice())
    }
}

macro_rules! array_attr_value {
    ($kind:ident, $variant:ident, $conv:expr, $($elem:ty),*) => {$(
        impl AttrValue<kind::$kind> for [$elem] {
            fn attr_value(&self) -> Option<Value> {
                Some(Value::Array(Array::$variant(self.iter().map($conv).collect())))
            }
        }
        impl AttrValue<kind::$kind> for Vec<$elem> {
            fn attr_value(&self) -> Option<Value> {
                AttrValue::<kind::$kind>::attr_value(self.as_slice())
            }
        }
        impl<const N: usize> AttrValue<kind::$kind> for [$elem; N] {
            fn attr_value(&self) -> Option<Value> {
                AttrValue::<kind::$kind>::attr_value(self.as_slice())
            }
        }
    )*};
}
array_attr_value!(
    IntArray,
    I64,
    |v| i64::try_from(*v).unwrap_or(i64::MAX),
    u8,
    u16,
    u32,
    u64,
    usize,
    i8,
    i16,
    i32,
    i64,
    isize
);
array_attr_value!(DoubleArray, F64, |v| f64::from(*v), f32, f64);
array_attr_value!(BoolArray, Bool, |v| *v, bool);

macro_rules! any_attr_value {
    ($($kind:ident: $($ty:ty),*;)*) => {$($(
        impl AttrValue<kind::Any> for $ty {
            #[inline]
            fn attr_value(&self) -> Option<Value> {
                AttrValue::<kind::$kind>::attr_value(self)
            }
            #[inline]
            fn attr_text(&self) -> Option<&str> {
                AttrValue::<kind::$kind>::attr_text(self)
            }
        }
    )*)*};
}
any_attr_value! {
    Str: str, String, Cow<'_, str>, StringValue;
    Int: u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize;
    Double: f32, f64;
    Bool: bool;
}
impl<S: AsText> AttrValue<kind::Any> for [S] {
    fn attr_value(&self) -> Option<Value> {
        AttrValue::<kind::StrArray>::attr_value(self)
    }
}
impl<S: AsText> AttrValue<kind::Any> for Vec<S> {
    fn attr_value(&self) -> Option<Value> {
        AttrValue::<kind::StrArray>::attr_value(self.as_slice())
    }
}

/// Converts `value` into an attribute value of kind `K` (`None` leaves the attribute out).
#[inline]
pub fn value<K, T: AttrValue<K> + ?Sized>(value: &T) -> Option<Value> {
    value.attr_value()
}
