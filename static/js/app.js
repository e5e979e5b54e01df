// Small progressive enhancements; every page works without this file.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
// A form submits once: a double click does not send it twice.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.submitted === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "1";
  setTimeout(() => { form.dataset.submitted = ""; }, 4000);
});
// A table that scrolls sideways becomes a keyboard-reachable, named region (WCAG 2.1.1):
// tabindex="0", role="region" and the name of its caption or section heading. Only while it
// really overflows, so wide screens get no extra tab stop. Markup that sets these itself wins.
(() => {
  "use strict";
  let counter = 0;

  function nameOf(wrap) {
    const caption = wrap.querySelector("caption");
    if (caption) {
      if (!caption.id) caption.id = `table-caption-${++counter}`;
      return caption.id;
    }
    const section = wrap.closest("[aria-labelledby]");
    if (section) return section.getAttribute("aria-labelledby");
    // Otherwise the nearest heading before the table.
    const before = Array.from(document.querySelectorAll("h1, h2, h3")).filter(
      (h) => h.compareDocumentPosition(wrap) & Node.DOCUMENT_POSITION_FOLLOWING,
    );
    const heading = before[before.length - 1];
    if (!heading) return null;
    if (!heading.id) heading.id = `table-heading-${++counter}`;
    return heading.id;
  }

  function update(root) {
    (root || document).querySelectorAll(".table-wrap").forEach((wrap) => {
      if (wrap.dataset.scrollRegion === "markup") return;
      if (!wrap.dataset.scrollRegion) {
        wrap.dataset.scrollRegion = wrap.hasAttribute("tabindex") ? "markup" : "script";
        if (wrap.dataset.scrollRegion === "markup") return;
      }
      const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      const label = nameOf(wrap);
      if (scrolls && label) {
        wrap.tabIndex = 0;
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-labelledby", label);
      } else if (!scrolls) {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-labelledby");
      }
    });
  }

  let pending = null;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(() => update(), 150);
  });
  document.addEventListener("htmx:afterSettle", () => update());
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => update());
  } else {
    update();
  }
})();
// After an htmx swap (the seat table's refresh) keyboard focus stays where it was: htmx
// refocuses an element with the same id; if that element is gone (the group filled up), focus
// moves to the swapped region instead of falling back to the top of the page.
(() => {
  "use strict";
  let hadFocus = null;
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    hadFocus = target && target.contains(document.activeElement) ? target.id : null;
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (!hadFocus) return;
    const active = document.activeElement;
    if (!active || active === document.body) {
      const region = document.getElementById(hadFocus);
      if (region) {
        if (!region.hasAttribute("tabindex")) region.setAttribute("tabindex", "-1");
        region.focus({ preventScroll: true });
      }
    }
    hadFocus = null;
  });
})();
// Exam point entry: the row's total follows the cells while typing (the saved total comes back
// from the server with the row). Cells that are not numbers are left out until corrected.
document.addEventListener("input", (event) => {
  const cell = event.target.closest("[data-points-cell]");
  if (!cell) return;
  const key = cell.dataset.pointsCell;
  const total = document.querySelector(`[data-running-total="${key}"]`);
  if (!total) return;
  let sum = 0;
  document.querySelectorAll(`[data-points-cell="${key}"]`).forEach((input) => {
    const value = Number(input.value.trim().replace(",", "."));
    if (input.value.trim() && Number.isFinite(value)) sum += value;
  });
  const comma = total.textContent.includes(",");
  const text = sum.toFixed(2);
  total.textContent = comma ? text.replace(".", ",") : text;
});
