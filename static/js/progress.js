/* A prepared file's page: follow its progress without reloading. Polls the status (JSON) every
   second and stops once the file is ready or failed; then shows the download link or the
   message. Without this script the page refreshes itself (<noscript> in its head). */
(function () {
  "use strict";

  var box = document.getElementById("file-progress");
  if (!box) { return; }
  var url = box.dataset.statusUrl;
  var progress = box.querySelector("[role=progressbar]");
  var bar = box.querySelector("[data-progress-bar]");
  var state = box.querySelector("[data-progress-state]");
  var step = box.querySelector("[data-progress-step]");
  var error = box.querySelector("[data-progress-error]");
  var ready = box.querySelector("[data-progress-ready]");
  var size = box.querySelector("[data-progress-size]");
  var refresh = box.querySelector("[data-progress-refresh]");
  var badge = document.querySelector("[data-progress-badge]");
  var EVERY = 1000;
  var BADGES = {  // as templates/files/_macros.html colours them
    queued: "text-bg-secondary", running: "text-bg-info", ready: "text-bg-success",
    failed: "text-bg-danger", expired: "text-bg-light border",
  };

  function width(percent) {
    bar.className = bar.className.replace(/\bw-\d+\b/, "").trim();
    bar.style.width = percent + "%";
  }

  function show(data) {
    box.dataset.status = data.status;
    width(data.percent);
    bar.textContent = data.percent_text;
    progress.setAttribute("aria-valuenow", data.percent);
    progress.setAttribute("aria-valuetext", data.percent_text);
    state.textContent = data.status_text;
    if (badge) {
      badge.className = "badge " + (BADGES[data.status] || "");
      badge.textContent = data.status_text;
    }
    step.textContent = !data.done && data.step ? ": " + data.step : "";
    if (!data.done) { return; }
    bar.classList.remove("progress-bar-striped", "progress-bar-animated");
    bar.classList.add(data.status === "ready" ? "bg-success" : "bg-danger");
    if (refresh) { refresh.hidden = true; }
    if (data.status === "ready") {
      size.textContent = data.size_text ? "(" + data.size_text + ")" : "";
      ready.hidden = false;
    } else if (data.error) {
      error.textContent = data.error;
      error.hidden = false;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (!data.done) { window.setTimeout(poll, EVERY); }
      })
      .catch(function () { window.setTimeout(poll, EVERY * 5); });  // a network blip: slower
  }

  width(Number(progress.getAttribute("aria-valuenow")) || 0);
  if (box.dataset.status === "queued" || box.dataset.status === "running") {
    window.setTimeout(poll, EVERY);
  }
})();
