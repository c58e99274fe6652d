// @ts-check
// Files go straight to S3 from the browser, by a presigned POST the API hands out: proof documents
// (PDF, JPEG or PNG, at most 10 MB) and the staff's import files.
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
  await sendToStore(document.upload, file);
  return document.document_id;
}

/**
 * The file to S3 by the presigned POST the API handed out: its fields, then the file.
 * @param {{ url: string, fields: Record<string, string> }} upload
 * @param {File} file
 */
export async function sendToStore(upload, file) {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append("file", file);
  let response;
  try {
    response = await fetch(upload.url, { method: "POST", body: form });
  } catch {
    throw new Error(`${file.name} could not be uploaded. Check your connection and try again.`);
  }
  if (!response.ok) throw new Error(`${file.name} was refused by the document store (${response.status}).`);
}

export const ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png";
