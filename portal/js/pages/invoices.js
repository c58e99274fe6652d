// @ts-check
// Invoices: each with its state; "Pay" goes to the processor's hosted checkout and comes back here;
// a paid invoice has its receipt (PDF).
import { get, post, request } from "../api.js";
import { alertBox, day, h, money, noticeBox, render, saveBlob, statusBadge, table } from "../ui.js";

const STATES = {
  locked: "Locked until your CE is complete",
  open: "Open",
  paid: "Paid",
  void: "Void",
  refunded: "Refunded: payable again",
};

export async function showInvoices(main, { member, memberId, params }) {
  const base = `/members/${encodeURIComponent(memberId)}`;
  const { invoices } = await get(`${base}/invoices`);
  const back = params.get("paid")
    ? noticeBox(`Thank you: your payment for invoice ${params.get("paid")} was received.`)
    : params.get("cancelled") ? noticeBox("The payment was cancelled; nothing was charged.") : null;
  const sorted = [...invoices].sort((a, b) => (a.due_date < b.due_date ? 1 : -1));
  const rows = sorted.map((invoice) => [
    h("span", { id: `invoice-${invoice.invoice_id}` }, invoice.invoice_id),
    invoice.credential,
    money(invoice.amount, invoice.currency),
    day(invoice.due_date),
    h("span", {}, statusBadge(invoice.state, STATES[invoice.state]),
      invoice.state === "locked" && invoice.available_on ? [h("br"), "payable from ", day(invoice.available_on)] : null,
      invoice.state === "paid" && invoice.paid_on ? [h("br"), "on ", day(invoice.paid_on)] : null,
      invoice.member_note ? [h("br"), invoice.member_note] : null),
    action(base, invoice),
  ]);
  render(main,
    h("h1", {}, member.name),
    h("h2", {}, "Invoices"),
    back,
    h("p", { class: "lead" }, "The renewal fee is due in your anniversary month. The invoice that closes a CE cycle " +
      "can be paid once the cycle's points are in."),
    invoices.length ? table("Your invoices, newest first", ["Invoice", "Credential", "Amount", "Due", "State", "Actions"], rows)
      : h("p", {}, "You have no invoices."),
  );
}

function action(base, invoice) {
  const id = encodeURIComponent(invoice.invoice_id);
  if (invoice.state === "open" || invoice.state === "refunded") {
    const key = crypto.randomUUID();  // one per Pay button: a second click is the same checkout
    return h("button", {
      type: "button",
      "aria-describedby": `invoice-${invoice.invoice_id}`,
      onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        try {
          const checkout = await post(`${base}/invoices/${id}/checkout`, undefined, { idempotent: key });
          window.location.assign(checkout.checkout_url);
        } catch (error) {
          button.disabled = false;
          button.after(alertBox(error.message));
        }
      },
    }, "Pay");
  }
  if (invoice.state === "paid") {
    const key = crypto.randomUUID();  // one per Pay button: a second click is the same checkout
    return h("button", {
      type: "button",
      class: "secondary",
      "aria-label": `Receipt for invoice ${invoice.invoice_id} (PDF)`,
      onclick: async (event) => {
        try {
          const blob = await request("GET", `${base}/invoices/${id}/receipt`, { accept: "application/pdf" });
          saveBlob(blob, `receipt-${invoice.invoice_id}.pdf`);
        } catch (error) {
          event.currentTarget.after(alertBox(error.message));
        }
      },
    }, "Receipt (PDF)");
  }
  return "";
}
