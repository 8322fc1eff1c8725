// Renders a page's own WXML with the components its index.json uses, as the member sees it (no logic).
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
// A component's script runs once per test file (jest caches modules), so it is loaded once and reused.
const loaded = {};

function component(where) {
  const simulate = require('miniprogram-simulate');
  // rootPath: the whole mini-program, so WeChat's compiler keeps each component's index.wxml apart
  if (!loaded[where]) loaded[where] = simulate.load(path.join(ROOT, where.replace(/^\//, '')), { rootPath: ROOT });
  return loaded[where];
}

function renderWithComponents(name, data) {
  const simulate = require('miniprogram-simulate'); // here, not on top: it needs the DOM only renders have
  const dir = path.join(ROOT, 'pages', name);
  const template = fs.readFileSync(path.join(dir, 'index.wxml'), 'utf8');
  const settings = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  const usingComponents = {};
  Object.entries(settings.usingComponents || {}).forEach(([tag, where]) => {
    usingComponents[tag] = component(where);
  });
  const comp = simulate.render(simulate.load({ template, usingComponents, data }));
  comp.attach(document.createElement('parent'));
  return comp;
}

// Inside a component the simulator prefixes class names with the component's tag (`main--`), so a class
// selector is looked for as written, then as it appears inside components.
function find(comp, selector) {
  const inComponent = selector.replace(/\.([\w-]+)/g, '.main--$1');
  return comp.dom.querySelector(selector) || comp.dom.querySelector(inComponent) || null;
}

function textOf(comp, selector) {
  const found = find(comp, selector);
  return found ? found.textContent.replace(/\s+/g, ' ').trim() : undefined;
}

// The visible text of every node matching `selector`, trimmed.
function texts(comp, selector) {
  return comp.querySelectorAll(selector).map((node) => node.dom.textContent.trim());
}

// The same inside the page's components, whose classes the simulator prefixes ("main--page-state__text").
function componentTexts(comp, className) {
  return Array.from(comp.dom.querySelectorAll(`[class*="--${className}"]`))
    .filter((node) => node.className.split(/\s+/).some((name) => name.endsWith(`--${className}`)))
    .map((node) => node.textContent.trim());
}

module.exports = { renderWithComponents, textOf, find, texts, componentTexts };
