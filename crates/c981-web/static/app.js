// Connect 981: progressive enhancement only. Every page works without this file; it adds
// the site switcher's navigation, auto-submitting filter selects, a confirmation before
// deletions, opening the delete panel, and "/" to jump to the search box. No inline
// handlers anywhere (the Content-Security-Policy forbids them).
// It sends no request of its own: forms carry the session's CSRF token (`_csrf`). A future
// fetch() that changes data must send it as the `x-csrf-token` header, read from
// <meta name="csrf-token">.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function isField(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // Site switcher: go to the same section for the chosen site. Filter selects: apply at once.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (!el || !el.matches || !el.matches("select[data-autosubmit]") || !el.form) return;
    if (el.id === "site-switch") {
      var u = new URL(el.form.getAttribute("action") || "/", window.location.href);
      u.search = "";
      if (el.value) u.searchParams.set("site_id", el.value);
      window.location.assign(u.toString());
      return;
    }
    if (typeof el.form.requestSubmit === "function") {
      el.form.requestSubmit();
    } else {
      el.form.submit();
    }
  });

  // "Print" buttons of printable pages.
  document.addEventListener("click", function (e) {
    var el = e.target;
    if (el && el.matches && el.matches("[data-print]")) window.print();
  });

  // Deletions and other irreversible actions ask first.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var message = form && form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      e.preventDefault();
    }
  });

  // A link to a closed <details> (the "Delete…" button) opens it.
  function openTarget() {
    var el = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (el && el.tagName === "DETAILS") {
      el.open = true;
      el.scrollIntoView({ block: "center" });
    }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  // "/" focuses the search box of a list page.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || isField(e.target)) return;
    var q = document.querySelector("[data-search-key]");
    if (q) {
      e.preventDefault();
      q.focus();
      q.select();
    }
  });
})();
