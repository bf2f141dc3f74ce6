// servops web app: CSRF header, error alerts, live updates (SSE) and SLA countdowns.
// No dependencies beyond the vendored htmx.min.js; nothing is fetched from elsewhere.
(function () {
  "use strict";

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return null;
  }

  // Writes of a browser session repeat the CSRF cookie in a header (double submit).
  document.addEventListener("htmx:configRequest", function (e) {
    var token = cookie("servops_csrf");
    if (token) e.detail.headers["X-CSRF-Token"] = token;
  });

  function flash(text) {
    var box = document.getElementById("flash");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    flash(xhr.status + ": " + (xhr.responseText || xhr.statusText));
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    if (e.detail.successful && e.detail.requestConfig && e.detail.requestConfig.verb !== "get") flash("");
  });

  // SLA countdowns: every [data-due] shows the time left (negative once breached).
  // The server's clock is the reference (data-server-now), not the browser's.
  var skewMs = 0;
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function fmt(seconds) {
    var sign = seconds < 0 ? "−" : "";
    var s = Math.abs(Math.trunc(seconds));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    return sign + (d ? d + "d " : "") + pad(h) + ":" + pad(m) + ":" + pad(sec);
  }
  function tick() {
    var now = Date.now() + skewMs;
    var els = document.querySelectorAll("[data-due]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var stage = el.dataset.stage;
      if (stage !== "running" && stage !== "breached") continue;
      var due = Date.parse(el.dataset.due);
      if (isNaN(due)) continue;
      var warn = el.dataset.warn ? Date.parse(el.dataset.warn) : NaN;
      var state = now >= due ? "breached" : (!isNaN(warn) && now >= warn) ? "warning" : "running";
      if (stage === "breached" || el.dataset.state === "breached") state = "breached";  // fired
      else if (el.dataset.state === "warning" && state === "running") state = "warning";
      var out = el.querySelector(".left") || el;
      out.textContent = fmt((due - now) / 1000);
      el.classList.remove("sla-running", "sla-warning", "sla-breached");
      el.classList.add("sla-" + state);
      var label = el.querySelector(".state");
      if (label && el.dataset["label" + state.charAt(0).toUpperCase() + state.slice(1)]) {
        label.textContent = el.dataset["label" + state.charAt(0).toUpperCase() + state.slice(1)];
      }
    }
  }

  // Live updates: one EventSource; each event is re-dispatched on <body> as "live",
  // so fragments refresh with hx-trigger="live from:body". The browser resumes with
  // Last-Event-ID by itself after a dropped connection.
  // Re-dispatch at most every 500 ms (and once more after a burst): lists reload once
  // for a burst of events, and the last event of a burst is never dropped.
  var pending = null, lastFire = 0, timer = null;
  function fireLive(detail) {
    pending = detail;
    if (timer) return;
    var wait = Math.max(0, lastFire + 500 - Date.now());
    timer = setTimeout(function () {
      timer = null;
      lastFire = Date.now();
      var d = pending;
      pending = null;
      document.body.dispatchEvent(new CustomEvent("live", { detail: d }));
    }, wait);
  }

  function connect() {
    var url = document.body.dataset.live;
    if (!url || !window.EventSource) return;
    var status = document.getElementById("live-status");
    var source = new EventSource(url);
    function show(state) {
      if (!status) return;
      status.dataset.state = state;
      status.textContent = state === "open" ? status.dataset.labelOpen : status.dataset.labelClosed;
    }
    source.addEventListener("open", function () {
      show("open");
      fireLive({ reconnect: true });
    });
    source.addEventListener("error", function () { show("closed"); });
    source.addEventListener("ticket", function (e) {
      var data = {};
      try { data = JSON.parse(e.data); } catch (err) { return; }
      fireLive(data);
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var serverNow = Date.parse(document.body.dataset.serverNow || "");
    if (!isNaN(serverNow)) skewMs = serverNow - Date.now();
    var marks = document.querySelectorAll("[data-server-now]");
    for (var i = 0; i < marks.length; i++) marks[i].setAttribute("data-seen", "");
    tick();
    setInterval(tick, 1000);
    connect();
  });
  // Swapped fragments carry the server's time when they were rendered: re-anchor the
  // clock on it (the demo's clock runs faster than real time).
  document.addEventListener("htmx:afterSettle", function () {
    var marks = document.querySelectorAll("[data-server-now]:not([data-seen])");
    for (var i = 0; i < marks.length; i++) {
      var t = Date.parse(marks[i].dataset.serverNow);
      marks[i].setAttribute("data-seen", "");
      if (!isNaN(t) && marks[i] !== document.body) skewMs = t - Date.now();
    }
    tick();
  });
})();
