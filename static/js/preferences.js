// Ranking form enhancement: "Move up" / "Move down" buttons per choice, and groups already
// chosen in one select are hidden from the others. The form works without this file: the
// buttons only swap the values of the plain selects, which are what the server receives.
(() => {
  "use strict";

  function enhance(form) {
    const rows = Array.from(form.querySelectorAll("[data-rank-row]"));
    const selects = rows.map((row) => row.querySelector("select"));
    const labels = rows.map((row) => row.querySelector("label").textContent.trim());
    const status = form.querySelector("[data-rank-status]");
    const texts = form.dataset;

    function optionText(select) {
      const option = select.options[select.selectedIndex];
      return option ? option.textContent.trim() : "";
    }

    function refresh() {
      const owner = new Map();
      selects.forEach((select, index) => {
        if (select.value && !owner.has(select.value)) owner.set(select.value, index);
      });
      selects.forEach((select, index) => {
        Array.from(select.options).forEach((option) => {
          if (!option.value) return;
          const chosenElsewhere = owner.has(option.value) && owner.get(option.value) !== index;
          // A selected option is never disabled: the browser would not submit its value.
          const hide = chosenElsewhere && !option.selected;
          option.hidden = hide;
          option.disabled = hide;
        });
      });
      rows.forEach((row, index) => {
        const filled = Boolean(selects[index].value);
        const up = row.querySelector("[data-move='up']");
        const down = row.querySelector("[data-move='down']");
        up.disabled = index === 0 || !filled;
        // Moving into an empty slot would leave a gap the server refuses.
        down.disabled = index === rows.length - 1 || !filled || !selects[index + 1].value;
      });
    }

    function swap(index, target, button) {
      const value = selects[index].value;
      selects[index].value = selects[target].value;
      selects[target].value = value;
      refresh();
      if (status) {
        status.textContent = texts.announce
          .replace("%(item)s", optionText(selects[target]))
          .replace("%(rank)s", labels[target]);
      }
      const follow = rows[target].querySelector(`[data-move='${button}']`);
      (follow && !follow.disabled ? follow : selects[target]).focus();
    }

    function makeButton(direction, index) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-small";
      button.dataset.move = direction;
      const text = direction === "up" ? texts.labelUp : texts.labelDown;
      button.textContent = direction === "up" ? "↑" : "↓";
      button.title = text;
      button.setAttribute("aria-label", `${text}: ${labels[index]}`);
      button.addEventListener("click", () => {
        swap(index, direction === "up" ? index - 1 : index + 1, direction);
      });
      return button;
    }

    rows.forEach((row, index) => {
      const group = document.createElement("span");
      group.className = "rank-move";
      group.append(makeButton("up", index), makeButton("down", index));
      const firstError = row.querySelector(".error");
      row.insertBefore(group, firstError);
      selects[index].addEventListener("change", refresh);
    });
    form.dataset.enhanced = "1";
    refresh();
  }

  function start() {
    document.querySelectorAll("form[data-ranking-form]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
