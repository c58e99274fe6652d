// @ts-check
// CE activities: record one (with the rule table's guidance per category), correct or remove one
// while its cycle is open, and download the transcript.
import { get, patch, post, remove, request, submissionKey } from "../api.js";
import { alertBox, busy, checkbox, day, field, h, noticeBox, points, render, saveBlob, table } from "../ui.js";

export async function showActivities(main, context) {
  const { member, memberId } = context;
  const base = `/members/${encodeURIComponent(memberId)}`;
  const [progress, listing] = await Promise.all([
    get(`${base}/progress`),
    get(`${base}/ce-activities?cycle=current`),
  ]);
  const categories = Object.entries(progress[0]?.by_category || {}).map(([code, c]) => ({ code, ...c }));
  const codes = member.credentials.map((c) => c.code);
  const result = h("div", { "aria-live": "polite" });
  const refresh = async (message) => {
    await showActivities(main, context);
    if (message) main.querySelector("#record-result").replaceChildren(noticeBox(message));
  };
  render(main,
    h("h1", {}, member.name),
    h("h2", {}, "Continuing education"),
    remainingList(progress),
    h("p", {}, transcriptLink(base)),
    recordForm(base, codes, categories, refresh),
    Object.assign(result, { id: "record-result" }),
    activityTable(base, listing.activities, categories, refresh),
  );
}

function remainingList(progress) {
  return h("ul", { class: "remaining-list", "aria-label": "Points remaining this cycle" },
    progress.map((p) => h("li", {}, h("strong", {}, p.credential), `: ${points(p.remaining_points)} points remaining`,
      ` (${points(p.counted_points)} of ${points(p.required_points)} counted, cycle ends `, day(p.cycle_end), ")")));
}

export function transcriptLink(base) {
  return h("a", {
    href: "#download-transcript",
    onclick: async (event) => {
      event.preventDefault();
      const link = event.currentTarget;
      try {
        const blob = await request("GET", `${base}/transcript`, { accept: "application/pdf" });
        saveBlob(blob, "ccp-transcript.pdf");
      } catch (error) {
        link.after(alertBox(error.message));
      }
    },
  }, "Download transcript (PDF)");
}

function recordForm(base, codes, categories, refresh) {
  const category = h("select", { name: "category", required: true },
    categories.map((c) => h("option", { value: c.code }, c.label || c.code)));
  const guidance = h("p", { class: "hint", id: "category-guidance", "aria-live": "polite" });
  const showGuidance = () => {
    const chosen = categories.find((c) => c.code === category.value);
    const cap = chosen?.cap === null || chosen?.cap === undefined ? "" : ` At most ${points(chosen.cap)} points count per cycle.`;
    guidance.textContent = chosen ? `${chosen.guidance}.${cap}` : "";
  };
  category.addEventListener("change", showGuidance);
  category.setAttribute("aria-describedby", guidance.id);
  const inputs = {
    category,
    title: h("input", { name: "title", required: true, maxlength: 200 }),
    provider: h("input", { name: "provider", maxlength: 200 }),
    points: h("input", { name: "points", type: "number", min: "0.01", step: "0.01", required: true, inputmode: "decimal" }),
    start_date: h("input", { name: "start_date", type: "date", required: true }),
    end_date: h("input", { name: "end_date", type: "date", required: true }),
  };
  const credentialBoxes = codes.map((code) => checkbox(code, { name: "credentials", value: code, checked: codes.length === 1 }));
  const attest = checkbox("I attest that this information is correct", { name: "attested" });
  const form = h("form", { class: "card", "aria-label": "Record CE", novalidate: true },
    h("h3", {}, "Record CE"),
    h("div", {}, h("label", { for: (category.id = "record-category") }, "Category"), guidance, category),
    h("div", { class: "fields" },
      field("Title", inputs.title),
      field("Provider", inputs.provider, "Optional"),
      field("Points", inputs.points),
      h("div"),
      field("Start date", inputs.start_date),
      field("End date", inputs.end_date)),
    h("fieldset", {}, h("legend", {}, "For which credentials"), credentialBoxes),
    attest,
    h("button", { type: "submit" }, "Record"));
  showGuidance();
  const key = submissionKey(form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const body = {
        credentials: [...form.querySelectorAll("input[name=credentials]:checked")].map((i) => i.value),
        category: category.value,
        title: inputs.title.value.trim(),
        points: inputs.points.value === "" ? null : Number(inputs.points.value),
        start_date: inputs.start_date.value || null,
        end_date: inputs.end_date.value || null,
        attested: attest.querySelector("input").checked,
      };
      if (inputs.provider.value.trim()) body.provider = inputs.provider.value.trim();
      const created = await post(`${base}/ce-activities`, body, { idempotent: key() });
      await refresh(`Recorded. ${points(created.counted_points)} points count toward your requirement.`);
    }, inputs);
  });
  return form;
}

