// Phone screenshots: a render test calls `saveScreen(comp, 'meeting', 'ended')` for each state it renders.
// Without SCREENS_DIR this does nothing; `make screens` sets it and turns the saved pages into PNGs
// (scripts/phone_screens.py). What is saved is one self-contained HTML file per page and state: the DOM
// miniprogram-simulate rendered (custom components' content included), the page's WXSS (app.wxss, the
// page's index.wxss, each rendered component's wxss with the class prefix simulate gave it) with rpx
// turned into px for a 375-pixel-wide phone, inside a phone frame with the navigation bar and tab bar.
const fs = require('fs');
const path = require('path');

const MP_ROOT = path.join(__dirname, '..');
const PHONE_CSS = path.join(__dirname, '..', '..', 'tests', 'screens', 'phone.css');
const PHONE_WIDTH = 375; // px; WeChat's 750rpx
const NAME = /^[a-z0-9][a-z0-9_-]*$/i; // file-name safe: letters, digits, - and _

// `modal`: the wx.showModal options the page asked with ({title, content, confirmText, cancelText,
// showCancel}), drawn as WeChat draws its dialog over the first screen — a question the member answers
// is part of what they see.
function saveScreen(comp, page, state, { modal = null } = {}) {
  const dir = process.env.SCREENS_DIR;
  if (!dir) return null;
  if (!NAME.test(page) || !NAME.test(state)) {
    throw new Error(`saveScreen(comp, page, state): use words with dashes (letters, digits, - and _), got "${page}", "${state}"`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${page}--${state}.html`);
  fs.writeFileSync(file, screenHtml(comp, page, state, { modal }), 'utf8');
  return file;
}

// ---- what is saved ----

// `root` is the mini-program folder (app.json, app.wxss, pages/); tests may point it elsewhere.
function screenHtml(comp, page, state, { root = MP_ROOT, modal = null } = {}) {
  const ctx = { components: new Map() };
  const top = comp.dom;
  const rootComponent = componentOf(top);
  // A page rendered from its template has no class prefix and gets its index.wxss; a component rendered
  // on its own (say page-state) brings its own wxss, which is collected like any other component's.
  const body = rootComponent ? serialize(top, ctx) : serializeChildren(top, ctx);
  if (rootComponent) ctx.components.set(rootComponent.id, rootComponent);

  const settings = pageSettings(root, page);
  const styles = [
    ['app.wxss', pageCss(readWxss(path.join(root, 'app.wxss')))],
    ...(rootComponent ? [] : [[`pages/${page}/index.wxss`, pageCss(readWxss(path.join(root, 'pages', page, 'index.wxss')))]]),
    ...[...ctx.components.values()].map((c) => [c.file, componentCss(c)]),
  ];
  const testName = typeof expect === 'function' && expect.getState ? expect.getState().currentTestName || '' : '';
  const meta = { page, state, title: settings.title, test: testName, tab: settings.tab };
  return [
    '<!doctype html>',
    '<html lang="zh-CN"><head><meta charset="utf-8">',
    `<meta name="viewport" content="width=${PHONE_WIDTH}">`,
    `<title>${escapeText(`${page} — ${state}`)}</title>`,
    `<script type="application/json" id="screen-meta">${JSON.stringify(meta).replace(/</g, '\\u003c')}</script>`,
    `<style>/* phone frame and WeChat defaults */\n${fs.readFileSync(PHONE_CSS, 'utf8')}</style>`,
    ...styles.map(([name, css]) => `<style>/* ${name} */\n${css}</style>`),
    '</head><body>',
    frame(settings, `<div class="wx-page">${body}</div>`, modal),
    '</body></html>',
    '',
  ].join('\n');
}

// The navigation bar's title and colours (the page's index.json over app.json's window) and the tab bar.
function pageSettings(root, page) {
  const app = readJson(path.join(root, 'app.json')) || {};
  const own = readJson(path.join(root, 'pages', page, 'index.json')) || {};
  const window = { ...(app.window || {}), ...own };
  const route = `pages/${page}/index`;
  const tabBar = app.tabBar && app.tabBar.list.some((tab) => tab.pagePath === route) ? app.tabBar : null;
  return {
    title: window.navigationBarTitleText || '',
    navBackground: window.navigationBarBackgroundColor || '#000000',
    navText: window.navigationBarTextStyle === 'black' ? '#000000' : '#ffffff',
    custom: window.navigationStyle === 'custom', // the page draws its own bar; WeChat keeps only the capsule
    tab: Boolean(tabBar),
    tabBar,
    route,
  };
}

// wx.showModal as WeChat draws it: a white dialog on a dark mask, the cancel and confirm buttons below.
function modalHtml(modal) {
  if (!modal) return '';
  const cancel = modal.showCancel === false ? '' : `<span class="wx-modal__button wx-modal__button--cancel">${escapeText(modal.cancelText || '取消')}</span>`;
  return [
    '<div class="phone__mask"><div class="wx-modal" role="dialog">',
    modal.title ? `<div class="wx-modal__title">${escapeText(modal.title)}</div>` : '',
    modal.content ? `<div class="wx-modal__content">${escapeText(modal.content)}</div>` : '',
    `<div class="wx-modal__buttons">${cancel}<span class="wx-modal__button wx-modal__button--confirm">${escapeText(modal.confirmText || '确定')}</span></div>`,
    '</div></div>',
  ].join('');
}

function frame(settings, page, modal = null) {
  const nav = `background:${settings.navBackground};color:${settings.navText}`;
  const capsule = settings.navText === '#000000' ? 'phone__capsule phone__capsule--black' : 'phone__capsule';
  const tabs = settings.tabBar
    ? `<div class="phone__tabbar" style="background:${settings.tabBar.backgroundColor || '#ffffff'}">${settings.tabBar.list
        .map((tab) => {
          const colour = tab.pagePath === settings.route ? settings.tabBar.selectedColor : settings.tabBar.color;
          return `<div class="phone__tab" style="color:${colour}">${escapeText(tab.text)}</div>`;
        })
        .join('')}</div>`
    : '';
  const bars = settings.custom
    ? [`<span class="${capsule} phone__capsule--over"><i>•••</i><i>◉</i></span>`]
    : [
        `<div class="phone__status" style="${nav}"><span>9:41</span><span>100%</span></div>`,
        `<div class="phone__nav" style="${nav}">`,
        settings.tab ? '' : '<span class="phone__back">‹</span>',
        `<span class="phone__title">${escapeText(settings.title)}</span>`,
        `<span class="${capsule}"><i>•••</i><i>◉</i></span></div>`,
      ];
  return [
    settings.tab ? '<div class="phone phone--tab">' : '<div class="phone">',
    ...bars,
    `<div class="phone__body">${page}</div>`,
    tabs,
    modalHtml(modal),
    '<div class="phone__fold"><span>首屏</span></div>',
    '</div>',
  ].join('');
}

// ---- the DOM ----

// A custom component's host element: the j-component definition behind it (its file and class prefix).
function componentOf(el) {
  const node = el && el.__wxElement;
  if (!node || !node.is) return null;
  const manager = require('j-component/src/tool/utils').cache(node.is); // the registry simulate rendered with
  if (!manager || !manager.path) return null;
  const definition = manager.definition || {};
  const prefix = (definition.options && definition.options.classPrefix) || definition.tagName || '';
  return { id: node.is, file: `/${manager.path}.wxss`.replace(/^\/+/, '/'), prefix };
}

function serializeChildren(el, ctx) {
  return Array.from(el.childNodes)
    .map((child) => serialize(child, ctx))
    .join('');
}

const VOID_SKIP = new Set(['script', 'style']);

function serialize(node, ctx) {
  if (node.nodeType === 3) return escapeText(node.data);
  if (node.nodeType !== 1) return '';
  const tag = node.tagName.toLowerCase();
  if (VOID_SKIP.has(tag)) return '';
  const component = componentOf(node);
  // a custom component's attributes are its properties, not HTML: only its class and style are kept
  const attrs = component ? {} : templateAttributes(node);
  for (const attr of Array.from(node.attributes)) attrs[attr.name] = attr.value;
  if (attrs.style) attrs.style = rpxToPx(attrs.style);

  let inner = serializeChildren(node, ctx);
  if (component) {
    ctx.components.set(component.id, component);
    attrs['data-wx-host'] = component.prefix;
  } else {
    inner = builtinContent(tag, attrs, inner);
  }
  const attrText = Object.entries(attrs)
    .map(([name, value]) => (value === '' ? ` ${name}` : ` ${name}="${escapeAttr(value)}"`))
    .join('');
  // Element names from miniprogram-simulate (wx-view, the component's tag) are not HTML names the parser
  // knows, so every element is written open and closed.
  return `<${tag}${attrText}>${inner}</${tag}>`;
}

// The attributes the template gave a built-in element (type="primary", placeholder, src, checked…):
// simulate keeps them on its own node, not on the DOM, and the look of a button or an input depends on them.
function templateAttributes(el) {
  const attrs = {};
  const vt = el.__wxElement && el.__wxElement._vt;
  for (const { name, value } of (vt && vt.attrs) || []) {
    if (name === 'class' || name === 'style' || /^(bind|catch|capture-|mut-bind)/.test(name)) continue;
    if (value === true) attrs[name] = '';
    else if (typeof value === 'string' || typeof value === 'number') attrs[name] = String(value);
  }
  return attrs;
}

const ICONS = { success: ['✓', '#09bb07'], success_no_circle: ['✓', '#09bb07'], info: ['i', '#10aeff'], warn: ['!', '#f43530'], waiting: ['◷', '#10aeff'], cancel: ['×', '#f43530'], download: ['↓', '#09bb07'], search: ['⌕', '#b2b2b2'], clear: ['×', '#b2b2b2'] };

// What WeChat draws inside its built-in elements, which simulate leaves empty.
function builtinContent(tag, attrs, inner) {
  switch (tag) {
    case 'wx-image':
      return imageContent(attrs.src);
    case 'wx-rich-text': {
      const nodes = attrs.nodes;
      delete attrs.nodes; // drawn inside, not kept as an attribute
      return richTextContent(nodes);
    }
    case 'wx-input':
    case 'wx-textarea': {
      const value = attrs.value || '';
      if (!value) {
        const extraClass = attrs['placeholder-class'] ? ` ${escapeAttr(attrs['placeholder-class'])}` : '';
        const style = attrs['placeholder-style'] ? ` style="${escapeAttr(rpxToPx(attrs['placeholder-style']))}"` : '';
        return `<span class="wx-placeholder${extraClass}"${style}>${escapeText(attrs.placeholder || '')}</span>`;
      }
      return escapeText('password' in attrs && attrs.password !== 'false' ? '•'.repeat(value.length) : value);
    }
    case 'wx-switch':
      if (attrs.type === 'checkbox') return `<span class="wx-check">${'checked' in attrs ? '✓' : ''}</span>`;
      return attrs.color ? `<span class="wx-switch" style="--wx-switch-on:${escapeAttr(attrs.color)}"></span>` : '<span class="wx-switch"></span>';
    case 'wx-checkbox':
    case 'wx-radio':
      return `<span class="wx-check">${'checked' in attrs ? '✓' : ''}</span>${inner}`;
    case 'wx-button':
      return 'loading' in attrs && attrs.loading !== 'false' ? `<i class="wx-loading"></i>${inner}` : inner;
    case 'wx-camera':
      return `<span class="wx-stand-in">${attrs.mode === 'scanCode' ? '扫码取景框' : '相机取景'}</span>${inner}`;
    case 'wx-map':
      return `<span class="wx-stand-in">地图 ${escapeText([attrs.latitude, attrs.longitude].filter(Boolean).join(', '))}</span>${inner}`;
    case 'wx-video':
    case 'wx-canvas':
      return `<span class="wx-stand-in">${tag.slice(3)}</span>${inner}`;
    case 'wx-progress': {
      const percent = Math.max(0, Math.min(100, Number(attrs.percent) || 0));
      return `<span class="wx-progress"><i style="width:${percent}%"></i></span>${'show-info' in attrs ? `<span>${percent}%</span>` : ''}`;
    }
    case 'wx-icon': {
      const [glyph, colour] = ICONS[attrs.type] || ['•', '#b2b2b2'];
      const size = rpxToPx(String(attrs.size || 23)).replace(/^(\d+(\.\d+)?)$/, '$1px');
      return `<i class="wx-icon" style="width:${size};height:${size};font-size:calc(${size} * 0.7);background:${attrs.color || colour}">${glyph}</i>`;
    }
    default:
      return inner;
  }
}

function imageContent(src) {
  if (!src) return '';
  if (/^data:image\//.test(src)) return `<img src="${escapeAttr(src)}" alt="">`;
  const local = path.join(MP_ROOT, src.replace(/^\/+/, ''));
  if (!/^[a-z]+:/i.test(src) && local.startsWith(MP_ROOT) && fs.existsSync(local)) {
    return `<img src="${escapeAttr(`file://${local}`)}" alt="">`;
  }
  return `<span class="wx-stand-in">图片 ${escapeText(src.length > 40 ? `${src.slice(0, 37)}…` : src)}</span>`;
}

// <rich-text nodes="…">: an HTML string is drawn as WeChat draws it, with nothing that could run or
// fetch — scripts, event handlers and javascript: links dropped, pictures not from a data: URL as the
// same grey stand-ins as <image>. Node arrays (the other form rich-text takes) are only labelled.
function richTextContent(nodes) {
  if (typeof nodes !== 'string') return nodes ? '<span class="wx-stand-in">rich-text</span>' : '';
  const holder = document.createElement('template');
  holder.innerHTML = nodes;
  holder.content.querySelectorAll('script, style, iframe, object, embed, link, meta').forEach((el) => el.remove());
  holder.content.querySelectorAll('*').forEach((el) => {
    for (const attr of Array.from(el.attributes)) {
      if (/^on/i.test(attr.name) || /^\s*javascript:/i.test(attr.value)) el.removeAttribute(attr.name);
    }
  });
  holder.content.querySelectorAll('img').forEach((img) => {
    if (/^data:image\//.test(img.getAttribute('src') || '')) return;
    const stand = document.createElement('span');
    stand.className = 'wx-stand-in';
    stand.setAttribute('style', `${img.getAttribute('style') || ''};height:180px;display:flex`);
    stand.textContent = '图片';
    img.replaceWith(stand);
  });
  return holder.innerHTML;
}

// ---- the WXSS ----

function readWxss(file) {
  // simulate's reader, which also inlines @import
  return fs.existsSync(file) ? require('miniprogram-simulate/src/wxss').getContent(file) : '';
}

// 750rpx is the phone's width: 1rpx = 0.5px on a 375-pixel-wide phone.
function rpxToPx(css) {
  return css.replace(/(-?(?:\d+\.?\d*|\.\d+))rpx\b/gi, (_, n) => `${+(Number(n) * (PHONE_WIDTH / 750)).toFixed(3)}px`);
}

// app.wxss and a page's wxss: `page` is the page's root element.
function pageCss(wxss) {
  const postcss = require('postcss');
  const root = postcss.parse(wxss);
  root.walkRules((rule) => {
    rule.selectors = rule.selectors.map((selector) => selector.replace(/(^|[\s>+~(,])page(?![\w-])/g, '$1.wx-page'));
  });
  return rpxToPx(root.toString());
}

// A component's wxss with its classes prefixed as simulate prefixed them in the DOM; `:host` is its element.
function componentCss(component) {
  const file = component.file;
  const wxss = readWxss(file).replace(/:host\b/g, `[data-wx-host="${component.prefix}"]`);
  return rpxToPx(require('miniprogram-simulate/src/wxss').compile(wxss, { prefix: component.prefix }));
}

function readJson(file) {
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
}

function escapeText(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(text) {
  return escapeText(text).replace(/"/g, '&quot;');
}

module.exports = { saveScreen, screenHtml, rpxToPx };
