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
    if (response.status === 409) {
      form.querySelector("[data-vote-status]").textContent = (await response.json()).message;
      return;
    }
    if (response.redirected || !response.ok) { form.submit(); return; }
    const result = await response.json();
    const voted = result.voted;
    form.querySelector("input[name=vote]").value = voted ? "0" : "1";
    form.querySelector("[data-vote-count]").textContent = result.vote_count;
    button.classList.toggle("voted", voted);
    button.setAttribute("aria-pressed", voted ? "true" : "false");
    const votes = result.vote_count === 1 ? "1 vote" : result.vote_count + " votes";
    form.querySelector("[data-vote-status]").textContent =
      (voted ? "Your vote is counted: " : "Your vote is taken back: ") + votes + ".";
  } catch (error) {
    form.submit();
  } finally {
    button.disabled = false;
  }
});

// While someone types a new idea's title, show existing ideas like it.
const similarForm = document.querySelector("form[data-similar-url]");
if (similarForm) {
  const title = similarForm.querySelector("#title");
  const box = similarForm.querySelector("[data-similar-ideas]");
  let timer = null;
  let asked = "";
  title.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = title.value.trim();
      if (text.length < 4 || text === asked) return;
      asked = text;
      const response = await fetch(similarForm.dataset.similarUrl + "?title=" + encodeURIComponent(text));
      if (!response.ok) return;
      const { ideas } = await response.json();
      box.replaceChildren();
      if (!ideas.length) return;
      const heading = document.createElement("p");
      heading.textContent = "Similar ideas: vote for one of these if it is yours.";
      const list = document.createElement("ul");
      for (const idea of ideas) {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = idea.url;
        link.textContent = idea.title;
        item.append(link, ` (${idea.vote_count} ${idea.vote_count === 1 ? "vote" : "votes"}, ${idea.status})`);
        list.append(item);
      }
      box.append(heading, list);
    }, 300);
  });
}
