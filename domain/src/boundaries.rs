//! Boundaries of wards and neighborhoods: reading them from GeoJSON with every check an
//! operator needs before they decide where reports go, and finding the ward and neighborhood
//! of a point.
//!
//! Coordinates are longitude, latitude (RFC 7946). Areas and overlaps are compared as shares,
//! so planar degrees are good enough at the scale of a ward; distances near borders are in
//! metres on a local flat projection.

use geo::{
    Area, BooleanOps, BoundingRect, Contains, Coord, Distance, Euclidean, LineString, MapCoords,
    MultiPolygon, Point, Polygon, Validation,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde_json::Value;
use uuid::Uuid;

crate::code::codes!(
    /// What a file of boundaries describes.
    Level, "boundary level" {
        Ward => "ward", "Phường, xã", "Ward or commune";
        Neighborhood => "neighborhood", "Khu phố", "Neighborhood";
    }
);

/// The unit a feature describes, by its codes: the official code of the ward, and the
/// neighborhood's code in its ward (`kp3`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitKey {
    pub ward_code: i32,
    pub neighborhood_code: Option<String>,
}

impl std::fmt::Display for UnitKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.neighborhood_code {
            Some(code) => write!(f, "{}/{code}", self.ward_code),
            None => write!(f, "{}", self.ward_code),
        }
    }
}

/// A feature that passed the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// Its position in the file, from 0.
    pub feature: usize,
    pub unit: UnitKey,
    pub area: MultiPolygon<f64>,
}

/// A feature left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    pub feature: usize,
    pub unit: Option<String>,
    pub reasons: Vec<String>,
}

/// Share of the smaller of two units that may overlap the other: borders digitised from
/// different maps rarely meet exactly.
pub const OVERLAP_TOLERANCE: f64 = 0.01;
/// Share of a neighborhood that may lie outside its ward, for the same reason.
pub const OUTSIDE_TOLERANCE: f64 = 0.01;

fn ring(positions: &[Vec<f64>], reasons: &mut Vec<String>, what: &str) -> Option<LineString<f64>> {
    if positions.len() < 4 {
        reasons.push(format!("{what} has fewer than 4 positions"));
        return None;
    }
    let mut coords = Vec::with_capacity(positions.len());
    for position in positions {
        let [lon, lat] = position[..] else {
            reasons.push(format!(
                "{what} has a position that is not [longitude, latitude]"
            ));
            return None;
        };
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            reasons.push(format!(
                "{what} has a position out of range: [{lon}, {lat}] (longitude first)"
            ));
            return None;
        }
        coords.push(Coord { x: lon, y: lat });
    }
    if coords.first() != coords.last() {
        reasons.push(format!(
            "{what} is not closed: its last position must repeat its first"
        ));
        return None;
    }
    Some(LineString::new(coords))
}

fn polygon(rings: &[Vec<Vec<f64>>], reasons: &mut Vec<String>, what: &str) -> Option<Polygon<f64>> {
    let (outer, holes) = rings.split_first().or_else(|| {
        reasons.push(format!("{what} has no ring"));
        None
    })?;
    let exterior = ring(outer, reasons, &format!("{what}, outer ring"))?;
    let interiors = holes
        .iter()
        .enumerate()
        .map(|(i, h)| ring(h, reasons, &format!("{what}, hole {}", i + 1)))
        .collect::<Option<Vec<_>>>()?;
    Some(Polygon::new(exterior, interiors))
}

/// Reads positions as plain numbers: GeoJSON's own library would close open rings or accept
/// extra dimensions silently, and an operator must hear of both.
fn positions(value: &Value) -> Option<Vec<f64>> {
    value.as_array()?.iter().map(Value::as_f64).collect()
}

