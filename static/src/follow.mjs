// Follow / Save buttons without a page reload. Each is a <form data-app-toggle> that works on its
// own (the server redirects back with a message); here it is posted with fetch instead, the
// server answers JSON, and the button flips its label and the action it posts next.
// The changing label (Follow / Following, Save / Saved) is the button's state; it has no
// aria-pressed as well, which would make screen readers say it twice ("Following, toggle button,
// pressed"). The change is announced in one polite live region.

function liveRegion() {
  let region = document.getElementById("app-toggle-status");
  if (!region) {
    region = document.createElement("p");
    region.id = "app-toggle-status";
    region.className = "nhsuk-u-visually-hidden";
    region.setAttribute("aria-live", "polite");
    region.setAttribute("role", "status");
    document.body.appendChild(region);
  }
  return region;
}

function show(form, on) {
  const button = form.querySelector("button[data-on-label]");
  const action = form.querySelector("input[name=action]");
  const label = form.querySelector("[data-app-toggle-label]");
  label.textContent = button.getAttribute(on ? "data-on-label" : "data-off-label");
  action.value = action.getAttribute(on ? "data-on-value" : "data-off-value");
}

async function toggle(form) {
  const button = form.querySelector("button[data-on-label]");
  const status = liveRegion();
  button.disabled = true;
  try {
    // Not form.action: the form's <input name="action"> shadows that property.
    const response = await fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.status === 403 || response.redirected) {
      form.submit(); // signed out meanwhile: let the page way take over
      return;
    }
    const answer = await response.json();
    if (response.ok) show(form, answer.on);
    status.textContent = "";
    status.textContent = answer.message;
  } catch {
    form.submit(); // the network failed: the ordinary form still works
  } finally {
    button.disabled = false;
  }
}

// The live region is in the page before anything changes, so screen readers hear the change.
if (document.querySelector("form[data-app-toggle]")) liveRegion();
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-app-toggle")) return;
  event.preventDefault();
  toggle(form);
});
