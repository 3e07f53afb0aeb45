// The Ask page: sends the question to the REST API with "stream": true, shows the model's words
// as they arrive (NDJSON "delta" events, read with response.body.getReader()), then renders the
// final "answer" event in the same shape as templates/web/ask_answer.html: the answer or that
// the documents do not contain one, warnings, citations linked to their highlighted passages
// (unverified ones say so), and the context accounting. Without JavaScript the form posts to
// the page itself and the server renders the answer whole.
(function () {
  "use strict";

  var dp = window.docproc;
  var el = dp.el;
  var TOO_MANY = "Too many questions in a short time";

  var form = document.getElementById("ask-form");
  if (!form || !window.fetch || !window.TextDecoder || !window.ReadableStream) return;

  var question = document.getElementById("question");
  var submit = form.querySelector('button[type="submit"]');
  var statusLine = document.getElementById("ask-status");
  var errorBox = document.getElementById("ask-error");
  var stream = document.getElementById("answer-stream");
  var section = document.getElementById("answer");
  var apiUrl = form.getAttribute("data-api-url");
  var documentBase = form.getAttribute("data-document-url"); // the URL of document 0
  var namesNode = document.getElementById("document-names");
  var names = namesNode ? JSON.parse(namesNode.textContent) : {}; // id → filename

  // --- small DOM helpers ----------------------------------------------------------------------

  function documentUrl(id) {
    return documentBase.replace(/\/0\/$/, "/" + id + "/");
  }

  function passageUrl(id, page, start, end) {
    return dp.passageUrl(documentUrl(id), page, start, end);
  }

  function showError(text) {
    errorBox.textContent = "";
    if (text) errorBox.appendChild(el("p", { text: text }));
  }

  // --- errors in plain words ------------------------------------------------------------------

  // --- rendering the final answer -------------------------------------------------------------

  function citationItem(c) {
    var children = [];
    if (c.document && c.page) {
      var link = el("a", {
        "class": "citation" + (c.verified ? "" : " citation-unverified"),
        href: passageUrl(c.document, c.page, c.char_start, c.char_end)
      }, ["[" + c.marker + "] " + c.filename + ", page " + c.page]);
      if (!c.verified) link.append(" ", el("span", { "class": "verification", text: "unverified" }));
      link.append(" ", el("q", { "class": "quote", text: c.quote || "" }));
      children.push(link);
    } else {
      children.push(el("span", { "class": "citation citation-unverified" }, [
        "[" + c.marker + "] ", el("span", { "class": "verification", text: "unverified" })
      ]));
    }
    if (!c.verified && c.reason) {
      children.push(" ", el("span", { "class": "help", text: c.reason.charAt(0).toUpperCase() + c.reason.slice(1) + "." }));
    }
    return el("li", {}, children);
  }

  function pageList(label, refs) {
    return el("ul", { "class": "page-list", "aria-label": label }, refs.map(function (ref) {
      return el("li", {}, [el("a", {
        href: passageUrl(ref.document, ref.page, null, null),
        text: (ref.filename || names[ref.document] || "document") + ", page " + ref.page
      })]);
    }));
  }

  function accounting(context, routing) {
    context = context || {};
    routing = routing || {};
    var used = context.pages_used || [];
    var left = context.pages_left_out || [];
    var nodes = [el("h3", { id: "accounting-heading", text: "What the answer was built from" })];
    if (context.token_budget) {
      var tokens = context.tokens_used + " of the " + context.token_budget +
        " tokens of the budget for document text used" +
        (context.compression_ratio > 1 ? "; passages shortened " + context.compression_ratio + "\u00d7 to fit" : "") + ".";
      nodes.push(el("p", { "class": "tokens", text: tokens }));
    } else if (routing.reason === "no_model_available") {
      nodes.push(el("p", {
        "class": "tokens",
        text: "0 tokens used: no language model could be reached, so the quotes come straight from the passages the search found."
      }));
    } else {
      nodes.push(el("p", {
        "class": "tokens",
        text: "0 tokens used: the language model was not asked, because no passage matched the question closely enough."
      }));
    }
    nodes.push(el("p", { "class": "pages-used", text: "Pages used: " + used.length + "." }));
    if (used.length) nodes.push(pageList("Pages used", used));
    nodes.push(el("p", {
      "class": "pages-left-out",
      text: "Pages left out: " + left.length + (left.length ? " (found by the search but not given to the model)" : "") + "."
    }));
    if (left.length) nodes.push(pageList("Pages left out", left));
    return el("section", { id: "context-accounting", "class": "accounting", "aria-labelledby": "accounting-heading" }, nodes);
  }

  function renderAnswer(answer) {
    var nodes = [
      el("h2", { id: "answer-heading", tabindex: "-1", text: "Answer" }),
      el("p", { "class": "asked" }, [el("span", { "class": "muted", text: "Question:" }), " " + answer.question])
    ];
    if (answer.found) {
      nodes.push(el("p", { id: "answer-text", "class": "answer-text", text: answer.answer }));
    } else {
      nodes.push(el("p", { id: "not-found", "class": "not-found" }, [
        el("strong", { text: "Not in the documents:" }), " " + answer.answer
      ]));
    }
    if (answer.warnings && answer.warnings.length) {
      nodes.push(el("ul", { id: "answer-warnings", "class": "warnings", "aria-label": "Warnings about the answer" },
        answer.warnings.map(function (w) { return el("li", {}, [el("strong", { text: "Warning:" }), " " + w]); })));
    }
    if (answer.routing && answer.routing.explanation) {
      nodes.push(el("p", { id: "answer-routing", "class": "routing muted", text: answer.routing.explanation }));
    }
    if (answer.citations && answer.citations.length) {
      nodes.push(el("h3", { id: "citations-heading", text: "Sources" }));
      nodes.push(el("ol", { id: "citations", "class": "citations", "aria-labelledby": "citations-heading" },
        answer.citations.map(citationItem)));
    }
    nodes.push(accounting(answer.context, answer.routing));
    section.textContent = "";
    nodes.forEach(function (n) { section.appendChild(n); });
    section.hidden = false;
  }

  // --- asking ---------------------------------------------------------------------------------

  function selectedDocuments() {
    var boxes = form.querySelectorAll('input[name="documents"]:checked');
    return Array.prototype.map.call(boxes, function (box) { return parseInt(box.value, 10); });
  }

  var busy = false;

  function start() {
    busy = true;
    submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    showError("");
    stream.textContent = "";
    stream.classList.remove("answer-stream-set-aside");
    section.hidden = true;
    section.textContent = "";
    statusLine.textContent = "Asking: finding the passages that answer the question…";
  }

  function finish() {
    busy = false;
    submit.disabled = false;
    form.removeAttribute("aria-busy");
  }

  function fail(text) {
    statusLine.textContent = "";
    showError(text);
    finish();
  }

  // Handle one NDJSON event; true once the exchange is over (an answer or an error).
  function handle(event) {
    if (event.type === "delta") {
      if (!stream.textContent) statusLine.textContent = "The model is writing the answer…";
      stream.appendChild(document.createTextNode(event.text));
      return false;
    }
    if (event.type === "routing") {
      // Another model takes over (the first one's answer could not be verified, or it is
      // down): what was streamed so far is not the answer.
      stream.textContent = "";
      statusLine.textContent = event.text || "Another model is writing the answer…";
      return false;
    }
    if (event.type === "answer") {
      // Words the checked answer does not use (it quotes the documents instead, or says they
      // hold no answer) stay visible, labelled as set aside.
      if (event.method !== "generated") stream.classList.add("answer-stream-set-aside");
      renderAnswer(event);
      statusLine.textContent = event.found ? "The answer is ready." : "The documents do not contain an answer.";
      finish();
      var heading = document.getElementById("answer-heading");
      if (heading) heading.focus();
      return true;
    }
    if (event.type === "error") {
      fail(dp.errorWords(0, event, null, TOO_MANY));
      return true;
    }
    return false;
  }

  function read(response) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var over = false;

    function lines(text) {
      buffer += text;
      var parts = buffer.split("\n");
      buffer = parts.pop();
      parts.forEach(function (line) {
        if (over || !line.trim()) return;
        try {
          over = handle(JSON.parse(line));
        } catch (e) {
          over = true;
          fail("The answer arrived garbled; try again.");
        }
      });
    }

    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          lines(decoder.decode() + "\n");
          if (!over) fail("The answer stopped before it was complete; try again.");
          return;
        }
        lines(decoder.decode(chunk.value, { stream: true }));
        if (!over) return pump();
        reader.cancel().catch(function () {});
      });
    }

    return pump();
  }

  function ask() {
    var text = question.value.trim();
    if (!text) {
      showError("Write a question first.");
      question.focus();
      return;
    }
    var payload = { question: text, stream: true };
    var documents = selectedDocuments();
    if (documents.length) payload.documents = documents;
    start();
    fetch(apiUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/x-ndjson, application/json",
        "X-CSRFToken": dp.csrfToken()
      },
      body: JSON.stringify(payload)
    })
      .then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return null; }).then(function (body) {
            fail(dp.errorWords(response.status, body, response.headers.get("Retry-After"), TOO_MANY));
          });
        }
        return read(response);
      })
      .catch(function () {
        if (busy) fail("The connection was lost before the answer was complete; try again.");
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!busy) ask();
  });

  question.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (!busy) ask();
    }
  });
})();
