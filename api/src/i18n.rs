//! The two languages of the service: Vietnamese, which everyone reads by default, and English.

pub use sos_domain::language::Lang;

/// A message in both languages of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub vi: String,
    pub en: String,
}

impl Text {
    pub fn new(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Text {
            vi: vi.into(),
            en: en.into(),
        }
    }

    /// The same words in both languages: what a person wrote, which nobody translates.
    pub fn same(words: impl Into<String>) -> Self {
        let words = words.into();
        Text {
            vi: words.clone(),
            en: words,
        }
    }

    pub fn pick(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }
}
