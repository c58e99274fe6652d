// @ts-check
// The year's audits by state and deadline; each decision with a note, and a later deadline with a reason.
import { get, post } from "../api.js";
import { busy, day, field, h, noticeBox, render, statusBadge, table } from "../ui.js";
import { deadlineForm } from "./member.js";

export async function showAudits(main, context) {
  const year = Number(context.params.get("year")) || new Date().getUTCFullYear();
  const { audits } = await get(`/staff/audits?year=${year}`);
  const yearInput = h("input", { id: "audit-year", name: "year", type: "number", min: 2000, max: 2100, value: year });
  const form = h("form", { class: "card narrow", "aria-label": "Audit year", novalidate: true },
    h("label", { for: "audit-year" }, "Year"), yearInput, h("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/audits?year=${yearInput.value}`;
  });
  const done = async (message) => {
    await context.reload();
    document.querySelector("#audit-result")?.replaceChildren(noticeBox(message));
  };
  const sorted = [...audits].sort((a, b) => Number(a.state === "open") - Number(b.state === "open") || (a.deadline < b.deadline ? -1 : 1)).reverse();
  render(main,
    h("h1", {}, `Audits of ${year}`),
    form,
    h("div", { id: "audit-result", "aria-live": "polite" }),
    h("p", {}, ["open", "passed", "failed"].map((s) => `${s}: ${audits.filter((a) => a.state === s).length}`).join(" · ")),
    audits.length ? table(`Audits of ${year}, open first`, ["Audit", "Member", "State", "Deadline", "Documents", "Actions"],
      sorted.map((a) => [
        a.audit_id,
        h("a", { href: `#/member/${encodeURIComponent(a.audit_id.split(".")[0])}` }, a.audit_id.split(".")[0]),
        statusBadge(a.state), day(a.deadline), String(a.document_ids.length),
        a.state === "open" ? h("div", {}, decisionForm(a, done), deadlineForm(a, done)) : "—",
      ])) : h("p", {}, "No audits that year."));
}

function decisionForm(audit, done) {
  const note = h("textarea", { name: "note", rows: 2 });
  const memberNote = h("textarea", { name: "member_note", rows: 2 });
  const form = h("form", { "aria-label": `Decide ${audit.audit_id}`, novalidate: true },
    field("Note", note, "Kept with the decision; members do not see it."),
    field("Message to the member", memberNote, "Shown to the member with the outcome."),
    h("div", { class: "actions" },
      h("button", { type: "submit", value: "passed" }, "Passed"),
      h("button", { type: "submit", value: "failed", class: "danger" }, "Failed")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const decision = event.submitter?.value || "passed";
    busy(form, async () => {
      await post(`/staff/audits/${encodeURIComponent(audit.audit_id)}/decision`,
        { decision, note: note.value.trim() || null, member_note: memberNote.value.trim() || null });
      await done(`${audit.audit_id}: ${decision}.`);
    }, { note, member_note: memberNote });
  });
  return form;
}
