// Drag a tile between board columns; the drop submits the same form the tile's select uses,
// so the board also works from the keyboard without this script.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".tile[draggable=true]").forEach((tile) => {
    tile.addEventListener("dragstart", (event) => event.dataTransfer.setData("text/plain", tile.id));
  });
  document.querySelectorAll(".column[data-stage]").forEach((column) => {
    column.addEventListener("dragover", (event) => { event.preventDefault(); column.classList.add("drop"); });
    column.addEventListener("dragleave", () => column.classList.remove("drop"));
    column.addEventListener("drop", (event) => {
      event.preventDefault();
      column.classList.remove("drop");
      const tile = document.getElementById(event.dataTransfer.getData("text/plain"));
      if (!tile) return;
      const form = tile.querySelector("form.move");
      form.querySelector("select[name=stage]").value = column.dataset.stage;
      form.requestSubmit();
    });
  });
});

// A select marked data-autosubmit shows its choice at once (the form's own button is there without script).
// A listener, not an onchange attribute: the Content-Security-Policy runs no inline handlers.
document.addEventListener("change", (event) => {
  if (event.target.matches?.("select[data-autosubmit]")) event.target.form.requestSubmit();
});

// The pool page: new leads appear at the top by themselves (the page asks the server every few seconds for the
// leads that came in since its last look and adds those it does not show yet); the menu badge and the tab's
// title show how many wait. Without this script the page is as fresh as its last load.
document.addEventListener("DOMContentLoaded", () => {
  const rows = document.getElementById("pool-rows");
  if (!rows || !rows.dataset.poll) return;
  const title = document.title.replace(/^\(\d+\) /, "");
  let seen = rows.dataset.seen;
  const look = async () => {
    let response;
    try {
      response = await fetch(`${rows.dataset.poll}?since=${encodeURIComponent(seen)}`,
                             {headers: {"HX-Request": "true"}, credentials: "same-origin"});
    } catch (error) {
      return;  // offline for a moment: the next look catches up
    }
    if (!response.ok || !response.headers.get("X-Pool-Seen")) return;
    seen = response.headers.get("X-Pool-Seen");
    const count = response.headers.get("X-Pool-Count") || "0";  // "0".."99" or "99+"
    const parsed = document.createElement("template");
    parsed.innerHTML = await response.text();
    const fresh = [...parsed.content.querySelectorAll("tr[id^='pool-']")]
      .filter((row) => !document.getElementById(row.id));
    for (const row of fresh.reverse()) {  // the answer is newest first: add the oldest first, each on top
      row.classList.add("fresh");
      rows.prepend(row);
      if (window.htmx) window.htmx.process(row);
    }
    if (fresh.length) document.getElementById("pool-empty")?.remove();
    document.title = count !== "0" ? `(${count}) ${title}` : title;
    const badge = document.querySelector("#pool-count");
    if (badge) {
      badge.textContent = "";
      if (count !== "0") {
        const number = document.createElement("span");
        number.className = "badge";
        number.dataset.testid = "pool-count";
        number.textContent = count;
        badge.append(number);
      }
    }
    document.dispatchEvent(new Event("leadflow:pool-seen"));  // the desktop alerts read the new count
  };
  setInterval(look, Math.max(1, Number(rows.dataset.every) || 15) * 1000);
});

// Desktop alerts: a manager on the phone, with Leadflow in a background tab, learns that a lead came into the pool
// or that something needs them (the bell), without watching the page. Turned on per browser from the user menu
// (the browser asks for permission); each rise of the pool's or the bell's count is announced once, by one tab
// (the counts last announced are shared by the user's tabs through localStorage).
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector("[data-alerts-toggle]");
  if (!toggle || !("Notification" in window)) return;
  const user = toggle.dataset.user;
  const onKey = `leadflow.alerts.${user}`;
  const seenKey = `leadflow.alerts.seen.${user}`;
  const enabled = () => localStorage.getItem(onKey) === "on" && Notification.permission === "granted";
  const label = () => {
    toggle.textContent = Notification.permission === "denied" ? toggle.dataset.labelBlocked
      : enabled() ? toggle.dataset.labelOn : toggle.dataset.labelOff;
  };
  toggle.hidden = false;
  label();
  toggle.addEventListener("click", async () => {
    if (enabled()) {
      localStorage.setItem(onKey, "off");
    } else if ((await Notification.requestPermission()) === "granted") {
      localStorage.setItem(onKey, "on");
    }
    label();
  });

  const counts = () => ({
    pool: parseInt(document.querySelector("#pool-count .badge")?.textContent || "0", 10) || 0,
    unread: parseInt(document.querySelector(".bell .badge")?.textContent || "0", 10) || 0,
  });
  const announce = (text, count, url) => {
    const alert = new Notification("Leadflow", {body: text.replace("{count}", count), tag: url});
    alert.addEventListener("click", () => { window.focus(); window.location.href = url; });
  };
  const check = () => {
    const now = counts();
    let seen = null;
    try { seen = JSON.parse(localStorage.getItem(seenKey)); } catch (error) { seen = null; }
    localStorage.setItem(seenKey, JSON.stringify(now));
    if (!seen || !enabled()) return;  // the first look only remembers
    if (now.pool > seen.pool) announce(toggle.dataset.textPool, now.pool, toggle.dataset.poolUrl);
    if (now.unread > seen.unread) announce(toggle.dataset.textUnread, now.unread, toggle.dataset.notificationsUrl);
  };
  check();
  // The bell (every 30 s, with the pool's badge) and the pool page's own look (every 15 s) bring new counts.
  document.body.addEventListener("htmx:afterSettle", check);
  document.addEventListener("leadflow:pool-seen", check);
});
