/*
 * Case workflow pages. Every page works without this script (the forms post, the
 * coordinates can be typed); with it:
 *
 *   [data-location-picker]  the phone's position (navigator.geolocation) or a tap on the
 *                           map fills the [data-lon]/[data-lat] inputs and drops a marker;
 *                           data-auto-locate="1" asks for the position on load;
 *                           data-locate-url names the grid found at the point.
 *   input[data-photo-input] shows the chosen photos as thumbnails before sending.
 *   select[data-class-select] shows only the chosen class's extra questions
 *                           ([data-attributes-for="<class id>"]).
 *
 * The maps themselves (and the dots of cases, as their overlay) are drawn by
 * gridgov/map.js; this script adds the picking when it announces "gg:map-ready". Texts
 * come from #cases-client-messages (translated JSON).
 */
(function () {
  "use strict";

  var texts = null;
  function t(key, fallback) {
    if (texts === null) {
      var el = document.getElementById("cases-client-messages");
      try { texts = el ? JSON.parse(el.textContent) : {}; } catch (e) { texts = {}; }
    }
    return texts[key] || fallback;
  }

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return String(values[key]); });
  }

  var PICK_COLOUR = "#b8232f";

  // --- location picker ------------------------------------------------------------------

  function number(input) {
    var value = parseFloat(input && input.value);
    return isFinite(value) ? value : null;
  }

  function bindLocationPicker(box) {
    var lon = box.querySelector("[data-lon]");
    var lat = box.querySelector("[data-lat]");
    var status = box.querySelector("[data-location-status]");
    var button = box.querySelector("[data-locate-me]");
    var mapEl = box.querySelector(".gg-map");
    var map = null;
    var marker = null;
    var lookup = 0;
    if (!lon || !lat) return;

    function say(text, kind) {
      if (!status) return;
      status.textContent = text;
      status.className = "cs-location__status" + (kind ? " cs-location__status--" + kind : "");
    }

    function nameGrid(x, y) {
      var url = box.getAttribute("data-locate-url");
      if (!url) return;
      var mine = ++lookup;
      fetch(url + "?lon=" + encodeURIComponent(x) + "&lat=" + encodeURIComponent(y), {
        credentials: "same-origin", headers: { Accept: "application/json" },
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (answer) {
        if (mine !== lookup) return;
        if (answer.ok && answer.body.path) {
          var names = answer.body.path.slice(-3).map(function (p) { return p.name; });
          say(format(t("gridFound", "Grid: %(name)s"), { name: names.join(" · ") }), "ok");
        } else {
          say(t("gridNotFound", "This point is outside your grids; check the place."), "warning");
        }
      }).catch(function () { /* the position is kept; naming the grid is a courtesy */ });
    }

    function showPoint(x, y, pan) {
      if (!map) return;
      var at = [y, x];
      if (!marker) {
        marker = L.circleMarker(at, {
          radius: 10, color: "#fff", weight: 3, fillColor: PICK_COLOUR, fillOpacity: 1,
        }).addTo(map);
      } else {
        marker.setLatLng(at);
      }
      if (pan) map.setView(at, Math.max(map.getZoom(), 16));
    }

    function setPoint(x, y, how) {
      lon.value = x.toFixed(6);
      lat.value = y.toFixed(6);
      box.setAttribute("data-located", how);
      showPoint(x, y, how === "gps");
      say(format(t("pointChosen", "Point %(lon)s, %(lat)s"), { lon: lon.value, lat: lat.value }), "ok");
      nameGrid(x, y);
    }

    function locate() {
      if (!("geolocation" in navigator) || !window.isSecureContext) {
        say(t("noGeolocation", "This browser cannot give the position here; tap the map instead."), "warning");
        return;
      }
      say(t("locating", "Finding your position…"), "");
      if (button) button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        if (button) button.disabled = false;
        setPoint(position.coords.longitude, position.coords.latitude, "gps");
        var accuracy = Math.round(position.coords.accuracy || 0);
        if (accuracy) {
          status.textContent += " · " + format(t("accuracy", "±%(metres)s m"), { metres: accuracy });
        }
      }, function (error) {
        if (button) button.disabled = false;
        var denied = error && error.code === 1;
        say(denied ? t("geolocationDenied", "Permission to use the position was refused; tap the map instead.")
                   : t("geolocationFailed", "The position could not be found; tap the map instead."), "warning");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
    }

    if (button) {
      button.hidden = false;
      button.addEventListener("click", locate);
    }
    [lon, lat].forEach(function (input) {
      input.addEventListener("change", function () {
        var x = number(lon), y = number(lat);
        if (x !== null && y !== null) { showPoint(x, y, true); nameGrid(x, y); }
      });
    });

    if (mapEl) {
      mapEl.addEventListener("gg:map-ready", function (event) {
        map = event.detail.map;
        map.on("click", function (e) { setPoint(e.latlng.lng, e.latlng.lat, "map"); });
        var x = number(lon), y = number(lat);
        if (x !== null && y !== null) showPoint(x, y, true);
      });
    }
    if (box.getAttribute("data-auto-locate") === "1" && number(lon) === null) locate();
  }

  // --- photos ---------------------------------------------------------------------------

  function sizeText(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function bindPhotoInput(input) {
    var list = document.createElement("ul");
    list.className = "cs-photo-preview";
    list.setAttribute("aria-live", "polite");
    // After the big label button when there is one (cs-photo-field), else the input.
    var button = input.parentNode.querySelector(".cs-photo-button");
    (button || input).insertAdjacentElement("afterend", list);
    var maxBytes = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
    var maxCount = parseInt(input.getAttribute("data-max-count") || "0", 10);
    var urls = [];
    input.addEventListener("change", function () {
      urls.forEach(function (url) { URL.revokeObjectURL(url); });
      urls = [];
      list.textContent = "";
      Array.prototype.forEach.call(input.files || [], function (file, index) {
        var item = document.createElement("li");
        var tooBig = maxBytes && file.size > maxBytes;
        var tooMany = maxCount && index >= maxCount;
        if (file.type.indexOf("image/") === 0) {
          var img = document.createElement("img");
          var url = URL.createObjectURL(file);
          urls.push(url);
          img.src = url;
          img.alt = file.name;
          item.appendChild(img);
        }
        var caption = document.createElement("span");
        caption.textContent = sizeText(file.size);
        item.appendChild(caption);
        if (tooBig || tooMany) {
          item.className = "is-refused";
          caption.textContent = tooBig ? t("photoTooBig", "Too large") : t("photoTooMany", "One too many");
        }
        list.appendChild(item);
      });
    });
  }

  // --- class questions ------------------------------------------------------------------

  function bindClassSelect(select) {
    var form = select.form;
    if (!form) return;
    var blocks = form.querySelectorAll("[data-attributes-for]");
    function update() {
      blocks.forEach(function (block) {
        block.hidden = block.getAttribute("data-attributes-for") !== select.value;
      });
    }
    select.addEventListener("change", update);
    update();
  }

  function within(root, selector, bind) {
    var found = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) found.unshift(root);
    found.forEach(function (el) {
      if (el.ggCasesBound) return; // each element once, also after an htmx swap
      el.ggCasesBound = true;
      bind(el);
    });
  }

  function init(root) {
    within(root, "[data-location-picker]", bindLocationPicker);
    within(root, "input[data-photo-input]", bindPhotoInput);
    within(root, "select[data-class-select]", bindClassSelect);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