function activityTable(base, activities, categories, refresh) {
  if (!activities.length) return h("p", {}, "No activities recorded in the current cycle yet.");
  const label = (code) => categories.find((c) => c.code === code)?.label || code;
  const rows = activities.map((a) => [
    h("span", {}, a.title, a.provider ? h("br") : null, a.provider ? h("small", {}, a.provider) : null),
    label(a.category),
    h("span", {}, day(a.start_date), a.end_date !== a.start_date ? [" to ", day(a.end_date)] : null),
    points(a.points),
    a.credentials.join(", "),
    a.source === "member" ? h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", "aria-label": `Correct ${a.title}`,
        onclick: (event) => editRow(event.currentTarget, base, a, refresh) }, "Correct"),
      h("button", { type: "button", class: "danger", "aria-label": `Remove ${a.title}`,
        onclick: (event) => removeRow(event.currentTarget, base, a, refresh) }, "Remove"),
    ) : h("small", {}, a.source === "course_platform" ? "From the course platform" : "Recorded by staff"),
  ]);
  return h("section", { "aria-label": "Activities this cycle" },
    h("h3", {}, "Activities this cycle"),
    table("Your CE activities in the current cycle", ["Activity", "Category", "Dates", "Points", "Credentials", "Actions"], rows));
}

async function removeRow(button, base, activity, refresh) {
  if (!window.confirm(`Remove "${activity.title}"? Its points stop counting.`)) return;
  try {
    await remove(`${base}/ce-activities/${encodeURIComponent(activity.activity_id)}`);
    await refresh(`Removed "${activity.title}".`);
  } catch (error) {
    button.closest("td").append(alertBox(error.message));
  }
}

function editRow(button, base, activity, refresh) {
  const cell = button.closest("td");
  if (cell.querySelector("form")) return;
  const inputs = {
    title: h("input", { name: "title", value: activity.title, required: true }),
    points: h("input", { name: "points", type: "number", step: "0.01", value: activity.points, required: true }),
    start_date: h("input", { name: "start_date", type: "date", value: activity.start_date }),
    end_date: h("input", { name: "end_date", type: "date", value: activity.end_date }),
  };
  const attest = checkbox("I attest that this information is correct", { name: "attested" });
  const form = h("form", { "aria-label": `Correct ${activity.title}`, novalidate: true },
    field("Title", inputs.title), field("Points", inputs.points),
    field("Start date", inputs.start_date), field("End date", inputs.end_date),
    attest,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Save correction"),
      h("button", { type: "button", class: "secondary", onclick: () => form.remove() }, "Cancel")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      await patch(`${base}/ce-activities/${encodeURIComponent(activity.activity_id)}`, {
        title: inputs.title.value.trim(),
        points: Number(inputs.points.value),
        start_date: inputs.start_date.value,
        end_date: inputs.end_date.value,
        attested: attest.querySelector("input").checked,
      });
      await refresh(`Corrected "${inputs.title.value.trim()}".`);
    }, inputs);
  });
  cell.append(form);
  inputs.title.focus();
}
