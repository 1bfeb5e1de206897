//! Is a phone's position plausible for a report in Vietnam?
//!
//! A coarse outline of the mainland, drawn outward by roughly 10–20 km so that coastal streets
//! and border towns pass, plus boxes around the islands. It rejects the position of a phone
//! whose GPS has not settled (0,0) or that is abroad; locating a report in its ward with real
//! boundaries is a separate, finer step.

/// The mainland outline as (longitude, latitude), clockwise from the northern tip.
const MAINLAND: &[(f64, f64)] = &[
    (105.30, 23.50), // Lũng Cú
    (106.05, 23.05),
    (106.80, 22.95),
    (107.45, 21.85),
    (108.15, 21.62), // Móng Cái
    (108.30, 21.25),
    (107.35, 20.55),
    (106.85, 20.15),
    (106.30, 19.75),
    (106.10, 19.05),
    (106.75, 18.25),
    (107.05, 17.55),
    (107.45, 16.95),
    (108.00, 16.55),
    (108.50, 16.15), // Đà Nẵng
    (109.15, 15.20),
    (109.45, 13.90),
    (109.60, 12.90),
    (109.60, 12.10),
    (109.25, 11.30),
    (108.70, 10.65),
    (107.40, 10.20), // Vũng Tàu
    (106.90, 9.75),
    (106.45, 9.30),
    (105.90, 8.90),
    (104.90, 8.40), // Cà Mau cape
    (104.55, 8.70),
    (104.60, 9.40),
    (104.80, 10.00),
    (104.35, 10.35), // Hà Tiên
    (104.95, 11.05),
    (105.75, 11.10),
    (106.05, 11.00), // the Parrot's Beak of Cambodia reaches in here
    (105.75, 11.35),
    (105.75, 11.80),
    (106.45, 11.95),
    (106.90, 12.30),
    (107.45, 12.45),
    (107.40, 13.00),
    (107.45, 13.80),
    (107.35, 14.55),
    (107.45, 14.80),
    (107.25, 15.55),
    (106.95, 16.05),
    (106.45, 16.45),
    (106.30, 16.95),
    (105.75, 17.50),
    (105.45, 18.05),
    (104.80, 18.60),
    (103.80, 19.20),
    (104.00, 19.75),
    (104.75, 20.15),
    (104.30, 20.70),
    (103.65, 20.55),
    (103.10, 20.80),
    (102.80, 21.45),
    (102.00, 22.45), // Điện Biên, the western tip
    (102.45, 22.90),
    (103.30, 22.90),
    (103.95, 22.75), // Lào Cai
    (104.45, 22.95),
    (104.85, 23.30),
];

/// Islands and archipelagos as (west, south, east, north) in degrees.
const ISLANDS: &[(f64, f64, f64, f64)] = &[
    (103.75, 9.90, 104.20, 10.55),  // Phú Quốc
    (103.35, 9.20, 103.60, 9.40),   // Thổ Chu
    (106.45, 8.55, 106.80, 8.85),   // Côn Đảo
    (108.85, 10.40, 109.05, 10.60), // Phú Quý
    (109.00, 15.30, 109.20, 15.45), // Lý Sơn
    (107.30, 20.60, 108.20, 21.30), // Cô Tô and the islands of Quảng Ninh
    (107.60, 20.05, 107.80, 20.20), // Bạch Long Vĩ
    (111.00, 15.60, 113.00, 17.20), // Hoàng Sa
    (111.40, 6.40, 117.00, 11.60),  // Trường Sa
];

/// Finite, and within the ranges of latitude and longitude.
pub fn valid_coordinates(lat: f64, lon: f64) -> bool {
    lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon)
}

/// Ray casting: a point is inside when a ray from it crosses the outline an odd number of times.
fn in_polygon(lon: f64, lat: f64, polygon: &[(f64, f64)]) -> bool {
    let mut inside = false;
    let mut previous = polygon[polygon.len() - 1];
    for &current in polygon {
        let ((x1, y1), (x2, y2)) = (previous, current);
        if (y1 > lat) != (y2 > lat) && lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1) {
            inside = !inside;
        }
        previous = current;
    }
    inside
}

pub fn in_vietnam(lat: f64, lon: f64) -> bool {
    valid_coordinates(lat, lon)
        && (in_polygon(lon, lat, MAINLAND)
            || ISLANDS
                .iter()
                .any(|&(w, s, e, n)| (w..=e).contains(&lon) && (s..=n).contains(&lat)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_in_vietnam_are_inside() {
        let inside = [
            ("Hồ Chí Minh", 10.776, 106.700),
            ("Tăng Nhơn Phú", 10.845, 106.789),
            ("Hà Nội", 21.028, 105.854),
            ("Đà Nẵng", 16.054, 108.202),
            ("Huế", 16.463, 107.590),
            ("Phú Quốc", 10.220, 103.960),
            ("Côn Đảo", 8.680, 106.610),
            ("Sa Pa", 22.340, 103.840),
            ("Móng Cái", 21.524, 107.966),
            ("Mũi Cà Mau", 8.600, 104.720),
            ("Lũng Cú", 23.360, 105.320),
            ("Điện Biên Phủ", 21.386, 103.017),
            ("Tây Ninh", 11.310, 106.100),
            ("Nha Trang", 12.238, 109.196),
            ("Buôn Ma Thuột", 12.667, 108.038),
            ("Hà Tiên", 10.383, 104.488),
            ("Vũng Tàu", 10.346, 107.084),
        ];
        for (name, lat, lon) in inside {
            assert!(in_vietnam(lat, lon), "{name} ({lat}, {lon})");
        }
    }

    #[test]
    fn places_abroad_or_unsettled_gps_are_outside() {
        let outside = [
            ("Bangkok", 13.75, 100.50),
            ("Vientiane", 17.97, 102.60),
            ("Phnom Penh", 11.56, 104.92),
            ("Guangzhou", 23.13, 113.26),
            ("Nanning", 22.82, 108.32),
            ("Manila", 14.60, 120.98),
            ("Kuala Lumpur", 3.139, 101.687),
            ("null island", 0.0, 0.0),
        ];
        for (name, lat, lon) in outside {
            assert!(!in_vietnam(lat, lon), "{name} ({lat}, {lon})");
        }
    }

    #[test]
    fn impossible_coordinates_are_invalid() {
        assert!(!valid_coordinates(f64::NAN, 106.0));
        assert!(!valid_coordinates(91.0, 106.0));
        assert!(!valid_coordinates(10.0, 181.0));
        assert!(!valid_coordinates(10.0, f64::INFINITY));
        assert!(!in_vietnam(f64::NAN, 106.0));
        assert!(valid_coordinates(-90.0, 180.0));
    }
}
