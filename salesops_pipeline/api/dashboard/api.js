/* The API as the page uses it: the key in session storage, JSON reads, file downloads.
 *
 * The key travels only in the X-API-Key header, never in a URL; downloads are fetched with it
 * and saved from a blob, so no link the browser might log or share carries it.
 */
"use strict";

const SalesApi = (() => {
  const STORAGE = "salesops.apiKey";

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  const key = {
    get: () => sessionStorage.getItem(STORAGE),
    set: (value) => sessionStorage.setItem(STORAGE, value),
    clear: () => sessionStorage.removeItem(STORAGE),
  };

  function url(path, params) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") query.set(name, value);
    }
    const text = query.toString();
    return text ? `${path}?${text}` : path;
  }

  async function request(path, params) {
    const response = await fetch(url(path, params), {
      headers: { "X-API-Key": key.get() || "" },
      credentials: "omit",
      cache: "no-store",
    });
    if (!response.ok) {
      let detail = `${response.status} ${response.statusText}`;
      try {
        const body = await response.json();
        if (typeof body.detail === "string") detail = body.detail;
        else if (Array.isArray(body.detail)) detail = body.detail.map((e) => e.msg).join("; ");
      } catch (ignored) { /* not JSON: keep the status line */ }
      throw new ApiError(response.status, detail);
    }
    return response;
  }

  async function getJSON(path, params) {
    return (await request(path, params)).json();
  }

  /** Fetch ?format=csv|xlsx with the key header and save it under the server's file name. */
  async function download(path, params, format) {
    return save(path, { ...params, format }, `report.${format}`);
  }

  /** Fetch ``path`` with the key header and save the answer under the server's file name
   * (``fallback`` when it gives none): an export, or an import's feedback page. */
  async function save(path, params, fallback) {
    const response = await request(path, params);
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="([^"]+)"/.exec(disposition);
    const blob = await response.blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = match ? match[1] : fallback;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  return { ApiError, key, getJSON, download, save };
})();