fn geometry(value: &Value, reasons: &mut Vec<String>) -> Option<MultiPolygon<f64>> {
    let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
    let coordinates = value.get("coordinates");
    let rings = |v: &Value| -> Option<Vec<Vec<Vec<f64>>>> {
        v.as_array()?
            .iter()
            .map(|r| r.as_array()?.iter().map(positions).collect())
            .collect()
    };
    match kind {
        "Polygon" => {
            let Some(rings) = coordinates.and_then(rings) else {
                reasons.push("the Polygon's coordinates are not rings of positions".into());
                return None;
            };
            Some(MultiPolygon::new(vec![polygon(
                &rings,
                reasons,
                "the polygon",
            )?]))
        }
        "MultiPolygon" => {
            let Some(parts) = coordinates
                .and_then(Value::as_array)
                .and_then(|parts| parts.iter().map(rings).collect::<Option<Vec<_>>>())
            else {
                reasons.push("the MultiPolygon's coordinates are not polygons of positions".into());
                return None;
            };
            if parts.is_empty() {
                reasons.push("the MultiPolygon is empty".into());
                return None;
            }
            let polygons = parts
                .iter()
                .enumerate()
                .map(|(i, p)| polygon(p, reasons, &format!("polygon {}", i + 1)))
                .collect::<Option<Vec<_>>>()?;
            Some(MultiPolygon::new(polygons))
        }
        other => {
            reasons.push(format!(
                "the geometry is `{other}`; a Polygon or MultiPolygon is needed"
            ));
            None
        }
    }
}

/// A stored geometry (GeoJSON) read back; `None` if it no longer reads.
pub fn from_geojson(value: &Value) -> Option<MultiPolygon<f64>> {
    geometry(value, &mut Vec::new())
}

/// An area as a GeoJSON MultiPolygon (longitude, latitude).
pub fn to_geojson(area: &MultiPolygon<f64>) -> Value {
    let ring = |l: &LineString<f64>| {
        l.coords()
            .map(|c| serde_json::json!([c.x, c.y]))
            .collect::<Vec<_>>()
    };
    let polygons: Vec<Value> = area
        .iter()
        .map(|p| {
            let mut rings = vec![ring(p.exterior())];
            rings.extend(p.interiors().iter().map(ring));
            serde_json::json!(rings)
        })
        .collect();
    serde_json::json!({"type": "MultiPolygon", "coordinates": polygons})
}

fn unit(properties: Option<&Value>, level: Level, reasons: &mut Vec<String>) -> Option<UnitKey> {
    let ward_code = properties
        .and_then(|p| p.get("ward_code"))
        .and_then(|c| c.as_i64().or_else(|| c.as_str()?.trim().parse().ok()))
        .and_then(|c| i32::try_from(c).ok());
    let neighborhood_code = properties
        .and_then(|p| p.get("neighborhood_code"))
        .and_then(Value::as_str)
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    let Some(ward_code) = ward_code else {
        reasons.push("properties.ward_code (the official code of the ward) is missing".into());
        return None;
    };
    match (level, neighborhood_code) {
        (Level::Ward, _) => Some(UnitKey {
            ward_code,
            neighborhood_code: None,
        }),
        (Level::Neighborhood, Some(code)) => Some(UnitKey {
            ward_code,
            neighborhood_code: Some(code),
        }),
        (Level::Neighborhood, None) => {
            reasons.push("properties.neighborhood_code (e.g. kp3) is missing".into());
            None
        }
    }
}

/// Reads a FeatureCollection of one level: the shapes that pass every check of a single
/// feature, and the features rejected with their reasons. Overlaps and containment, which
/// involve other units, are [`overlaps`] and [`outside`].
pub fn read(document: &Value, level: Level) -> Result<(Vec<Shape>, Vec<Rejection>), String> {
    if document.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err("a GeoJSON FeatureCollection is expected".into());
    }
    let features = document
        .get("features")
        .and_then(Value::as_array)
        .ok_or("the FeatureCollection has no `features` array")?;
    let (mut shapes, mut rejections) = (Vec::new(), Vec::new());
    let mut seen: Vec<UnitKey> = Vec::new();
    for (index, feature) in features.iter().enumerate() {
        let mut reasons = Vec::new();
        let key = unit(feature.get("properties"), level, &mut reasons);
        let area = feature
            .get("geometry")
            .and_then(|g| geometry(g, &mut reasons));
        if let Some(area) = &area
            && let Err(error) = area.check_validation()
        {
            reasons.push(format!("the geometry is not valid: {error}"));
        }
        if let Some(key) = &key
            && seen.contains(key)
        {
            reasons.push(format!("{key} appears twice in the file"));
        }
        match (key, area) {
            (Some(key), Some(area)) if reasons.is_empty() => {
                seen.push(key.clone());
                shapes.push(Shape {
                    feature: index,
                    unit: key,
                    area,
                });
            }
            (key, _) => rejections.push(Rejection {
                feature: index,
                unit: key.map(|k| k.to_string()),
                reasons,
            }),
        }
    }
    Ok((shapes, rejections))
}

