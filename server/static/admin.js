// eDangwu admin: page behaviours declared with data attributes, never with inline handlers.
//
// The Content-Security-Policy runs script files from this site only, so templates carry no JavaScript
// at all; a name typed by a user can never become code. Behaviours:
//   data-confirm="…"    on a form, a submit button or a link: ask first, go on only on 确定.
//                       The text is shown as it is (it may contain a user's name; it is never parsed).
//   data-print          on a button: open the browser's print dialog.
//   data-history-back   on a link: go back a page when there is one, else follow the link.
// Listening on the document covers content htmx swaps in later (the member list's table).
"use strict";

function confirmed(message) {
  return message === undefined || window.confirm(message);
}

// Capture phase: decide before htmx or any other listener on the element acts on the event.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    const message = event.submitter?.dataset.confirm ?? form.dataset.confirm;
    if (!confirmed(message)) {
      event.preventDefault();
      event.stopPropagation();
    }
  },
  true,
);

document.addEventListener(
  "click",
  (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const link = target?.closest("a[data-confirm]");
    if (link && !confirmed(link.dataset.confirm)) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    if (target?.closest("[data-print]")) {
      window.print();
    }
    if (target?.closest("a[data-history-back]") && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  },
  true,
);
