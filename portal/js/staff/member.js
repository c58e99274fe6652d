// @ts-check
// A member's record: credentials, cycles, activities, invoices and payments, notices by channel,
// applications, audits and badges, with the history of who changed what; and the staff actions on
// them (a cheque that came by post, a void, a course-platform correction, a later audit deadline).
import { patch, post, remove, get, submissionKey } from "../api.js";
import { busy, day, field, h, money, noticeBox, points, render, statusBadge, table } from "../ui.js";

export async function showMember(main, context) {
  const memberId = context.arg;
  // "As of" a past day: the record as it stood at the end of that day (its cycle, invoices, statuses); no actions.
  const asOf = /^\d{4}-\d{2}-\d{2}$/.test(context.params.get("at") || "") ? context.params.get("at") : "";
  const query = asOf ? `?at=${asOf}` : "";
  const record = await get(`/staff/members/${encodeURIComponent(memberId)}/record${query}`);
  const m = record.member;
  const base = `/members/${encodeURIComponent(memberId)}`;
  const again = async (message) => {
    await showMember(main, context);
    main.querySelector("#record-result").replaceChildren(noticeBox(message));
  };
  const address = m.mailing_address
    ? [m.mailing_address.line1, m.mailing_address.line2, `${m.mailing_address.city}, ${m.mailing_address.state} ${m.mailing_address.postal_code}`].filter(Boolean).join(", ")
    : "none";
  render(main,
    h("h1", {}, m.name),
    h("p", { class: "lead" }, `Member ID ${m.member_id} · overall `, statusBadge(m.status)),
    asOfForm(memberId, asOf),
    h("div", { id: "record-result", "aria-live": "polite" }),
    h("dl", { class: "facts card" },
      h("dt", {}, "Email"), h("dd", {}, m.email, " ", statusBadge(m.email_status)),
      h("dt", {}, "Mailing address"), h("dd", {}, address),
      h("dt", {}, "Letters"), h("dd", {}, m.mail_opt_out ? "no (email only)" : "yes")),
    asOf ? "" : nameForm(memberId, m, again),
    section("Credentials", asOf ? "" : credentialForm(memberId, again), table(asOf ? `Credentials and their cycles on ${day(asOf)}` : "Credentials and their open cycles",
      ["Credential", "Status", "Certified", "Cycle", "Requirement met", "Badge"],
      record.credentials.map((c) => [
        c.code, statusBadge(m.credentials.find((x) => x.code === c.code)?.status || c.status), day(c.certified_on),
        h("span", {}, day(c.cycle_start), " to ", day(c.cycle_end)), day(c.met_on), c.badge_id || "—",
      ]))),
    section("Invoices", record.invoices.length ? table("Invoices, newest first",
      ["Invoice", "Amount", "Due", "State", "Actions"],
      record.invoices.map((i) => [
        i.invoice_id, money(i.amount, i.currency), day(i.due_date), statusBadge(i.state),
        !asOf && ["open", "locked", "refunded"].includes(i.state) ? invoiceActions(base, memberId, i, again) : "—",
      ])) : h("p", {}, "No invoices.")),
    section("Payments", record.payments.length ? table("Payments",
      ["Invoice", "Amount", "Method", "Paid", "Recorded by", "State"],
      record.payments.map((p) => [p.invoice_id, money(p.amount, p.currency), p.method, day(p.paid_at.slice(0, 10)),
        p.recorded_by, statusBadge(p.state)])) : h("p", {}, "No payments.")),
    section("CE activities", record.activities.length ? table("Activities, newest first",
      ["Activity", "Points", "Dates", "Source", "Actions"],
      record.activities.map((a) => [
        a.title, points(a.points), h("span", {}, day(a.start_date), " to ", day(a.end_date)), a.source.replace("_", " "),
        !asOf && a.source === "course_platform" ? activityActions(base, a, again) : "—",
      ])) : h("p", {}, "No activities.")),
    section("Notices", record.notices.length ? table("Notices by channel",
      ["Notice", "Channel", "Period", "State", "Sent", "Last error"],
      record.notices.map((n) => [n.kind.replace(/_/g, " "), n.channel, n.period, statusBadge(n.state),
        n.sent_at ? day(n.sent_at.slice(0, 10)) : "—", n.last_error || "—"])) : h("p", {}, "No notices.")),
    section("Applications", record.applications.length ? table("Recertification applications",
      ["Application", "Credential", "Path", "State"],
      record.applications.map((a) => [h("a", { href: `#/applications?state=${a.state}` }, a.application_id),
        a.credential, a.path, statusBadge(a.state)])) : h("p", {}, "No applications.")),
    section("Audits", record.audits.length ? table("Audits",
      ["Audit", "State", "Deadline", "Documents", "Actions"],
      record.audits.map((a) => [a.audit_id, statusBadge(a.state), day(a.deadline), String(a.document_ids.length),
        !asOf && a.state === "open" ? deadlineForm(a, again) : "—"])) : h("p", {}, "No audits.")),
    section("History", record.history.length
      ? h("ol", { class: "history" }, record.history.map((e) =>
        h("li", {}, h("time", { datetime: e.at }, e.at.replace("T", " ").slice(0, 16)), ` · ${e.by} · ${e.what}`,
          e.note ? ` (“${e.note}”)` : "")))
      : h("p", {}, "Nothing yet.")),
  );
}

