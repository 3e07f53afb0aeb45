// Drag-and-drop and multi-file upload for the matter page, with per-file progress. Files dropped
// on the drop zone or chosen in its file input are sent at once, one request per file (a few at
// a time) to the REST API, and each received document's row appears in the table straight away
// (through matter.js). Without this script the same form posts all files to the page instead.
//
// Each file is a <li data-filename="NAME" data-state="..."> in #upload-list with a <progress>
// and its state in words: "Waiting to upload", "Uploading 45%", "Received", "Already in this
// matter", "Too large: …" or "Failed: …".
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var zone = document.getElementById("drop-zone");
  var input = document.getElementById("upload-input");
  var list = document.getElementById("upload-list");
  if (!form || !zone || !input || !list || !window.FormData || !window.XMLHttpRequest) return;

  var PARALLEL = 3;
  var url = form.getAttribute("data-upload-url");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
  var queue = [];
  var running = 0;
  var batch = { received: 0, existing: 0, refused: 0 };

  // Choosing files uploads them, so the submit button and the "required" check are not needed.
  form.classList.add("is-enhanced");
  input.removeAttribute("required");
  var submit = document.getElementById("upload-submit");
  if (submit) submit.hidden = true;

  function shared() {
    return window.docproc || {};
  }

  // 104857600 → "104,857,600", as the server writes the limit.
  function grouped(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function setState(item, state, text, percent) {
    item.li.setAttribute("data-state", state);
    item.state.textContent = text;
    if (percent !== undefined) item.progress.value = percent;
  }

  function addItem(file) {
    var li = document.createElement("li");
    li.setAttribute("data-filename", file.name);
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", "Upload of " + file.name);
    var state = document.createElement("span");
    state.className = "upload-state";
    li.appendChild(name);
    li.appendChild(progress);
    li.appendChild(state);
    list.appendChild(li);
    return { file: file, li: li, progress: progress, state: state };
  }

  function enqueue(files) {
    Array.prototype.slice.call(files || []).forEach(function (file) {
      var item = addItem(file);
      if (maxBytes && file.size > maxBytes) {
        batch.refused += 1;
        setState(item, "too-large", "Too large: " + file.name + " is larger than the limit of " +
          grouped(maxBytes) + " bytes.");
        return;
      }
      setState(item, "waiting", "Waiting to upload", 0);
      queue.push(item);
    });
    pump();
    finishBatchIfIdle();
  }

  function pump() {
    while (running < PARALLEL && queue.length) {
      running += 1;
      send(queue.shift());
    }
  }

  function detailOf(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      return { body: body, detail: body && body.detail };
    } catch (error) {
      return { body: null, detail: "" };
    }
  }

  function finish(item, xhr) {
    var answer = detailOf(xhr);
    var status = xhr.status;
    if (status === 201 || status === 200) {
      var created = status === 201;
      batch[created ? "received" : "existing"] += 1;
      setState(item, created ? "received" : "existing",
        created ? "Received" : "Already in this matter", 100);
      var documents = shared().documents;
      if (documents && answer.body) {
        documents.upsert(answer.body);
        documents.refresh();
      }
      return;
    }
    batch.refused += 1;
    if (status === 413) {
      setState(item, "too-large", "Too large: " + (answer.detail || item.file.name +
        " is larger than the limit."));
    } else if (status === 401) {
      setState(item, "failed", "Failed: you are signed out. Sign in again and upload it again.");
    } else {
      setState(item, "failed", "Failed: " + (answer.detail || "the server answered with error " +
        status + "."));
    }
  }

  function send(item) {
    var xhr = new XMLHttpRequest();
    var body = new FormData();
    body.append("file", item.file, item.file.name);
    setState(item, "uploading", "Uploading 0%", 0);
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable || !event.total) return;
      var percent = Math.min(100, Math.floor((event.loaded / event.total) * 100));
      setState(item, "uploading", "Uploading " + percent + "%", percent);
    });
    function done(fn) {
      return function () {
        fn();
        running -= 1;
        pump();
        finishBatchIfIdle();
      };
    }
    xhr.addEventListener("load", done(function () { finish(item, xhr); }));
    xhr.addEventListener("error", done(function () {
      batch.refused += 1;
      setState(item, "failed", "Failed: the connection was lost before the upload finished.");
    }));
    xhr.addEventListener("abort", done(function () {
      batch.refused += 1;
      setState(item, "failed", "Failed: the upload was cancelled.");
    }));
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", window.docproc.csrfToken());
    xhr.send(body);
  }

  // One sentence for screen readers when a batch is over (the list itself is not live: its
  // percentages would be read out one by one).
  function finishBatchIfIdle() {
    if (running || queue.length) return;
    var total = batch.received + batch.existing + batch.refused;
    if (!total) return;
    var parts = [];
    if (batch.received) parts.push(batch.received + " received");
    if (batch.existing) parts.push(batch.existing + " already in this matter");
    if (batch.refused) parts.push(batch.refused + " not uploaded");
    batch = { received: 0, existing: 0, refused: 0 };
    if (shared().announce) {
      shared().announce("Uploads finished: " + parts.join(", ") + ". Details are in the upload list.");
    }
  }

  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files || []);
    input.value = ""; // so that choosing the same file again is noticed
    enqueue(files);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var files = Array.prototype.slice.call(input.files || []);
    input.value = "";
    enqueue(files);
  });

  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("is-dragging");
    });
  });
  zone.addEventListener("dragleave", function (event) {
    if (!event.relatedTarget || !zone.contains(event.relatedTarget)) {
      zone.classList.remove("is-dragging");
    }
  });
  zone.addEventListener("drop", function (event) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    zone.classList.remove("is-dragging");
    enqueue(event.dataTransfer.files);
  });

  // A file dropped just beside the zone must not make the browser open it and leave the page.
  ["dragover", "drop"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (hasFiles(event) && !zone.contains(event.target)) {
        event.preventDefault();
        if (name === "dragover") event.dataTransfer.dropEffect = "none";
      }
    });
  });
})();
