// The app-wide API client, bound to this deployment's server.
const config = require('../config');
const { createClient } = require('./api');

const client = createClient({
  wx,
  baseUrl: config.apiBase,
  onNotBound: () => wx.reLaunch({ url: '/pages/login/index' }),
});

module.exports = client;
