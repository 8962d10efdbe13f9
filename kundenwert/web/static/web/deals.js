// The deal board (web/deals/board.html). Drag a card onto another column, or choose a stage on
// the card and press "Move": either way the move is sent with fetch to the card's own form
// action, and the server answers with the board as it now is — or, for a refused move, as it
// was, with the reason (a lost stage asks for its reason on the card). Without this script the
// same forms post and the page reloads; when an answer is no board (e.g. an expired session),
// the form is submitted the ordinary way, so the server's page explains.
(function () {
  "use strict";
  var dragged = null;

  function currentBoard() {
    return document.getElementById("board");
  }

  function focusAfterSwap(fresh, dealId) {
    var target =
      fresh.querySelector("[data-autofocus]") ||
      fresh.querySelector(".board-message[role='alert']") ||
      (dealId && fresh.querySelector("#deal-" + dealId + " select")) ||
      fresh.querySelector(".board-message");
    if (!target) {
      return;
    }
    if (target.tagName === "P") {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  function swap(html, dealId) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var fresh = holder.content.querySelector("#board");
    var board = currentBoard();
    if (!fresh || !board) {
      return false;
    }
    board.replaceWith(fresh);
    focusAfterSwap(fresh, dealId);
    return true;
  }

  function fallback(form, stageId) {
    if (stageId && form.elements.stage_id) {
      form.elements.stage_id.value = stageId;
    }
    form.submit();
  }

  function send(form, stageId) {
    var data = new FormData(form);
    if (stageId) {
      data.set("stage_id", stageId);
    }
    var card = form.closest(".deal-card");
    var dealId = card ? card.getAttribute("data-deal-id") : null;
    var board = currentBoard();
    if (board) {
      board.setAttribute("aria-busy", "true");
      board.classList.add("is-busy");
    }
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRFToken": data.get("csrfmiddlewaretoken") || "" },
    })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        if (!swap(html, dealId)) {
          fallback(form, stageId);
        }
      })
      .catch(function () {
        fallback(form, stageId);
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-board-move]")) {
      return;
    }
    event.preventDefault();
    send(form, null);
  });

  function columnOf(node) {
    return node && node.closest ? node.closest(".board-column") : null;
  }

  function clearTargets() {
    document.querySelectorAll(".board-column.is-target").forEach(function (column) {
      column.classList.remove("is-target");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest(".deal-card[draggable='true']") : null;
    if (!card) {
      return;
    }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-deal-id"));
    card.classList.add("is-dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("is-dragging");
    }
    dragged = null;
    clearTargets();
  });

  document.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column || column === columnOf(dragged)) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("is-target")) {
      clearTargets();
      column.classList.add("is-target");
    }
  });

  document.addEventListener("dragleave", function (event) {
    var column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) {
      column.classList.remove("is-target");
    }
  });

  document.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column || column === columnOf(dragged)) {
      return;
    }
    event.preventDefault();
    clearTargets();
    var form = dragged.querySelector("form[data-board-move]");
    var stageId = column.getAttribute("data-stage-id");
    dragged.classList.remove("is-dragging");
    dragged = null;
    if (form) {
      send(form, stageId);
    }
  });
})();
