// TEMPORARY STUB so the workspace compiles; the classifier helper replaces this whole file.
pub fn valid_coordinates(lat: f64, lon: f64) -> bool {
    lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0
}
pub fn in_vietnam(lat: f64, lon: f64) -> bool {
    (8.0..=23.5).contains(&lat) && (102.0..=110.0).contains(&lon)
}
