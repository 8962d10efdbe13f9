// Bulk selection in lists. The header checkbox ticks or clears every row checkbox; the ticked
// ids are remembered, so a table that htmx swaps in (a filter changed, "show more") keeps the
// ticks of the rows it still shows. Only rows on the page are ever submitted.
(function () {
  "use strict";
  var ROWS = 'input[type="checkbox"][name="ids"][form="bulk-form"]';
  var ALL = "input[data-bulk-all]";
  var ticked = new Set();

  function rowBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll(ROWS));
  }

  function syncHeader() {
    var boxes = rowBoxes();
    var all = document.querySelector(ALL);
    if (all) {
      all.checked = boxes.length > 0 && boxes.every(function (b) { return b.checked; });
    }
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches) {
      return;
    }
    if (box.matches(ALL)) {
      rowBoxes().forEach(function (row) {
        row.checked = box.checked;
        if (box.checked) { ticked.add(row.value); } else { ticked.delete(row.value); }
      });
    } else if (box.matches(ROWS)) {
      if (box.checked) { ticked.add(box.value); } else { ticked.delete(box.value); }
      syncHeader();
    }
  });

  // htmx changed the address as the filters changed: come back to the list as it is now.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "bulk-form" && form.elements.next) {
      form.elements.next.value = window.location.pathname + window.location.search;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    rowBoxes().forEach(function (row) {
      row.checked = ticked.has(row.value);
    });
    syncHeader();
  });
})();
