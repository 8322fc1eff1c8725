// 手机报 article body editor: a toolbar of the few formats the mini-program shows over an editable page.
//
// The form's real field is the <textarea name="body_html">: without this script the secretary types HTML
// into it, with it the textarea is kept in step with the editable page (and shown again on "HTML"). The
// server cleans whatever arrives (server/newspaper/sanitise.py), so nothing here is a safety measure:
// pasted scripts never run (the Content-Security-Policy) and never get stored (the sanitiser).
// Images are uploaded at once (server/newspaper/article_views.py upload_image) and inserted by address.
"use strict";

function setUpEditor(root) {
  const area = root.querySelector("[data-editable]");
  const source = root.querySelector("[data-source-field]");
  const toolbar = root.querySelector('[role="toolbar"]');
  const status = root.querySelector("[data-editor-status]");
  const imageFile = root.querySelector("[data-image-file]");
  const form = root.closest("form");
  const token = form.querySelector('input[name="csrf_token"]').value;
  let selection = null; // the last selection inside the editable page, restored before each command
  let sourceMode = false;

  area.innerHTML = source.value;
  area.hidden = false;
  toolbar.hidden = false;
  source.hidden = true;
  document.execCommand("defaultParagraphSeparator", false, "p");

  const say = (text, isError) => {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  };
  const sync = () => {
    if (!sourceMode) source.value = area.innerHTML;
  };
  // Tell the form (and the preview listening on it) that the body changed.
  const changed = () => {
    sync();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const restore = () => {
    area.focus();
    if (selection) {
      const current = window.getSelection();
      current.removeAllRanges();
      current.addRange(selection);
    }
  };

  area.addEventListener("input", sync);
  form.addEventListener("submit", sync, true);
  document.addEventListener("selectionchange", () => {
    const current = window.getSelection();
    if (current.rangeCount && area.contains(current.anchorNode)) selection = current.getRangeAt(0).cloneRange();
  });
  // Keep the selection in the page when a toolbar button is pressed.
  toolbar.addEventListener("mousedown", (event) => {
    if (event.target.closest("button")) event.preventDefault();
  });

  function link() {
    const url = window.prompt("链接地址（以 http:// 或 https:// 开头）", "https://");
    if (!url) return;
    if (!/^https?:\/\/\S+$/i.test(url.trim())) {
      say("链接须以 http:// 或 https:// 开头", true);
      return;
    }
    restore();
    if (window.getSelection().isCollapsed) {
      const anchor = document.createElement("a");
      anchor.href = url.trim();
      anchor.textContent = url.trim();
      document.execCommand("insertHTML", false, anchor.outerHTML);
    } else {
      document.execCommand("createLink", false, url.trim());
    }
    changed();
  }

  function toggleSource(button) {
    sync();
    sourceMode = !sourceMode;
    if (!sourceMode) area.innerHTML = source.value;
    area.hidden = sourceMode;
    source.hidden = !sourceMode;
    button.setAttribute("aria-pressed", String(sourceMode));
    toolbar.querySelectorAll("button:not([data-source])").forEach((other) => {
      other.disabled = sourceMode;
    });
    (sourceMode ? source : area).focus();
  }

  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.hasAttribute("data-source")) return toggleSource(button);
    if (button.hasAttribute("data-image")) return imageFile.click();
    if (button.hasAttribute("data-link")) return link();
    restore();
    if (button.dataset.block) document.execCommand("formatBlock", false, button.dataset.block);
    else document.execCommand(button.dataset.command, false, null);
    changed();
  });

  imageFile.addEventListener("change", async () => {
    const file = imageFile.files[0];
    imageFile.value = "";
    if (!file) return;
    say("正在上传图片…");
    const body = new FormData();
    body.append("image", file);
    body.append("csrf_token", token);
    let answer = null;
    try {
      const response = await fetch(root.dataset.uploadUrl, {
        method: "POST",
        body,
        headers: { "X-CSRFToken": token },
        credentials: "same-origin",
      });
      answer = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(answer.error?.message || "图片上传失败，请重试");
    } catch (error) {
      say(error.message === "Failed to fetch" ? "网络异常，图片未上传" : error.message, true);
      return;
    }
    restore();
    document.execCommand("insertImage", false, answer.url);
    changed();
    say("已插入图片");
  });
}

// A cover chosen but not saved yet is shown in the phone preview at once (as a data: address, which the
// policy allows for images), and again after each refresh of the preview.
function setUpCoverPreview(input, preview) {
  let chosen = null;
  const show = () => {
    if (!chosen) return;
    const meta = preview.querySelector(".mp-article__meta");
    if (!meta) return;
    let cover = preview.querySelector(".mp-article__cover");
    if (!cover) {
      cover = document.createElement("img");
      cover.className = "mp-article__cover";
      cover.alt = "";
      meta.after(cover);
    }
    cover.src = chosen;
  };
  input.addEventListener("change", () => {
    const file = input.files[0];
    chosen = null;
    if (!file) return;
    const reader = new FileReader();
    reader.addEventListener("load", () => {
      chosen = reader.result;
      show();
    });
    reader.readAsDataURL(file);
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target === preview) show();
  });
}

document.querySelectorAll("[data-rich-editor]").forEach(setUpEditor);
const coverInput = document.querySelector("[data-cover-input]");
const phonePreview = document.querySelector("[data-phone-preview]");
if (coverInput && phonePreview) setUpCoverPreview(coverInput, phonePreview);
