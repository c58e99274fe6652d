// @ts-check
// Recertification applications by state; each decision with a note, kept in the application's history.
import { get, post } from "../api.js";
import { busy, checkbox, day, field, h, noticeBox, points, render, statusBadge } from "../ui.js";

const STATES = {
  submitted: "Submitted",
  staff_review: "Staff review",
  exam_authorized: "Exam authorized",
  fee_reversed: "Fee reversed",  // its fee went back: what it granted is undone; it never reopens
};

export async function showApplications(main, context) {
  const state = STATES[context.params.get("state")] ? context.params.get("state") : "submitted";
  const { applications } = await get(`/staff/recertifications?state=${state}`);
  const chooser = h("select", { id: "app-state", name: "state" },
    Object.entries(STATES).map(([value, label]) => h("option", { value, selected: value === state }, label)));
  chooser.addEventListener("change", () => { location.hash = `#/applications?state=${chooser.value}`; });
  render(main,
    h("h1", {}, "Applications"),
    h("div", { class: "card narrow" }, h("label", { for: "app-state" }, "State"), chooser),
    h("div", { id: "queue-result", "aria-live": "polite" }),
    applications.length ? applications.map((a) => card(a, context)) : h("p", {}, `No applications are ${STATES[state].toLowerCase()}.`));
}

function card(application, context) {
  const memberId = application.application_id.split(".")[0];
  const done = async (message) => {
    await context.reload();
    document.querySelector("#queue-result")?.replaceChildren(noticeBox(message));
  };
  return h("section", { class: "card", "aria-label": `Application ${application.application_id}` },
    h("h2", {}, `${application.credential} by ${application.path === "ccp" ? "CE documentation" : "examination"} `,
      statusBadge(application.state)),
    h("dl", { class: "facts" },
      h("dt", {}, "Application"), h("dd", {}, application.application_id),
      h("dt", {}, "Member"), h("dd", {}, h("a", { href: `#/member/${encodeURIComponent(memberId)}` }, memberId)),
      h("dt", {}, "Applied"), h("dd", {}, day(application.applied_on)),
      h("dt", {}, "CE counted"), h("dd", {}, application.counted_points === null ? "—" : points(application.counted_points)),
      h("dt", {}, "Documents"), h("dd", {}, String(application.document_ids.length)),
      h("dt", {}, "Felony conviction declared"), h("dd", {}, application.felony_conviction ? "yes" : "no")),
    application.decisions.length ? h("ul", {}, application.decisions.map((d) =>
      h("li", {}, `${d.at.slice(0, 10)} ${d.by || ""}: ${d.action}`, d.note ? ` (“${d.note}”)` : ""))) : null,
    application.state === "fee_reversed"
      ? h("p", {}, "The fee went back to the payer, so what it granted was undone. The member applies again to recertify.")
      : application.state === "exam_authorized" ? examForm(application, done) : decisionForm(application, done));
}

function decisionForm(application, done) {
  const note = h("textarea", { name: "note", rows: 2 });
  const memberNote = h("textarea", { name: "member_note", rows: 2 });
  const form = h("form", { "aria-label": `Decide ${application.application_id}`, novalidate: true },
    field("Note", note, "Kept with the decision; members do not see it."),
    field("Message to the member", memberNote, "Shown to the member with the decision (say why, on a rejection)."),
    h("div", { class: "actions" },
      h("button", { type: "submit", value: "approve" }, "Approve"),
      h("button", { type: "submit", value: "reject", class: "danger" }, "Reject")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const decision = event.submitter?.value || "approve";
    busy(form, async () => {
      await post(`/staff/recertifications/${encodeURIComponent(application.application_id)}/decision`,
        { decision, note: note.value.trim() || null, member_note: memberNote.value.trim() || null });
      await done(`${application.application_id}: ${decision === "approve" ? "approved" : "rejected"}.`);
    }, { note, member_note: memberNote });
  });
  return form;
}

function examForm(application, done) {
  const examDate = h("input", { name: "exam_date", type: "date", required: true });
  const passed = checkbox("Passed", { name: "passed" });
  const form = h("form", { "aria-label": `Exam result of ${application.application_id}`, novalidate: true },
    field("Exam date", examDate), passed, h("button", { type: "submit" }, "Record exam result"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      await post(`/staff/recertifications/${encodeURIComponent(application.application_id)}/exam-result`,
        { passed: passed.querySelector("input").checked, exam_date: examDate.value });
      await done(`${application.application_id}: exam result recorded.`);
    }, { exam_date: examDate });
  });
  return form;
}
