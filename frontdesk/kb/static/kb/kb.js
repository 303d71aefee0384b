/* Frontdesk knowledge base, agents' side: insert an article link into the ticket's reply
 * (or note) where the caret was, copy a file's Markdown, jump to the article search.
 * Loaded by the KB editor pages and the ticket page's composer; plain ES2020, no build step.
 */
(function () {
  "use strict";

  if (window.frontdeskKb) return; // included twice on one page: one set of listeners
  window.frontdeskKb = true;

  // Where the caret was in each composer textarea when it lost focus (the search field takes it).
  const carets = new WeakMap();

  document.addEventListener("focusout", function (event) {
    const target = event.target;
    if (target instanceof HTMLTextAreaElement && target.closest("#ticket-composer")) {
      carets.set(target, [target.selectionStart, target.selectionEnd]);
    }
  });

  function composerTextarea() {
    const composer = document.getElementById("ticket-composer");
    if (!composer) return null;
    const mode = composer.dataset.mode || "reply";
    return composer.querySelector(".composer-" + mode + " textarea") || composer.querySelector("textarea");
  }

  function insertAtCaret(textarea, text) {
    const value = textarea.value;
    const [start, end] = carets.get(textarea) || [value.length, value.length];
    const before = value.slice(0, start);
    const after = value.slice(end);
    const lead = before && !/\s$/.test(before) ? "\n" : "";
    const trail = after && !/^\s/.test(after) ? "\n" : "";
    textarea.value = before + lead + text + trail + after;
    const caret = (before + lead + text).length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    carets.set(textarea, [caret, caret]);
    // The composer's own listeners (typing indicator, drafts) see the change like typing.
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function announce(element, text) {
    const region = document.querySelector("[data-kb-announce]");
    if (region) region.textContent = text;
    if (element) {
      const label = element.textContent;
      element.textContent = text;
      setTimeout(function () { element.textContent = label; }, 1500);
    }
  }

  document.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;

    const insert = target.closest("[data-kb-insert]");
    if (insert) {
      const textarea = composerTextarea();
      const text = insert.getAttribute("data-kb-insert");
      if (textarea && !textarea.disabled) {
        insertAtCaret(textarea, text);
        announce(insert, insert.getAttribute("data-inserted") || "✓");
      } else if (navigator.clipboard) {
        navigator.clipboard.writeText(text);
      }
      return;
    }

    const copy = target.closest("[data-kb-copy]");
    if (copy) {
      const field = copy.parentElement && copy.parentElement.querySelector("[data-kb-snippet]");
      if (!field) return;
      field.select();
      const done = function () { announce(copy, copy.getAttribute("data-copied") || "✓"); };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(field.value).then(done, function () {});
      } else {
        done();
      }
      return;
    }

    const focus = target.closest("[data-kb-focus]");
    if (focus) {
      const field = document.getElementById((focus.getAttribute("href") || "").slice(1));
      if (field) {
        event.preventDefault();
        field.scrollIntoView({ block: "nearest" });
        field.focus();
      }
    }
  });
})();
