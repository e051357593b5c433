/* Leadflow tracking: <script src="https://LEADFLOW/t.js" data-leadflow-site="PUBLIC_KEY" async></script>
 * Plain JavaScript, no dependencies, draws nothing. Sends the page view with the time the page was visible
 * (on pagehide / when hidden) and what the site reports: leadflow.track("add_to_cart", {sku: "A1"}).
 * The visitor id is the web forms' own (same storage and cookie), so a form sent later identifies the visitor
 * and these events join the lead. Calls made before the script loaded: window.leadflow = {q: [[kind, props]]}. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var key = script.getAttribute("data-leadflow-site");
  var endpoint = script.src.replace(/\/t\.js(\?.*)?$/, "") + "/t/" + encodeURIComponent(key || "") + "/events";
  var KEY = "leadflow_visitor", COOKIE = "leadflow_vid";

  function read(k) { try { return JSON.parse(window.localStorage.getItem(k) || "null"); } catch (e) { return null; } }
  function write(k, v) { try { window.localStorage.setItem(k, JSON.stringify(v)); } catch (e) { /* blocked */ } }
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([A-Za-z0-9_-]+)"));
    return m ? m[1] : "";
  }
  function newId() {
    var c = window.crypto;
    if (c && c.randomUUID) { return c.randomUUID().replace(/-/g, ""); }
    var out = "";
    for (var i = 0; i < 32; i++) { out += Math.floor(Math.random() * 16).toString(16); }
    return out;
  }
  function firstTouch() {
    var touch = {}, query = new URLSearchParams(window.location.search);
    ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"].forEach(function (name) {
      var v = query.get(name); if (v) { touch[name] = v.slice(0, 160); }
    });
    var ref = document.referrer;
    if (ref && ref.indexOf(window.location.origin + "/") !== 0) { touch.referrer = ref.slice(0, 1000); }
    touch.landing_page = window.location.href.slice(0, 1000);
    return touch;
  }

  // The same record the form script keeps ({id, first}); whichever script runs first creates it.
  var visitor = read(KEY);
  if (!visitor || !/^[A-Za-z0-9_-]{8,64}$/.test(visitor.id)) {
    visitor = {id: cookie(COOKIE) || newId(), first: firstTouch()};
    write(KEY, visitor);
  }
  document.cookie = COOKIE + "=" + visitor.id + "; path=/; max-age=31536000; SameSite=Lax";

  function send(events) {
    var body = JSON.stringify({visitor_id: visitor.id, events: events});
    // A string is sent as text/plain: no preflight, and it survives the page being closed.
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) { return; }
    try {
      fetch(endpoint, {method: "POST", body: body, keepalive: true, mode: "cors", credentials: "omit",
        headers: {"Content-Type": "text/plain;charset=UTF-8"}});
    } catch (e) { /* offline: the event is lost, the page is not disturbed */ }
  }

  function page() { return window.location.href.slice(0, 1000); }

  // Time on page: visible time only, sent once when the page is hidden or left.
  var visibleSince = document.visibilityState === "visible" ? Date.now() : 0, visibleMs = 0, sent = false;
  function pageView() {
    if (sent) { return; }
    if (visibleSince) { visibleMs += Date.now() - visibleSince; visibleSince = 0; }
    sent = true;
    send([{kind: "page_view", url: page(), duration_seconds: Math.round(visibleMs / 1000)}]);
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { pageView(); } else if (!sent) { visibleSince = Date.now(); }
  });
  window.addEventListener("pagehide", pageView);

  function track(kind, properties) {
    if (typeof kind !== "string") { return; }
    var props = {};
    if (properties && typeof properties === "object") {
      Object.keys(properties).slice(0, 20).forEach(function (k) {
        var v = properties[k];
        if (v === null || typeof v === "number" || typeof v === "boolean") { props[k] = v; }
        else if (v !== undefined) { props[k] = String(v).slice(0, 500); }
      });
    }
    send([{kind: kind, url: page(), properties: props}]);
  }

  var queued = (window.leadflow && window.leadflow.q) || [];
  window.leadflow = {track: track, visitorId: function () { return visitor.id; }};
  queued.forEach(function (call) { track(call[0], call[1]); });
})();
