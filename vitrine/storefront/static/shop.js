// Progressive enhancement: the design and launch forms work without this script (they post and
// land on the job page, which refreshes itself); with it, the pictures appear in place.
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

function figure(src, caption, href) {
  const fig = document.createElement("figure");
  fig.className = "card design";
  const pic = document.createElement("div");
  pic.className = "pic";
  const img = document.createElement("img");
  img.src = src; img.width = 128; img.height = 128; img.alt = caption;
  const badge = document.createElement("span");
  badge.className = "badge"; badge.textContent = "generated";
  pic.append(img, badge);
  const cap = document.createElement("figcaption");
  cap.textContent = caption;
  if (href) {
    const a = document.createElement("a");
    a.href = href; a.textContent = " closest in stock";
    cap.append(document.createElement("br"), a);
  }
  fig.append(pic, cap);
  return fig;
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
      const job = await queue("/users/" + user + "/designs", {n: 4}, target);
      const grid = document.createElement("div");
      grid.className = "grid";
      for (const d of job.designs) grid.append(figure(d.image, d.prompt, d.nearest.length ? "/shop/item/" + encodeURIComponent(d.nearest[0]) : null));
      target.replaceChildren(grid);
    } catch (err) {
      target.textContent = "Sorry: " + err.message;
    } finally {
      button.disabled = false;
    }
  });
});
