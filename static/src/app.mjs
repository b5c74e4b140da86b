// Progressive enhancement only: every page works without this file.
import { initAll } from "nhsuk-frontend";

initAll();

// Buttons that ask before a destructive action: <button data-confirm="Are you sure?">
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
