// @ts-check
// Status: each credential's standing, the cycle's progress by category (what is missing, what a cap
// keeps from counting) and the dates on which the member would become inactive or have to recertify.
import { get } from "../api.js";
import { day, h, points, render, statusBadge, table } from "../ui.js";

const STATUS_WORDS = {
  active: "Active",
  inactive: "Inactive",
  must_recertify: "Must recertify",
  lapsed: "Lapsed",
};

export async function showStatus(main, { member, memberId }) {
  const progress = await get(`/members/${encodeURIComponent(memberId)}/progress`);
  const byCode = Object.fromEntries(progress.map((p) => [p.credential, p]));
  render(main,
    h("h1", {}, member.name),
    h("p", { class: "lead" }, `Member ID ${member.member_id} · overall status `,
      statusBadge(member.status, STATUS_WORDS[member.status])),
    member.email_status !== "ok" ? emailWarning(member) : null,
    h("div", { class: "grid" }, member.credentials.map((c) => credentialCard(c, byCode[c.code]))),
    progress.map(categoryTable),
    h("p", {}, h("a", { href: "#/activities" }, "Record CE or see your activities"), " · ",
      h("a", { href: "#/invoices" }, "See and pay your invoices")),
  );
}

function emailWarning(member) {
  const why = {
    unconfirmed: "Your new email address is not confirmed yet: notices go by post until you enter the code we sent.",
    bounced: "Email to your address could not be delivered: notices go by post. Check your address.",
    complained: "Your address reported our email as spam: notices go by post. Update your address to get email again.",
  }[member.email_status];
  return h("p", { class: "alert", role: "status" }, why, " ", h("a", { href: "#/contact" }, "Contact details"));
}

function credentialCard(credential, progress) {
  const id = `cred-${credential.code}`;
  const required = Number(progress?.required_points ?? 0);
  const counted = Number(progress?.counted_points ?? 0);
  const share = required ? Math.min(100, Math.round((counted / required) * 100)) : 100;
  return h("section", { class: "card", "aria-label": credential.code, id },
    h("h2", {}, credential.code, " ", statusBadge(credential.status, STATUS_WORDS[credential.status])),
    h("dl", { class: "facts" },
      h("dt", {}, "Certified"), h("dd", {}, day(credential.certified_on)),
      h("dt", {}, "Current cycle"), h("dd", {}, day(credential.cycle_start), " to ", day(credential.cycle_end)),
      progress ? [
        h("dt", {}, "Points counted"), h("dd", {}, `${points(counted)} of ${points(required)}`),
        h("dt", {}, "Points remaining"), h("dd", { class: "remaining" }, points(progress.remaining_points)),
        progress.met_on ? [h("dt", {}, "Requirement met"), h("dd", {}, day(progress.met_on))] : null,
      ] : null,
    ),
    credential.grandfathered ? h("p", {}, "Grandfathered: no CE requirement, the annual fee only.") : null,
    progress && !credential.grandfathered ? h("div", {
      class: "meter", role: "img", "aria-label": `${share}% of the cycle's points counted`,
    }, h("span", { style: `width:${share}%` })) : null,
    progress ? lapseSentence(progress) : null,
  );
}

function lapseSentence(progress) {
  const parts = [];
  if (progress.inactive_on) parts.push("becomes inactive on ", day(progress.inactive_on));
  if (progress.must_recertify_on) {
    if (parts.length) parts.push(" and ");
    parts.push("must be recertified from ", day(progress.must_recertify_on));
  }
  if (!parts.length) return h("p", {}, "Nothing is due that would change this status.");
  return h("p", { class: "lapse" }, "If nothing more is paid or recorded, this credential ", ...parts, ".");
}

function categoryTable(progress) {
  const rows = Object.entries(progress.by_category).map(([code, c]) => {
    const notCounted = Number(c.recorded) - Number(c.counted);
    const room = c.cap === null || c.cap === undefined ? "no limit" : points(Math.max(0, Number(c.cap) - Number(c.counted)));
    return [
      h("span", {}, c.label || code.replace(/_/g, " "), h("br"), h("small", {}, c.guidance || "")),
      points(c.recorded),
      points(c.counted),
      c.cap === null || c.cap === undefined ? "none" : points(c.cap),
      notCounted > 0 ? h("strong", {}, `${points(notCounted)} earned, not counted`) : "—",
      room,
    ];
  });
  return h("section", { "aria-label": `${progress.credential} progress by category` },
    h("h2", {}, `${progress.credential}: points by category`),
    h("p", {}, `Still needed this cycle: ${points(progress.remaining_points)} points, in any category with room left.`),
    table(`${progress.credential}, cycle ${progress.cycle_start} to ${progress.cycle_end}`,
      ["Category", "Recorded", "Counted", "Cap", "Over the cap", "Can still count"], rows),
  );
}