fn bounds(area: &MultiPolygon<f64>) -> Option<AABB<[f64; 2]>> {
    let rect = area.bounding_rect()?;
    Some(AABB::from_corners(
        [rect.min().x, rect.min().y],
        [rect.max().x, rect.max().y],
    ))
}

/// Pairs of shapes (indices into `shapes`) that overlap by more than [`OVERLAP_TOLERANCE`]
/// of the smaller one, with that share.
pub fn overlaps(shapes: &[&MultiPolygon<f64>]) -> Vec<(usize, usize, f64)> {
    let tree = RTree::bulk_load(
        shapes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some(GeomWithData::new(Rectangle::from_aabb(bounds(s)?), i)))
            .collect(),
    );
    let mut found = Vec::new();
    for (i, shape) in shapes.iter().enumerate() {
        let Some(envelope) = bounds(shape) else {
            continue;
        };
        for candidate in tree.locate_in_envelope_intersecting(&envelope) {
            let j = candidate.data;
            if j <= i {
                continue;
            }
            let shared = shape.intersection(shapes[j]).unsigned_area();
            let smaller = shape.unsigned_area().min(shapes[j].unsigned_area());
            if smaller > 0.0 && shared / smaller > OVERLAP_TOLERANCE {
                found.push((i, j, shared / smaller));
            }
        }
    }
    found
}

/// The share of `part` that lies outside `whole`.
pub fn outside(part: &MultiPolygon<f64>, whole: &MultiPolygon<f64>) -> f64 {
    let area = part.unsigned_area();
    if area == 0.0 {
        return 0.0;
    }
    part.difference(whole).unsigned_area() / area
}

/// A point on the ground.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spot {
    pub lat: f64,
    pub lon: f64,
    /// The phone's estimate of its error, in metres.
    pub accuracy_m: Option<f64>,
}

/// Where a spot falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub ward: Uuid,
    /// None when the ward has no neighborhood boundaries there.
    pub neighborhood: Option<Uuid>,
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Units of one level with an R-tree of their bounding boxes.
#[derive(Debug, Clone, Default)]
struct Layer {
    units: Vec<(Uuid, Uuid, MultiPolygon<f64>)>,
    tree: RTree<Entry>,
}

impl Layer {
    /// `units`: (its id, its ward's id, its area).
    fn new(units: Vec<(Uuid, Uuid, MultiPolygon<f64>)>) -> Layer {
        let tree = RTree::bulk_load(
            units
                .iter()
                .enumerate()
                .filter_map(|(i, (_, _, a))| {
                    Some(GeomWithData::new(Rectangle::from_aabb(bounds(a)?), i))
                })
                .collect(),
        );
        Layer { units, tree }
    }

    fn containing(
        &self,
        point: Point<f64>,
    ) -> impl Iterator<Item = &(Uuid, Uuid, MultiPolygon<f64>)> {
        self.tree
            .locate_all_at_point(&[point.x(), point.y()])
            .map(|e| &self.units[e.data])
            .filter(move |(_, _, area)| area.contains(&point))
    }

    fn get(&self, id: Uuid) -> Option<&MultiPolygon<f64>> {
        self.units
            .iter()
            .find(|(u, _, _)| *u == id)
            .map(|(_, _, a)| a)
    }
}

/// Metres from a point to an area (0 inside), on a flat projection around the point: exact
/// enough within a few kilometres, which is all a GPS error spans.
fn metres_to(point: Point<f64>, area: &MultiPolygon<f64>) -> f64 {
    if area.contains(&point) {
        return 0.0;
    }
    let lon_metres = 111_320.0 * point.y().to_radians().cos();
    let lat_metres = 110_574.0;
    let project = |c: Coord<f64>| Coord {
        x: (c.x - point.x()) * lon_metres,
        y: (c.y - point.y()) * lat_metres,
    };
    let projected: MultiPolygon<f64> = area.map_coords(project);
    Euclidean.distance(&Point::new(0.0, 0.0), &projected)
}

