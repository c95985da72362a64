// Progressive enhancement: the design form works without this script (it posts and lands on the
// job page, which refreshes itself); with it, the home page waits in place and reloads with them.
"use strict";

async function pollJob(url, target) {
  for (let i = 0; i < 300; i++) {
    const job = await (await fetch(url)).json();
    if (job.status === "done") return job;
    if (job.status === "failed") throw new Error(job.error || "the job failed");
    target.textContent = "Vitrine is drawing… (" + job.status + ")";
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("still not done; look again later");
}

async function queue(url, body, target) {
  target.textContent = "Queued…";
  const response = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  const answer = await response.json();
  if (response.status !== 202) throw new Error(answer.error || ("HTTP " + response.status));
  return pollJob(answer.url, target);
}

document.addEventListener("DOMContentLoaded", () => {
  const designForm = document.querySelector("form[data-design]");
  if (designForm) designForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = designForm.parentElement.querySelector(".designs");
    const button = designForm.querySelector("button");
    button.disabled = true;
    try {
      const user = encodeURIComponent(designForm.dataset.design);
      await queue("/users/" + user + "/designs", {n: 4}, target);
      location.reload();  // the home page shows the shopper's latest designs, each beside its closest item
    } catch (err) {
      target.textContent = "Sorry: " + err.message;
    } finally {
      button.disabled = false;
    }
  });
});
