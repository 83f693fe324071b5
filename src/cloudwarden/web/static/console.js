// CloudWarden console: the few things a static page cannot do. Loaded from /static (the CSP allows
// no inline script); every page works without it.
(function () {
  "use strict";

  // A consent countdown: <span class="countdown" data-expires-at="ISO-8601">...</span>.
  // At zero the form it belongs to is disabled and says so.
  function tick() {
    document.querySelectorAll("[data-expires-at]").forEach(function (el) {
      var left = Math.round((Date.parse(el.dataset.expiresAt) - Date.now()) / 1000);
      if (left > 0) {
        el.textContent = left + " s left";
        return;
      }
      el.textContent = "expired";
      el.removeAttribute("data-expires-at");
      var form = el.closest("form");
      if (form) {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        var note = form.querySelector("[data-expired-note]");
        if (note) { note.hidden = false; }
      }
    });
  }
  tick();
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);

  // A <button data-confirm="..."> asks before its form is sent (hx-confirm would need eval-free
  // htmx anyway; this works for plain forms too).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
