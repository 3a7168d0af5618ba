/* Small behaviours for server-rendered pages. No inline scripts: the CSP forbids them. */
(function () {
  "use strict";

  // Jalali date picker on Persian date inputs (loaded only when the page is in Persian).
  if (window.jalaliDatepicker) {
    window.jalaliDatepicker.startWatch({
      persianDigits: true,
      autoReadOnlyInput: false,
      zIndex: 2000,
      showTodayBtn: true,
      showEmptyBtn: true,
    });
  }

  // Filter forms: a changed select submits the form.
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.requestSubmit(); });
  });

  // Buttons that ask before they act (archive, restore, stage moves).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
