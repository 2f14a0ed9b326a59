// The register on the day: as boxes are ticked, show the quorum verdict for the ticks. The
// verdict comes from the console (clerk's quorum rule, through the read-only
// /meetings/REF/register/quorum), never from here; without this file the page's "Check quorum"
// button gives the same verdict. A module file: the console's CSP forbids inline scripts.
const form = document.getElementById("register-form");
const verdict = document.getElementById("quorum-verdict");

function paragraph(text, bold) {
  const p = document.createElement("p");
  p.className = bold ? "govuk-body govuk-!-font-weight-bold" : "govuk-body";
  p.append(text);
  return p;
}

function show(answer) {
  if (!answer.ok) {
    verdict.replaceChildren(paragraph(answer.error, true));
    return;
  }
  const tag = document.createElement("strong");
  tag.className = answer.quorate ? "govuk-tag govuk-tag--green" : "govuk-tag govuk-tag--red";
  tag.textContent = answer.quorate ? "Quorate" : "Not quorate";
  const first = paragraph("", true);
  first.append(tag, ` ${answer.reason}.`);
  verdict.replaceChildren(first, paragraph(`Chair: ${answer.chair}. Not saved yet.`, false));
}

let asked = 0;

async function update() {
  const mine = ++asked;
  const data = new FormData(form);
  data.delete("action");
  try {
    const response = await fetch(form.dataset.check, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return;
    const answer = await response.json();
    if (mine === asked) show(answer);
  } catch {
    // offline or the session ended: the "Check quorum" button still works
  }
}

if (form && verdict && form.dataset.check) {
  form.addEventListener("change", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.name === "present") update();
  });
}
