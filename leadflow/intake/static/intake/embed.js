/* Leadflow web form: <script src="https://LEADFLOW/f/embed.js" data-leadflow-form="SLUG" async></script>
 * Plain JS; keeps the visitor id and first UTM in storage + cookie; DOM via textContent only. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var slug = script.getAttribute("data-leadflow-form");
  var base = script.src.replace(/\/f\/embed\.js(\?.*)?$/, "");
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];
  var KEY = "leadflow_visitor", SESSION = "leadflow_touch", COOKIE = "leadflow_vid";

  // Storage may be blocked or full (private modes): then the visit simply is not remembered.
  function read(kind, key) { try { return JSON.parse(window[kind].getItem(key) || "null"); } catch (e) { return null; } }
  function write(kind, key, value) { try { window[kind].setItem(key, JSON.stringify(value)); } catch (e) { /**/ } }
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
  function thisTouch() {
    var touch = {}, query = new URLSearchParams(window.location.search);
    UTM.forEach(function (name) { var v = query.get(name); if (v) { touch[name] = v.slice(0, 160); } });
    var ref = document.referrer;
    if (ref && ref.indexOf(window.location.origin + "/") !== 0) { touch.referrer = ref.slice(0, 1000); }
    touch.landing_page = window.location.href.slice(0, 1000);
    return touch;
  }

  // First touch: once per browser. Last touch: once per visit, or anew on a campaign link.
  var visitor = read("localStorage", KEY);
  var now = thisTouch();
  if (!visitor || !/^[A-Za-z0-9_-]{8,64}$/.test(visitor.id)) {
    visitor = {id: cookie(COOKIE) || newId(), first: now};
    write("localStorage", KEY, visitor);
  }
  document.cookie = COOKIE + "=" + visitor.id + "; path=/; max-age=31536000; SameSite=Lax";
  var session = read("sessionStorage", SESSION);
  if (!session || now.utm_source || now.utm_campaign) { session = now; write("sessionStorage", SESSION, session); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  var F = ".leadflow-form", CSS = F + "{max-width:32rem}" + F + " label{display:block;margin:.6rem 0 .2rem}" +
    F + " input:not([type=checkbox])," + F + " textarea{display:block;box-sizing:border-box;width:100%;" +
    "padding:.45rem;font:inherit}" + F + " .lf-error{display:block;color:#b3261e}" + F + " button{margin-top:.8rem}";

  function draw(config) {
    if (!document.getElementById("leadflow-form-css")) {
      var style = el("style", {"id": "leadflow-form-css"});
      style.textContent = CSS;
      document.head.appendChild(style);
    }
    var uid = "lf-" + slug + "-";
    var form = el("form", {"class": "leadflow-form", "novalidate": "", "lang": config.language});
    var general = el("p", {"class": "lf-error", "role": "alert"});
    var errors = {};
    if (config.title) { form.appendChild(el("h3", {}, config.title)); }
    form.appendChild(general);
    config.fields.forEach(function (field) {
      var id = uid + field.name;
      form.appendChild(el("label", {"for": id}, field.label + (field.required ? " *" : "")));
      var input = el(field.type === "textarea" ? "textarea" : "input", {"id": id, "name": field.name});
      if (field.type !== "textarea") { input.setAttribute("type", field.type); }
      if (field.required) { input.setAttribute("required", ""); }
      form.appendChild(input);
      errors[field.name] = form.appendChild(el("small", {"class": "lf-error", "id": id + "-error"}));
      input.setAttribute("aria-describedby", id + "-error");
      input.addEventListener("input", function () { errors[field.name].textContent = ""; });
    });
    var trap = el("div", {"aria-hidden": "true", "style": "position:absolute;left:-10000px;height:1px;overflow:hidden"});
    trap.appendChild(el("label", {"for": uid + "hp"}, config.texts.honeypot));
    trap.appendChild(el("input", {"id": uid + "hp", "name": config.honeypot, "type": "text", "tabindex": "-1",
                                  "autocomplete": "off"}));
    form.appendChild(trap);
    (config.consents || []).forEach(function (c) {
      var l = form.appendChild(el("label", {}));
      l.appendChild(el("input", {"type": "checkbox", "name": c.name}));
      l.appendChild(document.createTextNode(" " + c.text + (c.required ? " * " : " ")));
      if (/^https?:/i.test(c.document_url)) { l.appendChild(el("a", {"href": c.document_url}, config.texts.document)); }
      errors[c.name] = form.appendChild(el("small", {"class": "lf-error"}));
    });
    var button = form.appendChild(el("button", {"type": "submit"}, config.submit_label));
    function ready() { button.disabled = false; button.textContent = config.submit_label; }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button.disabled) { return; }
      general.textContent = "";
      Object.keys(errors).forEach(function (k) { errors[k].textContent = ""; });
      var missing = false;
      config.fields.forEach(function (field) {
        var input = form.elements[field.name];
        if (field.required && !input.value.trim()) { errors[field.name].textContent = config.texts.required; missing = true; }
      });
      if (missing) { return; }
      var body = {_ts: config.token, visitor_id: visitor.id, first_touch: visitor.first};
      Object.keys(session).forEach(function (k) { body[k] = session[k]; });
      Array.prototype.forEach.call(form.elements, function (input) {
        if (!input.name) { return; }
        body[input.name] = input.type === "checkbox" ? input.checked : input.value;
      });
      button.disabled = true;
      button.textContent = config.texts.sending;
      fetch(base + "/f/" + encodeURIComponent(slug) + "/submit", {
        method: "POST", mode: "cors", credentials: "omit",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return {status: response.status, data: data};
        });
      }).then(function (result) {
        if (result.status === 200) {
          var target = result.data.redirect_url;
          if (target && /^https?:\/\//i.test(target)) { window.location.assign(target); return; }
          var thanks = el("p", {"class": "leadflow-thanks", "role": "status"}, result.data.thank_you_text);
          form.parentNode.replaceChild(thanks, form);
          return;
        }
        var err = result.data.error || {}, fields = err.fields || {};
        Object.keys(fields).forEach(function (name) {
          var box = errors[name] || general;
          box.textContent = (box.textContent ? box.textContent + " " : "") + fields[name].join(" ");
        });
        if (!Object.keys(fields).length) {
          general.textContent = result.status === 429 ? config.texts.rate_limited : (err.message || config.texts.failed);
        }
        ready();
      }).catch(function () { general.textContent = config.texts.failed; ready(); });
    });

    var target = document.getElementById(script.getAttribute("data-leadflow-target") || "");
    if (target) { target.appendChild(form); } else { script.parentNode.insertBefore(form, script.nextSibling); }
  }

  if (!slug || !window.fetch) { return; }
  fetch(base + "/f/" + encodeURIComponent(slug) + "/config", {mode: "cors", credentials: "omit"})
    .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
    .then(draw)
    .catch(function (error) { if (window.console) { window.console.warn("Leadflow form " + slug + ": " + error); } });
}());
