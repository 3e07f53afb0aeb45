// Refreshes the matter page's document states every 2 s while any is still being processed,
// from the JSON API, without reloading the page. No framework; fails quietly (the page works
// without it: a reload shows the same information).
(function () {
  "use strict";
  var table = document.querySelector("table[data-documents-url]");
  var wordsNode = document.getElementById("status-words");
  if (!table || !wordsNode || !window.fetch) return;
  var url = table.getAttribute("data-documents-url") + "?page_size=1000";
  var words = JSON.parse(wordsNode.textContent);
  var summary = document.getElementById("processing-summary");
  var INTERVAL_MS = 2000;

  function pending() {
    return table.querySelectorAll('tr[data-final="false"]').length;
  }

  function setText(row, field, value) {
    var cell = row.querySelector('[data-field="' + field + '"]');
    var text = value === null || value === undefined || value === "" ? "\u2014" : String(value);
    if (cell && cell.textContent !== text) cell.textContent = text;
  }

  function update(doc) {
    var row = table.querySelector('tr[data-document-id="' + doc.id + '"]');
    if (!row) return;
    row.setAttribute("data-final", doc.final ? "true" : "false");
    var status = row.querySelector('[data-field="status"]');
    if (status) {
      status.textContent = words[doc.status] || doc.status;
      status.className = "status status-" + doc.status;
    }
    setText(row, "reason", doc.reason);
    setText(row, "pages", doc.pages);
    setText(row, "chunks", doc.chunks);
  }

  function describe() {
    if (!summary) return;
    var n = pending();
    var text = n
      ? n + (n === 1 ? " document is" : " documents are") + " still being processed; this list updates itself."
      : "All documents are processed.";
    if (summary.textContent !== text) summary.textContent = text; // only announce changes
  }

  var stopped = false;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        // Signed out or access removed: stop; a reload shows the login page or the 404.
        if ([401, 403, 404].indexOf(response.status) !== -1) stopped = true;
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (body && body.results) {
          body.results.forEach(update);
          describe();
        }
      })
      .catch(function () { /* a network blip: try again on the next tick */ })
      .then(function () { if (!stopped && pending() > 0) window.setTimeout(poll, INTERVAL_MS); });
  }

  if (pending() > 0) window.setTimeout(poll, INTERVAL_MS);
})();
