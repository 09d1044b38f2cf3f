// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // The language switcher submits on change; its button stays for keyboard and no-script users.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
