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
