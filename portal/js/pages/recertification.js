// @ts-check
// Recertification: which paths are open per credential (and why a path is closed), and the
// application with its proof documents.
import { get, post, submissionKey } from "../api.js";
import { ACCEPT, uploadDocument } from "../upload.js";
import { busy, checkbox, day, field, h, noticeBox, render, statusBadge } from "../ui.js";

const PATHS = { ccp: "By CE documentation", exam: "By examination" };
const CATEGORIES = {
  professional_education: "Professional Education",
  formal_education: "Formal Education",
  authorship: "Authorship of Written Works",
  instructional_presentation: "Instructional Presentations",
  organizational_participation: "Organizational Participation",
  employment: "Employment Verification",
};

export async function showRecertification(main, context) {
  const { member, memberId } = context;
  const base = `/members/${encodeURIComponent(memberId)}`;
  const options = await Promise.all(member.credentials.map((c) =>
    get(`${base}/recertification-options?credential=${encodeURIComponent(c.code)}`)));
  const applicable = options.filter((o) => o.paths.length);
  render(main,
    h("h1", {}, member.name),
    h("h2", {}, "Recertification"),
    h("p", { class: "lead" }, "A credential that lapsed is restored by recertification: by documenting CE, or by " +
      "passing the exam again. What is open to you depends on how long ago it lapsed."),
    options.map((o) => h("section", { class: "card", "aria-label": `${o.credential} recertification` },
      h("h3", {}, o.credential, " ", statusBadge(member.credentials.find((c) => c.code === o.credential)?.status)),
      o.paths.length ? h("p", {}, "Open to you: ", o.paths.map((p) => PATHS[p] || p).join("; "), ".")
        : h("p", {}, "No recertification is needed or open now."),
      o.reasons.length ? h("ul", {}, o.reasons.map((r) => h("li", {}, h("strong", {}, PATHS[r.path] || r.path), ": ", r.reason)))
        : null)),
    applicable.length ? applicationForm(base, applicable) : null,
  );
}

function applicationForm(base, applicable) {
  const credential = h("select", { name: "credential" },
    applicable.map((o) => h("option", { value: o.credential }, o.credential)));
  const pathChoice = h("fieldset", {}, h("legend", {}, "Path"));
  const activities = h("div", { class: "activities" });
  const showPaths = () => {
    const open = applicable.find((o) => o.credential === credential.value)?.paths || [];
    pathChoice.replaceChildren(h("legend", {}, "Path"), ...open.map((p, i) =>
      h("label", { class: "check" }, h("input", { type: "radio", name: "path", value: p, checked: i === 0 }), PATHS[p] || p)));
  };
  credential.addEventListener("change", showPaths);
  showPaths();
  const addActivity = () => activities.append(activityFields(activities.children.length + 1));
  addActivity();
  const felony = checkbox("I have been convicted of a felony", { name: "felony_conviction" });
  const files = h("input", { type: "file", name: "documents", multiple: true, accept: ACCEPT });
  const attest = checkbox("I attest that this information is correct", { name: "attested" });
  const form = h("form", { class: "card", "aria-label": "Apply for recertification", novalidate: true },
    h("h3", {}, "Apply for recertification"),
    field("Credential", credential),
    pathChoice,
    h("fieldset", {}, h("legend", {}, "CE activities (by CE documentation only)"), activities,
      h("button", { type: "button", class: "secondary", onclick: addActivity }, "Add another activity")),
    field("Proof documents", files, "Certificates, transcripts or letters: PDF, JPEG or PNG, at most 10 MB each."),
    felony,
    attest,
    h("button", { type: "submit" }, "Apply"));
  const key = submissionKey(form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const path = form.querySelector("input[name=path]:checked")?.value;
      const documentIds = [];
      for (const file of files.files) documentIds.push(await uploadDocument(base, file, { purpose: "recertification" }));
      const body = {
        credential: credential.value,
        path,
        felony_conviction: felony.querySelector("input").checked,
        activities: path === "ccp" ? readActivities(activities) : [],
        document_ids: documentIds,
        attested: attest.querySelector("input").checked,
      };
      const application = await post(`${base}/recertifications`, body, { idempotent: key() });
      form.replaceWith(h("section", { class: "card" },
        noticeBox(`Application ${application.application_id} received: ${application.state.replace(/_/g, " ")}.`),
        h("p", {}, "Applied on ", day(application.applied_on), ". The recertification fee is invoice ",
          application.fee_invoice_id, ": ", h("a", { href: "#/invoices" }, "pay it with your invoices"), ".")));
    });
  });
  return form;
}

function activityFields(number) {
  const category = h("select", { name: "category" },
    Object.entries(CATEGORIES).map(([value, label]) => h("option", { value }, label)));
  return h("div", { class: "fields activity", role: "group", "aria-label": `Activity ${number}` },
    field(`Activity ${number}: category`, category),
    field(`Activity ${number}: title`, h("input", { name: "title" })),
    field(`Activity ${number}: points`, h("input", { name: "points", type: "number", step: "0.01", min: "0.01" })),
    field(`Activity ${number}: start date`, h("input", { name: "start_date", type: "date" })),
    field(`Activity ${number}: end date`, h("input", { name: "end_date", type: "date" })));
}

function readActivities(container) {
  return [...container.querySelectorAll(".activity")]
    .map((group) => Object.fromEntries([...group.querySelectorAll("input, select")].map((i) => [i.name, i.value.trim()])))
    .filter((a) => a.title)
    .map((a) => ({ ...a, points: Number(a.points) }));
}
