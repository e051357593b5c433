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
  };
  setInterval(look, Math.max(1, Number(rows.dataset.every) || 15) * 1000);
});
