const fs = require('fs');
const path = require('path');

// A scripted `wx` for unit tests: requests are answered by a handler, modals by a queue of answers.
function createFakeWx({ handler, modalAnswers = [], loginCodes = ['code-1', 'code-2', 'code-3'] } = {}) {
  const storage = {};
  const wx = {
    requests: [],
    toasts: [],
    modals: [],
    relaunched: [],
    getStorageSync: (key) => storage[key],
    setStorageSync: (key, value) => {
      storage[key] = value;
    },
    removeStorageSync: (key) => {
      delete storage[key];
    },
    getStorageInfoSync: () => ({ keys: Object.keys(storage) }),
    login: ({ success }) => success({ code: loginCodes.shift() }),
    request(options) {
      wx.requests.push(options);
      const answer = handler(options, wx.requests.length);
      setTimeout(() => (answer.fail ? options.fail({ errMsg: 'request:fail timeout' }) : options.success(answer)), 0);
    },
    showModal(options) {
      wx.modals.push(options);
      options.success({ confirm: modalAnswers.length ? modalAnswers.shift() : false });
    },
    showToast: (options) => wx.toasts.push(options),
    reLaunch: (options) => wx.relaunched.push(options.url),
    stopPullDownRefresh: () => {},
    storage,
  };
  return wx;
}

// A page built from our logic objects, with a minimal setData, as the Page() runtime would give it.
function mountPage(definition) {
  const page = { ...definition, data: { ...definition.data } };
  page.setData = (patch, rendered) => {
    Object.assign(page.data, patch);
    if (rendered) rendered(); // WeChat calls it once the page shows the new data
  };
  return page;
}

const ok = (data) => ({ statusCode: 200, data });
const error = (statusCode, code, message) => ({ statusCode, data: { error: { code, message } } });

// A page's template rendered with ``data`` (no logic: what the member or secretary would see).
function renderPage(name, data) {
  const simulate = require('miniprogram-simulate'); // here, not on top: it needs the DOM only renders have
  const template = fs.readFileSync(path.join(__dirname, '..', 'pages', name, 'index.wxml'), 'utf8');
  const comp = simulate.render(simulate.load({ template, data }));
  comp.attach(document.createElement('parent'));
  return comp;
}

module.exports = { createFakeWx, mountPage, renderPage, ok, error };
