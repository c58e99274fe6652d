// @ts-check
// Moving members in (docs/import.md): a JSON Lines file checked by a dry run, then imported; the page
// follows the import while it runs, lists the lines it refused, and sends the logins' invitations in
// batches once it is done. `#/imports` starts one; `#/imports/<id>` shows one (a reload keeps it).
import { get, post } from "../api.js";
import { sendToStore } from "../upload.js";
import { alertBox, busy, checkbox, field, h, noticeBox, render, statusBadge, table } from "../ui.js";

const FOLLOW_EVERY_MS = 1000;

export async function showImports(main, context) {
  if (context.arg) return showImport(main, context, await get(`/staff/imports/${encodeURIComponent(context.arg)}`));
  const file = h("input", { type: "file", name: "file", required: true, accept: ".jsonl,.gz,application/x-ndjson,application/gzip" });
  const dry = checkbox("Dry run: check every line and report what would happen; write nothing", { name: "dry_run", checked: true });
  const form = h("form", { "aria-label": "Import members", novalidate: true },
    field("Members file (JSON Lines, or .jsonl.gz)", file, "One member a line, as docs/import.md describes."),
    dry,
    h("button", { type: "submit" }, "Upload and start"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const chosen = /** @type {HTMLInputElement} */ (file).files?.[0];
      if (!chosen) throw new Error("Choose the members file first.");
      const dryRun = /** @type {HTMLInputElement} */ (dry.querySelector("input")).checked;
      const made = await post("/staff/imports", { dry_run: dryRun });
      await sendToStore(made.upload, chosen);
      await post(`/staff/imports/${encodeURIComponent(made.import_id)}/start`);
      location.hash = `#/imports/${encodeURIComponent(made.import_id)}`;
    }, { file });
  });
  render(main,
    h("h1", {}, "Import members"),
    h("p", { class: "lead" }, "Bring a body's members in with their history: fees paid, CE, lapses and reinstatements. " +
      "Check the file with a dry run first; a bad line never writes anything for its member, and importing the same " +
      "file again changes nothing. Members get logins with no email sent: you send the invitations when you choose."),
    form);
}

function showImport(main, context, status) {
  const done = status.imported + status.unchanged + status.invalid;
  const would = status.dry_run ? "Would be imported" : "Imported";
  if (status.state === "running") {
    // Follow it while this page is the one shown (a page left behind stops asking).
    setTimeout(() => { if (main.isConnected) context.reload(); }, FOLLOW_EVERY_MS);
  }
  render(main,
    h("h1", {}, `${status.dry_run ? "Dry run" : "Import"} ${status.import_id}`),
    h("p", {}, statusBadge(status.state, status.state.replace(/_/g, " ")),
      status.import_day ? ` Import day ${status.import_day}.` : ""),
    status.state === "running"
      ? h("p", {}, h("label", { for: "import-progress" }, `${done} of ${status.lines || "?"} lines done `),
        h("progress", { id: "import-progress", max: status.lines || 1, value: done }))
      : null,
    status.failure ? alertBox(status.failure) : null,
    h("section", { "aria-label": "Counts" },
      h("dl", { class: "facts" },
        h("dt", {}, "Lines"), h("dd", {}, String(status.lines)),
        h("dt", {}, would), h("dd", {}, String(status.imported)),
        h("dt", {}, "Unchanged (imported before)"), h("dd", {}, String(status.unchanged)),
        h("dt", {}, "Refused"), h("dd", {}, String(status.invalid)),
        status.dry_run ? null : [h("dt", {}, "Invitations sent"), h("dd", {}, String(status.invitations_sent))])),
    status.errors.length
      ? table(`Refused lines${status.invalid > status.errors.length ? ` (the first ${status.errors.length})` : ""}`,
        ["Line", "Legacy id", "Field", "Code", "Message"],
        status.errors.map((e) => [String(e.line), e.legacy_id || "—", e.field || "—", e.code, e.message]))
      : null,
    status.report_url ? h("p", {}, h("a", { href: status.report_url }, "Download every refused line (CSV)")) : null,
    status.state === "done" && status.dry_run
      ? h("p", {}, "Nothing was written. ", h("a", { href: "#/imports" }, "Import the file for real"), " when the report is what you expect.")
      : null,
    status.state === "done" && !status.dry_run ? invitations(status) : null);
}

function invitations(status) {
  const waiting = status.imported - status.invitations_sent;
  const region = (...content) => h("section", { "aria-label": "Invitations" }, h("h2", {}, "Invitations"), content);
  if (!waiting) return region(h("p", {}, "Every member this import wrote has been invited."));
  const limit = h("input", { type: "number", name: "limit", min: 1, max: waiting, inputmode: "numeric" });
  const form = h("form", { "aria-label": "Send invitations", novalidate: true },
    field("How many to invite now", limit, `${waiting} not invited yet; leave empty to invite them all.`),
    h("button", { type: "submit" }, "Send invitations"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const value = /** @type {HTMLInputElement} */ (limit).value;
      const { queued } = await post(`/staff/imports/${encodeURIComponent(status.import_id)}/invitations`,
        value ? { limit: Number(value) } : {});
      // Sent by the import's workers, each member once: the counts above catch up on the next look.
      form.replaceChildren(noticeBox(`${queued} invitation(s) on their way; each member is invited once.`));
    }, { limit });
  });
  return region(form);
}
