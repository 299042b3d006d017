/*
 * GridGov page behaviour shared by every page. Loaded in <head> without defer so the
 * "js" class is set before first paint (the phone menu starts collapsed, no flash);
 * everything touching the body waits for DOMContentLoaded. Pages work without it.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var texts = null;
  function t(key, fallback) {
    if (texts === null) {
      var el = document.getElementById("gg-client-messages");
      try { texts = el ? JSON.parse(el.textContent) : {}; } catch (e) { texts = {}; }
    }
    return texts[key] || fallback;
  }

  // Phone menu: the button shows and hides the navigation below the top bar.
  function setupMenu() {
    var button = document.querySelector(".gg-menu-toggle");
    var nav = document.getElementById("gg-nav");
    if (!button || !nav) return;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      document.body.classList.toggle("gg-nav-open", open);
    });
  }

  // The user menu is a <details>; close it on a click elsewhere or on Escape.
  function setupUserMenu() {
    document.addEventListener("click", function (event) {
      document.querySelectorAll("details.gg-usermenu[open]").forEach(function (menu) {
        if (!menu.contains(event.target)) menu.removeAttribute("open");
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      document.querySelectorAll("details.gg-usermenu[open]").forEach(function (menu) {
        menu.removeAttribute("open");
        menu.querySelector("summary").focus();
      });
    });
  }

  function showMessage(level, text) {
    var box = document.getElementById("gg-messages");
    if (!box) return;
    var alert = document.createElement("div");
    alert.className = "gg-alert gg-alert--" + level;
    alert.setAttribute("role", level === "error" ? "alert" : "status");
    var span = document.createElement("span");
    span.className = "gg-alert__text";
    span.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "gg-alert__close";
    close.setAttribute("data-dismiss", "");
    close.setAttribute("aria-label", t("dismiss", "Dismiss"));
    close.textContent = "×";
    alert.appendChild(span);
    alert.appendChild(close);
    box.appendChild(alert);
  }

  function setupAlerts() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-dismiss]");
      if (button) button.closest(".gg-alert").remove();
    });
  }

  // A form or button with data-confirm="…" asks before it submits.
  function setupConfirm() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var submitter = event.submitter;
      var question = (submitter && submitter.getAttribute("data-confirm")) ||
        form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) event.preventDefault();
    });
  }

  // htmx failures must be visible: a silent button is worse than an error message.
  function setupHtmxErrors() {
    // A refusal the server rendered as a fragment — the form or row again with its reason
    // (422: a field, 409: changed meanwhile) — is swapped in like an answer; htmx would
    // otherwise drop it and the reason would never show.
    document.addEventListener("htmx:beforeSwap", function (event) {
      var xhr = event.detail.xhr;
      var html = /text\/html/.test(xhr.getResponseHeader("Content-Type") || "");
      if ((xhr.status === 409 || xhr.status === 422) && html && !/<html[\s>]/i.test(xhr.responseText)) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });
    document.addEventListener("htmx:responseError", function (event) {
      var xhr = event.detail.xhr;
      var message = "";
      try { message = JSON.parse(xhr.responseText).message || ""; } catch (e) { message = ""; }
      showMessage("error", message || t("serverError", "The server could not complete the request.") +
        " (" + xhr.status + ")");
    });
    document.addEventListener("htmx:sendError", function () {
      showMessage("error", t("networkError", "Check the network connection and try again."));
    });
  }

  window.GridGov = { showMessage: showMessage, t: t };

  document.addEventListener("DOMContentLoaded", function () {
    setupMenu();
    setupUserMenu();
    setupAlerts();
    setupConfirm();
    setupHtmxErrors();
  });
})();
