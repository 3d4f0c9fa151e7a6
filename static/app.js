// Progressive enhancement: pages work without this file.
// Votes are sent in the background and the button updates in place.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-vote-form")) return;
  event.preventDefault();
  const button = form.querySelector("button");
  const data = new FormData(form);
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(data),
      headers: { "Accept": "application/json", "X-CSRF-Token": data.get("csrf_token") },
      credentials: "same-origin",
    });
    if (response.redirected || !response.ok) { form.submit(); return; }
    const result = await response.json();
    const voted = result.voted;
    form.querySelector("input[name=vote]").value = voted ? "0" : "1";
    form.querySelector("[data-vote-count]").textContent = result.vote_count;
    form.querySelector("[data-vote-label]").textContent = voted ? "Voted" : "Vote";
    button.classList.toggle("voted", voted);
    button.setAttribute("aria-pressed", voted ? "true" : "false");
    const title = button.getAttribute("aria-label").replace(/^(Take back your vote for|Vote for) /, "");
    button.setAttribute("aria-label", (voted ? "Take back your vote for " : "Vote for ") + title);
  } catch (error) {
    form.submit();
  } finally {
    button.disabled = false;
  }
});
