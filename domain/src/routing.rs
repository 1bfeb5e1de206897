//! Where a new report goes: a department through the ward's routing table, or the triage desk.

use crate::classify::Classification;
use crate::taxonomy::Subcategory;

/// The confidence under which the classifier's guess is left to a person at the triage desk.
/// Set from the held-out split (docs/NOTES.md): at 0.8 about 4 % of reports go to the desk and
/// 99 % of the others reach the right department; from 0.7 to 0.8, one report in three that
/// the desk gains would have gone to the wrong department, which costs a day, where a look at
/// the desk costs minutes. Above 0.8 the desk gains seven reports per misroute it prevents.
pub const DEFAULT_TRIAGE_THRESHOLD: f32 = 0.8;

/// The routing decision for a new report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The subcategory the report is filed under.
    pub subcategory: Subcategory,
    /// Send it to the triage desk instead of the department of the routing table.
    pub to_triage: bool,
}

/// Decides the subcategory and destination of a report. A head who picked a subcategory knows
/// the street better than the classifier does, so their choice routes the report; otherwise a
/// confident guess routes it and anything unsure or `other` goes to the triage desk.
pub fn route(
    classification: &Classification,
    chosen: Option<Subcategory>,
    threshold: f32,
) -> Route {
    match chosen {
        Some(subcategory) => Route {
            subcategory,
            to_triage: subcategory == Subcategory::Other,
        },
        None => Route {
            subcategory: classification.subcategory,
            to_triage: classification.subcategory == Subcategory::Other
                || classification.confidence < threshold,
        },
    }
}

/// The outside company told of a subcategory (TAXONOMY's "+ … external"): it hears of the
/// report by e-mail, while the ward department stays responsible. The codes are those of the
/// default template's external agencies.
pub fn external_agency(subcategory: Subcategory) -> Option<&'static str> {
    match subcategory {
        Subcategory::PowerLines => Some("power_utility"),
        Subcategory::WaterSupply => Some("water_utility"),
        Subcategory::UncollectedWaste => Some("public_works"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::Priority;

    fn guess(subcategory: Subcategory, confidence: f32) -> Classification {
        Classification {
            category: subcategory.category(),
            subcategory,
            priority: Priority::Normal,
            confidence,
            suggestions: Vec::new(),
            matched_terms: Vec::new(),
            urgency_reasons: Vec::new(),
        }
    }

    #[test]
    fn a_confident_guess_goes_to_its_department() {
        let r = route(
            &guess(Subcategory::Streetlight, 0.85),
            None,
            DEFAULT_TRIAGE_THRESHOLD,
        );
        assert_eq!(
            r,
            Route {
                subcategory: Subcategory::Streetlight,
                to_triage: false
            }
        );
    }

    #[test]
    fn an_unsure_guess_or_other_goes_to_triage() {
        let unsure = route(
            &guess(Subcategory::Noise, 0.3),
            None,
            DEFAULT_TRIAGE_THRESHOLD,
        );
        assert_eq!(
            unsure,
            Route {
                subcategory: Subcategory::Noise,
                to_triage: true
            }
        );
        let other = route(
            &guess(Subcategory::Other, 0.9),
            None,
            DEFAULT_TRIAGE_THRESHOLD,
        );
        assert!(other.to_triage);
    }

    #[test]
    fn the_heads_choice_wins_over_the_guess() {
        let r = route(
            &guess(Subcategory::Noise, 0.2),
            Some(Subcategory::Trees),
            DEFAULT_TRIAGE_THRESHOLD,
        );
        assert_eq!(
            r,
            Route {
                subcategory: Subcategory::Trees,
                to_triage: false
            }
        );
        let r = route(
            &guess(Subcategory::Noise, 0.9),
            Some(Subcategory::Other),
            DEFAULT_TRIAGE_THRESHOLD,
        );
        assert_eq!(
            r,
            Route {
                subcategory: Subcategory::Other,
                to_triage: true
            }
        );
    }

    #[test]
    fn utilities_hear_of_their_subcategories() {
        assert_eq!(
            external_agency(Subcategory::PowerLines),
            Some("power_utility")
        );
        assert_eq!(
            external_agency(Subcategory::WaterSupply),
            Some("water_utility")
        );
        assert_eq!(
            external_agency(Subcategory::UncollectedWaste),
            Some("public_works")
        );
        assert_eq!(external_agency(Subcategory::Streetlight), None);
    }
}
