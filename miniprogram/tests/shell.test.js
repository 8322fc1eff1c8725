// The app itself: a downloaded new version is offered, and the network state reaches every page's banner.
const path = require('path');
const simulate = require('miniprogram-simulate');
const { createApp } = require('../utils/shell');
const { createFakeWx } = require('./fake-wx');

function phone({ networkType = 'wifi', updates = true } = {}) {
  const wx = createFakeWx({ handler: () => ({}), modalAnswers: [] });
  const manager = { applied: 0, onUpdateReady: (fn) => (manager.ready = fn), onUpdateFailed: (fn) => (manager.failed = fn) };
  manager.applyUpdate = () => (manager.applied += 1);
  if (updates) wx.getUpdateManager = () => manager;
  wx.getNetworkType = ({ success }) => success({ networkType });
  wx.onNetworkStatusChange = (fn) => (wx.networkChanged = fn);
  return { wx, manager };
}

function launched(wx) {
  const app = createApp({ wx });
  app.onLaunch();
  return app;
}

test('a new version ready: the member is asked, and it restarts only if they agree', () => {
  const { wx, manager } = phone();
  launched(wx);
  manager.ready();
  expect(wx.modals[0]).toMatchObject({ title: '发现新版本', confirmText: '重启', cancelText: '稍后' });
  expect(manager.applied).toBe(0); // declined (the fake answers no)
  const agreeing = phone();
  agreeing.wx.showModal = (options) => options.success({ confirm: true });
  launched(agreeing.wx);
  agreeing.manager.ready();
  expect(agreeing.manager.applied).toBe(1);
});

test('an old base library without the update manager still starts', () => {
  const { wx } = phone({ updates: false });
  expect(() => launched(wx)).not.toThrow();
});

test('the network state is kept in globalData and told to whoever watches', () => {
  const { wx } = phone({ networkType: 'none' });
  const app = launched(wx);
  expect(app.globalData).toMatchObject({ online: false, networkType: 'none' });
  const seen = [];
  const stop = app.watchNetwork((online) => seen.push(online));
  wx.networkChanged({ isConnected: true, networkType: '4g' });
  wx.networkChanged({ isConnected: true, networkType: 'wifi' }); // no change of being online: not told
  stop();
  wx.networkChanged({ isConnected: false, networkType: 'none' });
  expect(seen).toEqual([false, true]);
  expect(app.globalData).toMatchObject({ online: false, networkType: 'none' });
});

describe('offline banner', () => {
  const banner = simulate.load(path.join(__dirname, '../components/offline-banner/index'));
  afterEach(() => {
    delete global.getApp;
  });

  test('shows while offline, and asks the page to reload when the connection comes back', async () => {
    const { wx } = phone({ networkType: 'none' });
    const app = launched(wx);
    global.getApp = () => app;
    const comp = simulate.render(banner);
    const reconnected = jest.fn();
    comp.addEventListener('reconnect', reconnected);
    comp.attach(document.createElement('parent'));
    expect(comp.querySelector('.offline-banner').dom.textContent).toBe('网络已断开，显示的可能不是最新内容');
    wx.networkChanged({ isConnected: true, networkType: 'wifi' });
    await simulate.sleep(0);
    expect(comp.querySelector('.offline-banner')).toBeUndefined();
    expect(reconnected).toHaveBeenCalledTimes(1);
  });

  test('says nothing online, and stops listening when its page goes', () => {
    const { wx } = phone();
    const app = launched(wx);
    const watching = jest.spyOn(app, 'watchNetwork');
    global.getApp = () => app;
    const comp = simulate.render(banner);
    const parent = document.createElement('parent');
    comp.attach(parent);
    expect(comp.querySelector('.offline-banner')).toBeUndefined();
    comp.detach();
    wx.networkChanged({ isConnected: false, networkType: 'none' });
    expect(comp.data.offline).toBe(false);
    expect(watching).toHaveBeenCalledTimes(1);
  });
});