/// The boundaries in force, ready to place points.
#[derive(Debug, Clone, Default)]
pub struct BoundaryIndex {
    wards: Layer,
    neighborhoods: Layer,
}

impl BoundaryIndex {
    /// `wards`: (ward id, area); `neighborhoods`: (neighborhood id, its ward's id, area).
    pub fn new(
        wards: Vec<(Uuid, MultiPolygon<f64>)>,
        neighborhoods: Vec<(Uuid, Uuid, MultiPolygon<f64>)>,
    ) -> BoundaryIndex {
        BoundaryIndex {
            wards: Layer::new(wards.into_iter().map(|(id, a)| (id, id, a)).collect()),
            neighborhoods: Layer::new(neighborhoods),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.wards.units.is_empty()
    }

    /// Whether the index has a boundary for this ward.
    pub fn has_ward(&self, ward: Uuid) -> bool {
        self.wards.get(ward).is_some()
    }

    /// The ward and neighborhood of a spot, `None` when it lies in no known ward.
    ///
    /// `home` is the reporting head's own ward and neighborhood: when the spot is within its
    /// GPS error of them, they keep the report. A head standing on the street that divides two
    /// wards should not have their report sent to the neighbour by a few metres of GPS noise.
    pub fn locate(&self, spot: Spot, home: Option<(Uuid, Uuid)>) -> Option<Location> {
        let point = Point::new(spot.lon, spot.lat);
        let accuracy = spot
            .accuracy_m
            .filter(|a| a.is_finite() && *a > 0.0)
            .unwrap_or(0.0);
        let near_home = |layer: &Layer, id: Uuid| {
            accuracy > 0.0
                && layer
                    .get(id)
                    .is_some_and(|area| metres_to(point, area) <= accuracy)
        };
        let containing_ward = self.wards.containing(point).next().map(|(id, _, _)| *id);
        let ward = match (containing_ward, home) {
            (Some(found), Some((home_ward, _)))
                if found != home_ward && near_home(&self.wards, home_ward) =>
            {
                home_ward
            }
            (Some(found), _) => found,
            (None, Some((home_ward, _))) if near_home(&self.wards, home_ward) => home_ward,
            (None, _) => return None,
        };
        let containing_neighborhood = self
            .neighborhoods
            .containing(point)
            .find(|(_, w, _)| *w == ward)
            .map(|(id, _, _)| *id);
        let neighborhood = match (containing_neighborhood, home) {
            (Some(found), Some((home_ward, home_kp)))
                if home_ward == ward
                    && found != home_kp
                    && near_home(&self.neighborhoods, home_kp) =>
            {
                Some(home_kp)
            }
            (Some(found), _) => Some(found),
            (None, Some((home_ward, home_kp)))
                if home_ward == ward && near_home(&self.neighborhoods, home_kp) =>
            {
                Some(home_kp)
            }
            // Near a neighborhood border inside the ward: the nearest neighborhood.
            (None, _) => self
                .neighborhoods
                .units
                .iter()
                .filter(|(_, w, _)| *w == ward)
                .map(|(id, _, area)| (*id, metres_to(point, area)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(id, _)| id),
        };
        Some(Location { ward, neighborhood })
    }
}

/// Where a new report goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Here {
        ward: Uuid,
        neighborhood: Uuid,
    },
    /// The position lies in no ward we know, though the head's own ward has a boundary.
    Outside,
}

