// Readable by older members (issue 9, item 7), checked on every page and component: no body text
// under 28rpx, a pressed look on everything tappable, no brand colour repeated outside app.wxss, and
// success toasts short enough to be read whole.
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
// every page the app registers and every component it has: a new one is checked the day it is added
const PAGES = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8')).pages;
const COMPONENTS = fs.readdirSync(path.join(ROOT, 'components')).map((c) => `components/${c}/index`);
const BRAND = /#(b71c1c|c62828|fbe9e7)\b/i;

const read = (file) => fs.readFileSync(path.join(ROOT, file), 'utf8');

test.each([...PAGES, ...COMPONENTS, 'app'])('%s: no text under 28rpx', (base) => {
  const sizes = [...read(`${base}.wxss`).matchAll(/font-size:\s*(\d+)rpx/g)].map((m) => Number(m[1]));
  expect(sizes.filter((size) => size < 28)).toEqual([]);
});

test.each([...PAGES, ...COMPONENTS])('%s: no brand colour of its own (app.wxss variables instead)', (base) => {
  expect(read(`${base}.wxss`)).not.toMatch(BRAND);
});

test.each([...PAGES, ...COMPONENTS])('%s: everything tappable has a pressed look', (base) => {
  const tags = read(`${base}.wxml`).match(/<[a-z-]+\s[^>]*(bindtap|open-type)=[^>]*>/g) || [];
  if (base.startsWith('pages/') && base !== 'pages/my-code/index') expect(tags.length).toBeGreaterThan(0); // my code is only shown
  expect(tags.filter((tag) => !/hover-class=/.test(tag))).toEqual([]);
});

test('success toasts fit in 7 characters; longer ones use no icon', () => {
  const files = [...PAGES.map((p) => p.replace('index', 'logic.js')), 'utils/api.js', 'utils/shell.js', 'utils/subscribe.js'];
  for (const file of files) {
    for (const match of read(file).matchAll(/title:\s*'([^']*)',\s*icon:\s*'success'/g)) {
      expect([file, match[1].length <= 7]).toEqual([file, true]);
    }
  }
});
