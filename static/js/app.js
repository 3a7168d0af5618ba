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

  // Pickers that search the server as the user types (partners among thousands). The server
  // normalises Persian and Arabic letters, so its answers are shown as they come, unfiltered.
  if (window.TomSelect) {
    document.querySelectorAll("select[data-lookup]").forEach(function (select) {
      var url = select.dataset.lookup;
      var picker = new window.TomSelect(select, {
        valueField: "value",
        labelField: "text",
        searchField: [],
        maxOptions: 20,
        loadThrottle: 250,
        placeholder: select.dataset.placeholder,
        plugins: select.multiple
          ? { remove_button: { title: select.dataset.removeLabel, html: removeButton } }
          : { clear_button: { title: select.dataset.clearLabel, html: clearButton } },
        score: function () { return function () { return 1; }; },
        shouldLoad: function (query) { return query.length > 0; },
        load: function (query, callback) {
          fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
            .then(function (response) { return response.json(); })
            .then(callback)
            .catch(function () { callback(); });
        },
        render: {
          option: function (item, escape) {
            var detail = item.detail ? "<small class=\"text-body-secondary d-block\">" +
              escape(item.detail) + "</small>" : "";
            return "<div>" + escape(item.text) + detail + "</div>";
          },
          no_results: function (data, escape) {
            return "<div class=\"no-results\">" + escape(select.dataset.noResults) + "</div>";
          },
        },
      });
      speakThroughPicker(select, picker.control_input);
    });
  }

  // The picker's buttons, named in the page's language ("×" alone is no name).
  function clearButton(data) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = data.className;
    button.title = data.title;
    button.setAttribute("aria-label", data.title);
    button.innerHTML = "<span aria-hidden=\"true\">&times;</span>";
    return button;
  }

  function removeButton(data) {
    var button = document.createElement("span");
    button.className = data.className;
    button.title = data.title;
    button.setAttribute("role", "button");
    button.setAttribute("aria-label", data.title);
    button.tabIndex = -1;
    button.innerHTML = "<span aria-hidden=\"true\">&times;</span>";
    return button;
  }

  // The hidden select behind a picker keeps the form's value only: the help text and the error
  // go to the box the user types in, and the select leaves the accessibility tree (still named
  // by the field's label, for tools that look at it anyway).
  function speakThroughPicker(select, input) {
    ["aria-describedby", "aria-invalid"].forEach(function (name) {
      if (select.hasAttribute(name)) {
        input.setAttribute(name, select.getAttribute(name));
        select.removeAttribute(name);
      }
    });
    var label = document.querySelector("label[for=\"" + input.id + "\"]");
    if (label) { select.setAttribute("aria-labelledby", label.id); }
    select.setAttribute("aria-hidden", "true");
  }

  // A select whose choice changes other parts of its form (the activity's partner: its
  // contacts and agreements) presses the form's refresh button, which keeps what was typed.
  document.querySelectorAll("select[data-refresh-with]").forEach(function (select) {
    select.addEventListener("change", function () {
      var button = document.getElementById(select.dataset.refreshWith);
      if (button) { button.click(); }
    });
  });

  // A file chooser in the page's language: the native button speaks the browser's, so it is
  // hidden (still focusable) behind a translated label; this shows the chosen file's name.
  document.querySelectorAll("input[type=file][data-file-name]").forEach(function (input) {
    var name = document.getElementById(input.dataset.fileName);
    var none = name.textContent;
    input.addEventListener("change", function () {
      var files = Array.prototype.map.call(input.files, function (file) { return file.name; });
      name.textContent = files.length ? files.join(", ") : none;
    });
  });

  // Buttons that ask before they act (archive, restore, stage moves).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var chosen = event.target.querySelector("option[data-confirm]:checked");
    var message =
      (button && button.dataset.confirm) ||
      event.target.dataset.confirm ||
      (chosen && chosen.dataset.confirm);
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
