// Progressive enhancement of the attempt page: the page works without it (answers are saved on every page
// change). With it, answers are also saved a moment after each change and every few seconds, a lost connection
// is retried, a second tab is detected, and the remaining time is shown and announced at sensible moments.
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById("autosave-status");
  var seqField = form.querySelector("input[name=seq]");
  var dirty = false, saving = false, stopped = false, timer = null;
  var every = Math.max(5, parseInt(form.dataset.autosaveSeconds || "20", 10)) * 1000;

  function say(text) { if (status) { status.textContent = text; } }

  function save() {
    if (!dirty || saving || stopped) { return; }
    saving = true; dirty = false;
    var body = new FormData(form);
    body.delete("go");
    fetch(form.dataset.autosaveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": body.get("csrf_token") || "", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      saving = false;
      if (result.status === 200) {
        seqField.value = result.data.seq;
        say(form.dataset.msgSaved + " " + new Date().toLocaleTimeString(document.documentElement.lang || undefined));  // the page's language, not the browser's
      } else if (result.status === 409 || result.status === 410) {
        stopped = true;
        say(result.data.error.message);
        if (result.status === 410) { window.location.reload(); }
      } else { dirty = true; say(form.dataset.msgOffline); }
    }).catch(function () { saving = false; dirty = true; say(form.dataset.msgOffline); });
  }

  function changed() { dirty = true; clearTimeout(timer); timer = setTimeout(save, 1500); }
  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  setInterval(save, every);
  window.addEventListener("online", save);
  // Page changes submit the form normally; nothing more to do then.
  form.addEventListener("submit", function () { stopped = true; });

  var box = document.getElementById("quiz-deadline");
  if (!box) { return; }
  var clock = document.getElementById("quiz-timer");
  var polite = document.getElementById("quiz-status-polite");
  var urgent = document.getElementById("quiz-status-urgent");
  var skew = Date.parse(box.dataset.serverNow) - Date.now();
  var deadline = Date.parse(box.dataset.deadline);
  // Announced once each, when the time left crosses them while the page is open: ten and five minutes politely,
  // the last minute and the end assertively. The visible clock (role=timer) is never read out by itself.
  var moments = [
    { at: 600, region: polite, text: form.dataset.msgTen },
    { at: 300, region: polite, text: form.dataset.msgWarning },
    { at: 60, region: urgent, text: form.dataset.msgLast },
    { at: 0, region: urgent, text: form.dataset.msgTimeup }
  ];
  function secondsLeft() { return Math.max(0, Math.round((deadline - (Date.now() + skew)) / 1000)); }
  // A moment already well past when the page opens (after a page change) is not announced again.
  var opened = secondsLeft();
  moments.forEach(function (m) { m.done = opened < m.at - 5; });
  function tick() {
    var left = secondsLeft();
    var minutes = Math.floor(left / 60), seconds = left % 60;
    clock.textContent = " " + (form.dataset.msgLeft || "") + " " + minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    moments.forEach(function (m) {
      if (!m.done && left <= m.at) {
        m.done = true;
        if (m.region && m.text) { m.region.textContent = m.text; }
      }
    });
    if (left <= 60 && left > 0) { save(); }
    if (left === 0) {
      dirty = true; save();
      clearInterval(ticking);
    }
  }
  var ticking = setInterval(tick, 1000);
  tick();
})();
