/*
 * GridGov boundary map component (needs Leaflet; include web/includes/map.html).
 *
 * Contract — every element
 *   <div class="gg-map"
 *        data-geojson-url="/api/…"     required: FeatureCollection to draw
 *        data-outline-url="/api/…"     optional: GeoJSON drawn as a dashed outline (the area)
 *        data-overlay-url="/api/…"     optional: GeoJSON drawn as thin lines over the areas;
 *                                      its Point features (facilities) as dots in
 *                                      properties.color, labelled, opening properties.url
 *        data-overlay-label="…"        optional: the overlay's name in the legend
 *        data-focus-url="/api/…"       optional: GeoJSON whose bounds the map fits
 *        data-highlight="411302001001" optional: code of the feature given a strong outline
 *        data-tile-url="…{z}/{x}/{y}…" optional: tile URL template; empty = plain background
 *        data-tile-attribution="…"     optional: attribution text for those tiles
 *        data-labels="auto"            optional: permanent | hover | auto (permanent up to 30)
 *        data-fill="score"             optional: colour areas by properties.score (0–100):
 *                                      ≥ 90 green, ≥ 75 amber, below red, none grey
 *        data-navigate="1">            optional: "0" disables click-to-open
 * is initialised on page load and when htmx swaps it in. Features carry the properties
 * code, name, level, kind, url and optionally label (shown instead of name). Each
 * feature gets a fill from a calm palette (neighbours differ), grids get thinner lines,
 * and a click opens properties.url (drill-down). When done the element gets
 * data-ready="1" (drawn, possibly with nothing to draw) or data-ready="error".
 * Texts come from the page's #gg-client-messages JSON (translated by the server).
 */
