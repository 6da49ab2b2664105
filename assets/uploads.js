/* Chunked uploads: a chosen file goes to the server in pieces of a few MB (PUT /api/uploads/<token>),
   with a progress bar and Cancel; the finished upload's handle is handed to Dash with set_props. */
(function () {
  "use strict";
  const TARGETS = {
    "upload-vectors-file": {store: "staged-vectors", label: "upload-vectors-name", bar: "upload-vectors-progress"},
    "upload-metadata-file": {store: "staged-metadata", label: "upload-metadata-name", bar: "upload-metadata-progress"},
    "upload-sprite-file": {store: "staged-sprite", label: "upload-sprite-name", bar: "upload-sprite-progress"},
  };
  const running = {};

  function say(cfg, text) {
    window.dash_clientside.set_props(cfg.label, {children: text});
  }

  async function answer(response) {
    let body = {};
    try { body = await response.json(); } catch (e) { body = {}; }
    if (!response.ok) { throw new Error(body.error || ("the server answered " + response.status + "; try again.")); }
    return body;
  }

  async function send(file, cfg, key) {
    const bar = document.getElementById(cfg.bar);
    const job = {abort: new AbortController(), token: null};
    running[key] = job;
    window.dash_clientside.set_props(cfg.store, {data: null});
    try {
      const begun = await answer(await fetch("api/uploads", {method: "POST", signal: job.abort.signal,
        headers: {"Content-Type": "application/json"}, body: JSON.stringify({filename: file.name, size: file.size})}));
      job.token = begun.token;
      for (let offset = 0; offset < file.size; offset += begun.chunk) {
        const piece = file.slice(offset, Math.min(file.size, offset + begun.chunk));
        await answer(await fetch("api/uploads/" + job.token + "?offset=" + offset,
          {method: "PUT", body: piece, signal: job.abort.signal}));
        const done = Math.min(file.size, offset + begun.chunk);
        if (bar) { bar.max = file.size; bar.value = done; }
        say(cfg, file.name + ": " + (100 * done / file.size).toFixed(0) + "% of " + (file.size / 1e6).toFixed(1) + " MB");
      }
      const handle = await answer(await fetch("api/uploads/" + job.token + "/finish", {method: "POST", signal: job.abort.signal}));
      window.dash_clientside.set_props(cfg.store, {data: handle});
      say(cfg, file.name + " (" + (file.size / 1e6).toFixed(1) + " MB) ready");
    } catch (err) {
      if (job.token) { fetch("api/uploads/" + job.token, {method: "DELETE"}); }
      if (bar) { bar.value = 0; }
      say(cfg, job.abort.signal.aborted ? "Upload cancelled; nothing was kept." : String(err.message || err));
    } finally {
      delete running[key];
    }
  }

  // Dash has no file-input component: put a plain <input type=file> into each slot the layout leaves.
  function fillSlots() {
    document.querySelectorAll(".file-slot[data-input-id]").forEach(function (slot) {
      const id = slot.getAttribute("data-input-id");
      if (!document.getElementById(id)) {
        const input = document.createElement("input");
        input.type = "file";
        input.id = id;
        input.className = "file";
        slot.appendChild(input);
      }
    });
  }
  new MutationObserver(fillSlots).observe(document.documentElement, {childList: true, subtree: true});

  document.addEventListener("change", function (ev) {
    const cfg = TARGETS[ev.target && ev.target.id];
    if (!cfg || !ev.target.files || !ev.target.files.length) { return; }
    if (running[ev.target.id]) { running[ev.target.id].abort.abort(); }
    send(ev.target.files[0], cfg, ev.target.id);
    ev.target.value = "";  // choosing the same file again starts again
  });

  document.addEventListener("click", function (ev) {
    if (!ev.target || ev.target.id !== "upload-cancel") { return; }
    Object.values(running).forEach(function (job) { job.abort.abort(); });
  });

  // A bookmark file travels inside a callback: one larger than the server reads is refused here, with a
  // sentence, before the browser encodes it (dcc.Upload alone would drop it without a word).
  const BOOKMARK_MAX = 64 * 1024 * 1024;
  function bookmarkTooBig(ev, files) {
    const box = ev.target && ev.target.closest ? ev.target.closest("#bookmark-file") : null;
    const file = box && files && files.length ? files[0] : null;
    if (!file || file.size <= BOOKMARK_MAX) { return false; }
    ev.stopPropagation();
    ev.preventDefault();
    window.dash_clientside.set_props("bookmark-message", {className: "message error",
      children: file.name + " is " + (file.size / 2 ** 20).toFixed(0) + " MB; bookmark files are at most 64 MB. " +
                "Is it the right file?"});
    return true;
  }
  document.addEventListener("change", function (ev) {
    if (bookmarkTooBig(ev, ev.target && ev.target.files)) { ev.target.value = ""; }
  }, true);
  document.addEventListener("drop", function (ev) {
    bookmarkTooBig(ev, ev.dataTransfer && ev.dataTransfer.files);
  }, true);

  // A <details> opened or closed by hand tells Dash, so Load can fold the upload box away again.
  document.addEventListener("toggle", function (ev) {
    if (ev.target && ev.target.id === "upload-box") {
      window.dash_clientside.set_props("upload-box", {open: ev.target.open});
    }
  }, true);
})();
