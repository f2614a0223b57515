// The review page's behaviour: filters, keyboard, saving with fetch().
// Loaded from /static (the Content-Security-Policy allows no inline script).
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const main = document.querySelector("main.document");
  const keymap = document.getElementById("keymap");
  const search = document.querySelector('input[type="search"]');
  let current = null;

  function toggleKeymap() {
    if (keymap.open) keymap.close(); else keymap.showModal();
  }
  document.querySelector(".keys-button").addEventListener("click", toggleKeymap);

  function rows() {
    return Array.from(document.querySelectorAll(".row")).filter((r) => !r.hidden);
  }
  function flags(row) {
    return (row.dataset.flags || "").split(" ").filter(Boolean);
  }
  function matches(row, filter) {
    if (filter === "all") return true;
    if (filter === "flagged") return flags(row).length > 0;
    if (filter === "untranslated") return flags(row).includes("untranslated") || flags(row).includes("empty");
    if (filter === "reviewed") return row.dataset.origin === "reviewed";
    if (filter.startsWith("flag:")) return flags(row).includes(filter.slice(5));
    return true;
  }
  function applyFilter() {
    const select = document.getElementById("filter");
    if (!select) return;
    let shown = 0;
    for (const row of document.querySelectorAll(".row")) {
      row.hidden = !matches(row, select.value);
      if (!row.hidden) shown += 1;
    }
    for (const block of document.querySelectorAll("section.block")) {
      block.hidden = !block.querySelector(".row:not([hidden])");
    }
    document.querySelector(".filters .count").textContent = shown + " rows";
    if (current && current.hidden) current = null;
  }

  function focusRow(row) {
    if (!row) return;
    if (current) current.classList.remove("current");
    current = row;
    row.classList.add("current");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }
  function step(delta, onlyFlagged) {
    const list = rows().filter((r) => !onlyFlagged || flags(r).length > 0);
    if (!list.length) return;
    const all = rows();
    let at = current ? all.indexOf(current) : -1;
    for (let i = 0; i < all.length; i += 1) {
      at += delta;
      if (at < 0 || at >= all.length) return;
      if (!onlyFlagged || flags(all[at]).length > 0) return focusRow(all[at]);
    }
  }
  function rowOf(element) {
    return element.closest ? element.closest(".row") : null;
  }

  function setText(element, text) {
    element.textContent = text;
  }
  function redraw(row, data) {
    const area = row.querySelector("textarea");
    area.value = data.target;
    area.dataset.saved = data.target;
    area.classList.remove("dirty");
    row.dataset.origin = data.origin;
    row.dataset.flags = data.flags.join(" ");
    row.classList.toggle("flagged", data.flags.length > 0);
    const origin = row.querySelector(".origin");
    origin.className = "origin origin-" + data.origin;
    setText(origin, data.origin);
    const list = row.querySelector("ul.flags");
    list.replaceChildren();
    for (const flag of data.flags) {
      const item = document.createElement("li");
      item.className = "flag";
      item.dataset.flag = flag;
      setText(item, flag);
      list.appendChild(item);
    }
    const diff = row.querySelector(".diff");
    diff.replaceChildren();
    diff.hidden = !data.diff;
    for (const [op, text] of data.diff || []) {
      const span = document.createElement("span");
      span.className = "d-" + op;
      setText(span, text);
      diff.appendChild(span);
    }
  }
  async function save(row) {
    const area = row.querySelector("textarea");
    const status = row.querySelector(".status");
    status.classList.remove("error");
    setText(status, "saving…");
    try {
      const answer = await fetch(main.dataset.save, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ unit: row.dataset.unit, target: area.value }),
        credentials: "same-origin",
      });
      const data = await answer.json();
      if (!answer.ok) throw new Error(data.error || answer.statusText);
      redraw(row, data);
      setText(status, data.stored ? "saved" : "unchanged");
    } catch (error) {
      status.classList.add("error");
      setText(status, "not saved: " + error.message);
    }
  }
  function cancel(row) {
    const area = row.querySelector("textarea");
    area.value = area.dataset.saved;
    area.classList.remove("dirty");
    focusRow(row);
  }

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const editing = target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.tagName === "SELECT";
    if (target.tagName === "TEXTAREA") {
      const row = rowOf(target);
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        save(row);
      } else if (event.key === "Escape") {
        event.preventDefault();
        cancel(row);
      }
      return;
    }
    if (editing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") { event.preventDefault(); toggleKeymap(); return; }
    if (event.key === "/" && search) { event.preventDefault(); search.focus(); return; }
    if (!main) return;
    const actions = {
      j: () => step(1, false), ArrowDown: () => step(1, false),
      k: () => step(-1, false), ArrowUp: () => step(-1, false),
      n: () => step(1, true), p: () => step(-1, true),
      e: () => edit(), Enter: () => edit(),
    };
    if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
  });
  function edit() {
    const area = current && current.querySelector("textarea");
    if (area) area.focus();
  }

  if (main) {
    document.getElementById("filter").addEventListener("change", applyFilter);
    main.addEventListener("input", (event) => {
      if (event.target.tagName === "TEXTAREA") {
        event.target.classList.toggle("dirty", event.target.value !== event.target.dataset.saved);
      }
    });
    main.addEventListener("focusin", (event) => {
      const row = rowOf(event.target);
      if (row && row !== current) {
        if (current) current.classList.remove("current");
        current = row;
        row.classList.add("current");
      }
    });
    applyFilter();
    const wanted = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    focusRow(wanted || rows()[0]);
  }
})();
