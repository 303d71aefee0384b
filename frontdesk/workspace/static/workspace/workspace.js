/* Frontdesk agent workspace: live updates (inbox, ticket, team dashboard, shift bar,
 * notification bell), SLA countdowns, collision warning, keyboard shortcuts.
 *
 * The server pushes only ids and field names over /ws/workspace/; this script
 * re-fetches what the page shows through the ordinary (permission-checked)
 * views, with htmx. No build step: plain ES2020.
 */
(function () {
  "use strict";

  const body = document.body;
  const agentId = Number(body.dataset.agentId || 0);
  const ticketId = Number(body.dataset.ticketId || 0);
  const cardAgentId = Number(body.dataset.cardAgentId || 0);
  const TYPING_SEND_EVERY_MS = 2500;
  const TYPING_SHOWN_FOR_MS = 6000;
  const OWN_CHANGE_WINDOW_MS = 4000;
  const DASHBOARD_EVERY_MS = 1000;

  // --- small things every page has -------------------------------------------------

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target instanceof HTMLElement && target.matches("[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });

  const navToggle = document.querySelector("[data-nav-toggle]");
  if (navToggle) {
    navToggle.addEventListener("click", function () {
      body.classList.toggle("nav-open");
    });
  }

  if (body.classList.contains("page-inbox")) {
    sessionStorage.setItem("frontdesk:last-inbox", location.pathname + location.search);
  }

  // Filter forms send only the filters that are set: shorter, shareable URLs.
  document.addEventListener("htmx:configRequest", function (event) {
    const elt = event.detail.elt;
    if (elt instanceof HTMLElement && elt.matches("[data-filters]")) {
      const parameters = event.detail.parameters;
      const empty = [];
      if (parameters instanceof FormData) {
        parameters.forEach(function (value, key) { if (value === "") empty.push(key); });
        empty.forEach(function (key) { parameters.delete(key); });
      } else {
        Object.keys(parameters).forEach(function (key) { if (parameters[key] === "") delete parameters[key]; });
      }
    }
  });

  // --- live connection ----------------------------------------------------------------

  let socket = null;
  let retryMs = 1000;
  let lastOwnChange = 0;

  function connect() {
    if (!agentId || !("WebSocket" in window)) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + location.host + "/ws/workspace/");
    socket.addEventListener("open", function () {
      retryMs = 1000;
      body.dataset.live = "on";
      if (ticketId) send({ type: "watch", ticket_id: ticketId });
    });
    socket.addEventListener("message", function (event) {
      handle(JSON.parse(event.data));
    });
    socket.addEventListener("close", function (event) {
      body.dataset.live = "off";
      socket = null;
      if (event.code === 4401) return; // signed out
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    });
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function handle(message) {
    switch (message.type) {
      case "watching":
        body.dataset.live = "watching";
        break;
      case "ticket.created":
      case "ticket.changed":
      case "ticket.message":
        inboxChanged();
        dashboardChanged();
        if (message.ticket_id === ticketId) ticketChanged(message);
        break;
      case "agent.state":
        dashboardChanged();
        if (message.agent_id === agentId) htmx.trigger(body, "fd:shift-changed");
        if (message.agent_id === cardAgentId) htmx.trigger(body, "fd:card-shift-changed");
        break;
      case "ticket.typing":
        if (message.ticket_id === ticketId) showTyping(message.agent_id, message.agent_name);
        break;
      case "notification":
        htmx.trigger(body, "fd:notification");
        break;
    }
  }

  // Many changes in a burst become one refresh a moment later.
  let inboxTimer = null;
  function inboxChanged() {
    if (inboxTimer) return;
    inboxTimer = setTimeout(function () {
      inboxTimer = null;
      htmx.trigger(body, "fd:inbox-changed");
    }, 400);
  }

  // The team dashboard re-fetches its table at most once a second, however many pushes come.
  let dashboardTimer = null;
  let dashboardFetched = 0;
  function dashboardChanged() {
    if (dashboardTimer || !document.getElementById("team-dashboard")) return;
    const wait = Math.max(100, dashboardFetched + DASHBOARD_EVERY_MS - Date.now());
    dashboardTimer = setTimeout(function () {
      dashboardTimer = null;
      dashboardFetched = Date.now();
      htmx.trigger(body, "fd:dashboard-changed");
    }, wait);
  }

  let ticketTimer = null;
  let refreshing = false;
  function ticketChanged(message) {
    const mine = message.actor_id === agentId && Date.now() - lastOwnChange < OWN_CHANGE_WINDOW_MS;
    if (!mine) refreshTicket(); // a page that made the change already shows it
  }

  function refreshTicket() {
    if (ticketTimer) return;
    ticketTimer = setTimeout(function () {
      ticketTimer = null;
      refreshing = true;
      htmx.ajax("GET", body.dataset.liveUrl, { target: body, swap: "none" }).finally(function () {
        refreshing = false;
      });
    }, 250);
  }

  // A field the agent is editing is not replaced under their cursor: that part refreshes once they leave it.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    const target = event.detail.target;
    const active = document.activeElement;
    if (!refreshing || !active || active === body || !target.contains(active)) return;
    event.detail.shouldSwap = false;
    active.addEventListener("blur", function () {
      // Leaving a changed field submits it ("change" comes before "blur"); that answer is fresher.
      if (Date.now() - lastOwnChange > 1000) refreshTicket();
    }, { once: true });
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    const elt = event.detail.elt;
    if (elt instanceof HTMLElement && elt.closest("[data-own-change]")) lastOwnChange = Date.now();
  });

  // --- SLA countdowns -------------------------------------------------------------------
  // Every element with data-sla-due (an ISO deadline) ticks here once a second, with the
  // wording and tones of the server's first rendering (templatetags/workspace.py): an inbox
  // badge "in 42 min" / "5 min late", a ticket's countdown "41:59 left" / "breached 12 min ago";
  // "ok", "soon" in the last hour, "late" from the deadline on. No request is made.

  const SOON_MS = 60 * 60 * 1000;
  const slaTexts = (function () {
    const element = document.getElementById("sla-texts");
    return element ? JSON.parse(element.textContent) : null;
  })();

  function fill(template, values) {
    return template.replace(/%\((\w+)\)[sd]/g, function (_, name) { return String(values[name]); });
  }

  function span(seconds) {
    let minutes = Math.floor(seconds / 60);
    if (minutes < 60) return fill(slaTexts.minutes, { minutes: minutes });
    let hours = Math.floor(minutes / 60);
    minutes %= 60;
    if (hours < 24) {
      return minutes ? fill(slaTexts.hoursMinutes, { hours: hours, minutes: minutes }) : fill(slaTexts.hours, { hours: hours });
    }
    const days = Math.floor(hours / 24);
    hours %= 24;
    return hours ? fill(slaTexts.daysHours, { days: days, hours: hours }) : fill(slaTexts.days, { days: days });
  }

  function two(number) {
    return (number < 10 ? "0" : "") + number;
  }

  // `leftMs`: milliseconds until the deadline (negative after it); seconds round down, as on the server.
  function slaText(style, leftMs) {
    const left = Math.floor(leftMs / 1000);
    const since = Math.floor(-leftMs / 1000);
    if (style === "badge") {
      if (leftMs > 0) return fill(slaTexts.in, { time: span(Math.ceil(leftMs / 60000) * 60) });
      return fill(slaTexts.late, { time: span(Math.max(60, since)) });
    }
    if (leftMs <= 0) return fill(slaTexts.breached, { time: span(Math.max(60, since)) });
    let minutes = Math.floor(left / 60);
    const seconds = left % 60;
    let hours = Math.floor(minutes / 60);
    minutes %= 60;
    const days = Math.floor(hours / 24);
    hours %= 24;
    let digits = hours || days ? hours + ":" + two(minutes) + ":" + two(seconds) : minutes + ":" + two(seconds);
    if (days) digits = fill(slaTexts.daysTime, { days: days, time: digits });
    return fill(slaTexts.left, { time: digits });
  }

  function tickSla() {
    if (!slaTexts) return;
    const now = Date.now();
    document.querySelectorAll("[data-sla-due]").forEach(function (element) {
      const due = Date.parse(element.getAttribute("data-sla-due"));
      if (isNaN(due)) return;
      const leftMs = due - now;
      const tone = leftMs <= 0 ? "late" : leftMs <= SOON_MS ? "soon" : "ok";
      const text = slaText(element.getAttribute("data-sla-style"), leftMs);
      if (element.textContent !== text) element.textContent = text;
      ["ok", "soon", "late"].forEach(function (name) { element.classList.toggle("sla-" + name, name === tone); });
    });
  }
  tickSla();
  setInterval(tickSla, 1000);
  document.addEventListener("htmx:afterSettle", tickSla);

  // --- collision warning: "Ana is replying…" ------------------------------------------

  const typists = new Map(); // agent id -> {name, until}
  let typingTimer = null;

  function showTyping(id, name) {
    typists.set(id, { name: name, until: Date.now() + TYPING_SHOWN_FOR_MS });
    renderTyping();
  }

  function renderTyping() {
    const box = document.getElementById("collision");
    if (!box) return;
    const now = Date.now();
    typists.forEach(function (value, key) { if (value.until <= now) typists.delete(key); });
    const names = Array.from(typists.values()).map(function (value) { return value.name; });
    box.hidden = names.length === 0;
    box.textContent = names.length ? (box.dataset.template || "{name} is replying…").replace("{name}", names.join(", ")) : "";
    clearTimeout(typingTimer);
    if (names.length) typingTimer = setTimeout(renderTyping, 1000);
  }

  let lastTypingSent = 0;
  document.addEventListener("input", function (event) {
    const target = event.target;
    if (!(target instanceof HTMLElement) || !target.matches("[data-typing]") || !ticketId) return;
    if (Date.now() - lastTypingSent < TYPING_SEND_EVERY_MS) return;
    lastTypingSent = Date.now();
    send({ type: "typing", ticket_id: ticketId });
  });

  // --- composer tabs --------------------------------------------------------------------

  function composerMode(mode) {
    const composer = document.getElementById("ticket-composer");
    if (!composer) return null;
    if (!composer.querySelector(".composer-" + mode)) mode = "note";
    composer.dataset.mode = mode;
    const textarea = composer.querySelector(".composer-" + mode + " textarea");
    if (textarea) textarea.focus();
    return textarea;
  }

  document.addEventListener("click", function (event) {
    const tab = event.target instanceof Element ? event.target.closest("[data-composer-tab]") : null;
    if (tab) composerMode(tab.getAttribute("data-composer-tab"));
  });

  // --- inbox selection ----------------------------------------------------------------

  let selectedId = null;

  function rows() {
    return Array.from(document.querySelectorAll("[data-ticket-row]"));
  }

  function select(row) {
    rows().forEach(function (r) { r.classList.toggle("is-selected", r === row); });
    if (row) {
      selectedId = row.getAttribute("data-ticket-row");
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const index = all.findIndex(function (r) { return r.getAttribute("data-ticket-row") === selectedId; });
    const next = index < 0 ? 0 : Math.max(0, Math.min(all.length - 1, index + step));
    select(all[next]);
  }

  document.addEventListener("htmx:afterSwap", function () {
    if (selectedId) {
      const row = document.querySelector('[data-ticket-row="' + selectedId + '"]');
      if (row) row.classList.add("is-selected");
    }
  });

  // --- keyboard shortcuts ---------------------------------------------------------------

  const dialog = document.getElementById("shortcuts");
  let pendingG = false;

  function openHelp() {
    if (dialog && !dialog.open) dialog.showModal();
  }
  document.querySelectorAll("[data-shortcuts-open]").forEach(function (button) {
    button.addEventListener("click", openHelp);
  });

  function isTyping(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target instanceof HTMLTextAreaElement) {
      const form = target.form;
      const button = form && form.querySelector("[data-primary-send]");
      if (form && button) {
        event.preventDefault();
        form.requestSubmit(button);
      }
      return;
    }
    if (event.key === "Escape" && isTyping(target)) {
      target.blur();
      return;
    }
    if (isTyping(target) || event.ctrlKey || event.metaKey || event.altKey) return;
    // Enter on a link or button presses it; but a closed dialog may leave the focus on its
    // Close button, and there Enter opens the selected ticket.
    if (event.key === "Enter" && target instanceof Element && target.closest("a, button, summary") &&
        !target.closest("dialog:not([open])")) return;
    if (dialog && dialog.open) return;

    if (pendingG) {
      pendingG = false;
      if (event.key === "i") {
        event.preventDefault();
        location.href = sessionStorage.getItem("frontdesk:last-inbox") || "/";
      }
      return;
    }
    const actions = {
      "?": openHelp,
      "/": function () {
        const search = document.querySelector("[data-search]");
        if (search) search.focus();
      },
      j: function () { move(1); },
      k: function () { move(-1); },
      o: openSelected,
      Enter: openSelected,
      r: function () { composerMode("reply"); },
      n: function () { composerMode("note"); },
      e: function () {
        const details = document.getElementById("escalate-manager");
        if (!details) return;
        details.open = true;
        const field = details.querySelector("textarea");
        if (field) field.focus();
      },
      g: function () { pendingG = true; setTimeout(function () { pendingG = false; }, 1500); },
    };
    const action = actions[event.key];
    if (action) {
      if (event.key === "Enter" && !selectedId) return;
      event.preventDefault();
      action();
    }
  });

  function openSelected() {
    const row = selectedId && document.querySelector('[data-ticket-row="' + selectedId + '"]');
    if (row) location.href = row.getAttribute("href");
  }

  connect();
})();
