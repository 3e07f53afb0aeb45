// The matter page's document list, kept current without reloading, and its password and delete
// dialogs. No framework, no build step. The page works without this script: the list is
// server-rendered and the row buttons open plain pages (documents/<id>/password/ and /delete/).
//
// Polling: GET the matter's documents every 2 s while any is still being processed, every 10 s
// otherwise (so documents uploaded or deleted in another tab or through the API show up too),
// and at once when upload.js reports an upload. Nothing is fetched while the tab is hidden.
//
// Other scripts use window.docproc: window.docproc.csrfToken(), announce(text) and documents.upsert(doc) /
// documents.refresh().
(function () {
  "use strict";
  var table = document.getElementById("documents");
  var wordsNode = document.getElementById("status-words");
  if (!table || !wordsNode || !window.fetch || !window.Promise) return;

  var ACTIVE_MS = 2000;
  var IDLE_MS = 10000;
  var DASH = "\u2014";
  var tbody = table.tBodies[0];
  var listUrl = table.getAttribute("data-documents-url") + "?page_size=1000";
  var apiDocumentUrl = table.getAttribute("data-api-document-url");
  var apiPasswordUrl = table.getAttribute("data-api-password-url");
  var timeZone = table.getAttribute("data-time-zone") || undefined;
  var words = JSON.parse(wordsNode.textContent);
  var summary = document.getElementById("processing-summary");
  var announcer = document.getElementById("action-status");
  var emptyRow = document.getElementById("documents-empty");
  var prototype = document.getElementById("document-row-template");
  var heading = document.getElementById("documents-heading");
  var deleted = {}; // ids removed here: a poll that was already under way must not bring them back

  // --- shared helpers -------------------------------------------------------------------------

  function announce(text) {
    if (!announcer) return;
    // Clear first so that the same sentence twice is announced twice.
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // A URL pattern rendered for document 0 ("/api/v1/documents/0/password/"), for ``id``.
  function urlFor(pattern, id) {
    return pattern.replace(/\/0\//, "/" + id + "/");
  }

  // fetch with the session and the CSRF token; resolves to {ok, status, body} (never rejects).
  function send(method, url, payload) {
    var headers = { Accept: "application/json", "X-CSRFToken": window.docproc.csrfToken() };
    var options = { method: method, credentials: "same-origin", headers: headers };
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(url, options).then(
      function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { ok: response.ok, status: response.status, body: body || {} };
        });
      },
      function () {
        return {
          ok: false, status: 0,
          body: { detail: "The server could not be reached. Check the connection and try again." }
        };
      }
    );
  }

  // --- rows -----------------------------------------------------------------------------------

  function rows() {
    return Array.prototype.slice.call(tbody.querySelectorAll("tr[data-document-id]"));
  }

  function rowFor(id) {
    return tbody.querySelector('tr[data-document-id="' + id + '"]');
  }

  function pending() {
    return tbody.querySelectorAll('tr[data-document-id][data-final="false"]').length;
  }

  function setText(node, value) {
    var text = value === null || value === undefined || value === "" ? DASH : String(value);
    if (node && node.textContent !== text) node.textContent = text;
  }

  function field(row, name) {
    return row.querySelector('[data-field="' + name + '"]');
  }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // "5 May 2026 14:03" in the server's time zone, as the server renders it.
  function formatTime(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    var parts = {};
    try {
      new Intl.DateTimeFormat("en-GB", {
        timeZone: timeZone, year: "numeric", month: "numeric", day: "numeric",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23"
      }).formatToParts(date).forEach(function (part) { parts[part.type] = part.value; });
    } catch (error) {
      parts = {
        year: date.getFullYear(), month: date.getMonth() + 1, day: date.getDate(),
        hour: ("0" + date.getHours()).slice(-2), minute: ("0" + date.getMinutes()).slice(-2)
      };
    }
    return Number(parts.day) + " " + MONTHS[Number(parts.month) - 1] + " " + parts.year + " " +
      parts.hour + ":" + parts.minute;
  }

  // A new row, copied from the prototype row the server rendered for document 0.
  function buildRow(doc) {
    var row = prototype.content.querySelector("tr").cloneNode(true);
    row.setAttribute("data-document-id", String(doc.id));
    var nodes = [row].concat(Array.prototype.slice.call(row.querySelectorAll("*")));
    nodes.forEach(function (node) {
      ["href", "action"].forEach(function (name) {
        var value = node.getAttribute(name);
        if (value) node.setAttribute(name, urlFor(value, doc.id));
      });
      ["id", "aria-describedby"].forEach(function (name) {
        var value = node.getAttribute(name);
        if (value) node.setAttribute(name, value.replace("document-0-", "document-" + doc.id + "-"));
      });
    });
    field(row, "filename").textContent = doc.filename;
    var time = row.querySelector("time");
    if (time && doc.created_at) {
      time.setAttribute("datetime", doc.created_at);
      time.textContent = formatTime(doc.created_at);
    }
    return row;
  }

  function describeChange(doc) {
    if (doc.status === "indexed") return doc.filename + " is ready.";
    var text = doc.filename + ": " + (words[doc.status] || doc.status) + ".";
    return doc.reason ? text + " " + doc.reason : text;
  }

  // Brings a row up to date with the API's document; says so when it has just finished.
  function update(row, doc) {
    var before = row.getAttribute("data-status");
    var wasFinal = row.getAttribute("data-final") === "true";
    row.setAttribute("data-final", doc.final ? "true" : "false");
    row.setAttribute("data-status", doc.status);
    var status = field(row, "status");
    if (status) {
      var text = words[doc.status] || doc.status;
      if (status.textContent !== text) status.textContent = text;
      status.className = "status status-" + doc.status;
    }
    setText(field(row, "reason"), doc.reason);
    setText(field(row, "pages"), doc.pages);
    setText(field(row, "chunks"), doc.chunks);
    var password = row.querySelector('form[data-action="password"]');
    if (password) password.hidden = doc.status !== "needs_password";
    if (before && before !== doc.status && !wasFinal && doc.final) announce(describeChange(doc));
  }

  function showEmptyState() {
    if (emptyRow) emptyRow.hidden = rows().length > 0;
  }

  function insertAfter(row, previous) {
    if (previous) tbody.insertBefore(row, previous.nextSibling);
    else tbody.insertBefore(row, tbody.firstChild);
  }

  // Adds the document's row (at the top: newest first) or updates it; used by upload.js.
  function upsert(doc) {
    if (!doc || doc.id === undefined || deleted[doc.id]) return;
    var row = rowFor(doc.id);
    if (!row) {
      row = buildRow(doc);
      insertAfter(row, null);
    }
    update(row, doc);
    showEmptyState();
    describe();
  }

  function removeRow(id) {
    var row = rowFor(id);
    if (row) row.parentNode.removeChild(row);
    showEmptyState();
    describe();
  }

  function describe() {
    if (!summary) return;
    var n = pending();
    // "All processed" only after something was in progress, so an idle page stays quiet.
    var text = n
      ? n + (n === 1 ? " document is" : " documents are") +
        " still being processed; this list updates itself."
      : summary.textContent && rows().length ? "All documents are processed." : "";
    if (summary.textContent !== text) summary.textContent = text; // only announce changes
  }

  // Makes the table match the API's list: new documents are inserted in the list's order,
  // known ones updated, and (when the list is complete) rows that were on the page when the
  // request was sent but are no longer in the matter are removed.
  function reconcile(results, complete, askedAbout) {
    var seen = {};
    var previous = null;
    results.forEach(function (doc) {
      seen[doc.id] = true;
      if (deleted[doc.id]) return;
      var row = rowFor(doc.id);
      if (!row) {
        row = buildRow(doc);
        insertAfter(row, previous);
      }
      update(row, doc);
      previous = row;
    });
    if (complete) {
      askedAbout.forEach(function (id) {
        var row = rowFor(id);
        if (row && !seen[id]) {
          var name = field(row, "filename") ? field(row, "filename").textContent : "A document";
          removeRow(id);
          announce(name + " was deleted; it is no longer in this matter.");
        }
      });
    }
    showEmptyState();
    describe();
  }

  // --- polling --------------------------------------------------------------------------------

  var timer = null;
  var inFlight = false;
  var again = false;
  var stopped = false;

  function schedule(ms) {
    if (stopped) return;
    if (timer !== null) window.clearTimeout(timer);
    timer = window.setTimeout(poll, ms);
  }

  function poll() {
    timer = null;
    if (stopped || document.hidden) return; // resumed by visibilitychange
    if (inFlight) { again = true; return; }
    inFlight = true;
    var askedAbout = rows().map(function (row) { return row.getAttribute("data-document-id"); });
    fetch(listUrl, {
      credentials: "same-origin",
      cache: "no-store",
      // Polling is no activity: the session still idles out on an unattended screen.
      headers: { Accept: "application/json", "X-Docproc-Background": "1" }
    })
      .then(function (response) {
        // Signed out or access removed: stop; a reload shows the login page or the 404.
        if ([401, 403, 404].indexOf(response.status) !== -1) stopped = true;
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (body && body.results) reconcile(body.results, !body.next, askedAbout);
      })
      .catch(function () { /* a network blip: try again on the next tick */ })
      .then(function () {
        inFlight = false;
        if (again) { again = false; schedule(0); }
        else schedule(pending() > 0 ? ACTIVE_MS : IDLE_MS);
      });
  }

  function refresh() { schedule(0); }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) schedule(0);
  });

  window.docproc = window.docproc || {};
  window.docproc.announce = announce;
  window.docproc.documents = { upsert: upsert, refresh: refresh };

  schedule(pending() > 0 ? ACTIVE_MS : IDLE_MS);

  // --- dialogs --------------------------------------------------------------------------------

  var passwordDialog = document.getElementById("password-dialog");
  var deleteDialog = document.getElementById("delete-dialog");

  function usable(dialog) {
    return dialog && typeof dialog.showModal === "function";
  }

  function showError(dialog, text) {
    var node = dialog.querySelector(".field-error");
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
  }

  function setBusy(dialog, busy) {
    var button = dialog.querySelector('button[type="submit"]');
    if (button) button.disabled = busy;
    dialog.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function openFor(dialog, row, fallbackUrl, opener) {
    var name = field(row, "filename") ? field(row, "filename").textContent : "";
    dialog.setAttribute("data-document-id", row.getAttribute("data-document-id"));
    Array.prototype.forEach.call(dialog.querySelectorAll('[data-field="filename"]'), function (node) {
      node.textContent = name;
    });
    // Without the script's handler the form still works: it posts to the plain page.
    dialog.querySelector("form").setAttribute("action", fallbackUrl);
    showError(dialog, "");
    setBusy(dialog, false);
    dialog.opener = opener;
    dialog.showModal();
    // Focus where it is safe: the password field, or "Cancel" rather than the delete button.
    var first = dialog.querySelector("[autofocus]") || dialog.querySelector("button");
    if (first) first.focus();
  }

  function closeDialog(dialog) {
    if (dialog.open) dialog.close();
  }

  [passwordDialog, deleteDialog].forEach(function (dialog) {
    if (!usable(dialog)) return;
    Array.prototype.forEach.call(dialog.querySelectorAll('[data-action="cancel"]'), function (button) {
      button.addEventListener("click", function () { closeDialog(dialog); });
    });
    dialog.addEventListener("close", function () {
      var input = dialog.querySelector('input[type="password"]');
      if (input) input.value = ""; // the password stays nowhere on the page
      // Back to the button that opened it, or to the list if its row is gone.
      var opener = dialog.opener;
      dialog.opener = null;
      if (opener && document.body.contains(opener) && !opener.closest("[hidden]")) opener.focus();
      else if (heading) heading.focus();
    });
  });

  // The rows' buttons are GET forms leading to the plain pages; with dialogs, open those instead.
  tbody.addEventListener("submit", function (event) {
    var form = event.target;
    var action = form.getAttribute("data-action");
    var row = form.closest("tr[data-document-id]");
    var dialog = action === "delete" ? deleteDialog : action === "password" ? passwordDialog : null;
    if (!row || !usable(dialog)) return;
    event.preventDefault();
    openFor(dialog, row, form.getAttribute("action"), form.querySelector("button"));
  });

  if (usable(passwordDialog)) {
    passwordDialog.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      var dialog = passwordDialog;
      var id = dialog.getAttribute("data-document-id");
      var input = dialog.querySelector('input[type="password"]');
      if (!input.value) {
        showError(dialog, "Enter the PDF's password.");
        input.focus();
        return;
      }
      setBusy(dialog, true);
      send("POST", urlFor(apiPasswordUrl, id), { password: input.value }).then(function (result) {
        setBusy(dialog, false);
        if (result.ok) {
          upsert(result.body);
          closeDialog(dialog);
          announce("Password received for " + result.body.filename + "; it is being processed again.");
          refresh();
          return;
        }
        showError(dialog, result.body.detail || "The password could not be sent (error " + result.status + ").");
        if (result.status === 409 || result.status === 404) refresh();
        input.focus();
      });
    });
  }

  function plural(n, noun) {
    return n + " " + noun + (n === 1 ? "" : "s");
  }

  if (usable(deleteDialog)) {
    deleteDialog.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      var dialog = deleteDialog;
      var id = dialog.getAttribute("data-document-id");
      var name = dialog.querySelector('[data-field="filename"]').textContent;
      setBusy(dialog, true);
      send("DELETE", urlFor(apiDocumentUrl, id)).then(function (result) {
        setBusy(dialog, false);
        if (result.ok || result.status === 404) {
          deleted[id] = true;
          removeRow(id);
          closeDialog(dialog);
          var receipt = result.body;
          announce(result.ok
            ? "Deleted " + receipt.filename + ": " + plural(receipt.pages_removed, "page") + " and " +
              plural(receipt.chunks_removed, "passage") + " removed, with their search vectors " +
              "(deletion receipt " + receipt.id + ")."
            : name + " was already deleted.");
          return;
        }
        showError(dialog, result.body.detail || "The document could not be deleted (error " + result.status + ").");
      });
    });
  }
})();
