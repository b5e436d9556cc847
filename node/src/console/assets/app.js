// Cordon console: live updates, checks as typed, attachments. No inline script (the
// Content-Security-Policy forbids it); everything from the server is set as text.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // Language picker and other selects that submit their form.
  $all("[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });

  // Live updates.
  var page = document.body ? document.body.getAttribute("data-page") : null;
  if (page && window.EventSource) {
    var inbox = $("#inbox-page[data-live='1'] #inbox tbody");
    var receiptsLive = $("[data-live-receipts]");
    var reloadTimer = null;
    var es = new EventSource("/events");
    es.addEventListener("message", function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (inbox) {
        if (inbox.querySelector("tr[data-id='" + m.id + "']")) { return; }
        var tr = el("tr", "unread " + m.priority);
        tr.setAttribute("data-id", m.id);
        tr.setAttribute("data-seq", String(m.seq));
        var prio = el("td"); prio.appendChild(el("span", "badge prio-" + m.priority, m.priority_label));
        tr.appendChild(prio);
        tr.appendChild(el("td", "", m.kind));
        var title = el("td", "title"); var a = el("a", "", m.title); a.href = "/m/" + m.id; title.appendChild(a);
        tr.appendChild(title);
        tr.appendChild(el("td", "", m.sender));
        tr.appendChild(el("td", "", m.operation));
        tr.appendChild(el("td", "", m.received));
        tr.appendChild(el("td", ""));
        inbox.insertBefore(tr, inbox.firstChild);
        var empty = $("#empty"); if (empty) { empty.remove(); }
      }
      var status = $("#live-status");
      if (status) {
        status.textContent = "";
        var link = el("a", "", "\u2709 " + m.title); link.href = "/m/" + m.id;
        status.appendChild(link);
        status.className = "show " + m.priority;
      }
    });
    es.addEventListener("receipt", function (ev) {
      if (!receiptsLive) { return; }
      var n = null;
      try { n = JSON.parse(ev.data).n; } catch (e) { n = null; }
      if (String(n) === receiptsLive.getAttribute("data-live-receipts")) { return; }
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(function () { window.location.reload(); }, 300);
    });
  }

  // Compose: check as typed, attachments.
  var compose = $("#compose");
  if (compose) {
    var timer = null;
    var check = function () {
      var data = new FormData(compose);
      var params = new URLSearchParams();
      data.forEach(function (v, k) { if (k.indexOf("att_") !== 0 && typeof v === "string") { params.append(k, v); } });
      fetch("/compose/check", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: params.toString(),
        credentials: "same-origin"
      }).then(function (r) { return r.ok ? r.json() : []; }).then(function (errors) {
        var touched = {};
        $all("[data-check]", compose).forEach(function (f) { if (f.value !== "") { touched[f.name] = true; } });
        $all(".field-error", compose).forEach(function (p) {
          if (p.id !== "err-attachments" && p.id !== "err-to") { p.textContent = ""; }
        });
        errors.forEach(function (e) {
          // Only fields the officer has filled in: an empty form is not an error yet.
          if (!touched[e.field]) { return; }
          var p = document.getElementById("err-" + e.field.replace(/\./g, "-"));
          if (p) { p.textContent = e.message; }
        });
      }).catch(function () {});
    };
    compose.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 350); });
    compose.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(check, 50); });

    var files = $("#f-files");
    if (files) {
      var max = parseInt(compose.getAttribute("data-max-bytes") || "0", 10);
      files.addEventListener("change", function () {
        var box = $("#attached"); box.textContent = "";
        var err = $("#err-attachments"); err.textContent = "";
        var total = 0;
        Array.prototype.forEach.call(files.files, function (f) { total += f.size; });
        if (max && total > max) { err.textContent = "> " + Math.round(max / 1048576) + " MiB"; return; }
        Array.prototype.forEach.call(files.files, function (f) {
          var reader = new FileReader();
          reader.onload = function () {
            var s = String(reader.result); var data = s.substring(s.indexOf(",") + 1);
            [["att_name", f.name], ["att_type", f.type || "application/octet-stream"], ["att_data", data]].forEach(function (kv) {
              var i = document.createElement("input"); i.type = "hidden"; i.name = kv[0]; i.value = kv[1]; box.appendChild(i);
            });
            box.appendChild(el("div", "file", f.name + " (" + Math.max(1, Math.round(f.size / 1024)) + " KiB)"));
          };
          reader.readAsDataURL(f);
        });
      });
    }
  }
})();
