//! The two languages of the service: Vietnamese, which everyone reads by default, and English.
//!
//! A language is a code like the others (`vi`, `en`): a request asks for one with
//! `Accept-Language`, an account and a phone keep the one their owner chose for what reaches
//! them when no request is being answered (pushes, letters).

use crate::code::codes;

codes!(
    /// A language the service speaks.
    Lang, "language" {
        Vi => "vi", "Tiếng Việt", "Vietnamese";
        En => "en", "Tiếng Anh", "English";
    }
);

impl Lang {
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

    #[test]
    fn a_language_is_its_tag() {
        assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
        assert!("EN-us".parse::<Lang>().is_err());
        assert_eq!(Lang::Vi.as_str(), "vi");
    }
}
