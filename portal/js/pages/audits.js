// @ts-check
// Audits: the member's audits, what each asks for and by when, and the upload of the proof.
import { get } from "../api.js";
import { ACCEPT, uploadDocument } from "../upload.js";
import { busy, day, field, h, noticeBox, render, statusBadge } from "../ui.js";

export async function showAudits(main, context) {
  const { member, memberId } = context;
  const base = `/members/${encodeURIComponent(memberId)}`;
  const { audits } = await get(`${base}/audits`);
  render(main,
    h("h1", {}, member.name),
    h("h2", {}, "Audits"),
    h("p", { class: "lead" }, "Every January a random sample of members who completed a cycle is asked for proof of " +
      "the CE they recorded."),
    audits.length ? audits.map((audit) => auditCard(base, audit, context)) : h("p", {}, "You have no audits."),
  );
}

function auditCard(base, audit, context) {
  const open = !["passed", "failed"].includes(audit.state);
  return h("section", { class: "card", "aria-label": `Audit ${audit.year} ${audit.credential}` },
    h("h3", {}, `${audit.year} audit, ${audit.credential} `, statusBadge(audit.state)),
    h("dl", { class: "facts" },
      h("dt", {}, "Cycle audited"), h("dd", {}, day(audit.cycle_start), " to ", day(audit.cycle_end)),
      h("dt", {}, "Send proof by"), h("dd", {}, day(audit.deadline)),
      h("dt", {}, "Documents sent"), h("dd", {}, String(audit.document_ids.length))),
    h("p", {}, h("strong", {}, "What to send: "), audit.required),
    audit.decisions.length ? h("ul", {}, audit.decisions.map((d) =>
      h("li", {}, day(d.at.slice(0, 10)), `: ${d.action}`, d.member_note ? [h("br"), d.member_note] : ""))) : null,
    open ? uploadForm(base, audit, context) : null);
}

function uploadForm(base, audit, context) {
  const files = h("input", { type: "file", name: "documents", multiple: true, accept: ACCEPT, required: true });
  const form = h("form", { "aria-label": `Send proof for the ${audit.year} audit`, novalidate: true },
    field("Proof documents", files, "PDF, JPEG or PNG, at most 10 MB each."),
    h("button", { type: "submit" }, "Send documents"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      if (!files.files.length) throw new Error("Choose at least one file.");
      for (const file of files.files) await uploadDocument(base, file, { purpose: "audit", auditId: audit.audit_id });
      await context.reload();
      document.querySelector("main h2")?.after(noticeBox(`Sent ${files.files.length} document(s) for the ${audit.year} audit.`));
    }, { documents: files });
  });
  return form;
}