/// Places a report filed by a head whose own ward and neighborhood are `home`:
/// - without a position, or where no boundary covers the head's ward yet, at home;
/// - in the ward and neighborhood that contain its position (see [`BoundaryIndex::locate`] for
///   GPS error near borders), which may be another ward's;
/// - at home when the position's ward has no neighborhood boundaries to place it in;
/// - nowhere ([`Placement::Outside`]) when it lies in no known ward.
pub fn placement(index: &BoundaryIndex, spot: Option<Spot>, home: (Uuid, Uuid)) -> Placement {
    let at_home = Placement::Here {
        ward: home.0,
        neighborhood: home.1,
    };
    let Some(spot) = spot else { return at_home };
    match index.locate(spot, Some(home)) {
        Some(Location {
            ward,
            neighborhood: Some(neighborhood),
        }) => Placement::Here { ward, neighborhood },
        Some(_) => at_home,
        None if index.has_ward(home.0) => Placement::Outside,
        None => at_home,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// A rectangle from (lon0, lat0) to (lon1, lat1).
    fn rect(lon0: f64, lat0: f64, lon1: f64, lat1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (lon0, lat0),
                (lon1, lat0),
                (lon1, lat1),
                (lon0, lat1),
                (lon0, lat0),
            ]),
            vec![],
        )])
    }

    fn feature(properties: Value, coordinates: Value) -> Value {
        json!({"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": coordinates}})
    }

    fn collection(features: Vec<Value>) -> Value {
        json!({"type": "FeatureCollection", "features": features})
    }

    const SQUARE: [[f64; 2]; 5] = [
        [106.0, 10.0],
        [106.01, 10.0],
        [106.01, 10.01],
        [106.0, 10.01],
        [106.0, 10.0],
    ];

    #[test]
    fn good_features_are_read_and_bad_ones_rejected_with_reasons() {
        let open = &SQUARE[..4];
        let bowtie = [
            [106.0, 10.0],
            [106.01, 10.01],
            [106.01, 10.0],
            [106.0, 10.01],
            [106.0, 10.0],
        ];
        let file = collection(vec![
            feature(json!({"ward_code": 26842}), json!([SQUARE])),
            feature(json!({"ward_code": "27139"}), json!([open])),
            feature(json!({"ward_code": 1}), json!([bowtie])),
            feature(json!({}), json!([SQUARE])),
            feature(
                json!({"ward_code": 2}),
                json!([[[10.0, 200.0], [10.0, 1.0], [11.0, 1.0], [10.0, 200.0]]]),
            ),
            feature(json!({"ward_code": 26842}), json!([SQUARE])),
        ]);
        let (shapes, rejected) = read(&file, Level::Ward).unwrap();
        assert_eq!(shapes.len(), 1);
        assert_eq!(shapes[0].unit.ward_code, 26842);
        let reasons = |i: usize| {
            rejected
                .iter()
                .find(|r| r.feature == i)
                .unwrap()
                .reasons
                .join("; ")
        };
        assert!(reasons(1).contains("not closed"), "{}", reasons(1));
        assert!(reasons(2).contains("not valid"), "{}", reasons(2));
        assert!(reasons(3).contains("ward_code"), "{}", reasons(3));
        assert!(reasons(4).contains("out of range"), "{}", reasons(4));
        assert!(reasons(5).contains("twice"), "{}", reasons(5));
        assert!(read(&json!({}), Level::Ward).is_err());
        assert!(read(&json!({"type": "FeatureCollection"}), Level::Ward).is_err());
    }

    #[test]
    fn areas_round_trip_through_geojson() {
        let area = rect(106.0, 10.0, 106.01, 10.01);
        let json = to_geojson(&area);
        assert_eq!(json["type"], "MultiPolygon");
        assert_eq!(json["coordinates"][0][0][1], json!([106.01, 10.0]));
        assert_eq!(from_geojson(&json), Some(area));
        assert_eq!(
            from_geojson(&json!({"type": "Point", "coordinates": [1, 2]})),
            None
        );
    }

    #[test]
    fn neighborhoods_need_their_code() {
        let file = collection(vec![
            feature(
                json!({"ward_code": 26842, "neighborhood_code": "kp1"}),
                json!([SQUARE]),
            ),
            feature(json!({"ward_code": 26842}), json!([SQUARE])),
        ]);
        let (shapes, rejected) = read(&file, Level::Neighborhood).unwrap();
        assert_eq!(shapes[0].unit.neighborhood_code.as_deref(), Some("kp1"));
        assert!(rejected[0].reasons[0].contains("neighborhood_code"));
    }

    #[test]
    fn overlaps_beyond_the_tolerance_are_found() {
        let a = rect(0.0, 0.0, 1.0, 1.0);
        let touching = rect(1.0, 0.0, 2.0, 1.0);
        let sliver = rect(0.995, 0.0, 2.0, 1.0);
        let covering = rect(0.5, 0.0, 1.5, 1.0);
        assert!(overlaps(&[&a, &touching]).is_empty());
        assert!(
            overlaps(&[&a, &sliver]).is_empty(),
            "0.5 % is within the tolerance"
        );
        let found = overlaps(&[&a, &covering]);
        assert_eq!(found.len(), 1);
        assert!((found[0].2 - 0.5).abs() < 1e-9);
    }

    #[test]
    fn the_share_of_a_neighborhood_outside_its_ward() {
        let ward = rect(0.0, 0.0, 1.0, 1.0);
        assert_eq!(outside(&rect(0.2, 0.2, 0.4, 0.4), &ward), 0.0);
        assert!((outside(&rect(0.5, 0.0, 1.5, 1.0), &ward) - 0.5).abs() < 1e-9);
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// Two wards side by side at 106.00–106.01 and 106.01–106.02, each with two neighborhoods.
    fn two_wards() -> BoundaryIndex {
        BoundaryIndex::new(
            vec![
                (id(1), rect(106.0, 10.0, 106.01, 10.01)),
                (id(2), rect(106.01, 10.0, 106.02, 10.01)),
            ],
            vec![
                (id(11), id(1), rect(106.0, 10.0, 106.005, 10.01)),
                (id(12), id(1), rect(106.005, 10.0, 106.01, 10.01)),
                (id(21), id(2), rect(106.01, 10.0, 106.015, 10.01)),
                (id(22), id(2), rect(106.015, 10.0, 106.02, 10.01)),
            ],
        )
    }

    fn spot(lon: f64, lat: f64, accuracy_m: Option<f64>) -> Spot {
        Spot {
            lat,
            lon,
            accuracy_m,
        }
    }

    #[test]
    fn a_point_is_placed_in_its_ward_and_neighborhood() {
        let index = two_wards();
        let at = |lon| index.locate(spot(lon, 10.005, None), None);
        assert_eq!(
            at(106.002),
            Some(Location {
                ward: id(1),
                neighborhood: Some(id(11))
            })
        );
        assert_eq!(
            at(106.017),
            Some(Location {
                ward: id(2),
                neighborhood: Some(id(22))
            })
        );
        assert_eq!(at(106.5), None, "outside every ward");
        assert_eq!(
            index
                .locate(spot(106.017, 10.005, None), Some((id(1), id(12))))
                .unwrap()
                .ward,
            id(2)
        );
    }

    #[test]
    fn gps_error_near_the_border_keeps_the_report_home() {
        let index = two_wards();
        let home = Some((id(1), id(12)));
        // 0.0001° of longitude is about 11 m here: 11 m into the next ward.
        let across = 106.0101;
        assert_eq!(
            index
                .locate(spot(across, 10.005, Some(20.0)), home)
                .unwrap(),
            Location {
                ward: id(1),
                neighborhood: Some(id(12))
            }
        );
        assert_eq!(
            index
                .locate(spot(across, 10.005, Some(5.0)), home)
                .unwrap()
                .ward,
            id(2)
        );
        // Far into the other ward, the error does not reach home.
        assert_eq!(
            index
                .locate(spot(106.017, 10.005, Some(30.0)), home)
                .unwrap()
                .ward,
            id(2)
        );
        // Just outside every ward, but within the error of home.
        assert_eq!(
            index
                .locate(spot(105.9999, 10.005, Some(30.0)), Some((id(1), id(11))))
                .unwrap()
                .ward,
            id(1)
        );
    }

    #[test]
    fn reports_are_placed_by_position_with_home_as_the_fallback() {
        let index = two_wards();
        let home = (id(1), id(11));
        let here = |ward, neighborhood| Placement::Here { ward, neighborhood };
        assert_eq!(placement(&index, None, home), here(id(1), id(11)));
        assert_eq!(
            placement(&index, Some(spot(106.017, 10.005, None)), home),
            here(id(2), id(22))
        );
        assert_eq!(
            placement(&index, Some(spot(106.5, 10.5, None)), home),
            Placement::Outside
        );
        // A head of a ward with no boundary yet keeps their reports, wherever they stand.
        let elsewhere = (id(9), id(99));
        assert_eq!(
            placement(&index, Some(spot(106.5, 10.5, None)), elsewhere),
            here(id(9), id(99))
        );
        // A ward with a boundary but no neighborhoods drawn: the head keeps the report.
        let bare = BoundaryIndex::new(
            vec![
                (id(1), rect(106.0, 10.0, 106.01, 10.01)),
                (id(3), rect(106.02, 10.0, 106.03, 10.01)),
            ],
            vec![],
        );
        assert_eq!(
            placement(&bare, Some(spot(106.025, 10.005, None)), home),
            here(id(1), id(11))
        );
    }

    #[test]
    fn metres_from_a_point_to_an_area() {
        let area = rect(106.0, 10.0, 106.01, 10.01);
        assert_eq!(metres_to(Point::new(106.005, 10.005), &area), 0.0);
        let d = metres_to(Point::new(106.011, 10.005), &area);
        assert!((d - 109.6).abs() < 1.0, "{d}");
    }

    /// A grid of `columns` × `rows` square wards starting at (106, 10), `size` degrees wide,
    /// each split into four neighborhoods.
    fn grid(
        columns: usize,
        rows: usize,
        size: f64,
    ) -> (BoundaryIndex, Vec<(Uuid, MultiPolygon<f64>)>) {
        let mut wards = Vec::new();
        let mut neighborhoods = Vec::new();
        for c in 0..columns {
            for r in 0..rows {
                let (lon, lat) = (106.0 + c as f64 * size, 10.0 + r as f64 * size);
                let ward = id((c * rows + r) as u128 + 1);
                wards.push((ward, rect(lon, lat, lon + size, lat + size)));
                for q in 0..4 {
                    let (dx, dy) = ((q % 2) as f64 * size / 2.0, (q / 2) as f64 * size / 2.0);
                    neighborhoods.push((
                        id(ward.as_u128() * 10 + q as u128),
                        ward,
                        rect(
                            lon + dx,
                            lat + dy,
                            lon + dx + size / 2.0,
                            lat + dy + size / 2.0,
                        ),
                    ));
                }
            }
        }
        (BoundaryIndex::new(wards.clone(), neighborhoods), wards)
    }

    proptest! {
        #[test]
        fn every_point_inside_the_grid_falls_in_exactly_the_ward_that_contains_it(
            x in 0.0001f64..0.0499, y in 0.0001f64..0.0499,
        ) {
            let (index, wards) = grid(5, 5, 0.01);
            let point = Point::new(106.0 + x, 10.0 + y);
            let containing: Vec<Uuid> = wards.iter().filter(|(_, a)| a.contains(&point)).map(|(id, _)| *id).collect();
            let located = index.locate(spot(point.x(), point.y(), None), None);
            match containing.as_slice() {
                [one] => {
                    let located = located.unwrap();
                    prop_assert_eq!(located.ward, *one);
                    // And in one of that ward's neighborhoods.
                    prop_assert_eq!(located.neighborhood.unwrap().as_u128() / 10, one.as_u128());
                }
                // On a shared border: either side is right.
                _ => prop_assert!(located.is_some()),
            }
        }

        #[test]
        fn points_outside_the_grid_are_outside(x in 0.051f64..1.0, y in -1.0f64..1.0) {
            let (index, _) = grid(5, 5, 0.01);
            prop_assert_eq!(index.locate(spot(106.0 + x, 10.0 + y, None), None), None);
        }

        #[test]
        fn a_grid_never_overlaps_itself_and_a_shifted_copy_always_does(shift in 0.002f64..0.008) {
            let (_, wards) = grid(3, 3, 0.01);
            let areas: Vec<&MultiPolygon<f64>> = wards.iter().map(|(_, a)| a).collect();
            prop_assert!(overlaps(&areas).is_empty());
            let moved = rect(106.0 + shift, 10.0, 106.01 + shift, 10.01);
            let mut with_moved = areas.clone();
            with_moved.push(&moved);
            prop_assert!(!overlaps(&with_moved).is_empty());
        }
    }
}
