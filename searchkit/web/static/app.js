// searchkit: small enhancements to a page that works without them.
//
// Search as you type: after a pause in typing, fetch the server-rendered results page for the box's
// query and swap its results region into this page (one renderer, on the server; the HTML it sends
// is escaped there). Keyboard: "/" goes to the search box, ArrowDown/ArrowUp (or j/k) move through
// the results, Escape returns to the box.
"use strict";

(() => {
  const TYPING_PAUSE_MS = 220;
  const MIN_CHARS = 2;
  let timer = 0;
  let inflight = null;
  let shownQuery = currentInput()?.value.trim() ?? "";
  let shownUrl = window.location.pathname + window.location.search;

  // On a narrow screen the filters sit above the results: fold them so the results come first.
  function foldFiltersOnNarrowScreens() {
    const facets = document.getElementById("facets");
    if (facets && window.matchMedia("(max-width: 820px)").matches) facets.open = false;
  }
  foldFiltersOnNarrowScreens();

  function currentInput() {
    return document.getElementById("q");
  }

  function resultLinks() {
    return Array.from(document.querySelectorAll(".result-link"));
  }

  // A half-typed phrase or group would only produce a syntax error: wait for the closing mark.
  function looksComplete(q) {
    const quotes = (q.match(/"/g) || []).length;
    const opened = (q.match(/[([{]/g) || []).length;
    const closed = (q.match(/[)\]}]/g) || []).length;
    return quotes % 2 === 0 && opened === closed && !/(^|\s)(AND|OR|NOT)$/.test(q);
  }

  async function searchNow() {
    const input = currentInput();
    const form = document.getElementById("search-form");
    if (!input || !form) return;
    const q = input.value.trim();
    if (q === shownQuery || q.length < MIN_CHARS || !looksComplete(q)) return;
    const url = "/?" + new URLSearchParams(new FormData(form)).toString();
    inflight?.abort();
    inflight = new AbortController();
    let response;
    try {
      response = await fetch(url, { signal: inflight.signal, headers: { Accept: "text/html" } });
    } catch (error) {
      return; // aborted by newer typing, or the server went away: keep what is shown
    }
    if (!response.ok) return; // e.g. a query that does not parse yet: keep the last good results
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = doc.getElementById("results-region");
    if (!fresh) return;
    shownQuery = q;
    const region = document.getElementById("results-region");
    if (region) {
      region.replaceWith(document.importNode(fresh, true));
    } else {
      // From the home page: take the whole results page, keeping the box as the user has it now.
      const typed = input.value;
      const start = input.selectionStart;
      document.body.replaceWith(document.importNode(doc.body, true));
      const box = currentInput();
      box.value = typed;
      box.focus();
      box.setSelectionRange(start, start);
    }
    foldFiltersOnNarrowScreens();
    document.title = doc.title;
    const home = window.location.search === "";
    if (home) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
    shownUrl = url;
    const count = document.getElementById("result-count");
    const live = document.getElementById("live");
    if (live) live.textContent = count ? count.textContent.replace(/\s+/g, " ").trim() : "";
  }

  document.addEventListener("input", (event) => {
    if (event.target.id !== "q") return;
    clearTimeout(timer);
    timer = setTimeout(searchNow, TYPING_PAUSE_MS);
  });

  // Back/Forward to a page we swapped in ourselves: its content is not in the document, so load
  // it. (Following an in-page link such as "Skip to results" also fires popstate: leave that be.)
  window.addEventListener("popstate", () => {
    if (window.location.pathname + window.location.search !== shownUrl) window.location.reload();
  });

  function isTyping(target) {
    return (
      target instanceof HTMLElement &&
      (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))
    );
  }

  function move(step) {
    const links = resultLinks();
    if (!links.length) return false;
    const at = links.indexOf(document.activeElement);
    if (at === -1 && step < 0) return false;
    const next = at + step;
    if (next < 0) {
      currentInput()?.focus();
      return true;
    }
    const target = links[Math.min(next, links.length - 1)];
    target.focus();
    target.scrollIntoView({ block: "nearest" });
    return true;
  }

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const input = currentInput();
    const onBox = event.target === input;
    const onResult = resultLinks().includes(event.target);
    let handled = false;
    if (event.key === "/" && !isTyping(event.target) && input) {
      input.focus();
      input.select();
      handled = true;
    } else if (onBox && event.key === "ArrowDown") {
      handled = move(1);
    } else if (onResult && (event.key === "ArrowDown" || event.key === "j")) {
      handled = move(1);
    } else if (onResult && (event.key === "ArrowUp" || event.key === "k")) {
      handled = move(-1);
    } else if (onResult && event.key === "Escape" && input) {
      input.focus();
      handled = true;
    } else if (!isTyping(event.target) && !onResult && event.key === "j") {
      handled = move(1);
    } else if (event.key === "?" && !isTyping(event.target)) {
      // the search tips and keys: opened (or closed again) and brought into view
      const help = document.querySelector("details.help");
      if (help) {
        help.open = !help.open;
        if (help.open) help.scrollIntoView({ block: "nearest" });
        help.querySelector("summary").focus();
        handled = true;
      }
    }
    if (handled) event.preventDefault();
  });
})();
