// A page's template rendered with `data` and the custom components its index.json uses (page-state…),
// so a test sees what the member sees, component text included. fake-wx's renderPage knows no components.
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const loaded = {}; // component path → the id simulate gave it (loaded once per test file)

function renderWithComponents(name, data) {
  const simulate = require('miniprogram-simulate'); // here, not on top: it needs the DOM only renders have
  const pageDir = path.join(ROOT, 'pages', name);
  const template = fs.readFileSync(path.join(pageDir, 'index.wxml'), 'utf8');
  const settings = JSON.parse(fs.readFileSync(path.join(pageDir, 'index.json'), 'utf8'));
  const usingComponents = {};
  for (const [tag, where] of Object.entries(settings.usingComponents || {})) {
    const file = path.join(ROOT, where.replace(/^\//, ''));
    if (!loaded[file]) loaded[file] = simulate.load(file);
    usingComponents[tag] = loaded[file];
  }
  const comp = simulate.render(simulate.load({ template, data, usingComponents }));
  comp.attach(document.createElement('parent'));
  return comp;
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

module.exports = { renderWithComponents, texts, componentTexts };
