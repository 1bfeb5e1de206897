//! The two languages of the service: Vietnamese, which everyone reads by default, and English.

/// A language the service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// The language tag, as `Content-Language` says it.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The first of Vietnamese or English an `Accept-Language` value names, by preference
    /// order; Vietnamese when it names neither.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let Some(value) = accept_language else {
            return Lang::Vi;
        };
        let mut tags: Vec<(f32, &str)> = value
            .split(',')
            .map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next().unwrap_or("").trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(1.0);
                (q, tag)
            })
            .collect();
        // Stable sort keeps the listed order among equal weights.
        tags.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, tag) in tags {
            let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
            match primary.as_str() {
                "vi" => return Lang::Vi,
                "en" => return Lang::En,
                _ => {}
            }
        }
        Lang::Vi
    }
}

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

    pub fn pick(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_follows_preference_and_defaults_to_vietnamese() {
        assert_eq!(Lang::negotiate(None), Lang::Vi);
        assert_eq!(Lang::negotiate(Some("en")), Lang::En);
        assert_eq!(Lang::negotiate(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr, vi;q=0.5, en;q=0.8")), Lang::En);
        assert_eq!(Lang::negotiate(Some("vi-VN, en;q=0.9")), Lang::Vi);
        assert_eq!(Lang::negotiate(Some("de")), Lang::Vi);
    }
}
