// The document page: lands keyboard and screen-reader users on a highlighted passage, and
// makes a summary or extracts fields through the REST API as jobs (POST with "async": true,
// then GET the job until it ends), rendering the result without a reload in the same shape as
// templates/web/doc_summary.html and doc_fields.html. No framework; without JavaScript the
// page still shows the text, the cached summary and the latest extraction.
(function () {
  "use strict";

  var dp = window.docproc;
  var el = dp.el;
  var passageUrl = dp.passageUrl;
  var errorWords = dp.errorWords;
  var readJson = dp.readJson;

  var passage = document.getElementById("passage");
  if (passage) passage.focus(); // scrolls to it, and reading continues from there

  if (!window.fetch) return;

  var POLL_FIRST_MS = 1000;
  var POLL_MAX_MS = 5000;
  var MAX_BLIPS = 12; // a minute of lost connection at POLL_MAX_MS

  // --- small DOM helpers ----------------------------------------------------------------------

  function setText(node, text) {
    if (node && node.textContent !== text) node.textContent = text;
  }

  function humanName(name) {
    var words = String(name || "").replace(/_/g, " ").trim();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  // --- the API ---------------------------------------------------------------------------------

  function post(url, form, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": dp.csrfToken()
      },
      body: JSON.stringify(payload)
    });
  }

  // Start a job and follow it: onResult(result) when it succeeds, else the error is shown.
  function runJob(options) {
    var button = options.form.querySelector('button[type="submit"]');
    setText(options.error, "");
    setText(options.progress, "Starting…");
    button.disabled = true;
    options.section.setAttribute("aria-busy", "true");

    function done() {
      button.disabled = false;
      options.section.removeAttribute("aria-busy");
    }

    function fail(text) {
      setText(options.progress, "");
      setText(options.error, text);
      done();
    }

    // Poll the job. Only a lost connection or a gateway error (5xx) is retried, a bounded
    // number of times in a row: the job runs on regardless, and starting it again would
    // make a second one.
    var blips = 0;

    function retry(url) {
      blips += 1;
      if (blips > MAX_BLIPS) fail("Lost track of the job; reload the page to see its result.");
      else follow(url, POLL_MAX_MS);
    }

    function follow(url, wait) {
      window.setTimeout(function () {
        fetch(url, {
          credentials: "same-origin",
          // Polling is no activity: the session still idles out on an unattended screen.
          headers: { Accept: "application/json", "X-Docproc-Background": "1" }
        })
          .then(function (response) {
            if (response.status >= 500) return retry(url);
            return readJson(response).then(function (body) {
              blips = 0;
              if (!response.ok || !body) {
                fail(errorWords(response.status, body, response.headers.get("Retry-After")));
              } else if (body.status === "succeeded") {
                setText(options.progress, options.words.done);
                done();
                options.onResult(body.result);
              } else if (body.status === "failed") {
                fail(errorWords(0, body.error || {}, null));
              } else {
                setText(options.progress, body.status === "running" ? options.words.running : options.words.queued);
                follow(url, Math.min(wait * 1.5, POLL_MAX_MS));
              }
            });
          }, function () { retry(url); });
      }, wait);
    }

    post(options.url, options.form, options.payload)
      .then(function (response) {
        return readJson(response).then(function (body) {
          if (response.status !== 202 || !body || !body.url) {
            fail(errorWords(response.status, body, response.headers.get("Retry-After")));
            return;
          }
          setText(options.progress, options.words.queued);
          follow(body.url, POLL_FIRST_MS);
        });
      })
      .catch(function () {
        fail("The server could not be reached; check the connection and try again.");
      });
  }

  // --- the summary -----------------------------------------------------------------------------

  // The summary's statements, each with its own citations (each citation names the index of the
  // statement it backs); as document_views.summary_statements.
  function statements(texts, citations) {
    var result = (texts || []).map(function (text) { return { text: text, citations: [] }; });
    (citations || []).forEach(function (c) {
      var index = c.statement;
      if (typeof index === "number" && index >= 0 && index < result.length) result[index].citations.push(c);
    });
    result.forEach(function (s) {
      s.verified = s.citations.length > 0 && s.citations.every(function (c) { return c.verified; });
    });
    return result;
  }

  function unverifiedLabel() {
    return el("span", { "class": "verification", text: "unverified" });
  }

  function summarySource(citation, base) {
    if (citation.document && citation.page) {
      var link = el("a", {
        "class": "citation" + (citation.verified ? "" : " citation-unverified"),
        href: passageUrl(base, citation.page, citation.char_start, citation.char_end)
      }, ["[" + citation.marker + "] page " + citation.page]);
      if (!citation.verified) {
        link.appendChild(document.createTextNode(" "));
        link.appendChild(unverifiedLabel());
      }
      return el("span", { "class": "source" }, [link, " ", el("q", { "class": "quote", text: citation.quote || "" })]);
    }
    return el("span", { "class": "source" }, [
      el("span", { "class": "citation citation-unverified" }, [
        "[" + citation.marker + "] ", unverifiedLabel(), ": " + (citation.reason || "no passage")
      ])
    ]);
  }

  function renderSummary(container, result, base) {
    var list = el("ol", { "class": "statements", "aria-label": "Statements of the summary" });
    var items = statements(result.statements || [], result.citations || []);
    items.forEach(function (s) {
      var li = el("li", { "class": "statement" + (s.verified ? "" : " statement-unverified") }, [
        el("span", { "class": "statement-text", text: s.text })
      ]);
      if (s.citations.length) {
        s.citations.forEach(function (c) { li.appendChild(document.createTextNode(" ")); li.appendChild(summarySource(c, base)); });
      } else {
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", { "class": "source" }, [
          el("span", { "class": "citation-unverified" }, [unverifiedLabel(), ": no passage of the document is cited"])
        ]));
      }
      list.appendChild(li);
    });
    if (!items.length) list.appendChild(el("li", { text: "The summary is empty." }));
    var coverage = result.coverage || {};
    var total = coverage.pages_total || 0;
    var words = "Covers " + (coverage.pages_covered || 0) + " of " + total + " page" + (total === 1 ? "" : "s") +
      (result.method ? " (" + result.method + ")" : "") + (result.model ? "; written by " + result.model : "") + ".";
    var nodes = [list, el("p", { "class": "muted coverage", text: words })];
    if (result.routing && result.routing.explanation) {
      nodes.push(el("p", { "class": "muted routing", text: result.routing.explanation }));
    }
    if (result.warnings && result.warnings.length) {
      nodes.push(el("ul", { "class": "warnings", "aria-label": "Warnings about the summary" },
        result.warnings.map(function (w) { return el("li", {}, [el("strong", { text: "Warning:" }), " " + w]); })));
    }
    container.textContent = "";
    nodes.forEach(function (n) { container.appendChild(n); });
  }

  var summarySection = document.getElementById("summary");
  var summaryForm = document.getElementById("summary-form");
  if (summarySection && summaryForm) {
    summaryForm.hidden = false;
    summaryForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var container = document.getElementById("summary-result");
      runJob({
        section: summarySection,
        form: summaryForm,
        url: summarySection.getAttribute("data-summary-url"),
        payload: { async: true },
        progress: document.getElementById("summary-progress"),
        error: document.getElementById("summary-error"),
        words: {
          queued: "Waiting for a worker to start the summary…",
          running: "Summarising the document; this can take a minute…",
          done: "The summary is ready."
        },
        onResult: function (result) {
          renderSummary(container, result, summarySection.getAttribute("data-document-url"));
          summaryForm.hidden = true; // the summary now exists
          container.setAttribute("tabindex", "-1");
          container.focus();
        }
      });
    });
  }

  // --- extracted fields ------------------------------------------------------------------------

  // verified, not found (the model found the document does not state it) or not verified (a
  // value that could not be trusted, or no usable answer); as document_views.field_status.
  var NOT_STATED = "not stated in the document"; // extraction.verify_field's reason

  function fieldStatus(field) {
    if (field.verified) return "verified";
    if ((field.value === null || field.value === undefined) && field.reason === NOT_STATED) return "not found";
    return "not verified";
  }

  function valueText(value) {
    if (value === null || value === undefined || value === "") return "\u2014";
    if (Array.isArray(value)) return value.length ? value.join("; ") : "\u2014";
    return String(value);
  }

  // Field names in the schema's order (a stored result's keys come back in jsonb's order).
  function inSchemaOrder(schema, fields) {
    var node = document.getElementById("schema-fields");
    var order = node ? (JSON.parse(node.textContent)[schema] || []) : [];
    var known = order.filter(function (name) { return Object.prototype.hasOwnProperty.call(fields, name); });
    return known.concat(Object.keys(fields).filter(function (name) { return known.indexOf(name) === -1; }));
  }

  function renderFields(container, result, base) {
    var rows = inSchemaOrder(result.schema, result.fields || {}).map(function (name) {
      var field = result.fields[name];
      var status = fieldStatus(field);
      var source = field.page
        ? [el("a", { "class": "citation", href: passageUrl(base, field.page, field.char_start, field.char_end), text: "page " + field.page })]
        : ["\u2014"];
      if (field.page && field.quote) source.push(" ", el("q", { "class": "quote", text: field.quote }));
      var statusCell = [el("span", { "class": "field-status field-status-" + status.replace(/ /g, "-"), text: status })];
      if (field.reason) {
        statusCell.push(" ", el("span", { "class": "help", text: field.reason.charAt(0).toUpperCase() + field.reason.slice(1) }));
      }
      return el("tr", { "class": "field", "data-field": name }, [
        el("th", { scope: "row", text: humanName(name) }),
        el("td", { "class": "field-value", text: valueText(field.value) }),
        el("td", { "class": "field-source" }, source),
        el("td", {}, statusCell)
      ]);
    });
    var caption = "Fields extracted with the " + humanName(result.schema) + " schema" +
      (result.model ? " by " + result.model : "") + ", just now";
    var table = el("table", { "class": "fields-table" }, [
      el("caption", { text: caption }),
      el("thead", {}, [el("tr", {}, ["Field", "Value", "Source", "Status"].map(function (h) {
        return el("th", { scope: "col", text: h });
      }))]),
      el("tbody", {}, rows)
    ]);
    container.textContent = "";
    container.appendChild(el("div", { "class": "table-scroll" }, [table]));
  }

  var fieldsSection = document.getElementById("fields");
  var fieldsForm = document.getElementById("fields-form");
  if (fieldsSection && fieldsForm) {
    fieldsForm.hidden = false;
    fieldsForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var container = document.getElementById("fields-result");
      var schema = fieldsForm.querySelector('select[name="schema"]').value;
      runJob({
        section: fieldsSection,
        form: fieldsForm,
        url: fieldsSection.getAttribute("data-extract-url"),
        payload: { schema: schema, async: true },
        progress: document.getElementById("fields-progress"),
        error: document.getElementById("fields-error"),
        words: {
          queued: "Waiting for a worker to start the extraction…",
          running: "Extracting fields; each one is checked against the document…",
          done: "The fields are extracted."
        },
        onResult: function (result) {
          renderFields(container, result, fieldsSection.getAttribute("data-document-url"));
          container.setAttribute("tabindex", "-1");
          container.focus();
        }
      });
    });
  }
})();
