// Progressive enhancement only: every page works without this file.
import { initAll } from "nhsuk-frontend";
import "./follow.mjs"; // Follow and Save buttons flip in place

// The design system's page template sets these classes with an inline <script>, which our
// Content-Security-Policy forbids; this file is served from 'self', so it does it instead.
// The same test as the design system's: browsers without ES modules keep the no-JS page.
// The script is deferred, so <body> exists and nothing has been initialised yet.
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("nhsuk-frontend-supported");
  initAll();
}

// Disclosures that sit beside the content on wide screens, such as the case study filters,
// start open there; on a phone they stay closed so the results come first.
if (window.matchMedia("(min-width: 48.0625em)").matches) {
  for (const details of document.querySelectorAll("details[data-app-open-on-wide]")) {
    details.open = true;
  }
}

// Buttons that ask before a destructive action: <button data-confirm="Are you sure?">
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