// Staff ask how the record stood on a past day (rules §5: a later event never rewrites an earlier day).
function asOfForm(memberId, asOf) {
  const when = h("input", { name: "at", type: "date", value: asOf, max: new Date().toISOString().slice(0, 10) });
  const form = h("form", { "aria-label": "The record as of a day", class: "inline" },
    field("As of the end of", when), h("button", { type: "submit" }, "Show that day"),
    asOf ? h("a", { href: `#/member/${encodeURIComponent(memberId)}` }, "Back to today") : "");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/member/${encodeURIComponent(memberId)}${when.value ? `?at=${when.value}` : ""}`;
  });
  return h("div", {},
    asOf ? noticeBox(`As the record stood at the end of ${day(asOf)}: its cycle, invoices and statuses then. Nothing can be changed here.`) : "",
    form);
}

// One person, one member: staff change a name (with the reason, kept in the history) and add a
// credential to the member rather than creating them again.
function nameForm(memberId, member, again) {
  const first = h("input", { name: "first_name", required: true, value: member.first_name, autocomplete: "off" });
  const last = h("input", { name: "last_name", required: true, value: member.last_name, autocomplete: "off" });
  const reason = h("textarea", { name: "reason", rows: 2, required: true });
  const form = h("form", { "aria-label": "Change the name", novalidate: true },
    field("First name", first), field("Last name", last), field("Reason", reason, "Kept in the history, with your name"),
    h("button", { type: "submit" }, "Save name"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      await patch(`/staff/members/${encodeURIComponent(memberId)}`,
        { first_name: first.value.trim(), last_name: last.value.trim(), reason: reason.value.trim() });
      await again(`The name is now ${first.value.trim()} ${last.value.trim()}.`);
    }, { first_name: first, last_name: last, reason });
  });
  return action("Change the name", form);
}

function credentialForm(memberId, again) {
  const code = h("input", { name: "code", required: true, autocomplete: "off", placeholder: "RMA" });
  const certified = h("input", { name: "certified_on", type: "date", required: true });
  const form = h("form", { "aria-label": "Add a credential", novalidate: true },
    field("Credential", code), field("Certified on", certified), h("button", { type: "submit" }, "Add credential"));
  const key = submissionKey(form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const added = await post(`/staff/members/${encodeURIComponent(memberId)}/credentials`,
        { code: code.value.trim().toUpperCase(), certified_on: certified.value }, { idempotent: key() });
      await again(`${added.code} added: cycle ${added.cycle_start} to ${added.cycle_end}.`);
    }, { code, certified_on: certified });
  });
  return action("Add a credential", form);
}

function section(title, ...content) {
  return h("section", { "aria-label": title }, h("h2", {}, title), ...content);
}

function action(summary, form) {
  return h("details", { class: "action" }, h("summary", {}, summary), form);
}

function invoiceActions(base, memberId, invoice, again) {
  const amount = h("input", { name: "amount", type: "number", step: "0.01", min: "0.01", value: invoice.amount });
  const method = h("select", { name: "method" }, h("option", { value: "check" }, "Cheque"),
    h("option", { value: "money_order" }, "Money order"));
  const reference = h("input", { name: "reference", required: true });
  const pay = h("form", { "aria-label": `Record a payment for ${invoice.invoice_id}`, novalidate: true },
    field("Amount", amount), field("Method", method), field("Cheque or money order number", reference),
    h("button", { type: "submit" }, "Record payment"));
  const key = submissionKey(pay);
  pay.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(pay, async () => {
      await post(`${base}/invoices/${encodeURIComponent(invoice.invoice_id)}/payments`,
        { amount: Number(amount.value), method: method.value, reference: reference.value.trim() }, { idempotent: key() });
      await again(`Payment recorded for ${invoice.invoice_id}.`);
    }, { amount, method, reference });
  });
  const reason = h("textarea", { name: "reason", rows: 2, required: true });
  const toMember = h("textarea", { name: "member_note", rows: 2 });
  const voidForm = h("form", { "aria-label": `Void ${invoice.invoice_id}`, novalidate: true },
    field("Reason", reason, "Kept with the invoice; the member does not see it."),
    field("Message to the member", toMember, "Shown to the member on the invoice."),
    h("button", { type: "submit", class: "danger" }, "Void invoice"));
  voidForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(voidForm, async () => {
      await post(`/staff/members/${encodeURIComponent(memberId)}/invoices/${encodeURIComponent(invoice.invoice_id)}/void`,
        { reason: reason.value.trim(), member_note: toMember.value.trim() || null });
      await again(`Invoice ${invoice.invoice_id} voided.`);
    }, { reason, member_note: toMember });
  });
  return h("div", {}, action("Record a cheque", pay), action("Void", voidForm));
}

function activityActions(base, activity, again) {
  const path = `${base}/ce-activities/${encodeURIComponent(activity.activity_id)}`;
  const pointsInput = h("input", { name: "points", type: "number", step: "0.01", value: activity.points });
  const reason = h("textarea", { name: "reason", rows: 2, required: true });
  const correct = h("form", { "aria-label": `Correct ${activity.title}`, novalidate: true },
    field("Points", pointsInput), field("Reason", reason), h("button", { type: "submit" }, "Save correction"));
  correct.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(correct, async () => {
      await patch(path, { points: Number(pointsInput.value), attested: true, reason: reason.value.trim() });
      await again(`Corrected "${activity.title}".`);
    }, { points: pointsInput, reason });
  });
  const why = h("textarea", { name: "reason", rows: 2, required: true });
  const drop = h("form", { "aria-label": `Remove ${activity.title}`, novalidate: true },
    field("Reason", why), h("button", { type: "submit", class: "danger" }, "Remove activity"));
  drop.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(drop, async () => {
      await remove(`${path}?reason=${encodeURIComponent(why.value.trim())}`);
      await again(`Removed "${activity.title}".`);
    }, { reason: why });
  });
  return h("div", {}, action("Correct", correct), action("Remove", drop));
}

export function deadlineForm(audit, again) {
  const deadline = h("input", { name: "deadline", type: "date", required: true });
  const reason = h("textarea", { name: "reason", rows: 2, required: true });
  const form = h("form", { "aria-label": `Extend the deadline of ${audit.audit_id}`, novalidate: true },
    field("New deadline", deadline), field("Reason", reason), h("button", { type: "submit" }, "Extend deadline"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      await post(`/staff/audits/${encodeURIComponent(audit.audit_id)}/deadline`,
        { deadline: deadline.value, reason: reason.value.trim() });
      await again(`The deadline of ${audit.audit_id} is now ${deadline.value}.`);
    }, { deadline, reason });
  });
  return action("Extend the deadline", form);
}
