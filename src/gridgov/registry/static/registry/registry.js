/*
 * Population registry pages: the care-tag form shows the disability category and
 * certificate level only for the disabled group (the server checks them either way).
 */
(function () {
  "use strict";

  function fieldOf(form, name) {
    var input = form.querySelector('[name="' + name + '"]');
    return input ? input.closest(".gg-field") : null;
  }

  function bindCareTagForm(form) {
    var kind = form.querySelector('select[name="kind"]');
    var extra = [fieldOf(form, "category"), fieldOf(form, "level")].filter(Boolean);
    if (!kind || !extra.length) return;
    var update = function () {
      extra.forEach(function (field) { field.hidden = kind.value !== "disabled"; });
    };
    kind.addEventListener("change", update);
    update();
  }

  function init() {
    document.querySelectorAll("[data-care-tag-form] form").forEach(bindCareTagForm);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
