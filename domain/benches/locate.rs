//! Locating points among the boundaries of a city: 168 wards of 30 neighborhoods each, with
//! irregular shared borders, on one core. `cargo bench -p sos-domain --bench locate`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use sos_domain::boundaries::{BoundaryIndex, Spot};
use std::hint::black_box;
use uuid::Uuid;

const WARD_COLUMNS: usize = 14;
const WARD_ROWS: usize = 12;
/// Neighborhoods per ward: 6 across, 5 down.
const CELL_COLUMNS: usize = 6;
const CELL_ROWS: usize = 5;
/// Points on each border between two lattice corners.
const SEGMENTS: usize = 6;
const WEST: f64 = 106.55;
const SOUTH: f64 = 10.65;
const CELL: f64 = 0.005;

/// A repeatable number in [-1, 1] from a few integers.
fn noise(seed: [usize; 5]) -> f64 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15;
    for v in seed {
        h ^= v as u64;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 31;
    }
    (h % 20_001) as f64 / 10_000.0 - 1.0
}

/// A lattice corner, jittered inside; the city's outline stays straight.
fn corner(i: usize, j: usize) -> Coord<f64> {
    let (columns, rows) = (WARD_COLUMNS * CELL_COLUMNS, WARD_ROWS * CELL_ROWS);
    let edge = i == 0 || j == 0 || i == columns || j == rows;
    let jitter = if edge { 0.0 } else { 0.2 * CELL };
    Coord {
        x: WEST + i as f64 * CELL + jitter * noise([i, j, 0, 0, 1]),
        y: SOUTH + j as f64 * CELL + jitter * noise([i, j, 0, 0, 2]),
    }
}

/// The points of the border from lattice corner `a` to `b` (adjacent), `a` included and `b`
/// not: a wavy line, the same whichever side walks it.
fn border(a: (usize, usize), b: (usize, usize)) -> Vec<Coord<f64>> {
    let (first, second, reversed) = if a <= b { (a, b, false) } else { (b, a, true) };
    let (p, q) = (corner(first.0, first.1), corner(second.0, second.1));
    let (dx, dy) = (q.x - p.x, q.y - p.y);
    let mut points: Vec<Coord<f64>> = (0..=SEGMENTS)
        .map(|k| {
            let t = k as f64 / SEGMENTS as f64;
            let wave = if k == 0 || k == SEGMENTS {
                0.0
            } else {
                0.06 * noise([first.0, first.1, second.0, second.1, k])
            };
            Coord {
                x: p.x + t * dx - wave * dy,
                y: p.y + t * dy + wave * dx,
            }
        })
        .collect();
    if reversed {
        points.reverse();
    }
    points.pop();
    points
}

/// The ring around the lattice rectangle from corner (i0, j0) to (i1, j1), counter-clockwise.
fn ring(i0: usize, j0: usize, i1: usize, j1: usize) -> Polygon<f64> {
    let mut path: Vec<(usize, usize)> = Vec::new();
    path.extend((i0..i1).map(|i| (i, j0)));
    path.extend((j0..j1).map(|j| (i1, j)));
    path.extend((i0 + 1..=i1).rev().map(|i| (i, j1)));
    path.extend((j0 + 1..=j1).rev().map(|j| (i0, j)));
    let mut coords: Vec<Coord<f64>> = Vec::new();
    for (k, &from) in path.iter().enumerate() {
        let to = path[(k + 1) % path.len()];
        coords.extend(border(from, to));
    }
    coords.push(coords[0]);
    Polygon::new(LineString::new(coords), vec![])
}

fn city() -> BoundaryIndex {
    let mut wards = Vec::new();
    let mut neighborhoods = Vec::new();
    for wc in 0..WARD_COLUMNS {
        for wr in 0..WARD_ROWS {
            let ward = Uuid::from_u128((wc * WARD_ROWS + wr + 1) as u128);
            let (i0, j0) = (wc * CELL_COLUMNS, wr * CELL_ROWS);
            wards.push((
                ward,
                MultiPolygon::new(vec![ring(i0, j0, i0 + CELL_COLUMNS, j0 + CELL_ROWS)]),
            ));
            for c in 0..CELL_COLUMNS {
                for r in 0..CELL_ROWS {
                    let id = Uuid::from_u128(ward.as_u128() * 100 + (c * CELL_ROWS + r) as u128);
                    neighborhoods.push((
                        id,
                        ward,
                        MultiPolygon::new(vec![ring(i0 + c, j0 + r, i0 + c + 1, j0 + r + 1)]),
                    ));
                }
            }
        }
    }
    BoundaryIndex::new(wards, neighborhoods)
}

fn locate(c: &mut Criterion) {
    let index = city();
    let (width, height) = (
        (WARD_COLUMNS * CELL_COLUMNS) as f64 * CELL,
        (WARD_ROWS * CELL_ROWS) as f64 * CELL,
    );
    let spots: Vec<Spot> = (0..10_000)
        .map(|k| Spot {
            lon: WEST + width * (noise([k, 7, 7, 7, 7]) + 1.0) / 2.0,
            lat: SOUTH + height * (noise([k, 9, 9, 9, 9]) + 1.0) / 2.0,
            accuracy_m: None,
        })
        .collect();
    let located = spots
        .iter()
        .filter(|s| index.locate(**s, None).is_some())
        .count();
    assert!(located > 9_900, "{located} of 10000 points located");
    let mut group = c.benchmark_group("boundaries");
    group.throughput(Throughput::Elements(spots.len() as u64));
    group.bench_function(
        "locate 10,000 points among 168 wards and 5,040 neighborhoods",
        |b| {
            b.iter(|| {
                for spot in &spots {
                    black_box(index.locate(black_box(*spot), None));
                }
            })
        },
    );
    group.finish();
}

criterion_group!(benches, locate);
criterion_main!(benches);
