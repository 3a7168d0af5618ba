/* The pipeline board, with a script: drag a card onto another column to open its "move to"
   form there with that stage chosen (the note and the confirmation stay with the form). The
   form itself works without this script and from the keyboard. */
(function () {
  "use strict";
  var board = document.querySelector("[data-board]");
  if (!board) {
    return;
  }
  var dragged = null;
  board.querySelectorAll(".board-card").forEach(function (card) {
    if (!card.querySelector("form select[name=stage]")) {
      return;
    }
    card.setAttribute("draggable", "true");
    card.addEventListener("dragstart", function (event) {
      dragged = card;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.agreement);
    });
    card.addEventListener("dragend", function () {
      dragged = null;
    });
  });
  function target(column) {
    if (!dragged) {
      return null;
    }
    var select = dragged.querySelector("select[name=stage]");
    return select.querySelector('option[value="' + column.dataset.stage + '"]') ? select : null;
  }
  board.querySelectorAll(".board-column").forEach(function (column) {
    column.addEventListener("dragover", function (event) {
      if (target(column)) {
        event.preventDefault();
        column.classList.add("is-drop-target");
      }
    });
    column.addEventListener("dragleave", function () {
      column.classList.remove("is-drop-target");
    });
    column.addEventListener("drop", function (event) {
      column.classList.remove("is-drop-target");
      var select = target(column);
      if (!select) {
        return;
      }
      event.preventDefault();
      select.value = column.dataset.stage;
      var details = dragged.querySelector("details");
      details.open = true;
      dragged.querySelector("textarea[name=note]").focus();
    });
  });
})();
