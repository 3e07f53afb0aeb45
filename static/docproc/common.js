// Helpers every page script shares, on window.docproc (loaded first by base.html): building DOM
// nodes, the CSRF token for the API, links to a highlighted passage, and the API's errors in
// plain words. No framework.
(function () {
  "use strict";

  var docproc = (window.docproc = window.docproc || {});

  // el("a", {href: "...", text: "..."}, [child, "text", ...]): an element; "text" sets its text.
  docproc.el = function (tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  };

  // The page's CSRF token (a {% csrf_token %} input, else the cookie), for the API's session auth.
  docproc.csrfToken = function () {
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    if (input && input.value) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  };

  // The document page at `base` (its URL) opened on `page`, with [start, end) highlighted.
  docproc.passageUrl = function (base, page, start, end) {
    if (start === null || start === undefined || end === null || end === undefined) {
      return base + "?page=" + page + "#page-" + page;
    }
    return base + "?page=" + page + "&start=" + start + "&end=" + end + "#passage";
  };

  // What went wrong, in plain words, from the status and the API's {"code", "detail"} body.
  docproc.errorWords = function (status, body, retryAfter, tooMany) {
    var code = body && body.code;
    var detail = body && body.detail;
    if (status === 429 || code === "throttled") {
      return (tooMany || "Too many requests in a short time") +
        (retryAfter ? "; try again in " + retryAfter + " seconds." : "; wait a moment and try again.");
    }
    // The server's words say why (refused, timed out) and are meant for people.
    if (code === "llm_unavailable" || status === 503) {
      return detail || "The language model is unavailable at the moment; try again shortly.";
    }
    if (code === "llm_bad_response" || status === 502) {
      return detail || "The language model returned something unusable; try again.";
    }
    if (status === 401) return "You are signed out; reload the page to sign in again.";
    if (status === 403 && detail && /CSRF/i.test(detail)) {
      return "Your session has changed; reload the page and try again.";
    }
    if (body && body.errors) {
      var messages = [];
      Object.keys(body.errors).forEach(function (field) {
        messages = messages.concat(body.errors[field]);
      });
      if (messages.length) return messages.join(" ");
    }
    return detail || "Something went wrong (HTTP " + status + "); try again.";
  };

  // A response's JSON body, or null when it has none.
  docproc.readJson = function (response) {
    return response.json().catch(function () { return null; });
  };
})();
