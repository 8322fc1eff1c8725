// The saved home page, in a file of its own: components loaded by other tests in one file confuse the
// simulator's registry. tests/test_phone_screens.py runs this one with SCREENS_DIR and draws it in Chromium.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { saveScreen } = require('./screen');
const { renderWithComponents: renderPage } = require('./render');

// tests/test_phone_screens.py runs this one with SCREENS_DIR and draws the page in Chromium.
test('saveScreen writes one HTML file per page and state, and refuses names that are not file names', () => {
  const dir = process.env.SCREENS_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'screens-'));
  const saved = process.env.SCREENS_DIR;
  process.env.SCREENS_DIR = dir;
  try {
    const comp = renderPage('home', {
      loading: false,
      state: 'ready',
      greeting: '张三同志，您好',
      branch: '甲一支部',
      cards: [
        { key: 'meeting', title: '下次会议', empty: true, emptyText: '近期没有会议安排' },
        { key: 'dues', title: '待缴党费', empty: false, text: '45.50 元' },
      ],
    });
    const file = saveScreen(comp, 'home', 'sample');
    expect(file).toBe(path.join(dir, 'home--sample.html'));
    expect(fs.readFileSync(file, 'utf8')).toContain('"test":"saveScreen writes one HTML file');
    expect(() => saveScreen(comp, 'home', '../up')).toThrow(/words with dashes/);
  } finally {
    if (saved === undefined) delete process.env.SCREENS_DIR;
  }
});

