//! Collecting every diagnostic of one macro call, so that one compile shows them all.

/// The errors found so far; empty means the input is fine.
#[derive(Default)]
pub(crate) struct Errors {
    first: Option<syn::Error>,
}

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.first {
            Some(first) => first.combine(error),
            None => self.first = Some(error),
        }
    }

    /// The value of `result`, recording its error if it has one.
    pub(crate) fn take<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    /// `Ok(value)` when no error was recorded, else all of them.
    pub(crate) fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.first {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }
}

impl From<syn::Error> for Errors {
    fn from(error: syn::Error) -> Self {
        Self { first: Some(error) }
    }
}

impl Errors {
    /// Whether no error was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// The `compile_error!`s of every recorded error (nothing if none).
    pub(crate) fn into_compile_errors(self) -> proc_macro2::TokenStream {
        self.first
            .map(|error| error.to_compile_error())
            .unwrap_or_default()
    }
}
