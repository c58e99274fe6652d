// @ts-check
// Payments the processor reported that could not be applied (a wrong amount, an invoice already paid).
import { get } from "../api.js";
import { day, h, money, render, table } from "../ui.js";

export async function showPayments(main) {
  const { payments } = await get("/staff/payments/parked");
  render(main,
    h("h1", {}, "Parked payments"),
    h("p", { class: "lead" }, "Money that moved at the processor but paid nothing here. Refund it at the processor, " +
      "or ask the member; the reason says why it was parked."),
    payments.length ? table("Parked payments, newest first", ["Received", "Member", "Invoice", "Amount", "Reason"],
      payments.map((p) => [
        day(p.received_at.slice(0, 10)),
        p.member_id ? h("a", { href: `#/member/${encodeURIComponent(p.member_id)}` }, p.member_id) : "—",
        p.invoice_id || "—",
        p.amount === null ? "—" : money(p.amount, p.currency || "usd"),
        h("span", {}, h("strong", {}, p.reason), h("br"), p.message),
      ])) : h("p", {}, "No payments are parked."));
}
