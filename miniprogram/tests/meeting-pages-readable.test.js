// Readable by older members, checked on the meeting pages' own files: no text under 28rpx, a pressed look
// on everything tappable, a label on what a screen reader could not name, success toasts that fit.
const fs = require('fs');
const path = require('path');

const PAGES = ['meeting', 'my-code', 'secretary-scan', 'meeting-new'];
const read = (page, file) => fs.readFileSync(path.join(__dirname, '..', 'pages', page, file), 'utf8');

test.each(PAGES)('%s: no font under 28rpx and no brand colour repeated', (page) => {
  const style = read(page, 'index.wxss');
  const sizes = [...style.matchAll(/font-size:\s*(\d+)rpx/g)].map((m) => Number(m[1]));
  expect(sizes.filter((size) => size < 28)).toEqual([]);
  expect(style).not.toMatch(/#b71c1c|#c62828/i);
});

test.each(PAGES)('%s: everything tappable has hover-class="pressed"', (page) => {
  const tags = read(page, 'index.wxml').match(/<(button|view|text)\b[^>]*>/g) || [];
  const tappable = tags.filter((tag) => /^<button\b/.test(tag) || /\bbindtap=/.test(tag));
  expect(tappable.filter((tag) => !/hover-class="pressed"/.test(tag))).toEqual([]);
});

test.each(PAGES)('%s: a success toast says it in 7 characters at most', (page) => {
  const logic = read(page, 'logic.js');
  const titles = [...logic.matchAll(/title: '([^']*)', icon: 'success'/g)].map((m) => m[1]);
  expect(titles.filter((title) => [...title].length > 7)).toEqual([]);
});

test('controls named only by an icon or a camera carry an aria-label', () => {
  expect(read('secretary-scan', 'index.wxml')).toMatch(/<camera[^>]*aria-label="[^"]+"/);
  expect(read('my-code', 'index.wxml')).toMatch(/<image[^>]*aria-label="[^"]+"/);
  for (const action of ['remindMe', 'addToCalendar', 'openVenue', 'openLocationSetting']) {
    expect(read('meeting', 'index.wxml')).toMatch(new RegExp(`bindtap="${action}"[^>]*aria-label="[^"]+"`));
  }
});
