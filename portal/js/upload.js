// @ts-check
// Proof documents: the API hands out a presigned S3 upload (PDF, JPEG or PNG, at most 10 MB); the
// file goes straight to S3 from the browser.
import { post } from "./api.js";

const TYPES = ["application/pdf", "image/jpeg", "image/png"];

/**
 * @param {string} base the application's or audit's path
 * @param {File} file
 * @param {{ purpose?: string, auditId?: string }} [what]
 */
export async function uploadDocument(base, file, { purpose, auditId } = {}) {
  if (!TYPES.includes(file.type)) throw new Error(`${file.name}: send a PDF, JPEG or PNG file.`);
  const body = { purpose, content_type: file.type, filename: file.name, size_bytes: file.size };
  if (auditId) body.audit_id = auditId;
  const document = await post(`${base}/documents`, body, { idempotent: true });
  if (file.size > document.max_bytes) throw new Error(`${file.name} is larger than 10 MB.`);
  const form = new FormData();
  for (const [name, value] of Object.entries(document.upload.fields)) form.append(name, value);
  form.append("file", file);
  let response;
  try {
    response = await fetch(document.upload.url, { method: "POST", body: form });
  } catch {
    throw new Error(`${file.name} could not be uploaded. Check your connection and try again.`);
  }
  if (!response.ok) throw new Error(`${file.name} was refused by the document store (${response.status}).`);
  return document.document_id;
}

export const ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png";
