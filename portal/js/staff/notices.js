// @ts-check
// Notices parked after failed sends (each with its last error); the re-drive sends them again now.
import { get, post } from "../api.js";
import { busy, day, h, noticeBox, render, table } from "../ui.js";

export async function showNotices(main, context) {
  const { notices } = await get("/staff/notices/parked");
  const form = h("form", { "aria-label": "Re-drive parked notices", novalidate: true },
    h("button", { type: "submit", disabled: !notices.length }, "Re-drive all parked notices"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const { requeued } = await post("/staff/notices/redrive");
      await context.reload();
      document.querySelector("#notices-result")?.replaceChildren(
        noticeBox(`${requeued} notice(s) put back and being sent now.`));
    });
  });
  render(main,
    h("h1", {}, "Parked notices"),
    h("p", { class: "lead" }, "A notice is parked after five failed sends. Fix the cause (the error says what), then " +
      "re-drive: they go back to the notice ledger and the daily run sends them, once."),
    h("div", { id: "notices-result", "aria-live": "polite" }),
    notices.length ? table(`${notices.length} parked, oldest first`,
      ["Member", "Notice", "Channel", "Attempts", "Last error", "Parked since"],
      notices.map((n) => [
        h("a", { href: `#/member/${encodeURIComponent(n.member_id)}` }, `${n.name} (${n.member_id})`),
        `${n.credential} ${n.kind.replace(/_/g, " ")} ${n.period}`, n.channel, String(n.attempts), n.last_error || "—",
        day(n.claimed_at.slice(0, 10)),
      ])) : h("p", {}, "No notices are parked."),
    form);
}
