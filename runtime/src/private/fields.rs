//! The field readers of `#[derive(Usage)]`: token counts, a text, a list of texts, each
//! optionally in an `Option`.

// The conversion impls are generated over every integer type with one body; for some types the
// fallible conversion cannot fail or converts to the same type.
#![allow(clippy::unnecessary_fallible_conversions, clippy::useless_conversion)]

use std::borrow::Cow;

/// A field that holds a token count: any integer type, optionally in an `Option`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a token count",
    label = "a token-count role needs an integer field",
    note = "token roles accept `u32`, `u64`, `i64`, `usize` (any integer type) or an `Option` of one"
)]
pub trait TokenCount {
    /// The count, `None` if absent or negative.
    fn token_count(&self) -> Option<u64>;
}

macro_rules! token_count_unsigned {
    ($($int:ty),*) => {$(
        impl TokenCount for $int {
            #[inline]
            fn token_count(&self) -> Option<u64> {
                u64::try_from(*self).ok()
            }
        }
    )*};
}
token_count_unsigned!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

impl<T: TokenCount + ?Sized> TokenCount for &T {
    #[inline]
    fn token_count(&self) -> Option<u64> {
        (**self).token_count()
    }
}
impl<T: TokenCount> TokenCount for Option<T> {
    #[inline]
    fn token_count(&self) -> Option<u64> {
        self.as_ref().and_then(TokenCount::token_count)
    }
}

/// Reads a token-count field.
#[inline]
pub fn tokens<T: TokenCount + ?Sized>(value: &T) -> Option<u64> {
    value.token_count()
}

/// A field that holds text: `String`, `&str`, `Cow<str>`, `Box<str>`, `Arc<str>`, or an `Option` of one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not text",
    label = "this role needs a string field",
    note = "text roles accept `String`, `&str`, `Cow<str>`, `Box<str>`, `Arc<str>` or an `Option` of one"
)]
pub trait Text {
    /// The text, `None` if absent.
    fn text(&self) -> Option<&str>;
}

impl Text for str {
    #[inline]
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}
impl Text for String {
    #[inline]
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}
impl Text for Cow<'_, str> {
    #[inline]
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}
impl Text for Box<str> {
    #[inline]
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}
impl Text for std::sync::Arc<str> {
    #[inline]
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}
impl<T: Text + ?Sized> Text for &T {
    #[inline]
    fn text(&self) -> Option<&str> {
        (**self).text()
    }
}
impl<T: Text> Text for Option<T> {
    #[inline]
    fn text(&self) -> Option<&str> {
        self.as_ref().and_then(Text::text)
    }
}

/// Reads a text field.
#[inline]
pub fn text<T: Text + ?Sized>(value: &T) -> Option<&str> {
    value.text()
}

/// A field that holds several texts (finish reasons, completion parts), or a single one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a list of texts",
    label = "this role needs a string or a list of strings",
    note = "accepted: `Vec<String>`, `[String]`, `Option<Vec<String>>`, or any single text type"
)]
pub trait Texts {
    /// Calls `each` for every text.
    fn each_text<'a, F: FnMut(&'a str)>(&'a self, each: &mut F);
}

impl<T: Text> Texts for [T] {
    #[inline]
    fn each_text<'a, F: FnMut(&'a str)>(&'a self, each: &mut F) {
        for item in self {
            if let Some(text) = item.text() {
                each(text);
            }
        }
    }
}
impl<T: Text> Texts for Vec<T> {
    #[inline]
    fn each_text<'a, F: FnMut(&'a str)>(&'a self, each: &mut F) {
        self.as_slice().each_text(each);
    }
}
impl<T: Text, const N: usize> Texts for [T; N] {
    #[inline]
    fn each_text<'a, F: FnMut(&'a str)>(&'a self, each: &mut F) {
        self.as_slice().each_text(each);
    }
}
impl<T: Texts> Texts for Option<T> {
    #[inline]
    fn each_text<'a, F: FnMut(&'a str)>(&'a self, each: &mut F) {
        if let Some(items) = self {
            items.each_text(each);
        }
    }
}
impl<T: Texts + ?Sized> Texts for &T {
    #[inline]
    fn each_text<'a, F: FnMut(&'a str)>(&'a self, each: &mut F) {
        (**self).each_text(each);
    }
}
impl Texts for String {
    #[inline]
    fn each_text<'a, F: FnMut(&'a str)>(&'a self, each: &mut F) {
        each(self);
    }
}
impl Texts for str {
    #[inline]
    fn each_text<'a, F: FnMut(&'a str)>(&'a self, each: &mut F) {
        each(self);
    }
}

/// Reads a list-of-texts field.
#[inline]
pub fn texts<'a, T: Texts + ?Sized>(value: &'a T, mut each: impl FnMut(&'a str)) {
    value.each_text(&mut each);
}
