// The maps of the queue, a report and the dashboard: Leaflet (vendored), the ward's and its
// neighborhoods' boundaries from the API, reports as pins coloured by deadline standing and
// clustered where dense, and the operator's street tiles when configured.
import { json, label, state, t } from "./core.js";

const maps = {};
const wardShapes = {};

/** The deadline that matters now: to acknowledge until done, then to resolve. */
export function currentDeadline(report) {
  const d = report.deadlines ?? {};
  return report.acknowledged_at ? d.resolve ?? d.ward_resolve : d.acknowledge ?? d.ward_acknowledge;
}

/** The map drawn in `#id`, made on first use; none when the map library did not load (the
 *  console works without it). */
export function mapIn(id) {
  if (!window.L) return null;
  if (!maps[id]) {
    // No animations: a moving map is no help at a desk, and a hidden tab never finishes one.
    // The zoom limits are needed by the marker clusters (a tile layer would set them).
    const still = {
      attributionControl: false, zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false,
      minZoom: 9, maxZoom: 19,
    };
    const map = L.map(id, still).setView([10.8, 106.7], 12);
    if (state.tiles) {
      map.attributionControl = L.control.attribution({ prefix: false }).addTo(map);
      L.tileLayer(state.tiles.tile_url, { attribution: state.tiles.attribution, maxZoom: 19 }).addTo(map);
    }
    maps[id] = { map, shapes: L.layerGroup().addTo(map), pins: L.layerGroup().addTo(map) };
  }
  maps[id].map.invalidateSize();
  return maps[id];
}

/** Draws the ward's boundary and its neighborhoods'; their bounds, if the ward has any. */
export async function drawWard(entry, wardId) {
  entry.shapes.clearLayers();
  if (!wardId) return null;
  wardShapes[wardId] ??= json(`/v1/wards/${wardId}/boundaries.geojson`).catch(() => null);
  const shapes = await wardShapes[wardId];
  if (!shapes?.features?.length) return null;
  const layer = L.geoJSON(shapes, {
    style: (f) => f.properties.level === "ward"
      ? { color: "#0b5cab", weight: 2, fill: false }
      : { color: "#4a5560", weight: 1, dashArray: "4", fillOpacity: 0.04 },
    onEachFeature: (f, shape) => shape.bindTooltip(f.properties.neighborhood_name ?? f.properties.ward_name),
  });
  entry.shapes.addLayer(layer);
  return layer.getBounds();
}

/** A report's pin: its standing's colour, its kind on hover, its page on click. `point` is
 *  `[lat, lon]`; `standing` one of late, at_risk, on_time, none, or nearby. */
export function pin({ id, point, standing, title, tip }, onClick) {
  const marker = L.marker(point, {
    icon: L.divIcon({ className: "", html: `<span class="pin ${standing}"></span>`, iconSize: [14, 14] }),
    title,
    keyboard: false,
  });
  marker.bindTooltip(tip);
  marker.on("click", onClick ?? (() => { location.hash = `#/reports/${id}`; }));
  return marker;
}

/** A report of the list API as a pin. */
export function reportPin(report, onClick) {
  const standing = currentDeadline(report)?.standing ?? "none";
  return pin({
    id: report.id,
    point: [report.location.lat, report.location.lon],
    standing,
    title: report.description,
    tip: `${standing === "none" ? "" : `${t(standing)} · `}${label(report.subcategory)}`,
  }, onClick);
}

/** Pins, clustered where dense, in place of those the map showed; the view is fitted to the
 *  ward (or, without boundaries, to the pins). */
export function showPins(entry, pins, wardBounds) {
  entry.pins.clearLayers();
  const cluster = L.markerClusterGroup
    ? L.markerClusterGroup({ showCoverageOnHover: false, animate: false, removeOutsideVisibleBounds: false })
    : L.layerGroup();
  for (const marker of pins) cluster.addLayer(marker);
  entry.pins.addLayer(cluster);
  const view = wardBounds ?? (pins.length ? L.latLngBounds(pins.map((p) => p.getLatLng())) : null);
  if (view?.isValid()) entry.map.fitBounds(view, { padding: [12, 12], maxZoom: 17, animate: false });
}
