//! Closed sets of codes: what the service stores and exchanges as short ASCII strings
//! (`in_progress`, `report.resolved`, `before`), declared once with their labels.
//!
//! [`Code`] is what every such set has in common, so that storage can read and write any of
//! them the same way and one rule decides what an unknown stored string means: it is an error
//! that names the kind of code and the value ([`UnknownCode`]), never a silent fallback.

use std::fmt;
use std::str::FromStr;

/// The error of parsing a string that is not a code of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    pub kind: &'static str,
    pub value: String,
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} code `{}`", self.kind, self.value)
    }
}

impl std::error::Error for UnknownCode {}

/// A closed set of codes.
pub trait Code:
    Copy + Eq + std::hash::Hash + fmt::Debug + FromStr<Err = UnknownCode> + Send + Sync + 'static
{
    /// What the codes are, for messages: `status`, `event type`.
    const KIND: &'static str;

    fn code(self) -> &'static str;

    /// Every code, in declaration order.
    fn all() -> &'static [Self];
}

/// Declares a closed set of codes with their labels in Vietnamese and English, string
/// conversions, serde and [`Code`].
macro_rules! codes {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident => $code:literal, $label:literal, $label_en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                code.parse().map_err(serde::de::Error::custom)
            }
        }

        impl $name {
            /// Every code, in the order declared.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// The label shown to people who read `lang`.
            pub fn label(self, lang: $crate::language::Lang) -> &'static str {
                match lang {
                    $crate::language::Lang::Vi => match self { $($name::$variant => $label,)+ },
                    $crate::language::Lang::En => match self { $($name::$variant => $label_en,)+ },
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::code::UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err($crate::code::UnknownCode { kind: $kind, value: s.to_owned() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::code::Code for $name {
            const KIND: &'static str = $kind;
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn all() -> &'static [Self] {
                Self::ALL
            }
        }
    };
}

pub(crate) use codes;

codes!(
    /// Who may read an event of a report's timeline.
    Visibility, "visibility" {
        /// The neighborhood's heads and everyone who may read the report.
        Public => "public", "Công khai", "Public";
        /// The ward's staff only: internal notes, deadline alerts.
        Internal => "internal", "Nội bộ", "Internal";
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<C: Code>() {
        for code in C::all() {
            assert_eq!(code.code().parse::<C>(), Ok(*code), "{}", C::KIND);
        }
        let unknown = "no such code".parse::<C>().unwrap_err();
        assert_eq!(unknown.kind, C::KIND);
    }

    #[test]
    fn every_set_of_codes_round_trips_and_names_unknown_values() {
        use crate::taxonomy::*;
        round_trip::<Category>();
        round_trip::<Subcategory>();
        round_trip::<Priority>();
        round_trip::<Status>();
        round_trip::<Role>();
        round_trip::<Action>();
        round_trip::<EventType>();
        round_trip::<Visibility>();
        round_trip::<crate::language::Lang>();
        round_trip::<crate::photos::PhotoKind>();
        round_trip::<crate::photos::PhotoFormat>();
        round_trip::<crate::sla::DayKind>();
        round_trip::<crate::sla::deadlines::Clock>();
        round_trip::<crate::sla::deadlines::DeadlineKind>();
        round_trip::<crate::sla::deadlines::AlertStage>();
        round_trip::<crate::boundaries::Level>();
        round_trip::<crate::delivery::DeliveryChannel>();
        round_trip::<crate::delivery::DeliveryStatus>();
    }
}