(function () {
  "use strict";
  if (window.GridGovMap) return;

  var PALETTE = [
    "#8fb8de", "#a8d5ba", "#f3d19c", "#c9b6e4",
    "#f2b8a2", "#9fd3d1", "#d8e2a6", "#e7b7c8",
  ];
  var BORDER = "#3b5670";
  var HIGHLIGHT = "#d9480f";
  var OUTLINE = "#1f3a5f";
  // data-fill="score": a choropleth by score (the registry's completeness maps).
  var SCORE_FILLS = [[90, "#3f9f6b"], [75, "#f0b429"], [-Infinity, "#d64545"]];
  var NO_SCORE_FILL = "#c8ced6";
  var AUTO_PERMANENT_LABELS = 30;
  var MIN_LABEL_PIXELS = 32; // no permanent label on an area narrower than this on screen

  // Translated texts through app.js, which every page loads first (in <head>).
  var t = window.GridGov ? window.GridGov.t : function (key, fallback) { return fallback; };

  function MapLoadError(status, message) {
    this.status = status;
    this.message = message || "";
  }

  function fetchGeoJSON(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json, application/json" },
    }).then(function (response) {
      if (response.ok) return response.json();
      return response.json().catch(function () { return {}; }).then(function (body) {
        throw new MapLoadError(response.status, body && body.message);
      });
    });
  }

  function asCollection(data) {
    if (!data) return { type: "FeatureCollection", features: [] };
    if (data.type === "FeatureCollection") return data;
    if (data.type === "Feature") return { type: "FeatureCollection", features: [data] };
    if (data.type && data.coordinates) {
      return { type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: data }] };
    }
    return { type: "FeatureCollection", features: [] };
  }

  function isGrid(props) {
    return props.kind === "grid" || String(props.code || "").length === 15;
  }

  function baseStyle(feature, fill) {
    var grid = isGrid(feature.properties || {});
    return {
      color: BORDER,
      weight: grid ? 1 : 2,
      opacity: 0.9,
      fillColor: fill,
      fillOpacity: 0.5,
    };
  }

  // Greedy colouring in code order: each area takes the first palette colour no earlier
  // neighbour (touching bounding box) uses, so adjacent areas differ and colours are stable.
  function assignFills(layers) {
    var placed = [];
    layers.forEach(function (layer) {
      var bounds = layer.getBounds();
      var taken = {};
      placed.forEach(function (other) {
        if (other.bounds.intersects(bounds)) taken[other.fill] = true;
      });
      var fill = PALETTE.find(function (c) { return !taken[c]; }) || PALETTE[placed.length % PALETTE.length];
      placed.push({ bounds: bounds, fill: fill });
      layer.ggFill = fill;
    });
  }

  function scoreFill(score) {
    if (typeof score !== "number") return NO_SCORE_FILL;
    return SCORE_FILLS.find(function (band) { return score >= band[0]; })[1];
  }

  function safeUrl(url) {
    // Only same-site paths: a feature property must never become a javascript: link.
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/" ? url : null;
  }

  function setStatus(el, kind, message) {
    var status = el.querySelector(".gg-map__status");
    if (!status) {
      status = document.createElement("div");
      status.className = "gg-map__status";
      status.setAttribute("role", "status");
      el.appendChild(status);
    }
    status.className = "gg-map__status gg-map__status--" + kind;
    status.textContent = message;
    status.hidden = !message;
  }

  function textElement(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    node.textContent = text; // names are data, never markup
    return node;
  }

  // A Point of the overlay: a small dot in its properties.color (a #rrggbb colour, else
  // the border colour), its label as tooltip, a click opening its properties.url.
  var HEX_COLOUR = /^#[0-9a-fA-F]{6}$/;
  function overlayPoint(feature, latlng) {
    var props = feature.properties || {};
    var colour = HEX_COLOUR.test(props.color || "") ? props.color : BORDER;
    var dot = L.circleMarker(latlng, {
      radius: 6, weight: 1.5, color: "#ffffff", fillColor: colour, fillOpacity: 0.95,
    });
    var label = props.label || props.name || props.code || "";
    if (label) dot.bindTooltip(textElement("span", "", label), { direction: "top" });
    var url = safeUrl(props.url);
    if (url) dot.on("click", function () { window.location.assign(url); });
    return dot;
  }

  function addLegend(map, count, hasHighlight, hasOutline, hasOverlay) {
    var legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "gg-map__legend");
      div.appendChild(textElement("span", "gg-map__legend-count",
        t("mapAreas", "%(count)s areas").replace("%(count)s", String(count))));
      var keys = [];
      if (hasHighlight) keys.push(["highlight", t("mapSelected", "Selected")]);
      if (hasOutline) keys.push(["outline", t("mapOutline", "Outline of this area")]);
      if (hasOverlay) {
        keys.push(["overlay", typeof hasOverlay === "string" ? hasOverlay : t("mapOverlay", "Unit grids")]);
      }
      keys.forEach(function (key) {
        var line = textElement("span", "", key[1]);
        line.insertBefore(textElement("i", "gg-map__swatch gg-map__swatch--" + key[0], ""), line.firstChild);
        div.appendChild(line);
      });
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    legend.addTo(map);
  }

  // Hide the permanent label of an area narrower on screen than the label itself (it
  // would spill over its neighbours); hovering the area still shows it.
  function fitLabels(map, layers) {
    layers.forEach(function (layer) {
      var tooltip = layer.getTooltip();
      var element = tooltip && tooltip.options.permanent && tooltip.getElement();
      if (!element) return;
      var b = layer.getBounds();
      var width = map.latLngToContainerPoint(b.getNorthEast()).x -
        map.latLngToContainerPoint(b.getSouthWest()).x;
      element.classList.remove("gg-map-label--hidden");
      layer.ggLabelFits = width >= Math.max(MIN_LABEL_PIXELS, element.offsetWidth + 8);
      element.classList.toggle("gg-map-label--hidden", !layer.ggLabelFits);
    });
  }

  function showLabel(layer, show) {
    var tooltip = layer.getTooltip();
    var element = tooltip && tooltip.options.permanent && tooltip.getElement();
    if (element && !layer.ggLabelFits) element.classList.toggle("gg-map-label--hidden", !show);
  }

  function drawFeatures(map, el, collection) {
    var highlight = el.dataset.highlight || "";
    var navigate = el.dataset.navigate !== "0";
    var mode = el.dataset.labels || "auto";
    var permanent = mode === "permanent" ||
      (mode === "auto" && collection.features.length <= AUTO_PERMANENT_LABELS);
    var layers = [];
    var highlighted = null;

    var group = L.geoJSON(collection, {
      onEachFeature: function (feature, layer) { layers.push(layer); },
    });
    layers.sort(function (a, b) {
      return String(a.feature.properties.code).localeCompare(String(b.feature.properties.code));
    });
    if (el.dataset.fill === "score") {
      layers.forEach(function (layer) { layer.ggFill = scoreFill(layer.feature.properties.score); });
    } else {
      assignFills(layers);
    }

    layers.forEach(function (layer) {
      var props = layer.feature.properties || {};
      var style = baseStyle(layer.feature, layer.ggFill);
      if (highlight && props.code === highlight) {
        style.color = HIGHLIGHT;
        style.weight = 4;
        style.opacity = 1;
        highlighted = layer;
      }
      layer.setStyle(style);
      var label = props.label || props.name || props.code || "";
      if (label) {
        layer.bindTooltip(textElement("span", "", label), {
          permanent: permanent,
          sticky: !permanent,
          direction: "center",
          className: "gg-map-label" + (isGrid(props) ? " gg-map-label--grid" : ""),
          opacity: 1,
        });
      }
      layer.ggUrl = navigate ? safeUrl(props.url) : null;
      if (layer.ggUrl) {
        layer.on("click", function () { window.location.assign(layer.ggUrl); });
      }
      layer.on("mouseover", function () {
        layer.setStyle({ weight: style.weight + 1, fillOpacity: 0.7 });
        showLabel(layer, true);
      });
      layer.on("mouseout", function () {
        layer.setStyle(style);
        showLabel(layer, false);
      });
    });
    group.addTo(map);
    layers.forEach(function (layer) {
      var path = layer.getElement && layer.getElement();
      if (path) {
        path.classList.add(layer.ggUrl ? "gg-map__area" : "gg-map__area--static");
        path.setAttribute("data-code", layer.feature.properties.code || "");
      }
    });
    if (highlighted) highlighted.bringToFront();
    return { group: group, layers: layers };
  }

  function initMap(el) {
    if (el.dataset.ggInit) return;
    el.dataset.ggInit = "1";
    el.dataset.ready = "0";
    if (!window.L) {
      setStatus(el, "error", t("mapUnavailable", "The map could not be started."));
      el.dataset.ready = "error";
      return;
    }
    var tileUrl = el.dataset.tileUrl || "";
    var map = L.map(el, {
      attributionControl: false,
      zoomSnap: 0.25,
      minZoom: 3,
      maxZoom: 19,
      scrollWheelZoom: true,
    });
    if (tileUrl) {
      L.control.attribution({ prefix: false }).addTo(map);
      L.tileLayer(tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
    } else {
      el.classList.add("gg-map--plain");
    }
    el.ggMap = map;
    setStatus(el, "loading", t("mapLoading", "Loading boundaries…"));

    var optional = function (url) {
      // A missing outline or focus must not prevent the main drawing.
      return url ? fetchGeoJSON(url).catch(function () { return null; }) : Promise.resolve(null);
    };
    Promise.all([
      fetchGeoJSON(el.dataset.geojsonUrl),
      optional(el.dataset.outlineUrl),
      optional(el.dataset.focusUrl),
      optional(el.dataset.overlayUrl),
    ]).then(function (results) {
      var collection = asCollection(results[0]);
      var outline = results[1] ? L.geoJSON(asCollection(results[1]), {
        interactive: false,
        style: { color: OUTLINE, weight: 2, dashArray: "6 6", fill: false },
      }) : null;
      var focus = results[2] ? L.geoJSON(asCollection(results[2])) : null;
      var drawnBounds = L.geoJSON(collection).getBounds();
      var target = [focus, { getBounds: function () { return drawnBounds; } }, outline]
        .map(function (layer) { return layer && layer.getBounds(); })
        .find(function (bounds) { return bounds && bounds.isValid(); });
      if (target) {
        map.fitBounds(target, { padding: [16, 16] });
      } else {
        map.setView([34.5, 108.9], 4); // nothing to place: show the country
      }
      if (outline) outline.addTo(map);
      var drawn = drawFeatures(map, el, collection);
      // Lines only, and not clickable: a click still opens the area underneath.
      var overlay = results[3] ? L.geoJSON(asCollection(results[3]), {
        interactive: false,
        // Points keep the dot's own style (Leaflet applies ``style`` to every layer).
        style: function (feature) {
          var point = feature.geometry && feature.geometry.type === "Point";
          return point ? {} : { color: BORDER, weight: 0.8, opacity: 0.55, fill: false };
        },
        pointToLayer: overlayPoint,
      }).addTo(map) : null;
      if (overlay) el.dataset.overlayCount = String(overlay.getLayers().length);
      var count = drawn.layers.length;
      addLegend(map, count, !!el.dataset.highlight && drawn.layers.some(function (l) {
        return l.feature.properties.code === el.dataset.highlight;
      }), !!outline, overlay ? (el.dataset.overlayLabel || true) : false);
      fitLabels(map, drawn.layers);
      map.on("zoomend", function () { fitLabels(map, drawn.layers); });
      setStatus(el, "empty", count ? "" : t("mapEmpty", "No boundaries to show."));
      el.dataset.ready = "1";
      el.dispatchEvent(new CustomEvent("gg:map-ready", { bubbles: true, detail: { map: map, count: count } }));
    }).catch(function (error) {
      var message = t("mapError", "The boundaries could not be loaded.");
      if (error instanceof MapLoadError) {
        message += error.message ? " " + error.message : " (" + error.status + ")";
      } else {
        message += " " + t("networkError", "Check the network connection and try again.");
      }
      setStatus(el, "error", message);
      el.dataset.ready = "error";
    });
  }

  function initAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches(".gg-map")) initMap(scope);
    scope.querySelectorAll(".gg-map").forEach(initMap);
  }

  window.GridGovMap = { init: initAll, initMap: initMap };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { initAll(document); });
  } else {
    initAll(document);
  }
  document.addEventListener("htmx:load", function (event) { initAll(event.target); });
})();
