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
