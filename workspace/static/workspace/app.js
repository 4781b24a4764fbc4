// Progressive enhancement only: every flow works without this file (forms post and redirect).
"use strict";

document.addEventListener("click", (event) => {
  // "Select all" checkbox of a table of rows (bulk actions).
  const all = event.target.closest("input[data-select-all]");
  if (all) {
    const table = all.closest("table");
    table.querySelectorAll("input[name='" + all.dataset.selectAll + "']").forEach((box) => { box.checked = all.checked; });
  }
  // Buttons that ask before a destructive action: data-confirm="Delete this comment?"
  const confirmable = event.target.closest("[data-confirm]");
  if (confirmable && !window.confirm(confirmable.dataset.confirm)) {
    event.preventDefault();
  }
});
