//! Distances on the ground and clusters of nearby reports: what keeps coming back to the same
//! corner.

use crate::taxonomy::Subcategory;
use geo::{Distance, Haversine, Point};

/// A place as phones give it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

/// Metres between two places along the Earth's surface.
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

/// How near and how recent an open report must be to count as a possible duplicate of a new
/// one of the same subcategory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DuplicateWindow {
    pub radius_m: f64,
    pub days: i64,
}

/// Defaults per subcategory: fixed things (a lamp, a pothole) stay reported for weeks at one
/// spot; flooding or smoke covers a wider area; a fight or noise is over within a day or two.
pub fn duplicate_window(subcategory: Subcategory) -> DuplicateWindow {
    use Subcategory::*;
    let (radius_m, days) = match subcategory {
        Streetlight | TrafficSignals => (50.0, 14),
        RoadDamage | Trees | PowerLines | IllegalConstruction | Encroachment => (100.0, 14),
        UncollectedWaste | IllegalDumping => (100.0, 7),
        DrainageFlooding | WaterSupply | WastewaterOdor | AirPollution => (300.0, 3),
        DiseaseVectors => (300.0, 14),
        FireHazard => (200.0, 1),
        FightingDisturbance | TheftRobbery | Noise | DrugsGambling => (200.0, 2),
        Other => (100.0, 7),
    };
    DuplicateWindow { radius_m, days }
}

/// A group of places around a centre.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Indices into the places given, in their order.
    pub members: Vec<usize>,
    pub center: LatLon,
    /// The largest distance from the centre to a member.
    pub spread_m: f64,
}

/// Groups places that lie within `radius_m` of a common seed, densest first: the place with
/// the most unclaimed neighbours seeds a cluster of those neighbours, and so on while a seed
/// has at least `min_size`. A cluster is never wider than twice the radius, so a street with a
/// report every 80 metres does not become one kilometre-long "hotspot". Quadratic in the
/// number of places; callers pass one subcategory of one period at a time.
pub fn clusters(places: &[LatLon], radius_m: f64, min_size: usize) -> Vec<Cluster> {
    let neighbours: Vec<Vec<usize>> = places
        .iter()
        .map(|&a| {
            (0..places.len())
                .filter(|&j| distance_m(a, places[j]) <= radius_m)
                .collect()
        })
        .collect();
    let mut claimed = vec![false; places.len()];
    let mut found = Vec::new();
    loop {
        // Ties go to the earliest place, so the answer does not depend on chance.
        let seed = (0..places.len())
            .filter(|&i| !claimed[i])
            .map(|i| (neighbours[i].iter().filter(|&&j| !claimed[j]).count(), i))
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let Some((size, seed)) = seed else { break };
        if size < min_size.max(1) {
            break;
        }
        let members: Vec<usize> = neighbours[seed]
            .iter()
            .copied()
            .filter(|&j| !claimed[j])
            .collect();
        members.iter().for_each(|&j| claimed[j] = true);
        let n = members.len() as f64;
        let center = LatLon {
            lat: members.iter().map(|&j| places[j].lat).sum::<f64>() / n,
            lon: members.iter().map(|&j| places[j].lon).sum::<f64>() / n,
        };
        let spread_m = members
            .iter()
            .map(|&j| distance_m(center, places[j]))
            .fold(0.0, f64::max);
        found.push(Cluster {
            members,
            center,
            spread_m,
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORNER: LatLon = LatLon {
        lat: 10.8445,
        lon: 106.7893,
    };

    /// A place `north_m` metres north and `east_m` metres east of `from` (small distances).
    fn offset(from: LatLon, north_m: f64, east_m: f64) -> LatLon {
        let metres_per_degree = 111_320.0;
        LatLon {
            lat: from.lat + north_m / metres_per_degree,
            lon: from.lon + east_m / (metres_per_degree * from.lat.to_radians().cos()),
        }
    }

    #[test]
    fn distances_are_metres_on_the_ground() {
        let d = distance_m(CORNER, offset(CORNER, 100.0, 0.0));
        assert!((d - 100.0).abs() < 1.0, "{d}");
        // Hồ Chí Minh City to Hà Nội is about 1,140 km as the crow flies.
        let hanoi = LatLon {
            lat: 21.028,
            lon: 105.854,
        };
        let km = distance_m(CORNER, hanoi) / 1000.0;
        assert!((1100.0..1180.0).contains(&km), "{km}");
        assert_eq!(distance_m(CORNER, CORNER), 0.0);
    }

    #[test]
    fn the_same_corner_reported_again_and_again_is_one_cluster() {
        let mut places = vec![
            CORNER,
            offset(CORNER, 30.0, 10.0),
            offset(CORNER, -20.0, 40.0),
        ];
        places.push(offset(CORNER, 2000.0, 0.0)); // elsewhere
        places.push(offset(CORNER, 10.0, -25.0));
        let found = clusters(&places, 100.0, 3);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].members, vec![0, 1, 2, 4]);
        assert!(found[0].spread_m <= 100.0);
        assert!(distance_m(found[0].center, CORNER) < 30.0);
    }

    #[test]
    fn a_long_street_does_not_chain_into_one_cluster() {
        let street: Vec<LatLon> = (0..12)
            .map(|i| offset(CORNER, 0.0, 80.0 * i as f64))
            .collect();
        let found = clusters(&street, 100.0, 2);
        assert!(found.len() >= 4, "{}", found.len());
        assert!(found.iter().all(|c| c.spread_m <= 100.0));
        let members: usize = found.iter().map(|c| c.members.len()).sum();
        assert!(members <= street.len());
    }

    #[test]
    fn duplicate_windows_fit_the_kind_of_problem() {
        let lamp = duplicate_window(Subcategory::Streetlight);
        let flood = duplicate_window(Subcategory::DrainageFlooding);
        let fight = duplicate_window(Subcategory::FightingDisturbance);
        assert!(lamp.radius_m < flood.radius_m);
        assert!(fight.days < lamp.days);
        for s in Subcategory::ALL {
            let w = duplicate_window(*s);
            assert!(w.radius_m >= 50.0 && (1..=30).contains(&w.days), "{s}");
        }
    }

    #[test]
    fn too_few_reports_make_no_cluster() {
        assert!(clusters(&[CORNER, offset(CORNER, 50.0, 0.0)], 100.0, 3).is_empty());
        assert!(clusters(&[], 100.0, 3).is_empty());
    }
}
