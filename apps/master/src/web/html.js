// @ts-check
// Safe HTML for the master's web page (served as-is to the browser; no
// build step: plain ES modules with JSDoc types, checked by tsc).
//
// Promises:
//  - `html` is a tagged template: every interpolated value is HTML-escaped
//    unless it is itself the result of `html` (or `raw`); arrays are joined,
//    and undefined, null and false render as nothing. So a table name, a row
//    key or an error message can never become markup.
//  - `showBytes` renders a row key (UTF-8 text, or base64 when the API says
//    so) as readable text: printable ASCII as is, a backslash doubled, other
//    bytes as \xNN, control and bidirectional-override characters of text
//    as \u{…} — what is shown is exactly what is stored, and no key can
//    reorder or hide the text around it.
//  - Every function here is pure (no DOM, no clock), so vitest runs them.

export class SafeHtml {
  /** @param {string} text already-safe markup */
  constructor(text) {
    this.text = text;
  }
  toString() {
    return this.text;
  }
}

/** @param {string} s */
export function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** Markup the caller vouches for (constants only). @param {string} text */
export function raw(text) {
  return new SafeHtml(text);
}

/** @param {unknown} v @returns {string} */
function part(v) {
  if (v instanceof SafeHtml) return v.text;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === undefined || v === null || v === false) return '';
  return escapeHtml(String(v));
}

/**
 * @param {TemplateStringsArray} strings
 * @param {...unknown} values
 * @returns {SafeHtml}
 */
export function html(strings, ...values) {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += part(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Characters of text shown escaped: C0/C1 controls, DEL, zero-width and bidirectional controls, separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are shown escaped
const HIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;

/**
 * A row key (or any byte string the API sends) as text a person can read
 * and copy. `encoding` is the reply's: 'utf8' text or 'base64' bytes.
 * @param {string} value
 * @param {string} [encoding]
 */
export function showBytes(value, encoding = 'utf8') {
  if (encoding === 'base64') {
    let bytes;
    try {
      bytes = atob(value);
    } catch {
      return `(not base64: ${value})`;
    }
    let out = '';
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes.charCodeAt(i);
      if (b === 0x5c) out += '\\\\';
      else if (b >= 0x20 && b < 0x7f) out += bytes[i];
      else out += `\\x${b.toString(16).padStart(2, '0')}`;
    }
    return out;
  }
  return value.replace(/\\/g, '\\\\').replace(HIDDEN_CHARS, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** An http(s) URL for an href, or undefined (anything else is shown as text, never linked). @param {string | undefined} url */
export function safeHref(url) {
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}
