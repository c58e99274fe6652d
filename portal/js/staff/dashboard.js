// @ts-check
// The program at a glance: counters kept up by the writes (one read), as charts with their numbers
// in tables, and as CSV for the monthly report; and where each daily job stands.
import { get, request } from "../api.js";
import { alertBox, h, render, saveBlob, table } from "../ui.js";

export async function showDashboard(main, context) {
  const month = /^\d{4}-\d{2}$/.test(context.params.get("month") || "") ? context.params.get("month") : "";
  const query = month ? `?month=${month}` : "";
  const [view, jobs] = await Promise.all([get(`/staff/dashboard${query}`), get("/staff/jobs")]);
  const monthInput = h("input", { id: "figures-month", name: "month", type: "month", value: view.month });
  const pick = h("form", { class: "card narrow", "aria-label": "Month of the renewals figures", novalidate: true },
    h("label", { for: "figures-month" }, "Renewals of the month"), monthInput, h("button", { type: "submit" }, "Show"));
  pick.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/dashboard?month=${monthInput.value}`;
  });
  const download = h("button", {
    type: "button",
    class: "secondary",
    onclick: async (event) => {
      try {
        saveBlob(await request("GET", `/staff/dashboard${query}`, { accept: "text/csv" }), `ccp-figures-${view.month}.csv`);
      } catch (error) {
        event.currentTarget.after(alertBox(error.message));
      }
    },
  }, "Download CSV");
  const byCredential = {};
  for (const row of view.holders) (byCredential[row.credential] ??= {})[row.status] = row.holders;
  const statuses = ["active", "inactive", "must_recertify"];
  const r = view.renewals;
  render(main,
    h("h1", {}, "The program at a glance"),
    h("p", { class: "lead" }, "Kept up by every change as it is written; the statuses are as the last daily sweep left them."),
    h("div", { class: "actions" }, download),
    h("section", { "aria-label": "Credential holders by status" },
      h("h2", {}, "Credential holders by status"),
      bars(Object.entries(byCredential).map(([code, counts]) => [code, statuses.map((s) => counts[s] || 0)]), statuses),
      table("Credential holders by status", ["Credential", "Active", "Inactive", "Must recertify"],
        Object.entries(byCredential).map(([code, counts]) => [code, ...statuses.map((s) => String(counts[s] || 0))]))),
    h("section", { "aria-label": "Renewals" },
      h("h2", {}, `Renewals due in ${view.month}`),
      pick,
      bars([["Renewals", [r.paid_on_time, r.paid_late, r.void, r.unpaid]]], ["paid on time", "paid late", "void", "unpaid"]),
      table(`Renewals due in ${view.month}`, ["Due", "Paid on time", "Paid late", "Void", "Unpaid"],
        [[r.due, r.paid_on_time, r.paid_late, r.void, r.unpaid].map(String)])),
    h("section", { "aria-label": "Cycles closing unmet" },
      h("h2", {}, "Cycles closing in the next 90 days, still unmet"),
      bars(view.unmet_cycles_ending.map((m) => [m.month, [m.cycles]]), ["unmet"], 2),
      table("Cycles ending each month with the requirement unmet", ["Month", "Cycles"],
        view.unmet_cycles_ending.map((m) => [m.month, String(m.cycles)]))),
    h("section", { "aria-label": "Daily jobs" },
      h("h2", {}, "Daily jobs"),
      h("p", {}, "A run that failed or never fired is caught up by the next one; a job a day behind raises the alarm."),
      table("Daily jobs: the last day each finished", ["Job", "Runs at", "Last day done", "Days behind", "Last failure"],
        jobs.jobs.map((j) => [j.job.replace(/_/g, " "), `${j.runs_daily_at} Chicago`, j.last_day_done || "never ran",
          j.days_behind === null ? "—" : String(j.days_behind),
          j.last_error ? `${j.last_error} (${j.last_error_at.replace("T", " ").slice(0, 16)})` : "—"]))),
    h("section", { "aria-label": "Audit outcomes" },
      h("h2", {}, "Audit outcomes by year"),
      view.audits.length ? table("Audits by year", ["Year", "Open", "Passed", "Failed"],
        view.audits.map((a) => [String(a.year), String(a.open), String(a.passed), String(a.failed)]))
        : h("p", {}, "No audits yet.")),
  );
}

/** Stacked horizontal bars (a picture of the table beside it: hidden from screen readers). */
function bars(rows, series, firstColour = 0) {
  const largest = Math.max(1, ...rows.map(([, values]) => values.reduce((a, b) => a + b, 0)));
  return h("div", { class: "chart", "aria-hidden": "true" },
    rows.map(([label, values]) => h("div", { class: "chart-row" },
      h("span", { class: "chart-label" }, label),
      h("span", { class: "chart-bar" }, values.map((value, i) => value ? h("span", {
        class: `chart-part part-${i + firstColour}`, style: `width:${(100 * value) / largest}%`, title: `${series[i]}: ${value}`,
      }) : null)))),
    h("p", { class: "chart-key" }, series.map((name, i) => h("span", { class: `key part-${i + firstColour}` }, name))));
}
