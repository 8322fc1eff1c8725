// The app: release settings (the update manager) and the network state pages show. Logic in utils/shell.js.
const { createApp } = require('./utils/shell');

App(createApp({ wx }));
