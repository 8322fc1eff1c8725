// What the app itself does, outside any page: offer a downloaded new version, and know whether the phone
// is online, so pages can say that what they show may be out of date (many members work on sites with
// poor coverage). `app.js` is only `App(createApp({ wx }))`, so jest runs this against a fake `wx`.

function watchForUpdates(wx) {
  if (typeof wx.getUpdateManager !== 'function') return; // very old base library: nothing to manage
  const manager = wx.getUpdateManager();
  manager.onUpdateReady(() => {
    wx.showModal({
      title: '发现新版本',
      content: '新版本已经准备好，是否现在重启使用？',
      confirmText: '重启',
      cancelText: '稍后',
      success: (answer) => {
        if (answer && answer.confirm) manager.applyUpdate();
      },
    });
  });
  // A failed download is retried by WeChat on a later start; the member keeps using this version.
  manager.onUpdateFailed(() => {});
}

function createApp({ wx }) {
  const listeners = new Set();
  return {
    globalData: { online: true, networkType: 'unknown' },

    onLaunch() {
      watchForUpdates(wx);
      wx.getNetworkType({ success: (res) => this.setNetwork(res.networkType !== 'none', res.networkType) });
      wx.onNetworkStatusChange((res) => this.setNetwork(res.isConnected, res.networkType));
    },

    setNetwork(online, networkType) {
      const changed = this.globalData.online !== online;
      this.globalData.online = online;
      this.globalData.networkType = networkType || this.globalData.networkType;
      if (changed) listeners.forEach((listener) => listener(online));
    },

    // `listener(online)` now and on every change; returns the function that stops it.
    watchNetwork(listener) {
      listeners.add(listener);
      listener(this.globalData.online);
      return () => listeners.delete(listener);
    },
  };
}

module.exports = { createApp, watchForUpdates };
